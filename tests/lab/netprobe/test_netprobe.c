/*
 * Tests of the client probe's accounting: the record format, the TCP echo
 * stream check, the UDP loss windows and the RTT percentiles.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lab/netprobe/netprobe.h"

#define MS 1000000ull

/* Record 1 sent at 0x0102030405060708 ns, on the TCP stream. */
static const uint8_t golden[NETPROBE_REC_SIZE] = {
	0x53, 0x46, 0x4e, 0x50,                         /* "SFNP" */
	0x00, 0x00, 0x00, 0x01,                         /* seq */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* sent_ns */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* reserved */
	0x7b, 0x52, 0x09, 0x78, 0x22, 0x35, 0x03, 0xfe, /* check */
};

Test(netprobe, record_golden)
{
	struct netprobe_rec rec = { NETPROBE_TCP_MAGIC, 1,
		                    0x0102030405060708ull };
	uint8_t buf[NETPROBE_REC_SIZE];

	netprobe_rec_encode(&rec, buf);
	cr_assert_arr_eq(buf, golden, sizeof(golden));
	memset(&rec, 0, sizeof(rec));
	cr_assert_eq(netprobe_rec_decode(golden, sizeof(golden),
	                                 NETPROBE_TCP_MAGIC, &rec),
	             0);
	cr_assert_eq(rec.magic, NETPROBE_TCP_MAGIC);
	cr_assert_eq(rec.seq, 1);
	cr_assert_eq(rec.sent_ns, 0x0102030405060708ull);
}

Test(netprobe, record_bad)
{
	uint8_t buf[NETPROBE_REC_SIZE + 1];
	struct netprobe_rec rec;
	size_t i;
	int bit;

	memcpy(buf, golden, sizeof(golden));
	buf[NETPROBE_REC_SIZE] = 0;
	cr_assert_eq(netprobe_rec_decode(buf, NETPROBE_REC_SIZE - 1,
	                                 NETPROBE_TCP_MAGIC, &rec),
	             -EBADMSG);
	cr_assert_eq(netprobe_rec_decode(buf, NETPROBE_REC_SIZE + 1,
	                                 NETPROBE_TCP_MAGIC, &rec),
	             -EBADMSG);
	cr_assert_eq(netprobe_rec_decode(buf, NETPROBE_REC_SIZE,
	                                 NETPROBE_UDP_MAGIC, &rec),
	             -EBADMSG);
	/* Every single bit flipped anywhere is caught. */
	for (i = 0; i < NETPROBE_REC_SIZE; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(buf, golden, sizeof(golden));
			buf[i] ^= (uint8_t)(1u << bit);
			cr_assert_eq(netprobe_rec_decode(buf, NETPROBE_REC_SIZE,
			                                 NETPROBE_TCP_MAGIC,
			                                 &rec),
			             -EBADMSG, "byte %zu bit %d", i, bit);
		}
	}
	/* Reserved bytes must be zero, even with a matching check. */
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(netprobe_rec_decode(buf, NETPROBE_REC_SIZE, 0, &rec),
	             -EBADMSG);
}

/* n records sent 20 ms apart from t = 0, concatenated into stream. */
static void tcp_send(struct netprobe_tcp *tcp, uint8_t *stream, unsigned n)
{
	unsigned i;

	netprobe_tcp_init(tcp);
	for (i = 0; i < n; i++)
		netprobe_tcp_next(tcp, i * 20 * MS,
		                  stream + i * NETPROBE_REC_SIZE);
	cr_assert_eq(tcp->sent, n);
}

static void tcp_assert(const struct netprobe_tcp *tcp, uint64_t echoed,
                       uint64_t lost, uint64_t out_of_order, uint64_t corrupt)
{
	cr_assert_eq(tcp->echoed, echoed, "echoed %lu", tcp->echoed);
	cr_assert_eq(tcp->lost, lost, "lost %lu", tcp->lost);
	cr_assert_eq(tcp->out_of_order, out_of_order, "ooo %lu",
	             tcp->out_of_order);
	cr_assert_eq(tcp->corrupt, corrupt, "corrupt %lu", tcp->corrupt);
}

Test(netprobe, tcp_in_order)
{
	uint8_t stream[10 * NETPROBE_REC_SIZE];
	struct netprobe_tcp tcp;

	tcp_send(&tcp, stream, 10);
	cr_assert_eq(netprobe_tcp_outstanding(&tcp), 10);
	netprobe_tcp_feed(&tcp, stream, sizeof(stream), 200 * MS);
	tcp_assert(&tcp, 10, 0, 0, 0);
	cr_assert_eq(netprobe_tcp_outstanding(&tcp), 0);
	cr_assert_eq(tcp.max_rtt_ns, 200 * MS); /* record 0 */
	cr_assert_eq(tcp.max_stall_ns, 200 * MS);
	cr_assert_eq(netprobe_tcp_stall_ns(&tcp, 900 * MS), 0);
}

Test(netprobe, tcp_split_reads)
{
	uint8_t stream[10 * NETPROBE_REC_SIZE];
	static const size_t chunks[] = { 1, 7, 31, 32, 33, 64, 100 };
	struct netprobe_tcp tcp;
	size_t c, off, n;

	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		tcp_send(&tcp, stream, 10);
		for (off = 0; off < sizeof(stream); off += n) {
			n = chunks[c];
			if (n > sizeof(stream) - off)
				n = sizeof(stream) - off;
			netprobe_tcp_feed(&tcp, stream + off, n, 300 * MS);
			cr_assert_lt(tcp.part_len, NETPROBE_REC_SIZE);
			cr_assert_eq(tcp.records,
			             (off + n) / NETPROBE_REC_SIZE);
		}
		tcp_assert(&tcp, 10, 0, 0, 0);
		cr_assert_eq(tcp.part_len, 0);
	}
}

Test(netprobe, tcp_gap)
{
	uint8_t stream[10 * NETPROBE_REC_SIZE];
	struct netprobe_tcp tcp;

	tcp_send(&tcp, stream, 10);
	netprobe_tcp_feed(&tcp, stream, 3 * NETPROBE_REC_SIZE, 200 * MS);
	/* records 3 and 4 never come back */
	netprobe_tcp_feed(&tcp, stream + 5 * NETPROBE_REC_SIZE,
	                  5 * NETPROBE_REC_SIZE, 200 * MS);
	tcp_assert(&tcp, 8, 2, 0, 0);
	cr_assert_eq(tcp.next_expect, 10);
}

Test(netprobe, tcp_out_of_order)
{
	uint8_t stream[5 * NETPROBE_REC_SIZE];
	static const int order[] = { 0, 1, 3, 2, 4 };
	struct netprobe_tcp tcp;
	size_t i;

	tcp_send(&tcp, stream, 5);
	for (i = 0; i < 5; i++)
		netprobe_tcp_feed(&tcp, stream + order[i] * NETPROBE_REC_SIZE,
		                  NETPROBE_REC_SIZE, 100 * MS);
	/* 3 before 2 skips 2 (lost); 2 after 3 is out of order. */
	tcp_assert(&tcp, 4, 1, 1, 0);
	/* A replay of the whole stream is out of order throughout. */
	netprobe_tcp_feed(&tcp, stream, sizeof(stream), 100 * MS);
	tcp_assert(&tcp, 4, 1, 6, 0);
}

Test(netprobe, tcp_corrupt)
{
	uint8_t stream[10 * NETPROBE_REC_SIZE], junk[NETPROBE_REC_SIZE];
	struct netprobe_rec rec = { NETPROBE_TCP_MAGIC, 500, 0 };
	struct netprobe_tcp tcp;

	tcp_send(&tcp, stream, 10);
	stream[3 * NETPROBE_REC_SIZE + 9] ^= 0x10; /* time of record 3 */
	stream[6 * NETPROBE_REC_SIZE + 0] = 'X';   /* magic of record 6 */
	netprobe_tcp_feed(&tcp, stream, sizeof(stream), 300 * MS);
	/* A corrupt record takes the place of the one expected there. */
	tcp_assert(&tcp, 8, 0, 0, 2);
	/* Well-formed, but a seq never sent, or a time in the future. */
	netprobe_rec_encode(&rec, junk);
	netprobe_tcp_feed(&tcp, junk, sizeof(junk), 300 * MS);
	rec.seq = 9;
	rec.sent_ns = 400 * MS;
	netprobe_rec_encode(&rec, junk);
	netprobe_tcp_feed(&tcp, junk, sizeof(junk), 300 * MS);
	tcp_assert(&tcp, 8, 0, 0, 4);
	cr_assert_eq(tcp.records, 12);
}

/* Feeds back record seq, sent at seq * 20 ms, at now_ns. */
static void tcp_echo(struct netprobe_tcp *tcp, uint32_t seq, uint64_t now_ns)
{
	struct netprobe_rec rec = { NETPROBE_TCP_MAGIC, seq, seq * 20 * MS };
	uint8_t buf[NETPROBE_REC_SIZE];

	netprobe_rec_encode(&rec, buf);
	netprobe_tcp_feed(tcp, buf, sizeof(buf), now_ns);
}

Test(netprobe, tcp_stall_and_rtt)
{
	uint8_t rec[NETPROBE_REC_SIZE];
	struct netprobe_tcp tcp;
	uint32_t i, k;

	netprobe_tcp_init(&tcp);
	/* Sent every 20 ms, echoed 5 ms later; 10..14 held until 300 ms. */
	for (i = 0; i < 20; i++) {
		netprobe_tcp_next(&tcp, i * 20 * MS, rec);
		if (i >= 10 && i < 15)
			continue;
		if (i == 15) {
			for (k = 10; k < 15; k++)
				tcp_echo(&tcp, k, 300 * MS + 1);
			cr_assert_eq(netprobe_tcp_outstanding(&tcp), 1);
			cr_assert_eq(netprobe_tcp_stall_ns(&tcp, 300 * MS + 1),
			             0);
		}
		tcp_echo(&tcp, i, i * 20 * MS + 5 * MS);
	}
	tcp_assert(&tcp, 20, 0, 0, 0);
	/* last echo before the hold: record 9 at 185 ms; next at 300 ms */
	cr_assert_eq(tcp.max_stall_ns, 300 * MS + 1 - 185 * MS);
	cr_assert_eq(tcp.max_rtt_ns, 300 * MS + 1 - 200 * MS);
	/* A record that never comes back: the stall runs to the end. */
	netprobe_tcp_next(&tcp, 400 * MS, rec);
	cr_assert_eq(netprobe_tcp_stall_ns(&tcp, 1000 * MS),
	             1000 * MS - 385 * MS);
	netprobe_tcp_finish(&tcp, 1000 * MS);
	cr_assert_eq(tcp.max_stall_ns, 1000 * MS - 385 * MS);
}

Test(netprobe, percentile)
{
	struct netprobe_hist *h = calloc(1, sizeof(*h));
	unsigned i;

	cr_assert_not_null(h);
	cr_assert_eq(netprobe_hist_percentile(h, 50), 0);
	for (i = 100; i >= 1; i--)
		netprobe_hist_add(h, i * MS);
	cr_assert_eq(h->count, 100);
	cr_assert_eq(netprobe_hist_percentile(h, 1), 1 * MS);
	cr_assert_eq(netprobe_hist_percentile(h, 50), 50 * MS);
	cr_assert_eq(netprobe_hist_percentile(h, 99), 99 * MS);
	cr_assert_eq(netprobe_hist_percentile(h, 100), 100 * MS);
	cr_assert_eq(h->max_ns, 100 * MS);

	/* Rounded down to the bucket step, never above the maximum. */
	memset(h, 0, sizeof(*h));
	netprobe_hist_add(h, 1234567);
	cr_assert_eq(netprobe_hist_percentile(h, 50), 1230000);
	cr_assert_eq(h->max_ns, 1234567);
	netprobe_hist_add(h, 5 * NETPROBE_UDP_TIMEOUT_NS);
	cr_assert_eq(netprobe_hist_percentile(h, 99), NETPROBE_UDP_TIMEOUT_NS);
	cr_assert_eq(h->max_ns, 5 * NETPROBE_UDP_TIMEOUT_NS);

	/* Nearest rank: of 3 samples, p50 is the 2nd, p67 the 3rd. */
	memset(h, 0, sizeof(*h));
	netprobe_hist_add(h, 1 * MS);
	netprobe_hist_add(h, 2 * MS);
	netprobe_hist_add(h, 3 * MS);
	cr_assert_eq(netprobe_hist_percentile(h, 50), 2 * MS);
	cr_assert_eq(netprobe_hist_percentile(h, 67), 3 * MS);
	free(h);
}

static struct netprobe_udp *udp_new(void)
{
	struct netprobe_udp *udp = malloc(sizeof(*udp));

	cr_assert_not_null(udp);
	netprobe_udp_init(udp, NETPROBE_UDP_TIMEOUT_NS);
	return udp;
}

/*
 * Probe i is sent at i * 10 ms. 'A' is answered 1 ms later, '.' never;
 * then the measurement ends at end_ns.
 */
static void udp_run(struct netprobe_udp *udp, const char *pattern,
                    uint64_t end_ns)
{
	uint8_t probe[NETPROBE_REC_SIZE];
	size_t i;

	for (i = 0; pattern[i] != '\0'; i++) {
		uint64_t t = i * 10 * MS;

		netprobe_udp_judge(udp, t);
		netprobe_udp_next(udp, t, probe);
		if (pattern[i] == 'A')
			cr_assert_eq(netprobe_udp_reply(udp, probe,
			                                sizeof(probe), t + MS),
			             0);
	}
	netprobe_udp_finish(udp, end_ns);
}

static char *repeat(char *out, const char *spec)
{
	/* spec: pairs of count and letter, e.g. "10A30.60A" */
	char *p = out;

	while (*spec != '\0') {
		long n = strtol(spec, (char **)&spec, 10);

		while (n-- > 0)
			*p++ = *spec;
		spec++;
	}
	*p = '\0';
	return out;
}

static void udp_assert(const struct netprobe_udp *udp, uint64_t received,
                       uint64_t lost, uint64_t windows, uint64_t max_window)
{
	cr_assert_eq(udp->received, received, "received %lu", udp->received);
	cr_assert_eq(udp->lost, lost, "lost %lu", udp->lost);
	cr_assert_eq(udp->windows, windows, "windows %lu", udp->windows);
	cr_assert_eq(udp->max_window_ns, max_window, "max window %lu",
	             udp->max_window_ns);
}

Test(netprobe, udp_no_loss)
{
	struct netprobe_udp *udp = udp_new();
	char pattern[1024];

	udp_run(udp, repeat(pattern, "300A"), 3000 * MS);
	cr_assert_eq(udp->sent, 300);
	udp_assert(udp, 300, 0, 0, 0);
	cr_assert_eq(udp->judged, 300);
	cr_assert_eq(netprobe_hist_percentile(&udp->rtt, 50), MS);
	cr_assert_eq(netprobe_hist_percentile(&udp->rtt, 99), MS);
	cr_assert_eq(udp->rtt.max_ns, MS);
	free(udp);
}

Test(netprobe, udp_one_run)
{
	struct netprobe_udp *udp = udp_new();
	char pattern[1024];

	/* last answered sent at 90 ms, next at 400 ms */
	udp_run(udp, repeat(pattern, "10A30.160A"), 2000 * MS);
	udp_assert(udp, 170, 30, 1, 310 * MS);
	free(udp);
}

Test(netprobe, udp_several_runs)
{
	struct netprobe_udp *udp = udp_new();
	char pattern[1024];

	/* windows: 90..150 ms, 240..450 ms, 540..560 ms */
	udp_run(udp, repeat(pattern, "10A5.10A20.10A1.150A"), 3000 * MS);
	udp_assert(udp, 180, 26, 3, 210 * MS);
	free(udp);
}

Test(netprobe, udp_loss_at_start)
{
	struct netprobe_udp *udp = udp_new();
	char pattern[1024];

	/* nothing answered before: the window starts at the first probe */
	udp_run(udp, repeat(pattern, "10.200A"), 3000 * MS);
	udp_assert(udp, 200, 10, 1, 100 * MS);
	free(udp);
}

Test(netprobe, udp_loss_at_end_not_judged)
{
	struct netprobe_udp *udp = udp_new();
	char pattern[1024];

	/* probes 100..149 sent at 1000..1490 ms, under 1 s before the end */
	udp_run(udp, repeat(pattern, "100A50."), 1500 * MS);
	udp_assert(udp, 100, 0, 0, 0);
	cr_assert_eq(udp->sent, 150);
	free(udp);

	/* 100..150 are over 1 s old at the end: lost, window still open */
	udp = udp_new();
	udp_run(udp, repeat(pattern, "100A150."), 2500 * MS);
	udp_assert(udp, 100, 51, 1, 2500 * MS - 990 * MS);
	free(udp);

	/*
	 * Young unanswered probes (106..199 at the end) are not judged and
	 * do not end a run; answered ones (200.., from 2000 ms) do.
	 */
	udp = udp_new();
	udp_run(udp, repeat(pattern, "100A100.5A"), 2050 * MS);
	udp_assert(udp, 105, 6, 1, 2000 * MS - 990 * MS);
	free(udp);
	udp = udp_new();
	udp_run(udp, repeat(pattern, "100A100.5A10."), 2150 * MS);
	udp_assert(udp, 105, 16, 1, 2000 * MS - 990 * MS);
	free(udp);
}

Test(netprobe, udp_reordered_replies)
{
	struct netprobe_udp *udp = udp_new();
	uint8_t probes[20][NETPROBE_REC_SIZE];
	int i;

	for (i = 0; i < 20; i++)
		netprobe_udp_next(udp, i * 10 * MS, probes[i]);
	/* replies come back newest first, all within the timeout */
	for (i = 19; i >= 0; i--)
		cr_assert_eq(netprobe_udp_reply(udp, probes[i],
		                                NETPROBE_REC_SIZE,
		                                (200 + 19 - i) * MS),
		             0);
	netprobe_udp_judge(udp, 250 * MS);
	cr_assert_eq(udp->judged, 20);
	udp_assert(udp, 20, 0, 0, 0);
	cr_assert_eq(udp->rtt.max_ns, 219 * MS);
	free(udp);

	/* one reply overtaken by later ones, and by judging: still on time */
	udp = udp_new();
	for (i = 0; i < 20; i++) {
		netprobe_udp_next(udp, i * 10 * MS, probes[i]);
		if (i > 0)
			cr_assert_eq(netprobe_udp_reply(udp, probes[i],
			                                NETPROBE_REC_SIZE,
			                                i * 10 * MS + MS),
			             0);
		netprobe_udp_judge(udp, i * 10 * MS + MS);
	}
	cr_assert_eq(udp->judged, 0);
	cr_assert_eq(
	    netprobe_udp_reply(udp, probes[0], NETPROBE_REC_SIZE, 999 * MS), 0);
	netprobe_udp_finish(udp, 3000 * MS);
	udp_assert(udp, 20, 0, 0, 0);
	free(udp);
}

Test(netprobe, udp_duplicates_and_late)
{
	struct netprobe_udp *udp = udp_new();
	uint8_t p0[NETPROBE_REC_SIZE], p1[NETPROBE_REC_SIZE];
	uint8_t p2[NETPROBE_REC_SIZE], p3[NETPROBE_REC_SIZE];

	netprobe_udp_next(udp, 0, p0);
	netprobe_udp_next(udp, 10 * MS, p1);
	netprobe_udp_next(udp, 20 * MS, p2);
	netprobe_udp_next(udp, 30 * MS, p3);
	cr_assert_eq(netprobe_udp_reply(udp, p0, sizeof(p0), 5 * MS), 0);
	cr_assert_eq(netprobe_udp_reply(udp, p0, sizeof(p0), 6 * MS),
	             -EALREADY);
	cr_assert_eq(netprobe_udp_reply(udp, p0, sizeof(p0), 2000 * MS),
	             -EALREADY);
	/* p1 answered after 1 s: lost, whether judged already or not */
	cr_assert_eq(netprobe_udp_reply(udp, p1, sizeof(p1), 1010 * MS),
	             -ETIMEDOUT);
	netprobe_udp_judge(udp, 1025 * MS); /* judges p0, p1, p2 */
	cr_assert_eq(udp->judged, 3);
	cr_assert_eq(netprobe_udp_reply(udp, p2, sizeof(p2), 1025 * MS),
	             -ETIMEDOUT);
	cr_assert_eq(netprobe_udp_reply(udp, p3, sizeof(p3), 1025 * MS), 0);
	cr_assert_eq(netprobe_udp_reply(udp, p3, sizeof(p3), 1026 * MS),
	             -EALREADY);
	netprobe_udp_finish(udp, 1100 * MS);
	cr_assert_eq(udp->duplicate, 3);
	cr_assert_eq(udp->late, 2);
	/* window from p0 (0 ms) to p3 (30 ms) */
	udp_assert(udp, 2, 2, 1, 30 * MS);
	free(udp);
}

Test(netprobe, udp_bad_replies)
{
	struct netprobe_udp *udp = udp_new();
	uint8_t probe[NETPROBE_REC_SIZE], bad[NETPROBE_REC_SIZE + 1];
	struct netprobe_rec rec = { NETPROBE_UDP_MAGIC, 0, 0 };

	netprobe_udp_next(udp, 0, probe);
	memcpy(bad, probe, sizeof(probe));
	cr_assert_eq(netprobe_udp_reply(udp, bad, sizeof(probe) - 1, MS),
	             -EBADMSG);
	cr_assert_eq(netprobe_udp_reply(udp, bad, sizeof(bad), MS), -EBADMSG);
	bad[20] ^= 1;
	cr_assert_eq(netprobe_udp_reply(udp, bad, sizeof(probe), MS), -EBADMSG);
	/* a TCP record, a seq not sent yet, a send time that is not ours */
	rec.magic = NETPROBE_TCP_MAGIC;
	netprobe_rec_encode(&rec, bad);
	cr_assert_eq(netprobe_udp_reply(udp, bad, sizeof(probe), MS), -EBADMSG);
	rec.magic = NETPROBE_UDP_MAGIC;
	rec.seq = 1;
	netprobe_rec_encode(&rec, bad);
	cr_assert_eq(netprobe_udp_reply(udp, bad, sizeof(probe), MS), -EBADMSG);
	rec.seq = 0;
	rec.sent_ns = 7;
	netprobe_rec_encode(&rec, bad);
	cr_assert_eq(netprobe_udp_reply(udp, bad, sizeof(probe), MS), -EBADMSG);
	cr_assert_eq(udp->bad, 6);
	cr_assert_eq(udp->received, 0);
	cr_assert_eq(netprobe_udp_reply(udp, probe, sizeof(probe), MS), 0);
	free(udp);
}

Test(netprobe, udp_ring_full_judges_oldest)
{
	struct netprobe_udp *udp = udp_new();
	uint8_t first[NETPROBE_REC_SIZE], probe[NETPROBE_REC_SIZE];
	unsigned i;

	/* never judged by time: the ring judges to make room */
	netprobe_udp_next(udp, 0, first);
	for (i = 1; i <= NETPROBE_UDP_RING; i++)
		netprobe_udp_next(udp, i * 1000, probe);
	cr_assert_eq(udp->judged, 1);
	cr_assert_eq(udp->lost, 1);
	/* its reply now is late, even within its timeout */
	cr_assert_eq(netprobe_udp_reply(udp, first, sizeof(first), 5 * MS),
	             -ETIMEDOUT);
	cr_assert_eq(netprobe_udp_reply(udp, probe, sizeof(probe), 5 * MS), 0);
	free(udp);
}

/*
 * Held, not dropped: probes 10..39 are answered only when the path lets go
 * at 400 ms (a queue in front of a paused VM). Nothing is lost, but the
 * client heard nothing from 91 ms (reply to probe 9) to 400 ms.
 */
Test(netprobe, udp_held_replies_make_a_gap)
{
	struct netprobe_udp *udp = udp_new();
	uint8_t probes[60][NETPROBE_REC_SIZE];
	uint64_t t;
	int i;

	for (i = 0; i < 60; i++) {
		t = (uint64_t)i * 10 * MS;
		netprobe_udp_judge(udp, t);
		netprobe_udp_next(udp, t, probes[i]);
		if (i == 40) {
			int j;

			for (j = 10; j < 40; j++)
				cr_assert_eq(
				    netprobe_udp_reply(udp, probes[j],
				                       NETPROBE_REC_SIZE, t),
				    0);
		}
		if (i < 10 || i >= 40)
			cr_assert_eq(netprobe_udp_reply(udp, probes[i],
			                                NETPROBE_REC_SIZE,
			                                t + MS),
			             0);
	}
	netprobe_udp_finish(udp, 2000 * MS);
	udp_assert(udp, 60, 0, 0, 0);
	cr_assert_eq(udp->max_gap_ns, 400 * MS - 91 * MS, "gap %lu",
	             udp->max_gap_ns);
	free(udp);
}

/* Without an outage the gap is the probe interval. */
Test(netprobe, udp_gap_is_interval_without_loss)
{
	struct netprobe_udp *udp = udp_new();
	char pattern[1024];

	udp_run(udp, repeat(pattern, "50A"), 2000 * MS);
	cr_assert_eq(udp->max_gap_ns, 10 * MS);
	free(udp);
}
