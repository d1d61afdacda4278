/*
 * tp_testlib.h: helpers shared by the transport's loopback tests: lab
 * certificates made at test time by scripts/mkcerts, a serving thread,
 * a client thread, fd counting, and compressible test data.
 */
#ifndef SKYFERRY_TESTS_TP_TESTLIB_H
#define SKYFERRY_TESTS_TP_TESTLIB_H

#include <dirent.h>
#include <poll.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "transport/tls.h"
#include "transport/tp.h"

struct tt_certs {
	char dir[64];
	char path[16][128];
	int n;
};

static __attribute__((unused)) const char *tt_certs_path(struct tt_certs *c,
                                                         const char *file)
{
	int idx = c->n++ % 16;
	char dir[sizeof(c->dir)];

	memcpy(dir, c->dir, sizeof(dir));
	snprintf(c->path[idx], sizeof(c->path[0]), "%s/%s", dir, file);
	return c->path[idx];
}

/* Lab CA + alpha, beta, mallory; an expired alpha; a rogue CA's alpha. */
static __attribute__((unused)) void tt_certs_make(struct tt_certs *c)
{
	char cmd[512];

	c->n = 0;
	snprintf(c->dir, sizeof(c->dir), "/tmp/sf-tp-certs.XXXXXX");
	cr_assert(mkdtemp(c->dir));
	snprintf(cmd, sizeof(cmd),
	         "scripts/mkcerts %s server alpha beta mallory && "
	         "scripts/mkcerts --expired --out old %s alpha && "
	         "scripts/mkcerts --ca rogue --out rogue-alpha %s alpha",
	         c->dir, c->dir, c->dir);
	cr_assert_eq(system(cmd), 0, "mkcerts failed");
}

static __attribute__((unused)) void tt_certs_remove(struct tt_certs *c)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", c->dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", c->dir);
}

static __attribute__((unused)) void
tt_conf_x509(struct tt_certs *c, struct tp_session_conf *conf, const char *ca,
             const char *name, const char *const *allow)
{
	char file[64];

	snprintf(file, sizeof(file), "%s.crt", ca);
	conf->tls.ca_file = tt_certs_path(c, file);
	snprintf(file, sizeof(file), "%s.crt", name);
	conf->tls.cert_file = tt_certs_path(c, file);
	snprintf(file, sizeof(file), "%s.key", name);
	conf->tls.key_file = tt_certs_path(c, file);
	conf->tls.allow = allow;
}

static __attribute__((unused)) int tt_fd_count(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/*
 * Text-like data: words from a small vocabulary, like logs or page tables.
 * LZ4 and zstd both shrink it several times.
 */
static __attribute__((unused)) void tt_fill_words(uint8_t *p, size_t n,
                                                  uint32_t seed)
{
	static const char *words[] = { "qemu ", "page ", "dirty ", "0000 ",
		                       "vcpu ", "ram ",  "\n",     "migrate " };
	size_t i = 0;

	while (i < n) {
		seed = seed * 1103515245u + 12345u;
		for (const char *s = words[(seed >> 16) % 8]; *s && i < n; s++)
			p[i++] = (uint8_t)*s;
	}
}

static __attribute__((unused)) uint64_t tt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * A server: accepts peers until told to stop, each session in its own
 * thread (a stripe or a resume joins a session another thread runs).
 * Started with tt_server_start_serial(), it serves any number of peers,
 * one at a time: each session's thread ends before the next accept.
 */
#define TT_SESSIONS_MAX 32

struct tt_server {
	struct tp_listener *listener;
	pthread_t thread;
	pthread_t session_threads[TT_SESSIONS_MAX];
	int session_count;
	atomic_int stop;
	atomic_int accepted;
	atomic_int refused;
	atomic_int joined; /* connections that joined an existing session */
	atomic_int busy;   /* sessions alive in server threads */
	atomic_int pause;  /* stop running the session loop: a dead peer */
	bool serial;       /* join each session's thread before accepting */
	pthread_mutex_t lock;
	char errors[8][TP_ERROR_MSG_MAX];
	int error_codes[8];
	size_t max_buffered;
	struct tp_stats stats;
	char chan_err[TP_ERROR_MSG_MAX];
	char session_err[TP_ERROR_MSG_MAX]; /* last session's end */
};

struct tt_server_session {
	struct tt_server *srv;
	struct tp_session *session;
};

static __attribute__((unused)) void *tt_server_session_main(void *arg)
{
	struct tt_server_session *ss = arg;
	struct tt_server *srv = ss->srv;
	struct tp_session *s = ss->session;
	struct tp_error err = { 0 };
	size_t buffered;
	int n;

	free(ss);
	if (tp_session_handshake(s, &err) < 0) {
		/* Counted once its fd is closed: tests compare fd counts. */
		tp_session_free(s);
		if (err.code == -EALREADY) {
			srv->joined++;
		} else {
			pthread_mutex_lock(&srv->lock);
			n = srv->refused % 8;
			snprintf(srv->errors[n], sizeof(srv->errors[n]), "%s",
			         err.msg);
			srv->error_codes[n] = err.code;
			pthread_mutex_unlock(&srv->lock);
			srv->refused++;
		}
		srv->busy--;
		return NULL;
	}
	srv->accepted++;
	while (!srv->stop) {
		if (srv->pause) {
			usleep(10000);
			continue;
		}
		if (tp_session_run(s, 20, &err) < 0)
			break;
		buffered = tp_session_buffered(s);
		if (buffered > srv->max_buffered)
			srv->max_buffered = buffered;
	}
	pthread_mutex_lock(&srv->lock);
	tp_session_stats(s, &srv->stats);
	snprintf(srv->session_err, sizeof(srv->session_err), "%s", err.msg);
	pthread_mutex_unlock(&srv->lock);
	tp_session_free(s);
	srv->busy--;
	return NULL;
}

static __attribute__((unused)) void *tt_server_main(void *arg)
{
	struct tt_server *srv = arg;
	struct tp_error err = { 0 };
	struct tt_server_session *ss;
	struct tp_session *s;
	pthread_t thread;

	while (!srv->stop) {
		s = tp_listener_accept(srv->listener, 50, &err);
		if (!s)
			continue;
		ss = malloc(sizeof(*ss));
		if (!ss || srv->session_count >= TT_SESSIONS_MAX) {
			free(ss);
			tp_session_free(s);
			continue;
		}
		ss->srv = srv;
		ss->session = s;
		srv->busy++;
		if (pthread_create(&thread, NULL, tt_server_session_main, ss) !=
		    0) {
			srv->busy--;
			free(ss);
			tp_session_free(s);
			continue;
		}
		if (srv->serial)
			pthread_join(thread, NULL);
		else
			srv->session_threads[srv->session_count++] = thread;
	}
	for (int i = 0; i < srv->session_count; i++)
		pthread_join(srv->session_threads[i], NULL);
	return NULL;
}

static __attribute__((unused)) void
tt_server_start_mode(struct tt_server *srv, const struct tp_session_conf *conf,
                     bool serial)
{
	struct tp_error err = { 0 };

	memset(srv, 0, sizeof(*srv));
	srv->serial = serial;
	pthread_mutex_init(&srv->lock, NULL);
	srv->listener = tp_listener_new(conf, "127.0.0.1", 0, &err);
	cr_assert(srv->listener, "listener: %s", err.msg);
	cr_assert_neq(tp_listener_port(srv->listener), 0);
	cr_assert_eq(pthread_create(&srv->thread, NULL, tt_server_main, srv),
	             0);
}

static __attribute__((unused)) void
tt_server_start(struct tt_server *srv, const struct tp_session_conf *conf)
{
	tt_server_start_mode(srv, conf, false);
}

static __attribute__((unused)) void
tt_server_start_serial(struct tt_server *srv,
                       const struct tp_session_conf *conf)
{
	tt_server_start_mode(srv, conf, true);
}

static __attribute__((unused)) void tt_server_stop(struct tt_server *srv)
{
	srv->stop = 1;
	pthread_join(srv->thread, NULL);
	tp_listener_free(srv->listener);
	pthread_mutex_destroy(&srv->lock);
}

/* Wait until the server has refused want peers (or 5 s). */
static __attribute__((unused)) void
tt_server_wait_refused(struct tt_server *srv, int want)
{
	uint64_t deadline = tt_now_ms() + 5000;

	while (srv->refused < want && tt_now_ms() < deadline)
		usleep(5000);
	cr_assert_eq(srv->refused, want, "server refused %d peers, want %d",
	             srv->refused, want);
}

/* Wait until the server holds no session (or 5 s). */
static __attribute__((unused)) void tt_server_wait_idle(struct tt_server *srv)
{
	uint64_t deadline = tt_now_ms() + 5000;

	while (srv->busy && tt_now_ms() < deadline)
		usleep(2000);
	cr_assert_eq(srv->busy, 0, "server still busy");
}

/* A client session driven by its own thread. */
struct tt_client {
	struct tp_session *session;
	pthread_t thread;
	atomic_int stop;
	size_t max_buffered;
	int result;
	struct tp_error err;
};

static __attribute__((unused)) void *tt_client_main(void *arg)
{
	struct tt_client *cl = arg;
	size_t buffered;

	while (!cl->stop) {
		cl->result = tp_session_run(cl->session, 20, &cl->err);
		if (cl->result < 0)
			break;
		buffered = tp_session_buffered(cl->session);
		if (buffered > cl->max_buffered)
			cl->max_buffered = buffered;
	}
	return NULL;
}

static __attribute__((unused)) void tt_client_start(struct tt_client *cl)
{
	cr_assert_eq(pthread_create(&cl->thread, NULL, tt_client_main, cl), 0);
}

static __attribute__((unused)) void tt_client_stop(struct tt_client *cl)
{
	cl->stop = 1;
	tp_session_stop(cl->session);
	pthread_join(cl->thread, NULL);
}

/* Connect to srv over loopback and finish the handshake, or fail the test. */
static __attribute__((unused)) struct tp_session *
tt_connect_ok(const struct tp_session_conf *conf, struct tt_server *srv)
{
	struct tp_error err = { 0 };
	struct tp_session *s;

	s = tp_session_connect(conf, "127.0.0.1",
	                       tp_listener_port(srv->listener), &err);
	cr_assert(s, "connect: %s", err.msg);
	cr_assert_eq(tp_session_handshake(s, &err), 0, "%s", err.msg);
	return s;
}

/* A thread that writes len bytes of data to a channel fd, then half-closes. */
struct tt_writer {
	int fd;
	const uint8_t *data;
	size_t len;
	atomic_size_t written;
	pthread_t thread;
};

static __attribute__((unused)) void *tt_writer_main(void *arg)
{
	struct tt_writer *w = arg;
	struct pollfd pfd = { .fd = w->fd, .events = POLLOUT };
	ssize_t n;

	while (w->written < w->len) {
		n = write(w->fd, w->data + w->written, w->len - w->written);
		if (n > 0)
			w->written += (size_t)n;
		else if (n < 0 && errno == EAGAIN)
			poll(&pfd, 1, 100);
		else
			break;
	}
	shutdown(w->fd, SHUT_WR);
	return NULL;
}

/* Read fd until EOF (or cap bytes) into buf; returns the count. */
static __attribute__((unused)) size_t tt_read_all(int fd, uint8_t *buf,
                                                  size_t cap)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + got, cap - got > 65536 ? 65536 : cap - got);
		if (n > 0) {
			got += (size_t)n;
			if (got == cap)
				break;
		} else if (n < 0 && errno == EAGAIN) {
			cr_assert_gt(poll(&pfd, 1, 10000), 0, "read stalled");
		} else {
			break;
		}
	}
	return got;
}

static __attribute__((unused)) void tt_sha256(const uint8_t *p, size_t n,
                                              uint8_t out[32])
{
	unsigned int len = 32;

	cr_assert(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL));
}

/*
 * Open a bulk channel name on s, joined to one end of a new non-blocking
 * socketpair; the other end, the application's, in *app_fd.
 */
static __attribute__((unused)) struct tp_chan *
tt_chan_open_pair(struct tp_session *s, const char *name, int *app_fd)
{
	struct tp_error err = { 0 };
	struct tp_chan *chan;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
	             0);
	chan = tp_chan_open(s, name, TP_PRIO_BULK, sv[1], &err);
	cr_assert(chan, "%s", err.msg);
	*app_fd = sv[0];
	return chan;
}

/* Start w writing len bytes of data into fd, a channel's local end. */
static __attribute__((unused)) void
tt_writer_start(struct tt_writer *w, int fd, const uint8_t *data, size_t len)
{
	w->fd = fd;
	w->data = data;
	w->len = len;
	w->written = 0;
	cr_assert_eq(pthread_create(&w->thread, NULL, tt_writer_main, w), 0);
}

/*
 * Read the echo of w's data from its fd to EOF (back holds len + 1) and
 * join the writer: the echo must be whole and byte-exact.
 */
static __attribute__((unused)) void tt_echo_verify(struct tt_writer *w,
                                                   uint8_t *back)
{
	uint8_t h1[32], h2[32];

	cr_assert_eq(tt_read_all(w->fd, back, w->len + 1), w->len);
	pthread_join(w->thread, NULL);
	tt_sha256(w->data, w->len, h1);
	tt_sha256(back, w->len, h2);
	cr_assert_arr_eq(h1, h2, 32, "hash mismatch");
}

/* A server-side channel service: echo everything back, then half-close.
 * Takes the fd (as intptr_t) and closes it. */
static __attribute__((unused)) void *tt_echo_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];
	ssize_t n, off, w;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += w) {
			w = write(fd, buf + off, (size_t)(n - off));
			if (w <= 0)
				goto out;
		}
	}
	shutdown(fd, SHUT_WR);
out:
	close(fd);
	return NULL;
}

/*
 * Two ends of a TLS 1.3 PSK connection over a nonblocking socketpair, with
 * both handshakes done. sv gets the fds; free with tt_tls_pair_free.
 */
struct tt_tls_pair {
	int sv[2];
	struct tp_tls *ctls, *stls;
	struct tp_tls_conn *client, *server;
};

static __attribute__((unused)) void tt_tls_pair_open(struct tt_tls_pair *p)
{
	static const char hex[] = "00112233445566778899aabbccddeeff"
	                          "00112233445566778899aabbccddeeff";
	struct tp_tls_conf tconf = { .psk_identity = "lab", .psk_hex = hex };
	struct tp_error err = { 0 };
	int ra = -EAGAIN, rb = -EAGAIN;

	cr_assert_eq(socketpair(AF_UNIX,
	                        SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	                        p->sv),
	             0);
	p->ctls = tp_tls_new(&tconf, false, &err);
	cr_assert(p->ctls, "%s", err.msg);
	p->stls = tp_tls_new(&tconf, true, &err);
	cr_assert(p->stls, "%s", err.msg);
	p->client = tp_tls_conn_new(p->ctls, p->sv[0], "client", &err);
	p->server = tp_tls_conn_new(p->stls, p->sv[1], "server", &err);
	cr_assert(p->client && p->server);
	for (int i = 0; i < 1000 && (ra || rb); i++) {
		if (ra)
			ra = tp_tls_conn_handshake(p->client, &err);
		cr_assert(ra == 0 || ra == -EAGAIN, "client: %s", err.msg);
		if (rb)
			rb = tp_tls_conn_handshake(p->server, &err);
		cr_assert(rb == 0 || rb == -EAGAIN, "server: %s", err.msg);
		usleep(1000);
	}
	cr_assert_eq(ra, 0);
	cr_assert_eq(rb, 0);
}

/* Frees what is left: an end already freed is NULL, a closed fd -1. */
static __attribute__((unused)) void tt_tls_pair_free(struct tt_tls_pair *p)
{
	tp_tls_conn_free(p->client);
	tp_tls_conn_free(p->server);
	for (int i = 0; i < 2; i++)
		if (p->sv[i] >= 0)
			close(p->sv[i]);
	tp_tls_free(p->ctls);
	tp_tls_free(p->stls);
}

#endif
