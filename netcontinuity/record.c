/*
 * record.c: the JSON codec of a tunnel end's record, the files that hold
 * records, and the undoing of what a record lists.
 *
 * A route or rule table of 0 (the main table, to netlink) is written as
 * 254 (RT_TABLE_MAIN), its number; a file holds a table of 1..2^32-1. So a
 * record that says table 0 reads back as 254, which names the same table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcontinuity/nc_json.h"
#include "netcontinuity/record.h"

#define RC_TABLE_MAIN 254 /* RT_TABLE_MAIN */
#define RC_VM_MAX     64
#define RC_VNI_MAX    16777215u
#define RC_ALNUM                                                               \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static const char *const rc_mode_names[] = {
	[NC_MODE_NONE] = "none",
	[NC_MODE_L2_EXTEND] = "l2-extend",
	[NC_MODE_L3] = "l3",
	[NC_MODE_ENCRYPTED] = "encrypted",
};

static const char *const rc_role_names[] = {
	[NC_ROLE_SOURCE] = "source",
	[NC_ROLE_DEST] = "dest",
};

static const char *const rc_state_names[] = {
	[NC_STATE_PREPARED] = "prepared",
	[NC_STATE_CUTOVER] = "cutover",
	[NC_STATE_COMMITTED] = "committed",
};

static const char *const rc_kind_names[] = {
	[NC_OBJ_LINK] = "link",           [NC_OBJ_ROUTE] = "route",
	[NC_OBJ_RULE] = "rule",           [NC_OBJ_NEIGH] = "neigh",
	[NC_OBJ_PROXY_ARP] = "proxy_arp",
};

#define RC_NAMES(a) (sizeof(a) / sizeof((a)[0]))

/* names[value], or "unknown" for a value without a name. */
static const char *rc_name(const char *const *names, size_t n, int value)
{
	if (value < 0 || (size_t)value >= n || !names[value])
		return "unknown";
	return names[value];
}

/* The value whose name is s, from first; -EINVAL if there is none. */
static int rc_parse(const char *const *names, size_t n, size_t first,
                    const char *s)
{
	size_t i;

	for (i = first; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -EINVAL;
}

const char *nc_mode_name(enum nc_mode mode)
{
	return rc_name(rc_mode_names, RC_NAMES(rc_mode_names), mode);
}

int nc_mode_parse(const char *s, enum nc_mode *mode)
{
	int v = rc_parse(rc_mode_names, RC_NAMES(rc_mode_names),
	                 NC_MODE_L2_EXTEND, s);

	if (v < 0)
		return v;
	*mode = (enum nc_mode)v;
	return 0;
}

const char *nc_role_name(enum nc_role role)
{
	return rc_name(rc_role_names, RC_NAMES(rc_role_names), role);
}

const char *nc_state_name(enum nc_state state)
{
	return rc_name(rc_state_names, RC_NAMES(rc_state_names), state);
}

void nc_tunnel_id_hex(const uint8_t id[NC_TUNNEL_ID_LEN], char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < NC_TUNNEL_ID_LEN; i++) {
		hex[2 * i] = digits[id[i] >> 4];
		hex[2 * i + 1] = digits[id[i] & 0xf];
	}
	hex[2 * NC_TUNNEL_ID_LEN] = '\0';
}

static int rc_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Either case; id is written only if all of hex is good. */
int nc_tunnel_id_parse(const char *hex, uint8_t id[NC_TUNNEL_ID_LEN])
{
	uint8_t raw[NC_TUNNEL_ID_LEN];
	int hi, lo;
	size_t i;

	if (!hex || strnlen(hex, NC_TUNNEL_ID_HEX) != NC_TUNNEL_ID_HEX - 1)
		return -EINVAL;
	for (i = 0; i < NC_TUNNEL_ID_LEN; i++) {
		hi = rc_hex_value(hex[2 * i]);
		lo = rc_hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(id, raw, sizeof(raw));
	return 0;
}

/* ----- checks shared by the encoder and the decoder ----- */

static bool rc_vm_ok(const char *s)
{
	size_t len = strlen(s);

	return len >= 1 && len <= RC_VM_MAX &&
	       strspn(s, RC_ALNUM "_.+-") == len;
}

static bool rc_mac_zero(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !memcmp(mac, zero, sizeof(zero));
}

/* An interface name; "" only if empty_ok. */
static int rc_check_ifname(const struct nc_json_ctx *c, const char *prefix,
                           const char *key, const char *name, bool empty_ok)
{
	char shown[48];

	if ((empty_ok && !name[0]) || nc_ifname_valid(name))
		return 0;
	return nc_json_fail(c, "%s%s '%s' is not an interface name", prefix,
	                    key, nc_json_quote(name, shown, sizeof(shown)));
}

/* An address of family (AF_INET or AF_INET6) with a prefix length. */
static int rc_check_prefix(const struct nc_json_ctx *c, const char *prefix,
                           const char *key, const struct nc_addr *a,
                           unsigned int len)
{
	if (!nc_addr_family_ok(a->family))
		return nc_json_fail(c, "%s%s has no address family", prefix,
		                    key);
	if (len > nc_addr_bits(a->family))
		return nc_json_fail(c, "%slen %u is not 0..%u", prefix, len,
		                    nc_addr_bits(a->family));
	return 0;
}

static int rc_check_route(const struct nc_json_ctx *c, const char *prefix,
                          const struct nc_route *r)
{
	int rc;

	rc = rc_check_prefix(c, prefix, "dst", &r->dst, r->dst_len);
	if (rc == 0)
		rc = rc_check_ifname(c, prefix, "dev", r->dev, false);
	if (rc == 0 && r->gw.family && r->gw.family != r->dst.family)
		rc =
		    nc_json_fail(c, "%sgw is not of the family of dst", prefix);
	return rc;
}

static int rc_check_rule(const struct nc_json_ctx *c, const char *prefix,
                         const struct nc_rule *r)
{
	int rc = 0;

	if (!nc_addr_family_ok(r->family))
		return nc_json_fail(c, "%sfamily %d is not inet or inet6",
		                    prefix, r->family);
	if (r->priority == 0)
		return nc_json_fail(c, "%spriority is 0", prefix);
	if (r->src.family != r->family)
		return nc_json_fail(c, "%ssrc is not of the rule's family",
		                    prefix);
	rc = rc_check_prefix(c, prefix, "src", &r->src, r->src_len);
	if (rc == 0)
		rc = rc_check_ifname(c, prefix, "iif", r->iif, true);
	return rc;
}

static int rc_check_neigh(const struct nc_json_ctx *c, const char *prefix,
                          const struct nc_neigh *n)
{
	int rc;

	if (!nc_addr_family_ok(n->addr.family))
		return nc_json_fail(c, "%saddr has no address family", prefix);
	rc = rc_check_ifname(c, prefix, "dev", n->dev, false);
	if (rc == 0 && n->proxy && !rc_mac_zero(n->mac))
		rc = nc_json_fail(c, "%smac is set on a proxy entry", prefix);
	if (rc == 0 && !n->proxy && rc_mac_zero(n->mac))
		rc = nc_json_fail(c, "%smac is missing or zero", prefix);
	return rc;
}

static int rc_check_obj(const struct nc_json_ctx *c, const struct nc_obj *o,
                        size_t i)
{
	char prefix[32];
	int rc;

	snprintf(prefix, sizeof(prefix), "objects[%zu].", i);
	switch (o->kind) {
	case NC_OBJ_LINK:
		return rc_check_ifname(c, prefix, "name", o->link, false);
	case NC_OBJ_ROUTE:
		return rc_check_route(c, prefix, &o->route);
	case NC_OBJ_RULE:
		return rc_check_rule(c, prefix, &o->rule);
	case NC_OBJ_NEIGH:
		return rc_check_neigh(c, prefix, &o->neigh);
	case NC_OBJ_PROXY_ARP:
		rc = rc_check_ifname(c, prefix, "dev", o->dev, false);
		if (rc == 0 && (o->old_value < 0 || o->old_value > 2 ||
		                o->new_value < 0 || o->new_value > 2))
			rc = nc_json_fail(c, "%sold %d or new %d is not 0..2",
			                  prefix, o->old_value, o->new_value);
		return rc;
	}
	return nc_json_fail(c, "%skind %d is not known", prefix, (int)o->kind);
}

static int rc_check_identity(const struct nc_json_ctx *c,
                             const struct nc_record *r)
{
	char shown[48];

	if (r->version != NC_RECORD_VERSION)
		return nc_json_fail(c,
		                    "version %u is not supported "
		                    "(expected %d)",
		                    r->version, NC_RECORD_VERSION);
	if (!nc_id_hex_ok(r->id))
		return nc_json_fail(c,
		                    "id '%s' is not 32 lower-case hex digits",
		                    nc_json_quote(r->id, shown, sizeof(shown)));
	if (r->mode < NC_MODE_L2_EXTEND || r->mode > NC_MODE_ENCRYPTED)
		return nc_json_fail(c, "mode %d is not known", (int)r->mode);
	if (r->role < NC_ROLE_SOURCE || r->role > NC_ROLE_DEST)
		return nc_json_fail(c, "role %d is not known", (int)r->role);
	if (r->state < NC_STATE_PREPARED || r->state > NC_STATE_COMMITTED)
		return nc_json_fail(c, "state %d is not known", (int)r->state);
	if (!rc_vm_ok(r->vm))
		return nc_json_fail(
		    c, "vm '%s' is not 1..%d of [A-Za-z0-9_.+-]",
		    nc_json_quote(r->vm, shown, sizeof(shown)), RC_VM_MAX);
	if (!nc_uuid_canonical(r->uuid))
		return nc_json_fail(
		    c, "uuid '%s' is not a canonical lower-case UUID",
		    nc_json_quote(r->uuid, shown, sizeof(shown)));
	if (!nc_mac_canonical(r->nic_mac))
		return nc_json_fail(
		    c, "nic '%s' is not a lower-case unicast MAC",
		    nc_json_quote(r->nic_mac, shown, sizeof(shown)));
	if (!nc_text_ok(r->peer))
		return nc_json_fail(c, "peer has a control character or is "
		                       "not UTF-8");
	return 0;
}

/* The underlay: required by the VXLAN modes, absent or both of one family
 * in the encrypted mode. */
static int rc_check_underlay(const struct nc_json_ctx *c,
                             const struct nc_record *r)
{
	bool vxlan = r->mode != NC_MODE_ENCRYPTED;

	if ((r->local.family && !nc_addr_family_ok(r->local.family)) ||
	    (r->remote.family && !nc_addr_family_ok(r->remote.family)))
		return nc_json_fail(c, "local or remote has a bad family");
	if (vxlan && (!r->local.family || !r->remote.family))
		return nc_json_fail(c, "mode %s needs local and remote",
		                    nc_mode_name(r->mode));
	if (r->local.family && r->remote.family &&
	    r->local.family != r->remote.family)
		return nc_json_fail(c, "local and remote are of different "
		                       "families");
	if (vxlan && (r->vni < 1 || r->vni > RC_VNI_MAX))
		return nc_json_fail(c, "vni %u is not 1..%u", r->vni,
		                    RC_VNI_MAX);
	if (vxlan && r->port == 0)
		return nc_json_fail(c, "port 0 is not 1..65535");
	if (!vxlan && (r->vni || r->port))
		return nc_json_fail(c,
		                    "vni %u and port %u are not 0 for mode "
		                    "encrypted",
		                    r->vni, r->port);
	return 0;
}

static int rc_check(const struct nc_json_ctx *c, const struct nc_record *r)
{
	size_t i;
	int rc;

	rc = rc_check_identity(c, r);
	if (rc == 0)
		rc = rc_check_underlay(c, r);
	if (rc == 0 && r->created < 0)
		rc = nc_json_fail(c, "created %lld is negative",
		                  (long long)r->created);
	if (rc == 0 && r->keeper < 0)
		rc = nc_json_fail(c, "keeper %d is negative", (int)r->keeper);
	if (rc == 0 && r->keeper &&
	    (r->mode != NC_MODE_ENCRYPTED || r->role != NC_ROLE_SOURCE))
		rc = nc_json_fail(c,
		                  "keeper %d is set but the record is not "
		                  "an encrypted source",
		                  (int)r->keeper);
	if (rc == 0 && r->n_objs > NC_RECORD_OBJS_MAX)
		rc = nc_json_fail(c, "%zu objects, at most %d", r->n_objs,
		                  NC_RECORD_OBJS_MAX);
	for (i = 0; rc == 0 && i < r->n_objs; i++)
		rc = rc_check_obj(c, &r->objs[i], i);
	return rc;
}

/* ----- decoding ----- */

static const char *const rc_keys[] = { "version", "id",      "mode", "role",
	                               "state",   "vm",      "uuid", "nic",
	                               "peer",    "vni",     "port", "created",
	                               "keeper",  "objects", NULL };
static const char *const rc_opt_keys[] = { "local", "remote", NULL };

static const char *const rc_link_keys[] = { "kind", "name", NULL };
static const char *const rc_route_keys[] = { "kind",   "dst",   "len", "dev",
	                                     "onlink", "table", NULL };
static const char *const rc_route_opt[] = { "gw", NULL };
static const char *const rc_rule_keys[] = {
	"kind", "family", "priority", "src", "len", "iif", "table", NULL
};
static const char *const rc_neigh_keys[] = { "kind", "addr", "dev", "proxy",
	                                     NULL };
static const char *const rc_neigh_opt[] = { "mac", NULL };
static const char *const rc_proxy_arp_keys[] = { "kind", "dev", "old", "new",
	                                         NULL };

/* An integer of 0..max into an unsigned int. */
static int rc_get_uint(const struct nc_json_ctx *c, json_t *obj,
                       const char *prefix, const char *key, int64_t min,
                       int64_t max, unsigned int *out)
{
	int64_t v;
	int rc = nc_json_get_int(c, obj, prefix, key, min, max, &v);

	if (rc == 0)
		*out = (unsigned int)v;
	return rc;
}

static int rc_read_route(const struct nc_json_ctx *c, json_t *v,
                         const char *prefix, struct nc_route *r)
{
	int rc;

	rc = nc_json_keys(c, v, prefix, rc_route_keys, rc_route_opt);
	if (rc == 0)
		rc = nc_json_get_addr(c, v, prefix, "dst", &r->dst);
	if (rc == 0)
		rc = rc_get_uint(c, v, prefix, "len", 0, 128, &r->dst_len);
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "dev", r->dev,
		                     sizeof(r->dev));
	if (rc == 0 && json_object_get(v, "gw"))
		rc = nc_json_get_addr(c, v, prefix, "gw", &r->gw);
	if (rc == 0)
		rc = nc_json_get_bool(c, v, prefix, "onlink", &r->onlink);
	if (rc == 0)
		rc = rc_get_uint(c, v, prefix, "table", 1, UINT32_MAX,
		                 &r->table);
	return rc;
}

static int rc_read_rule(const struct nc_json_ctx *c, json_t *v,
                        const char *prefix, struct nc_rule *r)
{
	char family[8], shown[48];
	int rc;

	rc = nc_json_keys(c, v, prefix, rc_rule_keys, NULL);
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "family", family,
		                     sizeof(family));
	if (rc == 0 && !strcmp(family, "inet"))
		r->family = AF_INET;
	else if (rc == 0 && !strcmp(family, "inet6"))
		r->family = AF_INET6;
	else if (rc == 0)
		rc = nc_json_fail(c, "%sfamily '%s' is not inet or inet6",
		                  prefix,
		                  nc_json_quote(family, shown, sizeof(shown)));
	if (rc == 0)
		rc = rc_get_uint(c, v, prefix, "priority", 0, UINT32_MAX,
		                 &r->priority);
	if (rc == 0)
		rc = nc_json_get_addr(c, v, prefix, "src", &r->src);
	if (rc == 0)
		rc = rc_get_uint(c, v, prefix, "len", 0, 128, &r->src_len);
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "iif", r->iif,
		                     sizeof(r->iif));
	if (rc == 0)
		rc = rc_get_uint(c, v, prefix, "table", 1, UINT32_MAX,
		                 &r->table);
	return rc;
}

static int rc_read_neigh(const struct nc_json_ctx *c, json_t *v,
                         const char *prefix, struct nc_neigh *n)
{
	char mac[NC_MAC_STRLEN], shown[48];
	int rc;

	rc = nc_json_keys(c, v, prefix, rc_neigh_keys, rc_neigh_opt);
	if (rc == 0)
		rc = nc_json_get_addr(c, v, prefix, "addr", &n->addr);
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "dev", n->dev,
		                     sizeof(n->dev));
	if (rc == 0)
		rc = nc_json_get_bool(c, v, prefix, "proxy", &n->proxy);
	if (rc < 0 || !json_object_get(v, "mac"))
		return rc;
	rc = nc_json_get_str(c, v, prefix, "mac", mac, sizeof(mac));
	/* The lower-case form only: a file says each thing one way. */
	if (rc == 0 && (strspn(mac, "0123456789abcdef:") != strlen(mac) ||
	                nc_mac_parse(mac, n->mac) < 0))
		rc = nc_json_fail(c, "%smac '%s' is not a lower-case MAC",
		                  prefix,
		                  nc_json_quote(mac, shown, sizeof(shown)));
	return rc;
}

static int rc_read_proxy_arp(const struct nc_json_ctx *c, json_t *v,
                             const char *prefix, struct nc_obj *o)
{
	int64_t value;
	int rc;

	rc = nc_json_keys(c, v, prefix, rc_proxy_arp_keys, NULL);
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "dev", o->dev,
		                     sizeof(o->dev));
	if (rc == 0)
		rc = nc_json_get_int(c, v, prefix, "old", 0, 2, &value);
	if (rc == 0) {
		o->old_value = (int)value;
		rc = nc_json_get_int(c, v, prefix, "new", 0, 2, &value);
	}
	if (rc == 0)
		o->new_value = (int)value;
	return rc;
}

static int rc_read_obj(const struct nc_json_ctx *c, json_t *v, size_t i,
                       struct nc_obj *o)
{
	char prefix[32], kind[16], shown[48];
	int rc;

	snprintf(prefix, sizeof(prefix), "objects[%zu]", i);
	rc = nc_json_want_object(c, v, prefix);
	snprintf(prefix, sizeof(prefix), "objects[%zu].", i);
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "kind", kind, sizeof(kind));
	if (rc < 0)
		return rc;
	rc =
	    rc_parse(rc_kind_names, RC_NAMES(rc_kind_names), NC_OBJ_LINK, kind);
	if (rc < 0)
		return nc_json_fail(c,
		                    "%skind '%s' is not link, route, rule, "
		                    "neigh or proxy_arp",
		                    prefix,
		                    nc_json_quote(kind, shown, sizeof(shown)));
	o->kind = (enum nc_obj_kind)rc;
	switch (o->kind) {
	case NC_OBJ_LINK:
		rc = nc_json_keys(c, v, prefix, rc_link_keys, NULL);
		if (rc == 0)
			rc = nc_json_get_str(c, v, prefix, "name", o->link,
			                     sizeof(o->link));
		return rc;
	case NC_OBJ_ROUTE:
		return rc_read_route(c, v, prefix, &o->route);
	case NC_OBJ_RULE:
		return rc_read_rule(c, v, prefix, &o->rule);
	case NC_OBJ_NEIGH:
		return rc_read_neigh(c, v, prefix, &o->neigh);
	case NC_OBJ_PROXY_ARP:
		return rc_read_proxy_arp(c, v, prefix, o);
	}
	return c->code; /* not reached: rc_parse knows the kinds */
}

/* A name out of names (from first) read from root[key]. */
static int rc_read_enum(const struct nc_json_ctx *c, json_t *root,
                        const char *key, const char *const *names, size_t n,
                        size_t first, int *out)
{
	char text[16], shown[48];
	int rc;

	rc = nc_json_get_str(c, root, "", key, text, sizeof(text));
	if (rc < 0)
		return rc;
	rc = rc_parse(names, n, first, text);
	if (rc < 0)
		return nc_json_fail(c, "%s '%s' is not known", key,
		                    nc_json_quote(text, shown, sizeof(shown)));
	*out = rc;
	return 0;
}

static int rc_read_head(const struct nc_json_ctx *c, json_t *root,
                        struct nc_record *r)
{
	int mode = 0, role = 0, state = 0;
	int rc;

	rc = nc_json_get_str(c, root, "", "id", r->id, sizeof(r->id));
	if (rc == 0)
		rc = rc_read_enum(c, root, "mode", rc_mode_names,
		                  RC_NAMES(rc_mode_names), NC_MODE_L2_EXTEND,
		                  &mode);
	if (rc == 0)
		rc = rc_read_enum(c, root, "role", rc_role_names,
		                  RC_NAMES(rc_role_names), NC_ROLE_SOURCE,
		                  &role);
	if (rc == 0)
		rc = rc_read_enum(c, root, "state", rc_state_names,
		                  RC_NAMES(rc_state_names), NC_STATE_PREPARED,
		                  &state);
	r->mode = (enum nc_mode)mode;
	r->role = (enum nc_role)role;
	r->state = (enum nc_state)state;
	if (rc == 0)
		rc = nc_json_get_str(c, root, "", "vm", r->vm, sizeof(r->vm));
	if (rc == 0)
		rc = nc_json_get_str(c, root, "", "uuid", r->uuid,
		                     sizeof(r->uuid));
	if (rc == 0)
		rc = nc_json_get_str(c, root, "", "nic", r->nic_mac,
		                     sizeof(r->nic_mac));
	if (rc == 0)
		rc = nc_json_get_str(c, root, "", "peer", r->peer,
		                     sizeof(r->peer));
	return rc;
}

static int rc_read(const struct nc_json_ctx *c, json_t *root,
                   struct nc_record *r)
{
	int64_t value = 0;
	json_t *arr = NULL;
	size_t i;
	int rc;

	/* "version" first: a newer writer may have fields this one lacks. */
	rc = rc_get_uint(c, root, "", "version", 0, UINT32_MAX, &r->version);
	if (rc == 0 && r->version != NC_RECORD_VERSION)
		rc =
		    nc_json_fail(c, "version %u is not supported (expected %d)",
		                 r->version, NC_RECORD_VERSION);
	if (rc == 0)
		rc = nc_json_keys(c, root, "", rc_keys, rc_opt_keys);
	if (rc == 0)
		rc = rc_read_head(c, root, r);
	if (rc == 0 && json_object_get(root, "local"))
		rc = nc_json_get_addr(c, root, "", "local", &r->local);
	if (rc == 0 && json_object_get(root, "remote"))
		rc = nc_json_get_addr(c, root, "", "remote", &r->remote);
	if (rc == 0)
		rc = rc_get_uint(c, root, "", "vni", 0, UINT32_MAX, &r->vni);
	if (rc == 0)
		rc =
		    nc_json_get_int(c, root, "", "port", 0, UINT16_MAX, &value);
	r->port = (uint16_t)value;
	if (rc == 0)
		rc = nc_json_get_int(c, root, "", "created", INT64_MIN,
		                     INT64_MAX, &r->created);
	if (rc == 0)
		rc = nc_json_get_int(c, root, "", "keeper", INT32_MIN,
		                     INT32_MAX, &value);
	if (rc == 0)
		r->keeper = (pid_t)value;
	if (rc == 0)
		rc = nc_json_get_array(c, root, "", "objects",
		                       NC_RECORD_OBJS_MAX, &arr, &r->n_objs);
	for (i = 0; rc == 0 && i < r->n_objs; i++)
		rc = rc_read_obj(c, json_array_get(arr, i), i, &r->objs[i]);
	return rc;
}

int nc_record_decode(const char *buf, size_t len, struct nc_record *rec,
                     struct nc_error *err)
{
	struct nc_json_ctx c = { "record", -EPROTO, err };
	json_t *root = NULL;
	int rc;

	memset(rec, 0, sizeof(*rec));
	rc = nc_json_load(&c, buf, len, NC_RECORD_FILE_MAX, NULL, &root);
	if (rc == 0)
		rc = rc_read(&c, root, rec);
	if (rc == 0)
		rc = rc_check(&c, rec);
	json_decref(root);
	if (rc < 0)
		memset(rec, 0, sizeof(*rec));
	return rc;
}

/* ----- encoding ----- */

/* obj[key] = v (taken); *failed if that did not work. */
static void rc_set(json_t *obj, const char *key, json_t *v, bool *failed)
{
	if (json_object_set_new(obj, key, v) < 0)
		*failed = true;
}

static json_t *rc_table_json(uint32_t table)
{
	return json_integer(table ? table : RC_TABLE_MAIN);
}

static void rc_route_json(json_t *o, const struct nc_route *r, bool *failed)
{
	rc_set(o, "dst", nc_json_addr(&r->dst), failed);
	rc_set(o, "len", json_integer(r->dst_len), failed);
	rc_set(o, "dev", json_string(r->dev), failed);
	if (r->gw.family)
		rc_set(o, "gw", nc_json_addr(&r->gw), failed);
	rc_set(o, "onlink", json_boolean(r->onlink), failed);
	rc_set(o, "table", rc_table_json(r->table), failed);
}

static void rc_rule_json(json_t *o, const struct nc_rule *r, bool *failed)
{
	rc_set(o, "family",
	       json_string(r->family == AF_INET ? "inet" : "inet6"), failed);
	rc_set(o, "priority", json_integer(r->priority), failed);
	rc_set(o, "src", nc_json_addr(&r->src), failed);
	rc_set(o, "len", json_integer(r->src_len), failed);
	rc_set(o, "iif", json_string(r->iif), failed);
	rc_set(o, "table", rc_table_json(r->table), failed);
}

static void rc_neigh_json(json_t *o, const struct nc_neigh *n, bool *failed)
{
	char mac[NC_MAC_STRLEN];

	rc_set(o, "addr", nc_json_addr(&n->addr), failed);
	rc_set(o, "dev", json_string(n->dev), failed);
	if (!n->proxy)
		rc_set(o, "mac",
		       json_string(nc_mac_format(n->mac, mac, sizeof(mac))),
		       failed);
	rc_set(o, "proxy", json_boolean(n->proxy), failed);
}

static json_t *rc_obj_json(const struct nc_obj *obj)
{
	json_t *o = json_object();
	bool failed = false;

	rc_set(o, "kind",
	       json_string(
	           rc_name(rc_kind_names, RC_NAMES(rc_kind_names), obj->kind)),
	       &failed);
	switch (obj->kind) {
	case NC_OBJ_LINK:
		rc_set(o, "name", json_string(obj->link), &failed);
		break;
	case NC_OBJ_ROUTE:
		rc_route_json(o, &obj->route, &failed);
		break;
	case NC_OBJ_RULE:
		rc_rule_json(o, &obj->rule, &failed);
		break;
	case NC_OBJ_NEIGH:
		rc_neigh_json(o, &obj->neigh, &failed);
		break;
	case NC_OBJ_PROXY_ARP:
		rc_set(o, "dev", json_string(obj->dev), &failed);
		rc_set(o, "old", json_integer(obj->old_value), &failed);
		rc_set(o, "new", json_integer(obj->new_value), &failed);
		break;
	}
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The JSON of a checked record; NULL if out of memory. */
static json_t *rc_json(const struct nc_record *r)
{
	json_t *o = json_object(), *objs = json_array();
	bool failed = false;
	size_t i;

	for (i = 0; i < r->n_objs; i++)
		nc_json_append(&objs, rc_obj_json(&r->objs[i]));
	rc_set(o, "version", json_integer(r->version), &failed);
	rc_set(o, "id", json_string(r->id), &failed);
	rc_set(o, "mode", json_string(nc_mode_name(r->mode)), &failed);
	rc_set(o, "role", json_string(nc_role_name(r->role)), &failed);
	rc_set(o, "state", json_string(nc_state_name(r->state)), &failed);
	rc_set(o, "vm", json_string(r->vm), &failed);
	rc_set(o, "uuid", json_string(r->uuid), &failed);
	rc_set(o, "nic", json_string(r->nic_mac), &failed);
	rc_set(o, "peer", json_string(r->peer), &failed);
	if (r->local.family)
		rc_set(o, "local", nc_json_addr(&r->local), &failed);
	if (r->remote.family)
		rc_set(o, "remote", nc_json_addr(&r->remote), &failed);
	rc_set(o, "vni", json_integer(r->vni), &failed);
	rc_set(o, "port", json_integer(r->port), &failed);
	rc_set(o, "created", json_integer(r->created), &failed);
	rc_set(o, "keeper", json_integer(r->keeper), &failed);
	rc_set(o, "objects", objs, &failed);
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Check and encode rec into *out (the caller's on success only). */
static int rc_encode(const struct nc_json_ctx *c, const struct nc_record *rec,
                     char **out)
{
	int rc = rc_check(c, rec);

	if (rc < 0)
		return rc;
	*out = nc_json_dump(c, rc_json(rec), NC_RECORD_FILE_MAX);
	if (!*out)
		return c->err && c->err->code ? c->err->code : -ENOMEM;
	return 0;
}

char *nc_record_encode(const struct nc_record *rec, struct nc_error *err)
{
	struct nc_error local = { 0 };
	struct nc_json_ctx c = { "record", -EINVAL, &local };
	char *out = NULL;
	int rc;

	rc = rc_encode(&c, rec, &out);
	if (rc < 0)
		nc_error_set(err, rc, "%s", local.msg);
	return out;
}

/* ----- files ----- */

/* DIR/<prefix><id><suffix> into path (PATH_MAX). */
static int rc_path(const char *dir, const char *prefix, const char *id,
                   const char *suffix, char *path, struct nc_error *err)
{
	int n = snprintf(path, PATH_MAX, "%s/%s%s%s", dir, prefix, id, suffix);

	if (n < 0 || n >= PATH_MAX)
		return nc_error_set(err, -ENAMETOOLONG,
		                    "record: directory name too long");
	return 0;
}

static int rc_check_id(const char *id, struct nc_error *err)
{
	char shown[48];

	if (id && nc_id_hex_ok(id))
		return 0;
	return nc_error_set(err, -EINVAL,
	                    "record: id '%s' is not 32 lower-case hex digits",
	                    id ? nc_json_quote(id, shown, sizeof(shown)) : "");
}

/* mkdir -p dir, new directories mode 0700. */
static int rc_mkdir(const char *dir, struct nc_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	char *p, saved;

	if (!dir || !dir[0])
		return nc_error_set(err, -EINVAL, "record: no directory");
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return nc_error_set(err, -ENAMETOOLONG,
		                    "record: directory name too long");
	for (p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return nc_error_set(err, -errno, "record: mkdir %s: %s",
			                    path, strerror(errno));
		*p = saved;
		if (!saved)
			break;
	}
	if (stat(dir, &st) < 0)
		return nc_error_set(err, -errno, "record: %s: %s", dir,
		                    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return nc_error_set(err, -ENOTDIR,
		                    "record: %s is not a directory", dir);
	return 0;
}

/* fsync a directory, so that a rename or unlink in it lasts. */
static int rc_sync_dir(const char *dir, struct nc_error *err)
{
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = nc_error_set(err, -errno, "record: sync %s: %s", dir,
		                  strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

static int rc_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write json to a new tmp (mode 0600), fsync it and close it. */
static int rc_write_tmp(const char *tmp, const char *json, struct nc_error *err)
{
	int fd, rc;

	if (unlink(tmp) < 0 && errno != ENOENT)
		return nc_error_set(err, -errno, "record: remove stale %s: %s",
		                    tmp, strerror(errno));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          0600);
	if (fd < 0)
		return nc_error_set(err, -errno, "record: create %s: %s", tmp,
		                    strerror(errno));
	rc = rc_write_all(fd, json, strlen(json));
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0) {
		nc_error_set(err, rc, "record: write %s: %s", tmp,
		             strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

int nc_record_save(const char *dir, const struct nc_record *rec,
                   struct nc_error *err)
{
	struct nc_error local = { 0 };
	struct nc_json_ctx c = { "record", -EINVAL, &local };
	char path[PATH_MAX], tmp[PATH_MAX];
	char *json = NULL;
	int rc;

	rc = rc_encode(&c, rec, &json);
	if (rc < 0) {
		nc_error_set(err, rc, "%s", local.msg);
		goto out;
	}
	rc = rc_mkdir(dir, err);
	if (rc == 0)
		rc = rc_path(dir, "", rec->id, ".json", path, err);
	if (rc == 0)
		rc = rc_path(dir, ".", rec->id, ".json.tmp", tmp, err);
	if (rc == 0)
		rc = rc_write_tmp(tmp, json, err);
	if (rc < 0)
		goto out;
	if (rename(tmp, path) < 0) {
		rc = nc_error_set(err, -errno, "record: rename %s: %s", tmp,
		                  strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = rc_sync_dir(dir, err);
out:
	free(json);
	return rc;
}

/*
 * Read and decode path, which must hold the record of id. The messages
 * (in err) do not name the path: the callers do.
 */
static int rc_load_path(const char *path, const char *id, struct nc_record *rec,
                        struct nc_error *err)
{
	char *buf = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	memset(rec, 0, sizeof(*rec));
	/* O_NONBLOCK: a FIFO in the directory must not hang the caller. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return nc_error_set(err, -ELOOP, "is a symbolic link");
	if (fd < 0)
		return nc_error_set(err, -errno, "%s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = nc_error_set(err, -errno, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = nc_error_set(err, -EPROTO, "is not a regular file");
		goto out;
	}
	if (st.st_size > (off_t)NC_RECORD_FILE_MAX) {
		rc = nc_error_set(err, -EMSGSIZE, "is %lld bytes, at most %u",
		                  (long long)st.st_size, NC_RECORD_FILE_MAX);
		goto out;
	}
	/* One byte more than allowed: a file that grew meanwhile shows. */
	buf = malloc(NC_RECORD_FILE_MAX + 1);
	if (!buf) {
		rc = nc_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	while (len <= NC_RECORD_FILE_MAX) {
		n = read(fd, buf + len, NC_RECORD_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = nc_error_set(err, -errno, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = nc_record_decode(buf, len, rec, err);
	if (rc == 0 && strcmp(rec->id, id)) {
		rc = nc_error_set(err, -EPROTO, "holds the record of id %s",
		                  rec->id);
		memset(rec, 0, sizeof(*rec));
	}
out:
	free(buf);
	close(fd);
	return rc;
}

int nc_record_load(const char *dir, const char *id, struct nc_record *rec,
                   struct nc_error *err)
{
	struct nc_error local = { 0 };
	char path[PATH_MAX];
	int rc;

	memset(rec, 0, sizeof(*rec));
	rc = rc_check_id(id, err);
	if (rc == 0)
		rc = rc_path(dir ? dir : "", "", id, ".json", path, err);
	if (rc < 0)
		return rc;
	rc = rc_load_path(path, id, rec, &local);
	if (rc < 0)
		nc_error_set(err, rc, "%s: %s", path, local.msg);
	return rc;
}

int nc_record_remove(const char *dir, const char *id, struct nc_error *err)
{
	char path[PATH_MAX];
	int rc;

	rc = rc_check_id(id, err);
	if (rc == 0)
		rc = rc_path(dir ? dir : "", "", id, ".json", path, err);
	if (rc < 0)
		return rc;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return nc_error_set(err, -errno, "record: remove %s: %s", path,
		                    strerror(errno));
	}
	return rc_sync_dir(dir, err);
}

/* The ids of the files in d named <32 lower-case hex>.json, sorted. */
struct rc_ids {
	char (*ids)[NC_TUNNEL_ID_HEX];
	size_t n, cap;
};

static int rc_ids_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int rc_ids_read(DIR *d, struct rc_ids *ids)
{
	struct dirent *de;
	void *grown;

	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (strlen(de->d_name) != NC_TUNNEL_ID_HEX - 1 + 5 ||
		    strcmp(de->d_name + NC_TUNNEL_ID_HEX - 1, ".json"))
			continue;
		if (ids->n == ids->cap) {
			ids->cap = ids->cap ? 2 * ids->cap : 16;
			grown =
			    reallocarray(ids->ids, ids->cap, sizeof(*ids->ids));
			if (!grown)
				return -ENOMEM;
			ids->ids = grown;
		}
		memcpy(ids->ids[ids->n], de->d_name, NC_TUNNEL_ID_HEX - 1);
		ids->ids[ids->n][NC_TUNNEL_ID_HEX - 1] = '\0';
		if (nc_id_hex_ok(ids->ids[ids->n]))
			ids->n++;
	}
	if (errno)
		return -errno;
	qsort(ids->ids, ids->n, sizeof(*ids->ids), rc_ids_cmp);
	return 0;
}

int nc_record_foreach(const char *dir,
                      int (*fn)(void *arg, const struct nc_record *rec),
                      void (*bad)(void *arg, const char *path, const char *why),
                      void *arg, struct nc_error *err)
{
	struct rc_ids ids = { NULL, 0, 0 };
	struct nc_record *rec = NULL;
	struct nc_error local;
	char path[PATH_MAX];
	DIR *d;
	size_t i;
	int rc;

	d = opendir(dir ? dir : "");
	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return nc_error_set(err, -errno, "record: open %s: %s", dir,
		                    strerror(errno));
	rc = rc_ids_read(d, &ids);
	closedir(d);
	if (rc < 0) {
		nc_error_set(err, rc, "record: read %s: %s", dir,
		             strerror(-rc));
		goto out;
	}
	rec = malloc(sizeof(*rec));
	if (!rec) {
		rc = nc_error_set(err, -ENOMEM, "record: out of memory");
		goto out;
	}
	for (i = 0; i < ids.n; i++) {
		rc = rc_path(dir, "", ids.ids[i], ".json", path, err);
		if (rc < 0)
			goto out;
		memset(&local, 0, sizeof(local));
		rc = rc_load_path(path, ids.ids[i], rec, &local);
		if (rc == -ENOMEM) {
			nc_error_set(err, rc, "%s: %s", path, local.msg);
			goto out;
		}
		if (rc == -ENOENT)
			continue; /* removed since the directory was read */
		if (rc < 0) {
			if (bad)
				bad(arg, path, local.msg);
			continue;
		}
		rc = fn(arg, rec);
		if (rc)
			goto out;
	}
	rc = 0;
out:
	free(rec);
	free(ids.ids);
	return rc;
}

int nc_record_add_obj(const char *dir, struct nc_record *rec,
                      const struct nc_obj *obj, struct nc_error *err)
{
	int rc;

	if (rec->n_objs >= NC_RECORD_OBJS_MAX)
		return nc_error_set(err, -ENOSPC,
		                    "record %s: full (%d objects)", rec->id,
		                    NC_RECORD_OBJS_MAX);
	rec->objs[rec->n_objs++] = *obj;
	rc = nc_record_save(dir, rec, err);
	if (rc < 0)
		memset(&rec->objs[--rec->n_objs], 0, sizeof(*obj));
	return rc;
}

int nc_record_drop_last(const char *dir, struct nc_record *rec,
                        struct nc_error *err)
{
	struct nc_obj last;
	int rc;

	if (rec->n_objs == 0)
		return nc_error_set(err, -EINVAL,
		                    "record %s: no object to drop", rec->id);
	last = rec->objs[--rec->n_objs];
	memset(&rec->objs[rec->n_objs], 0, sizeof(last));
	rc = nc_record_save(dir, rec, err);
	if (rc < 0)
		rec->objs[rec->n_objs++] = last;
	return rc;
}

/* ----- undo ----- */

/* Put proxy_arp back if nobody changed it since. */
static int rc_undo_proxy_arp(struct nc_nl *nl, const struct nc_obj *o,
                             struct nc_error *err)
{
	int value = -1;
	int rc;

	rc = nc_link_proxy_arp_get(nl, o->dev, &value, err);
	if (rc < 0 || value != o->new_value)
		return rc;
	return nc_link_proxy_arp_set(nl, o->dev, o->old_value, err);
}

static int rc_undo_obj(struct nc_nl *nl, const struct nc_obj *o,
                       struct nc_error *err)
{
	int rc;

	switch (o->kind) {
	case NC_OBJ_LINK:
		rc = nc_link_delete(nl, o->link, err);
		break;
	case NC_OBJ_ROUTE:
		rc = nc_route_del(nl, &o->route, err);
		break;
	case NC_OBJ_RULE:
		rc = nc_rule_del(nl, &o->rule, err);
		break;
	case NC_OBJ_NEIGH:
		rc = nc_neigh_del(nl, &o->neigh, err);
		break;
	case NC_OBJ_PROXY_ARP:
		rc = rc_undo_proxy_arp(nl, o, err);
		break;
	default:
		rc = nc_error_set(err, -EINVAL, "record: object kind %d",
		                  (int)o->kind);
	}
	/* Whatever lived on a link that is gone went with it. */
	return rc == -ENODEV ? 0 : rc;
}

int nc_record_undo(struct nc_nl *nl, const struct nc_record *rec,
                   struct nc_error *err)
{
	struct nc_error local;
	size_t i;
	int rc, first = 0;

	for (i = rec->n_objs; i-- > 0;) {
		memset(&local, 0, sizeof(local));
		rc = rc_undo_obj(nl, &rec->objs[i], &local);
		if (rc < 0 && first == 0)
			first = nc_error_set(err, rc, "%s", local.msg);
	}
	return first;
}
