/* Tests for the disk writer's record format. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "sf_diskrec.h"

static uint8_t block[SF_DISKREC_SIZE];

static const uint8_t golden_head[48] = {
	0x53, 0x46, 0x44, 0x52,                         /* magic "SFDR" */
	0x00, 0x01,                                     /* version 1 */
	0x00, 0x00,                                     /* reserved */
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* run */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, /* seq 42 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, /* nslots 16384 */
	0x8b, 0x3f, 0x3c, 0x6c, 0x75, 0x81, 0x8e, 0x5f, /* checksum */
	0x49, 0x9d, 0xa2, 0xa2, 0x7e, 0xb0, 0x75, 0x58, /* pattern word 0 */
};

static void encode_golden(void)
{
	struct sf_diskrec rec = { 0x0123456789abcdefULL, 42, 16384 };

	sf_diskrec_encode(&rec, block);
}

Test(diskrec, golden)
{
	struct sf_diskrec rec;

	encode_golden();
	cr_assert_arr_eq(block, golden_head, sizeof(golden_head));
	cr_assert_eq(block[4094], 0x84);
	cr_assert_eq(block[4095], 0x0a);
	cr_assert_eq(sf_diskrec_decode(block, sizeof(block), &rec, NULL), 0);
	cr_assert_eq(rec.run, 0x0123456789abcdefULL);
	cr_assert_eq(rec.seq, 42);
	cr_assert_eq(rec.nslots, 16384);
}

Test(diskrec, every_single_byte_flip_is_detected)
{
	struct sf_diskrec rec;
	size_t i;

	encode_golden();
	for (i = 0; i < SF_DISKREC_SIZE; i++) {
		block[i] ^= 0x80;
		cr_assert_lt(
		    sf_diskrec_decode(block, sizeof(block), &rec, NULL), 0,
		    "flip at byte %zu not detected", i);
		block[i] ^= 0x80;
	}
}

Test(diskrec, bad_input)
{
	struct sf_diskrec rec;
	struct sf_err err = { "" };

	encode_golden();
	cr_assert_eq(sf_diskrec_decode(block, 4095, &rec, &err), -EMSGSIZE);
	cr_assert_eq(sf_diskrec_decode(block, 8192, &rec, &err), -EMSGSIZE);
	block[5] = 2; /* version 2 */
	cr_assert_eq(sf_diskrec_decode(block, sizeof(block), &rec, &err),
	             -EPROTONOSUPPORT);
	encode_golden();
	block[7] = 1; /* reserved */
	cr_assert_eq(sf_diskrec_decode(block, sizeof(block), &rec, &err),
	             -EBADMSG);
	memset(block, 0, sizeof(block));
	cr_assert_eq(sf_diskrec_decode(block, sizeof(block), &rec, &err),
	             -ENODATA);
	memset(block, 0xff, sizeof(block));
	cr_assert_eq(sf_diskrec_decode(block, sizeof(block), &rec, &err),
	             -EBADMSG);
	cr_assert(strstr(err.msg, "magic") != NULL);
}

Test(diskrec, slots)
{
	cr_assert_eq(sf_diskrec_slots(64 << 20), 16384);
	cr_assert_eq(sf_diskrec_slots(4095), 0);
	cr_assert_eq(sf_diskrec_slots(UINT64_MAX), SF_DISKREC_MAX_SLOTS);
	cr_assert_eq(sf_diskrec_offset(16385, 16384), 4096);
}
