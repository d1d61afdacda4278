/*
 * rpc.c: libvirt RPC wire pieces for the receiver's relay: header decoding,
 * the procedure allowlist, error replies, and the typed parameters of
 * DOMAIN_MIGRATE_PREPARE3_PARAMS. The relay itself is rpc_relay.c.
 *
 * Facts come from libvirt's src/rpc/virnetprotocol.x (framing, remote_error
 * as virNetMessageError), src/remote/remote_protocol.x (procedure numbers,
 * remote_typed_param) and src/rpc/virkeepaliveprotocol.x.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "receiver/rpc.h"

/*
 * The allowlist: what a client-driven virDomainMigrate3 (VIR_MIGRATE_PARAMS
 * protocol v3, neither peer-to-peer nor tunnelled) sends on its destination
 * connection dconn, opened as qemu+unix://. Anything not here is refused.
 */
struct rcv_rpc_allow {
	uint32_t prog;
	int32_t proc;
	const char *name;
};

static const struct rcv_rpc_allow rcv_rpc_allowlist[] = {
	/*
	 * doRemoteOpen -> remoteAuthenticate asks which auth the socket
	 * wants; for root on a unix socket libvirtd answers "none" even where
	 * polkit is configured, so REMOTE_PROC_AUTH_POLKIT is left out.
	 */
	{ RCV_RPC_PROG_REMOTE, 66, "REMOTE_PROC_AUTH_LIST" },
	/*
	 * doRemoteOpen probes keepalive, event-callback and close-callback
	 * support; virDomainMigrate3 probes VIR_DRV_FEATURE_MIGRATION_PARAMS
	 * (and MIGRATION_OFFLINE for offline moves) on dconn. Read-only.
	 */
	{ RCV_RPC_PROG_REMOTE, 60, "REMOTE_PROC_CONNECT_SUPPORTS_FEATURE" },
	/*
	 * doRemoteOpen's open of the daemon-side driver. Its URI is in the
	 * body; the policy check decides which URIs may be opened.
	 * CONNECT_GET_URI is not needed: it is asked only when the client
	 * opened with no URI at all.
	 */
	{ RCV_RPC_PROG_REMOTE, 1, "REMOTE_PROC_CONNECT_OPEN" },
	/*
	 * virConnectClose(dconn) when the migration is over. The close
	 * callback procedures (360, 361) are left out: they are sent only if
	 * the migrator registers a close callback on dconn, which it does not.
	 */
	{ RCV_RPC_PROG_REMOTE, 2, "REMOTE_PROC_CONNECT_CLOSE" },
	/*
	 * virDomainMigrateVersion3Full, useParams: the destination's Prepare
	 * step (starts the incoming QEMU from destination_xml).
	 */
	{ RCV_RPC_PROG_REMOTE, 303,
	  "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS" },
	/* ... and its Finish step (resume on success, kill on failure). */
	{ RCV_RPC_PROG_REMOTE, 306,
	  "REMOTE_PROC_DOMAIN_MIGRATE_FINISH3_PARAMS" },
	/*
	 * Keepalive, as MESSAGEs with no body: libvirtd pings its clients
	 * (keepalive_interval) and the client answers PONG; a client that
	 * called virConnectSetKeepAlive pings too.
	 */
	{ RCV_RPC_PROG_KEEPALIVE, RCV_RPC_KEEPALIVE_PING,
	  "KEEPALIVE_PROC_PING" },
	{ RCV_RPC_PROG_KEEPALIVE, RCV_RPC_KEEPALIVE_PONG,
	  "KEEPALIVE_PROC_PONG" },
};

const char *rcv_rpc_allowed(uint32_t prog, int32_t proc)
{
	size_t i;

	for (i = 0;
	     i < sizeof(rcv_rpc_allowlist) / sizeof(rcv_rpc_allowlist[0]);
	     i++) {
		if (rcv_rpc_allowlist[i].prog == prog &&
		    rcv_rpc_allowlist[i].proc == proc)
			return rcv_rpc_allowlist[i].name;
	}
	return NULL;
}

static uint32_t rcv_rpc_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int rcv_rpc_len_decode(const uint8_t word[4], uint32_t *len,
                       struct tp_error *err)
{
	uint32_t v = rcv_rpc_get_u32(word);

	if (v < RCV_RPC_HDR_LEN)
		return tp_error_set(err, -EPROTO,
		                    "rpc message length %u below the %u-byte "
		                    "header",
		                    v, RCV_RPC_HDR_LEN);
	if (v > RCV_RPC_MSG_MAX)
		return tp_error_set(err, -EMSGSIZE,
		                    "rpc message length %u above libvirt's "
		                    "maximum %u",
		                    v, RCV_RPC_MSG_MAX);
	*len = v;
	return 0;
}

int rcv_rpc_hdr_peek(const uint8_t *hdr, size_t hdr_len, struct rcv_rpc_hdr *h,
                     struct tp_error *err)
{
	struct rcv_rpc_hdr d;
	int rc;

	if (hdr_len < RCV_RPC_HDR_LEN)
		return tp_error_set(err, -EPROTO,
		                    "rpc header truncated: %zu of %u bytes",
		                    hdr_len, RCV_RPC_HDR_LEN);
	rc = rcv_rpc_len_decode(hdr, &d.len, err);
	if (rc < 0)
		return rc;
	d.prog = rcv_rpc_get_u32(hdr + 4);
	d.vers = rcv_rpc_get_u32(hdr + 8);
	d.proc = (int32_t)rcv_rpc_get_u32(hdr + 12);
	d.type = (int32_t)rcv_rpc_get_u32(hdr + 16);
	d.serial = rcv_rpc_get_u32(hdr + 20);
	d.status = (int32_t)rcv_rpc_get_u32(hdr + 24);
	if (d.type < RCV_RPC_CALL || d.type > RCV_RPC_STREAM_HOLE)
		return tp_error_set(err, -EPROTO, "rpc message type %d unknown",
		                    d.type);
	if (d.status < RCV_RPC_OK || d.status > RCV_RPC_CONTINUE)
		return tp_error_set(err, -EPROTO,
		                    "rpc message status %d unknown", d.status);
	*h = d;
	return 0;
}

int rcv_rpc_hdr_decode(const uint8_t *msg, size_t msg_len,
                       struct rcv_rpc_hdr *h, struct tp_error *err)
{
	struct rcv_rpc_hdr d;
	int rc;

	rc = rcv_rpc_hdr_peek(msg, msg_len, &d, err);
	if (rc < 0)
		return rc;
	if (msg_len != d.len)
		return tp_error_set(err, -EPROTO,
		                    "rpc message is %zu bytes, its length word "
		                    "says %u",
		                    msg_len, d.len);
	*h = d;
	return 0;
}

/* Bounded XDR writer: remembers running out of room instead of writing. */
struct rcv_rpc_writer {
	uint8_t *p;
	size_t cap, off;
	bool full;
};

static void rcv_rpc_put_u32(struct rcv_rpc_writer *w, uint32_t v)
{
	if (w->full || w->cap - w->off < 4) {
		w->full = true;
		return;
	}
	w->p[w->off++] = (uint8_t)(v >> 24);
	w->p[w->off++] = (uint8_t)(v >> 16);
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

/* An XDR optional string (remote_string): present flag, length, bytes. */
static void rcv_rpc_put_opt_string(struct rcv_rpc_writer *w, const char *s)
{
	size_t len, padded;

	if (!s) {
		rcv_rpc_put_u32(w, 0);
		return;
	}
	len = strlen(s);
	padded = (len + 3) & ~(size_t)3;
	rcv_rpc_put_u32(w, 1);
	rcv_rpc_put_u32(w, (uint32_t)len);
	if (w->full || len > UINT32_MAX || w->cap - w->off < padded) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->off, s, len);
	memset(w->p + w->off + len, 0, padded - len);
	w->off += padded;
}

ssize_t rcv_rpc_error_reply(const struct rcv_rpc_hdr *call, const char *msg,
                            uint8_t *out, size_t cap)
{
	struct rcv_rpc_writer w = { .p = out, .cap = cap };
	size_t len;

	rcv_rpc_put_u32(&w, 0); /* length, filled in below */
	rcv_rpc_put_u32(&w, call->prog);
	rcv_rpc_put_u32(&w, call->vers);
	rcv_rpc_put_u32(&w, (uint32_t)call->proc);
	rcv_rpc_put_u32(&w, RCV_RPC_REPLY);
	rcv_rpc_put_u32(&w, call->serial);
	rcv_rpc_put_u32(&w, RCV_RPC_ERROR);
	/* remote_error */
	rcv_rpc_put_u32(&w, VIR_ERR_OPERATION_DENIED); /* code */
	rcv_rpc_put_u32(&w, VIR_FROM_RPC);             /* domain */
	rcv_rpc_put_opt_string(&w, msg);               /* message */
	rcv_rpc_put_u32(&w, VIR_ERR_ERROR);            /* level */
	rcv_rpc_put_u32(&w, 0);                        /* dom: absent */
	rcv_rpc_put_u32(&w, 0);                        /* str1: absent */
	rcv_rpc_put_u32(&w, 0);                        /* str2: absent */
	rcv_rpc_put_u32(&w, 0);                        /* str3: absent */
	rcv_rpc_put_u32(&w, 0);                        /* int1 */
	rcv_rpc_put_u32(&w, 0);                        /* int2 */
	rcv_rpc_put_u32(&w, 0);                        /* net: absent */
	if (w.full || w.off > RCV_RPC_MSG_MAX)
		return -ENOSPC;
	len = w.off;
	w.off = 0;
	rcv_rpc_put_u32(&w, (uint32_t)len);
	return (ssize_t)len;
}

/* XDR reader over one message body; every read is checked first. */
struct rcv_rpc_reader {
	const uint8_t *p;
	size_t len, off;
	struct tp_error *err;
};

static int rcv_rpc_get_word(struct rcv_rpc_reader *r, uint32_t *v,
                            const char *what)
{
	if (r->len - r->off < 4)
		return tp_error_set(r->err, -EPROTO,
		                    "rpc args truncated at the %s", what);
	*v = rcv_rpc_get_u32(r->p + r->off);
	r->off += 4;
	return 0;
}

static int rcv_rpc_get_hyper(struct rcv_rpc_reader *r, uint64_t *v,
                             const char *what)
{
	uint32_t hi, lo;
	int rc;

	rc = rcv_rpc_get_word(r, &hi, what);
	if (rc == 0)
		rc = rcv_rpc_get_word(r, &lo, what);
	if (rc == 0)
		*v = (uint64_t)hi << 32 | lo;
	return rc;
}

/*
 * A variable-length opaque of at most max bytes: its length word, then the
 * bytes and their zero padding. *data points into the body.
 */
static int rcv_rpc_get_opaque(struct rcv_rpc_reader *r, uint32_t max,
                              const uint8_t **data, uint32_t *len,
                              const char *what)
{
	uint32_t n;
	size_t padded, i;
	int rc;

	rc = rcv_rpc_get_word(r, &n, what);
	if (rc < 0)
		return rc;
	if (n > max)
		return tp_error_set(r->err, -EMSGSIZE,
		                    "rpc %s is %u bytes, at most %u allowed",
		                    what, n, max);
	padded = ((size_t)n + 3) & ~(size_t)3;
	if (r->len - r->off < padded)
		return tp_error_set(r->err, -EPROTO,
		                    "rpc args truncated in the %s", what);
	for (i = n; i < padded; i++) {
		if (r->p[r->off + i] != 0)
			return tp_error_set(r->err, -EPROTO,
			                    "rpc %s has non-zero padding",
			                    what);
	}
	*data = r->p + r->off;
	*len = n;
	r->off += padded;
	return 0;
}

/* A string of min..max bytes without NULs, copied to *out (the caller's). */
static int rcv_rpc_get_string(struct rcv_rpc_reader *r, uint32_t min,
                              uint32_t max, char **out, const char *what)
{
	const uint8_t *data;
	uint32_t n;
	char *s;
	int rc;

	rc = rcv_rpc_get_opaque(r, max, &data, &n, what);
	if (rc < 0)
		return rc;
	if (n < min)
		return tp_error_set(r->err, -EPROTO, "rpc %s is empty", what);
	if (memchr(data, '\0', n))
		return tp_error_set(r->err, -EPROTO, "rpc %s holds a NUL byte",
		                    what);
	s = malloc((size_t)n + 1);
	if (!s)
		return tp_error_set(r->err, -ENOMEM, "no memory for the rpc %s",
		                    what);
	memcpy(s, data, n);
	s[n] = '\0';
	*out = s;
	return 0;
}

/* One remote_typed_param: field name, then the value union. */
static int rcv_rpc_get_param(struct rcv_rpc_reader *r, struct rcv_rpc_param *p)
{
	uint32_t type = 0, word = 0;
	uint64_t hyper = 0;
	int rc;

	rc = rcv_rpc_get_string(r, 1, RCV_RPC_PARAM_NAME_MAX, &p->name,
	                        "parameter name");
	if (rc == 0)
		rc = rcv_rpc_get_word(r, &type, "parameter type");
	if (rc < 0)
		return rc;
	switch (type) {
	case VIR_TYPED_PARAM_INT:
	case VIR_TYPED_PARAM_BOOLEAN:
		rc = rcv_rpc_get_word(r, &word, "parameter value");
		p->v.i = (int32_t)word;
		break;
	case VIR_TYPED_PARAM_UINT:
		rc = rcv_rpc_get_word(r, &word, "parameter value");
		p->v.u = word;
		break;
	case VIR_TYPED_PARAM_LLONG:
		rc = rcv_rpc_get_hyper(r, &hyper, "parameter value");
		p->v.i = (int64_t)hyper;
		break;
	case VIR_TYPED_PARAM_ULLONG:
		rc = rcv_rpc_get_hyper(r, &hyper, "parameter value");
		p->v.u = hyper;
		break;
	case VIR_TYPED_PARAM_DOUBLE:
		rc = rcv_rpc_get_hyper(r, &hyper, "parameter value");
		memcpy(&p->v.d, &hyper, sizeof(p->v.d));
		break;
	case VIR_TYPED_PARAM_STRING:
		rc = rcv_rpc_get_string(r, 0, RCV_RPC_PARAM_STRING_MAX, &p->v.s,
		                        "string parameter");
		break;
	default:
		return tp_error_set(r->err, -EPROTO,
		                    "rpc parameter %s has unknown type %u",
		                    p->name, type);
	}
	if (rc == 0)
		p->type = (int)type;
	return rc;
}

/* Smallest encoded remote_typed_param: 1-byte name (8), type, one word. */
#define RCV_RPC_PARAM_MIN_LEN 16u

int rcv_rpc_prepare3_decode(const uint8_t *body, size_t body_len,
                            struct rcv_rpc_params *out, struct tp_error *err)
{
	struct rcv_rpc_reader r = { .p = body, .len = body_len, .err = err };
	struct rcv_rpc_params ps = { 0 };
	const uint8_t *cookie;
	uint32_t count, cookie_len = 0;
	size_t i;
	int rc;

	rc = rcv_rpc_get_word(&r, &count, "parameter count");
	if (rc < 0)
		goto out;
	if (count > RCV_RPC_PARAMS_MAX) {
		rc = tp_error_set(err, -EMSGSIZE,
		                  "rpc args hold %u parameters, at most %u "
		                  "allowed",
		                  count, RCV_RPC_PARAMS_MAX);
		goto out;
	}
	if ((body_len - r.off) / RCV_RPC_PARAM_MIN_LEN < count) {
		rc =
		    tp_error_set(err, -EPROTO,
		                 "rpc args too short for %u parameters", count);
		goto out;
	}
	if (count > 0) {
		ps.p = calloc(count, sizeof(*ps.p));
		if (!ps.p) {
			rc = tp_error_set(err, -ENOMEM,
			                  "no memory for %u rpc parameters",
			                  count);
			goto out;
		}
		ps.n = count;
	}
	for (i = 0; i < ps.n && rc == 0; i++)
		rc = rcv_rpc_get_param(&r, &ps.p[i]);
	if (rc == 0)
		rc = rcv_rpc_get_opaque(&r, RCV_RPC_COOKIE_MAX, &cookie,
		                        &cookie_len, "migration cookie");
	ps.cookie_len = cookie_len;
	if (rc == 0)
		rc = rcv_rpc_get_word(&r, &ps.flags, "flags");
	if (rc == 0 && r.off != body_len)
		rc = tp_error_set(err, -EPROTO,
		                  "rpc args have %zu bytes after the flags",
		                  body_len - r.off);
	if (rc == 0) {
		*out = ps;
		return 0;
	}
out:
	rcv_rpc_params_clear(&ps);
	return rc;
}

const char *rcv_rpc_params_string(const struct rcv_rpc_params *ps,
                                  const char *name)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->p[i].name, name) != 0)
			continue;
		if (ps->p[i].type != VIR_TYPED_PARAM_STRING)
			return NULL;
		return ps->p[i].v.s;
	}
	return NULL;
}

void rcv_rpc_params_clear(struct rcv_rpc_params *ps)
{
	size_t i;

	if (!ps)
		return;
	for (i = 0; i < ps->n; i++) {
		free(ps->p[i].name);
		if (ps->p[i].type == VIR_TYPED_PARAM_STRING)
			free(ps->p[i].v.s);
	}
	free(ps->p);
	memset(ps, 0, sizeof(*ps));
}

int rcv_rpc_connect_open_decode(const uint8_t *body, size_t body_len,
                                char **name, uint32_t *flags,
                                struct tp_error *err)
{
	struct rcv_rpc_reader r = { .p = body, .len = body_len, .err = err };
	uint32_t present = 0, fl = 0;
	char *s = NULL;
	int rc;

	rc = rcv_rpc_get_word(&r, &present, "URI pointer");
	if (rc == 0 && present > 1)
		rc = tp_error_set(err, -EPROTO,
		                  "rpc URI pointer is %u, not 0 or 1", present);
	if (rc == 0 && present)
		rc = rcv_rpc_get_string(&r, 0, RCV_RPC_URI_MAX, &s, "URI");
	if (rc == 0)
		rc = rcv_rpc_get_word(&r, &fl, "flags");
	if (rc == 0 && r.off != body_len)
		rc = tp_error_set(err, -EPROTO,
		                  "rpc args have %zu bytes after the flags",
		                  body_len - r.off);
	if (rc < 0) {
		free(s);
		return rc;
	}
	*name = s;
	*flags = fl;
	return 0;
}

int rcv_rpc_uri_daemon_name(const char *uri, char *buf, size_t len)
{
	/* RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	size_t end = strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
	                         "TUVWXYZ0123456789+-.");
	size_t scheme = strcspn(uri, "+");
	const char *rest = uri + end;
	size_t path;

	if (!isalpha((unsigned char)uri[0]) || strncmp(rest, ":///", 4) != 0)
		return -EINVAL; /* no scheme, or a host: not a local URI */
	if (scheme > end)
		scheme = end;
	rest += 3;
	path = strcspn(rest, "?#");
	if ((size_t)snprintf(buf, len, "%.*s://%.*s", (int)scheme, uri,
	                     (int)path, rest) >= len)
		return -ENAMETOOLONG;
	return 0;
}
