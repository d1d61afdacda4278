/*
 * resume.c: who owns a session, across connections.
 *
 * On the first connection the server picks a random 16-byte session id and
 * both ends derive a 32-byte token from that connection's TLS exporter; the
 * token never crosses the wire. A later connection (another stripe, or a
 * resume after a link drop) joins by sending the id and a proof:
 * HMAC-SHA256(token, exporter of the new connection), which binds the
 * proof to the new TLS connection, so it cannot be replayed elsewhere. The
 * server also requires the same authenticated peer identity.
 *
 * The server keeps its sessions in a registry shared with the listener;
 * the accepting thread hands a joining connection to the thread that runs
 * its session through an inbox and the session's eventfd.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "transport/session_priv.h"

#define TP_RESUME_TOKEN_LABEL "EXPORTER-skyferry-session-token"
#define TP_RESUME_JOIN_LABEL  "EXPORTER-skyferry-join"

struct tp_registry {
	pthread_mutex_t lock;
	unsigned int refs;
	unsigned int detached;
	unsigned int max_detached;
	LIST_HEAD(, tp_session) sessions;
};

struct tp_registry *tp_registry_new(unsigned int max_detached)
{
	struct tp_registry *registry = calloc(1, sizeof(*registry));

	if (!registry)
		return NULL;
	pthread_mutex_init(&registry->lock, NULL);
	registry->refs = 1;
	registry->max_detached = max_detached ? max_detached : 64;
	LIST_INIT(&registry->sessions);
	return registry;
}

static void tp_registry_get(struct tp_registry *registry)
{
	pthread_mutex_lock(&registry->lock);
	registry->refs++;
	pthread_mutex_unlock(&registry->lock);
}

void tp_registry_put(struct tp_registry *registry)
{
	unsigned int refs;

	if (!registry)
		return;
	pthread_mutex_lock(&registry->lock);
	refs = --registry->refs;
	pthread_mutex_unlock(&registry->lock);
	if (refs)
		return;
	pthread_mutex_destroy(&registry->lock);
	free(registry);
}

void tp_session_registry_join(struct tp_session *session,
                              struct tp_registry *registry)
{
	tp_registry_get(registry);
	session->registry = registry;
}

static void tp_resume_hex(const uint8_t id[16], char out[33])
{
	int i;

	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

int tp_resume_establish(struct tp_session *session, struct tp_stripe *stripe,
                        struct tp_error *err)
{
	struct tp_registry *registry = session->registry;

	if (session->server && RAND_bytes(session->session_id, 16) != 1)
		return tp_error_set(err, -EIO, "no randomness for a session id");
	if (tp_tls_conn_export(stripe->conn, TP_RESUME_TOKEN_LABEL,
	                       session->session_id, 16, session->token,
	                       sizeof(session->token)) < 0)
		return tp_error_set(err, -EPROTO, "TLS exporter failed");
	session->has_id = true;
	if (!session->server || !registry)
		return 0;
	pthread_mutex_lock(&registry->lock);
	LIST_INSERT_HEAD(&registry->sessions, session, reg_entry);
	session->registered = true;
	pthread_mutex_unlock(&registry->lock);
	return 0;
}

/* HMAC(token, exporter(conn, id || stripe)): what a join must show. */
static int tp_resume_compute(const uint8_t token[32], const uint8_t id[16],
                             struct tp_stripe *stripe,
                             uint8_t proof[TP_FRAME_PROOF_LEN])
{
	uint8_t context[18], exported[32];
	unsigned int len = TP_FRAME_PROOF_LEN;

	memcpy(context, id, 16);
	tp_put_u16(context + 16, stripe->index);
	if (tp_tls_conn_export(stripe->conn, TP_RESUME_JOIN_LABEL, context,
	                       sizeof(context), exported, sizeof(exported)) < 0)
		return -EPROTO;
	if (!HMAC(EVP_sha256(), token, 32, exported, sizeof(exported), proof,
	          &len))
		return -ENOMEM;
	OPENSSL_cleanse(exported, sizeof(exported));
	return 0;
}

int tp_resume_proof(struct tp_session *session, struct tp_stripe *stripe,
                    uint8_t proof[TP_FRAME_PROOF_LEN])
{
	return tp_resume_compute(session->token, session->session_id, stripe,
	                         proof);
}

/* Our hello on this stripe (client: first word; server: the answer). */
void tp_resume_fill_hello(struct tp_stripe *stripe)
{
	struct tp_session *session = stripe->session;
	struct tp_frame_hello hello;
	ssize_t n;

	tp_session_size_window(session, stripe->watch.fd);
	hello = (struct tp_frame_hello){
		.min_version = TP_PROTO_VERSION_MIN,
		.max_version = TP_PROTO_VERSION_MAX,
		.features = TP_HELLO_F_LZ4 | TP_HELLO_F_ZSTD,
		.chan_window = session->conf.chan_window,
		.max_raw = session->conf.chan_window < TP_FRAME_RAW_MAX
		               ? session->conf.chan_window
		               : TP_FRAME_RAW_MAX,
		.stripe = stripe->index,
		.reorder_max = session->conf.replay_cap,
		.received = session->rx_seq,
	};
	if (session->has_id) {
		memcpy(hello.session_id, session->session_id, 16);
		if (!session->server &&
		    tp_resume_proof(session, stripe, hello.proof) < 0)
			memset(hello.proof, 0, sizeof(hello.proof));
	}
	n = tp_frame_hello_encode(&hello, stripe->ctl + TP_FRAME_HDR_LEN,
	                          NULL);
	if (n < 0)
		abort(); /* the conf was checked */
	tp_stripe_emit_ctl(stripe, TP_FRAME_HELLO, (uint32_t)n);
}

/* Versions and codecs of the first hello of a session. */
static int tp_resume_negotiate(struct tp_session *session,
                               const struct tp_frame_hello *hello)
{
	unsigned int low, high;

	low = hello->min_version > TP_PROTO_VERSION_MIN ? hello->min_version
	                                                : TP_PROTO_VERSION_MIN;
	high = hello->max_version < TP_PROTO_VERSION_MAX ? hello->max_version
	                                                 : TP_PROTO_VERSION_MAX;
	if (low > high)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: no common protocol version "
		                       "(peer %u..%u, ours %u..%u)",
		                       session->peer, hello->min_version,
		                       hello->max_version, TP_PROTO_VERSION_MIN,
		                       TP_PROTO_VERSION_MAX);
	session->peer_features = hello->features;
	if (session->conf.codec != TP_FRAME_CODEC_RAW &&
	    session->conf.codec != TP_CODEC_AUTO &&
	    !(hello->features & (1u << (session->conf.codec - 1))))
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: cannot decode %s",
		                       session->peer,
		                       tp_codec_name(session->conf.codec));
	session->version = high;
	session->peer_max_raw = hello->max_raw;
	session->peer_window = hello->chan_window;
	session->peer_reorder_max = hello->reorder_max;
	return 0;
}

/* A stripe has exchanged hellos; received is what the peer has. */
static int tp_resume_stripe_open(struct tp_stripe *stripe, uint64_t received)
{
	struct tp_session *session = stripe->session;

	if (tp_replay_ack(session, received) < 0)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: received %llu, beyond what we "
		                       "sent",
		                       session->peer,
		                       (unsigned long long)received);
	/* Whatever is still unacknowledged and not in flight goes again. */
	stripe->state = TP_STRIPE_OPEN;
	stripe->backoff_ms = 0;
	stripe->last_rx_ms = stripe->last_ping_ms = tp_now_ms();
	tp_resume_up(session);
	return 0;
}

/* Send a CLOSE naming why on a stripe that carries nothing else. */
static void tp_resume_refuse(struct tp_stripe *stripe, int code,
                             const char *msg)
{
	struct tp_frame_reason reason = { .code = (uint32_t)-code };
	struct tp_error err = { 0 };
	ssize_t n;

	reason.msg_len =
	    (uint16_t)snprintf(reason.msg, sizeof(reason.msg), "%s", msg);
	if (reason.msg_len > TP_FRAME_REASON_MAX)
		reason.msg_len = TP_FRAME_REASON_MAX;
	n = tp_frame_reason_encode(&reason, stripe->ctl + TP_FRAME_HDR_LEN,
	                           NULL);
	tp_stripe_emit_ctl(stripe, TP_FRAME_CLOSE, (uint32_t)n);
	/* Best effort: a small frame on an idle socket. */
	n = tp_tls_conn_write(stripe->conn, stripe->tx, stripe->tx_len, &err);
	if (n > 0)
		tp_tls_conn_flush(stripe->conn, &err);
	stripe->tx_len = stripe->tx_off = 0;
}

static int tp_resume_server_hello(struct tp_stripe *stripe,
                                  const struct tp_frame_hello *hello,
                                  uint16_t stripe_hdr)
{
	struct tp_session *session = stripe->session;
	struct tp_error err = { 0 };
	static const uint8_t zero[16];
	int ret;

	if (session->state != TP_SESSION_HELLO)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: second HELLO", session->peer);
	if (hello->stripe != stripe_hdr)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: hello for stripe %u sent on "
		                       "stripe %u",
		                       session->peer, hello->stripe, stripe_hdr);
	if (memcmp(hello->session_id, zero, 16) != 0) {
		ret = tp_resume_join(session, stripe, hello, &err);
		if (ret == -EALREADY)
			return 0;
		tp_resume_refuse(stripe, ret, err.msg);
		return tp_session_fail(session, ret, "%s", err.msg);
	}
	if (hello->stripe != 0)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: new session on stripe %u",
		                       session->peer, hello->stripe);
	ret = tp_resume_negotiate(session, hello);
	if (ret < 0)
		return ret;
	ret = tp_resume_establish(session, stripe, &err);
	if (ret < 0)
		return tp_session_fail(session, ret, "peer %s: %s",
		                       session->peer, err.msg);
	session->state = TP_SESSION_OPEN;
	stripe->hello_pending = true;
	return tp_resume_stripe_open(stripe, 0);
}

static int tp_resume_client_hello(struct tp_stripe *stripe,
                                  const struct tp_frame_hello *hello)
{
	struct tp_session *session = stripe->session;
	struct tp_error err = { 0 };
	static const uint8_t zero[16];
	int ret;

	if (stripe->state != TP_STRIPE_HELLO || hello->stripe != stripe->index)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: unexpected HELLO on stripe %u",
		                       session->peer, stripe->index);
	if (!session->has_id) {
		if (!memcmp(hello->session_id, zero, 16))
			return tp_session_fail(session, -EPROTO,
			                       "peer %s: hello without a "
			                       "session id",
			                       session->peer);
		ret = tp_resume_negotiate(session, hello);
		if (ret < 0)
			return ret;
		memcpy(session->session_id, hello->session_id, 16);
		ret = tp_resume_establish(session, stripe, &err);
		if (ret < 0)
			return tp_session_fail(session, ret, "peer %s: %s",
			                       session->peer, err.msg);
		session->state = TP_SESSION_OPEN;
		ret = tp_resume_stripe_open(stripe, hello->received);
		if (ret == 0)
			tp_session_stripes_start(session);
		return ret;
	}
	if (memcmp(hello->session_id, session->session_id, 16) ||
	    hello->max_version < session->version ||
	    hello->min_version > session->version)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: answered a join with another "
		                       "session or version",
		                       session->peer);
	if (stripe->rx_frames > 1 || stripe->tx_frames > 1)
		session->stats.resumes++;
	return tp_resume_stripe_open(stripe, hello->received);
}

int tp_resume_recv_hello(struct tp_stripe *stripe, uint16_t stripe_hdr,
                         const uint8_t *payload, size_t len)
{
	struct tp_session *session = stripe->session;
	struct tp_frame_hello hello;
	struct tp_error err = { 0 };
	int ret;

	ret = tp_frame_hello_decode(&hello, payload, len, &err);
	if (ret < 0)
		return tp_session_fail(session, ret, "peer %s: bad hello: %s",
		                       session->peer, err.msg);
	if (session->server)
		return tp_resume_server_hello(stripe, &hello, stripe_hdr);
	return tp_resume_client_hello(stripe, &hello);
}

int tp_resume_join(struct tp_session *shell, struct tp_stripe *stripe,
                   const struct tp_frame_hello *hello, struct tp_error *err)
{
	struct tp_registry *registry = shell->registry;
	uint8_t want[TP_FRAME_PROOF_LEN];
	struct tp_session *owner;
	char hex[33];
	int ret = 0;

	tp_resume_hex(hello->session_id, hex);
	if (!registry)
		return tp_error_set(err, -ENOENT,
		                    "peer %s: resume of session %s refused: "
		                    "no such session",
		                    shell->peer, hex);
	pthread_mutex_lock(&registry->lock);
	LIST_FOREACH(owner, &registry->sessions, reg_entry)
	if (!memcmp(owner->session_id, hello->session_id, 16))
		break;
	if (!owner) {
		ret = tp_error_set(err, -ENOENT,
		                   "peer %s: resume of session %s refused: no "
		                   "such session",
		                   shell->peer, hex);
		goto out;
	}
	if (strcmp(owner->identity, shell->identity) != 0) {
		ret = tp_error_set(err, -EACCES,
		                   "peer %s: resume of session %s refused: "
		                   "it belongs to another identity",
		                   shell->peer, hex);
		goto out;
	}
	if (stripe->rx_len != TP_FRAME_HDR_LEN + TP_FRAME_HELLO_LEN) {
		ret = tp_error_set(err, -EPROTO,
		                   "peer %s: bytes after a join hello",
		                   shell->peer);
		goto out;
	}
	stripe->index = hello->stripe;
	if (tp_resume_compute(owner->token, owner->session_id, stripe, want) <
	        0 ||
	    CRYPTO_memcmp(want, hello->proof, sizeof(want)) != 0) {
		ret = tp_error_set(err, -EACCES,
		                   "peer %s: resume of session %s refused: bad "
		                   "session token",
		                   shell->peer, hex);
		goto out;
	}
	/* Hand the connection over; the owner's loop adopts it. */
	tp_session_watch(shell, &stripe->watch, 0);
	shell->stripes[0] = NULL;
	stripe->rx_len = 0;
	stripe->peer_hello = *hello;
	LIST_INSERT_HEAD(&owner->inbox, stripe, inbox_entry);
	tp_session_wake(owner);
	shell->state = TP_SESSION_CLOSED;
	ret = tp_error_set(&shell->err, -EALREADY,
	                   "peer %s: joined session %s as stripe %u",
	                   shell->peer, hex, hello->stripe);
	tp_error_copy(err, &shell->err);
out:
	pthread_mutex_unlock(&registry->lock);
	return ret;
}

void tp_resume_adopt(struct tp_session *session)
{
	struct tp_registry *registry = session->registry;
	struct tp_stripe_list inbox;
	struct tp_stripe *stripe, *old;
	uint16_t index;

	if (!registry)
		return;
	LIST_INIT(&inbox);
	pthread_mutex_lock(&registry->lock);
	while ((stripe = LIST_FIRST(&session->inbox))) {
		LIST_REMOVE(stripe, inbox_entry);
		LIST_INSERT_HEAD(&inbox, stripe, inbox_entry);
	}
	pthread_mutex_unlock(&registry->lock);
	while ((stripe = LIST_FIRST(&inbox))) {
		LIST_REMOVE(stripe, inbox_entry);
		if (session->state != TP_SESSION_OPEN) {
			tp_stripe_free(stripe);
			continue;
		}
		index = stripe->peer_hello.stripe;
		old = session->stripes[index];
		if (old) {
			if (old->state != TP_STRIPE_IDLE)
				tp_stripe_kill(old, &(struct tp_error){
				                        -ECONNRESET,
				                        "replaced by a new "
				                        "connection" });
			tp_stripe_free(old);
			session->stats.resumes++;
		}
		stripe->session = session;
		stripe->index = index;
		stripe->watch.events = 0;
		session->stripes[index] = stripe;
		stripe->hello_pending = true;
		if (tp_resume_stripe_open(stripe,
		                          stripe->peer_hello.received) < 0)
			return;
		tp_stripe_update(stripe);
	}
}

void tp_resume_unregister(struct tp_session *session)
{
	struct tp_registry *registry = session->registry;
	struct tp_stripe_list inbox;
	struct tp_stripe *stripe;

	if (!registry)
		return;
	LIST_INIT(&inbox);
	pthread_mutex_lock(&registry->lock);
	if (session->registered) {
		LIST_REMOVE(session, reg_entry);
		session->registered = false;
	}
	if (session->detached) {
		registry->detached--;
		session->detached = false;
	}
	while ((stripe = LIST_FIRST(&session->inbox))) {
		LIST_REMOVE(stripe, inbox_entry);
		LIST_INSERT_HEAD(&inbox, stripe, inbox_entry);
	}
	pthread_mutex_unlock(&registry->lock);
	while ((stripe = LIST_FIRST(&inbox))) {
		LIST_REMOVE(stripe, inbox_entry);
		tp_stripe_free(stripe);
	}
}

void tp_resume_down(struct tp_session *session, const struct tp_error *why)
{
	struct tp_registry *registry = session->registry;
	bool full = false;

	if (session->down_since_ms)
		return;
	session->down_since_ms = tp_now_ms();
	tp_error_copy(&session->down_err, why);
	if (!session->server || !registry)
		return;
	pthread_mutex_lock(&registry->lock);
	if (session->registered && !session->detached) {
		if (registry->detached >= registry->max_detached) {
			full = true;
		} else {
			registry->detached++;
			session->detached = true;
		}
	}
	pthread_mutex_unlock(&registry->lock);
	if (full)
		tp_session_fail(session, why->code,
		                "%s; not kept for resume: %u sessions already "
		                "wait for their peer",
		                why->msg, registry->max_detached);
}

void tp_resume_up(struct tp_session *session)
{
	struct tp_registry *registry = session->registry;

	session->down_since_ms = 0;
	if (!session->detached || !registry)
		return;
	pthread_mutex_lock(&registry->lock);
	if (session->detached) {
		registry->detached--;
		session->detached = false;
	}
	pthread_mutex_unlock(&registry->lock);
}

unsigned int tp_registry_test_detached(struct tp_registry *registry)
{
	unsigned int detached;

	pthread_mutex_lock(&registry->lock);
	detached = registry->detached;
	pthread_mutex_unlock(&registry->lock);
	return detached;
}

void tp_session_test_steal(struct tp_session *thief,
                           const struct tp_session *victim, bool corrupt)
{
	memcpy(thief->session_id, victim->session_id, 16);
	memcpy(thief->token, victim->token, 32);
	if (corrupt)
		thief->token[0] ^= 0x5a;
}
