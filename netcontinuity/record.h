/*
 * record.h: what a tunnel created, kept on disk so that teardown removes
 * exactly those objects, after a restart too.
 *
 * Each tunnel end is one JSON file, DIR/<id>.json, mode 0600, replaced
 * atomically (write to a temporary file, fsync, rename). An object is
 * recorded before it is created, so that a crash between the two leaves a
 * record whose teardown finds the object gone (not an error) rather than an
 * object nobody knows of. The decoder reads a file that may have been
 * damaged: it rejects unknown keys, missing or mistyped fields and
 * out-of-range values with a message naming the field, and files larger
 * than NC_RECORD_FILE_MAX.
 */
#ifndef SKYFERRY_NC_RECORD_H
#define SKYFERRY_NC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netcontinuity/frame.h"
#include "netcontinuity/nc_addr.h"
#include "netcontinuity/nc_error.h"
#include "netcontinuity/nl.h"

#define NC_RECORD_VERSION  1
#define NC_RECORD_OBJS_MAX 64
#define NC_RECORD_FILE_MAX (256u << 10)
#define NC_TUNNEL_ID_HEX   (2 * NC_TUNNEL_ID_LEN + 1)

enum nc_mode {
	NC_MODE_NONE = 0,
	NC_MODE_L2_EXTEND, /* "l2-extend" */
	NC_MODE_L3,        /* "l3" */
	NC_MODE_ENCRYPTED, /* "encrypted" */
};

enum nc_role {
	NC_ROLE_SOURCE = 1, /* "source": where the VM was */
	NC_ROLE_DEST,       /* "dest": where it went */
};

enum nc_state {
	NC_STATE_PREPARED = 1, /* "prepared": up, before switchover */
	NC_STATE_CUTOVER,      /* "cutover": traffic follows the VM */
	NC_STATE_COMMITTED,    /* "committed": the migration finished */
};

enum nc_obj_kind {
	NC_OBJ_LINK = 1,  /* {"kind":"link","name":...} */
	NC_OBJ_ROUTE,     /* {"kind":"route","dst","len","dev","gw"?,
	                      "onlink","table"} */
	NC_OBJ_RULE,      /* {"kind":"rule","family","priority","src","len",
	                      "iif","table"} */
	NC_OBJ_NEIGH,     /* {"kind":"neigh","addr","dev","mac"?,"proxy"} */
	NC_OBJ_PROXY_ARP, /* {"kind":"proxy_arp","dev","old","new"} */
};

struct nc_obj {
	enum nc_obj_kind kind;
	char link[NC_IFNAME_MAX]; /* NC_OBJ_LINK */
	struct nc_route route;    /* NC_OBJ_ROUTE */
	struct nc_rule rule;      /* NC_OBJ_RULE */
	struct nc_neigh neigh;    /* NC_OBJ_NEIGH */
	char dev[NC_IFNAME_MAX];  /* NC_OBJ_PROXY_ARP */
	int old_value, new_value; /* NC_OBJ_PROXY_ARP: 0..2 */
};

struct nc_record {
	unsigned int version;      /* NC_RECORD_VERSION */
	char id[NC_TUNNEL_ID_HEX]; /* 32 lower-case hex digits */
	enum nc_mode mode;
	enum nc_role role;
	enum nc_state state;
	char vm[256];                 /* VM name: [A-Za-z0-9_.+-], 1..64 */
	char uuid[37];                /* canonical, lower case */
	char nic_mac[NC_MAC_STRLEN];  /* the VM NIC this tunnel serves */
	char peer[256];               /* the other end, printable, for people */
	struct nc_addr local, remote; /* underlay */
	uint32_t vni;                 /* 0 for encrypted */
	uint16_t port;                /* 0 for encrypted */
	int64_t created;              /* Unix seconds */
	pid_t keeper;                 /* encrypted, source: the process that
	                                 carries the frames; 0 otherwise */
	struct nc_obj objs[NC_RECORD_OBJS_MAX];
	size_t n_objs;
};

const char *nc_mode_name(enum nc_mode mode); /* "l2-extend", ..., "none" */
int nc_mode_parse(const char *s, enum nc_mode *mode); /* 0 or -EINVAL */
const char *nc_role_name(enum nc_role role);
const char *nc_state_name(enum nc_state state);

/* Lower-case hex of a raw tunnel id into hex (NC_TUNNEL_ID_HEX bytes). */
void nc_tunnel_id_hex(const uint8_t id[NC_TUNNEL_ID_LEN], char *hex);
/* 32 hex digits into raw bytes; 0 or -EINVAL. */
int nc_tunnel_id_parse(const char *hex, uint8_t id[NC_TUNNEL_ID_LEN]);

/* Encode; NUL-terminated string the caller frees, or NULL with err. */
char *nc_record_encode(const struct nc_record *rec, struct nc_error *err);

/* Decode; *rec is zeroed on failure. -EMSGSIZE (empty or too big),
 * -EPROTO (anything else wrong), -ENOMEM. */
int nc_record_decode(const char *buf, size_t len, struct nc_record *rec,
                     struct nc_error *err);

/* Write DIR/<id>.json atomically (creating DIR, mode 0700, if needed). */
int nc_record_save(const char *dir, const struct nc_record *rec,
                   struct nc_error *err);

/* Read DIR/<id>.json. -ENOENT if there is none. */
int nc_record_load(const char *dir, const char *id, struct nc_record *rec,
                   struct nc_error *err);

/* Remove DIR/<id>.json; 0 if it is already gone. */
int nc_record_remove(const char *dir, const char *id, struct nc_error *err);

/*
 * Call fn for each record in DIR, in id order. A file that does not
 * decode is reported through bad (may be NULL) with its path and the
 * reason, and skipped. A missing DIR is an empty list. Stops early and
 * returns fn's value if it returns non-zero.
 */
int nc_record_foreach(const char *dir,
                      int (*fn)(void *arg, const struct nc_record *rec),
                      void (*bad)(void *arg, const char *path, const char *why),
                      void *arg, struct nc_error *err);

/*
 * Append obj and save the record (record before create). -ENOSPC if the
 * record is full.
 */
int nc_record_add_obj(const char *dir, struct nc_record *rec,
                      const struct nc_obj *obj, struct nc_error *err);

/* Drop the last object (it turned out not to be ours) and save. */
int nc_record_drop_last(const char *dir, struct nc_record *rec,
                        struct nc_error *err);

/*
 * Undo every object, newest first: delete links, routes, rules and
 * neighbour entries, and put proxy_arp back to old_value if it still holds
 * new_value. Objects already gone are fine. Keeps going after a failure;
 * returns the first error. The file itself is left to the caller.
 */
int nc_record_undo(struct nc_nl *nl, const struct nc_record *rec,
                   struct nc_error *err);

#endif
