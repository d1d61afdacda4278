/*
 * codec_auto.c: the adaptive codec. A pure policy (pick, budget) and the
 * sampler that measures each candidate's speed and ratio on real frames.
 * See codec_auto.h for the model.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "transport/codec_auto.h"
#include "transport/tp_frame.h"

#define TP_AUTO_EWMA 0.25 /* weight of the newest sample */
/*
 * The sender's CPU target is half a core per Gbit/s of wire. On a slow
 * link it may spend TP_AUTO_BUDGET_LO instead: a strong level costs little
 * in absolute terms there and buys goodput (the issue asks for a stronger
 * zstd at 100 Mbit/s); and at most TP_AUTO_BUDGET_HI.
 *
 * Besides the codec, whose speed is measured, sending costs CPU per raw
 * byte (reading the local socket, framing) and per wire byte (TLS, the
 * kernel's TCP, the copies into it). Both were measured with
 * bench/transport on metro (incompressible data; the idle guest's stream
 * with LZ4): 0.86 and 1.44 ns a byte on this lab's cores. A codec pays its
 * way partly by shrinking the wire bytes.
 */
#define TP_AUTO_CORES_PER_GBPS 0.5
#define TP_AUTO_BUDGET_LO      0.3
#define TP_AUTO_BUDGET_HI      1.5
#define TP_AUTO_RAW_S_PER_B    0.86e-9
#define TP_AUTO_WIRE_S_PER_B   1.44e-9

/* What a candidate of this speed and ratio can send with cpu_cores. */
static double tp_auto_goodput(double speed, double ratio, double wire_Bps,
                              double cpu_cores)
{
	double per_byte = TP_AUTO_RAW_S_PER_B + TP_AUTO_WIRE_S_PER_B / ratio;
	double by_cpu;

	if (speed > 0)
		per_byte += 1 / speed;
	by_cpu = cpu_cores / per_byte;
	return by_cpu < wire_Bps * ratio ? by_cpu : wire_Bps * ratio;
}

unsigned int tp_codec_auto_pick(const struct tp_codec_auto_cand *cands,
                                unsigned int count, double wire_Bps,
                                double cpu_cores)
{
	double goodput,
	    best_goodput = tp_auto_goodput(0, 1, wire_Bps, cpu_cores);
	unsigned int i, best = 0;

	for (i = 1; i < count; i++) {
		if (cands[i].speed <= 0 || cands[i].ratio <= 0)
			continue;
		goodput = tp_auto_goodput(cands[i].speed, cands[i].ratio,
		                          wire_Bps, cpu_cores);
		if (goodput > best_goodput * (100 + TP_AUTO_MARGIN_PCT) / 100) {
			best_goodput = goodput;
			best = i;
		}
	}
	return best;
}

double tp_codec_auto_budget(double wire_Bps)
{
	double cores = TP_AUTO_CORES_PER_GBPS * wire_Bps * 8 / 1e9;

	if (cores < TP_AUTO_BUDGET_LO)
		return TP_AUTO_BUDGET_LO;
	return cores > TP_AUTO_BUDGET_HI ? TP_AUTO_BUDGET_HI : cores;
}

static const struct tp_codec_auto_cand tp_auto_cands[TP_AUTO_CANDIDATES] = {
	{ TP_CODEC_RAW, 0, 0, 1 },   { TP_CODEC_LZ4, 1, 0, 0 },
	{ TP_CODEC_ZSTD, -1, 0, 0 }, { TP_CODEC_ZSTD, 1, 0, 0 },
	{ TP_CODEC_ZSTD, 3, 0, 0 },
};

/*
 * Decayed sums of what the samples of one candidate took and gave: the
 * ratio is raw over wire and the speed raw over CPU time, so a frame of
 * zeros (a thousandfold) counts by its bytes, not as one ratio among
 * equals that would swamp the average.
 */
struct tp_auto_sums {
	double raw;
	double wire;
	double cpu_s;
};

struct tp_codec_auto {
	struct tp_codec_auto_cand cands[TP_AUTO_CANDIDATES];
	struct tp_auto_sums sums[TP_AUTO_CANDIDATES];
	const struct tp_codec_ops *ops[TP_AUTO_CANDIDATES]; /* NULL: raw */
	void *state[TP_AUTO_CANDIDATES];
	unsigned int count;
	unsigned int current;
	uint64_t frames;
};

static double tp_auto_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct tp_codec_auto *tp_codec_auto_new(uint32_t peer_features)
{
	struct tp_codec_auto *autoc = calloc(1, sizeof(*autoc));
	const struct tp_codec_ops *ops;
	unsigned int i;

	if (!autoc)
		return NULL;
	for (i = 0; i < TP_AUTO_CANDIDATES; i++) {
		ops = tp_auto_cands[i].codec == TP_CODEC_LZ4 ? &tp_codec_lz4_ops
		      : tp_auto_cands[i].codec == TP_CODEC_ZSTD
		          ? &tp_codec_zstd_ops
		          : NULL;
		if (ops && !(peer_features & (1u << (ops->id - 1))))
			continue;
		autoc->cands[autoc->count] = tp_auto_cands[i];
		autoc->ops[autoc->count] = ops;
		if (ops) {
			autoc->state[autoc->count] =
			    ops->state_new(tp_auto_cands[i].level);
			if (!autoc->state[autoc->count]) {
				tp_codec_auto_free(autoc);
				errno = ENOMEM;
				return NULL;
			}
		}
		autoc->count++;
	}
	return autoc;
}

void tp_codec_auto_free(struct tp_codec_auto *autoc)
{
	int saved_errno = errno;
	unsigned int i;

	if (!autoc)
		return;
	for (i = 0; i < autoc->count; i++)
		if (autoc->ops[i])
			autoc->ops[i]->state_free(autoc->state[i]);
	free(autoc);
	errno = saved_errno;
}

static void tp_auto_decay(double *sum, double sample, bool first)
{
	*sum = first ? sample : *sum + TP_AUTO_EWMA * (sample - *sum);
}

/*
 * Compress raw with every candidate; update its sums, speed and ratio. All
 * on the same frame, so their ratios compare: frames of one stream differ
 * more than the candidates do.
 */
static void tp_auto_sample(struct tp_codec_auto *autoc, const uint8_t *raw,
                           size_t len, uint8_t *scratch)
{
	struct tp_codec_auto_cand *cand;
	struct tp_auto_sums *sums;
	double start, cpu;
	unsigned int i;
	ssize_t n;
	bool first;

	for (i = 1; i < autoc->count; i++) {
		cand = &autoc->cands[i];
		sums = &autoc->sums[i];
		start = tp_auto_cpu_s();
		n = autoc->ops[i]->compress(autoc->state[i], raw, len, scratch,
		                            len - 1);
		cpu = tp_auto_cpu_s() - start;
		if (n < 0)
			continue;
		if (cpu < 1e-7)
			cpu = 1e-7;
		first = sums->raw <= 0;
		tp_auto_decay(&sums->raw, (double)len, first);
		/* Did not fit: the raw bypass sends it as it is. */
		tp_auto_decay(&sums->wire, n > 0 ? (double)n : (double)len,
		              first);
		tp_auto_decay(&sums->cpu_s, cpu, first);
		cand->ratio = sums->raw / sums->wire;
		cand->speed = sums->raw / sums->cpu_s;
	}
}

const struct tp_codec_auto_cand *
tp_codec_auto_cands(const struct tp_codec_auto *autoc, unsigned int *count)
{
	*count = autoc->count;
	return autoc->cands;
}

bool tp_codec_auto_frame(struct tp_codec_auto *autoc, const uint8_t *raw,
                         size_t len, uint8_t *scratch, double wire_Bps,
                         unsigned int *codec, int *level)
{
	unsigned int pick;

	if (len < 2 || autoc->frames++ % TP_AUTO_SAMPLE_EVERY)
		return false;
	tp_auto_sample(autoc, raw, len, scratch);
	pick = tp_codec_auto_pick(autoc->cands, autoc->count, wire_Bps,
	                          tp_codec_auto_budget(wire_Bps));
	if (pick == autoc->current)
		return false;
	autoc->current = pick;
	*codec = autoc->cands[pick].codec;
	*level = autoc->cands[pick].level;
	return true;
}
