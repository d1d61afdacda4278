/*
 * rpc.h: the receiver's libvirt RPC relay and the few pieces of libvirt's
 * wire protocol it needs.
 *
 * The receiver lets an authenticated migration peer talk to its local
 * libvirtd, but only through rcv_rpc_relay(), which passes the handful of
 * procedures that a client-driven virDomainMigrate3 needs on its
 * destination connection and answers everything else with a libvirt error.
 *
 * libvirt's wire format (src/rpc/virnetprotocol.x), all XDR: 32-bit words,
 * big-endian, strings and opaques padded with zeros to a multiple of 4.
 *
 *  offset size field   meaning
 *  0      4    len     whole message length, this word included:
 *                      RCV_RPC_HDR_LEN..RCV_RPC_MSG_MAX
 *  4      4    prog    program: RCV_RPC_PROG_REMOTE, RCV_RPC_PROG_KEEPALIVE..
 *  8      4    vers    program version (1 for both)
 *  12     4    proc    procedure number within the program
 *  16     4    type    enum rcv_rpc_type
 *  20     4    serial  CALL: chosen by the client; REPLY: the call's
 *  24     4    status  enum rcv_rpc_status
 *  28     ...  body    the procedure's args, ret, or a remote_error
 */
#ifndef SKYFERRY_RCV_RPC_H
#define SKYFERRY_RCV_RPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "transport/tp_error.h"

#define RCV_RPC_PROG_REMOTE    0x20008086u
#define RCV_RPC_PROG_KEEPALIVE 0x6b656570u /* "keep" */
#define RCV_RPC_VERS_REMOTE    1u
#define RCV_RPC_VERS_KEEPALIVE 1u
#define RCV_RPC_KEEPALIVE_PING 1 /* procedures of the keepalive program */
#define RCV_RPC_KEEPALIVE_PONG 2

/* Length word plus the six header words. */
#define RCV_RPC_HDR_LEN 28u
/*
 * Largest message, length word included: VIR_NET_MESSAGE_MAX (32 MiB since
 * libvirt raised it; older daemons refuse above 16 MiB themselves) plus
 * VIR_NET_MESSAGE_LEN_MAX, which VIR_NET_MESSAGE_MAX does not count.
 */
#define RCV_RPC_MSG_MAX (33554432u + 4u)

enum rcv_rpc_type {
	RCV_RPC_CALL = 0,           /* client -> server */
	RCV_RPC_REPLY = 1,          /* server -> client */
	RCV_RPC_MESSAGE = 2,        /* either way: events, keepalive */
	RCV_RPC_STREAM = 3,         /* either way: stream data */
	RCV_RPC_CALL_WITH_FDS = 4,  /* client -> server, passes fds */
	RCV_RPC_REPLY_WITH_FDS = 5, /* server -> client, passes fds */
	RCV_RPC_STREAM_HOLE = 6,    /* either way: sparse stream hole */
};

enum rcv_rpc_status {
	RCV_RPC_OK = 0,
	RCV_RPC_ERROR = 1,    /* a remote_error follows */
	RCV_RPC_CONTINUE = 2, /* streams: more data follows */
};

struct rcv_rpc_hdr {
	uint32_t len, prog, vers;
	int32_t proc, type;
	uint32_t serial;
	int32_t status;
};

/*
 * Decode the length word at word[0..3] into *len, checking it against
 * RCV_RPC_HDR_LEN and RCV_RPC_MSG_MAX before anyone reads that many bytes.
 * Returns 0, -EPROTO (too short) or -EMSGSIZE (too long).
 */
int rcv_rpc_len_decode(const uint8_t word[4], uint32_t *len,
                       struct tp_error *err);

/*
 * Decode the RCV_RPC_HDR_LEN bytes at hdr, the start of a message whose
 * body may not have arrived yet: checks the length word as above and that
 * type and status are known values. Returns 0, -EPROTO or -EMSGSIZE.
 */
int rcv_rpc_hdr_peek(const uint8_t *hdr, size_t hdr_len, struct rcv_rpc_hdr *h,
                     struct tp_error *err);

/*
 * msg: one whole message incl. its length word. Checks len against the
 * header minimum and libvirt's max, and that msg_len is exactly len.
 */
int rcv_rpc_hdr_decode(const uint8_t *msg, size_t msg_len,
                       struct rcv_rpc_hdr *h, struct tp_error *err);

/*
 * Name of an allowed procedure ("REMOTE_PROC_CONNECT_OPEN"...), or NULL when
 * not allowed. Keepalive procedures are allowed as MESSAGEs only, remote
 * ones as CALLs only; rcv_rpc_relay() checks the type.
 */
const char *rcv_rpc_allowed(uint32_t prog, int32_t proc);

/*
 * Encode a REPLY with status ERROR for call carrying a remote_error (code
 * VIR_ERR_OPERATION_DENIED, domain VIR_FROM_RPC, level VIR_ERR_ERROR,
 * message msg; msg may be NULL) into out[0..cap). Returns its length, or
 * -ENOSPC when cap is too small.
 */
ssize_t rcv_rpc_error_reply(const struct rcv_rpc_hdr *call, const char *msg,
                            uint8_t *out, size_t cap);

/* Bounds on typed parameter lists (REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX). */
#define RCV_RPC_PARAMS_MAX       64u
#define RCV_RPC_PARAM_NAME_MAX   79u        /* VIR_TYPED_PARAM_FIELD_LENGTH-1 */
#define RCV_RPC_PARAM_STRING_MAX (1u << 20) /* the domain XML fits */
#define RCV_RPC_COOKIE_MAX       4194304u   /* REMOTE_MIGRATE_COOKIE_MAX */

struct rcv_rpc_param {
	char *name;
	int type; /* VIR_TYPED_PARAM_* numbering */
	union {
		int64_t i;  /* INT, LLONG, BOOLEAN */
		uint64_t u; /* UINT, ULLONG */
		double d;
		char *s;
	} v;
};

struct rcv_rpc_params {
	struct rcv_rpc_param *p;
	size_t n;
	uint32_t cookie_len; /* bytes of cookie_in (not kept) */
	uint32_t flags;
};

/*
 * Decode the args of REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS (params<>,
 * cookie_in<>, flags); body is the bytes after the 28-byte header. Names
 * are 1..RCV_RPC_PARAM_NAME_MAX bytes, strings at most
 * RCV_RPC_PARAM_STRING_MAX, neither may hold a NUL; padding must be zero
 * and nothing may follow flags. The cookie is checked and skipped.
 * Returns 0, -EPROTO (malformed or truncated), -EMSGSIZE (over a bound) or
 * -ENOMEM. *out is the caller's on success only; free it with
 * rcv_rpc_params_clear().
 */
int rcv_rpc_prepare3_decode(const uint8_t *body, size_t body_len,
                            struct rcv_rpc_params *out, struct tp_error *err);

/*
 * The string value of the first parameter called name (the one libvirt
 * uses), or NULL if there is none or it is not a string.
 */
const char *rcv_rpc_params_string(const struct rcv_rpc_params *ps,
                                  const char *name);

/* Free what ps holds and empty it. ps may be NULL. */
void rcv_rpc_params_clear(struct rcv_rpc_params *ps);

/* Longest URI accepted in CONNECT_OPEN (libvirt's own bound is 4 MiB). */
#define RCV_RPC_URI_MAX 4096u

/*
 * Decode the args of REMOTE_PROC_CONNECT_OPEN (remote_connect_open_args:
 * an optional string, the URI the daemon is to open, then flags). *name
 * is NULL when the client sent none, else the caller's to free. The URI
 * is at most RCV_RPC_URI_MAX bytes without NUL; padding must be zero and
 * nothing may follow flags. Returns 0, -EPROTO, -EMSGSIZE or -ENOMEM.
 */
int rcv_rpc_connect_open_decode(const uint8_t *body, size_t body_len,
                                char **name, uint32_t *flags,
                                struct tp_error *err);

/*
 * The URI a libvirt client asks the daemon to open when it connects with
 * the local URI uri: the transport ("+unix") and the query (socket=...)
 * are the client's business and are not sent. "qemu+unix:///system?
 * socket=/x" gives "qemu:///system". Returns 0, -EINVAL when uri is not
 * a local URI (no RFC 3986 scheme, or a host part), -ENAMETOOLONG when
 * buf is too small.
 */
int rcv_rpc_uri_daemon_name(const char *uri, char *buf, size_t len);

/*
 * check: called for every allowed CALL before it is forwarded, with the
 * body (bytes after the header); returns 0 to forward it, or -EPERM with a
 * reason in why (then the caller gets an error reply and the refusal is
 * logged). log: one line per refusal or protocol violation, naming the
 * program, procedure number/name and reason. Either may be NULL.
 */
struct rcv_rpc_policy {
	int (*check)(void *arg, const struct rcv_rpc_hdr *h, const char *name,
	             const uint8_t *body, size_t body_len, char *why,
	             size_t why_len);
	void (*log)(void *arg, const char *line);
	void *arg;
};

/*
 * Pump bytes between client_fd (the remote peer, via the transport) and
 * daemon_fd (local libvirtd), both stream sockets, until either side closes
 * or errs. Daemon -> client bytes pass unchanged, but for the daemon's
 * keepalive PINGs, which the relay answers itself; error replies are put in
 * only between whole messages. Client -> daemon is parsed message by
 * message: allowed CALLs (after policy->check) and keepalive MESSAGEs pass,
 * any other CALL gets an error reply and is not forwarded, and any other
 * message type or a malformed or oversized header is a protocol violation
 * that is logged and ends the relay.
 *
 * Does not take the fds: the caller closes them, and another thread may
 * shutdown() them to end the relay. Blocks; meant for its own thread.
 * Returns 0 when a side closed between messages (what was queued for the
 * other side is written first), else -errno with err filled: -EPROTO for a
 * protocol violation, -ECONNRESET for a close in mid-message.
 */
int rcv_rpc_relay(int client_fd, int daemon_fd,
                  const struct rcv_rpc_policy *policy, struct tp_error *err);

#endif
