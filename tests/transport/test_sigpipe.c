/*
 * test_sigpipe.c: a write to a peer that vanished fails with an error and
 * never raises SIGPIPE, whatever the application did with that signal.
 * Every test runs with SIGPIPE at its default action (terminate) and
 * unblocked, so a raised SIGPIPE would crash the test.
 */
#include <signal.h>

#include "tests/transport/tp_testlib.h"
#include "transport/tls.h"

static const char psk_hex[] = "00112233445566778899aabbccddeeff"
                              "00112233445566778899aabbccddeeff";

static void sigpipe_default(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

TestSuite(transport_sigpipe, .init = sigpipe_default);

Test(transport_sigpipe, tls_write_to_dead_peer, .timeout = 10)
{
	struct tt_tls_pair p;
	struct tp_error err = { 0 };
	static uint8_t buf[16384];
	ssize_t n = 0;

	tt_tls_pair_open(&p);
	/* The server vanishes without a word. */
	tp_tls_conn_free(p.server);
	p.server = NULL;
	close(p.sv[1]);
	p.sv[1] = -1;
	for (int i = 0; i < 100; i++) {
		n = tp_tls_conn_write(p.client, buf, sizeof(buf), &err);
		if (n >= 0)
			n = tp_tls_conn_flush(p.client, &err);
		if (n < 0 && n != -EAGAIN)
			break;
	}
	cr_assert(n < 0 && n != -EAGAIN, "write to a dead peer returned %zd",
	          n);
	cr_log_info("write to a dead peer: %s", err.msg);
	/* close_notify to the dead peer must not kill us either. */
	tp_tls_conn_shutdown(p.client);
	tt_tls_pair_free(&p);
}

/* Every channel the peer opens echoes through this thread. */
static pthread_t echo_thread;
static atomic_int echo_started;

static void *echo_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	shutdown(fd, SHUT_WR);
	close(fd);
	return NULL;
}

static int echo_on_open(void *arg, const char *name, unsigned int priority)
{
	int sv[2];

	(void)arg;
	(void)name;
	(void)priority;
	if (echo_started ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -EAGAIN;
	if (pthread_create(&echo_thread, NULL, echo_main,
	                   (void *)(intptr_t)sv[0]) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -EAGAIN;
	}
	echo_started = 1;
	return sv[1];
}

/*
 * The local application closes its end of a channel while the peer's
 * echo is still coming back: the session's write to the local socket
 * fails (channel error), the process lives on.
 */
Test(transport_sigpipe, chan_local_reader_gone, .timeout = 10)
{
	struct tp_session_conf conf = { 0 };
	struct tp_error err = { 0 };
	struct tt_server srv;
	struct tp_session *s;
	struct tp_chan *chan;
	static uint8_t data[256u << 10];
	int sv[2], ret = 0;
	ssize_t n;

	conf.tls.psk_identity = "lab";
	conf.tls.psk_hex = psk_hex;
	conf.on_open = echo_on_open;
	tt_server_start(&srv, &conf);
	s = tp_session_connect(&conf, "127.0.0.1",
	                       tp_listener_port(srv.listener), &err);
	cr_assert(s, "%s", err.msg);
	cr_assert_eq(tp_session_handshake(s, &err), 0, "%s", err.msg);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	             0);
	chan = tp_chan_open(s, "echo", TP_PRIO_BULK, sv[1], &err);
	cr_assert(chan, "%s", err.msg);
	/* Queue data for the session to read, then vanish. */
	memset(data, 'x', sizeof(data));
	n = send(sv[0], data, 64u << 10, MSG_DONTWAIT);
	cr_assert_gt(n, 0);
	close(sv[0]);
	for (int i = 0; i < 300 && ret == 0 && !tp_chan_error(chan, NULL);
	     i++)
		ret = tp_session_run(s, 10, &err);
	cr_assert_eq(ret, 0, "session failed: %s", err.msg);
	ret = tp_chan_error(chan, &err);
	cr_log_info("channel error: %d %s", ret, err.msg);
	cr_assert_eq(ret, -EPIPE, "channel error %d: %s", ret, err.msg);
	tp_session_free(s);
	tt_server_stop(&srv);
	if (echo_started)
		pthread_join(echo_thread, NULL);
}
