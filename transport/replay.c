/*
 * replay.c: what makes a session survive the loss of a connection.
 *
 * Sending: every channel frame gets the next sequence number and stays in
 * the replay list, in seq order, until the peer's cumulative ack covers
 * it. The list is bounded by bytes (replay_cap and the peer's reorder_max):
 * when it is full no new frame is built, so producers stall. A frame sent
 * on a stripe that dies is marked pending and sent again, on any stripe.
 *
 * Receiving: each channel's frames are delivered in the order of their
 * chan_prev chain, each as soon as the frame before it in its channel has
 * been delivered; a gap in one channel (a frame lost with its stripe, or
 * stuck behind a TCP retransmission) holds back only that channel. A frame
 * whose predecessor has not been delivered waits in the reorder list,
 * bounded by the reorder_max we announced. rx_seq is the cumulative
 * acknowledgement: every frame up to it was received, and (since a frame
 * can only wait for a lower seq) delivered; the frames above it that were
 * delivered early are in the early list. A frame at or below rx_seq, early
 * or held is a duplicate from a resend and is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport/session_priv.h"

static void tp_replay_entry_free(struct tp_replay *entry)
{
	if (!entry)
		return;
	free(entry->buf);
	free(entry);
}

static struct tp_replay *tp_replay_entry_new(const uint8_t *buf, size_t len,
                                             uint64_t seq)
{
	struct tp_replay *entry = calloc(1, sizeof(*entry));

	if (!entry)
		return NULL;
	entry->buf = malloc(len);
	if (!entry->buf) {
		free(entry);
		return NULL;
	}
	memcpy(entry->buf, buf, len);
	entry->len = len;
	entry->seq = seq;
	entry->stripe = -1;
	entry->pending = true;
	return entry;
}

static uint64_t tp_replay_limit(const struct tp_session *session)
{
	uint64_t limit = session->conf.replay_cap;

	if (session->peer_reorder_max && session->peer_reorder_max < limit)
		limit = session->peer_reorder_max;
	return limit;
}

bool tp_replay_room(const struct tp_session *session, size_t len, bool bulk)
{
	uint64_t limit = tp_replay_limit(session);

	/* Bulk leaves an eighth for control frames. */
	if (bulk)
		limit -= limit / 8;
	return session->replay_bytes + len <= limit;
}

/* Takes a copy of buf; the frame is pending (not yet on any stripe). */
struct tp_replay *tp_replay_add(struct tp_session *session, const uint8_t *buf,
                                size_t len)
{
	struct tp_replay *entry;

	entry = tp_replay_entry_new(buf, len, tp_get_u64(buf + 20));
	if (!entry)
		return NULL;
	TAILQ_INSERT_TAIL(&session->replay, entry, entry);
	session->replay_bytes += len;
	session->resend_count++;
	return entry;
}

int tp_replay_ack(struct tp_session *session, uint64_t ack)
{
	struct tp_replay *entry;

	if (ack > session->tx_seq)
		return -EPROTO;
	while ((entry = TAILQ_FIRST(&session->replay)) && entry->seq <= ack) {
		/* Cannot happen while it is being written; wait if so. */
		if (entry->writer)
			break;
		TAILQ_REMOVE(&session->replay, entry, entry);
		session->replay_bytes -= entry->len;
		if (entry->pending)
			session->resend_count--;
		tp_replay_entry_free(entry);
	}
	return 0;
}

struct tp_replay *tp_replay_next_pending(struct tp_session *session)
{
	struct tp_replay *entry;

	if (session->resend_count == 0)
		return NULL;
	TAILQ_FOREACH(entry, &session->replay, entry)
	if (entry->pending && !entry->writer)
		return entry;
	return NULL;
}

void tp_replay_requeue(struct tp_session *session, int stripe_index,
                       struct tp_stripe *writer)
{
	struct tp_replay *entry;

	TAILQ_FOREACH(entry, &session->replay, entry)
	{
		if (entry->writer == writer) {
			/* Half written: the peer never saw it whole. */
			entry->writer = NULL;
			if (!entry->pending) {
				entry->pending = true;
				session->resend_count++;
			}
		}
		if (entry->stripe == stripe_index && !entry->pending) {
			entry->pending = true;
			session->resend_count++;
		}
	}
}

/* Was seq delivered? At or below rx_seq, or in the early list. */
static bool tp_replay_delivered(const struct tp_session *session, uint64_t seq)
{
	size_t lo = session->early_head, hi = session->early_len, mid;

	if (seq <= session->rx_seq)
		return true;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (session->early[mid] == seq)
			return true;
		if (session->early[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Record seq as delivered: advance rx_seq, or add it to the early list. */
static int tp_replay_mark(struct tp_session *session, uint64_t seq)
{
	size_t at, n;
	uint64_t *grown;

	session->ack_owed++;
	if (seq == session->rx_seq + 1) {
		session->rx_seq = seq;
		while (session->early_head < session->early_len &&
		       session->early[session->early_head] ==
		           session->rx_seq + 1)
			session->rx_seq = session->early[session->early_head++];
		if (session->early_head == session->early_len)
			session->early_head = session->early_len = 0;
		return 0;
	}
	if (session->early_head > 0 &&
	    session->early_len == session->early_cap) {
		n = session->early_len - session->early_head;
		memmove(session->early, session->early + session->early_head,
		        n * sizeof(*session->early));
		session->early_head = 0;
		session->early_len = n;
	}
	if (session->early_len == session->early_cap) {
		n = session->early_cap ? session->early_cap * 2 : 64;
		if (n > TP_EARLY_MAX)
			return tp_session_fail(
			    session, -EPROTO,
			    "peer %s: more than %u frames delivered ahead of "
			    "seq %llu",
			    session->peer, TP_EARLY_MAX,
			    (unsigned long long)session->rx_seq + 1);
		grown = realloc(session->early, n * sizeof(*grown));
		if (!grown)
			return tp_session_fail(session, -ENOMEM,
			                       "out of memory");
		session->early = grown;
		session->early_cap = n;
	}
	/* Mostly in order: search back from the end. */
	at = session->early_len;
	while (at > session->early_head && session->early[at - 1] > seq)
		at--;
	memmove(session->early + at + 1, session->early + at,
	        (session->early_len - at) * sizeof(*session->early));
	session->early[at] = seq;
	session->early_len++;
	return 0;
}

/* Deliver one frame and record it. */
static int tp_replay_deliver(struct tp_session *session,
                             const struct tp_frame_hdr *hdr,
                             const uint8_t *payload)
{
	int ret = tp_replay_mark(session, hdr->seq);

	if (ret < 0)
		return ret;
	return tp_session_deliver(session, hdr, payload);
}

/* Deliver the held frames that waited, one after another, for seq. */
static int tp_replay_drain(struct tp_session *session, uint64_t seq)
{
	struct tp_replay *entry;
	struct tp_frame_hdr hdr;
	int ret;

	while (session->state == TP_SESSION_OPEN) {
		TAILQ_FOREACH(entry, &session->reorder, entry)
		if (entry->chan_prev == seq)
			break;
		if (!entry)
			return 0;
		TAILQ_REMOVE(&session->reorder, entry, entry);
		session->reorder_bytes -= entry->len;
		/* Checked when it arrived; decode cannot fail now. */
		if (tp_frame_hdr_decode(&hdr, entry->buf, entry->len, NULL) < 0)
			abort();
		ret = tp_replay_deliver(session, &hdr,
		                        entry->buf + TP_FRAME_HDR_LEN);
		seq = entry->seq;
		tp_replay_entry_free(entry);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Hold a frame whose channel predecessor has not been delivered, once. */
static int tp_replay_hold(struct tp_session *session,
                          const struct tp_frame_hdr *hdr, const uint8_t *frame,
                          size_t len)
{
	struct tp_replay *entry, *after = NULL;

	TAILQ_FOREACH_REVERSE(entry, &session->reorder, tp_replay_list, entry)
	{
		if (entry->seq == hdr->seq) {
			session->stats.rx_duplicate++;
			return 0;
		}
		if (entry->seq < hdr->seq) {
			after = entry;
			break;
		}
	}
	if (session->reorder_bytes + len > session->conf.replay_cap)
		return tp_session_fail(session, -EPROTO,
		                       "peer %s: more than %u bytes of frames "
		                       "ahead of seq %llu",
		                       session->peer, session->conf.replay_cap,
		                       (unsigned long long)session->rx_seq + 1);
	entry = tp_replay_entry_new(frame, len, hdr->seq);
	if (!entry)
		return tp_session_fail(session, -ENOMEM, "out of memory");
	entry->chan_prev = hdr->chan_prev;
	if (after)
		TAILQ_INSERT_AFTER(&session->reorder, after, entry, entry);
	else
		TAILQ_INSERT_HEAD(&session->reorder, entry, entry);
	session->reorder_bytes += len;
	session->stats.rx_reordered++;
	return 0;
}

int tp_replay_recv(struct tp_session *session, const struct tp_frame_hdr *hdr,
                   const uint8_t *frame, size_t len)
{
	int ret;

	if (tp_replay_delivered(session, hdr->seq)) {
		session->stats.rx_duplicate++;
		return 0;
	}
	if (hdr->chan_prev && !tp_replay_delivered(session, hdr->chan_prev))
		return tp_replay_hold(session, hdr, frame, len);
	if (hdr->seq != session->rx_seq + 1)
		session->stats.rx_reordered++; /* overtook a gap */
	ret = tp_replay_deliver(session, hdr, frame + TP_FRAME_HDR_LEN);
	if (ret < 0 || session->state != TP_SESSION_OPEN)
		return ret;
	return tp_replay_drain(session, hdr->seq);
}

void tp_replay_free_all(struct tp_session *session)
{
	struct tp_replay *entry;

	while ((entry = TAILQ_FIRST(&session->replay))) {
		TAILQ_REMOVE(&session->replay, entry, entry);
		tp_replay_entry_free(entry);
	}
	while ((entry = TAILQ_FIRST(&session->reorder))) {
		TAILQ_REMOVE(&session->reorder, entry, entry);
		tp_replay_entry_free(entry);
	}
	free(session->early);
	session->early = NULL;
	session->early_head = session->early_len = session->early_cap = 0;
	session->replay_bytes = session->reorder_bytes = 0;
	session->resend_count = 0;
}
