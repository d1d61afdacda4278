/*
 * test_resume.c: sessions that survive link drops, and stripes. Byte-exact
 * delivery (SHA-256) through 1 and 4 stripes, reordering across stripes,
 * one stripe or every connection killed underneath a transfer, an outage
 * past the limit, and joins with a wrong token or another identity.
 */
#include <fcntl.h>
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
	uint8_t h1[32], h2[32];
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_client cl = { 0 };
	struct tt_writer w = { 0 };
	struct tt_server srv;
	struct tp_chan *chan;
	int sv[2];

	cr_assert(data && back);
	fill(data, len);
	conf_psk(&conf, stripes);
	tt_server_start(&srv, &conf);
	cl.session = tt_connect_ok(&conf, &srv);
	cr_assert_eq(tp_session_test_stripes_open(cl.session), stripes);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
	             0);
	chan = tp_chan_open(cl.session, "echo", TP_PRIO_BULK, sv[1], &err);
	cr_assert(chan, "%s", err.msg);
	tt_client_start(&cl);
	w.fd = sv[0];
	w.data = data;
	w.len = len;
	if (fault == FAULT_HOLD)
		tp_session_test_hold(cl.session, 1, 300);
	pthread_create(&w.thread, NULL, tt_writer_main, &w);
	if (fault == FAULT_KILL_ONE || fault == FAULT_KILL_ALL) {
		while (w.written < len / 3)
			usleep(1000);
		tp_session_test_kill(cl.session,
		                     fault == FAULT_KILL_ONE ? 1u << 1 : ~0u);
	}
	cr_assert_eq(tt_read_all(sv[0], back, len + 1), len);
	pthread_join(w.thread, NULL);
	tt_sha256(data, len, h1);
	tt_sha256(back, len, h2);
	cr_assert_arr_eq(h1, h2, 32, "hash mismatch");
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
	close(sv[0]);
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

Test(transport_resume, outage_past_limit, .timeout = 10)
{
	struct tp_session_conf conf;
	struct tp_error err = { 0 };
	struct tt_server srv;
	struct tp_session *s;
	struct tp_chan *chan[2];
	uint64_t start;
	int sv[2][2], ret;

	conf_psk(&conf, 2);
	conf.resume_timeout_ms = 300;
	tt_server_start(&srv, &conf);
	s = tt_connect_ok(&conf, &srv);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
		chan[i] = tp_chan_open(s, "echo", TP_PRIO_BULK, sv[i][1], &err);
		cr_assert(chan[i], "%s", err.msg);
	}
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
	cr_assert(strstr(err.msg, "resume limit of 300 ms"), "%s", err.msg);
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
