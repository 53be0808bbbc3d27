/*
** fs.c: the dbhost.fs module, filesystem work for the scripts.
**
**   fs.read(path)                -> string | nil, msg, code
**   fs.write(path, data [,mode]) -> true | nil, msg, code   (atomic: temp, fsync, rename)
**   fs.list(path)                -> { name, ... } sorted by bytes | nil, msg, code
**   fs.stat(path [, nofollow])   -> { type=, size=, mode=, mtime=, uid= } | nil, msg, code
**   fs.mkdir(path [, mode])      -> true | nil, msg, code   (EEXIST for a directory is ok)
**   fs.mkdtemp([prefix [,parent]]) -> path | nil, msg, code (under parent, $TMPDIR or /tmp)
**   fs.remove(path)              -> true | nil, msg, code  (file or empty dir)
**   fs.rmtree(path)              -> true | nil, msg, code  (never follows links)
**   fs.rename(from, to)          -> true | nil, msg, code
**   fs.chown(path, uid, gid)     -> true | nil, msg, code
**   fs.realpath(path)            -> string | nil, msg, code
**   fs.cwd()                     -> string
**   fs.isatty(fd)                -> bool
**
** Codes are errno names ("ENOENT", ...).
*/
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* fs.read(path) -> string | nil, msg, code */
static int fs_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return dbh_pusherrno(L, path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return dbh_pusherrno(L, path, e);
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return dbh_pusherrno(L, path, EISDIR);
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (;;) {
    char *p = luaL_prepbuffsize(&b, 65536);
    ssize_t n = read(fd, p, 65536);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int e = errno;
      close(fd);
      return dbh_pusherrno(L, path, e);
    }
    if (n == 0)
      break;
    luaL_addsize(&b, (size_t)n);
  }
  close(fd);
  luaL_pushresult(&b);
  return 1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* fsync the directory holding `path`, so a rename survives a crash. */
static void sync_parent(const char *path) {
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash) {
    strcpy(dir, ".");
  } else if (slash == path) {
    strcpy(dir, "/");
  } else {
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir)
      return;
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

/*
** fs.write(path, data [, mode]) -> true | nil, msg, code
** Writes "<path>.tmp-XXXXXX" beside the target, fsyncs it and renames it
** over the target, so readers see the old file or the new one, never half.
** Without mode, an existing file's mode is kept (else 0644).
*/
static int fs_write(lua_State *L) {
  size_t len;
  const char *path = luaL_checkstring(L, 1);
  const char *data = luaL_checklstring(L, 2, &len);
  mode_t mode = 0644;
  struct stat st;
  if (!lua_isnoneornil(L, 3))
    mode = (mode_t)luaL_checkinteger(L, 3);
  else if (stat(path, &st) == 0)
    mode = st.st_mode & 07777;
  const char *tmpl = lua_pushfstring(L, "%s.tmp-XXXXXX", path);
  char tmp[PATH_MAX];
  if (strlen(tmpl) >= sizeof tmp)
    return dbh_pusherrno(L, path, ENAMETOOLONG);
  strcpy(tmp, tmpl);
  int fd = mkstemp(tmp);
  if (fd < 0)
    return dbh_pusherrno(L, path, errno);
  int e = 0;
  if (write_all(fd, data, len) != 0 || fchmod(fd, mode) != 0 || fsync(fd) != 0)
    e = errno;
  if (close(fd) != 0 && e == 0)
    e = errno;
  if (e == 0 && rename(tmp, path) != 0)
    e = errno;
  if (e != 0) {
    unlink(tmp);
    return dbh_pusherrno(L, path, e);
  }
  sync_parent(path);
  lua_pushboolean(L, 1);
  return 1;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* fs.list(path) -> sorted names (strcmp is a byte comparison) */
static int fs_list(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  DIR *d = opendir(path);
  if (!d)
    return dbh_pusherrno(L, path, errno);
  size_t n = 0, cap = 64;
  char **names = malloc(cap * sizeof *names);
  int e = names ? 0 : ENOMEM;
  struct dirent *de;
  while (e == 0) {
    errno = 0;
    de = readdir(d);
    if (!de) {
      e = errno;
      break;
    }
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (n == cap) {
      char **p = realloc(names, 2 * cap * sizeof *names);
      if (!p) {
        e = ENOMEM;
        break;
      }
      names = p;
      cap *= 2;
    }
    names[n] = strdup(de->d_name);
    if (!names[n]) {
      e = ENOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  if (e != 0) {
    for (size_t i = 0; i < n; i++)
      free(names[i]);
    free(names);
    return dbh_pusherrno(L, path, e);
  }
  qsort(names, n, sizeof *names, cmp_names);
  /* A Lua memory error from here on would leak the C list; it is accepted as
     the price of not copying names twice (the process is then dying). */
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    free(names[i]);
    names[i] = NULL;
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free(names);
  return 1;
}

static const char *type_name(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "link";
  return "other";
}

/* fs.stat(path [, nofollow]) -> table | nil, msg, code */
static int fs_stat(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  int r = lua_toboolean(L, 2) ? lstat(path, &st) : stat(path, &st);
  if (r != 0)
    return dbh_pusherrno(L, path, errno);
  lua_createtable(L, 0, 6);
  lua_pushstring(L, type_name(st.st_mode));
  lua_setfield(L, -2, "type");
  lua_pushinteger(L, (lua_Integer)st.st_size);
  lua_setfield(L, -2, "size");
  lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
  lua_setfield(L, -2, "mode");
  lua_pushinteger(L, (lua_Integer)st.st_mtime);
  lua_setfield(L, -2, "mtime");
  lua_pushinteger(L, (lua_Integer)st.st_uid);
  lua_setfield(L, -2, "uid");
  lua_pushinteger(L, (lua_Integer)st.st_gid);
  lua_setfield(L, -2, "gid");
  return 1;
}

/* fs.mkdir(path [, mode]) -> true | nil, msg, code */
static int fs_mkdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  mode_t mode = (mode_t)luaL_optinteger(L, 2, 0755);
  if (mkdir(path, mode) != 0) {
    struct stat st;
    if (!(errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
      return dbh_pusherrno(L, path, errno);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* fs.mkdtemp([prefix [, parent]]) -> path: a new private (0700) directory
** named prefix-XXXXXX under parent (default $TMPDIR, else /tmp) */
static int fs_mkdtemp(lua_State *L) {
  const char *prefix = luaL_optstring(L, 1, "dbhost");
  const char *tmpdir = luaL_optstring(L, 2, NULL);
  if (!tmpdir)
    tmpdir = getenv("TMPDIR");
  if (!tmpdir || !*tmpdir)
    tmpdir = "/tmp";
  const char *t = lua_pushfstring(L, "%s/%s-XXXXXX", tmpdir, prefix);
  char buf[PATH_MAX];
  if (strlen(t) >= sizeof buf)
    return dbh_pusherrno(L, t, ENAMETOOLONG);
  strcpy(buf, t);
  if (!mkdtemp(buf))
    return dbh_pusherrno(L, t, errno);
  lua_pushstring(L, buf);
  return 1;
}

/* fs.remove(path) -> true | nil, msg, code */
static int fs_remove(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (remove(path) != 0)
    return dbh_pusherrno(L, path, errno);
  lua_pushboolean(L, 1);
  return 1;
}

/* Remove `dirfd/name` recursively without following symbolic links. */
static int rmtree_at(int parent, const char *name) {
  if (unlinkat(parent, name, 0) == 0)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return errno == ENOENT ? 0 : -1;
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return -1;
  }
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (rmtree_at(dirfd(d), de->d_name) != 0) {
      rc = -1;
      break;
    }
  }
  int e = errno;
  closedir(d);
  if (rc != 0) {
    errno = e;
    return -1;
  }
  if (unlinkat(parent, name, AT_REMOVEDIR) != 0)
    return errno == ENOENT ? 0 : -1;
  return 0;
}

/* fs.rmtree(path) -> true | nil, msg, code (a missing path is fine) */
static int fs_rmtree(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (rmtree_at(AT_FDCWD, path) != 0)
    return dbh_pusherrno(L, path, errno);
  lua_pushboolean(L, 1);
  return 1;
}

/* fs.rename(from, to) -> true | nil, msg, code */
static int fs_rename(lua_State *L) {
  const char *from = luaL_checkstring(L, 1);
  const char *to = luaL_checkstring(L, 2);
  if (rename(from, to) != 0)
    return dbh_pusherrno(L, from, errno);
  lua_pushboolean(L, 1);
  return 1;
}

/* fs.chown(path, uid, gid) -> true | nil, msg, code */
static int fs_chown(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  uid_t uid = (uid_t)luaL_checkinteger(L, 2);
  gid_t gid = (gid_t)luaL_checkinteger(L, 3);
  if (lchown(path, uid, gid) != 0)
    return dbh_pusherrno(L, path, errno);
  lua_pushboolean(L, 1);
  return 1;
}

/* fs.realpath(path) -> string | nil, msg, code */
static int fs_realpath(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char buf[PATH_MAX];
  if (!realpath(path, buf))
    return dbh_pusherrno(L, path, errno);
  lua_pushstring(L, buf);
  return 1;
}

/* fs.isatty(fd) -> bool: is descriptor fd (0, 1, 2, ...) a terminal? */
static int fs_isatty(lua_State *L) {
  lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
  return 1;
}

/* fs.cwd() -> string */
static int fs_cwd(lua_State *L) {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf))
    return dbh_pusherrno(L, "getcwd", errno);
  lua_pushstring(L, buf);
  return 1;
}

int luaopen_dbhost_fs(lua_State *L);
int luaopen_dbhost_fs(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"read", fs_read},       {"write", fs_write},   {"list", fs_list},
    {"stat", fs_stat},       {"mkdir", fs_mkdir},   {"mkdtemp", fs_mkdtemp},
    {"remove", fs_remove},   {"rmtree", fs_rmtree}, {"rename", fs_rename},
    {"chown", fs_chown},     {"realpath", fs_realpath}, {"cwd", fs_cwd},
    {"isatty", fs_isatty},
    {NULL, NULL},
  };
  luaL_newlib(L, funcs);
  return 1;
}
