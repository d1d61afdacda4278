/*
 * plan.h: the migration plan that the migrator sends to the receiver, the
 * receiver's answer, and the small control messages after it.
 *
 * Each message is one JSON object of at most HV_PLAN_MSG_MAX bytes; framing
 * is the caller's. A decoder reads untrusted input: it rejects unknown keys,
 * missing or mistyped fields and out-of-range values, with a message naming
 * the field ("plan: disks[1].format 'vmdk' is not raw or qcow2"), and
 * returns -EMSGSIZE for an empty or oversized buffer, -EPROTO for any other
 * bad message, -ENOMEM. (jansson reports some failed allocations while
 * lexing as syntax errors, so memory pressure can also show as -EPROTO.)
 * Encoders check the same rules (-EINVAL) so that a bad message is caught
 * where it is made, and return -EMSGSIZE if the result would be too big.
 * Encoded strings are the caller's, freed with free().
 */
#ifndef SKYFERRY_HV_PLAN_H
#define SKYFERRY_HV_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypervisor/domxml.h"
#include "hypervisor/hv_error.h"
#include "hypervisor/hv_json.h"

#define HV_PLAN_VERSION      1
#define HV_PLAN_MSG_MAX      HV_JSON_MSG_MAX
#define HV_PLAN_NAME_MAX     64            /* characters */
#define HV_PLAN_MEMORY_MIN   1024ull       /* KiB: 1 MiB */
#define HV_PLAN_MEMORY_MAX   (16ull << 30) /* KiB: 16 TiB */
#define HV_PLAN_VCPUS_MAX    1024
#define HV_PLAN_DISK_MAX     (64ull << 40) /* bytes: 64 TiB */
#define HV_PLAN_CPU_XML_MAX  (16u << 10)   /* bytes */
#define HV_PLAN_PARALLEL_MAX 32
#define HV_PLAN_CHECKS_MAX   16

#define HV_PLAN_MEDIA_MAX 1024

/* resume_timeout_ms, when sent: 1 s .. 1 day */
#define HV_PLAN_RESUME_MIN_MS 1000u
#define HV_PLAN_RESUME_MAX_MS (24u * 3600u * 1000u)

/*
 * A plan's or an answer's resume_timeout_ms (the live plan's and the
 * xplan's): when set, or sent (0 means "not asked", so it is not sent), it
 * is HV_PLAN_RESUME_MIN_MS..MAX_MS. Read: get it from root and check it.
 */
int hv_plan_check_resume(const struct hv_json_ctx *c, unsigned int ms,
                         bool sent);
int hv_plan_read_resume(const struct hv_json_ctx *c, json_t *root,
                        unsigned int *ms);

struct hv_plan_disk {
	char target[32];       /* [a-z]+[0-9a-z]*, unique in the plan */
	char format[16];       /* raw|qcow2 */
	uint64_t virtual_size; /* bytes; > 0 unless shared */
	uint64_t allocation;   /* bytes; <= virtual_size + 1/8 + 1 GiB */
	bool shared;           /* shared storage: not copied */
	/* A read-only medium (shared): the file the destination must hold
	   at this clean absolute path, in its media directories; "" for any
	   other disk. Sent only when set, so older receivers see the plan
	   they knew. */
	char media[HV_PLAN_MEDIA_MAX];
};

struct hv_plan {
	unsigned int version; /* HV_PLAN_VERSION */
	char name[256];       /* [A-Za-z0-9_.+-], 1..64, not '.' or '-' first */
	char uuid[37];        /* canonical, lower case */
	char virt_type[16];   /* [a-z]+ */
	char arch[32];        /* [A-Za-z0-9_]+ */
	char machine[64];     /* [A-Za-z0-9_.+-]*, may be empty */
	uint64_t memory_kib;  /* HV_PLAN_MEMORY_MIN..HV_PLAN_MEMORY_MAX */
	unsigned int vcpus;   /* 1..HV_PLAN_VCPUS_MAX */
	char *cpu_xml;        /* owned, may be NULL; < HV_PLAN_CPU_XML_MAX */
	struct hv_plan_disk disks[HV_MAX_DISKS];
	size_t n_disks;
	char nic_macs[HV_MAX_NICS][18]; /* canonical unicast MACs */
	size_t n_nics;
	bool persistent, undefine_source, postcopy, dry_run;
	unsigned int parallel; /* 1..HV_PLAN_PARALLEL_MAX connections */
	/* The longest WAN outage the migrator rides out (transport resume
	   limit), HV_PLAN_RESUME_MIN_MS..MAX_MS; 0: not asked. Sent only
	   when set, as media. */
	unsigned int resume_timeout_ms;
	/* Recover a post-copy that failed: the destination holds the VM (and
	   the disks an earlier session made) and the source is paused; needs
	   postcopy. Sent only when true. */
	bool postcopy_resume;
};

struct hv_plan_answer_disk {
	char target[32]; /* a non-shared disk of the plan */
	char path[4096]; /* clean absolute path on the receiver */
	char format[16]; /* raw|qcow2 */
};

/*
 * error and checks are text for a person: the encoder replaces control
 * characters and invalid UTF-8 with '?', the decoder refuses them.
 */
struct hv_plan_answer {
	bool ok;
	char error[512]; /* why not, when !ok (required); "" when ok */
	char checks[HV_PLAN_CHECKS_MAX][160]; /* "cpu: compatible", ... */
	size_t n_checks;
	char session_dir[256]; /* per-session socket directory on the
	                          receiver: clean absolute path, or "" for a
	                          dry run; not sent when !ok */
	struct hv_plan_answer_disk disks[HV_MAX_DISKS]; /* not sent when !ok */
	size_t n_disks;
	/* The resume limit the receiver holds this session to, when the
	   plan asked for one: at most what it asked; 0: not said (not sent,
	   and not sent when !ok). */
	unsigned int resume_timeout_ms;
};

/* After the plan: {"type":"commit"}, {"type":"abort","reason":...},
 * {"type":"result","ok":true,"reason":...}. */
struct hv_ctl_msg {
	char type[16];    /* commit|abort|result */
	bool ok;          /* result only */
	char reason[512]; /* abort and result; may be empty; made printable
	                     by the encoder, refused unprintable on decode */
};

/*
 * Fill *plan from a parsed domain: identity, resources, CPU, the disks
 * that have a source (readonly or shareable ones marked shared, as libvirt
 * does not copy those; no driver type means raw) and the NIC MACs. Options
 * default to persistent, parallel 1. Disk sizes stay 0 for the caller to
 * fill. Checks every rule but the sizes: -EINVAL names the first field that
 * cannot be planned. *plan is the caller's on success only (hv_plan_clear).
 */
int hv_plan_from_domain(const struct hv_domain *dom, struct hv_plan *plan,
                        struct hv_error *err);

/* Check every rule a decoder applies; 0 or -EINVAL. */
int hv_plan_check(const struct hv_plan *plan, struct hv_error *err);

/* Encode a plan; returns a NUL-terminated string the caller frees. */
char *hv_plan_encode(const struct hv_plan *plan, struct hv_error *err);

/* Decode a plan. *plan is the caller's on success only (hv_plan_clear). */
int hv_plan_decode(const char *buf, size_t len, struct hv_plan *plan,
                   struct hv_error *err);

/* Free what plan owns and zero it. NULL-safe. */
void hv_plan_clear(struct hv_plan *plan);

/* Encode an answer; a refusal goes out without session_dir and disks. */
char *hv_plan_answer_encode(const struct hv_plan_answer *a,
                            struct hv_error *err);

/* Decode an answer; *a is left zeroed on failure. */
int hv_plan_answer_decode(const char *buf, size_t len, struct hv_plan_answer *a,
                          struct hv_error *err);

/*
 * Check a decoded answer against the plan it answers: it must be ok, and
 * map exactly the non-shared disks of plan, each once and in the planned
 * format, with a session_dir; for a dry run, no disks. 0 or -EPROTO.
 */
int hv_plan_answer_match(const struct hv_plan *plan,
                         const struct hv_plan_answer *a, struct hv_error *err);

/* Encode msg with the fields of its type only. */
char *hv_ctl_msg_encode(const struct hv_ctl_msg *msg, struct hv_error *err);

/* Decode a control message; *msg is left zeroed on failure. */
int hv_ctl_msg_decode(const char *buf, size_t len, struct hv_ctl_msg *msg,
                      struct hv_error *err);

#endif
