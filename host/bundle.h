/* bundle.h: the Lua scripts embedded into the dbhost binary at build time. */
#ifndef DBHOST_BUNDLE_H
#define DBHOST_BUNDLE_H

#include <stddef.h>

struct dbhost_bundle_file {
  const char *path;            /* relative to scripts/, e.g. "dbhost/main.lua" */
  const unsigned char *data;
  size_t size;
};

/* Ended by an entry whose path is NULL. */
extern const struct dbhost_bundle_file dbhost_bundle[];

#endif
