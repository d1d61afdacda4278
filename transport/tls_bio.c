/*
 * tls_bio.c: the socket BIO under every TLS connection of the transport.
 *
 * OpenSSL's socket BIO writes with write(2), so a write to a peer that
 * reset the connection raises SIGPIPE, whose default action kills the
 * process. A library must not depend on its application ignoring SIGPIPE,
 * so this BIO is OpenSSL's socket BIO with one change: it writes with
 * send(..., 0), and a vanished peer becomes EPIPE, which the
 * TLS layer reports as a lost connection. Reads, ctrl (fd, EOF, flush)
 * and lifetime stay OpenSSL's own.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>

#include "transport/tls.h"

static BIO_METHOD *tp_tls_bio_method;
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

/* Built once per process and kept: BIOs in use point at it. */
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
