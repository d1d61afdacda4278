/*
 * test_tls_bio.c: the gather BIO under the transport's TLS connections
 * (transport/tls_bio.c). What is written is held until the buffer fills or
 * a flush, then sent in order, exactly once, also when the socket is full
 * part of the way; a dead peer is an error, not a retry and not SIGPIPE.
 */
#include <fcntl.h>
#include <signal.h>

#include <openssl/bio.h>

#include "tests/transport/tp_testlib.h"

struct gather_pair {
	int sv[2]; /* sv[0] under the BIOs, nonblocking; sv[1] the peer */
	BIO *sock;
	BIO *gather;
};

static void pair_open(struct gather_pair *p)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->sv),
	             0);
	cr_assert_eq(fcntl(p->sv[0], F_SETFL, O_NONBLOCK), 0);
	p->sock = tp_tls_bio_new(p->sv[0]);
	cr_assert(p->sock);
	p->gather = tp_tls_gather_new(p->sock);
	cr_assert(p->gather);
}

static void pair_close(struct gather_pair *p)
{
	BIO_free_all(p->gather); /* drops its reference to sock */
	BIO_free(p->sock);
	close(p->sv[0]);
	if (p->sv[1] >= 0)
		close(p->sv[1]);
}

/* Byte i of the test stream. */
static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7u + (i >> 9));
}

static void fill(uint8_t *buf, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(off + i);
}

/* Read what the peer has now; check it continues the stream at *got. */
static size_t drain_peer(int fd, size_t *got)
{
	static uint8_t buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			cr_assert_eq(buf[i], pattern(*got + (size_t)i),
			             "byte %zu out of order or lost",
			             *got + (size_t)i);
		*got += (size_t)n;
		total += (size_t)n;
	}
	return total;
}

Test(transport_tls_bio, holds_small_writes_until_flush)
{
	struct gather_pair p;
	uint8_t buf[1000];
	size_t got = 0;

	pair_open(&p);
	fill(buf, 0, sizeof(buf));
	cr_assert_eq(BIO_write(p.gather, buf, 600), 600);
	cr_assert_eq(BIO_write(p.gather, buf + 600, 400), 400);
	cr_assert_eq(drain_peer(p.sv[1], &got), 0,
	             "sent before the buffer was full or flushed");
	cr_assert_eq(BIO_wpending(p.gather), 1000);
	cr_assert_eq(BIO_flush(p.gather), 1);
	cr_assert_eq(BIO_wpending(p.gather), 0);
	cr_assert_eq(drain_peer(p.sv[1], &got), 1000);
	pair_close(&p);
}

Test(transport_tls_bio, sends_when_full_in_order)
{
	struct gather_pair p;
	static uint8_t buf[16384];
	size_t off = 0, got = 0;
	int n;

	pair_open(&p);
	/* Five records of 16 KiB: the fifth does not fit in 64 KiB. */
	for (int i = 0; i < 5; i++) {
		fill(buf, off, sizeof(buf));
		for (size_t done = 0; done < sizeof(buf); done += (size_t)n) {
			n = BIO_write(p.gather, buf + done,
			              (int)(sizeof(buf) - done));
			cr_assert_gt(n, 0, "write %d: %d", i, n);
		}
		off += sizeof(buf);
	}
	cr_assert_geq(drain_peer(p.sv[1], &got), 64u << 10,
	              "a full buffer was not sent");
	cr_assert_eq(BIO_flush(p.gather), 1);
	drain_peer(p.sv[1], &got);
	cr_assert_eq(got, off);
	pair_close(&p);
}

/* A write as large as the buffer, with nothing held, goes straight out. */
Test(transport_tls_bio, large_write_passes_through)
{
	struct gather_pair p;
	static uint8_t buf[64u << 10];
	size_t got = 0;
	int n;

	pair_open(&p);
	fill(buf, 0, sizeof(buf));
	n = BIO_write(p.gather, buf, (int)sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(BIO_wpending(p.gather), 0);
	cr_assert_eq(drain_peer(p.sv[1], &got), (size_t)n);
	pair_close(&p);
}

/*
 * A socket that fills up: writes and flushes ask to be retried, keep what
 * they could not send, and once the peer reads, all of it arrives once.
 */
Test(transport_tls_bio, full_socket_retries_without_loss, .timeout = 20)
{
	struct gather_pair p;
	static uint8_t buf[16384];
	size_t off = 0, got = 0;
	int small = 4096, n, rc, blocked = 0;

	pair_open(&p);
	setsockopt(p.sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(p.sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	while (off < (4u << 20)) {
		fill(buf, off, sizeof(buf));
		for (size_t done = 0; done < sizeof(buf);) {
			n = BIO_write(p.gather, buf + done,
			              (int)(sizeof(buf) - done));
			if (n > 0) {
				done += (size_t)n;
				continue;
			}
			cr_assert(BIO_should_retry(p.gather) &&
			              BIO_should_write(p.gather),
			          "write failed without a retry: %d", n);
			blocked++;
			drain_peer(p.sv[1], &got);
		}
		off += sizeof(buf);
	}
	cr_assert_gt(blocked, 0, "the socket never filled up");
	while ((rc = BIO_flush(p.gather)) <= 0) {
		cr_assert(BIO_should_retry(p.gather), "flush failed: %d", rc);
		cr_assert_gt(BIO_wpending(p.gather), 0);
		drain_peer(p.sv[1], &got);
	}
	drain_peer(p.sv[1], &got);
	cr_assert_eq(got, off, "%zu of %zu bytes arrived", got, off);
	pair_close(&p);
}

Test(transport_tls_bio, dead_peer_is_an_error, .timeout = 10)
{
	struct gather_pair p;
	uint8_t buf[100] = { 0 };

	signal(SIGPIPE, SIG_DFL); /* a raised SIGPIPE ends the test */
	pair_open(&p);
	close(p.sv[1]);
	p.sv[1] = -1;
	cr_assert_eq(BIO_write(p.gather, buf, sizeof(buf)), 100);
	cr_assert_leq(BIO_flush(p.gather), 0);
	cr_assert_not(BIO_should_retry(p.gather),
	              "a dead peer must not read as 'try again'");
	pair_close(&p);
}

/* A TLS write is gathered; tp_tls_conn_flush is what puts it on the wire. */
Test(transport_tls_bio, conn_flush_sends_the_record, .timeout = 10)
{
	struct tt_tls_pair p;
	struct tp_error err = { 0 };
	char in[64] = { 0 };
	ssize_t n = -EAGAIN;

	tt_tls_pair_open(&p);
	cr_assert_eq(tp_tls_conn_write(p.client, "hello", 5, &err), 5);
	usleep(20000);
	cr_assert_eq(tp_tls_conn_read(p.server, in, sizeof(in), &err), -EAGAIN,
	             "the record left before the flush");
	cr_assert_eq(tp_tls_conn_flush(p.client, &err), 0, "%s", err.msg);
	for (int i = 0; i < 100 && n == -EAGAIN; i++) {
		n = tp_tls_conn_read(p.server, in, sizeof(in), &err);
		if (n == -EAGAIN)
			usleep(1000);
	}
	cr_assert_eq(n, 5, "read %zd: %s", n, err.msg);
	cr_assert_str_eq(in, "hello");
	tt_tls_pair_free(&p);
}
