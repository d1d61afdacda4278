/*
 * tls.h: TLS 1.3 for the transport, internal to transport/ (OpenSSL).
 *
 * struct tp_tls is one configured SSL_CTX for one role (client or server);
 * struct tp_tls_conn is one non-blocking TLS connection on a caller's fd.
 * Peers are authenticated either by X.509 (chain to the CA bundle, then
 * identity on the allowlist) or by TLS 1.3 external PSK.
 */
#ifndef SKYFERRY_TP_TLS_H
#define SKYFERRY_TP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "transport/tp.h"
#include "transport/tp_error.h"

#define TP_TLS_PEER_MAX 224

struct tp_tls;
struct tp_tls_conn;

/*
 * New TLS context from conf for the client or server role. Loads and checks
 * every file now, so a bad configuration fails here, not per peer. Returns
 * NULL with err filled (and errno set).
 */
struct tp_tls *tp_tls_new(const struct tp_tls_conf *conf, bool server,
                          struct tp_error *err);

/* Free a context; accepts NULL. Connections made from it must be gone. */
void tp_tls_free(struct tp_tls *tls);

/*
 * New TLS connection on fd (non-blocking, still owned by the caller).
 * peer_addr names the peer in every error ("192.0.2.1:4870"). Returns NULL
 * with err filled.
 */
struct tp_tls_conn *tp_tls_conn_new(struct tp_tls *tls, int fd,
                                    const char *peer_addr,
                                    struct tp_error *err);

/* Free a connection; accepts NULL. Does not close the fd. */
void tp_tls_conn_free(struct tp_tls_conn *conn);

/*
 * Drive the handshake. Returns 0 once the peer is authenticated, -EAGAIN
 * while it needs the fd readable (or writable: see tp_tls_conn_want_write),
 * or a negative errno with err filled by one line naming the peer and the
 * reason: -EACCES (peer not trusted or not allowed), -EPROTO (not TLS 1.3,
 * garbage), -ECONNRESET (peer went away).
 */
int tp_tls_conn_handshake(struct tp_tls_conn *conn, struct tp_error *err);

/* After -EAGAIN from any call: does the connection wait for POLLOUT? */
bool tp_tls_conn_want_write(const struct tp_tls_conn *conn);

/*
 * Read up to len bytes. Returns the count, 0 at the peer's clean close,
 * -EAGAIN, or a negative errno with err filled.
 */
ssize_t tp_tls_conn_read(struct tp_tls_conn *conn, void *buf, size_t len,
                         struct tp_error *err);

/*
 * Write up to len bytes (partial writes allowed; the same bytes must be
 * offered again after -EAGAIN). Returns the count, -EAGAIN or -errno.
 * The records may wait in the connection's gather buffer: a writer calls
 * tp_tls_conn_flush when it has nothing more to write for now.
 */
ssize_t tp_tls_conn_write(struct tp_tls_conn *conn, const void *buf, size_t len,
                          struct tp_error *err);

/*
 * RFC 8446 exporter of an established connection: out_len bytes bound to
 * this connection's secrets, label and context. Both peers get the same
 * bytes; nobody else can. Returns 0 or -EPROTO.
 */
int tp_tls_conn_export(struct tp_tls_conn *conn, const char *label,
                       const uint8_t *context, size_t context_len,
                       uint8_t *out, size_t out_len);

/*
 * Send on what writes left gathered (see tp_tls_gather_new): 0 when all
 * is out, -EAGAIN when the socket is full (wait until it is writable and
 * call again), or a negative errno with err filled.
 */
int tp_tls_conn_flush(struct tp_tls_conn *conn, struct tp_error *err);

/* Send close_notify, best effort. */
void tp_tls_conn_shutdown(struct tp_tls_conn *conn);

/* "addr [identity]" once authenticated, "addr" before. Never NULL. */
const char *tp_tls_conn_peer(const struct tp_tls_conn *conn);

/* Matched allowlist identity or PSK identity; "" before the handshake. */
const char *tp_tls_conn_identity(const struct tp_tls_conn *conn);

/*
 * tls_bio.c: a socket BIO on fd (not closed with the BIO) that never
 * raises SIGPIPE: writes to a vanished peer fail with EPIPE instead.
 * Returns NULL with errno set.
 */
BIO *tp_tls_bio_new(int fd);

/*
 * tls_bio.c: a BIO that gathers what is written to it and passes it on to
 * sock (the socket BIO) in large sends, when full or flushed. It holds a
 * reference to sock. Returns NULL with errno set.
 */
BIO *tp_tls_gather_new(BIO *sock);

/*
 * Does cert carry an identity on allow? On a match, copies the matched
 * identity ("dns:alpha") into matched. Exposed for tests.
 */
bool tp_tls_cert_allowed(X509 *cert, const char *const *allow, char *matched,
                         size_t matched_len);

#endif
