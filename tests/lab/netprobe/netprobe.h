/*
 * netprobe: the accounting of sf-netprobe, the lab's client probe. Pure
 * functions of their inputs (bytes, sequence numbers and times), no I/O.
 *
 * Both probes carry the same 32-byte record, in network byte order:
 *
 *   0   u32 magic     "SFNP" on the TCP echo stream, "SFNU" in UDP probes
 *   4   u32 seq       0, 1, 2, ... per probe kind
 *   8   u64 sent_ns   CLOCK_MONOTONIC when the record was made
 *   16  u64 reserved  zero
 *   24  u64 check     sf_hash of bytes 0..23; any one changed byte shows
 *
 * TCP: records are echoed in one stream, so the k-th record back must be the
 * k-th sent. struct netprobe_tcp reassembles records from reads of any size
 * and checks each against the next sequence number expected.
 *
 * UDP: a probe is answered if a valid reply with its seq and send time came
 * back within the timeout (1 s), lost otherwise. Probes are judged in seq
 * order once their timeout has passed, so replies may come reordered or
 * duplicated. A run of lost probes makes a loss window: from the send time
 * of the last answered probe before the run (the run's first probe if none)
 * to the send time of the first answered probe after it (the end of the
 * measurement if none): the time in which nothing got through.
 * Replies that come back late but within the timeout (the path held them,
 * e.g. in a queue while the VM was paused) are not lost, so the longest
 * gap between two consecutive good replies is kept too: that is how long
 * the client heard nothing, whether probes were dropped or held.
 */
#ifndef NETPROBE_H
#define NETPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETPROBE_REC_SIZE  32
#define NETPROBE_TCP_MAGIC 0x53464e50u /* "SFNP" */
#define NETPROBE_UDP_MAGIC 0x53464e55u /* "SFNU" */

#define NETPROBE_UDP_TIMEOUT_NS 1000000000ull
/* Unjudged probes kept; more than a timeout's worth at 1 probe per ms. */
#define NETPROBE_UDP_RING 4096
/* RTT histogram: 10 us buckets up to the timeout, plus one for the rest. */
#define NETPROBE_HIST_STEP_NS 10000ull
#define NETPROBE_HIST_BUCKETS                                                  \
	(NETPROBE_UDP_TIMEOUT_NS / NETPROBE_HIST_STEP_NS + 1)

struct netprobe_rec {
	uint32_t magic;
	uint32_t seq;
	uint64_t sent_ns;
};

/* Writes rec as NETPROBE_REC_SIZE bytes at out. */
void netprobe_rec_encode(const struct netprobe_rec *rec, uint8_t *out);

/*
 * Decodes len bytes at in, which must be exactly one record with the given
 * magic, zero reserved bytes and a good check. Returns 0 or -EBADMSG.
 */
int netprobe_rec_decode(const uint8_t *in, size_t len, uint32_t magic,
                        struct netprobe_rec *rec);

struct netprobe_tcp {
	uint64_t sent;        /* records made; the next one has seq = sent */
	uint64_t records;     /* whole records received, good or not */
	uint32_t next_expect; /* seq the next record back must carry */
	uint8_t part[NETPROBE_REC_SIZE]; /* a record cut between reads */
	size_t part_len;
	uint64_t echoed;       /* good records, in sequence (gaps included) */
	uint64_t lost;         /* seqs skipped by gaps */
	uint64_t out_of_order; /* good records with a seq already passed */
	uint64_t corrupt;      /* bad magic, reserved, check, seq or time */
	uint64_t progress_ns;  /* last record back, or the first sent */
	uint64_t max_stall_ns; /* longest time without a record back */
	uint64_t max_rtt_ns;
};

void netprobe_tcp_init(struct netprobe_tcp *tcp);

/* Makes the next record to send, at now_ns, into out (NETPROBE_REC_SIZE). */
void netprobe_tcp_next(struct netprobe_tcp *tcp, uint64_t now_ns, uint8_t *out);

/*
 * Accounts len bytes read from the echo stream at now_ns. A record may be
 * cut anywhere between calls. A corrupt record takes the place of the one
 * expected there (the stream keeps its framing).
 */
void netprobe_tcp_feed(struct netprobe_tcp *tcp, const uint8_t *data,
                       size_t len, uint64_t now_ns);

/* Records sent and not yet back. */
uint64_t netprobe_tcp_outstanding(const struct netprobe_tcp *tcp);

/* How long records have been outstanding without one coming back (or 0). */
uint64_t netprobe_tcp_stall_ns(const struct netprobe_tcp *tcp, uint64_t now_ns);

/* Ends the measurement at now_ns: a stall still going counts. */
void netprobe_tcp_finish(struct netprobe_tcp *tcp, uint64_t now_ns);

struct netprobe_hist {
	uint64_t count;
	uint64_t max_ns;
	uint32_t bucket[NETPROBE_HIST_BUCKETS];
};

void netprobe_hist_add(struct netprobe_hist *hist, uint64_t ns);

/*
 * The pct-th percentile (nearest rank, 0 < pct <= 100) of the samples, to
 * the bucket step below it (never above max); 0 without samples.
 */
uint64_t netprobe_hist_percentile(const struct netprobe_hist *hist,
                                  unsigned pct);

struct netprobe_udp_slot {
	uint64_t sent_ns;
	bool answered;
};

struct netprobe_udp {
	uint64_t timeout_ns;
	uint64_t sent;   /* probes sent; the next one has seq = sent */
	uint64_t judged; /* probes below this seq are judged */
	uint64_t received;
	uint64_t lost;
	uint64_t late;      /* good replies after the timeout */
	uint64_t duplicate; /* more replies to an answered probe */
	uint64_t bad;       /* replies that are not one of our probes */
	uint64_t windows;
	uint64_t max_window_ns;
	uint64_t last_reply_ns; /* arrival of the last good reply, 0: none */
	uint64_t max_gap_ns;    /* longest time between two good replies */
	bool have_answered; /* a judged probe was answered */
	uint64_t last_answered_ns;
	bool in_run; /* the last judged probe was lost */
	uint64_t run_start_ns;
	bool finished;
	struct netprobe_udp_slot ring[NETPROBE_UDP_RING];
	struct netprobe_hist rtt;
};

void netprobe_udp_init(struct netprobe_udp *udp, uint64_t timeout_ns);

/*
 * Makes the next probe, sent at now_ns, into out (NETPROBE_REC_SIZE). If
 * NETPROBE_UDP_RING probes are unjudged, the oldest is judged first.
 */
void netprobe_udp_next(struct netprobe_udp *udp, uint64_t now_ns, uint8_t *out);

/*
 * Accounts a datagram of len bytes received at now_ns. Returns 0 if it
 * answered a probe, -EBADMSG if it is not one of ours, -EALREADY for a
 * duplicate, -ETIMEDOUT for a reply after the timeout.
 */
int netprobe_udp_reply(struct netprobe_udp *udp, const uint8_t *data,
                       size_t len, uint64_t now_ns);

/* Judges every probe whose timeout has passed at now_ns. */
void netprobe_udp_judge(struct netprobe_udp *udp, uint64_t now_ns);

/*
 * Ends the measurement at now_ns: judges what can be judged; unanswered
 * probes younger than the timeout are not judged. A loss run still open
 * closes at now_ns.
 */
void netprobe_udp_finish(struct netprobe_udp *udp, uint64_t now_ns);

#endif
