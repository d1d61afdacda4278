/*
 * test_resume.c: sessions that survive link drops, and stripes. Byte-exact
 * delivery (SHA-256) through 1 and 4 stripes, reordering across stripes,
 * one stripe or every connection killed underneath a transfer, an outage
 * past the limit, joins with a wrong token or another identity, the
 * listener's limit on sessions kept for absent clients (max_detached),
 * and stripes, or a first connection, that nobody answers.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>

#include <openssl/evp.h>

#include "tests/transport/tp_testlib.h"
#include "transport/session_priv.h"

#define ECHO_MAX 8

static pthread_t echo_threads[ECHO_MAX];
static atomic_int echo_count;

static int echo_on_open(void *arg, const char *name, unsigned int priority)
{
	int sv[2], n;

	(void)arg;
	(void)name;
	(void)priority;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	n = echo_count++;
	if (n >= ECHO_MAX || pthread_create(&echo_threads[n], NULL, tt_echo_main,
	                                    (void *)(intptr_t)sv[0]) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -EAGAIN;
	}
	return sv[1];
}

static void echo_join(void)
{
	for (int i = 0; i < echo_count && i < ECHO_MAX; i++)
		pthread_join(echo_threads[i], NULL);
	echo_count = 0;
}

static const char psk_hex[] = "00112233445566778899aabbccddeeff"
                              "00112233445566778899aabbccddeeff";

static void conf_psk(struct tp_session_conf *conf, unsigned int stripes)
{
	memset(conf, 0, sizeof(*conf));
	conf->tls.psk_identity = "lab";
	conf->tls.psk_hex = psk_hex;
	conf->stripes = stripes;
	conf->keepalive_ms = 200;
	conf->dead_ms = 1000;
	conf->resume_timeout_ms = 3000;
	conf->replay_cap = 2u << 20;
	conf->on_open = echo_on_open;
}

/* The library must not need SIGPIPE ignored: keep the default action. */
static void setup(void)
{
	signal(SIGPIPE, SIG_DFL);
}

static void fill(uint8_t *p, size_t n)
{
	uint32_t seed = 4242;
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

enum fault { FAULT_NONE, FAULT_HOLD, FAULT_KILL_ONE, FAULT_KILL_ALL };

/*
 * Echo len bytes through one channel over stripes connections, applying
 * fault once a third has been written; the echo must come back whole.
 */
static void transfer(unsigned int stripes, enum fault fault,
                     struct tp_stats *out)
{
	const size_t len = 6u << 20;
	uint8_t *data = malloc(len), *back = malloc(len + 1);
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_client cl = { 0 };
	struct tt_writer w = { 0 };
	struct tt_server srv;
	struct tp_chan *chan;
	int app_fd;

	cr_assert(data && back);
	fill(data, len);
	conf_psk(&conf, stripes);
	tt_server_start(&srv, &conf);
	cl.session = tt_connect_ok(&conf, &srv);
	cr_assert_eq(tp_session_test_stripes_open(cl.session), stripes);
	chan = tt_chan_open_pair(cl.session, "echo", &app_fd);
	tt_client_start(&cl);
	if (fault == FAULT_HOLD)
		tp_session_test_hold(cl.session, 1, 300);
	tt_writer_start(&w, app_fd, data, len);
	if (fault == FAULT_KILL_ONE || fault == FAULT_KILL_ALL) {
		while (w.written < len / 3)
			usleep(1000);
		tp_session_test_kill(cl.session,
		                     fault == FAULT_KILL_ONE ? 1u << 1 : ~0u);
	}
	tt_echo_verify(&w, back);
	for (int i = 0; i < 400 && !tp_chan_done(chan); i++)
		usleep(5000);
	/* Killed stripes come back (racy read, good enough to wait on). */
	for (int i = 0; i < 400 && tp_session_test_stripes_open(cl.session) <
	                               stripes;
	     i++)
		usleep(5000);
	tt_client_stop(&cl);
	cr_assert_eq(tp_session_test_stripes_open(cl.session), stripes);
	cr_assert(tp_chan_done(chan));
	cr_assert_eq(tp_chan_error(chan, &err), 0, "%s", err.msg);
	tp_session_stats(cl.session, out);
	cr_log_info("%u stripes: resent %llu, reordered %llu, duplicate "
	            "%llu, resumes %llu",
	            stripes, (unsigned long long)out->tx_resent,
	            (unsigned long long)out->rx_reordered,
	            (unsigned long long)out->rx_duplicate,
	            (unsigned long long)out->resumes);
	tp_session_free(cl.session);
	tt_server_stop(&srv);
	echo_join();
	close(app_fd);
	free(data);
	free(back);
}

TestSuite(transport_resume, .init = setup);

Test(transport_resume, one_stripe_exact, .timeout = 10)
{
	struct tp_stats stats;

	transfer(1, FAULT_NONE, &stats);
	cr_assert_eq(stats.tx_resent, 0);
}

Test(transport_resume, four_stripes_exact, .timeout = 10)
{
	struct tp_stats stats;

	transfer(4, FAULT_NONE, &stats);
}

Test(transport_resume, reorder_across_stripes, .timeout = 10)
{
	struct tp_stats stats;

	transfer(4, FAULT_HOLD, &stats);
	cr_assert_gt(stats.rx_reordered, 0, "nothing arrived out of order");
}

Test(transport_resume, kill_one_stripe, .timeout = 10)
{
	struct tp_stats stats;

	transfer(4, FAULT_KILL_ONE, &stats);
	cr_assert_gt(stats.resumes, 0, "stripe not re-established");
}

Test(transport_resume, kill_all_one_stripe, .timeout = 10)
{
	struct tp_stats stats;

	transfer(1, FAULT_KILL_ALL, &stats);
	cr_assert_gt(stats.resumes, 0, "session not resumed");
}

Test(transport_resume, kill_all_four_stripes, .timeout = 10)
{
	struct tp_stats stats;

	transfer(4, FAULT_KILL_ALL, &stats);
	cr_assert_gt(stats.resumes, 0, "session not resumed");
}

/*
 * Cut every connection of a session with two channels while its server
 * stays silent; with set_ms, the limit is set at run time (from conf's
 * 20 s) before the cut.
 */
static void outage_past(unsigned int conf_ms, unsigned int set_ms)
{
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_server srv;
	struct tp_session *s;
	struct tp_chan *chan[2];
	uint64_t start;
	int sv[2][2], ret;
	char want[64];

	conf_psk(&conf, 2);
	conf.resume_timeout_ms = conf_ms;
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
		chan[i] = tp_chan_open(s, "echo", TP_PRIO_BULK, sv[i][1], &err);
		cr_assert(chan[i], "%s", err.msg);
	}
	if (set_ms)
		cr_assert_eq(tp_session_set_resume_timeout(s, set_ms), 0);
	cr_assert_eq(tp_session_run(s, 200, &err), 0, "%s", err.msg);
	/* The server stops answering; every connection drops. */
	srv.pause = 1;
	tp_session_test_kill(s, ~0u);
	start = tt_now_ms();
	ret = tp_session_run(s, 3000, &err);
	cr_log_info("after %llu ms: %s",
	            (unsigned long long)(tt_now_ms() - start), err.msg);
	cr_assert_eq(ret, -ETIMEDOUT, "ret %d %s", ret, err.msg);
	cr_assert_lt(tt_now_ms() - start, 1500);
	snprintf(want, sizeof(want), "resume limit of %u ms",
	         set_ms ? set_ms : conf_ms);
	cr_assert(strstr(err.msg, want), "%s", err.msg);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(tp_chan_error(chan[i], &err), -ETIMEDOUT);
		cr_assert(strstr(err.msg, "resume limit"), "%s", err.msg);
		close(sv[i][0]);
	}
	cr_assert_eq(tp_session_run(s, 10, NULL), -ETIMEDOUT);
	tp_session_free(s);
	srv.pause = 0;
	tt_server_stop(&srv);
	echo_join();
}

Test(transport_resume, outage_past_limit, .timeout = 10)
{
	outage_past(300, 0);
}

/* The migrator lowers its limit to what the receiver grants. */
Test(transport_resume, limit_set_at_run_time, .timeout = 10)
{
	outage_past(20000, 300);
}

Test(transport_resume, limit_zero_refused, .timeout = 10)
{
	struct tp_session_conf conf;
	struct tt_server srv;
	struct tp_session *s;

	conf_psk(&conf, 1);
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	cr_assert_eq(tp_session_set_resume_timeout(s, 0), -EINVAL);
	tp_session_free(s);
	tt_server_stop(&srv);
	echo_join();
}

/* thief joins victim's session with stolen (maybe corrupted) credentials. */
static void join_refused(const struct tp_session_conf *server_conf,
                         const struct tp_session_conf *victim_conf,
                         const struct tp_session_conf *thief_conf,
                         bool corrupt, const char *why)
{
	struct tp_error err = { 0 };
	struct tt_server srv;
	struct tp_session *victim, *thief;
	int ret;

	tt_server_start(&srv, server_conf);
	victim = tt_connect_ok(victim_conf, &srv);
	thief = tt_connect_ok(thief_conf, &srv);
	tp_session_test_steal(thief, victim, corrupt);
	tp_session_test_kill(thief, ~0u);
	ret = tp_session_run(thief, 3000, &err);
	cr_log_info("thief: %s", err.msg);
	cr_assert_eq(ret, -EACCES, "ret %d %s", ret, err.msg);
	cr_assert(strstr(err.msg, why), "%s", err.msg);
	tt_server_wait_refused(&srv, 1);
	cr_assert(strstr(srv.errors[0], why), "%s", srv.errors[0]);
	/* The victim's session is untouched. */
	cr_assert_eq(tp_session_run(victim, 100, &err), 0, "%s", err.msg);
	cr_assert_eq(tp_session_test_stripes_open(victim), 1);
	tp_session_free(thief);
	tp_session_free(victim);
	tt_server_stop(&srv);
}

Test(transport_resume, wrong_token_refused, .timeout = 10)
{
	struct tp_session_conf conf;

	conf_psk(&conf, 1);
	join_refused(&conf, &conf, &conf, true, "bad session token");
}

Test(transport_resume, other_identity_refused, .timeout = 20)
{
	const char *const allow[] = { "alpha", "beta", NULL };
	struct tp_session_conf server, alpha, beta;
	struct tt_certs certs;

	tt_certs_make(&certs);
	conf_psk(&server, 1);
	server.tls.psk_identity = server.tls.psk_hex = NULL;
	alpha = beta = server;
	tt_conf_x509(&certs, &server, "ca", "server", allow);
	tt_conf_x509(&certs, &alpha, "ca", "alpha",
	             (const char *const[]){ "server", NULL });
	tt_conf_x509(&certs, &beta, "ca", "beta",
	             (const char *const[]){ "server", NULL });
	join_refused(&server, &alpha, &beta, false, "another identity");
	tt_certs_remove(&certs);
}

/* The client's session goes away: every connection drops, no reconnect. */
static void client_leave(struct tt_client *cl)
{
	tt_client_stop(cl);
	tp_session_test_kill(cl->session, ~0u);
	for (int i = 0; i < 200 && tp_session_test_stripes_open(cl->session);
	     i++)
		tp_session_run(cl->session, 1, NULL);
	cr_assert_eq(tp_session_test_stripes_open(cl->session), 0);
}

/* Wait until the listener keeps want sessions for their clients (or 5 s). */
static void wait_detached(struct tt_server *srv, unsigned int want)
{
	uint64_t deadline = tt_now_ms() + 5000;

	while (tp_listener_test_detached(srv->listener) != want &&
	       tt_now_ms() < deadline)
		usleep(2000);
	cr_assert_eq(tp_listener_test_detached(srv->listener), want,
	             "%u sessions detached, want %u",
	             tp_listener_test_detached(srv->listener), want);
}

/*
 * max_detached = 2: two sessions whose clients went away are kept; the
 * third that loses its client is not (it fails at once, naming why, and
 * no older one is evicted). The two kept resume byte-exact; the third
 * client's resume is refused and its channel gets the error.
 */
Test(transport_resume, max_detached_refuses_one_more, .timeout = 30)
{
	const size_t len = 4u << 20;
	uint8_t *data = malloc(len), *back = malloc(len + 1);
	uint8_t small[4096];
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_client cl[3] = { 0 };
	struct tt_writer w[2] = { 0 };
	struct tt_server srv;
	struct tp_chan *chan[3];
	struct tp_stats stats;
	int app_fd[3], ret;

	cr_assert(data && back);
	fill(data, len);
	memset(small, 'c', sizeof(small));
	conf_psk(&conf, 1);
	conf.resume_timeout_ms = 20000;
	conf.max_detached = 2;
	tt_server_start(&srv, &conf);
	for (int i = 0; i < 3; i++) {
		cl[i].session = tt_connect_ok(&conf, &srv);
		chan[i] = tt_chan_open_pair(cl[i].session, "echo", &app_fd[i]);
		tt_client_start(&cl[i]);
	}
	/* Sessions 0 and 1 stream; session 2 echoes a little, stays open. */
	for (int i = 0; i < 2; i++)
		tt_writer_start(&w[i], app_fd[i], data, len);
	cr_assert_eq(write(app_fd[2], small, sizeof(small)),
	             (ssize_t)sizeof(small));
	cr_assert_eq(tt_read_all(app_fd[2], back, sizeof(small)),
	             sizeof(small));
	while (w[0].written < len / 4 || w[1].written < len / 4)
		usleep(1000);

	client_leave(&cl[0]);
	wait_detached(&srv, 1);
	client_leave(&cl[1]);
	wait_detached(&srv, 2);
	client_leave(&cl[2]);
	/* The third is dropped, not kept, and the server says why. */
	for (int i = 0; i < 2500; i++) {
		pthread_mutex_lock(&srv.lock);
		ret = strstr(srv.session_err, "not kept") != NULL;
		pthread_mutex_unlock(&srv.lock);
		if (ret)
			break;
		usleep(2000);
	}
	cr_log_info("server: %s", srv.session_err);
	cr_assert(strstr(srv.session_err,
	                 "not kept for resume: 2 sessions already wait for "
	                 "their peer"),
	          "%s", srv.session_err);
	cr_assert(strstr(srv.session_err, "peer 127.0.0.1:"), "%s",
	          srv.session_err);
	cr_assert_eq(tp_listener_test_detached(srv.listener), 2);

	/* All three clients come back. */
	for (int i = 0; i < 3; i++) {
		cl[i].stop = 0;
		tt_client_start(&cl[i]);
	}
	for (int i = 0; i < 2; i++)
		tt_echo_verify(&w[i], back);
	pthread_join(cl[2].thread, NULL);
	cr_log_info("client 2: %s", cl[2].err.msg);
	cr_assert_eq(cl[2].result, -ENOENT, "%d %s", cl[2].result,
	             cl[2].err.msg);
	cr_assert(strstr(cl[2].err.msg, "refused: no such session"), "%s",
	          cl[2].err.msg);
	cr_assert_eq(tp_chan_error(chan[2], &err), -ENOENT, "%s", err.msg);
	cr_assert(strstr(err.msg, "no such session"), "%s", err.msg);
	cr_assert_eq(read(app_fd[2], small, sizeof(small)), 0,
	             "channel 2's local end not closed");
	wait_detached(&srv, 0);
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < 400 && !tp_chan_done(chan[i]); j++)
			usleep(5000);
		tt_client_stop(&cl[i]);
		cr_assert(tp_chan_done(chan[i]));
		cr_assert_eq(tp_chan_error(chan[i], &err), 0, "%s", err.msg);
		tp_session_stats(cl[i].session, &stats);
		cr_assert_gt(stats.resumes, 0, "session %d not resumed", i);
	}
	for (int i = 0; i < 3; i++) {
		tp_session_free(cl[i].session);
		close(app_fd[i]);
	}
	tt_server_stop(&srv);
	echo_join();
	free(data);
	free(back);
}

/*
 * A loopback listener that nobody accepts from: TCP connects, TLS is
 * never answered. With backlog 0 and one connection queued, further SYNs
 * are dropped, as by a host that is gone.
 */
static int silent_listener(int backlog, struct sockaddr_in *sin)
{
	socklen_t sin_len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)sin, &sin_len), 0);
	cr_assert_eq(listen(fd, backlog), 0);
	return fd;
}

enum stripes_fault { STRIPES_SILENT, STRIPES_REFUSED };

/*
 * Four stripes, of which only the first can be made: the others go to a
 * listener that never accepts (TCP completes, TLS never answers) or to a
 * closed port. The handshake returns by handshake_ms with one stripe, and
 * the session carries on over it, byte-exact, while the others keep
 * failing and being retried.
 */
static void stripes_unreachable(enum stripes_fault fault)
{
	const size_t len = 1u << 20;
	const unsigned int handshake_ms = 500;
	uint8_t *data = malloc(len), *back = malloc(len + 1);
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_client cl = { 0 };
	struct tt_writer w = { 0 };
	struct sockaddr_in sin;
	struct tt_server srv;
	struct tp_chan *chan;
	uint64_t start, elapsed;
	int app_fd, hole, fd, attempts = 0;

	cr_assert(data && back);
	fill(data, len);
	conf_psk(&conf, 4);
	conf.handshake_ms = handshake_ms;
	tt_server_start(&srv, &conf);
	hole = silent_listener(16, &sin);
	if (fault == STRIPES_REFUSED)
		close(hole); /* now a closed port */
	cl.session = tp_session_connect(&conf, "127.0.0.1",
	                                tp_listener_port(srv.listener), &err);
	cr_assert(cl.session, "%s", err.msg);
	/* Stripes after the first (and resumes) go to the hole. */
	memcpy(&cl.session->peer_sa, &sin, sizeof(sin));
	cl.session->peer_sa_len = sizeof(sin);
	start = tt_now_ms();
	cr_assert_eq(tp_session_handshake(cl.session, &err), 0, "%s", err.msg);
	elapsed = tt_now_ms() - start;
	cr_log_info("handshake with 1 of 4 stripes: %llu ms",
	            (unsigned long long)elapsed);
	cr_assert_lt(elapsed, handshake_ms + 1000);
	cr_assert_eq(tp_session_test_stripes_open(cl.session), 1);

	chan = tt_chan_open_pair(cl.session, "echo", &app_fd);
	tt_client_start(&cl);
	tt_writer_start(&w, app_fd, data, len);
	tt_echo_verify(&w, back);
	/* Several handshake timeouts later the session still stands. */
	while (tt_now_ms() - start < 4 * handshake_ms)
		usleep(10000);
	tt_client_stop(&cl);
	cr_assert_eq(cl.result, 0, "%s", cl.err.msg);
	cr_assert_eq(tp_session_error(cl.session, &err), 0, "%s", err.msg);
	cr_assert_eq(tp_session_test_stripes_open(cl.session), 1);
	cr_assert(tp_chan_done(chan));
	cr_assert_eq(tp_chan_error(chan, &err), 0, "%s", err.msg);
	if (fault == STRIPES_SILENT) {
		/* The other stripes did try, more than once each. */
		while ((fd = accept(hole, NULL, NULL)) >= 0) {
			attempts++;
			close(fd);
		}
		cr_log_info("%d connections to the silent listener", attempts);
		cr_assert_geq(attempts, 6);
		close(hole);
	}
	tp_session_free(cl.session);
	tt_server_stop(&srv);
	echo_join();
	close(app_fd);
	free(data);
	free(back);
}

Test(transport_resume, stripes_never_handshake, .timeout = 20)
{
	stripes_unreachable(STRIPES_SILENT);
}

Test(transport_resume, stripes_refused, .timeout = 20)
{
	stripes_unreachable(STRIPES_REFUSED);
}

/*
 * The first connection itself is never answered: by TLS (the listener
 * never accepts), or not even by TCP (its backlog is full, SYNs are
 * dropped). Either way the caller gets -ETIMEDOUT after handshake_ms,
 * not the kernel's two minutes of SYN retries.
 */
Test(transport_resume, first_stripe_unanswered, .timeout = 20)
{
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct sockaddr_in sin;
	struct tp_session *s;
	uint64_t start, elapsed;
	int hole, filler, baseline;

	conf_psk(&conf, 1);
	conf.handshake_ms = 500;
	baseline = tt_fd_count();

	hole = silent_listener(16, &sin);
	s = tp_session_connect(&conf, "127.0.0.1", ntohs(sin.sin_port), &err);
	cr_assert(s, "%s", err.msg);
	start = tt_now_ms();
	cr_assert_eq(tp_session_handshake(s, &err), -ETIMEDOUT, "%s", err.msg);
	elapsed = tt_now_ms() - start;
	cr_log_info("TLS unanswered, after %llu ms: %s",
	            (unsigned long long)elapsed, err.msg);
	cr_assert_lt(elapsed, 1500);
	cr_assert(strstr(err.msg, "handshake timed out after 500 ms"), "%s",
	          err.msg);
	tp_session_free(s);
	close(hole);

	hole = silent_listener(0, &sin);
	filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(filler, (struct sockaddr *)&sin, sizeof(sin)), 0);
	start = tt_now_ms();
	s = tp_session_connect(&conf, "127.0.0.1", ntohs(sin.sin_port), &err);
	elapsed = tt_now_ms() - start;
	cr_log_info("TCP unanswered, after %llu ms: %s",
	            (unsigned long long)elapsed, err.msg);
	cr_assert_null(s);
	cr_assert_eq(err.code, -ETIMEDOUT, "%d %s", err.code, err.msg);
	cr_assert_lt(elapsed, 1500);
	cr_assert(strstr(err.msg, "connect 127.0.0.1:"), "%s", err.msg);
	close(filler);
	close(hole);
	cr_assert_eq(tt_fd_count(), baseline);
}
