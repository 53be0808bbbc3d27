/*
** bootstrap.c: the Lambda custom runtime's entry point.
**
** Lambda runs an executable named `bootstrap` from the function code or a
** layer (/opt/bootstrap). This one finds the dbhost binary beside it, in
** bin/dbhost of the same folder, and execs `dbhost lambda runtime`, which
** runs the Runtime API loop. It names no absolute path, so the layer works
** from whatever folder it is extracted to; it links nothing but libc.
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  (void)argc;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0 || (size_t)n >= sizeof self - 16) {
    fprintf(stderr, "bootstrap: cannot find its own path (/proc/self/exe): %s\n", strerror(errno));
    return 1;
  }
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (!slash)
    return 1;
  char path[PATH_MAX];
  int len = snprintf(path, sizeof path, "%.*s/bin/dbhost", (int)(slash - self), self);
  if (len < 0 || (size_t)len >= sizeof path) {
    fprintf(stderr, "bootstrap: path too long\n");
    return 1;
  }
  char *args[] = {"dbhost", "lambda", "runtime", NULL};
  (void)argv;
  execv(path, args);
  fprintf(stderr, "bootstrap: cannot run %s: %s\n", path, strerror(errno));
  return 1;
}
