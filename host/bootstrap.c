/*
** bootstrap.c: the Lambda custom runtime's entry point.
**
** Lambda runs an executable named `bootstrap` from the function code or a
** layer (/opt/bootstrap). This one finds the dbhost binary beside it, in
** bin/dbhost of the same folder, and runs `dbhost lambda runtime`, which
** serves the Runtime API loop. It names no absolute path, so the layer works
** from whatever folder it is extracted to; it links nothing but libc.
**
** A start-up failure must reach Lambda as POST /runtime/init/error, not only
** as a log line. dbhost posts its own (a handler that does not load), but it
** cannot when it never starts: bin/dbhost missing or not executable (execv
** fails) or the dynamic loader failing on it (a shared library missing or
** needing a newer glibc: ld.so prints and exits 127 after the exec has
** replaced the process). So bootstrap forks: the child execs dbhost, the
** parent relays the child's stderr to its own (keeping the last lines),
** waits, and when the exec failed or the loader gave up it posts init/error
** itself, with a minimal HTTP/1.1 POST over a plain TCP socket to the
** host:port in AWS_LAMBDA_RUNTIME_API (no libcurl: it may be the library that
** failed to load). The exit status is the child's, or 1.
**
** The child dies with the parent (PR_SET_PDEATHSIG), and SIGTERM/SIGINT sent
** to bootstrap are passed on to it.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The Runtime API's route for start-up failures and the error type posted. */
#define INIT_ERROR_PATH "/2018-06-01/runtime/init/error"
#define INIT_ERROR_TYPE "Runtime.InitError"
/* How much of the child's stderr is kept for the error message. */
#define TAIL_SIZE 1024
/* Seconds allowed for connecting, sending and reading the answer. */
#define HTTP_TIMEOUT 5

static volatile sig_atomic_t child_pid = 0;

/* SIGTERM/SIGINT to bootstrap: passed on to dbhost. */
static void forward_signal(int sig) {
  if (child_pid > 0)
    kill((pid_t)child_pid, sig);
}

/* The last TAIL_SIZE bytes written through it (a ring, flattened by tail_text). */
typedef struct {
  char buf[TAIL_SIZE];
  size_t len;   /* bytes held, <= TAIL_SIZE */
  size_t start; /* index of the oldest byte */
} Tail;

static void tail_add(Tail *t, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (t->len < TAIL_SIZE) {
      t->buf[(t->start + t->len++) % TAIL_SIZE] = s[i];
    } else {
      t->buf[t->start] = s[i];
      t->start = (t->start + 1) % TAIL_SIZE;
    }
  }
}

/* Copies the kept bytes into out (size > TAIL_SIZE), without the trailing newlines. */
static void tail_text(const Tail *t, char *out) {
  size_t n = 0;
  for (size_t i = 0; i < t->len; i++)
    out[n++] = t->buf[(t->start + i) % TAIL_SIZE];
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
    n--;
  out[n] = '\0';
}

/* Appends s to out (capacity cap, NUL-terminated) as the inside of a JSON string. */
static void json_escape(char *out, size_t cap, const char *s) {
  size_t n = strlen(out);
  for (; *s && n + 7 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c == '\n') {
      out[n++] = '\\';
      out[n++] = 'n';
    } else if (c < 0x20 || c == 0x7f) {
      n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
    } else {
      out[n++] = (char)c;
    }
  }
  out[n] = '\0';
}

/* Writes all of buf to fd; 0 on success, -1 on error. */
static int write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/* A socket connected to "host:port" ("[v6]:port" too), or -1 with a message in err. */
static int connect_to(const char *address, char *err, size_t errsize) {
  char host[256];
  const char *port;
  if (address[0] == '[') {
    const char *close = strchr(address, ']');
    if (!close || close[1] != ':' || (size_t)(close - address - 1) >= sizeof host) {
      snprintf(err, errsize, "AWS_LAMBDA_RUNTIME_API %s is not host:port", address);
      return -1;
    }
    memcpy(host, address + 1, (size_t)(close - address - 1));
    host[close - address - 1] = '\0';
    port = close + 2;
  } else {
    const char *colon = strrchr(address, ':');
    if (!colon || colon == address || (size_t)(colon - address) >= sizeof host) {
      snprintf(err, errsize, "AWS_LAMBDA_RUNTIME_API %s is not host:port", address);
      return -1;
    }
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    port = colon + 1;
  }
  struct addrinfo hints = {0}, *list = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(host, port, &hints, &list);
  if (rc != 0) {
    snprintf(err, errsize, "cannot resolve %s: %s", address, gai_strerror(rc));
    return -1;
  }
  int fd = -1, saved = 0;
  for (struct addrinfo *a = list; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    /* on Linux the send timeout bounds connect() as well */
    struct timeval tv = {HTTP_TIMEOUT, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
      break;
    saved = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(list);
  if (fd < 0)
    snprintf(err, errsize, "cannot connect to %s: %s", address, strerror(saved));
  return fd;
}

/*
** POSTs {"errorMessage": message, "errorType": INIT_ERROR_TYPE, "stackTrace": []}
** to the Runtime API's /runtime/init/error. 0 when it answered 2xx, else -1
** (said on stderr).
*/
static int post_init_error(const char *message) {
  const char *address = getenv("AWS_LAMBDA_RUNTIME_API");
  if (!address || !*address) {
    fprintf(stderr, "bootstrap: AWS_LAMBDA_RUNTIME_API is not set: the error is not reported to Lambda\n");
    return -1;
  }
  char body[8192] = "{\"errorMessage\":\"";
  json_escape(body, sizeof body - 64, message);
  strcat(body, "\",\"errorType\":\"" INIT_ERROR_TYPE "\",\"stackTrace\":[]}");
  char head[512];
  int hn = snprintf(head, sizeof head,
                    "POST " INIT_ERROR_PATH " HTTP/1.1\r\n"
                    "Host: %.200s\r\n"
                    "Content-Type: application/json\r\n"
                    "Lambda-Runtime-Function-Error-Type: " INIT_ERROR_TYPE "\r\n"
                    "Content-Length: %zu\r\n"
                    "Connection: close\r\n\r\n",
                    address, strlen(body));
  if (hn < 0 || (size_t)hn >= sizeof head) {
    fprintf(stderr, "bootstrap: AWS_LAMBDA_RUNTIME_API is too long\n");
    return -1;
  }
  char err[512];
  int fd = connect_to(address, err, sizeof err);
  if (fd < 0) {
    fprintf(stderr, "bootstrap: cannot post init/error: %s\n", err);
    return -1;
  }
  if (write_all(fd, head, (size_t)hn) < 0 || write_all(fd, body, strlen(body)) < 0) {
    fprintf(stderr, "bootstrap: cannot post init/error to %s: %s\n", address, strerror(errno));
    close(fd);
    return -1;
  }
  /* the status line is all that matters: "HTTP/1.1 202 Accepted" */
  char answer[256];
  size_t got = 0;
  while (got < sizeof answer - 1) {
    ssize_t r = read(fd, answer + got, sizeof answer - 1 - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
    if (memchr(answer, '\n', got))
      break;
  }
  close(fd);
  answer[got] = '\0';
  int status = 0;
  if (sscanf(answer, "HTTP/%*d.%*d %d", &status) != 1) {
    fprintf(stderr, "bootstrap: init/error got no HTTP answer from %s\n", address);
    return -1;
  }
  if (status < 200 || status > 299) {
    answer[strcspn(answer, "\r\n")] = '\0';
    fprintf(stderr, "bootstrap: init/error: %s answered %s\n", address, answer);
    return -1;
  }
  return 0;
}

/* Reports a start-up failure: on stderr, then to the Runtime API. Returns 1. */
static int init_failed(const char *message) {
  fprintf(stderr, "bootstrap: %s\n", message);
  post_init_error(message);
  return 1;
}

int main(void) {
  char self[PATH_MAX];
  char message[PATH_MAX + TAIL_SIZE + 256];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0 || (size_t)n >= sizeof self - 16) {
    snprintf(message, sizeof message, "cannot find its own path (/proc/self/exe): %s", strerror(errno));
    return init_failed(message);
  }
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (!slash)
    return init_failed("/proc/self/exe is not an absolute path");
  char path[PATH_MAX];
  int len = snprintf(path, sizeof path, "%.*s/bin/dbhost", (int)(slash - self), self);
  if (len < 0 || (size_t)len >= sizeof path)
    return init_failed("the path of bin/dbhost is too long");

  /* errpipe: the child's exec errno (closed unwritten by a successful exec);
     outpipe: the child's stderr, relayed by the parent */
  int errpipe[2], outpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0 || pipe2(outpipe, O_CLOEXEC) != 0) {
    snprintf(message, sizeof message, "cannot create a pipe: %s", strerror(errno));
    return init_failed(message);
  }
  pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(message, sizeof message, "cannot fork: %s", strerror(errno));
    return init_failed(message);
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(1); /* the parent is already gone */
    if (dup2(outpipe[1], STDERR_FILENO) < 0)
      _exit(1);
    char *args[] = {"dbhost", "lambda", "runtime", NULL};
    execv(path, args);
    int e = errno;
    ssize_t w = write(errpipe[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  child_pid = pid;
  close(errpipe[1]);
  close(outpipe[1]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  /* the exec's outcome first: an errno, or EOF once dbhost runs */
  int exec_errno = 0;
  ssize_t r;
  do {
    r = read(errpipe[0], &exec_errno, sizeof exec_errno);
  } while (r < 0 && errno == EINTR);
  close(errpipe[0]);
  if (r != (ssize_t)sizeof exec_errno)
    exec_errno = 0;

  /* relay dbhost's stderr until it closes (it exits), keeping the tail */
  static Tail tail;
  char buf[4096];
  for (;;) {
    r = read(outpipe[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    tail_add(&tail, buf, (size_t)r);
    if (write_all(STDERR_FILENO, buf, (size_t)r) < 0) {
      /* nowhere to log: keep draining so dbhost never blocks on a full pipe */
    }
  }
  close(outpipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      status = 0;
      break;
    }
  }
  child_pid = 0;

  if (exec_errno != 0) {
    snprintf(message, sizeof message, "cannot run %s: %s", path, strerror(exec_errno));
    return init_failed(message);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    /* ld.so's status: dbhost never reached main (a library missing or too new) */
    char text[TAIL_SIZE + 1];
    tail_text(&tail, text);
    snprintf(message, sizeof message, "%s could not start (the dynamic loader gave up, exit 127): %s",
             path, *text ? text : "(no message)");
    return init_failed(message);
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
