/*
 * wanem_spec: the settings language of the lab's WAN emulator.
 *
 * Values (rate, delay, loss, queue limit), profile names and control
 * requests are parsed here into plain structs. Nothing here prints or
 * allocates; errors go into a buffer the caller passes.
 */
#ifndef WANEM_SPEC_H
#define WANEM_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* Room for any error message this subsystem produces. */
#define WANEM_ERR_MAX 256

/* Control requests: "wanem/1 <command> <args>", one message each. */
#define WANEM_PROTO      "wanem/1"
#define WANEM_REQ_MAX    1024
#define WANEM_REPLY_MAX  4096
#define WANEM_TOKENS_MAX 16

/* Hard bounds on settings; anything outside is a parse error. */
#define WANEM_RATE_MAX  100000000000ull /* 100 Gbit/s */
#define WANEM_DELAY_MAX 10000000000ull  /* 10 s one way */
#define WANEM_LOSS_ONE  1000000000u     /* 100% in parts per billion */
#define WANEM_LIMIT_MIN 1514ull         /* one full frame */
#define WANEM_LIMIT_MAX (64ull << 20)
#define WANEM_CUT_MAX   3600000000000ull /* one hour */

/* Directions: east->west and west->east. */
enum wanem_dir {
	WANEM_EW = 0,
	WANEM_WE = 1,
	WANEM_NDIRS = 2,
};

#define WANEM_DIRMASK_EW   (1u << WANEM_EW)
#define WANEM_DIRMASK_WE   (1u << WANEM_WE)
#define WANEM_DIRMASK_BOTH (WANEM_DIRMASK_EW | WANEM_DIRMASK_WE)

/* The settings of one direction of the link. */
struct wanem_link {
	uint64_t rate_bps;    /* bits per second of Ethernet frame; 0 = none */
	uint64_t delay_ns;    /* one-way propagation delay */
	uint32_t loss_ppb;    /* random loss, parts per billion */
	uint64_t limit_bytes; /* tail-drop queue limit; 0 = automatic */
};

/* Which fields of a "set" request were given. */
#define WANEM_SET_RATE  0x1u
#define WANEM_SET_DELAY 0x2u
#define WANEM_SET_LOSS  0x4u
#define WANEM_SET_LIMIT 0x8u

enum wanem_cmd {
	WANEM_CMD_SET = 1,
	WANEM_CMD_PROFILE,
	WANEM_CMD_CUT,
	WANEM_CMD_SHOW,
};

/* A parsed control request. */
struct wanem_req {
	enum wanem_cmd cmd;
	unsigned int dirs;      /* WANEM_DIRMASK_*, for set */
	unsigned int fields;    /* WANEM_SET_*, for set */
	struct wanem_link link; /* the given fields, for set */
	int profile;            /* profile index, for profile */
	uint64_t cut_ns;        /* duration, for cut */
};

/*
 * Value parsers. Each returns 0 and stores the value, or -EINVAL and
 * writes "bad <what> '<text>': <expected>" into err.
 */
int wanem_rate_parse(const char *text, uint64_t *bps, char *err, size_t errlen);
int wanem_delay_parse(const char *text, uint64_t *ns, char *err, size_t errlen);
int wanem_loss_parse(const char *text, uint32_t *ppb, char *err, size_t errlen);
int wanem_limit_parse(const char *text, uint64_t *bytes, char *err,
                      size_t errlen);
int wanem_cut_parse(const char *text, uint64_t *ns, char *err, size_t errlen);

/*
 * Profiles. The RTT of a profile is split half and half between the two
 * directions; its loss applies to each direction on its own.
 * wanem_profile_find returns the index of name, or -EINVAL with err set.
 */
int wanem_profile_find(const char *name, char *err, size_t errlen);
const char *wanem_profile_name(int index);
void wanem_profile_link(int index, struct wanem_link *link);
int wanem_profile_count(void);

/*
 * Parses a "set" argument list (["dir=ew", "rate=1gbit", ...]) into req.
 * Used both for the control protocol and the command line.
 */
int wanem_set_parse(int argc, char *const argv[], struct wanem_req *req,
                    char *err, size_t errlen);

/*
 * Parses one control request of len bytes (not NUL-terminated, any bytes).
 * Returns 0 with *req filled, or -EINVAL / -EMSGSIZE with err set.
 */
int wanem_req_parse(const char *msg, size_t len, struct wanem_req *req,
                    char *err, size_t errlen);

#endif
