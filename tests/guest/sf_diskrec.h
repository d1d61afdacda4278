/*
 * Disk writer record: one 4096-byte block, written with O_DIRECT at offset
 * (seq % nslots) * 4096 of the data disk. It outlives the guest (the host
 * verifier reads it from the image), so it is a wire format: fixed-width
 * fields, big-endian.
 *
 *   offset size field
 *   0      4    magic    0x53464452 "SFDR"
 *   4      2    version  1
 *   6      2    reserved 0
 *   8      8    run      random id of one disk writer run
 *   16     8    seq      sequence number, from 0
 *   24     8    nslots   number of slots the writer cycles through
 *   32     8    checksum sf_hash over the 512 big-endian words of the block,
 *                        this one skipped
 *   40     4056 pattern  xorshift64 seeded from (run, seq), big-endian words
 */
#ifndef SF_DISKREC_H
#define SF_DISKREC_H

#include <stddef.h>
#include <stdint.h>

#include "sf_err.h"

#define SF_DISKREC_SIZE      4096
#define SF_DISKREC_MAGIC     0x53464452U
#define SF_DISKREC_VERSION   1
#define SF_DISKREC_MIN_SLOTS 2
#define SF_DISKREC_MAX_SLOTS (1ULL << 32)

#define SF_DISKREC_OFF_MAGIC    0
#define SF_DISKREC_OFF_VERSION  4
#define SF_DISKREC_OFF_RESERVED 6
#define SF_DISKREC_OFF_RUN      8
#define SF_DISKREC_OFF_SEQ      16
#define SF_DISKREC_OFF_NSLOTS   24
#define SF_DISKREC_OFF_SUM      32
#define SF_DISKREC_OFF_PATTERN  40

struct sf_diskrec {
	uint64_t run;
	uint64_t seq;
	uint64_t nslots;
};

/* Encode rec into the SF_DISKREC_SIZE bytes at buf. */
void sf_diskrec_encode(const struct sf_diskrec *rec, uint8_t *buf);

/*
 * Decode and fully verify one block. Returns 0 with *rec filled, or:
 *   -EMSGSIZE         len is not SF_DISKREC_SIZE
 *   -ENODATA          the block is all zero (never written)
 *   -EPROTONOSUPPORT  unknown version
 *   -EBADMSG          bad magic, reserved bits, checksum or pattern
 * with err saying which.
 */
int sf_diskrec_decode(const uint8_t *buf, size_t len, struct sf_diskrec *rec,
                      struct sf_err *err);

/* Slots on a device of dev_bytes, capped at SF_DISKREC_MAX_SLOTS. */
uint64_t sf_diskrec_slots(uint64_t dev_bytes);

/* Byte offset of the slot that record seq goes to. */
uint64_t sf_diskrec_offset(uint64_t seq, uint64_t nslots);

#endif
