/*
 * tls_bio.c: the BIOs under every TLS connection of the transport.
 *
 * The socket BIO is OpenSSL's with one change: it writes with
 * send(..., MSG_NOSIGNAL). OpenSSL's own writes with write(2), so a write
 * to a peer that reset the connection raises SIGPIPE, whose default action
 * kills the process; a library must not depend on its application ignoring
 * SIGPIPE. A vanished peer becomes EPIPE, which the TLS layer reports as a
 * lost connection. Reads, ctrl (fd, EOF, flush) and lifetime stay
 * OpenSSL's own.
 *
 * The gather BIO sits above it on the write side only. OpenSSL writes one
 * TLS record (at most 16 KiB) at a time, and a stripe writes many records
 * in a row; one send per record made the kernel's per-call work (the TCP
 * push, the device queue, a veth pair's soft interrupt) a large share of
 * the sender's CPU. The gather BIO copies records into TP_TLS_GATHER bytes
 * and sends them in one call when full and at every flush. OpenSSL
 * flushes after handshake messages and alerts, and a stripe after each
 * batch of frames (tp_tls_conn_flush), so nothing waits in it for more
 * data. A flush that would block keeps the rest (BIO_CTRL_WPENDING) and
 * sets the retry flag.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>

#include "transport/tls.h"

#define TP_TLS_GATHER (64u << 10)

/* What was written and not yet sent on: buf[off, len). */
struct tp_tls_gather {
	size_t off;
	size_t len;
	unsigned char buf[TP_TLS_GATHER];
};

static BIO_METHOD *tp_tls_bio_method;
static BIO_METHOD *tp_tls_gather_method;
static pthread_once_t tp_tls_bio_once = PTHREAD_ONCE_INIT;

static int tp_tls_bio_write(BIO *bio, const char *buf, int len)
{
	int fd = -1;
	ssize_t n;

	BIO_get_fd(bio, &fd);
	errno = 0;
	n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);
	BIO_clear_retry_flags(bio);
	if (n <= 0 && BIO_sock_should_retry((int)n))
		BIO_set_retry_write(bio);
	return (int)n;
}

static int tp_tls_bio_puts(BIO *bio, const char *str)
{
	size_t len = strlen(str);

	return tp_tls_bio_write(bio, str, len > INT_MAX ? INT_MAX : (int)len);
}

/* Send on what is gathered: 1 when all is out, else the next BIO's result. */
static int tp_tls_gather_drain(BIO *bio, struct tp_tls_gather *g)
{
	int n;

	while (g->off < g->len) {
		n = BIO_write(BIO_next(bio), g->buf + g->off,
		              (int)(g->len - g->off));
		if (n <= 0) {
			BIO_copy_next_retry(bio);
			return n;
		}
		g->off += (size_t)n;
	}
	g->off = g->len = 0;
	return 1;
}

static int tp_tls_gather_write(BIO *bio, const char *buf, int len)
{
	struct tp_tls_gather *g = BIO_get_data(bio);
	size_t room;
	int rc;

	BIO_clear_retry_flags(bio);
	if (len <= 0)
		return 0;
	if (g->len == TP_TLS_GATHER && (rc = tp_tls_gather_drain(bio, g)) <= 0)
		return rc;
	if (g->len == 0 && (size_t)len >= TP_TLS_GATHER) {
		rc = BIO_write(BIO_next(bio), buf, len);
		BIO_copy_next_retry(bio);
		return rc;
	}
	room = TP_TLS_GATHER - g->len;
	if (room > (size_t)len)
		room = (size_t)len;
	memcpy(g->buf + g->len, buf, room);
	g->len += room;
	return (int)room;
}

static int tp_tls_gather_puts(BIO *bio, const char *str)
{
	size_t len = strlen(str);

	return tp_tls_gather_write(bio, str,
	                           len > INT_MAX ? INT_MAX : (int)len);
}

static long tp_tls_gather_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	struct tp_tls_gather *g = BIO_get_data(bio);
	long rc;

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		BIO_clear_retry_flags(bio);
		rc = tp_tls_gather_drain(bio, g);
		return rc <= 0 ? rc : BIO_flush(BIO_next(bio));
	case BIO_CTRL_WPENDING:
		return (long)(g->len - g->off) +
		       BIO_ctrl(BIO_next(bio), cmd, num, ptr);
	default:
		return BIO_ctrl(BIO_next(bio), cmd, num, ptr);
	}
}

static int tp_tls_gather_create(BIO *bio)
{
	struct tp_tls_gather *g = calloc(1, sizeof(*g));

	if (!g)
		return 0;
	BIO_set_data(bio, g);
	BIO_set_init(bio, 1);
	return 1;
}

static int tp_tls_gather_destroy(BIO *bio)
{
	free(BIO_get_data(bio));
	BIO_set_data(bio, NULL);
	BIO_set_init(bio, 0);
	return 1;
}

static BIO_METHOD *tp_tls_gather_init(void)
{
	BIO_METHOD *meth;
	int type = BIO_get_new_index();

	if (type < 0)
		return NULL;
	meth = BIO_meth_new(type | BIO_TYPE_FILTER, "skyferry gather");
	if (!meth)
		return NULL;
	if (!BIO_meth_set_write(meth, tp_tls_gather_write) ||
	    !BIO_meth_set_puts(meth, tp_tls_gather_puts) ||
	    !BIO_meth_set_ctrl(meth, tp_tls_gather_ctrl) ||
	    !BIO_meth_set_create(meth, tp_tls_gather_create) ||
	    !BIO_meth_set_destroy(meth, tp_tls_gather_destroy)) {
		BIO_meth_free(meth);
		return NULL;
	}
	return meth;
}

/* Built once per process and kept: BIOs in use point at them. */
static void tp_tls_bio_init(void)
{
	const BIO_METHOD *sock = BIO_s_socket();
	BIO_METHOD *meth;
	int type = BIO_get_new_index();

	if (type < 0)
		return;
	meth = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
	                    "skyferry socket");
	if (!meth)
		return;
	if (!BIO_meth_set_write(meth, tp_tls_bio_write) ||
	    !BIO_meth_set_puts(meth, tp_tls_bio_puts) ||
	    !BIO_meth_set_read(meth, BIO_meth_get_read(sock)) ||
	    !BIO_meth_set_ctrl(meth, BIO_meth_get_ctrl(sock)) ||
	    !BIO_meth_set_create(meth, BIO_meth_get_create(sock)) ||
	    !BIO_meth_set_destroy(meth, BIO_meth_get_destroy(sock))) {
		BIO_meth_free(meth);
		return;
	}
	tp_tls_gather_method = tp_tls_gather_init();
	if (!tp_tls_gather_method) {
		BIO_meth_free(meth);
		return;
	}
	tp_tls_bio_method = meth;
}

BIO *tp_tls_bio_new(int fd)
{
	BIO *bio;

	pthread_once(&tp_tls_bio_once, tp_tls_bio_init);
	if (!tp_tls_bio_method) {
		errno = ENOMEM;
		return NULL;
	}
	bio = BIO_new(tp_tls_bio_method);
	if (!bio) {
		errno = ENOMEM;
		return NULL;
	}
	BIO_set_fd(bio, fd, BIO_NOCLOSE);
	return bio;
}

BIO *tp_tls_gather_new(BIO *sock)
{
	BIO *bio;

	pthread_once(&tp_tls_bio_once, tp_tls_bio_init);
	if (!tp_tls_gather_method) {
		errno = ENOMEM;
		return NULL;
	}
	bio = BIO_new(tp_tls_gather_method);
	if (!bio || !BIO_up_ref(sock)) {
		BIO_free(bio);
		errno = ENOMEM;
		return NULL;
	}
	BIO_push(bio, sock);
	return bio;
}
