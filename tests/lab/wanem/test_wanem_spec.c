/*
 * Tests of the WAN emulator's settings parser: golden values and bad input.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "wanem_spec.h"

static char err[WANEM_ERR_MAX];

Test(wanem_spec, rate_golden)
{
	static const struct {
		const char *text;
		uint64_t bps;
	} cases[] = {
		{ "0", 0 },
		{ "unlimited", 0 },
		{ "1bit", 1 },
		{ "64kbit", 64000 },
		{ "50mbit", 50000000 },
		{ "100Mbit", 100000000 },
		{ "1gbit", 1000000000 },
		{ "1.5gbit", 1500000000 },
		{ "0.5mbit", 500000 },
		{ "100gbit", 100000000000ull },
	};
	uint64_t bps;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bps = 12345;
		cr_assert_eq(
		    wanem_rate_parse(cases[i].text, &bps, err, sizeof(err)), 0,
		    "%s: %s", cases[i].text, err);
		cr_expect_eq(bps, cases[i].bps, "%s", cases[i].text);
	}
}

Test(wanem_spec, rate_bad)
{
	static const char *bad[] = {
		"",
		"abc",
		"mbit",
		"10",
		"10 mbit",
		"-1mbit",
		"1.mbit",
		".5mbit",
		"1mbps",
		"101gbit",
		"0.1bit",
		"1e9bit",
		"99999999999999999999gbit",
	};
	uint64_t bps = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_expect_eq(wanem_rate_parse(bad[i], &bps, err, sizeof(err)),
		             -EINVAL, "'%s' accepted", bad[i]);
		cr_expect(strstr(err, "bad rate"), "%s: %s", bad[i], err);
	}
	cr_expect_eq(bps, 7, "output written on failure");
}

Test(wanem_spec, rate_error_names_token)
{
	char *argv[] = { "rate=abc" };
	struct wanem_req req;

	cr_assert_eq(wanem_set_parse(1, argv, &req, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "bad rate 'abc' in 'rate=abc': expected a "
	                      "number with unit bit|kbit|mbit|gbit, or "
	                      "0|unlimited");
}

Test(wanem_spec, delay_loss_limit_golden)
{
	uint64_t v;
	uint32_t ppb;

	cr_assert_eq(wanem_delay_parse("25ms", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 25000000);
	cr_assert_eq(wanem_delay_parse("0.5ms", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 500000);
	cr_assert_eq(wanem_delay_parse("250us", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 250000);
	cr_assert_eq(wanem_delay_parse("1s", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 1000000000);
	cr_assert_eq(wanem_delay_parse("0", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 0);

	cr_assert_eq(wanem_loss_parse("0.1%", &ppb, err, sizeof(err)), 0);
	cr_expect_eq(ppb, 1000000);
	cr_assert_eq(wanem_loss_parse("100%", &ppb, err, sizeof(err)), 0);
	cr_expect_eq(ppb, WANEM_LOSS_ONE);
	cr_assert_eq(wanem_loss_parse("0", &ppb, err, sizeof(err)), 0);
	cr_expect_eq(ppb, 0);
	cr_assert_eq(wanem_loss_parse("0.0000001%", &ppb, err, sizeof(err)), 0);
	cr_expect_eq(ppb, 1);

	cr_assert_eq(wanem_limit_parse("auto", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 0);
	cr_assert_eq(wanem_limit_parse("1mib", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 1048576);
	cr_assert_eq(wanem_limit_parse("200kb", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 200000);
	cr_assert_eq(wanem_limit_parse("1514", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 1514);

	cr_assert_eq(wanem_cut_parse("3", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 3000000000ull);
	cr_assert_eq(wanem_cut_parse("1.5", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 1500000000ull);
	cr_assert_eq(wanem_cut_parse("500ms", &v, err, sizeof(err)), 0);
	cr_expect_eq(v, 500000000ull);
}

Test(wanem_spec, delay_loss_limit_bad)
{
	static const char *bad_delay[] = { "25", "25m", "11s", "ms", "-1ms" };
	static const char *bad_loss[] = { "0.1", "101%", "%", "x%", "1%%" };
	static const char *bad_limit[] = { "0", "1000", "65mib", "1gb", "" };
	static const char *bad_cut[] = { "3601", "abc", "-1", "3m" };
	uint64_t v;
	uint32_t ppb;
	size_t i;

	for (i = 0; i < sizeof(bad_delay) / sizeof(bad_delay[0]); i++)
		cr_expect_eq(
		    wanem_delay_parse(bad_delay[i], &v, err, sizeof(err)),
		    -EINVAL, "delay '%s'", bad_delay[i]);
	for (i = 0; i < sizeof(bad_loss) / sizeof(bad_loss[0]); i++)
		cr_expect_eq(
		    wanem_loss_parse(bad_loss[i], &ppb, err, sizeof(err)),
		    -EINVAL, "loss '%s'", bad_loss[i]);
	for (i = 0; i < sizeof(bad_limit) / sizeof(bad_limit[0]); i++)
		cr_expect_eq(
		    wanem_limit_parse(bad_limit[i], &v, err, sizeof(err)),
		    -EINVAL, "limit '%s'", bad_limit[i]);
	for (i = 0; i < sizeof(bad_cut) / sizeof(bad_cut[0]); i++)
		cr_expect_eq(wanem_cut_parse(bad_cut[i], &v, err, sizeof(err)),
		             -EINVAL, "cut '%s'", bad_cut[i]);
	wanem_delay_parse("25", &v, err, sizeof(err));
	cr_expect(strstr(err, "bad delay '25'"), "%s", err);
}

Test(wanem_spec, set_golden)
{
	char *argv[] = { "dir=we", "rate=100mbit", "delay=25ms", "loss=0.1%",
		         "limit=auto" };
	struct wanem_req req;

	cr_assert_eq(wanem_set_parse(5, argv, &req, err, sizeof(err)), 0, "%s",
	             err);
	cr_expect_eq(req.cmd, WANEM_CMD_SET);
	cr_expect_eq(req.dirs, WANEM_DIRMASK_WE);
	cr_expect_eq(req.fields, WANEM_SET_RATE | WANEM_SET_DELAY |
	                             WANEM_SET_LOSS | WANEM_SET_LIMIT);
	cr_expect_eq(req.link.rate_bps, 100000000);
	cr_expect_eq(req.link.delay_ns, 25000000);
	cr_expect_eq(req.link.loss_ppb, 1000000);
	cr_expect_eq(req.link.limit_bytes, 0);
}

Test(wanem_spec, set_bad)
{
	static const struct {
		const char *token;
		const char *expect;
	} cases[] = {
		{ "dir=up", "bad direction 'up' in 'dir=up'" },
		{ "speed=1", "unknown setting 'speed' in 'speed=1'" },
		{ "rate", "bad setting 'rate'" },
		{ "=5", "bad setting '=5'" },
		{ "loss=5", "bad loss '5' in 'loss=5'" },
		{ "limit=12", "bad limit '12' in 'limit=12'" },
	};
	struct wanem_req req;
	char *argv[1];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		argv[0] = (char *)cases[i].token;
		cr_expect_eq(wanem_set_parse(1, argv, &req, err, sizeof(err)),
		             -EINVAL, "%s", cases[i].token);
		cr_expect(strstr(err, cases[i].expect), "%s: got '%s'",
		          cases[i].token, err);
	}
	cr_expect_eq(wanem_set_parse(0, argv, &req, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "nothing to set"), "%s", err);
	{
		char *dup[] = { "rate=1mbit", "rate=2mbit" };

		cr_expect_eq(wanem_set_parse(2, dup, &req, err, sizeof(err)),
		             -EINVAL);
		cr_expect(strstr(err, "duplicate 'rate'"), "%s", err);
	}
}

static int req_parse_str(const char *msg, struct wanem_req *req)
{
	return wanem_req_parse(msg, strlen(msg), req, err, sizeof(err));
}

Test(wanem_spec, request_golden)
{
	struct wanem_req req;

	cr_assert_eq(req_parse_str("wanem/1 show", &req), 0, "%s", err);
	cr_expect_eq(req.cmd, WANEM_CMD_SHOW);
	cr_assert_eq(req_parse_str("wanem/1 profile far\n", &req), 0, "%s",
	             err);
	cr_expect_eq(req.cmd, WANEM_CMD_PROFILE);
	cr_expect_str_eq(wanem_profile_name(req.profile), "far");
	cr_assert_eq(req_parse_str("wanem/1\tcut  3", &req), 0, "%s", err);
	cr_expect_eq(req.cmd, WANEM_CMD_CUT);
	cr_expect_eq(req.cut_ns, 3000000000ull);
	cr_assert_eq(req_parse_str("wanem/1 set rate=1gbit", &req), 0, "%s",
	             err);
	cr_expect_eq(req.dirs, WANEM_DIRMASK_BOTH);
	cr_expect_eq(req.link.rate_bps, 1000000000);
}

Test(wanem_spec, request_bad)
{
	static const struct {
		const char *msg;
		const char *expect;
	} cases[] = {
		{ "", "bad request" },
		{ "show", "bad request" },
		{ "wanem/2 show", "bad request" },
		{ "wanem/1", "bad request" },
		{ "wanem/1 jump", "unknown command 'jump'" },
		{ "wanem/1 show all", "show: expected no arguments" },
		{ "wanem/1 profile", "profile: expected one profile name" },
		{ "wanem/1 profile moon", "unknown profile 'moon'" },
		{ "wanem/1 cut", "cut: expected one duration" },
		{ "wanem/1 cut 1 2", "cut: expected one duration" },
		{ "wanem/1 cut forever", "bad cut duration 'forever'" },
		{ "wanem/1 set", "nothing to set" },
		{ "wanem/1 set a b c d e f g h i j k l m n o",
		  "more than 16 words" },
	};
	struct wanem_req req;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		cr_expect_lt(req_parse_str(cases[i].msg, &req), 0, "'%s'",
		             cases[i].msg);
		cr_expect(strstr(err, cases[i].expect), "'%s': got '%s'",
		          cases[i].msg, err);
	}
}

Test(wanem_spec, request_garbage_and_oversize)
{
	char big[WANEM_REQ_MAX + 2];
	struct wanem_req req;
	static const char nul[] = "wanem/1 show\0x";

	cr_expect_eq(
	    wanem_req_parse(nul, sizeof(nul) - 1, &req, err, sizeof(err)),
	    -EINVAL);
	cr_expect(strstr(err, "byte 0x00 at offset 12"), "%s", err);
	cr_expect_eq(wanem_req_parse("wanem/1 \xff", 9, &req, err, sizeof(err)),
	             -EINVAL);
	memset(big, ' ', sizeof(big));
	memcpy(big, "wanem/1 show", 12);
	cr_expect_eq(
	    wanem_req_parse(big, WANEM_REQ_MAX, &req, err, sizeof(err)), 0,
	    "%s", err);
	cr_expect_eq(
	    wanem_req_parse(big, WANEM_REQ_MAX + 1, &req, err, sizeof(err)),
	    -EMSGSIZE);
	/* A tiny error buffer truncates but stays terminated. */
	{
		char small[8];

		cr_expect_lt(req_parse_str("wanem/1 jump", &req), 0);
		cr_expect_eq(wanem_req_parse("wanem/1 jump", 12, &req, small,
		                             sizeof(small)),
		             -EINVAL);
		cr_expect_eq(strlen(small), sizeof(small) - 1);
	}
	/* A NULL error buffer is allowed. */
	cr_expect_eq(wanem_req_parse("x", 1, &req, NULL, 0), -EINVAL);
}

Test(wanem_spec, profiles)
{
	struct wanem_link link;
	int i;

	cr_assert_eq(wanem_profile_count(), 4);
	i = wanem_profile_find("metro", err, sizeof(err));
	wanem_profile_link(i, &link);
	cr_expect_eq(link.rate_bps, 1000000000);
	cr_expect_eq(link.delay_ns * 2, 10000000, "metro RTT 10 ms");
	i = wanem_profile_find("wan", err, sizeof(err));
	wanem_profile_link(i, &link);
	cr_expect_eq(link.rate_bps, 100000000);
	cr_expect_eq(link.delay_ns * 2, 50000000, "wan RTT 50 ms");
	i = wanem_profile_find("far", err, sizeof(err));
	wanem_profile_link(i, &link);
	cr_expect_eq(link.rate_bps, 50000000);
	cr_expect_eq(link.delay_ns * 2, 150000000, "far RTT 150 ms");
	cr_expect_eq(link.loss_ppb, 1000000, "far 0.1%% per direction");
	i = wanem_profile_find("lan", err, sizeof(err));
	wanem_profile_link(i, &link);
	cr_expect_eq(link.rate_bps, 0);
	cr_expect_eq(link.delay_ns, 0);
	cr_expect_str_eq(wanem_profile_name(-1), "custom");
}
