/* Accounting of the lab's client probe: see netprobe.h. */
#include <errno.h>
#include <string.h>

#include "tests/guest/sf_hash.h"
#include "tests/lab/netprobe/netprobe.h"

static void netprobe_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void netprobe_put64(uint8_t *p, uint64_t v)
{
	netprobe_put32(p, (uint32_t)(v >> 32));
	netprobe_put32(p + 4, (uint32_t)v);
}

static uint32_t netprobe_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t netprobe_get64(const uint8_t *p)
{
	return (uint64_t)netprobe_get32(p) << 32 | netprobe_get32(p + 4);
}

static uint64_t netprobe_rec_check(uint32_t magic, uint32_t seq,
                                   uint64_t sent_ns, uint64_t reserved)
{
	uint64_t h = SF_HASH_INIT;

	h = sf_hash_step(h, (uint64_t)magic << 32 | seq);
	h = sf_hash_step(h, sent_ns);
	h = sf_hash_step(h, reserved);
	return sf_hash_final(h);
}

void netprobe_rec_encode(const struct netprobe_rec *rec, uint8_t *out)
{
	netprobe_put32(out, rec->magic);
	netprobe_put32(out + 4, rec->seq);
	netprobe_put64(out + 8, rec->sent_ns);
	netprobe_put64(out + 16, 0);
	netprobe_put64(out + 24, netprobe_rec_check(rec->magic, rec->seq,
	                                            rec->sent_ns, 0));
}

int netprobe_rec_decode(const uint8_t *in, size_t len, uint32_t magic,
                        struct netprobe_rec *rec)
{
	uint64_t reserved;

	if (len != NETPROBE_REC_SIZE || netprobe_get32(in) != magic)
		return -EBADMSG;
	reserved = netprobe_get64(in + 16);
	rec->magic = magic;
	rec->seq = netprobe_get32(in + 4);
	rec->sent_ns = netprobe_get64(in + 8);
	if (reserved != 0 ||
	    netprobe_get64(in + 24) !=
	        netprobe_rec_check(magic, rec->seq, rec->sent_ns, reserved))
		return -EBADMSG;
	return 0;
}

void netprobe_tcp_init(struct netprobe_tcp *tcp)
{
	memset(tcp, 0, sizeof(*tcp));
}

void netprobe_tcp_next(struct netprobe_tcp *tcp, uint64_t now_ns, uint8_t *out)
{
	struct netprobe_rec rec = { NETPROBE_TCP_MAGIC, (uint32_t)tcp->sent,
		                    now_ns };

	if (tcp->sent == 0)
		tcp->progress_ns = now_ns;
	netprobe_rec_encode(&rec, out);
	tcp->sent++;
}

/* One whole record from the stream. */
static void netprobe_tcp_record(struct netprobe_tcp *tcp, const uint8_t *in,
                                uint64_t now_ns)
{
	struct netprobe_rec rec;

	tcp->records++;
	if (tcp->sent > 0 && now_ns > tcp->progress_ns) {
		if (now_ns - tcp->progress_ns > tcp->max_stall_ns)
			tcp->max_stall_ns = now_ns - tcp->progress_ns;
		tcp->progress_ns = now_ns;
	}
	if (netprobe_rec_decode(in, NETPROBE_REC_SIZE, NETPROBE_TCP_MAGIC,
	                        &rec) < 0 ||
	    rec.seq >= tcp->sent || rec.sent_ns > now_ns) {
		tcp->corrupt++;
		tcp->next_expect++;
		return;
	}
	if (now_ns - rec.sent_ns > tcp->max_rtt_ns)
		tcp->max_rtt_ns = now_ns - rec.sent_ns;
	if (rec.seq < tcp->next_expect) {
		tcp->out_of_order++;
		return;
	}
	tcp->lost += rec.seq - tcp->next_expect;
	tcp->echoed++;
	tcp->next_expect = rec.seq + 1;
}

void netprobe_tcp_feed(struct netprobe_tcp *tcp, const uint8_t *data,
                       size_t len, uint64_t now_ns)
{
	size_t take;

	while (len > 0) {
		if (tcp->part_len == 0 && len >= NETPROBE_REC_SIZE) {
			netprobe_tcp_record(tcp, data, now_ns);
			data += NETPROBE_REC_SIZE;
			len -= NETPROBE_REC_SIZE;
			continue;
		}
		take = NETPROBE_REC_SIZE - tcp->part_len;
		if (take > len)
			take = len;
		memcpy(tcp->part + tcp->part_len, data, take);
		tcp->part_len += take;
		data += take;
		len -= take;
		if (tcp->part_len == NETPROBE_REC_SIZE) {
			netprobe_tcp_record(tcp, tcp->part, now_ns);
			tcp->part_len = 0;
		}
	}
}

uint64_t netprobe_tcp_outstanding(const struct netprobe_tcp *tcp)
{
	return tcp->sent > tcp->records ? tcp->sent - tcp->records : 0;
}

uint64_t netprobe_tcp_stall_ns(const struct netprobe_tcp *tcp, uint64_t now_ns)
{
	if (netprobe_tcp_outstanding(tcp) == 0 || now_ns < tcp->progress_ns)
		return 0;
	return now_ns - tcp->progress_ns;
}

void netprobe_tcp_finish(struct netprobe_tcp *tcp, uint64_t now_ns)
{
	uint64_t stall = netprobe_tcp_stall_ns(tcp, now_ns);

	if (stall > tcp->max_stall_ns)
		tcp->max_stall_ns = stall;
}

void netprobe_hist_add(struct netprobe_hist *hist, uint64_t ns)
{
	uint64_t i = ns / NETPROBE_HIST_STEP_NS;

	if (i >= NETPROBE_HIST_BUCKETS)
		i = NETPROBE_HIST_BUCKETS - 1;
	hist->bucket[i]++;
	hist->count++;
	if (ns > hist->max_ns)
		hist->max_ns = ns;
}

uint64_t netprobe_hist_percentile(const struct netprobe_hist *hist,
                                  unsigned pct)
{
	uint64_t rank, seen = 0, ns;
	size_t i;

	if (hist->count == 0)
		return 0;
	if (pct > 100)
		pct = 100;
	rank = (hist->count * pct + 99) / 100;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < NETPROBE_HIST_BUCKETS; i++) {
		seen += hist->bucket[i];
		if (seen >= rank)
			break;
	}
	ns = i * NETPROBE_HIST_STEP_NS;
	return ns < hist->max_ns ? ns : hist->max_ns;
}

void netprobe_udp_init(struct netprobe_udp *udp, uint64_t timeout_ns)
{
	memset(udp, 0, sizeof(*udp));
	udp->timeout_ns = timeout_ns;
}

static bool netprobe_udp_expired(const struct netprobe_udp *udp,
                                 const struct netprobe_udp_slot *slot,
                                 uint64_t now_ns)
{
	return now_ns >= slot->sent_ns &&
	       now_ns - slot->sent_ns >= udp->timeout_ns;
}

/* Judges the oldest unjudged probe, as answered or lost. */
static void netprobe_udp_judge_one(struct netprobe_udp *udp)
{
	struct netprobe_udp_slot *slot =
	    &udp->ring[udp->judged % NETPROBE_UDP_RING];
	uint64_t window;

	udp->judged++;
	if (!slot->answered) {
		udp->lost++;
		if (!udp->in_run) {
			udp->in_run = true;
			udp->run_start_ns = udp->have_answered
			                        ? udp->last_answered_ns
			                        : slot->sent_ns;
		}
		return;
	}
	if (udp->in_run) {
		window = slot->sent_ns - udp->run_start_ns;
		udp->windows++;
		if (window > udp->max_window_ns)
			udp->max_window_ns = window;
		udp->in_run = false;
	}
	udp->have_answered = true;
	udp->last_answered_ns = slot->sent_ns;
}

void netprobe_udp_next(struct netprobe_udp *udp, uint64_t now_ns, uint8_t *out)
{
	struct netprobe_rec rec = { NETPROBE_UDP_MAGIC, (uint32_t)udp->sent,
		                    now_ns };
	struct netprobe_udp_slot *slot;

	if (udp->sent - udp->judged >= NETPROBE_UDP_RING)
		netprobe_udp_judge_one(udp);
	slot = &udp->ring[udp->sent % NETPROBE_UDP_RING];
	slot->sent_ns = now_ns;
	slot->answered = false;
	netprobe_rec_encode(&rec, out);
	udp->sent++;
}

int netprobe_udp_reply(struct netprobe_udp *udp, const uint8_t *data,
                       size_t len, uint64_t now_ns)
{
	struct netprobe_udp_slot *slot;
	struct netprobe_rec rec;
	uint32_t back;
	uint64_t seq;

	if (netprobe_rec_decode(data, len, NETPROBE_UDP_MAGIC, &rec) < 0)
		goto bad;
	/* How many probes ago it was sent: 1 for the last one. */
	back = (uint32_t)udp->sent - rec.seq;
	if (back == 0 || back > udp->sent)
		goto bad;
	if (back > NETPROBE_UDP_RING) {
		udp->late++;
		return -ETIMEDOUT;
	}
	seq = udp->sent - back;
	slot = &udp->ring[seq % NETPROBE_UDP_RING];
	if (slot->sent_ns != rec.sent_ns || now_ns < rec.sent_ns)
		goto bad;
	if (slot->answered) {
		udp->duplicate++;
		return -EALREADY;
	}
	if (seq < udp->judged || now_ns - rec.sent_ns >= udp->timeout_ns) {
		udp->late++;
		return -ETIMEDOUT;
	}
	slot->answered = true;
	udp->received++;
	if (udp->last_reply_ns && now_ns > udp->last_reply_ns &&
	    now_ns - udp->last_reply_ns > udp->max_gap_ns)
		udp->max_gap_ns = now_ns - udp->last_reply_ns;
	if (now_ns > udp->last_reply_ns)
		udp->last_reply_ns = now_ns;
	netprobe_hist_add(&udp->rtt, now_ns - rec.sent_ns);
	return 0;
bad:
	udp->bad++;
	return -EBADMSG;
}

void netprobe_udp_judge(struct netprobe_udp *udp, uint64_t now_ns)
{
	const struct netprobe_udp_slot *slot;

	while (!udp->finished && udp->judged < udp->sent) {
		slot = &udp->ring[udp->judged % NETPROBE_UDP_RING];
		if (!slot->answered && !netprobe_udp_expired(udp, slot, now_ns))
			break;
		netprobe_udp_judge_one(udp);
	}
}

void netprobe_udp_finish(struct netprobe_udp *udp, uint64_t now_ns)
{
	const struct netprobe_udp_slot *slot;
	uint64_t window;

	if (udp->finished)
		return;
	while (udp->judged < udp->sent) {
		slot = &udp->ring[udp->judged % NETPROBE_UDP_RING];
		if (slot->answered || netprobe_udp_expired(udp, slot, now_ns))
			netprobe_udp_judge_one(udp);
		else
			udp->judged++; /* too young to call lost */
	}
	if (udp->in_run) {
		window =
		    now_ns > udp->run_start_ns ? now_ns - udp->run_start_ns : 0;
		udp->windows++;
		if (window > udp->max_window_ns)
			udp->max_window_ns = window;
		udp->in_run = false;
	}
	udp->finished = true;
}
