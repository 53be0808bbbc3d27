/*
** fs.c: the dbhost.fs module, filesystem work for the scripts.
**
**   fs.read(path [, nofollow])   -> string | nil, msg, code  (nofollow: a link is ELOOP)
**   fs.write(path, data [,mode]) -> true | nil, msg, code   (atomic: temp, fsync, rename)
**   fs.list(path)                -> { name, ... } sorted by bytes | nil, msg, code
**   fs.stat(path [, nofollow])   -> { type=, size=, mode=, mtime=, uid= } | nil, msg, code
**   fs.mkdir(path [, mode])      -> true | nil, msg, code   (EEXIST for a directory is ok)
**   fs.mkdtemp([prefix [,parent]]) -> path | nil, msg, code (under parent, $TMPDIR or /tmp)
**   fs.remove(path)              -> true | nil, msg, code  (file or empty dir)
**   fs.rmtree(path)              -> true | nil, msg, code  (never follows links)
**   fs.rename(from, to)          -> true | nil, msg, code
**   fs.chown(path, uid, gid)     -> true | nil, msg, code   (never follows a link)
**   fs.chmod(path, mode)         -> true | nil, msg, code   (never follows a link)
**   fs.readlink(path)            -> string | nil, msg, code
**   fs.copytree(from, to [, uid, gid]) -> true | nil, msg, code
**       copies directories and regular files only, never following a link on
**       either side: `to` must not exist and is made 0700; every entry is
**       created with O_EXCL|O_NOFOLLOW under it, given the source's mode and,
**       with uid, that owner, deepest first, `to` itself last. A symbolic link,
**       special file or hard-linked file in the source is refused (ELOOP,
**       EINVAL, EMLINK), so a tree another user can write cannot point the
**       copy at a file it could not read itself.
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

/* fs.read(path [, nofollow]) -> string | nil, msg, code */
static int fs_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int nofollow = lua_toboolean(L, 2) ? O_NOFOLLOW | O_NONBLOCK : 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | nofollow);
  if (fd < 0)
    return dbh_pusherrno(L, path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return dbh_pusherrno(L, path, e);
  }
  if (S_ISDIR(st.st_mode) || (nofollow && !S_ISREG(st.st_mode))) {
    close(fd);
    return dbh_pusherrno(L, path, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
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

/* fs.chmod(path, mode) -> true | nil, msg, code: a link is refused (ELOOP) */
static int fs_chmod(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  mode_t mode = (mode_t)luaL_checkinteger(L, 2);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return dbh_pusherrno(L, path, errno);
  int e = fchmod(fd, mode) == 0 ? 0 : errno;
  close(fd);
  if (e)
    return dbh_pusherrno(L, path, e);
  lua_pushboolean(L, 1);
  return 1;
}

/* fs.readlink(path) -> string | nil, msg, code */
static int fs_readlink(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char buf[PATH_MAX];
  ssize_t n = readlink(path, buf, sizeof buf);
  if (n < 0)
    return dbh_pusherrno(L, path, errno);
  if ((size_t)n >= sizeof buf)
    return dbh_pusherrno(L, path, ENAMETOOLONG);
  lua_pushlstring(L, buf, (size_t)n);
  return 1;
}

/* ------------------------------------------------------------- copytree */

typedef struct copy_job {
  uid_t uid;
  gid_t gid;
  int chown;
  char bad[PATH_MAX];  /* the entry a failure is about (relative to the source) */
} copy_job;

/* Copy the bytes of in to out. */
static int copy_bytes(int in, int out) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (n == 0)
      return 0;
    if (write_all(out, buf, (size_t)n) != 0)
      return -1;
  }
}

/* Give a new entry the source's mode and the job's owner. */
static int finish_entry(const copy_job *j, int fd, mode_t mode) {
  if (fchmod(fd, mode & 07777) != 0)
    return -1;
  if (j->chown && fchown(fd, j->uid, j->gid) != 0)
    return -1;
  return 0;
}

static void note_bad(copy_job *j, const char *rel, const char *name) {
  snprintf(j->bad, sizeof j->bad, "%s%s%s", rel, *rel ? "/" : "", name);
}

/* Copy regular file sdir/name to ddir/name (created exclusively). */
static int copy_file_at(copy_job *j, int sdir, int ddir, const char *name) {
  int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (in < 0)
    return -1;
  struct stat st;
  int e = 0, out = -1;
  if (fstat(in, &st) != 0)
    e = errno;
  else if (!S_ISREG(st.st_mode))
    e = EINVAL;
  else if (st.st_nlink > 1)
    e = EMLINK;  /* a hard link may name a file its owner could not read */
  if (!e && (out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
    e = errno;
  if (!e && (copy_bytes(in, out) != 0 || finish_entry(j, out, st.st_mode) != 0))
    e = errno;
  if (out >= 0 && close(out) != 0 && !e)
    e = errno;
  close(in);
  errno = e;
  return e ? -1 : 0;
}

/* Copy the contents of directory sdir into ddir; rel names sdir for messages. */
static int copy_dir(copy_job *j, int sdir, int ddir, const char *rel, int depth) {
  if (depth > 64) {
    errno = ELOOP;
    return -1;
  }
  int fd = dup(sdir);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (!d) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  rewinddir(d);
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
    const char *name = de->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    struct stat st;
    note_bad(j, rel, name);
    if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      rc = -1;
    } else if (S_ISREG(st.st_mode)) {
      rc = copy_file_at(j, sdir, ddir, name);
    } else if (S_ISDIR(st.st_mode)) {
      int s2 = -1, d2 = -1;
      char sub[PATH_MAX];
      snprintf(sub, sizeof sub, "%s", j->bad);
      if (mkdirat(ddir, name, 0700) != 0 ||
          (s2 = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
          (d2 = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
          copy_dir(j, s2, d2, sub, depth + 1) != 0 || finish_entry(j, d2, st.st_mode) != 0)
        rc = -1;
      int e = errno;
      if (s2 >= 0)
        close(s2);
      if (d2 >= 0)
        close(d2);
      errno = e;
    } else {
      errno = S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
      rc = -1;
    }
  }
  int e = errno;
  closedir(d);
  errno = e;
  if (rc == 0 && errno != 0)
    rc = -1;  /* readdir failed */
  return rc;
}

/* fs.copytree(from, to [, uid, gid]) -> true | nil, msg, code */
static int fs_copytree(lua_State *L) {
  const char *from = luaL_checkstring(L, 1);
  const char *to = luaL_checkstring(L, 2);
  copy_job j = {0};
  if (!lua_isnoneornil(L, 3)) {
    j.chown = 1;
    j.uid = (uid_t)luaL_checkinteger(L, 3);
    j.gid = (gid_t)luaL_checkinteger(L, 4);
  }
  int sfd = open(from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sfd < 0)
    return dbh_pusherrno(L, from, errno);
  struct stat st;
  if (fstat(sfd, &st) != 0 || mkdir(to, 0700) != 0) {
    int e = errno;
    close(sfd);
    return dbh_pusherrno(L, to, e);
  }
  int dfd = open(to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int rc = dfd < 0 ? -1 : copy_dir(&j, sfd, dfd, "", 0);
  if (rc == 0)
    j.bad[0] = '\0';
  if (rc == 0 && finish_entry(&j, dfd, st.st_mode) != 0)
    rc = -1;
  int e = errno;
  if (dfd >= 0)
    close(dfd);
  close(sfd);
  if (rc != 0) {
    if (j.bad[0])
      return dbh_pusherrno(L, lua_pushfstring(L, "copying %s/%s", from, j.bad), e);
    return dbh_pusherrno(L, lua_pushfstring(L, "copying %s to %s", from, to), e);
  }
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
    {"isatty", fs_isatty},   {"chmod", fs_chmod},   {"readlink", fs_readlink},
    {"copytree", fs_copytree},
    {NULL, NULL},
  };
  luaL_newlib(L, funcs);
  return 1;
}
