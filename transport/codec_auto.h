/*
 * codec_auto.h: the adaptive codec (TP_CODEC_AUTO), internal to transport/.
 *
 * Every TP_AUTO_SAMPLE_EVERY frames, the first included, the sender
 * compresses one frame with each candidate (raw, LZ4-1, zstd -1, zstd-1,
 * zstd-3), timing it on the thread's CPU clock; all on the same frame, so
 * their ratios compare (the frames of one stream differ more than the
 * candidates do). Sampling one candidate in turn, or once in 256 frames,
 * was tried and chose worse on the QEMU stream over wan. Decayed sums of
 * raw bytes, wire bytes and CPU time give each candidate's ratio and
 * speed (byte-weighted, so one frame of zeros does not swamp them), which
 * feed a pure policy, tp_codec_auto_pick(), with the measured wire rate.
 * The policy models the goodput of each candidate as
 *
 *   min(wire rate x ratio, CPU budget / CPU cost of a raw byte)
 *
 * where a raw byte costs the codec's measured time, plus fixed costs per
 * raw byte (the local socket, framing) and per wire byte (TLS, TCP),
 * measured once with bench/transport; it takes the cheapest candidate
 * within TP_AUTO_MARGIN_PCT of the best. The budget is the sender's
 * target, half a core per Gbit/s of wire, but at least 0.3 core (a slow
 * link affords a strong level) and at most 1.5. On the lab guest's stream
 * (zstd -1 1.96x at about 1 GB/s per core, zstd-1 2.20x at 0.55 GB/s, LZ4
 * 1.80x at 1.3 GB/s) that is zstd-1 or zstd-3 up to a few hundred Mbit/s,
 * zstd -1 around 500 Mbit/s, LZ4 from about 700 Mbit/s, and nothing once
 * the CPU cannot keep up with the link.
 */
#ifndef SKYFERRY_TP_CODEC_AUTO_H
#define SKYFERRY_TP_CODEC_AUTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/codec.h"

#define TP_AUTO_CANDIDATES   5
#define TP_AUTO_SAMPLE_EVERY 64u
#define TP_AUTO_MARGIN_PCT   2u

/* One codec and level, with what was measured of it (0: unknown). */
struct tp_codec_auto_cand {
	unsigned int codec; /* TP_CODEC_* */
	int level;
	double speed; /* raw bytes compressed per CPU second */
	double ratio; /* raw bytes per wire byte, >= 1 */
};

/*
 * The policy: index into cands (ordered cheapest first; cands[0] is raw)
 * of the candidate with the best modelled goodput on a link of wire_Bps
 * bytes per second with cpu_cores of CPU to spend on sending (the codec,
 * TLS and TCP together). Candidates with an unknown speed or ratio are
 * passed over. Pure.
 */
unsigned int tp_codec_auto_pick(const struct tp_codec_auto_cand *cands,
                                unsigned int count, double wire_Bps,
                                double cpu_cores);

/* The sender's CPU budget in cores on a link of wire_Bps. Pure. */
double tp_codec_auto_budget(double wire_Bps);

struct tp_codec_auto;

/*
 * New controller; peer_features (TP_HELLO_F_*) limit the candidates to
 * codecs the peer decodes. NULL with errno set.
 */
struct tp_codec_auto *tp_codec_auto_new(uint32_t peer_features);
void tp_codec_auto_free(struct tp_codec_auto *autoc);

/*
 * One DATA frame of raw bytes is about to be sent; scratch has room for
 * len bytes. Now and then this samples the candidates on it and re-picks
 * for a link of wire_Bps. Returns true when *codec and *level changed.
 */
bool tp_codec_auto_frame(struct tp_codec_auto *autoc, const uint8_t *raw,
                         size_t len, uint8_t *scratch, double wire_Bps,
                         unsigned int *codec, int *level);

/* The candidates and what has been measured of them, for tests and logs. */
const struct tp_codec_auto_cand *
tp_codec_auto_cands(const struct tp_codec_auto *autoc, unsigned int *count);

#endif
