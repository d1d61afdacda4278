/*
 * test_tls.c: TLS 1.3 handshake and the bad-peer matrix. Each bad peer is
 * refused with one error naming the peer and the reason, the server keeps
 * serving good peers, and its fds return to baseline; over 20 rounds of
 * the matrix, so do the fds and the heap of the whole process.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tests/transport/tp_testlib.h"
#include "transport/tls.h"
#include "transport/tp_frame.h"

static const char *const allow_alpha[] = { "alpha", NULL };
static const char *const allow_server[] = { "dns:server", NULL };

/* A good client: alpha from the lab CA. Must succeed. */
static void good_client(struct tt_certs *c, struct tt_server *srv)
{
	struct tp_session_conf conf = { 0 };
	struct tp_error err = { 0 };
	struct tp_session *s;
	int accepted = srv->accepted;

	tt_conf_x509(c, &conf, "ca", "alpha", allow_server);
	s = tp_session_connect(&conf, "127.0.0.1",
	                       tp_listener_port(srv->listener), &err);
	cr_assert(s, "connect: %s", err.msg);
	cr_assert_eq(tp_session_handshake(s, &err), 0, "good client: %s",
	             err.msg);
	cr_assert_eq(tp_session_version(s), TP_FRAME_VERSION);
	cr_assert(strstr(tp_session_peer(s), "dns:server"), "%s",
	          tp_session_peer(s));
	/* Keep the session until the server has seen our hello. */
	for (int i = 0; i < 500 && srv->accepted == accepted; i++)
		tp_session_run(s, 5, NULL);
	cr_assert_eq(srv->accepted, accepted + 1);
	tp_session_free(s);
	tt_server_wait_idle(srv);
}

/* Client with the given CA/cert; expect the server to refuse it. */
static void bad_client(struct tt_certs *c, struct tt_server *srv,
                       const char *ca, const char *name, const char *want)
{
	struct tp_session_conf conf = { 0 };
	struct tp_error err = { 0 };
	struct tp_session *s;
	int refused = srv->refused;
	int n;

	tt_conf_x509(c, &conf, ca, name, allow_server);
	s = tp_session_connect(&conf, "127.0.0.1",
	                       tp_listener_port(srv->listener), &err);
	cr_assert(s, "connect: %s", err.msg);
	cr_assert_lt(tp_session_handshake(s, &err), 0, "bad client %s accepted",
	             name);
	cr_log_info("client side: %s", err.msg);
	tp_session_free(s);
	tt_server_wait_refused(srv, refused + 1);
	n = refused % 8;
	cr_log_info("server side: %s", srv->errors[n]);
	cr_assert(strstr(srv->errors[n], "peer 127.0.0.1:"),
	          "no peer named: %s", srv->errors[n]);
	cr_assert(strstr(srv->errors[n], want), "\"%s\" lacks \"%s\"",
	          srv->errors[n], want);
	cr_assert_eq(srv->error_codes[n], -EACCES);
}

/* Raw TCP peer that sends bytes, then waits for the server to hang up. */
static void raw_peer(struct tt_server *srv, const void *bytes, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[256];
	int fd;

	sin.sin_port = htons(tp_listener_port(srv->listener));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(write(fd, bytes, len), (ssize_t)len);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

/* A TLS 1.2-only client made directly with OpenSSL. */
static void tls12_peer(struct tt_certs *c, struct tt_server *srv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	int fd;

	cr_assert(ctx);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_use_certificate_file(ctx, tt_certs_path(c, "alpha.crt"),
	                             SSL_FILETYPE_PEM);
	SSL_CTX_use_PrivateKey_file(ctx, tt_certs_path(c, "alpha.key"),
	                            SSL_FILETYPE_PEM);
	sin.sin_port = htons(tp_listener_port(srv->listener));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	cr_assert_neq(SSL_connect(ssl), 1, "TLS 1.2 handshake succeeded");
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	close(fd);
}

Test(transport_tls, bad_peer_matrix_x509, .timeout = 20)
{
	struct tp_session_conf conf = { 0 };
	struct tt_server srv;
	struct tt_certs c;
	int baseline;

	tt_certs_make(&c);
	tt_conf_x509(&c, &conf, "ca", "server", allow_alpha);
	conf.handshake_ms = 3000;
	tt_server_start(&srv, &conf);
	good_client(&c, &srv);
	baseline = tt_fd_count();

	/* Wrong CA. */
	bad_client(&c, &srv, "ca", "rogue-alpha", "not signed by our CA");
	cr_assert_eq(tt_fd_count(), baseline);
	good_client(&c, &srv);

	/* Identity not on the allowlist. */
	bad_client(&c, &srv, "ca", "mallory", "not on the allowlist");
	cr_assert(strstr(srv.errors[1], "CN=mallory"), "%s", srv.errors[1]);
	cr_assert_eq(tt_fd_count(), baseline);
	good_client(&c, &srv);

	/* Expired certificate. */
	bad_client(&c, &srv, "ca", "old", "certificate has expired");
	cr_assert_eq(tt_fd_count(), baseline);
	good_client(&c, &srv);

	/* Plaintext, then garbage. */
	raw_peer(&srv, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	tt_server_wait_refused(&srv, 4);
	cr_log_info("server side: %s", srv.errors[3]);
	cr_assert(strstr(srv.errors[3], "not a TLS client"), "%s",
	          srv.errors[3]);
	cr_assert(strstr(srv.errors[3], "peer 127.0.0.1:"), "%s",
	          srv.errors[3]);
	raw_peer(&srv, "\x16\x03\x01\xff\xff garbage garbage garbage", 28);
	tt_server_wait_refused(&srv, 5);
	cr_log_info("server side: %s", srv.errors[4]);
	cr_assert(strstr(srv.errors[4], "peer 127.0.0.1:"), "%s",
	          srv.errors[4]);
	cr_assert_eq(tt_fd_count(), baseline);
	good_client(&c, &srv);

	/* TLS 1.2-only client. */
	tls12_peer(&c, &srv);
	tt_server_wait_refused(&srv, 6);
	cr_log_info("server side: %s", srv.errors[5]);
	cr_assert(strstr(srv.errors[5], "TLS 1.3 required"), "%s",
	          srv.errors[5]);
	cr_assert_eq(tt_fd_count(), baseline);
	good_client(&c, &srv);

	tt_server_stop(&srv);
	tt_certs_remove(&c);
}

static const char psk_key[] = "000102030405060708090a0b0c0d0e0f"
                              "101112131415161718191a1b1c1d1e1f";
static const char psk_wrong[] = "ff0102030405060708090a0b0c0d0e0f"
                                "101112131415161718191a1b1c1d1e1f";

/* A PSK client with key hex: accepted (the server sees our hello), or
 * refused with want in the server's error. */
static void psk_client(struct tt_server *srv, const char *hex, const char *want)
{
	struct tp_session_conf conf = { 0 };
	struct tp_error err = { 0 };
	struct tp_session *s;
	int accepted = srv->accepted, refused = srv->refused;

	conf.tls.psk_identity = "lab";
	conf.tls.psk_hex = hex;
	s = tp_session_connect(&conf, "127.0.0.1",
	                       tp_listener_port(srv->listener), &err);
	cr_assert(s, "connect: %s", err.msg);
	if (!want) {
		cr_assert_eq(tp_session_handshake(s, &err), 0, "%s", err.msg);
		for (int i = 0; i < 500 && srv->accepted == accepted; i++)
			tp_session_run(s, 5, NULL);
		cr_assert_eq(srv->accepted, accepted + 1);
		tp_session_free(s);
		tt_server_wait_idle(srv);
		return;
	}
	cr_assert_lt(tp_session_handshake(s, &err), 0, "bad PSK accepted");
	tp_session_free(s);
	tt_server_wait_refused(srv, refused + 1);
	cr_assert(strstr(srv->errors[refused % 8], want), "\"%s\" lacks \"%s\"",
	          srv->errors[refused % 8], want);
}

/* A raw peer's bytes are refused by the server with want in the error. */
static void raw_peer_refused(struct tt_server *srv, const void *bytes,
                             size_t len, const char *want)
{
	int refused = srv->refused;

	raw_peer(srv, bytes, len);
	tt_server_wait_refused(srv, refused + 1);
	cr_assert(strstr(srv->errors[refused % 8], want), "\"%s\" lacks \"%s\"",
	          srv->errors[refused % 8], want);
}

/* Every bad peer of the matrix once, then a good one on each server. */
static void bad_peer_round(struct tt_certs *c, struct tt_server *x509,
                           struct tt_server *psk)
{
	int refused;

	bad_client(c, x509, "ca", "rogue-alpha", "not signed by our CA");
	bad_client(c, x509, "ca", "mallory", "not on the allowlist");
	bad_client(c, x509, "ca", "old", "certificate has expired");
	raw_peer_refused(x509, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27,
	                 "not a TLS client");
	raw_peer_refused(x509, "\x16\x03\x01\xff\xff garbage garbage garbage",
	                 28, "peer 127.0.0.1:");
	refused = x509->refused;
	tls12_peer(c, x509);
	tt_server_wait_refused(x509, refused + 1);
	cr_assert(strstr(x509->errors[refused % 8], "TLS 1.3 required"), "%s",
	          x509->errors[refused % 8]);
	psk_client(psk, psk_wrong, "PSK mismatch");
	good_client(c, x509);
	psk_client(psk, psk_key, NULL);
}

/*
 * Bytes malloc holds for the process: small chunks and mmapped ones.
 * glibc counts the chunks of its per-thread cache (tcache) as in use, so
 * first fill this thread's cache (7 chunks of each size up to 1032
 * bytes): two measurements then see the same cache, whatever ran in
 * between. The server threads' caches go with their threads.
 */
static size_t heap_in_use(void)
{
	void *volatile chunks[8];
	struct mallinfo2 mi;

	for (size_t size = 24; size <= 1032; size += 16) {
		for (int i = 0; i < 8; i++)
			chunks[i] = malloc(size);
		for (int i = 0; i < 8; i++)
			free(chunks[i]);
	}
	mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/*
 * Issue 3: 20 rounds of the bad-peer matrix against one X.509 and one
 * PSK server. Each bad peer is refused for its reason, good peers are
 * served after every round, and the process's fds and heap come back to
 * what they were after a warm-up round (OpenSSL's one-time caches).
 */
Test(transport_tls, bad_peers_leave_no_trace, .timeout = 120)
{
	const int rounds = 20;
	struct tp_session_conf xconf = { 0 }, pconf = { 0 };
	struct tt_server x509, psk;
	struct tt_certs c;
	size_t heap_before, heap_after;
	int fds_before, fds_after;

	tt_certs_make(&c);
	tt_conf_x509(&c, &xconf, "ca", "server", allow_alpha);
	xconf.handshake_ms = 3000;
	pconf.tls.psk_identity = "lab";
	pconf.tls.psk_hex = psk_key;
	pconf.handshake_ms = 3000;
	tt_server_start_serial(&x509, &xconf);
	tt_server_start_serial(&psk, &pconf);

	bad_peer_round(&c, &x509, &psk);
	fds_before = tt_fd_count();
	heap_before = heap_in_use();
	for (int i = 0; i < rounds; i++)
		bad_peer_round(&c, &x509, &psk);
	fds_after = tt_fd_count();
	heap_after = heap_in_use();
	cr_log_info("after %d rounds: %d refused, %d served; fds %d -> %d, "
	            "heap %zu -> %zu bytes",
	            rounds, x509.refused + psk.refused,
	            x509.accepted + psk.accepted, fds_before, fds_after,
	            heap_before, heap_after);
	cr_assert_eq(x509.refused, 6 * (rounds + 1));
	cr_assert_eq(psk.refused, rounds + 1);
	cr_assert_eq(x509.accepted + psk.accepted, 2 * (rounds + 1));
	cr_assert_eq(fds_after, fds_before, "fds %d -> %d", fds_before,
	             fds_after);
	cr_assert_lt(heap_after, heap_before + (64u << 10),
	             "heap grew %zu -> %zu bytes", heap_before, heap_after);

	tt_server_stop(&x509);
	tt_server_stop(&psk);
	tt_certs_remove(&c);
}

Test(transport_tls, client_refuses_wrong_server, .timeout = 10)
{
	static const char *const allow_other[] = { "dns:beta", NULL };
	struct tp_session_conf sconf = { 0 }, cconf = { 0 };
	struct tp_error err = { 0 };
	struct tt_server srv;
	struct tp_session *s;
	struct tt_certs c;

	tt_certs_make(&c);
	tt_conf_x509(&c, &sconf, "ca", "server", allow_alpha);
	tt_server_start(&srv, &sconf);
	/* The client only trusts "beta"; the server is "server". */
	tt_conf_x509(&c, &cconf, "ca", "alpha", allow_other);
	s = tp_session_connect(&cconf, "127.0.0.1",
	                       tp_listener_port(srv.listener), &err);
	cr_assert(s);
	cr_assert_eq(tp_session_handshake(s, &err), -EACCES, "%s", err.msg);
	cr_log_info("client side: %s", err.msg);
	cr_assert(strstr(err.msg, "CN=server is not on the allowlist"), "%s",
	          err.msg);
	tp_session_free(s);
	tt_server_wait_refused(&srv, 1);
	tt_server_stop(&srv);
	tt_certs_remove(&c);
}

Test(transport_tls, psk, .timeout = 10)
{
	struct tp_session_conf sconf = { 0 }, cconf = { 0 };
	struct tp_error err = { 0 };
	struct tt_server srv;
	struct tp_session *s;
	int baseline;

	sconf.tls.psk_identity = "lab";
	sconf.tls.psk_hex = "000102030405060708090a0b0c0d0e0f"
	                    "101112131415161718191a1b1c1d1e1f";
	sconf.handshake_ms = 3000;
	tt_server_start(&srv, &sconf);

	cconf = sconf;
	s = tp_session_connect(&cconf, "127.0.0.1",
	                       tp_listener_port(srv.listener), &err);
	cr_assert(s, "%s", err.msg);
	cr_assert_eq(tp_session_handshake(s, &err), 0, "%s", err.msg);
	cr_assert(strstr(tp_session_peer(s), "psk:lab"), "%s",
	          tp_session_peer(s));
	for (int i = 0; i < 500 && srv.accepted == 0; i++)
		tp_session_run(s, 5, NULL);
	tp_session_free(s);
	tt_server_wait_idle(&srv);
	baseline = tt_fd_count();

	/* Same identity, wrong key. */
	cconf.tls.psk_hex = "ff0102030405060708090a0b0c0d0e0f"
	                    "101112131415161718191a1b1c1d1e1f";
	s = tp_session_connect(&cconf, "127.0.0.1",
	                       tp_listener_port(srv.listener), &err);
	cr_assert(s);
	cr_assert_lt(tp_session_handshake(s, &err), 0);
	cr_log_info("client side: %s", err.msg);
	tp_session_free(s);
	tt_server_wait_refused(&srv, 1);
	cr_log_info("server side: %s", srv.errors[0]);
	cr_assert(strstr(srv.errors[0], "PSK mismatch"), "%s", srv.errors[0]);
	cr_assert(strstr(srv.errors[0], "peer 127.0.0.1:"), "%s",
	          srv.errors[0]);

	/* Unknown identity. */
	cconf.tls.psk_identity = "intruder";
	s = tp_session_connect(&cconf, "127.0.0.1",
	                       tp_listener_port(srv.listener), &err);
	cr_assert(s);
	cr_assert_lt(tp_session_handshake(s, &err), 0);
	tp_session_free(s);
	tt_server_wait_refused(&srv, 2);
	tt_server_wait_idle(&srv);
	cr_log_info("server side: %s", srv.errors[1]);
	cr_assert(strstr(srv.errors[1], "unknown PSK identity \"intruder\""),
	          "%s", srv.errors[1]);
	cr_assert_eq(tt_fd_count(), baseline);

	/* Still serving. */
	cconf = sconf;
	s = tp_session_connect(&cconf, "127.0.0.1",
	                       tp_listener_port(srv.listener), &err);
	cr_assert(s);
	cr_assert_eq(tp_session_handshake(s, &err), 0, "%s", err.msg);
	for (int i = 0; i < 500 && srv.accepted == 1; i++)
		tp_session_run(s, 5, NULL);
	cr_assert_eq(srv.accepted, 2);
	tp_session_free(s);
	tt_server_stop(&srv);
}

Test(transport_tls, config_errors)
{
	struct tp_tls_conf conf = { 0 };
	struct tp_error err = { 0 };

	cr_assert_null(tp_tls_new(&conf, true, &err));
	cr_assert_eq(err.code, -EINVAL);
	conf.psk_identity = "x";
	conf.psk_hex = "0011";
	cr_assert_null(tp_tls_new(&conf, true, &err));
	cr_assert(strstr(err.msg, "hex digits"), "%s", err.msg);
	conf.psk_hex = "zz0102030405060708090a0b0c0d0e0f";
	cr_assert_null(tp_tls_new(&conf, true, &err));
	cr_assert(strstr(err.msg, "not hex"), "%s", err.msg);
	conf.psk_identity = NULL;
	cr_assert_null(tp_tls_new(&conf, false, &err));
	memset(&conf, 0, sizeof(conf));
	conf.ca_file = "/nonexistent/ca.crt";
	conf.cert_file = "/nonexistent/a.crt";
	conf.key_file = "/nonexistent/a.key";
	conf.allow = allow_alpha;
	cr_assert_null(tp_tls_new(&conf, false, &err));
	cr_assert(strstr(err.msg, "/nonexistent/ca.crt"), "%s", err.msg);
	tp_tls_free(NULL);
}

Test(transport_tls, allowlist_match)
{
	static const char *const by_dns[] = { "dns:ALPHA", NULL };
	static const char *const by_cn[] = { "cn:alpha", NULL };
	static const char *const by_uri[] = { "uri:spiffe://lab/a", NULL };
	static const char *const wrong_kind[] = { "uri:alpha", NULL };
	static const char *const none[] = { "alph", "alphaa", NULL };
	struct tt_certs c;
	char matched[160];
	FILE *f;
	X509 *cert;
	char cmd[256];

	tt_certs_make(&c);
	snprintf(cmd, sizeof(cmd),
	         "scripts/mkcerts --uri spiffe://lab/a --out uri %s alpha",
	         c.dir);
	cr_assert_eq(system(cmd), 0);
	f = fopen(tt_certs_path(&c, "uri.crt"), "r");
	cr_assert(f);
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert(cert);
	cr_assert(
	    tp_tls_cert_allowed(cert, allow_alpha, matched, sizeof(matched)));
	cr_assert_str_eq(matched, "dns:alpha");
	cr_assert(tp_tls_cert_allowed(cert, by_dns, matched, sizeof(matched)));
	cr_assert(tp_tls_cert_allowed(cert, by_cn, matched, sizeof(matched)));
	cr_assert_str_eq(matched, "cn:alpha");
	cr_assert(tp_tls_cert_allowed(cert, by_uri, matched, sizeof(matched)));
	cr_assert_str_eq(matched, "uri:spiffe://lab/a");
	cr_assert_not(
	    tp_tls_cert_allowed(cert, wrong_kind, matched, sizeof(matched)));
	cr_assert_not(
	    tp_tls_cert_allowed(cert, none, matched, sizeof(matched)));
	X509_free(cert);
	tt_certs_remove(&c);
}
