/*
 * wanem_ctl: the emulator's state as the control protocol sees it, and the
 * execution of control requests against it.
 *
 * Protocol (unix SOCK_SEQPACKET, one request and one reply per connection):
 *   request: "wanem/1 set [dir=ew|we|both] rate=.. delay=.. loss=.. limit=.."
 *            "wanem/1 profile lan|metro|wan|far"
 *            "wanem/1 cut SECONDS"
 *            "wanem/1 show"
 *   reply:   "ok\n" then key=value lines, or "error: <message>\n".
 */
#ifndef WANEM_CTL_H
#define WANEM_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wanem_shaper.h"
#include "wanem_spec.h"

struct wanem_state {
	struct wanem_shaper dir[WANEM_NDIRS];
	int profile;           /* index, or -1 after a set */
	uint64_t cut_until_ns; /* the link is cut before this time */
	uint64_t cuts;         /* cut requests so far */
};

/* Starts with profile index on both directions. */
void wanem_state_init(struct wanem_state *st, int profile, uint64_t seed);

static inline bool wanem_state_cut(const struct wanem_state *st,
                                   uint64_t now_ns)
{
	return now_ns < st->cut_until_ns;
}

/* Applies a parsed request. */
void wanem_ctl_apply(struct wanem_state *st, const struct wanem_req *req,
                     uint64_t now_ns);

/*
 * Parses and applies one request message, and writes the full reply into
 * reply. Returns 0, or -errno for a bad request (reply holds the error).
 */
int wanem_ctl_handle(struct wanem_state *st, const char *msg, size_t len,
                     uint64_t now_ns, char *reply, size_t replylen);

/* Writes the show reply body (key=value lines). */
void wanem_ctl_show(const struct wanem_state *st, uint64_t now_ns, char *buf,
                    size_t buflen);

/* "rate=100mbit delay=25ms loss=0.1% limit=auto(1250000)" */
void wanem_link_format(const struct wanem_shaper *sh, char *buf, size_t buflen);

/* The key prefix of a direction: "ew" or "we". */
const char *wanem_dir_name(int dir);

#endif
