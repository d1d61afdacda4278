/*
 * tls.c: TLS 1.3 only, mutual X.509 with an identity allowlist, or TLS 1.3
 * external PSK. Every refusal becomes one line naming the peer and why.
 * Connections sit on tls_bio.c's socket BIO, so no write raises SIGPIPE.
 */
#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "transport/tls.h"

#define TP_TLS_PSK_MIN    16 /* bytes: at least 128 bits */
#define TP_TLS_PSK_MAX    64
#define TP_TLS_ID_MAX     128
#define TP_TLS_REASON_MAX 200

struct tp_tls {
	SSL_CTX *ctx;
	bool server;
	char **allow; /* NULL-terminated copy */
	char psk_identity[TP_TLS_ID_MAX + 1];
	uint8_t psk_key[TP_TLS_PSK_MAX];
	size_t psk_len; /* 0: X.509 mode */
};

struct tp_tls_conn {
	struct tp_tls *tls;
	SSL *ssl;
	char addr[64];
	char identity[TP_TLS_ID_MAX + 8];
	char peer[TP_TLS_PEER_MAX];
	char reason[TP_TLS_REASON_MAX]; /* set by callbacks on refusal */
	bool want_write;
	bool established;
};

static int tp_tls_ex_index = -1;
static pthread_once_t tp_tls_ex_once = PTHREAD_ONCE_INIT;

static void tp_tls_ex_init(void)
{
	tp_tls_ex_index =
	    SSL_get_ex_new_index(0, "tp_tls_conn", NULL, NULL, NULL);
}

/* Copy s into dst, replacing anything not printable, for error lines. */
static void tp_tls_printable(char *dst, size_t dst_len, const char *s,
                             size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < dst_len; i++)
		dst[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	dst[o] = '\0';
}

/* The last OpenSSL error as text; clears the queue. */
static const char *tp_tls_ssl_reason(unsigned long *code)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = ERR_reason_error_string(e);

	*code = e;
	ERR_clear_error();
	return s ? s : "unknown error";
}

static void tp_tls_allow_free(char **allow)
{
	size_t i;

	if (!allow)
		return;
	for (i = 0; allow[i]; i++)
		free(allow[i]);
	free(allow);
}

static char **tp_tls_allow_dup(const char *const *allow)
{
	size_t n = 0, i;
	char **copy;

	while (allow && allow[n])
		n++;
	copy = calloc(n + 1, sizeof(*copy));
	if (!copy)
		return NULL;
	for (i = 0; i < n; i++) {
		copy[i] = strdup(allow[i]);
		if (!copy[i]) {
			tp_tls_allow_free(copy);
			return NULL;
		}
	}
	return copy;
}

/* Does entry (with an optional "dns:", "uri:", "cn:" kind) match value? */
static bool tp_tls_entry_match(const char *entry, const char *kind,
                               const char *value, size_t value_len)
{
	size_t kind_len = strlen(kind);
	const char *want = entry;

	if (!strncasecmp(entry, "dns:", 4) || !strncasecmp(entry, "uri:", 4) ||
	    !strncasecmp(entry, "cn:", 3)) {
		if (strncasecmp(entry, kind, kind_len) ||
		    entry[kind_len] != ':')
			return false;
		want = entry + kind_len + 1;
	}
	if (strlen(want) != value_len || memchr(value, '\0', value_len))
		return false;
	if (!strcmp(kind, "dns"))
		return !strncasecmp(want, value, value_len);
	return !memcmp(want, value, value_len);
}

static bool tp_tls_allow_match(const char *const *allow, const char *kind,
                               const char *value, size_t value_len,
                               char *matched, size_t matched_len)
{
	char shown[TP_TLS_ID_MAX + 1];
	size_t i;

	for (i = 0; allow && allow[i]; i++) {
		if (!tp_tls_entry_match(allow[i], kind, value, value_len))
			continue;
		tp_tls_printable(shown, sizeof(shown), value, value_len);
		snprintf(matched, matched_len, "%s:%s", kind, shown);
		return true;
	}
	return false;
}

bool tp_tls_cert_allowed(X509 *cert, const char *const *allow, char *matched,
                         size_t matched_len)
{
	GENERAL_NAMES *names;
	const GENERAL_NAME *name;
	const ASN1_STRING *str;
	X509_NAME *subject;
	X509_NAME_ENTRY *entry;
	bool found = false;
	int i, idx;

	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; names && i < sk_GENERAL_NAME_num(names) && !found; i++) {
		name = sk_GENERAL_NAME_value(names, i);
		if (name->type == GEN_DNS)
			str = name->d.dNSName;
		else if (name->type == GEN_URI)
			str = name->d.uniformResourceIdentifier;
		else
			continue;
		found = tp_tls_allow_match(
		    allow, name->type == GEN_DNS ? "dns" : "uri",
		    (const char *)ASN1_STRING_get0_data(str),
		    (size_t)ASN1_STRING_length(str), matched, matched_len);
	}
	GENERAL_NAMES_free(names);
	if (found)
		return true;
	subject = X509_get_subject_name(cert);
	idx = -1;
	while ((idx = X509_NAME_get_index_by_NID(subject, NID_commonName,
	                                         idx)) >= 0) {
		entry = X509_NAME_get_entry(subject, idx);
		str = X509_NAME_ENTRY_get_data(entry);
		if (tp_tls_allow_match(
		        allow, "cn", (const char *)ASN1_STRING_get0_data(str),
		        (size_t)ASN1_STRING_length(str), matched, matched_len))
			return true;
	}
	return false;
}

/* Subject CN of cert for error lines, "?" if none. */
static void tp_tls_cert_cn(X509 *cert, char *buf, size_t len)
{
	X509_NAME *subject = cert ? X509_get_subject_name(cert) : NULL;
	const ASN1_STRING *str;
	int idx;

	snprintf(buf, len, "?");
	if (!subject)
		return;
	idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	if (idx < 0)
		return;
	str = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
	tp_tls_printable(buf, len, (const char *)ASN1_STRING_get0_data(str),
	                 (size_t)ASN1_STRING_length(str));
}

/* Chain verification result, then the allowlist at the leaf. */
static int tp_tls_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
	    store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tp_tls_conn *conn = SSL_get_ex_data(ssl, tp_tls_ex_index);
	X509 *cert = X509_STORE_CTX_get_current_cert(store);
	int depth = X509_STORE_CTX_get_error_depth(store);
	char cn[TP_TLS_ID_MAX + 1];
	int verr;

	if (!conn)
		return 0;
	if (!preverify_ok) {
		verr = X509_STORE_CTX_get_error(store);
		tp_tls_cert_cn(depth == 0 ? cert : NULL, cn, sizeof(cn));
		if (!conn->reason[0])
			snprintf(
			    conn->reason, sizeof(conn->reason),
			    "certificate CN=%s refused: %s%s", cn,
			    X509_verify_cert_error_string(verr),
			    verr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
			            verr ==
			                X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
			            verr == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
			        ? " (not signed by our CA)"
			        : "");
		return 0;
	}
	if (depth != 0)
		return 1;
	if (tp_tls_cert_allowed(cert, (const char *const *)conn->tls->allow,
	                        conn->identity, sizeof(conn->identity)))
		return 1;
	tp_tls_cert_cn(cert, cn, sizeof(cn));
	snprintf(conn->reason, sizeof(conn->reason),
	         "identity CN=%s is not on the allowlist", cn);
	X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/* A session that carries the external PSK, for both roles. */
static SSL_SESSION *tp_tls_psk_session(struct tp_tls *tls, SSL *ssl)
{
	static const unsigned char aes128gcm_sha256[] = { 0x13, 0x01 };
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes128gcm_sha256);
	SSL_SESSION *sess;

	if (!cipher)
		return NULL;
	sess = SSL_SESSION_new();
	if (!sess)
		return NULL;
	if (!SSL_SESSION_set1_master_key(sess, tls->psk_key, tls->psk_len) ||
	    !SSL_SESSION_set_cipher(sess, cipher) ||
	    !SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION)) {
		SSL_SESSION_free(sess);
		return NULL;
	}
	return sess;
}

static int tp_tls_psk_use_cb(SSL *ssl, const EVP_MD *md,
                             const unsigned char **id, size_t *idlen,
                             SSL_SESSION **sessp)
{
	struct tp_tls_conn *conn = SSL_get_ex_data(ssl, tp_tls_ex_index);
	SSL_SESSION *sess;

	*sessp = NULL;
	if (!conn)
		return 0;
	sess = tp_tls_psk_session(conn->tls, ssl);
	if (!sess)
		return 0;
	if (md && SSL_CIPHER_get_handshake_digest(
	              SSL_SESSION_get0_cipher(sess)) != md) {
		/* HelloRetryRequest chose a suite our PSK cannot use. */
		SSL_SESSION_free(sess);
		*id = NULL;
		*idlen = 0;
		return 1;
	}
	*sessp = sess;
	*id = (const unsigned char *)conn->tls->psk_identity;
	*idlen = strlen(conn->tls->psk_identity);
	return 1;
}

static int tp_tls_psk_find_cb(SSL *ssl, const unsigned char *identity,
                              size_t identity_len, SSL_SESSION **sessp)
{
	struct tp_tls_conn *conn = SSL_get_ex_data(ssl, tp_tls_ex_index);
	char shown[TP_TLS_ID_MAX + 1];

	*sessp = NULL;
	if (!conn)
		return 0;
	tp_tls_printable(shown, sizeof(shown), (const char *)identity,
	                 identity_len);
	if (identity_len != strlen(conn->tls->psk_identity) ||
	    memcmp(identity, conn->tls->psk_identity, identity_len)) {
		snprintf(conn->reason, sizeof(conn->reason),
		         "unknown PSK identity \"%s\"", shown);
		return 0;
	}
	*sessp = tp_tls_psk_session(conn->tls, ssl);
	if (!*sessp)
		return 0;
	snprintf(conn->identity, sizeof(conn->identity), "psk:%s", shown);
	return 1;
}

static int tp_tls_hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int tp_tls_psk_parse(struct tp_tls *tls, const struct tp_tls_conf *conf,
                            struct tp_error *err)
{
	size_t hex_len = strlen(conf->psk_hex), i;
	int hi, lo;

	if (!conf->psk_identity[0] ||
	    strlen(conf->psk_identity) > TP_TLS_ID_MAX)
		return tp_error_set(err, -EINVAL,
		                    "PSK identity must be 1..%d bytes",
		                    TP_TLS_ID_MAX);
	if (hex_len % 2 || hex_len / 2 < TP_TLS_PSK_MIN ||
	    hex_len / 2 > TP_TLS_PSK_MAX)
		return tp_error_set(err, -EINVAL,
		                    "PSK key must be %d..%d hex digits",
		                    2 * TP_TLS_PSK_MIN, 2 * TP_TLS_PSK_MAX);
	for (i = 0; i < hex_len / 2; i++) {
		hi = tp_tls_hex_nibble(conf->psk_hex[2 * i]);
		lo = tp_tls_hex_nibble(conf->psk_hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return tp_error_set(err, -EINVAL, "PSK key is not hex");
		tls->psk_key[i] = (uint8_t)(hi << 4 | lo);
	}
	tls->psk_len = hex_len / 2;
	snprintf(tls->psk_identity, sizeof(tls->psk_identity), "%s",
	         conf->psk_identity);
	return 0;
}

static int tp_tls_x509_load(struct tp_tls *tls, const struct tp_tls_conf *conf,
                            struct tp_error *err)
{
	unsigned long code;

	if (!conf->ca_file || !conf->cert_file || !conf->key_file)
		return tp_error_set(err, -EINVAL,
		                    "TLS needs a CA bundle, a certificate and "
		                    "a key, or a PSK");
	if (!conf->allow || !conf->allow[0])
		return tp_error_set(err, -EINVAL,
		                    "TLS needs a non-empty peer allowlist");
	if (SSL_CTX_load_verify_locations(tls->ctx, conf->ca_file, NULL) != 1)
		return tp_error_set(err, -EINVAL, "CA bundle %s: %s",
		                    conf->ca_file, tp_tls_ssl_reason(&code));
	if (SSL_CTX_use_certificate_chain_file(tls->ctx, conf->cert_file) != 1)
		return tp_error_set(err, -EINVAL, "certificate %s: %s",
		                    conf->cert_file, tp_tls_ssl_reason(&code));
	if (SSL_CTX_use_PrivateKey_file(tls->ctx, conf->key_file,
	                                SSL_FILETYPE_PEM) != 1)
		return tp_error_set(err, -EINVAL, "key %s: %s", conf->key_file,
		                    tp_tls_ssl_reason(&code));
	if (SSL_CTX_check_private_key(tls->ctx) != 1)
		return tp_error_set(err, -EINVAL,
		                    "key %s does not match certificate %s",
		                    conf->key_file, conf->cert_file);
	tls->allow = tp_tls_allow_dup(conf->allow);
	if (!tls->allow)
		return tp_error_set(err, -ENOMEM, "out of memory");
	SSL_CTX_set_verify(tls->ctx,
	                   SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	                   tp_tls_verify_cb);
	return 0;
}

struct tp_tls *tp_tls_new(const struct tp_tls_conf *conf, bool server,
                          struct tp_error *err)
{
	struct tp_tls *tls = NULL;
	int ret = -ENOMEM;

	pthread_once(&tp_tls_ex_once, tp_tls_ex_init);
	if (tp_tls_ex_index < 0)
		goto out;
	tls = calloc(1, sizeof(*tls));
	if (!tls)
		goto out;
	tls->server = server;
	tls->ctx =
	    SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!tls->ctx)
		goto out;
	if (!SSL_CTX_set_min_proto_version(tls->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(tls->ctx, TLS1_3_VERSION))
		goto out;
	SSL_CTX_set_mode(tls->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(tls->ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(tls->ctx, 0);
	SSL_CTX_set_session_cache_mode(tls->ctx, SSL_SESS_CACHE_OFF);
	if (conf->psk_identity || conf->psk_hex) {
		if (!conf->psk_identity || !conf->psk_hex) {
			ret = tp_error_set(err, -EINVAL,
			                   "PSK needs an identity and a key");
			goto out;
		}
		ret = tp_tls_psk_parse(tls, conf, err);
		if (ret < 0)
			goto out;
		/* The PSK is bound to SHA-256: offer only suites that use it.
		 */
		ret = -ENOMEM;
		if (!SSL_CTX_set_ciphersuites(tls->ctx,
		                              "TLS_AES_128_GCM_SHA256:"
		                              "TLS_CHACHA20_POLY1305_SHA256"))
			goto out;
		if (server)
			SSL_CTX_set_psk_find_session_callback(
			    tls->ctx, tp_tls_psk_find_cb);
		else
			SSL_CTX_set_psk_use_session_callback(tls->ctx,
			                                     tp_tls_psk_use_cb);
	} else {
		ret = tp_tls_x509_load(tls, conf, err);
		if (ret < 0)
			goto out;
	}
	return tls;
out:
	if (ret == -ENOMEM && (!err || !err->code || err->code != ret))
		tp_error_set(err, ret, "TLS setup failed: out of memory");
	tp_tls_free(tls);
	ERR_clear_error();
	errno = -ret;
	return NULL;
}

void tp_tls_free(struct tp_tls *tls)
{
	int saved_errno = errno;

	if (!tls)
		return;
	SSL_CTX_free(tls->ctx);
	tp_tls_allow_free(tls->allow);
	OPENSSL_cleanse(tls->psk_key, sizeof(tls->psk_key));
	free(tls);
	errno = saved_errno;
}

struct tp_tls_conn *tp_tls_conn_new(struct tp_tls *tls, int fd,
                                    const char *peer_addr, struct tp_error *err)
{
	struct tp_tls_conn *conn;
	BIO *bio, *wbio;

	conn = calloc(1, sizeof(*conn));
	if (!conn)
		goto fail;
	conn->tls = tls;
	snprintf(conn->addr, sizeof(conn->addr), "%s",
	         peer_addr ? peer_addr : "?");
	snprintf(conn->peer, sizeof(conn->peer), "%s", conn->addr);
	conn->ssl = SSL_new(tls->ctx);
	if (!conn->ssl || !(bio = tp_tls_bio_new(fd)))
		goto fail;
	if (!(wbio = tp_tls_gather_new(bio))) {
		BIO_free(bio);
		goto fail;
	}
	SSL_set_bio(conn->ssl, bio, wbio); /* the SSL owns both now */
	if (!SSL_set_ex_data(conn->ssl, tp_tls_ex_index, conn))
		goto fail;
	if (tls->server)
		SSL_set_accept_state(conn->ssl);
	else
		SSL_set_connect_state(conn->ssl);
	return conn;
fail:
	tp_tls_conn_free(conn);
	ERR_clear_error();
	tp_error_set(err, -ENOMEM, "peer %s: TLS setup: out of memory",
	             peer_addr ? peer_addr : "?");
	errno = ENOMEM;
	return NULL;
}

void tp_tls_conn_free(struct tp_tls_conn *conn)
{
	int saved_errno = errno;

	if (!conn)
		return;
	SSL_free(conn->ssl);
	free(conn);
	ERR_clear_error();
	errno = saved_errno;
}

/* Turn a failed handshake into one line: why this peer was refused. */
static int tp_tls_handshake_error(struct tp_tls_conn *conn, int ssl_err,
                                  struct tp_error *err)
{
	unsigned long code = 0;
	const char *why;
	int reason;

	if (conn->reason[0])
		return tp_error_set(err, -EACCES, "peer %s: %s", conn->addr,
		                    conn->reason);
	if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN) {
		ERR_clear_error();
		return tp_error_set(err, -ECONNRESET,
		                    "peer %s: connection closed during the TLS "
		                    "handshake",
		                    conn->addr);
	}
	why = tp_tls_ssl_reason(&code);
	reason = ERR_GET_REASON(code);
	switch (reason) {
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_RECORD_LENGTH_MISMATCH:
	case SSL_R_UNKNOWN_PROTOCOL:
		return tp_error_set(err, -EPROTO,
		                    "peer %s: not a TLS client (plaintext or "
		                    "garbage): %s",
		                    conn->addr, why);
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		return tp_error_set(err, -EPROTO,
		                    "peer %s: TLS 1.3 required, peer offers "
		                    "only older versions: %s",
		                    conn->addr, why);
	case SSL_R_BINDER_DOES_NOT_VERIFY:
	case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
		return tp_error_set(err, -EACCES, "peer %s: PSK mismatch: %s",
		                    conn->addr, why);
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return tp_error_set(err, -EACCES,
		                    "peer %s: sent no certificate", conn->addr);
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		return tp_error_set(err, -ECONNRESET,
		                    "peer %s: connection closed during the TLS "
		                    "handshake",
		                    conn->addr);
	default:
		if (ERR_GET_LIB(code) == ERR_LIB_SSL && reason >= 1000)
			return tp_error_set(
			    err, -EACCES, "peer %s: refused our handshake: %s",
			    conn->addr, why);
		return tp_error_set(err, -EPROTO,
		                    "peer %s: TLS handshake failed: %s",
		                    conn->addr, why);
	}
}

int tp_tls_conn_handshake(struct tp_tls_conn *conn, struct tp_error *err)
{
	int ret, ssl_err;

	if (conn->established)
		return 0;
	conn->want_write = false;
	ERR_clear_error();
	ret = SSL_do_handshake(conn->ssl);
	if (ret == 1) {
		conn->established = true;
		if (conn->tls->psk_len && !conn->identity[0])
			snprintf(conn->identity, sizeof(conn->identity),
			         "psk:%s", conn->tls->psk_identity);
		snprintf(conn->peer, sizeof(conn->peer), "%s [%s]", conn->addr,
		         conn->identity);
		return 0;
	}
	ssl_err = SSL_get_error(conn->ssl, ret);
	if (ssl_err == SSL_ERROR_WANT_READ)
		return -EAGAIN;
	if (ssl_err == SSL_ERROR_WANT_WRITE) {
		conn->want_write = true;
		return -EAGAIN;
	}
	return tp_tls_handshake_error(conn, ssl_err, err);
}

bool tp_tls_conn_want_write(const struct tp_tls_conn *conn)
{
	return conn->want_write;
}

/* Map a failed SSL_read/SSL_write. */
static ssize_t tp_tls_io_error(struct tp_tls_conn *conn, int ret,
                               const char *op, struct tp_error *err)
{
	unsigned long code = 0;
	const char *why;

	switch (SSL_get_error(conn->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		conn->want_write = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return tp_error_set(err, -ECONNRESET,
		                    "peer %s: connection lost (%s)", conn->peer,
		                    op);
	default:
		why = tp_tls_ssl_reason(&code);
		if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			return tp_error_set(err, -ECONNRESET,
			                    "peer %s: connection lost (%s)",
			                    conn->peer, op);
		if (!conn->established && conn->reason[0])
			return tp_error_set(err, -EACCES, "peer %s: %s",
			                    conn->addr, conn->reason);
		return tp_error_set(err, -EPROTO, "peer %s: TLS %s failed: %s",
		                    conn->peer, op, why);
	}
}

ssize_t tp_tls_conn_read(struct tp_tls_conn *conn, void *buf, size_t len,
                         struct tp_error *err)
{
	size_t got = 0;
	int ret;

	conn->want_write = false;
	ERR_clear_error();
	ret = SSL_read_ex(conn->ssl, buf, len, &got);
	if (ret == 1)
		return (ssize_t)got;
	return tp_tls_io_error(conn, ret, "read", err);
}

ssize_t tp_tls_conn_write(struct tp_tls_conn *conn, const void *buf, size_t len,
                          struct tp_error *err)
{
	size_t done = 0;
	int ret;

	conn->want_write = false;
	ERR_clear_error();
	ret = SSL_write_ex(conn->ssl, buf, len, &done);
	if (ret == 1)
		return (ssize_t)done;
	ret = (int)tp_tls_io_error(conn, ret, "write", err);
	return ret == 0
	           ? tp_error_set(err, -EPIPE, "peer %s: closed", conn->peer)
	           : ret;
}

int tp_tls_conn_flush(struct tp_tls_conn *conn, struct tp_error *err)
{
	BIO *wbio = SSL_get_wbio(conn->ssl);

	if (BIO_flush(wbio) > 0)
		return 0;
	if (BIO_should_retry(wbio)) {
		conn->want_write = true;
		return -EAGAIN;
	}
	return tp_error_set(err, -ECONNRESET, "peer %s: connection lost (%s)",
	                    conn->peer, errno ? strerror(errno) : "write");
}

void tp_tls_conn_shutdown(struct tp_tls_conn *conn)
{
	if (!conn || !conn->established)
		return;
	SSL_shutdown(conn->ssl);
	ERR_clear_error();
}

const char *tp_tls_conn_peer(const struct tp_tls_conn *conn)
{
	return conn->peer;
}

const char *tp_tls_conn_identity(const struct tp_tls_conn *conn)
{
	return conn->identity;
}

int tp_tls_conn_export(struct tp_tls_conn *conn, const char *label,
                       const uint8_t *context, size_t context_len,
                       uint8_t *out, size_t out_len)
{
	if (!conn->established ||
	    SSL_export_keying_material(conn->ssl, out, out_len, label,
	                               strlen(label), context, context_len,
	                               1) != 1) {
		ERR_clear_error();
		return -EPROTO;
	}
	return 0;
}
