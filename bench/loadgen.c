/*
 * loadgen: the benchmark's DCE/RPC load generator (`npm run bench` compiles it with `cc -O2`).
 * It is small C with one epoll loop so that the client is not what a figure measures: a
 * Node client costs about as much CPU per call as the server it measures.
 *
 * It speaks just enough connection-oriented DCE/RPC (C706 ch. 12) to bind one presentation
 * context without authentication (mgmt, afa8bd80-7d8a-11c9-bef4-08002b102989 v1.0, NDR20,
 * which every RPC endpoint answers, Samba's included) and send a request with an empty stub
 * (default opnum 2, mgmt is_server_listening: 24 bytes out, 32 back).
 *
 *   loadgen HOST PORT MODE CONNS MS [options]
 *   MODE  call     CONNS connections, each bound once, one call outstanding each (closed loop)
 *         connect  CONNS loops of connect, bind, call, close (each cycle timed whole)
 *         hold     CONNS connections bound and left idle; prints {"held":…} then waits for
 *                  stdin to close (the benchmark measures the server meanwhile)
 *   --warm MS      run this long before counting (call and connect)
 *   --opnum N      the request's opnum
 *   --src A.B N    spread client sockets over N source addresses A.B.x.y (loopback), so
 *                  per-source limits and the 4-tuple space are not what is measured
 *
 * Output: one JSON object on stdout: counts, rate, p50/p99 in microseconds and the latency
 * histogram as [microseconds, count] pairs (so that rounds can be merged exactly); and
 * `answered`, every call the server answered, warm-up included (what its CPU time paid for).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { S_CONNECTING, S_BIND, S_CALL, S_IDLE, S_DEAD };
enum { M_CALL, M_CONNECT, M_HOLD };

#define RXCAP 2048
#define HIST_US 1000000 /* latencies of a second or more share the last bucket */

struct conn {
  int fd;
  int state;
  uint32_t call_id;
  uint64_t t0;      /* start of the call (call mode) or of the cycle (connect mode) */
  uint32_t src;     /* source address, host order, 0 for none */
  uint32_t gen;     /* bumped at each open: a closed and reopened socket may reuse the fd number */
  uint16_t rxlen;
  uint8_t rx[RXCAP];
};

static struct sockaddr_in target;
static int mode, ep, opnum = 2;
static uint32_t *hist;
static uint64_t calls, errors, cycles, refused;
static uint64_t answered; /* every call answered, warm-up and stop included: the server's work for its CPU time */
static int counting;
static int stopping; /* past the deadline: answers are awaited, no new call or cycle begins */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The mgmt interface and NDR20, each as a syntax id on the wire (uuid with its first three fields little-endian, then version). */
static const uint8_t MGMT[20] = {0x80, 0xbd, 0xa8, 0xaf, 0x8a, 0x7d, 0xc9, 0x11, 0xbe, 0xf4, 0x08, 0x00, 0x2b, 0x10, 0x29, 0x89, 1, 0, 0, 0};
static const uint8_t NDR20[20] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2, 0, 0, 0};

static void put16(uint8_t *p, uint16_t v) { p[0] = v & 0xff; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get32(const uint8_t *p) { return get16(p) | ((uint32_t)get16(p + 2) << 16); }

static void header(uint8_t *p, uint8_t ptype, uint16_t len, uint32_t call_id) {
  memset(p, 0, 16);
  p[0] = 5;    /* rpc_vers */
  p[2] = ptype;
  p[3] = 3;    /* PFC_FIRST_FRAG | PFC_LAST_FRAG */
  p[4] = 0x10; /* little-endian, ASCII, IEEE */
  put16(p + 8, len);
  put32(p + 12, call_id);
}

static int send_all(struct conn *c, const uint8_t *p, size_t n) {
  /* A PDU of 72 bytes on an empty socket buffer is written whole or the connection is broken. */
  ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
  return w == (ssize_t)n ? 0 : -1;
}

static int send_bind(struct conn *c) {
  uint8_t p[72];
  header(p, 11, sizeof p, ++c->call_id);
  put16(p + 16, 5840); /* max_xmit_frag */
  put16(p + 18, 5840); /* max_recv_frag */
  put32(p + 20, 0);    /* assoc_group_id */
  p[24] = 1;           /* n_context_elem */
  p[25] = p[26] = p[27] = 0;
  put16(p + 28, 0);    /* p_cont_id */
  p[30] = 1;           /* n_transfer_syn */
  p[31] = 0;
  memcpy(p + 32, MGMT, 20);
  memcpy(p + 52, NDR20, 20);
  return send_all(c, p, sizeof p);
}

static int send_request(struct conn *c) {
  uint8_t p[24];
  header(p, 0, sizeof p, ++c->call_id);
  put32(p + 16, 0);     /* alloc_hint */
  put16(p + 20, 0);     /* p_cont_id */
  put16(p + 22, (uint16_t)opnum);
  if (mode != M_CONNECT) c->t0 = now_ns();
  return send_all(c, p, sizeof p);
}

static void record(uint64_t t0) {
  if (!counting) return;
  uint64_t us = (now_ns() - t0) / 1000;
  hist[us < HIST_US ? us : HIST_US - 1]++;
}

static int open_conn(struct conn *c) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) return -1;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (c->src) {
    /* The port is chosen at connect() with the whole 4-tuple in view, not at bind(). */
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(c->src)};
    if (bind(c->fd, (struct sockaddr *)&a, sizeof a) < 0) { close(c->fd); return -1; }
  }
  c->rxlen = 0;
  c->call_id = 0;
  c->gen++;
  c->state = S_CONNECTING;
  if (mode == M_CONNECT) c->t0 = now_ns();
  int r = connect(c->fd, (struct sockaddr *)&target, sizeof target);
  if (r < 0 && errno != EINPROGRESS) { close(c->fd); return -1; }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c};
  return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void close_conn(struct conn *c) {
  close(c->fd); /* also leaves the epoll set */
  c->fd = -1;
  c->state = S_DEAD;
}

/* A broken connection: counted; call and connect mode open another in its place. */
static void fail(struct conn *c) {
  if (counting) errors++;
  close_conn(c);
  if (mode != M_HOLD && !stopping) {
    if (open_conn(c) < 0) c->state = S_DEAD;
  }
}

/* bind_ack: accepted when the first p_result's result is 0 (acceptance). */
static int bind_accepted(const uint8_t *p, uint16_t len) {
  if (len < 28) return 0;
  uint16_t sec = get16(p + 24);
  size_t off = 26 + sec;
  off = (off + 3) & ~(size_t)3;
  if (off + 6 > len || p[off] < 1) return 0;
  return get16(p + off + 4) == 0;
}

static void on_pdu(struct conn *c, const uint8_t *p, uint16_t len) {
  uint8_t ptype = p[2];
  if (get32(p + 12) != c->call_id) { fail(c); return; }
  if (c->state == S_BIND) {
    if (ptype != 12 || !bind_accepted(p, len)) { if (counting) refused++; fail(c); return; }
    if (mode == M_HOLD || stopping) { c->state = S_IDLE; return; }
    c->state = S_CALL;
    if (send_request(c) < 0) fail(c);
    return;
  }
  if (c->state == S_CALL) {
    if (ptype != 2) { fail(c); return; }
    answered++;
    record(c->t0);
    if (stopping) {
      if (mode == M_CONNECT) close_conn(c);
      else c->state = S_IDLE;
      return;
    }
    if (mode == M_CONNECT) {
      if (counting) cycles++;
      close_conn(c);
      if (open_conn(c) < 0) c->state = S_DEAD;
      return;
    }
    if (counting) calls++;
    if (send_request(c) < 0) fail(c);
    return;
  }
  fail(c);
}

static void on_event(struct conn *c, uint32_t events) {
  if (c->state == S_CONNECTING) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) { fail(c); return; }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->state = S_BIND;
    if (send_bind(c) < 0) fail(c);
    return;
  }
  if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))) return;
  for (;;) {
    ssize_t r = recv(c->fd, c->rx + c->rxlen, RXCAP - c->rxlen, 0);
    if (r == 0) { fail(c); return; }
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      fail(c);
      return;
    }
    c->rxlen += (uint16_t)r;
    while (c->rxlen >= 16) {
      uint16_t fl = get16(c->rx + 8);
      if (fl < 16 || fl > RXCAP) { fail(c); return; }
      if (c->rxlen < fl) break;
      uint32_t gen = c->gen;
      on_pdu(c, c->rx, fl);
      if (c->gen != gen || c->state == S_DEAD) return; /* closed (and maybe reopened) */
      memmove(c->rx, c->rx + fl, c->rxlen - fl);
      c->rxlen -= fl;
    }
  }
}

static void loop_until(uint64_t deadline, struct conn *cs) {
  (void)cs;
  struct epoll_event evs[256];
  while (now_ns() < deadline) {
    int n = epoll_wait(ep, evs, 256, 50);
    for (int i = 0; i < n; i++) on_event((struct conn *)evs[i].data.ptr, evs[i].events);
  }
}

static uint64_t pct(uint64_t total, double p) {
  uint64_t want = (uint64_t)(total * p), seen = 0;
  for (uint64_t us = 0; us < HIST_US; us++) {
    seen += hist[us];
    if (seen > want) return us;
  }
  return HIST_US;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: loadgen HOST PORT call|connect|hold CONNS MS [--warm MS] [--opnum N] [--src A.B N]\n");
    return 2;
  }
  target.sin_family = AF_INET;
  target.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1) { fprintf(stderr, "loadgen: bad host %s\n", argv[1]); return 2; }
  mode = !strcmp(argv[3], "call") ? M_CALL : !strcmp(argv[3], "connect") ? M_CONNECT : !strcmp(argv[3], "hold") ? M_HOLD : -1;
  if (mode < 0) { fprintf(stderr, "loadgen: mode must be call, connect or hold\n"); return 2; }
  int n = atoi(argv[4]);
  int ms = atoi(argv[5]);
  int warm = 0, srcs = 0;
  uint32_t srcnet = 0;
  for (int i = 6; i < argc; i++) {
    if (!strcmp(argv[i], "--warm") && i + 1 < argc) warm = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--opnum") && i + 1 < argc) opnum = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--src") && i + 2 < argc) {
      unsigned a, b;
      if (sscanf(argv[++i], "%u.%u", &a, &b) != 2) { fprintf(stderr, "loadgen: --src A.B N\n"); return 2; }
      srcnet = (a << 24) | (b << 16);
      srcs = atoi(argv[++i]);
    } else { fprintf(stderr, "loadgen: unknown option %s\n", argv[i]); return 2; }
  }
  if (n < 1 || ms < 0 || srcs < 0 || srcs > 250 * 250) { fprintf(stderr, "loadgen: bad numbers\n"); return 2; }
  hist = calloc(HIST_US, sizeof *hist);
  struct conn *cs = calloc((size_t)n, sizeof *cs);
  if (!hist || !cs) { fprintf(stderr, "loadgen: out of memory\n"); return 1; }
  ep = epoll_create1(EPOLL_CLOEXEC);
  uint64_t t_open = now_ns();
  for (int i = 0; i < n; i++) {
    cs[i].src = srcs ? srcnet | (uint32_t)((i % srcs) / 250) << 8 | (uint32_t)((i % srcs) % 250 + 1) : 0;
    if (open_conn(&cs[i]) < 0) { errors++; cs[i].state = S_DEAD; }
  }

  if (mode == M_HOLD) {
    /* Until every connection is bound (or broken), or 20 s. */
    counting = 1;
    struct epoll_event evs[256];
    for (;;) {
      int pending = 0;
      for (int i = 0; i < n; i++) pending += cs[i].state == S_CONNECTING || cs[i].state == S_BIND;
      if (!pending || now_ns() - t_open > 20000000000ull) break;
      int k = epoll_wait(ep, evs, 256, 50);
      for (int i = 0; i < k; i++) on_event((struct conn *)evs[i].data.ptr, evs[i].events);
    }
    int held = 0;
    for (int i = 0; i < n; i++) held += cs[i].state == S_IDLE;
    printf("{\"mode\":\"hold\",\"connections\":%d,\"held\":%d,\"errors\":%llu,\"refused\":%llu,\"sources\":%d,\"openMs\":%llu}\n", n, held,
           (unsigned long long)errors, (unsigned long long)refused, srcs, (unsigned long long)((now_ns() - t_open) / 1000000));
    fflush(stdout);
    /* Hold, answering nothing, until the benchmark closes our stdin; then report what the server closed meanwhile. */
    struct pollfd pin = {.fd = 0, .events = POLLIN};
    char buf[64];
    for (;;) {
      if (poll(&pin, 1, 200) > 0 && read(0, buf, sizeof buf) <= 0) break;
      int k = epoll_wait(ep, evs, 256, 0);
      for (int i = 0; i < k; i++) on_event((struct conn *)evs[i].data.ptr, evs[i].events);
    }
    held = 0;
    for (int i = 0; i < n; i++) held += cs[i].state == S_IDLE;
    fprintf(stderr, "loadgen: %d still held at the end\n", held);
    return 0;
  }

  loop_until(now_ns() + (uint64_t)warm * 1000000u, cs);
  counting = 1;
  uint64_t t0 = now_ns();
  loop_until(t0 + (uint64_t)ms * 1000000u, cs);
  double secs = (now_ns() - t0) / 1e9;
  counting = 0;
  int alive = 0;
  for (int i = 0; i < n; i++) alive += cs[i].state != S_DEAD;
  /* The answers still due are read (for up to a second) before the sockets close, so that the
     server sees each connection end with a FIN after its last answer, not a reset. */
  stopping = 1;
  struct epoll_event evs[256];
  for (uint64_t until = now_ns() + 1000000000u; now_ns() < until;) {
    int busy = 0;
    for (int i = 0; i < n; i++) busy += cs[i].state == S_CONNECTING || cs[i].state == S_BIND || cs[i].state == S_CALL;
    if (!busy) break;
    int k = epoll_wait(ep, evs, 256, 50);
    for (int i = 0; i < k; i++) on_event((struct conn *)evs[i].data.ptr, evs[i].events);
  }
  for (int i = 0; i < n; i++)
    if (cs[i].state != S_DEAD) close_conn(&cs[i]);
  uint64_t done = mode == M_CALL ? calls : cycles;
  printf("{\"mode\":\"%s\",\"connections\":%d,\"alive\":%d,\"seconds\":%.6f,\"%s\":%llu,\"perSecond\":%.1f,\"errors\":%llu,\"refused\":%llu,\"p50us\":%llu,\"p99us\":%llu,\"answered\":%llu,\"hist\":[",
         argv[3], n, alive, secs, mode == M_CALL ? "calls" : "cycles", (unsigned long long)done, done / secs, (unsigned long long)errors,
         (unsigned long long)refused, (unsigned long long)pct(done, 0.5), (unsigned long long)pct(done, 0.99), (unsigned long long)answered);
  int first = 1;
  for (uint64_t us = 0; us < HIST_US; us++)
    if (hist[us]) {
      printf("%s[%llu,%u]", first ? "" : ",", (unsigned long long)us, hist[us]);
      first = 0;
    }
  printf("]}\n");
  return 0;
}
