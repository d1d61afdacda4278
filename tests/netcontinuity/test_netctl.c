/*
 * test_netctl.c: the tunnel control messages of netctl.h: golden
 * encodings, what nc_msg_type says about any buffer, and every way a
 * request can be malformed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcontinuity/netctl.h"
#include "netcontinuity/netplan.h"

#define ID "0123456789abcdef0123456789abcdef"

/* Sorted keys, no blanks: the exact bytes a receiver gets. */
static const char teardown_json[] =
    "{\"tunnel\":\"" ID "\",\"type\":\"tunnel-teardown\"}";
static const char keep_json[] =
    "{\"tunnel\":\"" ID "\",\"type\":\"tunnel-keep\"}";

static int decode(const char *text, const char *type, char *id,
                  struct nc_error *err)
{
	memset(err, 0, sizeof(*err));
	memset(id, 'x', NC_TUNNEL_ID_HEX);
	return nc_tunnel_req_decode(text, strlen(text), type, id, err);
}

Test(nc_netctl, encode_golden)
{
	struct nc_error err = { 0 };
	char *out;

	out = nc_tunnel_req_encode("tunnel-teardown", ID, &err);
	cr_assert_not_null(out, "%s", err.msg);
	cr_assert_str_eq(out, teardown_json);
	free(out);
	out = nc_tunnel_req_encode("tunnel-keep", ID, &err);
	cr_assert_not_null(out, "%s", err.msg);
	cr_assert_str_eq(out, keep_json);
	free(out);
	cr_assert_eq(err.code, 0);
}

Test(nc_netctl, decode_golden)
{
	struct nc_error err;
	char id[NC_TUNNEL_ID_HEX];

	cr_assert_eq(decode(teardown_json, "tunnel-teardown", id, &err), 0,
	             "%s", err.msg);
	cr_assert_str_eq(id, ID);
	cr_assert_eq(decode(keep_json, "tunnel-keep", id, &err), 0, "%s",
	             err.msg);
	cr_assert_str_eq(id, ID);
	/* Key order and blanks do not matter. */
	cr_assert_eq(
	    decode(" { \"type\" : \"tunnel-keep\" ,\n\t\"tunnel\": \"" ID
	           "\" } ",
	           "tunnel-keep", id, &err),
	    0, "%s", err.msg);
	cr_assert_str_eq(id, ID);
}

Test(nc_netctl, encode_decode_round_trip)
{
	static const char *const ids[] = {
		"00000000000000000000000000000000",
		"ffffffffffffffffffffffffffffffff",
		"fedcba9876543210fedcba9876543210",
	};
	struct nc_error err = { 0 };
	char id[NC_TUNNEL_ID_HEX];
	size_t i;
	char *out;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		out = nc_tunnel_req_encode("tunnel-teardown", ids[i], &err);
		cr_assert_not_null(out, "%s", err.msg);
		cr_assert_eq(decode(out, "tunnel-teardown", id, &err), 0, "%s",
		             err.msg);
		cr_assert_str_eq(id, ids[i]);
		free(out);
	}
}

Test(nc_netctl, encode_refuses_bad_ids)
{
	static const char *const bad[] = {
		"",
		"0123456789ABCDEF0123456789abcdef",  /* upper case */
		"0123456789abcdef0123456789abcde",   /* 31 */
		"0123456789abcdef0123456789abcdef0", /* 33 */
		"0123456789abcdef0123456789abcdeg",  /* not hex */
		"0123456789abcdef 123456789abcdef",  /* blank */
		"0x23456789abcdef0123456789abcdef",
	};
	struct nc_error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		cr_assert_null(
		    nc_tunnel_req_encode("tunnel-teardown", bad[i], &err),
		    "'%s' accepted", bad[i]);
		cr_assert_eq(err.code, -EINVAL, "'%s'", bad[i]);
		cr_assert_str_eq(err.msg, "tunnel id must be 32 hex digits");
	}
	/* NULL err is fine. */
	cr_assert_null(nc_tunnel_req_encode("tunnel-keep", "abc", NULL));
}

Test(nc_netctl, msg_type)
{
	char type[32];

	memset(type, 'x', sizeof(type));
	cr_assert_eq(nc_msg_type(teardown_json, strlen(teardown_json), type,
	                         sizeof(type)),
	             0);
	cr_assert_str_eq(type, "tunnel-teardown");
	/* A migration plan has no type: "". */
	memset(type, 'x', sizeof(type));
	cr_assert_eq(nc_msg_type("{\"vm\":\"a\"}", 10, type, sizeof(type)), 0);
	cr_assert_str_eq(type, "");
	cr_assert_eq(nc_msg_type("{}", 2, type, sizeof(type)), 0);
	cr_assert_str_eq(type, "");
	/* Any string type is reported, known or not. */
	cr_assert_eq(nc_msg_type("{\"type\":\"net\"}", 14, type, sizeof(type)),
	             0);
	cr_assert_str_eq(type, "net");
	/* The longest type that fits, and one byte more. */
	cr_assert_eq(nc_msg_type("{\"type\":\"0123456789\"}", 21, type, 11), 0);
	cr_assert_str_eq(type, "0123456789");
	cr_assert_eq(nc_msg_type("{\"type\":\"0123456789\"}", 21, type, 10),
	             -EPROTO);
	cr_assert_str_eq(type, "");
}

Test(nc_netctl, msg_type_refuses)
{
	static const char *const bad[] = {
		"",
		"[]",
		"\"tunnel-keep\"",
		"42",
		"null",
		"{",
		"{\"type\":\"a\"", /* truncated */
		"{\"type\":1}",
		"{\"type\":null}",
		"{\"type\":[\"a\"]}",
		"{\"type\":\"a\",\"type\":\"b\"}", /* duplicate */
		"{\"type\":\"a\"} x",              /* trailing garbage */
	};
	char type[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(
		    nc_msg_type(bad[i], strlen(bad[i]), type, sizeof(type)),
		    -EPROTO, "'%s' accepted", bad[i]);
}

Test(nc_netctl, msg_type_size_limit)
{
	static const char pad[] = "{\"type\":\"net\",\"pad\":\"";
	size_t len = NC_NETPLAN_MSG_MAX + 1;
	char *buf = malloc(len);
	char type[32];

	cr_assert_not_null(buf);
	/* {"type":"net","pad":"xxxx...."} of exactly len bytes */
	memset(buf, 'x', len);
	memcpy(buf, pad, strlen(pad));
	buf[len - 2] = '"';
	buf[len - 1] = '}';
	cr_assert_eq(nc_msg_type(buf, len, type, sizeof(type)), -EPROTO);
	/* One byte less is within the limit. */
	buf[len - 3] = '"';
	buf[len - 2] = '}';
	cr_assert_eq(nc_msg_type(buf, len - 1, type, sizeof(type)), 0);
	cr_assert_str_eq(type, "net");
	free(buf);
}

/* Every malformed request: -EPROTO, id "", a message naming the type. */
Test(nc_netctl, decode_refuses)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "[]", "control message is not a JSON object" },
		{ "\"" ID "\"", "control message is not a JSON object" },
		{ "{", "control message is not a JSON object" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":\"" ID "\"",
		  "control message is not a JSON object" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":\"" ID "\"}}",
		  "control message is not a JSON object" },
		{ "{\"type\":\"tunnel-keep\",\"type\":\"tunnel-keep\","
		  "\"tunnel\":\"" ID "\"}",
		  "control message is not a JSON object" },
		/* wrong type, or none */
		{ "{\"type\":\"tunnel-teardown\",\"tunnel\":\"" ID "\"}",
		  "tunnel-keep: bad type" },
		{ "{\"tunnel\":\"" ID "\"}", "tunnel-keep: bad type" },
		{ "{\"type\":1,\"tunnel\":\"" ID "\"}",
		  "tunnel-keep: bad type" },
		{ "{\"type\":\"TUNNEL-KEEP\",\"tunnel\":\"" ID "\"}",
		  "tunnel-keep: bad type" },
		{ "{\"type\":\"tunnel-keep \",\"tunnel\":\"" ID "\"}",
		  "tunnel-keep: bad type" },
		/* extra keys */
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":\"" ID "\",\"x\":1}",
		  "tunnel-keep: unknown key 'x'" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":\"" ID "\",\"Tunnel\":"
		  "\"" ID "\"}",
		  "tunnel-keep: unknown key 'Tunnel'" },
		/* missing or bad id */
		{ "{\"type\":\"tunnel-keep\"}",
		  "tunnel-keep: tunnel must be 32 lower-case hex digits" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":null}",
		  "tunnel-keep: tunnel must be 32 lower-case hex digits" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":42}",
		  "tunnel-keep: tunnel must be 32 lower-case hex digits" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":\"\"}",
		  "tunnel-keep: tunnel must be 32 lower-case hex digits" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":"
		  "\"0123456789ABCDEF0123456789abcdef\"}",
		  "tunnel-keep: tunnel must be 32 lower-case hex digits" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":"
		  "\"0123456789abcdef0123456789abcde\"}",
		  "tunnel-keep: tunnel must be 32 lower-case hex digits" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":"
		  "\"0123456789abcdef0123456789abcdef0\"}",
		  "tunnel-keep: tunnel must be 32 lower-case hex digits" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":"
		  "\"0123456789abcdef0123456789abcdeg\"}",
		  "tunnel-keep: tunnel must be 32 lower-case hex digits" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":"
		  "\"0123456789abcdef\\u00003456789abcdef\"}",
		  "control message is not a JSON object" },
		{ "{\"type\":\"tunnel-keep\",\"tunnel\":[\"" ID "\"]}",
		  "tunnel-keep: tunnel must be 32 lower-case hex digits" },
	};
	struct nc_error err;
	char id[NC_TUNNEL_ID_HEX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(decode(bad[i].text, "tunnel-keep", id, &err),
		             -EPROTO, "case %zu accepted: %s", i, bad[i].text);
		cr_assert_eq(err.code, -EPROTO, "case %zu", i);
		cr_assert_str_eq(err.msg, bad[i].msg, "case %zu", i);
		cr_assert_str_eq(id, "", "case %zu", i);
	}
}

Test(nc_netctl, decode_sizes)
{
	size_t len = NC_NETPLAN_MSG_MAX + 1;
	char *buf = malloc(len);
	char id[NC_TUNNEL_ID_HEX];
	struct nc_error err = { 0 };

	cr_assert_not_null(buf);
	/* Empty. */
	memset(id, 'x', sizeof(id));
	cr_assert_eq(nc_tunnel_req_decode("", 0, "tunnel-keep", id, &err),
	             -EMSGSIZE);
	cr_assert_eq(err.code, -EMSGSIZE);
	cr_assert_str_eq(id, "");
	cr_assert(strstr(err.msg, "0 bytes"), "%s", err.msg);
	/* A valid request padded with blanks past the limit. */
	memset(buf, ' ', len);
	memcpy(buf, keep_json, strlen(keep_json));
	memset(&err, 0, sizeof(err));
	cr_assert_eq(nc_tunnel_req_decode(buf, len, "tunnel-keep", id, &err),
	             -EMSGSIZE);
	cr_assert_str_eq(id, "");
	cr_assert(strstr(err.msg, "65537 bytes"), "%s", err.msg);
	/* At the limit it is fine. */
	memset(&err, 0, sizeof(err));
	cr_assert_eq(
	    nc_tunnel_req_decode(buf, len - 1, "tunnel-keep", id, &err), 0,
	    "%s", err.msg);
	cr_assert_str_eq(id, ID);
	/* The length is honoured: a NUL-free buffer cut short fails. */
	cr_assert_eq(nc_tunnel_req_decode(keep_json, strlen(keep_json) - 1,
	                                  "tunnel-keep", id, &err),
	             -EPROTO);
	free(buf);
}

Test(nc_netctl, decode_null_err)
{
	char id[NC_TUNNEL_ID_HEX];

	memset(id, 'x', sizeof(id));
	cr_assert_eq(nc_tunnel_req_decode("[]", 2, "tunnel-keep", id, NULL),
	             -EPROTO);
	cr_assert_str_eq(id, "");
	cr_assert_eq(nc_tunnel_req_decode(teardown_json, strlen(teardown_json),
	                                  "tunnel-keep", id, NULL),
	             -EPROTO);
	cr_assert_eq(nc_tunnel_req_decode(keep_json, strlen(keep_json),
	                                  "tunnel-keep", id, NULL),
	             0);
	cr_assert_str_eq(id, ID);
}
