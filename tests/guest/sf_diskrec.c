/* Disk writer record format: see sf_diskrec.h. */
#include <errno.h>
#include <stdbool.h>

#include "sf_diskrec.h"
#include "sf_hash.h"

static void sf_diskrec_put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t sf_diskrec_get_be(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

static uint64_t sf_diskrec_checksum(const uint8_t *buf)
{
	uint64_t h = SF_HASH_INIT;
	size_t off;

	for (off = 0; off < SF_DISKREC_SIZE; off += 8)
		if (off != SF_DISKREC_OFF_SUM)
			h = sf_hash_step(h, sf_diskrec_get_be(buf + off, 8));
	return sf_hash_final(h);
}

void sf_diskrec_encode(const struct sf_diskrec *rec, uint8_t *buf)
{
	uint64_t state = sf_fill_seed(rec->run, rec->seq);
	size_t off;

	sf_diskrec_put_be(buf + SF_DISKREC_OFF_MAGIC, SF_DISKREC_MAGIC, 4);
	sf_diskrec_put_be(buf + SF_DISKREC_OFF_VERSION, SF_DISKREC_VERSION, 2);
	sf_diskrec_put_be(buf + SF_DISKREC_OFF_RESERVED, 0, 2);
	sf_diskrec_put_be(buf + SF_DISKREC_OFF_RUN, rec->run, 8);
	sf_diskrec_put_be(buf + SF_DISKREC_OFF_SEQ, rec->seq, 8);
	sf_diskrec_put_be(buf + SF_DISKREC_OFF_NSLOTS, rec->nslots, 8);
	for (off = SF_DISKREC_OFF_PATTERN; off < SF_DISKREC_SIZE; off += 8)
		sf_diskrec_put_be(buf + off, sf_fill_next(&state), 8);
	sf_diskrec_put_be(buf + SF_DISKREC_OFF_SUM, sf_diskrec_checksum(buf),
	                  8);
}

static bool sf_diskrec_is_zero(const uint8_t *buf)
{
	size_t i;

	for (i = 0; i < SF_DISKREC_SIZE; i++)
		if (buf[i] != 0)
			return false;
	return true;
}

int sf_diskrec_decode(const uint8_t *buf, size_t len, struct sf_diskrec *rec,
                      struct sf_err *err)
{
	uint64_t state, magic, version;
	size_t off;

	if (len != SF_DISKREC_SIZE) {
		sf_err_set(err, "record of %zu bytes, expected %d", len,
		           SF_DISKREC_SIZE);
		return -EMSGSIZE;
	}
	magic = sf_diskrec_get_be(buf + SF_DISKREC_OFF_MAGIC, 4);
	if (magic != SF_DISKREC_MAGIC) {
		if (sf_diskrec_is_zero(buf)) {
			sf_err_set(err, "block is all zero");
			return -ENODATA;
		}
		sf_err_set(err, "bad magic 0x%08llx",
		           (unsigned long long)magic);
		return -EBADMSG;
	}
	version = sf_diskrec_get_be(buf + SF_DISKREC_OFF_VERSION, 2);
	if (version != SF_DISKREC_VERSION) {
		sf_err_set(err, "unsupported version %llu",
		           (unsigned long long)version);
		return -EPROTONOSUPPORT;
	}
	if (sf_diskrec_get_be(buf + SF_DISKREC_OFF_RESERVED, 2) != 0) {
		sf_err_set(err, "reserved field is not zero");
		return -EBADMSG;
	}
	if (sf_diskrec_get_be(buf + SF_DISKREC_OFF_SUM, 8) !=
	    sf_diskrec_checksum(buf)) {
		sf_err_set(err, "checksum mismatch");
		return -EBADMSG;
	}
	rec->run = sf_diskrec_get_be(buf + SF_DISKREC_OFF_RUN, 8);
	rec->seq = sf_diskrec_get_be(buf + SF_DISKREC_OFF_SEQ, 8);
	rec->nslots = sf_diskrec_get_be(buf + SF_DISKREC_OFF_NSLOTS, 8);
	state = sf_fill_seed(rec->run, rec->seq);
	for (off = SF_DISKREC_OFF_PATTERN; off < SF_DISKREC_SIZE; off += 8) {
		if (sf_diskrec_get_be(buf + off, 8) != sf_fill_next(&state)) {
			sf_err_set(err, "pattern differs at offset %zu", off);
			return -EBADMSG;
		}
	}
	return 0;
}

uint64_t sf_diskrec_slots(uint64_t dev_bytes)
{
	uint64_t n = dev_bytes / SF_DISKREC_SIZE;

	return n > SF_DISKREC_MAX_SLOTS ? SF_DISKREC_MAX_SLOTS : n;
}

uint64_t sf_diskrec_offset(uint64_t seq, uint64_t nslots)
{
	return (seq % nslots) * SF_DISKREC_SIZE;
}
