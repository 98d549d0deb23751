/*
 * activation-gen: the benchmark's DCOM activation load generator (`npm run bench` compiles it
 * with `cc -O2 -pthread`), so that the activation figure measures scmpd, not a Node client
 * that spends more CPU per activation than the server it measures.
 *
 * Each of CONNS threads loops, on blocking sockets, through what bench/run.ts's Node client
 * does (src/client/activation.ts) with the same octets where they are constant:
 *
 *   1. connect to PORT; bind IRemoteSCMActivator with NTLM at packet integrity (bind carrying
 *      NEGOTIATE, bind_ack carrying CHALLENGE, rpc_auth_3 carrying an NTLMv2 AUTHENTICATE
 *      with key exchange and a MIC, MS-NLMP 3.1.5); signed RemoteCreateInstance; close;
 *   2. connect to OBJPORT; bind IRemUnknown the same way; signed RemRelease of the public
 *      references the activation handed out, on the exporter's ipidRemUnknown; close.
 *
 * The cycle is timed whole. What does not change between activations comes from the
 * benchmark in SCRIPT (hex lines written by bench/activation-gen.ts from the project's own
 * encoders): the two bind PDUs with their NEGOTIATE token, the two request stubs with their
 * verification trailers (call_id 2 on each new connection), where RemRelease's
 * REMINTERFACEREF lies in its stub, the exporter's ipidRemUnknown, the NTLMv2 response key
 * and the names. The generator computes every per-connection value itself: client challenge,
 * NTProofStr, session keys, MIC, signatures. It does not verify the server's signatures (a
 * load generator need not; the tests and the Node client do).
 *
 *   activation-gen HOST PORT OBJPORT CONNS MS SCRIPT [--warm MS] [--timeout MS]
 *
 * --timeout (default 10,000): a send or receive that waits longer fails its cycle, so a
 * server that stops answering ends the run with errors instead of holding it.
 *
 * Output: one JSON object like loadgen's: cycles, rate, errors, p50/p99 in microseconds and
 * the latency histogram as [microseconds, count] pairs; and, so that the benchmark can give
 * each side's CPU time per activation, allCycles (warm-up included) and the generator's own
 * CPU time (cpuMs, all threads, warm-up included). A run with errors names the first
 * failure's cause on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define HIST_US 1000000
#define RXCAP 65536

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v & 0xff; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get32(const uint8_t *p) { return get16(p) | ((uint32_t)get16(p + 2) << 16); }

/* ---- MD5 (RFC 1321), HMAC-MD5 (RFC 2104), RC4 ------------------------------------------ */

static uint32_t MD5_K[64];
static const uint8_t MD5_R[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

/* RFC 1321 3.4: the table's i-th word is the integer part of 2^32 * |sin(i + 1)|. */
static void md5_table(void) {
  for (int i = 0; i < 64; i++) MD5_K[i] = (uint32_t)(fabs(sin((double)(i + 1))) * 4294967296.0);
}

typedef struct {
  uint32_t h[4];
  uint64_t bytes;
  uint8_t buf[64];
  size_t fill;
} md5_ctx;

static void md5_init(md5_ctx *c) {
  c->h[0] = 0x67452301;
  c->h[1] = 0xefcdab89;
  c->h[2] = 0x98badcfe;
  c->h[3] = 0x10325476;
  c->bytes = 0;
  c->fill = 0;
}

static uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void md5_block(md5_ctx *c, const uint8_t *p) {
  uint32_t m[16];
  for (int i = 0; i < 16; i++) m[i] = get32(p + 4 * i);
  uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
  for (int i = 0; i < 64; i++) {
    uint32_t f;
    int g, round = i >> 4;
    if (round == 0) { f = (b & cc) | (~b & d); g = i; }
    else if (round == 1) { f = (d & b) | (~d & cc); g = (5 * i + 1) & 15; }
    else if (round == 2) { f = b ^ cc ^ d; g = (3 * i + 5) & 15; }
    else { f = cc ^ (b | ~d); g = (7 * i) & 15; }
    uint32_t t = d;
    d = cc;
    cc = b;
    b = b + rotl(a + f + MD5_K[i] + m[g], MD5_R[round * 4 + (i & 3)]);
    a = t;
  }
  c->h[0] += a;
  c->h[1] += b;
  c->h[2] += cc;
  c->h[3] += d;
}

static void md5_update(md5_ctx *c, const uint8_t *p, size_t n) {
  c->bytes += n;
  if (c->fill) {
    size_t take = 64 - c->fill < n ? 64 - c->fill : n;
    memcpy(c->buf + c->fill, p, take);
    c->fill += take;
    p += take;
    n -= take;
    if (c->fill < 64) return;
    md5_block(c, c->buf);
    c->fill = 0;
  }
  for (; n >= 64; p += 64, n -= 64) md5_block(c, p);
  memcpy(c->buf, p, n);
  c->fill = n;
}

static void md5_final(md5_ctx *c, uint8_t out[16]) {
  uint64_t bits = c->bytes * 8;
  uint8_t pad[72] = {0x80};
  size_t padlen = (c->fill < 56 ? 56 : 120) - c->fill;
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (8 * i));
  md5_update(c, pad, padlen);
  md5_update(c, len, 8);
  for (int i = 0; i < 4; i++) put32(out + 4 * i, c->h[i]);
}

typedef struct {
  md5_ctx inner;
  uint8_t okey[64];
} hmac_ctx;

static void hmac_init(hmac_ctx *h, const uint8_t key[16]) {
  uint8_t ikey[64];
  memset(ikey, 0x36, 64);
  memset(h->okey, 0x5c, 64);
  for (int i = 0; i < 16; i++) { ikey[i] ^= key[i]; h->okey[i] ^= key[i]; }
  md5_init(&h->inner);
  md5_update(&h->inner, ikey, 64);
}

static void hmac_update(hmac_ctx *h, const uint8_t *p, size_t n) { md5_update(&h->inner, p, n); }

static void hmac_final(hmac_ctx *h, uint8_t out[16]) {
  uint8_t d[16];
  md5_final(&h->inner, d);
  md5_ctx o;
  md5_init(&o);
  md5_update(&o, h->okey, 64);
  md5_update(&o, d, 16);
  md5_final(&o, out);
}

typedef struct {
  uint8_t s[256];
  uint8_t i, j;
} rc4_ctx;

static void rc4_init(rc4_ctx *r, const uint8_t *key, size_t n) {
  for (int i = 0; i < 256; i++) r->s[i] = (uint8_t)i;
  uint8_t j = 0;
  for (int i = 0; i < 256; i++) {
    j = (uint8_t)(j + r->s[i] + key[i % n]);
    uint8_t t = r->s[i];
    r->s[i] = r->s[j];
    r->s[j] = t;
  }
  r->i = r->j = 0;
}

static void rc4_xor(rc4_ctx *r, uint8_t *p, size_t n) {
  for (size_t k = 0; k < n; k++) {
    r->i++;
    r->j = (uint8_t)(r->j + r->s[r->i]);
    uint8_t t = r->s[r->i];
    r->s[r->i] = r->s[r->j];
    r->s[r->j] = t;
    p[k] ^= r->s[(uint8_t)(r->s[r->i] + r->s[r->j])];
  }
}

/* ---- what the benchmark hands over ------------------------------------------------------ */

typedef struct {
  uint8_t *p;
  size_t n;
} bytes;

static bytes bind1, stub1, bind2, stub2, user, domain, workstation;
static uint8_t response_key[16], ipid_remunknown[16];
static size_t ref_at; /* REMINTERFACEREF's offset in stub2 */
static int opnum1, opnum2;

static int unhex(const char *s, bytes *out) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
  if (n % 2) return -1;
  out->n = n / 2;
  out->p = malloc(out->n ? out->n : 1);
  for (size_t i = 0; i < out->n; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
    out->p[i] = (uint8_t)v;
  }
  return 0;
}

static int read_script(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) return -1;
  static char line[1 << 20];
  int seen = 0;
  while (fgets(line, sizeof line, f)) {
    char *sp = strchr(line, ' ');
    if (!sp) continue;
    *sp = 0;
    const char *v = sp + 1;
    bytes b = {0};
    if (!strcmp(line, "opnum1")) opnum1 = atoi(v), seen |= 1;
    else if (!strcmp(line, "opnum2")) opnum2 = atoi(v), seen |= 2;
    else if (!strcmp(line, "refat")) ref_at = (size_t)atol(v), seen |= 4;
    else if (unhex(v, &b) < 0) { fclose(f); return -1; }
    else if (!strcmp(line, "bind1")) bind1 = b, seen |= 8;
    else if (!strcmp(line, "stub1")) stub1 = b, seen |= 16;
    else if (!strcmp(line, "bind2")) bind2 = b, seen |= 32;
    else if (!strcmp(line, "stub2")) stub2 = b, seen |= 64;
    else if (!strcmp(line, "user")) user = b, seen |= 128;
    else if (!strcmp(line, "domain")) domain = b, seen |= 256;
    else if (!strcmp(line, "workstation")) workstation = b, seen |= 512;
    else if (!strcmp(line, "responsekey") && b.n == 16) memcpy(response_key, b.p, 16), seen |= 1024;
    else if (!strcmp(line, "ipidremunknown") && b.n == 16) memcpy(ipid_remunknown, b.p, 16), seen |= 2048;
  }
  fclose(f);
  return seen == 4095 && ref_at + 24 <= stub2.n ? 0 : -1;
}

/* ---- one worker ---------------------------------------------------------------------------- */

static struct sockaddr_in target;
static int io_timeout_ms = 10000; /* --timeout: a send or receive that waits longer fails the cycle */
static uint16_t port1, port2;
static volatile int counting, stopping;
static uint32_t *hist; /* shared by the threads, added to atomically */
static uint64_t cycles, errors, all_cycles; /* all_cycles: warm-up and stop included */

typedef struct {
  pthread_t thread;
  uint64_t seed;
  uint8_t rx[RXCAP];
  size_t rxlen;
  uint8_t tx[RXCAP];
  size_t txlen; /* octets waiting in tx (rpc_auth_3) for the next send */
} worker;

static uint64_t next_random(worker *w) {
  /* xorshift64*: the client challenge and the exported session key of a load generator need
     only differ between handshakes. */
  w->seed ^= w->seed >> 12;
  w->seed ^= w->seed << 25;
  w->seed ^= w->seed >> 27;
  return w->seed * 2685821657736338717ull;
}

static void random_bytes(worker *w, uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t r = next_random(w);
    for (size_t k = 0; k < 8 && i + k < n; k++) p[i + k] = (uint8_t)(r >> (8 * k));
  }
}

static int send_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* One PDU into w->rx (from its start); its length, or 0 when the connection broke. */
static size_t recv_pdu(worker *w, int fd) {
  w->rxlen = 0;
  for (;;) {
    if (w->rxlen >= 16) {
      size_t fl = get16(w->rx + 8);
      if (fl < 16) return 0;
      if (w->rxlen >= fl) return fl;
    }
    ssize_t r = recv(fd, w->rx + w->rxlen, RXCAP - w->rxlen, 0);
    if (r <= 0) return 0;
    w->rxlen += (size_t)r;
  }
}

static int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* A server that stops answering fails the cycle after this long instead of holding the
     thread, so the run always ends (its join waits for every thread's current cycle). */
  struct timeval limit = {io_timeout_ms / 1000, (long)(io_timeout_ms % 1000) * 1000L};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  struct sockaddr_in a = target;
  a.sin_port = htons(port);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
  return fd;
}

static const char CLIENT_SIGN[] = "session key to client-to-server signing key magic constant";
static const char CLIENT_SEAL[] = "session key to client-to-server sealing key magic constant";

typedef struct {
  uint8_t sign_key[16];
  rc4_ctx seal;
  uint32_t seq;
} session;

static void derive(const uint8_t esk[16], const char *magic, uint8_t out[16]) {
  md5_ctx c;
  md5_init(&c);
  md5_update(&c, esk, 16);
  md5_update(&c, (const uint8_t *)magic, strlen(magic) + 1); /* the constant's NUL counts */
  md5_final(&c, out);
}

#define F_UNICODE 0x00000001u
#define F_NTLM 0x00000200u
#define F_KEY_EXCH 0x40000000u
#define CLIENT_FLAGS 0xe2888235u /* what src/security/ntlm/client.ts asks for */

/*
 * Bind (from the script) → bind_ack with CHALLENGE → rpc_auth_3 with AUTHENTICATE. Leaves
 * the session's client-to-server keys in `s`. 0 on success.
 */
static int authenticate(worker *w, int fd, const bytes *bind, session *s) {
  w->txlen = 0;
  if (send_all(fd, bind->p, bind->n) < 0) return -1;
  size_t n = recv_pdu(w, fd);
  if (!n || w->rx[2] != 12) return -1;
  size_t auth_len = get16(w->rx + 10);
  if (auth_len < 48 || auth_len + 8 + 16 > n) return -1;
  const uint8_t *ch = w->rx + n - auth_len;
  if (memcmp(ch, "NTLMSSP\0", 8) || get32(ch + 8) != 2) return -1;
  uint32_t ch_flags = get32(ch + 20);
  const uint8_t *server_challenge = ch + 24;
  size_t ti_len = get16(ch + 40), ti_off = get32(ch + 44);
  if (ti_off > auth_len || ti_len > auth_len - ti_off) return -1;
  const uint8_t *ti = ch + ti_off;
  /* The server's AV pairs up to MsvAvEOL, and its MsvAvTimestamp. */
  size_t pairs = 0;
  const uint8_t *stamp = NULL;
  while (pairs + 4 <= ti_len) {
    uint16_t id = get16(ti + pairs), l = get16(ti + pairs + 2);
    if (pairs + 4 + l > ti_len) return -1;
    if (id == 0) break;
    if (id == 7 && l == 8) stamp = ti + pairs + 4;
    pairs += 4 + (size_t)l;
  }
  if (!stamp) return -1;

  /* NTLMv2's temp (MS-NLMP 3.3.2): the server's pairs echoed, MsvAvFlags announcing the MIC. */
  uint8_t temp[1024];
  if (28 + pairs + 12 > sizeof temp) return -1;
  memset(temp, 0, 28);
  temp[0] = temp[1] = 1;
  memcpy(temp + 8, stamp, 8);
  random_bytes(w, temp + 16, 8);
  memcpy(temp + 28, ti, pairs);
  size_t tl = 28 + pairs;
  const uint8_t av_flags[8] = {6, 0, 4, 0, 2, 0, 0, 0};
  memcpy(temp + tl, av_flags, 8);
  tl += 8;
  memset(temp + tl, 0, 4); /* MsvAvEOL */
  tl += 4;

  uint8_t nt_proof[16], base_key[16], esk[16], ersk[16];
  hmac_ctx h;
  hmac_init(&h, response_key);
  hmac_update(&h, server_challenge, 8);
  hmac_update(&h, temp, tl);
  hmac_final(&h, nt_proof);
  hmac_init(&h, response_key);
  hmac_update(&h, nt_proof, 16);
  hmac_final(&h, base_key);
  uint32_t flags = (CLIENT_FLAGS & ch_flags) | F_NTLM | (ch_flags & F_UNICODE);
  if (flags & F_KEY_EXCH) {
    random_bytes(w, esk, 16);
    memcpy(ersk, esk, 16);
    rc4_ctx r;
    rc4_init(&r, base_key, 16);
    rc4_xor(&r, ersk, 16);
  } else {
    memcpy(esk, base_key, 16);
  }

  /* rpc_auth_3: header, 4 pad octets, sec_trailer, then AUTHENTICATE (88-octet header with
     version and MIC; payload: domain, user, workstation, LM, NT, session key). */
  uint8_t *p = w->tx;
  const uint8_t *bind_trailer = bind->p + bind->n - get16(bind->p + 10) - 8;
  size_t am = 28; /* where AUTHENTICATE starts */
  uint8_t *a = p + am;
  size_t lm_len = 24, nt_len = 16 + tl, ersk_len = (flags & F_KEY_EXCH) ? 16 : 0;
  size_t alen = 88 + domain.n + user.n + workstation.n + lm_len + nt_len + ersk_len;
  if (am + alen > sizeof w->tx) return -1;
  memset(p, 0, am + 88);
  memcpy(p, bind->p, 16);
  p[2] = 16; /* rpc_auth_3 */
  p[3] = 3;
  put16(p + 8, (uint16_t)(am + alen));
  put16(p + 10, (uint16_t)alen);
  memcpy(p + 20, bind_trailer, 8); /* same auth type, level and context id; pad length 0 */
  p[22] = 0;
  memcpy(a, "NTLMSSP\0", 8);
  put32(a + 8, 3);
  size_t at = 88;
  struct { size_t field; const uint8_t *data; size_t n; } parts[] = {
      {28, domain.p, domain.n}, {36, user.p, user.n}, {44, workstation.p, workstation.n},
      {12, NULL, lm_len},       {20, NULL, nt_len},   {52, ersk, ersk_len},
  };
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    put16(a + parts[i].field, (uint16_t)parts[i].n);
    put16(a + parts[i].field + 2, (uint16_t)parts[i].n);
    put32(a + parts[i].field + 4, (uint32_t)at);
    if (parts[i].field == 12) memset(a + at, 0, lm_len);
    else if (parts[i].field == 20) { memcpy(a + at, nt_proof, 16); memcpy(a + at + 16, temp, tl); }
    else if (parts[i].n) memcpy(a + at, parts[i].data, parts[i].n);
    at += parts[i].n;
  }
  put32(a + 60, flags);
  const uint8_t version[8] = {10, 0, 0x61, 0x4a, 0, 0, 0, 15};
  memcpy(a + 64, version, 8);
  /* MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE with MIC zero). */
  size_t neg_len = get16(bind->p + 10);
  uint8_t mic[16];
  hmac_init(&h, esk);
  hmac_update(&h, bind->p + bind->n - neg_len, neg_len);
  hmac_update(&h, ch, auth_len);
  hmac_update(&h, a, alen);
  hmac_final(&h, mic);
  memcpy(a + 72, mic, 16);
  /* rpc_auth_3 has no answer: it waits in tx and leaves with the request, in one send, as
     RpcClient sends both (it corks the socket between them). */
  w->txlen = am + alen;

  derive(esk, CLIENT_SIGN, s->sign_key);
  uint8_t seal_key[16];
  derive(esk, CLIENT_SEAL, seal_key);
  rc4_init(&s->seal, seal_key, 16);
  s->seq = 0;
  return 0;
}

/*
 * A signed request (call_id 2, context 0) of `stub`, with `object` when given; returns the
 * response stub's length (its start at *out), or -1. The signature (MS-NLMP 3.4.4.2, with
 * extended session security and key exchange) covers the PDU up to the auth_value.
 */
static long call(worker *w, int fd, session *s, const bytes *bind, int opnum, const uint8_t *stub, size_t stub_len, const uint8_t *object, const uint8_t **out) {
  uint8_t *p = w->tx + w->txlen;
  size_t head = 24 + (object ? 16 : 0);
  size_t pad = (16 - stub_len % 16) % 16;
  size_t total = head + stub_len + pad + 8 + 16;
  if (w->txlen + total > sizeof w->tx) return -1;
  memcpy(p, bind->p, 16);
  p[2] = 0; /* request */
  p[3] = 3 | (object ? 0x80 : 0);
  put16(p + 8, (uint16_t)total);
  put16(p + 10, 16);
  put32(p + 12, 2);
  put32(p + 16, (uint32_t)stub_len);
  put16(p + 20, 0);
  put16(p + 22, (uint16_t)opnum);
  if (object) memcpy(p + 24, object, 16);
  memcpy(p + head, stub, stub_len);
  memset(p + head + stub_len, 0, pad);
  uint8_t *trailer = p + head + stub_len + pad;
  memcpy(trailer, bind->p + bind->n - get16(bind->p + 10) - 8, 8);
  trailer[2] = (uint8_t)pad;
  uint8_t *sig = trailer + 8;
  uint8_t seq[4], digest[16];
  put32(seq, s->seq);
  hmac_ctx h;
  hmac_init(&h, s->sign_key);
  hmac_update(&h, seq, 4);
  hmac_update(&h, p, (size_t)(sig - p));
  hmac_final(&h, digest);
  put32(sig, 1);
  memcpy(sig + 4, digest, 8);
  rc4_xor(&s->seal, sig + 4, 8);
  put32(sig + 12, s->seq++);
  if (send_all(fd, w->tx, w->txlen + total) < 0) return -1;
  w->txlen = 0;

  size_t n = recv_pdu(w, fd);
  if (n && w->rx[2] == 3) return -2; /* a fault */
  if (!n || w->rx[2] != 2 || !(w->rx[3] & 2)) return -1; /* a whole response */
  size_t auth_len = get16(w->rx + 10);
  if (n < 24 + 8 + auth_len) return -1;
  size_t end = n - auth_len - 8;
  end -= w->rx[end + 2]; /* auth_pad_length */
  if (end < 24 + 4) return -1;
  *out = w->rx + 24;
  return (long)(end - 24);
}

static const uint8_t MEOW[4] = {'M', 'E', 'O', 'W'};

/* The first failure's cause, printed on stderr at the end (a run with errors says why). */
static const char *first_error;
static int failed(const char *why) {
  const char *none = NULL;
  __atomic_compare_exchange_n(&first_error, &none, why, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return -1;
}

/* One activation and its release; 0 on success. */
static int cycle(worker *w) {
  session s;
  const uint8_t *r;
  int fd = connect_to(port1);
  if (fd < 0) return failed("connect to the activator's port");
  if (authenticate(w, fd, &bind1, &s) < 0) { close(fd); return failed("NTLM bind on the activator's port"); }
  long n = call(w, fd, &s, &bind1, opnum1, stub1.p, stub1.n, NULL, &r);
  close(fd);
  if (n == -2) return failed("RemoteCreateInstance: fault");
  if (n < 4) return failed("RemoteCreateInstance: no response");
  if (get32(r + n - 4) != 0) return failed("RemoteCreateInstance: HRESULT not S_OK"); /* the HRESULT ends the stub */
  /* The interface's OBJREF (MS-DCOM 2.2.18): the standard one (flags 1, STDOBJREF at +24),
     inside the properties blob, itself a custom OBJREF (flags 4). */
  const uint8_t *o = r;
  while ((o = memmem(o, (size_t)(r + n - o), MEOW, 4)) && o + 64 <= r + n && get32(o + 4) != 1) o += 4;
  if (!o || o + 64 > r + n) return failed("RemoteCreateInstance: no standard OBJREF");
  if (!memmem(r, (size_t)n, ipid_remunknown, 16)) return failed("RemoteCreateInstance: another exporter's ipidRemUnknown");
  uint8_t release[4096];
  if (stub2.n > sizeof release) return failed("RemRelease stub too long");
  memcpy(release, stub2.p, stub2.n);
  memcpy(release + ref_at, o + 48, 16);    /* ipid */
  memcpy(release + ref_at + 16, o + 28, 4); /* cPublicRefs */

  fd = connect_to(port2);
  if (fd < 0) return failed("connect to the exporter's port");
  if (authenticate(w, fd, &bind2, &s) < 0) { close(fd); return failed("NTLM bind on the exporter's port"); }
  n = call(w, fd, &s, &bind2, opnum2, release, stub2.n, ipid_remunknown, &r);
  close(fd);
  if (n == -2) return failed("RemRelease: fault");
  if (n < 4) return failed("RemRelease: no response");
  if (get32(r + n - 4) != 0) return failed("RemRelease: HRESULT not S_OK");
  return 0;
}

static void *run(void *arg) {
  worker *w = arg;
  while (!stopping) {
    uint64_t t0 = now_ns();
    int ok = cycle(w) == 0;
    if (ok) __atomic_fetch_add(&all_cycles, 1, __ATOMIC_RELAXED);
    if (!counting) continue;
    if (!ok) { __atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED); continue; }
    uint64_t us = (now_ns() - t0) / 1000;
    __atomic_fetch_add(&hist[us < HIST_US ? us : HIST_US - 1], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&cycles, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: activation-gen HOST PORT OBJPORT CONNS MS SCRIPT [--warm MS] [--timeout MS]\n");
    return 2;
  }
  target.sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1) { fprintf(stderr, "activation-gen: bad host %s\n", argv[1]); return 2; }
  port1 = (uint16_t)atoi(argv[2]);
  port2 = (uint16_t)atoi(argv[3]);
  int n = atoi(argv[4]), ms = atoi(argv[5]), warm = 0;
  for (int i = 7; i < argc; i++) {
    if (!strcmp(argv[i], "--warm") && i + 1 < argc) warm = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) io_timeout_ms = atoi(argv[++i]);
    else { fprintf(stderr, "activation-gen: unknown option %s\n", argv[i]); return 2; }
  }
  if (n < 1 || n > 1024 || ms < 0 || warm < 0 || io_timeout_ms < 1) { fprintf(stderr, "activation-gen: bad numbers\n"); return 2; }
  md5_table();
  if (read_script(argv[6]) < 0) { fprintf(stderr, "activation-gen: unreadable script %s\n", argv[6]); return 2; }
  worker *ws = calloc((size_t)n, sizeof *ws);
  hist = calloc(HIST_US, sizeof *hist);
  if (!ws || !hist) { fprintf(stderr, "activation-gen: out of memory\n"); return 1; }
  for (int i = 0; i < n; i++) {
    ws[i].seed = now_ns() ^ (0x9e3779b97f4a7c15ull * (uint64_t)(i + 1));
    pthread_create(&ws[i].thread, NULL, run, &ws[i]);
  }
  struct timespec warm_ts = {warm / 1000, (long)(warm % 1000) * 1000000L};
  nanosleep(&warm_ts, NULL);
  counting = 1;
  uint64_t t0 = now_ns();
  struct timespec run_ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&run_ts, NULL);
  double secs = (now_ns() - t0) / 1e9;
  counting = 0;
  stopping = 1;
  for (int i = 0; i < n; i++) pthread_join(ws[i].thread, NULL);
  uint64_t want50 = cycles / 2, want99 = (uint64_t)(cycles * 0.99), seen = 0, p50 = HIST_US, p99 = HIST_US;
  for (size_t us = 0; us < HIST_US; us++) {
    if (seen <= want50 && seen + hist[us] > want50) p50 = us;
    if (seen <= want99 && seen + hist[us] > want99) p99 = us;
    seen += hist[us];
  }
  /* The generator's own CPU time (all threads, warm-up included), so that the benchmark can
     show it is not what limits the figure. */
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  printf("{\"mode\":\"activate\",\"connections\":%d,\"seconds\":%.6f,\"cycles\":%llu,\"perSecond\":%.1f,\"errors\":%llu,\"refused\":0,\"p50us\":%llu,\"p99us\":%llu,\"allCycles\":%llu,\"cpuMs\":%.1f,\"hist\":[",
         n, secs, (unsigned long long)cycles, cycles / secs, (unsigned long long)errors, (unsigned long long)p50, (unsigned long long)p99, (unsigned long long)all_cycles, cpu_ms);
  int first = 1;
  for (size_t us = 0; us < HIST_US; us++)
    if (hist[us]) {
      printf("%s[%zu,%u]", first ? "" : ",", us, hist[us]);
      first = 0;
    }
  printf("]}\n");
  if (first_error) fprintf(stderr, "activation-gen: %llu errors, the first: %s\n", (unsigned long long)errors, first_error);
  return 0;
}
