/*
 * kmip-load: a lean closed-loop KMIP load generator in C over OpenSSL, for
 * `npm run bench -- --client native` (bench/load/native-client.ts builds and drives it).
 *
 * Why it exists: on a 2-CPU machine the load generator shares the CPUs with the server under
 * test, and the Node.js generator (bench/load/scenarios.ts) spends 50-80 us of CPU per request
 * (TLS, streams, parsing the response), a third of all the CPU a request costs. This one spends
 * a fraction of that, so more of the machine goes to the server, as it would when clients sit on
 * other machines. It does what the Node.js generator does for persistent connections:
 *
 *   - N mutual-TLS connections to 127.0.0.1:PORT (server name "localhost", verified against the
 *     CA), TLS 1.2 or 1.3;
 *   - closed loop: each connection sends its next request (the same pre-encoded bytes) only when
 *     the whole previous response has arrived (8-byte TTLV header: tag, type, 4-byte length);
 *   - every response is checked: a Response Message whose items' lengths are consistent, with
 *     exactly one Batch Item whose Result Status is Success (0); anything else is an error;
 *   - warm-up, then a measured window; only requests that start and finish inside the window
 *     count, for rate and latency (exact percentiles, nearest rank); no new request starts after
 *     the window, and one still in flight 10 s later is abandoned.
 *
 * With --connect-per-op (and optionally --resume) each of N threads instead opens a new TCP
 * connection and TLS session per request (offering its previous session when resuming), sends
 * one request, reads and checks the response, and closes (close_notify), as appliances do; the
 * latency is from connect to response, and handshakes (full or resumed, and their latency) are
 * counted as well.
 *
 * Output on stdout, one line each: "start NS" and "end NS" as the window opens and closes
 * (CLOCK_MONOTONIC, the clock of Node's process.hrtime, so the caller can take the server's CPU
 * then), then "result {json}".
 *
 * Usage: kmip-load --port P --ca F --cert F --key F --request F --connections N
 *                  --warmup-ms MS --duration-ms MS [--max-ops N] [--tls12]
 *                  [--connect-per-op [--resume]]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEADER 8
#define MAX_RESPONSE (1u << 20)
#define MAX_CONNECTIONS 1024
#define DRAIN_NS 10000000000ull

typedef struct {
  int fd;
  SSL *ssl;
  unsigned char *buf;
  size_t have;
  uint64_t t0;
  int in_flight;
  int dead;
} conn_t;

static const unsigned char *request;
static size_t request_len;
static uint64_t warm_end, window_end;
static uint64_t *lat;
static size_t lat_n, max_ops;
static unsigned long errors;
static char first_error[256];

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what) {
  fprintf(stderr, "kmip-load: %s", what);
  unsigned long e;
  while ((e = ERR_get_error()) != 0) fprintf(stderr, ": %s", ERR_error_string(e, NULL));
  if (errno != 0) fprintf(stderr, " (%s)", strerror(errno));
  fputc('\n', stderr);
  exit(2);
}

/* Guards the figures below in --connect-per-op mode, where N threads record into them. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *hs_lat;
static size_t hs_n;
static unsigned long hs_full, hs_resumed;

/* Callers in --connect-per-op mode hold `mu`. */
static void note_error(const char *what) {
  errors++;
  if (first_error[0] == '\0') snprintf(first_error, sizeof first_error, "%s", what);
}

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint32_t tag_of(const unsigned char *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }

/*
 * Walks the items of the structure value b[from, to): every item's padded length (a multiple of
 * 8, KMIP 1.4 section 9.1.1.3) must fit. Counts Batch Items (0x42000F) and, inside each, reads the
 * Result Status (0x42007F, an Enumeration of length 4). Returns an error text or NULL.
 */
static const char *check_response(const unsigned char *b, size_t n) {
  if (n < HEADER || tag_of(b) != 0x42007B || b[3] != 0x01) return "not a Response Message structure";
  size_t end = HEADER + be32(b + 4);
  if (end != n) return "Response Message length does not match the frame";
  int items = 0;
  long status = -1;
  for (size_t p = HEADER; p < end;) {
    if (end - p < HEADER) return "truncated item in the Response Message";
    uint32_t len = be32(b + p + 4);
    size_t padded = ((size_t)len + 7) & ~(size_t)7;
    if (padded > end - p - HEADER) return "an item overruns the Response Message";
    if (tag_of(b + p) == 0x42000F) {
      if (b[p + 3] != 0x01) return "Batch Item is not a structure";
      items++;
      for (size_t q = p + HEADER, qe = p + HEADER + len; q < qe;) {
        if (qe - q < HEADER) return "truncated item in a Batch Item";
        uint32_t len2 = be32(b + q + 4);
        size_t padded2 = ((size_t)len2 + 7) & ~(size_t)7;
        if (padded2 > qe - q - HEADER) return "an item overruns its Batch Item";
        if (tag_of(b + q) == 0x42007F) {
          if (b[q + 3] != 0x05 || len2 != 4) return "Result Status is not an Enumeration";
          status = be32(b + q + HEADER);
        }
        q += HEADER + padded2;
      }
    }
    p += HEADER + padded;
  }
  if (items != 1) return "expected exactly one Batch Item";
  if (status != 0) return "Result Status is not Success";
  return NULL;
}

static SSL_CTX *make_ctx(const char *ca, const char *cert, const char *key, int tls12) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == NULL) die("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) die("loading the CA certificate");
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) die("loading the client certificate");
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) die("loading the client key");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  /* One read(2) takes whatever has arrived, instead of one for a record's header and one for its body. */
  SSL_CTX_set_read_ahead(ctx, 1);
  return ctx;
}

/* Blocking TCP connect and TLS handshake; the socket is non-blocking afterwards. */
static void open_conn(conn_t *c, SSL_CTX *ctx, int port) {
  memset(c, 0, sizeof *c);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0) die("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect to 127.0.0.1");
  c->ssl = SSL_new(ctx);
  SSL_set_tlsext_host_name(c->ssl, "localhost");
  SSL_set1_host(c->ssl, "localhost");
  SSL_set_fd(c->ssl, c->fd);
  if (SSL_connect(c->ssl) != 1) die("TLS handshake");
  int fl = fcntl(c->fd, F_GETFL);
  fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
  c->buf = malloc(MAX_RESPONSE);
  if (c->buf == NULL) die("malloc");
}

static void kill_conn(conn_t *c, const char *why, uint64_t t) {
  if (c->in_flight && c->t0 >= warm_end && t <= window_end) note_error(why);
  else if (c->in_flight && t < warm_end) note_error(why);
  c->dead = 1;
  c->in_flight = 0;
  close(c->fd);
}

/* Sends the request; SSL_write is all-or-nothing, retried while the socket is full. */
static void send_request(conn_t *c) {
  c->t0 = now_ns();
  c->have = 0;
  c->in_flight = 1;
  for (;;) {
    int r = SSL_write(c->ssl, request, (int)request_len);
    if (r > 0) return;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
      struct pollfd pfd = {.fd = c->fd, .events = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN};
      poll(&pfd, 1, 1000);
      continue;
    }
    kill_conn(c, "connection: write failed", now_ns());
    return;
  }
}

/* Reads what is there; returns 1 when a whole response has arrived. */
static int read_some(conn_t *c) {
  for (;;) {
    size_t want = MAX_RESPONSE - c->have;
    if (c->have >= HEADER) {
      size_t total = HEADER + (size_t)be32(c->buf + 4);
      if (total > MAX_RESPONSE) {
        kill_conn(c, "response larger than 1 MiB", now_ns());
        return 0;
      }
      if (c->have == total) return 1;
      want = total - c->have; /* never read past one response: only one is ever in flight */
    } else {
      want = HEADER - c->have;
    }
    int r = SSL_read(c->ssl, c->buf + c->have, (int)want);
    if (r > 0) {
      c->have += (size_t)r;
      continue;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    kill_conn(c, e == SSL_ERROR_ZERO_RETURN ? "connection: closed by server" : "connection: read failed", now_ns());
    return 0;
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples (ns), in microseconds. */
static double pct_us(const uint64_t *v, size_t n, double q) {
  if (n == 0) return 0;
  size_t rank = (size_t)(q / 100.0 * (double)n + 0.999999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return (double)v[rank - 1] / 1000.0;
}

static SSL_CTX *g_ctx;
static int g_port, g_resume;
/* The protocol the first completed handshake negotiated (under `mu`). */
static char protocol_seen[16] = "unknown";

/* One request on a connection of its own; returns an error text or NULL. */
static const char *one_connection(unsigned char *buf, SSL_SESSION **sess, uint64_t *handshaken, int *resumed) {
  const char *err = NULL;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "connection: socket failed";
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* A server that stops answering fails the request instead of hanging the thread. */
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return "connection: connect failed";
  }
  SSL *ssl = SSL_new(g_ctx);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_set1_host(ssl, "localhost");
  SSL_set_fd(ssl, fd);
  if (g_resume && *sess != NULL) SSL_set_session(ssl, *sess);
  if (SSL_connect(ssl) != 1) {
    err = "connection: TLS handshake failed";
  } else {
    *handshaken = now_ns();
    *resumed = SSL_session_reused(ssl);
    pthread_mutex_lock(&mu);
    if (strcmp(protocol_seen, "unknown") == 0) snprintf(protocol_seen, sizeof protocol_seen, "%s", SSL_get_version(ssl));
    pthread_mutex_unlock(&mu);
    if (SSL_write(ssl, request, (int)request_len) <= 0) {
      err = "connection: write failed";
    } else {
      size_t have = 0;
      for (;;) {
        size_t want = have < HEADER ? HEADER - have : HEADER + (size_t)be32(buf + 4) - have;
        if (have >= HEADER && HEADER + (size_t)be32(buf + 4) > MAX_RESPONSE) {
          err = "response larger than 1 MiB";
          break;
        }
        if (want == 0) break;
        int r = SSL_read(ssl, buf + have, (int)want);
        if (r <= 0) {
          err = "connection: read failed";
          break;
        }
        have += (size_t)r;
      }
      if (err == NULL) err = check_response(buf, have);
    }
    /* TLS 1.3 tickets arrive after the handshake; by now the response has been read past them. */
    if (g_resume) {
      SSL_SESSION *s = SSL_get1_session(ssl);
      if (s != NULL) {
        if (*sess != NULL) SSL_SESSION_free(*sess);
        *sess = s;
      }
    }
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  close(fd);
  return err;
}

static void *connect_worker(void *arg) {
  (void)arg;
  unsigned char *buf = malloc(MAX_RESPONSE);
  if (buf == NULL) die("malloc");
  SSL_SESSION *sess = NULL;
  for (;;) {
    uint64_t t0 = now_ns();
    if (t0 >= window_end) break;
    pthread_mutex_lock(&mu);
    int capped = lat_n >= max_ops;
    pthread_mutex_unlock(&mu);
    if (capped) break;
    uint64_t th = 0;
    int resumed = 0;
    const char *err = one_connection(buf, &sess, &th, &resumed);
    uint64_t t1 = now_ns();
    pthread_mutex_lock(&mu);
    if (th != 0 && t0 >= warm_end && th <= window_end && hs_n < max_ops) {
      hs_lat[hs_n++] = th - t0;
      if (resumed) hs_resumed++;
      else hs_full++;
    }
    if (t0 >= warm_end && t1 <= window_end) {
      if (err != NULL) note_error(err);
      else if (lat_n < max_ops) lat[lat_n++] = t1 - t0;
    } else if (err != NULL && t1 < warm_end) {
      note_error(err);
    }
    pthread_mutex_unlock(&mu);
    if (err != NULL) usleep(10000);
  }
  if (sess != NULL) SSL_SESSION_free(sess);
  free(buf);
  return NULL;
}

static void sleep_until(uint64_t t) {
  for (uint64_t n = now_ns(); n < t; n = now_ns()) {
    struct timespec ts = {.tv_sec = (time_t)((t - n) / 1000000000ull), .tv_nsec = (long)((t - n) % 1000000000ull)};
    nanosleep(&ts, NULL);
  }
}

/* --connect-per-op: N threads, each a closed loop of connect, one request, close. */
static void run_connect_per_op(int nconn) {
  hs_lat = malloc(max_ops * sizeof *hs_lat);
  if (hs_lat == NULL) die("malloc");
  pthread_t *threads = calloc((size_t)nconn, sizeof *threads);
  if (threads == NULL) die("calloc");
  for (int i = 0; i < nconn; i++)
    if (pthread_create(&threads[i], NULL, connect_worker, NULL) != 0) die("pthread_create");
  sleep_until(warm_end);
  double cpu0 = cpu_seconds();
  printf("start %llu\n", (unsigned long long)now_ns());
  fflush(stdout);
  sleep_until(window_end);
  double cpu1 = cpu_seconds();
  printf("end %llu\n", (unsigned long long)now_ns());
  fflush(stdout);
  for (int i = 0; i < nconn; i++) pthread_join(threads[i], NULL);
  double seconds = (double)(window_end - warm_end) / 1e9;
  qsort(lat, lat_n, sizeof *lat, cmp_u64);
  qsort(hs_lat, hs_n, sizeof *hs_lat, cmp_u64);
  printf("result {\"ops\":%zu,\"seconds\":%.6f,\"errors\":%lu,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"cpuSeconds\":%.6f,\"protocol\":\"%s\",\"firstError\":\"%s\","
         "\"handshakes\":{\"full\":%lu,\"resumed\":%lu,\"p50\":%.1f,\"p99\":%.1f}}\n",
         lat_n, seconds, errors, pct_us(lat, lat_n, 50), pct_us(lat, lat_n, 90), pct_us(lat, lat_n, 99), lat_n ? (double)lat[lat_n - 1] / 1000.0 : 0.0, cpu1 - cpu0,
         protocol_seen, first_error, hs_full, hs_resumed, pct_us(hs_lat, hs_n, 50), pct_us(hs_lat, hs_n, 99));
  free(threads);
  free(hs_lat);
}

int main(int argc, char **argv) {
  const char *ca = NULL, *cert = NULL, *key = NULL, *req_path = NULL;
  int port = 0, nconn = 16, tls12 = 0, per_op = 0;
  long warmup_ms = 2000, duration_ms = 8000;
  max_ops = 2000000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--tls12") == 0) { tls12 = 1; continue; }
    if (strcmp(a, "--connect-per-op") == 0) { per_op = 1; continue; }
    if (strcmp(a, "--resume") == 0) { g_resume = 1; continue; }
    if (v == NULL) { fprintf(stderr, "kmip-load: %s needs a value\n", a); return 2; }
    i++;
    if (strcmp(a, "--port") == 0) port = atoi(v);
    else if (strcmp(a, "--ca") == 0) ca = v;
    else if (strcmp(a, "--cert") == 0) cert = v;
    else if (strcmp(a, "--key") == 0) key = v;
    else if (strcmp(a, "--request") == 0) req_path = v;
    else if (strcmp(a, "--connections") == 0) nconn = atoi(v);
    else if (strcmp(a, "--warmup-ms") == 0) warmup_ms = atol(v);
    else if (strcmp(a, "--duration-ms") == 0) duration_ms = atol(v);
    else if (strcmp(a, "--max-ops") == 0) max_ops = (size_t)atol(v);
    else { fprintf(stderr, "kmip-load: unknown option %s\n", a); return 2; }
  }
  if (port <= 0 || port > 65535 || ca == NULL || cert == NULL || key == NULL || req_path == NULL || nconn < 1 || nconn > MAX_CONNECTIONS || warmup_ms < 0 ||
      duration_ms <= 0 || max_ops < 1) {
    fprintf(stderr, "kmip-load: bad or missing options (see the usage at the top of kmip-load.c)\n");
    return 2;
  }
  FILE *f = fopen(req_path, "rb");
  if (f == NULL) die("opening the request file");
  static unsigned char reqbuf[65536];
  request_len = fread(reqbuf, 1, sizeof reqbuf, f);
  fclose(f);
  if (request_len < HEADER || request_len != HEADER + be32(reqbuf + 4)) die("the request file is not one whole TTLV message");
  request = reqbuf;
  lat = malloc(max_ops * sizeof *lat);
  if (lat == NULL) die("malloc");

  /* A peer that closes while we write must give an error, not kill the process. */
  signal(SIGPIPE, SIG_IGN);
  SSL_CTX *ctx = make_ctx(ca, cert, key, tls12);
  if (per_op) {
    g_ctx = ctx;
    g_port = port;
    uint64_t t = now_ns();
    warm_end = t + (uint64_t)warmup_ms * 1000000ull;
    window_end = warm_end + (uint64_t)duration_ms * 1000000ull;
    run_connect_per_op(nconn);
    SSL_CTX_free(ctx);
    return 0;
  }
  conn_t *conns = calloc((size_t)nconn, sizeof *conns);
  int ep = epoll_create1(0);
  for (int i = 0; i < nconn; i++) {
    open_conn(&conns[i], ctx, port);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) != 0) die("epoll_ctl");
  }
  const char *protocol = SSL_get_version(conns[0].ssl);

  uint64_t start = now_ns();
  warm_end = start + (uint64_t)warmup_ms * 1000000ull;
  window_end = warm_end + (uint64_t)duration_ms * 1000000ull;
  int started = 0, ended = 0;
  double cpu0 = 0, cpu1 = 0;
  for (int i = 0; i < nconn; i++) send_request(&conns[i]);

  struct epoll_event evs[64];
  for (;;) {
    uint64_t t = now_ns();
    if (!started && t >= warm_end) {
      started = 1;
      cpu0 = cpu_seconds();
      printf("start %llu\n", (unsigned long long)t);
      fflush(stdout);
    }
    if (!ended && t >= window_end) {
      ended = 1;
      cpu1 = cpu_seconds();
      printf("end %llu\n", (unsigned long long)t);
      fflush(stdout);
    }
    int live = 0;
    for (int i = 0; i < nconn; i++) live += conns[i].in_flight;
    if (live == 0 && (ended || lat_n >= max_ops)) break;
    if (ended && t >= window_end + DRAIN_NS) break;
    uint64_t next = !started ? warm_end : !ended ? window_end : window_end + DRAIN_NS;
    int timeout = next > t ? (int)((next - t) / 1000000ull) + 1 : 0;
    int n = epoll_wait(ep, evs, 64, timeout);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int k = 0; k < n; k++) {
      conn_t *c = evs[k].data.ptr;
      if (c->dead) continue;
      if (!c->in_flight) {
        /* Application bytes with no request in flight are a protocol error. */
        unsigned char junk[256];
        if (SSL_read(c->ssl, junk, sizeof junk) > 0) {
          note_error("bytes from the server with no request in flight");
          c->dead = 1;
          close(c->fd);
        }
        continue;
      }
      if (!read_some(c)) continue;
      uint64_t t1 = now_ns();
      const char *err = check_response(c->buf, c->have);
      c->in_flight = 0;
      if (c->t0 >= warm_end && t1 <= window_end) {
        if (err != NULL) note_error(err);
        else if (lat_n < max_ops) lat[lat_n++] = t1 - c->t0;
      } else if (err != NULL && t1 < warm_end) {
        note_error(err);
      }
      if (t1 < window_end && lat_n < max_ops) send_request(c);
    }
  }
  uint64_t stop = now_ns();
  if (!ended) {
    cpu1 = cpu_seconds();
    printf("end %llu\n", (unsigned long long)stop);
  }
  double seconds = (double)((ended ? window_end : stop) - warm_end) / 1e9;
  qsort(lat, lat_n, sizeof *lat, cmp_u64);
  printf("result {\"ops\":%zu,\"seconds\":%.6f,\"errors\":%lu,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"cpuSeconds\":%.6f,\"protocol\":\"%s\",\"firstError\":\"%s\"}\n",
         lat_n, seconds, errors, pct_us(lat, lat_n, 50), pct_us(lat, lat_n, 90), pct_us(lat, lat_n, 99), lat_n ? (double)lat[lat_n - 1] / 1000.0 : 0.0, started ? cpu1 - cpu0 : 0.0, protocol,
         first_error);
  for (int i = 0; i < nconn; i++) {
    if (!conns[i].dead) {
      SSL_shutdown(conns[i].ssl);
      close(conns[i].fd);
    }
    SSL_free(conns[i].ssl);
    free(conns[i].buf);
  }
  SSL_CTX_free(ctx);
  return 0;
}
