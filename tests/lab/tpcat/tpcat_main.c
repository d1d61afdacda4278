/*
 * sf-tpcat: a small driver of the transport for the lab tests.
 *
 *   sf-tpcat listen --addr ADDR:PORT TLS [--resume-ms N] [--stripes N]
 *   sf-tpcat send --to ADDR:PORT TLS --service sink --bytes N [--seed S]
 *   sf-tpcat send --to ADDR:PORT TLS --service sink --file PATH [--sha256 HEX]
 *   sf-tpcat rtt --to ADDR:PORT TLS --count N [--size B] [--bulk-bytes M]
 *
 * TLS is --cert F --key F --ca F --allow ID (repeatable), or --psk FILE
 * (FILE holds "IDENTITY:HEX" or just HEX, identity "lab").
 *
 * listen serves sessions, each in its own thread; a channel named "echo"
 * echoes, one named "sink" hashes what it receives and at EOF prints (and
 * sends back) "sink: bytes=N sha256=HEX". send pushes N pseudo-random bytes
 * (fixed by the seed) through one channel, half-closes, waits for the
 * sink's answer and checks its hash; with --file it sends the file's
 * contents instead, and with --sha256 the file's known digest stands in
 * for hashing it again (a benchmark's sender then spends CPU on the
 * transport only; the sink still hashes every byte). rtt times request/answer
 * round trips of B bytes over a control-priority "echo" channel, optionally
 * while a bulk channel streams to "sink" in the same session.
 *
 * Results go to stdout, errors and the listener's log to stderr. Exit 0 on
 * success, 1 on a failure, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "transport/tp.h"
#include "transport/tp_addr.h"

#define TPCAT_ALLOW_MAX  16
#define TPCAT_CHUNK      65536
#define TPCAT_RTT_MAX    100000
#define TPCAT_REPLY_MAX  256
#define TPCAT_EXIT_FAIL  1
#define TPCAT_EXIT_USAGE 2

struct tpcat_opts {
	const char *cmd;
	char host[256];
	uint16_t port;
	const char *allow[TPCAT_ALLOW_MAX + 1];
	int allow_count;
	char psk_identity[64];
	char psk_hex[160];
	const char *service;
	const char *file;
	char sha256[65]; /* "": hash what is sent */
	uint64_t bytes;
	uint64_t seed;
	uint64_t bulk_bytes;
	unsigned int count;
	unsigned int size;
	unsigned int interval_ms;
	unsigned int warmup_ms;
	unsigned int timeout_ms;
	struct tp_session_conf conf;
};

static pthread_mutex_t tpcat_out_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t tpcat_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void tpcat_log(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* One line on stderr, prefixed, whole even with several threads. */
static void tpcat_log(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&tpcat_out_lock);
	fputs("sf-tpcat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&tpcat_out_lock);
}

/* Write all of buf to a blocking fd; 0 or -errno. */
static int tpcat_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void tpcat_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/*
 * SHA-256 of a stream, as hex, and its length. With known set before
 * tpcat_hash_init(), the stream is only counted and hex is that digest.
 */
struct tpcat_hash {
	EVP_MD_CTX *ctx;
	uint64_t bytes;
	const char *known;
	char hex[65];
};

static int tpcat_hash_init(struct tpcat_hash *hash)
{
	hash->bytes = 0;
	if (hash->known)
		return 0;
	hash->ctx = EVP_MD_CTX_new();
	if (!hash->ctx || !EVP_DigestInit_ex(hash->ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(hash->ctx);
		hash->ctx = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void tpcat_hash_update(struct tpcat_hash *hash, const void *p, size_t n)
{
	if (!hash->known)
		EVP_DigestUpdate(hash->ctx, p, n);
	hash->bytes += n;
}

static void tpcat_hash_final(struct tpcat_hash *hash)
{
	uint8_t md[32];
	unsigned int len = sizeof(md);

	if (hash->known) {
		snprintf(hash->hex, sizeof(hash->hex), "%s", hash->known);
		return;
	}
	EVP_DigestFinal_ex(hash->ctx, md, &len);
	EVP_MD_CTX_free(hash->ctx);
	hash->ctx = NULL;
	tpcat_hex(md, sizeof(md), hash->hex);
}

/* xorshift64*: the same bytes for the same seed, everywhere. */
static void tpcat_fill(uint64_t *state, uint8_t *buf, size_t len)
{
	uint64_t x = *state, v;
	size_t i;

	for (i = 0; i < len; i += 8) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		v = x * 0x2545f4914f6cdd1dull;
		memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
	}
	*state = x;
}

/* ---- serving side ------------------------------------------------------ */

static void *tpcat_echo_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[TPCAT_CHUNK];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (tpcat_write_all(fd, buf, (size_t)n) < 0)
			break;
	shutdown(fd, SHUT_WR);
	close(fd);
	return NULL;
}

/* Hash until EOF, print the result and send it back, then close. */
static void *tpcat_sink_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct tpcat_hash hash = { 0 }; /* no known digest: hash what arrives */
	char line[TPCAT_REPLY_MAX];
	uint8_t *buf = malloc(TPCAT_CHUNK);
	ssize_t n = -1;
	int len;

	if (!buf || tpcat_hash_init(&hash) < 0) {
		tpcat_log("sink: out of memory");
		goto out;
	}
	while ((n = read(fd, buf, TPCAT_CHUNK)) > 0)
		tpcat_hash_update(&hash, buf, (size_t)n);
	tpcat_hash_final(&hash);
	if (n < 0) {
		tpcat_log("sink: read failed after %" PRIu64 " bytes: %s",
		          hash.bytes, strerror(errno));
		goto out;
	}
	len =
	    snprintf(line, sizeof(line), "sink: bytes=%" PRIu64 " sha256=%s\n",
	             hash.bytes, hash.hex);
	pthread_mutex_lock(&tpcat_out_lock);
	fputs(line, stdout);
	fflush(stdout);
	pthread_mutex_unlock(&tpcat_out_lock);
	tpcat_write_all(fd, line, (size_t)len);
	shutdown(fd, SHUT_WR);
out:
	free(buf);
	close(fd);
	return NULL;
}

/* tp_open_fn: a socketpair whose far end a detached thread serves. */
static int tpcat_on_open(void *arg, const char *name, unsigned int priority)
{
	void *(*serve)(void *);
	pthread_attr_t attr;
	pthread_t thread;
	int sv[2], ret;

	(void)arg;
	(void)priority;
	if (strcmp(name, "echo") == 0) {
		serve = tpcat_echo_main;
	} else if (strcmp(name, "sink") == 0) {
		serve = tpcat_sink_main;
	} else {
		tpcat_log("refused channel \"%s\": unknown service", name);
		return -ENOENT;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&thread, &attr, serve, (void *)(intptr_t)sv[0]);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		close(sv[0]);
		close(sv[1]);
		return -ret;
	}
	return sv[1];
}

/* One accepted connection: a new session, a join, or a refusal. */
static void *tpcat_session_main(void *arg)
{
	struct tp_session *session = arg;
	struct tp_error err = { 0 };
	struct tp_stats stats;
	int ret;

	ret = tp_session_handshake(session, &err);
	if (ret == -EALREADY) {
		/* A stripe or a resume that joined a running session. */
		goto out;
	}
	if (ret < 0) {
		tpcat_log("refused peer: %s", err.msg);
		goto out;
	}
	tpcat_log("session from %s", tp_session_peer(session));
	while (tp_session_run(session, -1, &err) == 0)
		;
	tp_session_stats(session, &stats);
	tpcat_log(
	    "session %s ended: %s (rx %" PRIu64 " bytes, resumes %" PRIu64 ")",
	    tp_session_peer(session), err.msg, stats.rx_raw, stats.resumes);
out:
	tp_session_free(session);
	return NULL;
}

static int tpcat_listen(struct tpcat_opts *opts)
{
	struct tp_listener *listener;
	struct tp_session *session;
	struct tp_error err = { 0 };
	pthread_attr_t attr;
	pthread_t thread;

	opts->conf.on_open = tpcat_on_open;
	listener = tp_listener_new(&opts->conf, opts->host, opts->port, &err);
	if (!listener) {
		tpcat_log("listen: %s", err.msg);
		return TPCAT_EXIT_FAIL;
	}
	tpcat_log("listening on %s:%u", opts->host, tp_listener_port(listener));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		session = tp_listener_accept(listener, -1, &err);
		if (!session) {
			tpcat_log("accept: %s", err.msg);
			usleep(100000);
			continue;
		}
		if (pthread_create(&thread, &attr, tpcat_session_main,
		                   session) != 0) {
			tpcat_log("no thread for a peer: dropped");
			tp_session_free(session);
		}
	}
	return 0;
}

/* ---- client side ------------------------------------------------------- */

/* A client session and the threads that feed its channels. */
struct tpcat_client {
	struct tp_session *session;
	atomic_int done;   /* the feeding threads finished */
	atomic_int failed; /* one of them failed */
};

static int tpcat_connect(struct tpcat_opts *opts, struct tpcat_client *cl)
{
	struct tp_error err = { 0 };

	cl->session =
	    tp_session_connect(&opts->conf, opts->host, opts->port, &err);
	if (!cl->session) {
		tpcat_log("connect %s:%u: %s", opts->host, opts->port, err.msg);
		return -1;
	}
	if (tp_session_handshake(cl->session, &err) < 0) {
		tpcat_log("handshake with %s:%u: %s", opts->host, opts->port,
		          err.msg);
		return -1;
	}
	return 0;
}

/*
 * Open a channel to service and return our end of it (blocking), or -1.
 * The session takes the other end; *chan is the session's channel.
 */
static int tpcat_chan_open(struct tpcat_client *cl, const char *service,
                           unsigned int priority, struct tp_chan **chan)
{
	struct tp_error err = { 0 };
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		tpcat_log("socketpair: %s", strerror(errno));
		return -1;
	}
	*chan = tp_chan_open(cl->session, service, priority, sv[1], &err);
	if (!*chan) {
		tpcat_log("open channel \"%s\": %s", service, err.msg);
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

/* Drive the session until the feeders are done, it fails or time is up. */
static int tpcat_client_run(struct tpcat_client *cl, unsigned int timeout_ms)
{
	uint64_t deadline = tpcat_now_us() + (uint64_t)timeout_ms * 1000u;
	struct tp_error err = { 0 };

	while (!cl->done) {
		if (tp_session_run(cl->session, 50, &err) < 0) {
			tpcat_log("session failed: %s", err.msg);
			return -1;
		}
		if (tpcat_now_us() > deadline) {
			tpcat_log("timed out after %u ms", timeout_ms);
			return -1;
		}
	}
	return cl->failed ? -1 : 0;
}

/* Sends bytes from seed on fd, half-closes, reads the answer. */
struct tpcat_sender {
	struct tpcat_client *cl;
	int fd;
	uint64_t bytes;
	uint64_t seed;
	int file_fd;      /* -1, or send this file's contents */
	atomic_int *stop; /* NULL, or stop early when set */
	struct tpcat_hash hash;
	char reply[TPCAT_REPLY_MAX];
	bool cut_short; /* stopped by *stop before bytes */
};

static void *tpcat_sender_main(void *arg)
{
	struct tpcat_sender *snd = arg;
	uint64_t state = snd->seed ? snd->seed : 1, left = snd->bytes;
	uint8_t *buf = malloc(TPCAT_CHUNK);
	size_t n, got = 0;
	ssize_t r;

	if (!buf || tpcat_hash_init(&snd->hash) < 0) {
		tpcat_log("send: out of memory");
		snd->cl->failed = 1;
		goto out;
	}
	while (left > 0) {
		if (snd->stop && *snd->stop) {
			snd->cut_short = true;
			break;
		}
		n = left < TPCAT_CHUNK ? (size_t)left : TPCAT_CHUNK;
		if (snd->file_fd >= 0) {
			r = read(snd->file_fd, buf, TPCAT_CHUNK);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				tpcat_log("send: file read failed: %s",
				          strerror(errno));
				snd->cl->failed = 1;
				tpcat_hash_final(&snd->hash);
				goto out;
			}
			if (r == 0)
				break;
			n = (size_t)r;
		} else {
			tpcat_fill(&state, buf, n);
		}
		if (tpcat_write_all(snd->fd, buf, n) < 0) {
			tpcat_log("send: channel write failed after %" PRIu64
			          " bytes: %s",
			          snd->hash.bytes, strerror(errno));
			snd->cl->failed = 1;
			tpcat_hash_final(&snd->hash);
			goto out;
		}
		tpcat_hash_update(&snd->hash, buf, n);
		if (snd->file_fd < 0)
			left -= n;
	}
	tpcat_hash_final(&snd->hash);
	shutdown(snd->fd, SHUT_WR);
	while (got < sizeof(snd->reply) - 1 &&
	       (r = read(snd->fd, snd->reply + got,
	                 sizeof(snd->reply) - 1 - got)) > 0)
		got += (size_t)r;
	snd->reply[got] = '\0';
out:
	free(buf);
	return NULL;
}

/* The sink's answer must name our byte count and hash. */
static int tpcat_reply_check(const struct tpcat_sender *snd,
                             const struct tp_chan *chan)
{
	struct tp_error err = { 0 };
	char want[TPCAT_REPLY_MAX];

	if (tp_chan_error(chan, &err) < 0) {
		tpcat_log("channel failed: %s", err.msg);
		return -1;
	}

	snprintf(want, sizeof(want), "sink: bytes=%" PRIu64 " sha256=%s\n",
	         snd->hash.bytes, snd->hash.hex);
	if (strcmp(want, snd->reply) == 0)
		return 0;
	tpcat_log("sink answered \"%.*s\", expected \"%.*s\"",
	          (int)strcspn(snd->reply, "\n"), snd->reply,
	          (int)strcspn(want, "\n"), want);
	return -1;
}

static void *tpcat_send_feed(void *arg)
{
	struct tpcat_sender *snd = arg;

	tpcat_sender_main(snd);
	snd->cl->done = 1;
	tp_session_stop(snd->cl->session);
	return NULL;
}

static int tpcat_send(struct tpcat_opts *opts)
{
	struct tpcat_client cl = { 0 };
	struct tpcat_sender snd = { .fd = -1, .file_fd = -1 };
	struct tp_chan *chan = NULL;
	struct tp_error err = { 0 };
	struct tp_stats stats;
	pthread_t thread;
	uint64_t start;
	int ret = TPCAT_EXIT_FAIL;

	if (opts->file) {
		snd.file_fd = open(opts->file, O_RDONLY | O_CLOEXEC);
		if (snd.file_fd < 0) {
			tpcat_log("send: %s: %s", opts->file, strerror(errno));
			goto out;
		}
	}
	if (tpcat_connect(opts, &cl) < 0)
		goto out;
	snd.cl = &cl;
	snd.bytes = opts->file ? UINT64_MAX : opts->bytes;
	snd.seed = opts->seed;
	snd.hash.known = opts->sha256[0] ? opts->sha256 : NULL;
	snd.fd = tpcat_chan_open(&cl, opts->service, TP_PRIO_BULK, &chan);
	if (snd.fd < 0)
		goto out;
	start = tpcat_now_us();
	if (pthread_create(&thread, NULL, tpcat_send_feed, &snd) != 0) {
		tpcat_log("pthread_create failed");
		goto out;
	}
	if (tpcat_client_run(&cl, opts->timeout_ms) < 0) {
		/* Unblock the feeder: its channel is gone with the session. */
		shutdown(snd.fd, SHUT_RDWR);
		pthread_join(thread, NULL);
		goto out;
	}
	pthread_join(thread, NULL);
	if (cl.failed) {
		if (tp_chan_error(chan, &err) < 0)
			tpcat_log("channel: %s", err.msg);
		goto out;
	}
	if (tpcat_reply_check(&snd, chan) < 0)
		goto out;
	tp_session_stats(cl.session, &stats);
	printf("send: bytes=%" PRIu64 " sha256=%s elapsed_ms=%" PRIu64
	       " resumes=%" PRIu64 "\n",
	       snd.hash.bytes, snd.hash.hex, (tpcat_now_us() - start) / 1000u,
	       stats.resumes);
	ret = 0;
out:
	if (snd.fd >= 0)
		close(snd.fd);
	if (snd.file_fd >= 0)
		close(snd.file_fd);
	tp_session_free(cl.session);
	return ret;
}

/* Round trips on an echo channel; samples in microseconds. */
struct tpcat_rtt {
	struct tpcat_client *cl;
	int fd;
	unsigned int count;
	unsigned int size;
	unsigned int interval_ms;
	unsigned int warmup_ms;
	uint64_t *samples;
	atomic_int stop; /* tells the bulk sender to finish */
};

static int tpcat_read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

static void *tpcat_rtt_main(void *arg)
{
	struct tpcat_rtt *rtt = arg;
	uint8_t *req = malloc(rtt->size), *ans = malloc(rtt->size);
	uint64_t state = 7, t0;
	unsigned int i;

	if (!req || !ans) {
		tpcat_log("rtt: out of memory");
		rtt->cl->failed = 1;
		goto out;
	}
	usleep(rtt->warmup_ms * 1000u);
	for (i = 0; i < rtt->count; i++) {
		tpcat_fill(&state, req, rtt->size);
		t0 = tpcat_now_us();
		if (tpcat_write_all(rtt->fd, req, rtt->size) < 0 ||
		    tpcat_read_full(rtt->fd, ans, rtt->size) < 0) {
			tpcat_log("rtt: echo channel failed at sample %u", i);
			rtt->cl->failed = 1;
			goto out;
		}
		rtt->samples[i] = tpcat_now_us() - t0;
		if (memcmp(req, ans, rtt->size) != 0) {
			tpcat_log("rtt: echo differs at sample %u", i);
			rtt->cl->failed = 1;
			goto out;
		}
		usleep(rtt->interval_ms * 1000u);
	}
out:
	shutdown(rtt->fd, SHUT_WR);
	free(req);
	free(ans);
	return NULL;
}

static int tpcat_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Both feeders: rtt samples, then the bulk sender (if any) winds down. */
struct tpcat_rtt_feed {
	struct tpcat_rtt *rtt;
	struct tpcat_sender *bulk; /* NULL without --bulk-bytes */
};

static void *tpcat_rtt_feed(void *arg)
{
	struct tpcat_rtt_feed *feed = arg;
	pthread_t bulk_thread;
	bool bulk_started = false;

	if (feed->bulk && pthread_create(&bulk_thread, NULL, tpcat_sender_main,
	                                 feed->bulk) != 0) {
		tpcat_log("pthread_create failed");
		feed->rtt->cl->failed = 1;
		goto out;
	}
	bulk_started = feed->bulk != NULL;
	tpcat_rtt_main(feed->rtt);
	feed->rtt->stop = 1;
	if (bulk_started)
		pthread_join(bulk_thread, NULL);
out:
	feed->rtt->cl->done = 1;
	tp_session_stop(feed->rtt->cl->session);
	return NULL;
}

static int tpcat_rtt_cmd(struct tpcat_opts *opts)
{
	struct tpcat_client cl = { 0 };
	struct tpcat_sender bulk = { .fd = -1, .file_fd = -1 };
	struct tpcat_rtt rtt = { .fd = -1 };
	struct tpcat_rtt_feed feed = { .rtt = &rtt };
	struct tp_chan *chan = NULL;
	uint64_t *sorted = NULL, p95;
	pthread_t thread;
	int ret = TPCAT_EXIT_FAIL;

	rtt.cl = &cl;
	rtt.count = opts->count;
	rtt.size = opts->size;
	rtt.interval_ms = opts->interval_ms;
	rtt.warmup_ms = opts->bulk_bytes ? opts->warmup_ms : 0;
	rtt.samples = calloc(opts->count, sizeof(*rtt.samples));
	if (!rtt.samples) {
		tpcat_log("out of memory");
		goto out;
	}
	if (tpcat_connect(opts, &cl) < 0)
		goto out;
	rtt.fd = tpcat_chan_open(&cl, "echo", TP_PRIO_CONTROL, &chan);
	if (rtt.fd < 0)
		goto out;
	if (opts->bulk_bytes) {
		bulk.cl = &cl;
		bulk.bytes = opts->bulk_bytes;
		bulk.seed = opts->seed;
		bulk.stop = &rtt.stop;
		bulk.fd = tpcat_chan_open(&cl, "sink", TP_PRIO_BULK, &chan);
		if (bulk.fd < 0)
			goto out;
		feed.bulk = &bulk;
	}
	if (pthread_create(&thread, NULL, tpcat_rtt_feed, &feed) != 0) {
		tpcat_log("pthread_create failed");
		goto out;
	}
	if (tpcat_client_run(&cl, opts->timeout_ms) < 0) {
		shutdown(rtt.fd, SHUT_RDWR);
		if (bulk.fd >= 0)
			shutdown(bulk.fd, SHUT_RDWR);
		rtt.stop = 1;
		pthread_join(thread, NULL);
		goto out;
	}
	pthread_join(thread, NULL);
	if (cl.failed)
		goto out;
	if (feed.bulk && !bulk.cut_short) {
		tpcat_log("the bulk transfer (%" PRIu64 " bytes) ended before "
		          "the last round trip: raise --bulk-bytes",
		          opts->bulk_bytes);
		goto out;
	}
	sorted = rtt.samples;
	qsort(sorted, opts->count, sizeof(*sorted), tpcat_u64_cmp);
	p95 = sorted[(opts->count * 95 + 99) / 100 - 1];
	printf("rtt: count=%u size=%u median_ms=%.1f p95_ms=%.1f "
	       "max_ms=%.1f bulk_bytes=%" PRIu64 "\n",
	       opts->count, opts->size, sorted[opts->count / 2] / 1000.0,
	       p95 / 1000.0, sorted[opts->count - 1] / 1000.0,
	       feed.bulk ? bulk.hash.bytes : 0);
	ret = 0;
out:
	if (rtt.fd >= 0)
		close(rtt.fd);
	if (bulk.fd >= 0)
		close(bulk.fd);
	tp_session_free(cl.session);
	free(rtt.samples);
	return ret;
}

/* ---- options ----------------------------------------------------------- */

static void tpcat_usage(FILE *out)
{
	fputs("usage:\n"
	      "  sf-tpcat listen --addr ADDR:PORT TLS [--resume-ms N] "
	      "[--stripes N]\n"
	      "  sf-tpcat send --to ADDR:PORT TLS --service NAME --bytes N "
	      "[--seed S]\n"
	      "  sf-tpcat send --to ADDR:PORT TLS --service NAME --file PATH "
	      "[--sha256 HEX]\n"
	      "  sf-tpcat rtt --to ADDR:PORT TLS --count N [--size B] "
	      "[--bulk-bytes M]\n"
	      "           [--interval-ms N] [--warmup-ms N]\n"
	      "TLS: --cert FILE --key FILE --ca FILE --allow ID..., or "
	      "--psk FILE\n"
	      "also: --codec raw|lz4|zstd|auto, --link-mbps N, --chan-window "
	      "BYTES,\n"
	      "      --timeout-ms N,\n"
	      "      --keepalive-timeout MS (a connection silent this long is\n"
	      "      re-established; default 5000)\n",
	      out);
}

static int tpcat_num(const char *opt, const char *s, uint64_t max,
                     uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "sf-tpcat: %s: bad number \"%s\"\n", opt, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* FILE holds "IDENTITY:HEX" or "HEX" (identity "lab"). */
static int tpcat_psk_read(struct tpcat_opts *opts, const char *path)
{
	char line[256], *colon;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "sf-tpcat: --psk %s: %s\n", path,
		        strerror(errno));
		return -EINVAL;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	colon = strchr(line, ':');
	snprintf(opts->psk_identity, sizeof(opts->psk_identity), "%.*s",
	         colon ? (int)(colon - line) : 3, colon ? line : "lab");
	snprintf(opts->psk_hex, sizeof(opts->psk_hex), "%s",
	         colon ? colon + 1 : line);
	if (!opts->psk_hex[0] || !opts->psk_identity[0]) {
		fprintf(stderr, "sf-tpcat: --psk %s: no key\n", path);
		return -EINVAL;
	}
	opts->conf.tls.psk_identity = opts->psk_identity;
	opts->conf.tls.psk_hex = opts->psk_hex;
	return 0;
}

static int tpcat_codec(const char *s, unsigned int *codec)
{
	if (strcmp(s, "raw") == 0)
		*codec = TP_CODEC_RAW;
	else if (strcmp(s, "lz4") == 0)
		*codec = TP_CODEC_LZ4;
	else if (strcmp(s, "zstd") == 0)
		*codec = TP_CODEC_ZSTD;
	else if (strcmp(s, "auto") == 0)
		*codec = TP_CODEC_AUTO;
	else
		return -EINVAL;
	return 0;
}

enum {
	OPT_ADDR = 256,
	OPT_TO,
	OPT_CERT,
	OPT_KEY,
	OPT_CA,
	OPT_ALLOW,
	OPT_PSK,
	OPT_RESUME_MS,
	OPT_KEEPALIVE_TIMEOUT,
	OPT_STRIPES,
	OPT_SERVICE,
	OPT_BYTES,
	OPT_FILE,
	OPT_SHA256,
	OPT_SEED,
	OPT_COUNT,
	OPT_SIZE,
	OPT_BULK_BYTES,
	OPT_INTERVAL_MS,
	OPT_WARMUP_MS,
	OPT_TIMEOUT_MS,
	OPT_CODEC,
	OPT_LINK_MBPS,
	OPT_CHAN_WINDOW,
	OPT_HELP,
};

static const struct option tpcat_longopts[] = {
	{ "addr", required_argument, NULL, OPT_ADDR },
	{ "to", required_argument, NULL, OPT_TO },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "psk", required_argument, NULL, OPT_PSK },
	{ "resume-ms", required_argument, NULL, OPT_RESUME_MS },
	{ "keepalive-timeout", required_argument, NULL, OPT_KEEPALIVE_TIMEOUT },
	{ "stripes", required_argument, NULL, OPT_STRIPES },
	{ "service", required_argument, NULL, OPT_SERVICE },
	{ "bytes", required_argument, NULL, OPT_BYTES },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "sha256", required_argument, NULL, OPT_SHA256 },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "bulk-bytes", required_argument, NULL, OPT_BULK_BYTES },
	{ "interval-ms", required_argument, NULL, OPT_INTERVAL_MS },
	{ "warmup-ms", required_argument, NULL, OPT_WARMUP_MS },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS },
	{ "codec", required_argument, NULL, OPT_CODEC },
	{ "link-mbps", required_argument, NULL, OPT_LINK_MBPS },
	{ "chan-window", required_argument, NULL, OPT_CHAN_WINDOW },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* One option into opts; 0 or -EINVAL (already reported). */
static int tpcat_opt(struct tpcat_opts *opts, int c, const char *arg,
                     const char **endpoint)
{
	uint64_t v = 0;
	int ret = 0;

	switch (c) {
	case OPT_ADDR:
	case OPT_TO:
		*endpoint = arg;
		break;
	case OPT_CERT:
		opts->conf.tls.cert_file = arg;
		break;
	case OPT_KEY:
		opts->conf.tls.key_file = arg;
		break;
	case OPT_CA:
		opts->conf.tls.ca_file = arg;
		break;
	case OPT_ALLOW:
		if (opts->allow_count == TPCAT_ALLOW_MAX) {
			fprintf(stderr, "sf-tpcat: at most %d --allow\n",
			        TPCAT_ALLOW_MAX);
			return -EINVAL;
		}
		opts->allow[opts->allow_count++] = arg;
		opts->conf.tls.allow = opts->allow;
		break;
	case OPT_PSK:
		return tpcat_psk_read(opts, arg);
	case OPT_RESUME_MS:
		ret = tpcat_num("--resume-ms", arg, INT_MAX, &v);
		opts->conf.resume_timeout_ms = (unsigned int)v;
		break;
	case OPT_KEEPALIVE_TIMEOUT:
		/* As the migrator's option: silent this long is dead. */
		ret = tpcat_num("--keepalive-timeout", arg, 600000, &v);
		if (ret == 0 && v < 1000) {
			fprintf(stderr, "sf-tpcat: --keepalive-timeout: at "
			                "least 1000 ms\n");
			ret = -EINVAL;
		}
		opts->conf.dead_ms = (unsigned int)v;
		opts->conf.keepalive_ms = (unsigned int)v / 4;
		break;
	case OPT_STRIPES:
		ret = tpcat_num("--stripes", arg, 16, &v);
		opts->conf.stripes = (unsigned int)v;
		break;
	case OPT_SERVICE:
		opts->service = arg;
		break;
	case OPT_BYTES:
		ret = tpcat_num("--bytes", arg, UINT64_MAX, &opts->bytes);
		break;
	case OPT_FILE:
		opts->file = arg;
		break;
	case OPT_SHA256:
		if (strlen(arg) != 64 ||
		    strspn(arg, "0123456789abcdef") != 64) {
			fprintf(stderr,
			        "sf-tpcat: --sha256: \"%s\" is not a "
			        "SHA-256 digest (64 lowercase hex "
			        "digits, as sha256sum prints)\n",
			        arg);
			return -EINVAL;
		}
		memcpy(opts->sha256, arg, 65);
		break;
	case OPT_SEED:
		ret = tpcat_num("--seed", arg, UINT64_MAX, &opts->seed);
		break;
	case OPT_COUNT:
		ret = tpcat_num("--count", arg, TPCAT_RTT_MAX, &v);
		opts->count = (unsigned int)v;
		break;
	case OPT_SIZE:
		ret = tpcat_num("--size", arg, 1u << 20, &v);
		opts->size = (unsigned int)v;
		break;
	case OPT_BULK_BYTES:
		ret = tpcat_num("--bulk-bytes", arg, UINT64_MAX,
		                &opts->bulk_bytes);
		break;
	case OPT_INTERVAL_MS:
		ret = tpcat_num("--interval-ms", arg, 60000, &v);
		opts->interval_ms = (unsigned int)v;
		break;
	case OPT_WARMUP_MS:
		ret = tpcat_num("--warmup-ms", arg, 60000, &v);
		opts->warmup_ms = (unsigned int)v;
		break;
	case OPT_TIMEOUT_MS:
		ret = tpcat_num("--timeout-ms", arg, INT_MAX, &v);
		opts->timeout_ms = (unsigned int)v;
		break;
	case OPT_CODEC:
		ret = tpcat_codec(arg, &opts->conf.codec);
		if (ret < 0)
			fprintf(stderr, "sf-tpcat: --codec: raw, lz4, zstd "
			                "or auto\n");
		break;
	case OPT_LINK_MBPS:
		ret = tpcat_num("--link-mbps", arg, 1000000, &v);
		opts->conf.link_mbps = (uint32_t)v;
		break;
	case OPT_CHAN_WINDOW:
		ret = tpcat_num("--chan-window", arg, 1u << 30, &v);
		opts->conf.chan_window = (uint32_t)v;
		break;
	default:
		return -EINVAL;
	}
	return ret;
}

/* What each command needs; 0 or -EINVAL (already reported). */
static int tpcat_opts_check(struct tpcat_opts *opts, const char *endpoint)
{
	const struct tp_tls_conf *tls = &opts->conf.tls;
	bool listen = strcmp(opts->cmd, "listen") == 0;
	bool x509 = tls->cert_file || tls->key_file || tls->ca_file ||
	            opts->allow_count;

	if (!endpoint) {
		fprintf(stderr, "sf-tpcat: %s needs %s ADDR:PORT\n", opts->cmd,
		        listen ? "--addr" : "--to");
		return -EINVAL;
	}
	if (tp_addr_parse(endpoint, TP_DEFAULT_PORT, opts->host,
	                  sizeof(opts->host), &opts->port) < 0) {
		fprintf(stderr, "sf-tpcat: bad address \"%s\"\n", endpoint);
		return -EINVAL;
	}
	if (x509 == (tls->psk_hex != NULL) ||
	    (x509 && (!tls->cert_file || !tls->key_file || !tls->ca_file ||
	              !opts->allow_count))) {
		fprintf(stderr, "sf-tpcat: give --cert, --key, --ca and "
		                "--allow, or --psk\n");
		return -EINVAL;
	}
	if (strcmp(opts->cmd, "send") == 0 &&
	    (!opts->service || !opts->bytes == !opts->file)) {
		fprintf(stderr, "sf-tpcat: send needs --service and one of "
		                "--bytes or --file\n");
		return -EINVAL;
	}
	if (opts->sha256[0] && !opts->file) {
		fprintf(stderr, "sf-tpcat: --sha256 goes with --file (the "
		                "file's digest)\n");
		return -EINVAL;
	}
	if (strcmp(opts->cmd, "rtt") == 0 && (!opts->count || !opts->size)) {
		fprintf(stderr, "sf-tpcat: rtt needs --count and --size\n");
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tpcat_opts opts = {
		.size = 1024,
		.interval_ms = 20,
		.warmup_ms = 1000,
		.timeout_ms = 120000,
		.seed = 1,
	};
	const char *endpoint = NULL;
	int c;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		tpcat_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? TPCAT_EXIT_USAGE : 0;
	}
	opts.cmd = argv[1];
	if (strcmp(opts.cmd, "listen") != 0 && strcmp(opts.cmd, "send") != 0 &&
	    strcmp(opts.cmd, "rtt") != 0) {
		fprintf(stderr, "sf-tpcat: unknown command \"%s\"\n", opts.cmd);
		tpcat_usage(stderr);
		return TPCAT_EXIT_USAGE;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", tpcat_longopts, NULL)) != -1) {
		if (c == OPT_HELP) {
			tpcat_usage(stdout);
			return 0;
		}
		if (tpcat_opt(&opts, c, optarg, &endpoint) < 0) {
			tpcat_usage(stderr);
			return TPCAT_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sf-tpcat: unexpected argument \"%s\"\n",
		        argv[optind]);
		return TPCAT_EXIT_USAGE;
	}
	if (tpcat_opts_check(&opts, endpoint) < 0)
		return TPCAT_EXIT_USAGE;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(opts.cmd, "listen") == 0)
		return tpcat_listen(&opts);
	if (strcmp(opts.cmd, "send") == 0)
		return tpcat_send(&opts);
	return tpcat_rtt_cmd(&opts);
}
