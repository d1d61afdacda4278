/*
 * test_rpc.c: the receiver's libvirt RPC pieces: golden bytes for the error
 * reply and the header, the decoders' rejections, the typed parameters of
 * PREPARE3_PARAMS, the allowlist, and the relay over socketpairs with the
 * test playing both the migration peer and libvirtd.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "receiver/rpc.h"

/* Procedure numbers from libvirt's remote_protocol.x, as the wire has them. */
#define PROC_CONNECT_OPEN             1
#define PROC_DOMAIN_CREATE_XML        10
#define PROC_CONNECT_SUPPORTS_FEATURE 60
#define PROC_CONNECT_LIST_ALL_DOMAINS 273
#define PROC_MIGRATE_PREPARE3_PARAMS  303
#define PROC_MIGRATE_FINISH3_PARAMS   306

/* ---- a small XDR builder for the cases too big to write out by hand ---- */

struct xb {
	uint8_t *p;
	size_t len, cap;
};

static void xb_init(struct xb *b, size_t cap)
{
	b->p = calloc(1, cap);
	cr_assert(b->p);
	b->len = 0;
	b->cap = cap;
}

static void xb_u32(struct xb *b, uint32_t v)
{
	cr_assert_leq(b->len + 4, b->cap);
	b->p[b->len++] = (uint8_t)(v >> 24);
	b->p[b->len++] = (uint8_t)(v >> 16);
	b->p[b->len++] = (uint8_t)(v >> 8);
	b->p[b->len++] = (uint8_t)v;
}

/* Variable-length opaque: length word, bytes, zero padding. */
static void xb_opaque(struct xb *b, const void *data, size_t n)
{
	size_t padded = (n + 3) & ~(size_t)3;

	xb_u32(b, (uint32_t)n);
	cr_assert_leq(b->len + padded, b->cap);
	memcpy(b->p + b->len, data, n);
	memset(b->p + b->len + n, 0, padded - n);
	b->len += padded;
}

static void xb_str(struct xb *b, const char *s)
{
	xb_opaque(b, s, strlen(s));
}

/* A string typed parameter (VIR_TYPED_PARAM_STRING is 7). */
static void xb_param_str(struct xb *b, const char *name, const char *value)
{
	xb_str(b, name);
	xb_u32(b, 7);
	xb_str(b, value);
}

/* A whole message: header fields, then body. */
static size_t msg_build(uint8_t *out, size_t cap, uint32_t prog, int32_t proc,
                        int32_t type, uint32_t serial, int32_t status,
                        const uint8_t *body, size_t body_len)
{
	struct xb b = { .p = out, .cap = cap };

	xb_u32(&b, (uint32_t)(RCV_RPC_HDR_LEN + body_len));
	xb_u32(&b, prog);
	xb_u32(&b, 1);
	xb_u32(&b, (uint32_t)proc);
	xb_u32(&b, (uint32_t)type);
	xb_u32(&b, serial);
	xb_u32(&b, (uint32_t)status);
	cr_assert_leq(b.len + body_len, cap);
	if (body_len)
		memcpy(out + b.len, body, body_len);
	return b.len + body_len;
}

static size_t call_build(uint8_t *out, size_t cap, int32_t proc,
                         uint32_t serial, const uint8_t *body, size_t len)
{
	return msg_build(out, cap, RCV_RPC_PROG_REMOTE, proc, RCV_RPC_CALL,
	                 serial, RCV_RPC_OK, body, len);
}

/* ---- error reply ---- */

static const uint8_t golden_error_reply[] = {
	0x00, 0x00, 0x00, 0x50, /* len 80 */
	0x20, 0x00, 0x80, 0x86, /* prog REMOTE */
	0x00, 0x00, 0x00, 0x01, /* vers 1 */
	0x00, 0x00, 0x00, 0x0a, /* proc 10, DOMAIN_CREATE_XML */
	0x00, 0x00, 0x00, 0x01, /* type REPLY */
	0x00, 0x00, 0x00, 0x07, /* serial 7, the call's */
	0x00, 0x00, 0x00, 0x01, /* status ERROR */
	0x00, 0x00, 0x00, 0x1d, /* code 29, VIR_ERR_OPERATION_DENIED */
	0x00, 0x00, 0x00, 0x07, /* domain 7, VIR_FROM_RPC */
	0x00, 0x00, 0x00, 0x01, /* message: present */
	0x00, 0x00, 0x00, 0x02, /* message length 2 */
	'n',  'o',  0x00, 0x00, /* "no", padded to 4 */
	0x00, 0x00, 0x00, 0x02, /* level 2, VIR_ERR_ERROR */
	0x00, 0x00, 0x00, 0x00, /* dom: absent */
	0x00, 0x00, 0x00, 0x00, /* str1: absent */
	0x00, 0x00, 0x00, 0x00, /* str2: absent */
	0x00, 0x00, 0x00, 0x00, /* str3: absent */
	0x00, 0x00, 0x00, 0x00, /* int1 0 */
	0x00, 0x00, 0x00, 0x00, /* int2 0 */
	0x00, 0x00, 0x00, 0x00, /* net: absent */
};

static const struct rcv_rpc_hdr call_create_xml = {
	.len = 40,
	.prog = RCV_RPC_PROG_REMOTE,
	.vers = 1,
	.proc = PROC_DOMAIN_CREATE_XML,
	.type = RCV_RPC_CALL,
	.serial = 7,
	.status = RCV_RPC_OK,
};

Test(receiver_rpc, error_reply_golden)
{
	uint8_t out[256];
	ssize_t n;

	n = rcv_rpc_error_reply(&call_create_xml, "no", out, sizeof(out));
	cr_assert_eq(n, (ssize_t)sizeof(golden_error_reply));
	cr_assert_arr_eq(out, golden_error_reply, sizeof(golden_error_reply));
}

Test(receiver_rpc, error_reply_padding_and_null_message)
{
	uint8_t out[256];
	struct rcv_rpc_hdr h;
	ssize_t n;

	/* 5 bytes of message: 3 of zero padding, 84 bytes in all */
	memset(out, 0xee, sizeof(out));
	n = rcv_rpc_error_reply(&call_create_xml, "nope!", out, sizeof(out));
	cr_assert_eq(n, 84);
	cr_assert_arr_eq(out + 44, "nope!\0\0\0", 8);
	cr_assert_eq(rcv_rpc_hdr_decode(out, (size_t)n, &h, NULL), 0);
	cr_assert_eq(h.type, RCV_RPC_REPLY);
	cr_assert_eq(h.status, RCV_RPC_ERROR);
	cr_assert_eq(h.serial, 7);

	/* no message: the pointer is absent, 4 words shorter than "no" */
	n = rcv_rpc_error_reply(&call_create_xml, NULL, out, sizeof(out));
	cr_assert_eq(n, 72);
	cr_assert_arr_eq(out + 36, "\0\0\0\0\0\0\0\x02", 8); /* absent, level */
}

Test(receiver_rpc, error_reply_nospc)
{
	uint8_t out[sizeof(golden_error_reply)];
	size_t cap;

	for (cap = 0; cap < sizeof(golden_error_reply); cap++)
		cr_assert_eq(
		    rcv_rpc_error_reply(&call_create_xml, "no", out, cap),
		    -ENOSPC, "cap %zu", cap);
	cr_assert_eq(rcv_rpc_error_reply(&call_create_xml, "no", out, cap),
	             (ssize_t)cap);
}

/* ---- header ---- */

static const uint8_t golden_prepare3_hdr[] = {
	0x00, 0x00, 0x00, 0x1c, /* len 28: header only */
	0x20, 0x00, 0x80, 0x86, /* prog REMOTE */
	0x00, 0x00, 0x00, 0x01, /* vers 1 */
	0x00, 0x00, 0x01, 0x2f, /* proc 303, MIGRATE_PREPARE3_PARAMS */
	0x00, 0x00, 0x00, 0x00, /* type CALL */
	0x12, 0x34, 0x56, 0x78, /* serial 0x12345678 */
	0x00, 0x00, 0x00, 0x00, /* status OK */
};

Test(receiver_rpc, hdr_decode_golden)
{
	struct rcv_rpc_hdr h;
	struct tp_error err = { 0 };

	cr_assert_eq(rcv_rpc_hdr_decode(golden_prepare3_hdr,
	                                sizeof(golden_prepare3_hdr), &h, &err),
	             0, "%s", err.msg);
	cr_assert_eq(h.len, 28);
	cr_assert_eq(h.prog, RCV_RPC_PROG_REMOTE);
	cr_assert_eq(h.vers, 1);
	cr_assert_eq(h.proc, PROC_MIGRATE_PREPARE3_PARAMS);
	cr_assert_eq(h.type, RCV_RPC_CALL);
	cr_assert_eq(h.serial, 0x12345678u);
	cr_assert_eq(h.status, RCV_RPC_OK);
	cr_assert_str_eq(rcv_rpc_allowed(h.prog, h.proc),
	                 "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS");
}

Test(receiver_rpc, hdr_decode_keepalive_and_negative_proc)
{
	static const uint8_t ping[] = {
		0x00, 0x00, 0x00, 0x1c, /* len 28 */
		0x6b, 0x65, 0x65, 0x70, /* prog "keep" */
		0x00, 0x00, 0x00, 0x01, /* vers 1 */
		0x00, 0x00, 0x00, 0x01, /* proc PING */
		0x00, 0x00, 0x00, 0x02, /* type MESSAGE */
		0x00, 0x00, 0x00, 0x00, /* serial 0 */
		0x00, 0x00, 0x00, 0x00, /* status OK */
	};
	uint8_t neg[sizeof(ping)];
	struct rcv_rpc_hdr h;

	cr_assert_eq(rcv_rpc_hdr_decode(ping, sizeof(ping), &h, NULL), 0);
	cr_assert_eq(h.prog, RCV_RPC_PROG_KEEPALIVE);
	cr_assert_eq(h.type, RCV_RPC_MESSAGE);
	cr_assert_str_eq(rcv_rpc_allowed(h.prog, h.proc),
	                 "KEEPALIVE_PROC_PING");
	memcpy(neg, ping, sizeof(neg));
	memset(neg + 12, 0xff, 4); /* proc -1 */
	cr_assert_eq(rcv_rpc_hdr_decode(neg, sizeof(neg), &h, NULL), 0);
	cr_assert_eq(h.proc, -1);
	cr_assert_null(rcv_rpc_allowed(h.prog, h.proc));
}

static int hdr_decode_len(uint32_t len_word, size_t msg_len)
{
	uint8_t msg[64];
	struct rcv_rpc_hdr h;

	cr_assert_leq(msg_len, sizeof(msg));
	memset(msg, 0, sizeof(msg));
	memcpy(msg, golden_prepare3_hdr, sizeof(golden_prepare3_hdr));
	msg[0] = (uint8_t)(len_word >> 24);
	msg[1] = (uint8_t)(len_word >> 16);
	msg[2] = (uint8_t)(len_word >> 8);
	msg[3] = (uint8_t)len_word;
	return rcv_rpc_hdr_decode(msg, msg_len, &h, NULL);
}

Test(receiver_rpc, hdr_truncated)
{
	struct rcv_rpc_hdr h;
	size_t n;

	for (n = 0; n < sizeof(golden_prepare3_hdr); n++)
		cr_assert_eq(
		    rcv_rpc_hdr_decode(golden_prepare3_hdr, n, &h, NULL),
		    -EPROTO, "%zu bytes", n);
	/* the length word says more than there is */
	cr_assert_eq(hdr_decode_len(32, 28), -EPROTO);
	cr_assert_eq(hdr_decode_len(32, 31), -EPROTO);
	/* ... or less */
	cr_assert_eq(hdr_decode_len(28, 32), -EPROTO);
	cr_assert_eq(hdr_decode_len(32, 32), 0);
}

Test(receiver_rpc, hdr_undersized_length)
{
	struct tp_error err = { 0 };

	cr_assert_eq(hdr_decode_len(0, 28), -EPROTO);
	cr_assert_eq(hdr_decode_len(4, 28), -EPROTO);
	cr_assert_eq(hdr_decode_len(27, 28), -EPROTO);
	cr_assert_eq(rcv_rpc_len_decode((const uint8_t *)"\0\0\0\x1b",
	                                &(uint32_t){ 0 }, &err),
	             -EPROTO);
	cr_assert(strstr(err.msg, "27"), "%s", err.msg);
}

Test(receiver_rpc, hdr_oversized_length)
{
	static const uint8_t max[4] = { 0x02, 0x00, 0x00, 0x04 };
	static const uint8_t above[4] = { 0x02, 0x00, 0x00, 0x05 };
	uint8_t hdr[RCV_RPC_HDR_LEN];
	struct rcv_rpc_hdr h;
	uint32_t len = 0;

	/* 32 MiB + the length word is the most libvirt sends */
	cr_assert_eq(rcv_rpc_len_decode(max, &len, NULL), 0);
	cr_assert_eq(len, RCV_RPC_MSG_MAX);
	cr_assert_eq(rcv_rpc_len_decode(above, &len, NULL), -EMSGSIZE);
	cr_assert_eq(hdr_decode_len(RCV_RPC_MSG_MAX + 1, 28), -EMSGSIZE);
	cr_assert_eq(hdr_decode_len(0xffffffffu, 28), -EMSGSIZE);
	/* peek accepts a maximal header without its body */
	memcpy(hdr, golden_prepare3_hdr, sizeof(hdr));
	memcpy(hdr, max, 4);
	cr_assert_eq(rcv_rpc_hdr_peek(hdr, sizeof(hdr), &h, NULL), 0);
	cr_assert_eq(h.len, RCV_RPC_MSG_MAX);
	memcpy(hdr, above, 4);
	cr_assert_eq(rcv_rpc_hdr_peek(hdr, sizeof(hdr), &h, NULL), -EMSGSIZE);
}

Test(receiver_rpc, hdr_garbage)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: receiver\r\n\r\n";
	uint8_t msg[RCV_RPC_HDR_LEN];
	struct rcv_rpc_hdr h = { 0 };

	/* "GET " as a length word is ~1.1 GB */
	cr_assert_eq(rcv_rpc_hdr_decode((const uint8_t *)http, 28, &h, NULL),
	             -EMSGSIZE);
	/* unknown type 7 and -1, unknown status 3 */
	memcpy(msg, golden_prepare3_hdr, sizeof(msg));
	msg[19] = 7;
	cr_assert_eq(rcv_rpc_hdr_decode(msg, sizeof(msg), &h, NULL), -EPROTO);
	memset(msg + 16, 0xff, 4);
	cr_assert_eq(rcv_rpc_hdr_decode(msg, sizeof(msg), &h, NULL), -EPROTO);
	memcpy(msg, golden_prepare3_hdr, sizeof(msg));
	msg[27] = 3;
	cr_assert_eq(rcv_rpc_hdr_decode(msg, sizeof(msg), &h, NULL), -EPROTO);
	/* nothing was written to h on failure */
	cr_assert_eq(h.len, 0);
}

/* ---- allowlist ---- */

Test(receiver_rpc, allowlist)
{
	static const struct {
		uint32_t prog;
		int32_t proc;
		const char *name;
	} allowed[] = {
		{ RCV_RPC_PROG_REMOTE, 1, "REMOTE_PROC_CONNECT_OPEN" },
		{ RCV_RPC_PROG_REMOTE, 2, "REMOTE_PROC_CONNECT_CLOSE" },
		{ RCV_RPC_PROG_REMOTE, 60,
		  "REMOTE_PROC_CONNECT_SUPPORTS_FEATURE" },
		{ RCV_RPC_PROG_REMOTE, 66, "REMOTE_PROC_AUTH_LIST" },
		{ RCV_RPC_PROG_REMOTE, 303,
		  "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS" },
		{ RCV_RPC_PROG_REMOTE, 306,
		  "REMOTE_PROC_DOMAIN_MIGRATE_FINISH3_PARAMS" },
		{ RCV_RPC_PROG_KEEPALIVE, 1, "KEEPALIVE_PROC_PING" },
		{ RCV_RPC_PROG_KEEPALIVE, 2, "KEEPALIVE_PROC_PONG" },
	};
	/* what migration must never reach through the relay */
	static const int32_t refused[] = {
		0,
		3,
		7 /* GET_CAPABILITIES */,
		9 /* DOMAIN_CREATE */,
		10 /* DOMAIN_CREATE_XML */,
		11 /* DOMAIN_DEFINE_XML */,
		23 /* DOMAIN_LOOKUP_BY_NAME */,
		70 /* AUTH_POLKIT */,
		110 /* CONNECT_GET_URI */,
		273 /* CONNECT_LIST_ALL_DOMAINS */,
		302 /* MIGRATE_BEGIN3_PARAMS */,
		304 /* MIGRATE_PREPARE_TUNNEL3_PARAMS */,
		305 /* MIGRATE_PERFORM3_PARAMS */,
		360 /* CONNECT_REGISTER_CLOSE_CALLBACK */,
		307 /* MIGRATE_CONFIRM3_PARAMS */,
		309 /* CREATE_XML_WITH_FILES */,
		-1,
		0x7fffffff,
	};
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		const char *name =
		    rcv_rpc_allowed(allowed[i].prog, allowed[i].proc);

		cr_assert(name, "proc %d", allowed[i].proc);
		cr_assert_str_eq(name, allowed[i].name);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		cr_assert_null(rcv_rpc_allowed(RCV_RPC_PROG_REMOTE, refused[i]),
		               "proc %d", refused[i]);
	/* numbers are per program */
	cr_assert_null(rcv_rpc_allowed(RCV_RPC_PROG_KEEPALIVE, 3));
	cr_assert_null(rcv_rpc_allowed(RCV_RPC_PROG_KEEPALIVE, 303));
	cr_assert_null(rcv_rpc_allowed(0x20008087u /* QEMU */, 1));
	cr_assert_null(rcv_rpc_allowed(0x20008086u + 0x10000, 1));
}

/* ---- typed parameters ---- */

/* Args of PREPARE3_PARAMS as a destination would get them. */
static const uint8_t golden_prepare3_body[] = {
	0x00, 0x00, 0x00, 0x05, /* 5 params */
	/* [0] */
	0x00, 0x00, 0x00, 0x0f, /* name length 15 */
	'd', 'e', 's', 't', 'i', 'n', 'a', 't', 'i', 'o', 'n', '_', 'x', 'm',
	'l', 0x00,              /* "destination_xml" + 1 pad */
	0x00, 0x00, 0x00, 0x07, /* type STRING */
	0x00, 0x00, 0x00, 0x09, /* value length 9 */
	'<', 'd', 'o', 'm', 'a', 'i', 'n', '/', '>', 0x00, 0x00,
	0x00, /* "<domain/>" + 3 pad */
	/* [1] */
	0x00, 0x00, 0x00, 0x0b, /* name length 11 */
	'm', 'i', 'g', 'r', 'a', 't', 'e', '_', 'u', 'r', 'i',
	0x00,                   /* "migrate_uri" + 1 pad */
	0x00, 0x00, 0x00, 0x07, /* type STRING */
	0x00, 0x00, 0x00, 0x14, /* value length 20 */
	't', 'c', 'p', ':', '/', '/', '1', '0', '.', '0', '.', '0', '.', '2',
	':', '4', '9', '1', '5', '2', /* "tcp://10.0.0.2:49152" */
	/* [2] */
	0x00, 0x00, 0x00, 0x09, /* name length 9 */
	'd', 'i', 's', 'k', 's', '_', 'u', 'r', 'i', 0x00, 0x00,
	0x00,                   /* "disks_uri" + 3 pad */
	0x00, 0x00, 0x00, 0x07, /* type STRING */
	0x00, 0x00, 0x00, 0x14, /* value length 20 */
	't', 'c', 'p', ':', '/', '/', '1', '0', '.', '0', '.', '0', '.', '2',
	':', '4', '9', '1', '5', '3', /* "tcp://10.0.0.2:49153" */
	/* [3] */
	0x00, 0x00, 0x00, 0x15, /* name length 21 */
	'a', 'u', 't', 'o', '_', 'c', 'o', 'n', 'v', 'e', 'r', 'g', 'e', '.',
	'i', 'n', 'i', 't', 'i', 'a', 'l', 0x00, 0x00,
	0x00,                   /* "auto_converge.initial" + 3 pad */
	0x00, 0x00, 0x00, 0x01, /* type INT */
	0xff, 0xff, 0xff, 0xec, /* value -20 */
	/* [4] */
	0x00, 0x00, 0x00, 0x09, /* name length 9 */
	'b', 'a', 'n', 'd', 'w', 'i', 'd', 't', 'h', 0x00, 0x00,
	0x00,                   /* "bandwidth" + 3 pad */
	0x00, 0x00, 0x00, 0x04, /* type ULLONG */
	0x00, 0x00, 0x00, 0x01, /* value 2^32 + 2, high word */
	0x00, 0x00, 0x00, 0x02, /* ... low word */
	/* cookie_in */
	0x00, 0x00, 0x00, 0x05,                         /* cookie length 5 */
	0xc0, 0x0c, 0x1e, 0x01, 0x02, 0x00, 0x00, 0x00, /* cookie + 3 pad */
	0x00, 0x00, 0x00, 0x41, /* flags LIVE | NON_SHARED_DISK */
};

Test(receiver_rpc, prepare3_golden)
{
	struct rcv_rpc_params ps = { 0 };
	struct tp_error err = { 0 };

	cr_assert_eq(rcv_rpc_prepare3_decode(golden_prepare3_body,
	                                     sizeof(golden_prepare3_body), &ps,
	                                     &err),
	             0, "%s", err.msg);
	cr_assert_eq(ps.n, 5);
	cr_assert_eq(ps.cookie_len, 5);
	cr_assert_eq(ps.flags, 0x41);
	cr_assert_str_eq(ps.p[0].name, "destination_xml");
	cr_assert_eq(ps.p[0].type, 7);
	cr_assert_str_eq(ps.p[0].v.s, "<domain/>");
	cr_assert_str_eq(ps.p[3].name, "auto_converge.initial");
	cr_assert_eq(ps.p[3].type, 1);
	cr_assert_eq(ps.p[3].v.i, -20);
	cr_assert_eq(ps.p[4].type, 4);
	cr_assert_eq(ps.p[4].v.u, 0x100000002ull);
	cr_assert_str_eq(rcv_rpc_params_string(&ps, "destination_xml"),
	                 "<domain/>");
	cr_assert_str_eq(rcv_rpc_params_string(&ps, "migrate_uri"),
	                 "tcp://10.0.0.2:49152");
	cr_assert_str_eq(rcv_rpc_params_string(&ps, "disks_uri"),
	                 "tcp://10.0.0.2:49153");
	cr_assert_null(rcv_rpc_params_string(&ps, "auto_converge.initial"));
	cr_assert_null(rcv_rpc_params_string(&ps, "destination_name"));
	rcv_rpc_params_clear(&ps);
	cr_assert_eq(ps.n, 0);
	cr_assert_null(ps.p);
	rcv_rpc_params_clear(&ps);
	rcv_rpc_params_clear(NULL);
}

/* Decode, expecting failure with rc and *out left alone. */
static void prepare3_reject(const uint8_t *body, size_t len, int rc)
{
	struct rcv_rpc_params ps = { .n = 12345 };
	struct tp_error err = { 0 };

	cr_assert_eq(rcv_rpc_prepare3_decode(body, len, &ps, &err), rc,
	             "len %zu: want %d, %s", len, rc, err.msg);
	cr_assert_eq(err.code, rc);
	cr_assert_eq(ps.n, 12345);
	cr_assert_null(ps.p);
}

Test(receiver_rpc, prepare3_truncated)
{
	size_t n;

	for (n = 0; n < sizeof(golden_prepare3_body); n++)
		prepare3_reject(golden_prepare3_body, n, -EPROTO);
}

Test(receiver_rpc, prepare3_trailing_bytes)
{
	uint8_t body[sizeof(golden_prepare3_body) + 4] = { 0 };

	memcpy(body, golden_prepare3_body, sizeof(golden_prepare3_body));
	prepare3_reject(body, sizeof(body), -EPROTO);
}

/* Args holding count parameters named p0, p1... */
static void params_build(struct xb *b, uint32_t count, uint32_t real)
{
	char name[16];
	uint32_t i;

	xb_init(b, 64 + 32 * (size_t)real);
	xb_u32(b, count);
	for (i = 0; i < real; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		xb_param_str(b, name, "v");
	}
	xb_u32(b, 0); /* cookie */
	xb_u32(b, 0); /* flags */
}

Test(receiver_rpc, prepare3_param_count)
{
	struct rcv_rpc_params ps = { 0 };
	struct xb b;

	params_build(&b, 64, 64);
	cr_assert_eq(rcv_rpc_prepare3_decode(b.p, b.len, &ps, NULL), 0);
	cr_assert_eq(ps.n, 64);
	cr_assert_str_eq(rcv_rpc_params_string(&ps, "p63"), "v");
	rcv_rpc_params_clear(&ps);
	free(b.p);

	params_build(&b, 65, 65);
	prepare3_reject(b.p, b.len, -EMSGSIZE);
	free(b.p);
	params_build(&b, 0xffffffffu, 0);
	prepare3_reject(b.p, b.len, -EMSGSIZE);
	free(b.p);
	/* a count the body cannot hold is refused before allocating */
	params_build(&b, 64, 1);
	prepare3_reject(b.p, b.len, -EPROTO);
	free(b.p);
	params_build(&b, 0, 0);
	cr_assert_eq(rcv_rpc_prepare3_decode(b.p, b.len, &ps, NULL), 0);
	cr_assert_eq(ps.n, 0);
	rcv_rpc_params_clear(&ps);
	free(b.p);
}

/* Args with one string parameter of value_len bytes of 'x'. */
static void string_param_build(struct xb *b, size_t value_len)
{
	char *value = malloc(value_len + 1);

	cr_assert(value);
	memset(value, 'x', value_len);
	value[value_len] = '\0';
	xb_init(b, value_len + 128);
	xb_u32(b, 1);
	xb_param_str(b, "destination_xml", value);
	xb_u32(b, 0);
	xb_u32(b, 0);
	free(value);
}

Test(receiver_rpc, prepare3_oversized)
{
	struct rcv_rpc_params ps = { 0 };
	struct xb b;
	char name[RCV_RPC_PARAM_NAME_MAX + 2];

	/* a 1 MiB domain XML passes, one byte more does not */
	string_param_build(&b, RCV_RPC_PARAM_STRING_MAX);
	cr_assert_eq(rcv_rpc_prepare3_decode(b.p, b.len, &ps, NULL), 0);
	cr_assert_eq(strlen(ps.p[0].v.s), RCV_RPC_PARAM_STRING_MAX);
	rcv_rpc_params_clear(&ps);
	free(b.p);
	string_param_build(&b, RCV_RPC_PARAM_STRING_MAX + 1);
	prepare3_reject(b.p, b.len, -EMSGSIZE);
	free(b.p);

	/* a name fills libvirt's 80-byte field with its NUL at most */
	memset(name, 'n', sizeof(name));
	name[RCV_RPC_PARAM_NAME_MAX] = '\0';
	xb_init(&b, 256);
	xb_u32(&b, 1);
	xb_param_str(&b, name, "v");
	xb_u32(&b, 0);
	xb_u32(&b, 0);
	cr_assert_eq(rcv_rpc_prepare3_decode(b.p, b.len, &ps, NULL), 0);
	rcv_rpc_params_clear(&ps);
	free(b.p);
	name[RCV_RPC_PARAM_NAME_MAX] = 'n';
	name[RCV_RPC_PARAM_NAME_MAX + 1] = '\0';
	xb_init(&b, 256);
	xb_u32(&b, 1);
	xb_param_str(&b, name, "v");
	xb_u32(&b, 0);
	xb_u32(&b, 0);
	prepare3_reject(b.p, b.len, -EMSGSIZE);
	free(b.p);

	/* a cookie over REMOTE_MIGRATE_COOKIE_MAX, by its length word */
	xb_init(&b, 64);
	xb_u32(&b, 0);
	xb_u32(&b, RCV_RPC_COOKIE_MAX + 1);
	xb_u32(&b, 0);
	prepare3_reject(b.p, b.len, -EMSGSIZE);
	free(b.p);
}

Test(receiver_rpc, prepare3_garbage)
{
	uint8_t body[sizeof(golden_prepare3_body)];
	static const uint8_t one_param[] = {
		0x00, 0x00, 0x00, 0x01, /* 1 param */
		0x00, 0x00, 0x00, 0x01, /* name length 1 */
		'a',  0x00, 0x00, 0x00, /* "a" */
		0x00, 0x00, 0x00, 0x07, /* type, patched below */
		0x00, 0x00, 0x00, 0x02, /* value length 2 */
		'o',  'k',  0x00, 0x00, /* "ok" */
		0x00, 0x00, 0x00, 0x00, /* no cookie */
		0x00, 0x00, 0x00, 0x00, /* flags */
	};
	uint8_t p[sizeof(one_param)];
	struct rcv_rpc_params ps = { 0 };

	memcpy(p, one_param, sizeof(p));
	cr_assert_eq(rcv_rpc_prepare3_decode(p, sizeof(p), &ps, NULL), 0);
	rcv_rpc_params_clear(&ps);
	p[15] = 0; /* type 0: no such type */
	prepare3_reject(p, sizeof(p), -EPROTO);
	p[15] = 8; /* type 8: no such type */
	prepare3_reject(p, sizeof(p), -EPROTO);
	memcpy(p, one_param, sizeof(p));
	p[21] = '\0'; /* a NUL inside the string */
	prepare3_reject(p, sizeof(p), -EPROTO);
	memcpy(p, one_param, sizeof(p));
	p[9] = 'x'; /* non-zero padding after the name */
	prepare3_reject(p, sizeof(p), -EPROTO);
	memcpy(p, one_param, sizeof(p));
	p[7] = 0; /* empty name */
	prepare3_reject(p, sizeof(p), -EPROTO);

	memset(body, 0xa5, sizeof(body));
	prepare3_reject(body, sizeof(body), -EMSGSIZE); /* 0xa5a5a5a5 params */
}

/* ---- relay ---- */

#define RT_LINES 16

struct rt {
	int client;       /* the test as the migration peer */
	int daemon;       /* the test as libvirtd */
	int relay_fds[2]; /* the relay's ends */
	pthread_t thread;
	int rc;
	struct tp_error err;
	struct rcv_rpc_policy policy;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char lines[RT_LINES][512];
	int n_lines;
	int n_checks;
	char checked[64];
	size_t checked_len;
};

static void rt_log(void *arg, const char *line)
{
	struct rt *rt = arg;

	pthread_mutex_lock(&rt->lock);
	if (rt->n_lines < RT_LINES)
		snprintf(rt->lines[rt->n_lines++], sizeof(rt->lines[0]), "%s",
		         line);
	pthread_cond_broadcast(&rt->cond);
	pthread_mutex_unlock(&rt->lock);
}

/*
 * The receiver's kind of check: refuse a PREPARE3_PARAMS whose domain XML
 * asks for a host device.
 */
static int rt_check(void *arg, const struct rcv_rpc_hdr *h, const char *name,
                    const uint8_t *body, size_t body_len, char *why,
                    size_t why_len)
{
	struct rt *rt = arg;
	struct rcv_rpc_params ps = { 0 };
	const char *xml;
	int rc = 0;

	pthread_mutex_lock(&rt->lock);
	rt->n_checks++;
	snprintf(rt->checked, sizeof(rt->checked), "%s", name);
	rt->checked_len = body_len;
	pthread_mutex_unlock(&rt->lock);
	if (h->proc != PROC_MIGRATE_PREPARE3_PARAMS)
		return 0;
	if (rcv_rpc_prepare3_decode(body, body_len, &ps, NULL) < 0) {
		snprintf(why, why_len, "bad PREPARE3_PARAMS args");
		return -EPERM;
	}
	xml = rcv_rpc_params_string(&ps, "destination_xml");
	if (!xml || strstr(xml, "<hostdev")) {
		snprintf(why, why_len, "destination_xml wants a hostdev");
		rc = -EPERM;
	}
	rcv_rpc_params_clear(&ps);
	return rc;
}

static void *rt_main(void *arg)
{
	struct rt *rt = arg;

	rt->rc = rcv_rpc_relay(rt->relay_fds[0], rt->relay_fds[1], &rt->policy,
	                       &rt->err);
	return NULL;
}

static void rt_start(struct rt *rt)
{
	int c[2], d[2];

	memset(rt, 0, sizeof(*rt));
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, c), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, d), 0);
	rt->client = c[0];
	rt->relay_fds[0] = c[1];
	rt->relay_fds[1] = d[0];
	rt->daemon = d[1];
	pthread_mutex_init(&rt->lock, NULL);
	pthread_cond_init(&rt->cond, NULL);
	rt->policy.check = rt_check;
	rt->policy.log = rt_log;
	rt->policy.arg = rt;
	cr_assert_eq(pthread_create(&rt->thread, NULL, rt_main, rt), 0);
}

/* Wait for the relay to end by itself; returns its result. */
static int rt_join(struct rt *rt)
{
	pthread_join(rt->thread, NULL);
	close(rt->client);
	close(rt->daemon);
	close(rt->relay_fds[0]);
	close(rt->relay_fds[1]);
	return rt->rc;
}

/* The peer hangs up between messages: the relay ends cleanly. */
static void rt_finish(struct rt *rt)
{
	shutdown(rt->client, SHUT_WR);
	cr_assert_eq(rt_join(rt), 0, "%s", rt->err.msg);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		cr_assert_gt(w, 0);
		p += w;
		n -= (size_t)w;
	}
}

/* One byte at a time, with a pause so the relay reads them one by one. */
static void write_bytewise(int fd, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		write_all(fd, p + i, 1);
		usleep(200);
	}
}

static void read_exact(int fd, uint8_t *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (n > 0) {
		ssize_t r;

		cr_assert_eq(poll(&pfd, 1, 5000), 1, "nothing to read");
		r = read(fd, p, n);
		cr_assert_gt(r, 0, "closed with %zu bytes to come", n);
		p += r;
		n -= (size_t)r;
	}
}

/* Read one whole message into buf; returns its length. */
static size_t read_msg(int fd, uint8_t *buf, size_t cap)
{
	uint32_t len;

	read_exact(fd, buf, 4);
	len = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	      (uint32_t)buf[2] << 8 | buf[3];
	cr_assert_geq(len, RCV_RPC_HDR_LEN);
	cr_assert_leq(len, cap);
	read_exact(fd, buf + 4, len - 4);
	return len;
}

/* Read one message from fd: it must be want[0..len) to the byte. */
static void expect_msg(int fd, const uint8_t *want, size_t len)
{
	uint8_t got[4096];

	cr_assert_eq(read_msg(fd, got, sizeof(got)), len);
	cr_assert_arr_eq(got, want, len);
}

/* Nothing is waiting on fd (checked after the relay had its chance). */
static void assert_nothing_to_read(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	cr_assert_eq(poll(&pfd, 1, 50), 0, "unexpected bytes waiting");
}

/* Read the error reply for a call; returns its message in text. */
static void expect_error_reply(struct rt *rt, uint32_t prog, int32_t proc,
                               uint32_t serial, char *text, size_t text_len)
{
	uint8_t buf[2048];
	struct rcv_rpc_hdr h;
	uint32_t mlen;
	size_t n = read_msg(rt->client, buf, sizeof(buf));

	cr_assert_eq(rcv_rpc_hdr_decode(buf, n, &h, NULL), 0);
	cr_assert_eq(h.prog, prog);
	cr_assert_eq(h.proc, proc);
	cr_assert_eq(h.type, RCV_RPC_REPLY);
	cr_assert_eq(h.serial, serial);
	cr_assert_eq(h.status, RCV_RPC_ERROR);
	cr_assert_arr_eq(buf + 28, "\0\0\0\x1d\0\0\0\x07\0\0\0\x01", 12);
	mlen = (uint32_t)buf[40] << 24 | (uint32_t)buf[41] << 16 |
	       (uint32_t)buf[42] << 8 | buf[43];
	cr_assert_lt(mlen, text_len);
	cr_assert_leq(44 + mlen, n);
	memcpy(text, buf + 44, mlen);
	text[mlen] = '\0';
}

/* An empty REPLY OK, as the daemon answers a call. */
static size_t reply_build(uint8_t *out, size_t cap, int32_t proc,
                          uint32_t serial, size_t body_len)
{
	uint8_t body[256];

	cr_assert_leq(body_len, sizeof(body));
	memset(body, 0x5a, body_len);
	return msg_build(out, cap, RCV_RPC_PROG_REMOTE, proc, RCV_RPC_REPLY,
	                 serial, RCV_RPC_OK, body, body_len);
}

/* CONNECT_OPEN args: remote_string name "qemu:///system", flags 0. */
static size_t connect_open_build(uint8_t *out, size_t cap, uint32_t serial)
{
	uint8_t args[64];
	struct xb b = { .p = args, .cap = sizeof(args) };

	xb_u32(&b, 1); /* name present */
	xb_str(&b, "qemu:///system");
	xb_u32(&b, 0); /* flags */
	return call_build(out, cap, PROC_CONNECT_OPEN, serial, args, b.len);
}

/* The peer sends CONNECT_OPEN; the daemon gets it to the byte. */
static size_t rt_open(struct rt *rt, uint32_t serial)
{
	uint8_t call[256];
	size_t n = connect_open_build(call, sizeof(call), serial);

	write_all(rt->client, call, n);
	expect_msg(rt->daemon, call, n);
	return n;
}

Test(receiver_rpc_relay, allowed_call_passes, .timeout = 20)
{
	uint8_t reply[256];
	size_t call_len, reply_len;
	struct rt rt;

	rt_start(&rt);
	call_len = rt_open(&rt, 1);

	reply_len = reply_build(reply, sizeof(reply), PROC_CONNECT_OPEN, 1, 0);
	write_all(rt.daemon, reply, reply_len);
	expect_msg(rt.client, reply, reply_len);

	cr_assert_eq(rt.n_checks, 1);
	cr_assert_str_eq(rt.checked, "REMOTE_PROC_CONNECT_OPEN");
	cr_assert_eq(rt.checked_len, call_len - RCV_RPC_HDR_LEN);
	cr_assert_eq(rt.n_lines, 0);
	rt_finish(&rt);
}

Test(receiver_rpc_relay, disallowed_call_refused, .timeout = 20)
{
	uint8_t call[256], body[12] = { 0, 0, 0, 4, 'x', 'm', 'l' };
	char text[512];
	size_t n;
	struct rt rt;

	rt_start(&rt);
	n = call_build(call, sizeof(call), PROC_DOMAIN_CREATE_XML, 5, body,
	               sizeof(body));
	write_all(rt.client, call, n);
	expect_error_reply(&rt, RCV_RPC_PROG_REMOTE, PROC_DOMAIN_CREATE_XML, 5,
	                   text, sizeof(text));
	cr_assert(strstr(text, "proc 10 serial 5"), "%s", text);
	cr_assert(strstr(text, "not allowed"), "%s", text);

	n = call_build(call, sizeof(call), PROC_CONNECT_LIST_ALL_DOMAINS, 6,
	               body, 8);
	write_all(rt.client, call, n);
	expect_error_reply(&rt, RCV_RPC_PROG_REMOTE,
	                   PROC_CONNECT_LIST_ALL_DOMAINS, 6, text,
	                   sizeof(text));

	/* the daemon's first message is the next allowed call */
	n = call_build(call, sizeof(call), PROC_CONNECT_SUPPORTS_FEATURE, 7,
	               body, 4);
	write_all(rt.client, call, n);
	expect_msg(rt.daemon, call, n);
	assert_nothing_to_read(rt.daemon);

	cr_assert_eq(rt.n_checks, 1); /* refused calls are never checked */
	cr_assert_eq(rt.n_lines, 2);
	cr_assert(strstr(rt.lines[0], "refused program REMOTE proc 10 "), "%s",
	          rt.lines[0]);
	cr_assert(strstr(rt.lines[1], "proc 273"), "%s", rt.lines[1]);
	rt_finish(&rt);
}

Test(receiver_rpc_relay, other_programs_and_versions_refused, .timeout = 20)
{
	uint8_t call[256];
	char text[512];
	size_t n;
	struct rt rt;

	rt_start(&rt);
	/* the QEMU program (qemu-monitor-command) */
	n = msg_build(call, sizeof(call), 0x20008087u, 1, RCV_RPC_CALL, 1,
	              RCV_RPC_OK, NULL, 0);
	write_all(rt.client, call, n);
	expect_error_reply(&rt, 0x20008087u, 1, 1, text, sizeof(text));
	/* an allowed number, but a keepalive CALL */
	n = msg_build(call, sizeof(call), RCV_RPC_PROG_KEEPALIVE, 1,
	              RCV_RPC_CALL, 2, RCV_RPC_OK, NULL, 0);
	write_all(rt.client, call, n);
	expect_error_reply(&rt, RCV_RPC_PROG_KEEPALIVE, 1, 2, text,
	                   sizeof(text));
	/* an allowed procedure with another program version */
	n = call_build(call, sizeof(call), PROC_CONNECT_OPEN, 3, NULL, 0);
	call[11] = 2;
	write_all(rt.client, call, n);
	expect_error_reply(&rt, RCV_RPC_PROG_REMOTE, PROC_CONNECT_OPEN, 3, text,
	                   sizeof(text));
	cr_assert(strstr(text, "version 2"), "%s", text);
	assert_nothing_to_read(rt.daemon);
	rt_finish(&rt);
}

/* PREPARE3_PARAMS args with the given domain XML. */
static size_t prepare3_build(uint8_t *out, size_t cap, uint32_t serial,
                             const char *xml)
{
	struct xb b;
	size_t n;

	xb_init(&b, 1024);
	xb_u32(&b, 2);
	xb_param_str(&b, "destination_xml", xml);
	xb_param_str(&b, "migrate_uri", "tcp://10.0.0.2:49152");
	xb_opaque(&b, "cookie", 6);
	xb_u32(&b, 0x41);
	n = call_build(out, cap, PROC_MIGRATE_PREPARE3_PARAMS, serial, b.p,
	               b.len);
	free(b.p);
	return n;
}

Test(receiver_rpc_relay, policy_refusal, .timeout = 20)
{
	uint8_t call[2048];
	char text[512];
	size_t n;
	struct rt rt;

	rt_start(&rt);
	n = prepare3_build(call, sizeof(call), 9,
	                   "<domain><devices><hostdev/></devices></domain>");
	write_all(rt.client, call, n);
	expect_error_reply(&rt, RCV_RPC_PROG_REMOTE,
	                   PROC_MIGRATE_PREPARE3_PARAMS, 9, text, sizeof(text));
	cr_assert(strstr(text, "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS"),
	          "%s", text);
	cr_assert(strstr(text, "destination_xml wants a hostdev"), "%s", text);
	cr_assert_eq(rt.n_lines, 1);
	cr_assert(strstr(rt.lines[0], "destination_xml wants a hostdev"), "%s",
	          rt.lines[0]);

	/* the same call with a plain domain goes through, and only it */
	n = prepare3_build(call, sizeof(call), 10, "<domain/>");
	write_all(rt.client, call, n);
	expect_msg(rt.daemon, call, n);
	assert_nothing_to_read(rt.daemon);
	cr_assert_eq(rt.n_checks, 2);
	rt_finish(&rt);
}

/* The relay ends by itself with -EPROTO after msg, logged once. */
static void expect_violation(const uint8_t *msg, size_t n, const char *what)
{
	struct rt rt;

	rt_start(&rt);
	write_all(rt.client, msg, n);
	cr_assert_eq(rt_join(&rt), -EPROTO, "%s", rt.err.msg);
	cr_assert_eq(rt.n_lines, 1);
	cr_assert(strstr(rt.lines[0], "protocol violation"), "%s", rt.lines[0]);
	cr_assert(strstr(rt.lines[0], what), "%s does not say %s", rt.lines[0],
	          what);
	cr_assert_eq(rt.n_checks, 0);
}

Test(receiver_rpc_relay, stream_ends_relay, .timeout = 20)
{
	uint8_t msg[64], data[8] = "disk";
	size_t n;

	n = msg_build(msg, sizeof(msg), RCV_RPC_PROG_REMOTE, 209,
	              RCV_RPC_STREAM, 3, RCV_RPC_CONTINUE, data, sizeof(data));
	expect_violation(msg, n, "type 3");
}

Test(receiver_rpc_relay, other_types_end_relay, .timeout = 20)
{
	uint8_t msg[64], body[4] = { 0 };
	size_t n;

	n = msg_build(msg, sizeof(msg), RCV_RPC_PROG_REMOTE, PROC_CONNECT_OPEN,
	              RCV_RPC_CALL_WITH_FDS, 1, RCV_RPC_OK, body, sizeof(body));
	expect_violation(msg, n, "type 4");
	n = msg_build(msg, sizeof(msg), RCV_RPC_PROG_REMOTE, PROC_CONNECT_OPEN,
	              RCV_RPC_REPLY, 1, RCV_RPC_OK, NULL, 0);
	expect_violation(msg, n, "type 1");
	/* an event-like MESSAGE that is no keepalive */
	n = msg_build(msg, sizeof(msg), RCV_RPC_PROG_REMOTE, 107,
	              RCV_RPC_MESSAGE, 0, RCV_RPC_OK, NULL, 0);
	expect_violation(msg, n, "type 2");
	/* a keepalive PING with a body */
	n = msg_build(msg, sizeof(msg), RCV_RPC_PROG_KEEPALIVE, 1,
	              RCV_RPC_MESSAGE, 0, RCV_RPC_OK, body, sizeof(body));
	expect_violation(msg, n, "type 2");
}

Test(receiver_rpc_relay, bad_headers_end_relay, .timeout = 20)
{
	static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff };
	static const uint8_t tiny[] = { 0x00, 0x00, 0x00, 0x10 };
	uint8_t msg[RCV_RPC_HDR_LEN];

	/* the length word alone is enough to end it */
	expect_violation(huge, sizeof(huge), "above libvirt's maximum");
	expect_violation(tiny, sizeof(tiny), "below the 28-byte header");
	memcpy(msg, golden_prepare3_hdr, sizeof(msg));
	msg[19] = 9;
	expect_violation(msg, sizeof(msg), "type 9 unknown");
}

Test(receiver_rpc_relay, bytewise, .timeout = 30)
{
	uint8_t call[2048], ping[64], reply[256];
	size_t call_len, ping_len, reply_len;
	struct rt rt;

	rt_start(&rt);
	call_len = prepare3_build(call, sizeof(call), 21, "<domain/>");
	ping_len = msg_build(ping, sizeof(ping), RCV_RPC_PROG_KEEPALIVE, 1,
	                     RCV_RPC_MESSAGE, 0, RCV_RPC_OK, NULL, 0);
	write_bytewise(rt.client, call, call_len);
	write_bytewise(rt.client, ping, ping_len);
	expect_msg(rt.daemon, call, call_len);
	expect_msg(rt.daemon, ping, ping_len);

	reply_len = reply_build(reply, sizeof(reply),
	                        PROC_MIGRATE_PREPARE3_PARAMS, 21, 40);
	write_bytewise(rt.daemon, reply, reply_len);
	expect_msg(rt.client, reply, reply_len);
	cr_assert_eq(rt.n_checks, 1);
	rt_finish(&rt);
}

/*
 * libvirtd's keepalive PINGs are answered by the relay, not passed on: a
 * WAN outage must not make libvirtd drop the peer (and kill an incoming
 * migration) before the transport's resume limit. Everything else from
 * the daemon, PONGs to the peer's own PINGs included, passes as before.
 */
Test(receiver_rpc_relay, daemon_pings_answered_here, .timeout = 30)
{
	uint8_t ping[64], pong[64], reply[256], ev[64];
	size_t ping_len, pong_len, reply_len, ev_len;
	struct rt rt;

	rt_start(&rt);
	ping_len = msg_build(ping, sizeof(ping), RCV_RPC_PROG_KEEPALIVE, 1,
	                     RCV_RPC_MESSAGE, 0, RCV_RPC_OK, NULL, 0);
	pong_len = msg_build(pong, sizeof(pong), RCV_RPC_PROG_KEEPALIVE, 2,
	                     RCV_RPC_MESSAGE, 0, RCV_RPC_OK, NULL, 0);
	/* whole, then a byte at a time */
	write_all(rt.daemon, ping, ping_len);
	expect_msg(rt.daemon, pong, pong_len);
	write_bytewise(rt.daemon, ping, ping_len);
	expect_msg(rt.daemon, pong, pong_len);
	assert_nothing_to_read(rt.client);

	/* a PING between two halves of nothing: after a reply, before one */
	rt_open(&rt, 7);
	reply_len = reply_build(reply, sizeof(reply), PROC_CONNECT_OPEN, 7, 8);
	write_all(rt.daemon, ping, ping_len);
	write_all(rt.daemon, reply, reply_len);
	expect_msg(rt.daemon, pong, pong_len);
	expect_msg(rt.client, reply, reply_len);

	/* the peer's own PING reaches the daemon, and the PONG comes back */
	write_all(rt.client, ping, ping_len);
	expect_msg(rt.daemon, ping, ping_len);
	write_all(rt.daemon, pong, pong_len);
	expect_msg(rt.client, pong, pong_len);

	/* a keepalive MESSAGE with a body is no PING: passed on */
	ev_len = msg_build(ev, sizeof(ev), RCV_RPC_PROG_KEEPALIVE, 1,
	                   RCV_RPC_MESSAGE, 0, RCV_RPC_OK,
	                   (const uint8_t *)"abcd", 4);
	write_all(rt.daemon, ev, ev_len);
	expect_msg(rt.client, ev, ev_len);
	assert_nothing_to_read(rt.daemon);
	rt_finish(&rt);
}

/* Wait until the relay has logged n lines. */
static void rt_wait_lines(struct rt *rt, int n)
{
	pthread_mutex_lock(&rt->lock);
	while (rt->n_lines < n)
		pthread_cond_wait(&rt->cond, &rt->lock);
	pthread_mutex_unlock(&rt->lock);
}

Test(receiver_rpc_relay, error_reply_waits_for_message_boundary, .timeout = 20)
{
	uint8_t call[256], reply[256];
	char text[512];
	size_t call_len, reply_len, half;
	struct rt rt;

	rt_start(&rt);
	rt_open(&rt, 1);

	/* the daemon is half way through its reply ... */
	reply_len = reply_build(reply, sizeof(reply), PROC_CONNECT_OPEN, 1, 64);
	half = reply_len / 2;
	write_all(rt.daemon, reply, half);
	usleep(50 * 1000);
	/* ... when a refused call comes in and its error reply is made */
	call_len =
	    call_build(call, sizeof(call), PROC_DOMAIN_CREATE_XML, 2, NULL, 0);
	write_all(rt.client, call, call_len);
	rt_wait_lines(&rt, 1);
	write_all(rt.daemon, reply + half, reply_len - half);

	/* the reply arrives whole, then the error reply */
	expect_msg(rt.client, reply, reply_len);
	expect_error_reply(&rt, RCV_RPC_PROG_REMOTE, PROC_DOMAIN_CREATE_XML, 2,
	                   text, sizeof(text));
	rt_finish(&rt);
}

Test(receiver_rpc_relay, daemon_close_flushes_reply, .timeout = 20)
{
	uint8_t reply[256];
	size_t reply_len;
	struct rt rt;

	rt_start(&rt);
	rt_open(&rt, 4);
	reply_len = reply_build(reply, sizeof(reply), PROC_CONNECT_OPEN, 4, 8);
	write_all(rt.daemon, reply, reply_len);
	shutdown(rt.daemon, SHUT_WR);
	expect_msg(rt.client, reply, reply_len);
	cr_assert_eq(rt_join(&rt), 0, "%s", rt.err.msg);
}

Test(receiver_rpc_relay, close_mid_message, .timeout = 20)
{
	uint8_t call[256];
	size_t n;
	struct rt rt;

	rt_start(&rt);
	n = connect_open_build(call, sizeof(call), 1);
	write_all(rt.client, call, n - 3);
	shutdown(rt.client, SHUT_WR);
	cr_assert_eq(rt_join(&rt), -ECONNRESET);
	cr_assert(strstr(rt.err.msg, "middle of a message"), "%s", rt.err.msg);
}

Test(receiver_rpc_relay, shutdown_from_another_thread, .timeout = 20)
{
	struct rt rt;

	rt_start(&rt);
	usleep(20 * 1000);
	shutdown(rt.relay_fds[0], SHUT_RDWR);
	cr_assert_eq(rt_join(&rt), 0, "%s", rt.err.msg);
}

/* ---- CONNECT_OPEN args, and the URI a client sends for a local one ---- */

/* remote_connect_open_args for "qemu:///system", flags 0x2. */
static const uint8_t golden_open_body[] = {
	0x00, 0x00, 0x00, 0x01,                         /* name present */
	0x00, 0x00, 0x00, 0x0e,                         /* 14 bytes */
	'q',  'e',  'm',  'u',  ':',  '/',  '/',  '/',  /* */
	's',  'y',  's',  't',  'e',  'm',  0x00, 0x00, /* + 2 padding */
	0x00, 0x00, 0x00, 0x02,                         /* flags */
};

Test(receiver_rpc, connect_open_golden)
{
	struct tp_error err = { 0 };
	uint32_t flags = 0;
	char *name = NULL;

	cr_assert_eq(rcv_rpc_connect_open_decode(golden_open_body,
	                                         sizeof(golden_open_body),
	                                         &name, &flags, &err),
	             0, "%s", err.msg);
	cr_assert_str_eq(name, "qemu:///system");
	cr_assert_eq(flags, 2);
	free(name);
}

Test(receiver_rpc, connect_open_without_uri)
{
	static const uint8_t body[] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	struct tp_error err = { 0 };
	uint32_t flags = 0;
	char *name = (char *)"unchanged";

	cr_assert_eq(rcv_rpc_connect_open_decode(body, sizeof(body), &name,
	                                         &flags, &err),
	             0, "%s", err.msg);
	cr_assert_null(name);
	cr_assert_eq(flags, 1);
}

static void open_reject(const uint8_t *body, size_t len, int rc,
                        const char *msg)
{
	struct tp_error err = { 0 };
	char *name = (char *)"unchanged";
	uint32_t flags = 77;

	cr_assert_eq(rcv_rpc_connect_open_decode(body, len, &name, &flags,
	                                         &err),
	             rc, "len %zu: want %d, %s", len, rc, err.msg);
	cr_assert_eq(err.code, rc);
	cr_assert_str_eq(name, "unchanged");
	cr_assert_eq(flags, 77);
	if (msg)
		cr_assert(strstr(err.msg, msg), "'%s' lacks '%s'", err.msg,
		          msg);
}

Test(receiver_rpc, connect_open_bad_input)
{
	uint8_t body[sizeof(golden_open_body) + 4];
	struct xb b;
	size_t n;
	char *big;

	for (n = 0; n < sizeof(golden_open_body); n++)
		open_reject(golden_open_body, n, -EPROTO, "truncated");
	/* trailing bytes */
	memcpy(body, golden_open_body, sizeof(golden_open_body));
	memset(body + sizeof(golden_open_body), 0, 4);
	open_reject(body, sizeof(body), -EPROTO, "4 bytes after the flags");
	/* a pointer that is neither 0 nor 1 */
	memcpy(body, golden_open_body, sizeof(golden_open_body));
	body[3] = 2;
	open_reject(body, sizeof(golden_open_body), -EPROTO,
	            "URI pointer is 2");
	/* non-zero padding */
	memcpy(body, golden_open_body, sizeof(golden_open_body));
	body[23] = 'x';
	open_reject(body, sizeof(golden_open_body), -EPROTO,
	            "non-zero padding");
	/* a NUL inside the URI */
	memcpy(body, golden_open_body, sizeof(golden_open_body));
	body[12] = 0;
	open_reject(body, sizeof(golden_open_body), -EPROTO, "NUL");
	/* over the bound: refused from the length word alone */
	xb_init(&b, RCV_RPC_URI_MAX + 64);
	xb_u32(&b, 1);
	big = malloc(RCV_RPC_URI_MAX + 1);
	cr_assert(big);
	memset(big, 'a', RCV_RPC_URI_MAX + 1);
	xb_opaque(&b, big, RCV_RPC_URI_MAX + 1);
	xb_u32(&b, 0);
	open_reject(b.p, b.len, -EMSGSIZE, "at most 4096");
	open_reject(b.p, 8, -EMSGSIZE, "at most 4096");
	free(big);
	free(b.p);
}

Test(receiver_rpc, uri_daemon_name)
{
	char buf[64];

	cr_assert_eq(rcv_rpc_uri_daemon_name("qemu:///system", buf,
	                                     sizeof(buf)),
	             0);
	cr_assert_str_eq(buf, "qemu:///system");
	cr_assert_eq(rcv_rpc_uri_daemon_name(
	                 "qemu+unix:///system?socket=/run/x/libvirt-sock", buf,
	                 sizeof(buf)),
	             0);
	cr_assert_str_eq(buf, "qemu:///system");
	cr_assert_eq(rcv_rpc_uri_daemon_name("qemu:///session#frag", buf,
	                                     sizeof(buf)),
	             0);
	cr_assert_str_eq(buf, "qemu:///session");
	cr_assert_eq(rcv_rpc_uri_daemon_name("libxl:///", buf, sizeof(buf)),
	             0);
	cr_assert_str_eq(buf, "libxl:///");
	cr_assert_eq(rcv_rpc_uri_daemon_name("qemu+ssh://host/system", buf,
	                                     sizeof(buf)),
	             -EINVAL);
	cr_assert_eq(rcv_rpc_uri_daemon_name("system", buf, sizeof(buf)),
	             -EINVAL);
	cr_assert_eq(rcv_rpc_uri_daemon_name(":///system", buf, sizeof(buf)),
	             -EINVAL);
	cr_assert_eq(rcv_rpc_uri_daemon_name("qe?mu:///system", buf,
	                                     sizeof(buf)),
	             -EINVAL);
	cr_assert_eq(rcv_rpc_uri_daemon_name("1qemu:///system", buf,
	                                     sizeof(buf)),
	             -EINVAL);
	cr_assert_eq(rcv_rpc_uri_daemon_name("qemu:///system", buf, 8),
	             -ENAMETOOLONG);
}
