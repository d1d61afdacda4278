/*
 * libFuzzer target: the receiver's libvirt RPC parsers. Every input goes to
 * rcv_rpc_hdr_decode() and to rcv_rpc_prepare3_decode() (the whole input,
 * and the body after a 28-byte header), and to rcv_rpc_connect_open_decode()
 * and rcv_rpc_uri_daemon_name() likewise. A small input is also sent through
 * rcv_rpc_relay() as what a migration peer says; afterwards the daemon must
 * have got whole, allowed messages only, none the policy refused, and the
 * peer whole error replies only.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "receiver/rpc.h"

#define RELAY_INPUT_MAX 4096 /* stays inside the socket buffers */
#define POLICY_REFUSES  0xff /* the policy refuses bodies starting so */

static void check_params(const struct rcv_rpc_params *ps)
{
	size_t i, j, len;

	if (ps->n > RCV_RPC_PARAMS_MAX)
		abort();
	for (i = 0; i < ps->n; i++) {
		len = strlen(ps->p[i].name);
		if (len < 1 || len > RCV_RPC_PARAM_NAME_MAX)
			abort();
		if (ps->p[i].type < 1 || ps->p[i].type > 7)
			abort();
		if (ps->p[i].type == 7 &&
		    strlen(ps->p[i].v.s) > RCV_RPC_PARAM_STRING_MAX)
			abort();
		for (j = 0; strcmp(ps->p[j].name, ps->p[i].name) != 0; j++)
			;
		if (j == i && ps->p[i].type == 7 &&
		    rcv_rpc_params_string(ps, ps->p[i].name) != ps->p[i].v.s)
			abort(); /* the first of a name is the one found */
	}
}

static void fuzz_prepare3(const uint8_t *body, size_t len)
{
	struct rcv_rpc_params ps = { 0 };
	struct tp_error err = { 0 };

	if (rcv_rpc_prepare3_decode(body, len, &ps, &err) == 0) {
		check_params(&ps);
		rcv_rpc_params_clear(&ps);
	} else if (err.code == 0 || ps.p || ps.n) {
		abort(); /* a failure fills err and leaves *out alone */
	}
}

static void fuzz_connect_open(const uint8_t *body, size_t len)
{
	struct tp_error err = { 0 };
	char *name = (char *)"unchanged";
	uint32_t flags = 0;

	if (rcv_rpc_connect_open_decode(body, len, &name, &flags, &err) == 0) {
		if (name && strlen(name) > RCV_RPC_URI_MAX)
			abort();
		free(name);
	} else if (err.code == 0 || strcmp(name, "unchanged")) {
		abort(); /* a failure fills err and leaves *name alone */
	}
}

static void fuzz_decoders(const uint8_t *data, size_t size)
{
	char uri[RCV_RPC_URI_MAX + 1], name[128];

	struct rcv_rpc_hdr h;
	uint8_t reply[512];
	ssize_t n;

	if (rcv_rpc_hdr_decode(data, size, &h, NULL) == 0) {
		if (h.len != size || size < RCV_RPC_HDR_LEN)
			abort();
		n = rcv_rpc_error_reply(&h, "refused", reply, sizeof(reply));
		if (n < 0 || rcv_rpc_hdr_decode(reply, (size_t)n, &h, NULL) ||
		    h.type != RCV_RPC_REPLY || h.status != RCV_RPC_ERROR)
			abort();
	}
	fuzz_prepare3(data, size);
	fuzz_connect_open(data, size);
	if (size >= RCV_RPC_HDR_LEN) {
		fuzz_prepare3(data + RCV_RPC_HDR_LEN, size - RCV_RPC_HDR_LEN);
		fuzz_connect_open(data + RCV_RPC_HDR_LEN,
		                  size - RCV_RPC_HDR_LEN);
	}
	/* The input as a receiver URI: no transport, query or fragment left. */
	if (size <= RCV_RPC_URI_MAX && !memchr(data, '\0', size)) {
		memcpy(uri, data, size);
		uri[size] = '\0';
		if (rcv_rpc_uri_daemon_name(uri, name, sizeof(name)) == 0 &&
		    (strlen(name) >= sizeof(name) || !strstr(name, ":///") ||
		     strpbrk(name, "?#") ||
		     memchr(name, '+', strcspn(name, ":"))))
			abort();
	}
}

static int policy_check(void *arg, const struct rcv_rpc_hdr *h,
                        const char *name, const uint8_t *body, size_t len,
                        char *why, size_t why_len)
{
	(void)arg;
	if (!name || h->type != RCV_RPC_CALL)
		abort(); /* only allowed calls are checked */
	if (h->proc == 303)
		fuzz_prepare3(body, len);
	if (len > 0 && body[0] == POLICY_REFUSES) {
		snprintf(why, why_len, "fuzz policy");
		return -EPERM;
	}
	return 0;
}

static void policy_log(void *arg, const char *line)
{
	(void)arg;
	if (!line[0])
		abort();
}

/* Read what fd has until end of stream. Returns the length. */
static size_t read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	return len;
}

/* buf must be whole messages: allowed ones to the daemon, else errors. */
static void check_stream(const uint8_t *buf, size_t len, bool daemon)
{
	struct rcv_rpc_hdr h;
	uint32_t msg_len;

	while (len > 0) {
		if (len < 4 || rcv_rpc_len_decode(buf, &msg_len, NULL) < 0 ||
		    msg_len > len ||
		    rcv_rpc_hdr_decode(buf, msg_len, &h, NULL) < 0)
			abort(); /* not whole messages */
		if (!daemon &&
		    (h.type != RCV_RPC_REPLY || h.status != RCV_RPC_ERROR))
			abort();
		if (daemon && h.type == RCV_RPC_CALL &&
		    (h.prog != RCV_RPC_PROG_REMOTE || h.vers != 1 ||
		     h.status != RCV_RPC_OK ||
		     !rcv_rpc_allowed(h.prog, h.proc) ||
		     (msg_len > RCV_RPC_HDR_LEN &&
		      buf[RCV_RPC_HDR_LEN] == POLICY_REFUSES)))
			abort();
		if (daemon && h.type != RCV_RPC_CALL &&
		    (h.type != RCV_RPC_MESSAGE ||
		     h.prog != RCV_RPC_PROG_KEEPALIVE ||
		     msg_len != RCV_RPC_HDR_LEN ||
		     !rcv_rpc_allowed(h.prog, h.proc)))
			abort();
		buf += msg_len;
		len -= msg_len;
	}
}

/*
 * Relay data[0..size), said by the peer (from_peer) or by the daemon, until
 * its sayer closes. Returns the relay's result, or 1 if no sockets; c[0]
 * (the peer's end) and d[1] (the daemon's) are left open for reading.
 */
static int relay_input(const uint8_t *data, size_t size, bool from_peer,
                       int c[2], int d[2])
{
	const struct rcv_rpc_policy policy = { policy_check, policy_log, NULL };
	struct tp_error err = { 0 };
	int rc;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, c) < 0)
		return 1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, d) < 0) {
		close(c[0]);
		close(c[1]);
		return 1;
	}
	if (write(from_peer ? c[0] : d[1], data, size) != (ssize_t)size)
		abort();
	shutdown(from_peer ? c[0] : d[1], SHUT_WR);
	rc = rcv_rpc_relay(c[1], d[0], &policy, &err);
	if (rc != 0 && rc != -EPROTO && rc != -ECONNRESET)
		abort();
	if (rc != 0 && err.code != rc)
		abort();
	close(c[1]);
	close(d[0]);
	return rc;
}

static void fuzz_relay(const uint8_t *data, size_t size)
{
	static uint8_t got[256 * 1024];
	int c[2], d[2];
	size_t len;

	if (relay_input(data, size, true, c, d) > 0)
		return;
	len = read_all(d[1], got, sizeof(got));
	check_stream(got, len, true);
	len = read_all(c[0], got, sizeof(got));
	check_stream(got, len, false);
	close(c[0]);
	close(d[1]);
}

/*
 * What the peer gets when the daemon says data[0..size): its messages
 * without the PINGs, up to a bad length word or header, and a last
 * message's body bytes once its header is whole. *pings counts the PINGs.
 */
static size_t daemon_expected(const uint8_t *data, size_t size, uint8_t *out,
                              size_t *pings)
{
	struct rcv_rpc_hdr h;
	size_t off = 0, len = 0, take;

	*pings = 0;
	while (size - off >= RCV_RPC_HDR_LEN &&
	       rcv_rpc_hdr_peek(data + off, RCV_RPC_HDR_LEN, &h, NULL) == 0) {
		take = h.len < size - off ? h.len : size - off;
		if (h.type == RCV_RPC_MESSAGE &&
		    h.prog == RCV_RPC_PROG_KEEPALIVE && h.vers == 1 &&
		    h.proc == 1 && h.status == RCV_RPC_OK &&
		    h.len == RCV_RPC_HDR_LEN) {
			(*pings)++;
		} else {
			memcpy(out + len, data + off, take);
			len += take;
		}
		off += take;
	}
	return len;
}

static void fuzz_relay_daemon(const uint8_t *data, size_t size)
{
	static uint8_t got[256 * 1024], want[RELAY_INPUT_MAX];
	struct rcv_rpc_hdr h;
	size_t len, want_len, pings, i;
	int c[2], d[2], rc;

	rc = relay_input(data, size, false, c, d);
	if (rc > 0)
		return;
	want_len = daemon_expected(data, size, want, &pings);
	len = read_all(c[0], got, sizeof(got));
	/* On an error the relay may not have written all it had. */
	if (len > want_len || memcmp(got, want, len) != 0 ||
	    (rc == 0 && len != want_len))
		abort();
	len = read_all(d[1], got, sizeof(got));
	if (len % RCV_RPC_HDR_LEN || len / RCV_RPC_HDR_LEN > pings ||
	    (rc == 0 && len / RCV_RPC_HDR_LEN != pings))
		abort();
	for (i = 0; i < len; i += RCV_RPC_HDR_LEN)
		if (rcv_rpc_hdr_decode(got + i, RCV_RPC_HDR_LEN, &h, NULL) <
		        0 ||
		    h.prog != RCV_RPC_PROG_KEEPALIVE || h.proc != 2 ||
		    h.type != RCV_RPC_MESSAGE)
			abort(); /* only PONGs */
	close(c[0]);
	close(d[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decoders(data, size);
	if (size <= RELAY_INPUT_MAX) {
		fuzz_relay(data, size);
		fuzz_relay_daemon(data, size);
	}
	return 0;
}
