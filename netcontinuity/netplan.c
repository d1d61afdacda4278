/*
 * netplan.c: JSON codec for the network plan and its answer, with the
 * rules a receiver applies to an untrusted plan (see netplan.h).
 *
 * Decoding reads the JSON into the fixed structure (every key known,
 * present and of the right type, every string fitting its buffer), then
 * checks the structure with the functions the encoders use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netcontinuity/nc_json.h"
#include "netcontinuity/netplan.h"

#define NP_VNI_MAX 16777215u
#define NP_MTU_MIN 576
#define NP_MTU_MAX 65535

/* ----- checks shared by encoders and decoders ----- */

/* list[0..n-1]: addresses of a family each, none twice. */
static int np_check_addrs(const struct nc_json_ctx *c, const char *prefix,
                          const char *key, const struct nc_addr *list, size_t n,
                          size_t max)
{
	size_t i, j;

	if (n > max)
		return nc_json_fail(c, "%s%s has %zu entries, at most %zu",
		                    prefix, key, n, max);
	for (i = 0; i < n; i++) {
		if (!nc_addr_family_ok(list[i].family))
			return nc_json_fail(c,
			                    "%s%s[%zu] has no address "
			                    "family",
			                    prefix, key, i);
		for (j = 0; j < i; j++)
			if (nc_addr_equal(&list[i], &list[j]))
				return nc_json_fail(c,
				                    "%s%s[%zu] appears twice",
				                    prefix, key, i);
	}
	return 0;
}

static int np_check_vxlan(const struct nc_json_ctx *c, const char *prefix,
                          const struct nc_nic_plan *n)
{
	if (n->mode == NC_MODE_ENCRYPTED) {
		if (n->vni || n->port)
			return nc_json_fail(
			    c,
			    "%svni %u and port %u are not 0 for "
			    "mode encrypted",
			    prefix, n->vni, n->port);
		return 0;
	}
	if (n->vni < 1 || n->vni > NP_VNI_MAX)
		return nc_json_fail(c, "%svni %u is not 1..%u", prefix, n->vni,
		                    NP_VNI_MAX);
	if (n->port == 0)
		return nc_json_fail(c, "%sport 0 is not 1..65535", prefix);
	return 0;
}

static int np_check_nic(const struct nc_json_ctx *c,
                        const struct nc_net_plan *p, size_t i)
{
	const struct nc_nic_plan *n = &p->nics[i], *o;
	char prefix[32], shown[48];
	size_t j;
	int rc;

	snprintf(prefix, sizeof(prefix), "nics[%zu].", i);
	if (!nc_mac_canonical(n->mac))
		return nc_json_fail(
		    c,
		    "%smac '%s' is not a lower-case unicast "
		    "MAC",
		    prefix, nc_json_quote(n->mac, shown, sizeof(shown)));
	if (n->mode < NC_MODE_L2_EXTEND || n->mode > NC_MODE_ENCRYPTED)
		return nc_json_fail(c, "%smode %d is not known", prefix,
		                    (int)n->mode);
	if (!nc_ifname_valid(n->bridge))
		return nc_json_fail(
		    c, "%sbridge '%s' is not an interface name", prefix,
		    nc_json_quote(n->bridge, shown, sizeof(shown)));
	if (!nc_id_hex_ok(n->tunnel))
		return nc_json_fail(
		    c, "%stunnel '%s' is not 32 lower-case hex digits", prefix,
		    nc_json_quote(n->tunnel, shown, sizeof(shown)));
	rc = np_check_vxlan(c, prefix, n);
	if (rc < 0)
		return rc;
	if (n->mtu < NP_MTU_MIN || n->mtu > NP_MTU_MAX)
		return nc_json_fail(c, "%smtu %u is not %d..%d", prefix, n->mtu,
		                    NP_MTU_MIN, NP_MTU_MAX);
	rc = np_check_addrs(c, prefix, "ips", n->ips, n->n_ips, NC_NIC_IPS_MAX);
	if (rc == 0)
		rc = np_check_addrs(c, prefix, "peers", n->peers, n->n_peers,
		                    NC_NIC_PEERS_MAX);
	if (rc == 0 && n->mode == NC_MODE_L3 && n->n_ips == 0)
		rc = nc_json_fail(c,
		                  "%sips is empty: mode l3 routes the VM's "
		                  "addresses",
		                  prefix);
	if (rc == 0 && n->mode != NC_MODE_L3 && n->n_peers)
		rc = nc_json_fail(c, "%speers are for mode l3 only", prefix);
	for (j = 0; rc == 0 && j < i; j++) {
		o = &p->nics[j];
		if (!strcmp(o->mac, n->mac))
			rc = nc_json_fail(c, "%smac %s appears twice", prefix,
			                  n->mac);
		else if (!strcmp(o->tunnel, n->tunnel))
			rc = nc_json_fail(c, "%stunnel %s appears twice",
			                  prefix, n->tunnel);
		else if (n->vni && o->vni == n->vni && o->port == n->port)
			rc = nc_json_fail(c,
			                  "%svni %u on port %u is nics[%zu]'s",
			                  prefix, n->vni, n->port, j);
	}
	return rc;
}

static int np_check_plan(const struct nc_json_ctx *c,
                         const struct nc_net_plan *p)
{
	size_t i;
	int rc = 0;

	if (!nc_addr_family_ok(p->underlay.family))
		return nc_json_fail(c, "underlay has no address family");
	if (p->n_nics < 1 || p->n_nics > NC_NICS_MAX)
		return nc_json_fail(c, "%zu nics, expected 1..%d", p->n_nics,
		                    NC_NICS_MAX);
	for (i = 0; rc == 0 && i < p->n_nics; i++)
		rc = np_check_nic(c, p, i);
	return rc;
}

/* The rules both sides apply to an answer; a refusal's nics are not
 * looked at (the encoder leaves them out, the decoder refuses them). */
static int np_check_answer(const struct nc_json_ctx *c,
                           const struct nc_net_answer *a)
{
	const struct nc_nic_answer *n;
	char shown[48];
	size_t i, j;

	if (a->ok && a->error[0])
		return nc_json_fail(c, "ok is true but error is set");
	if (!a->ok && !a->error[0])
		return nc_json_fail(c, "ok is false but error is empty");
	if (a->n_checks > NC_NETPLAN_CHECKS_MAX)
		return nc_json_fail(c, "%zu checks, at most %d", a->n_checks,
		                    NC_NETPLAN_CHECKS_MAX);
	if (!a->ok)
		return 0;
	if (!nc_addr_family_ok(a->underlay.family))
		return nc_json_fail(c, "underlay has no address family");
	if (a->n_nics < 1 || a->n_nics > NC_NICS_MAX)
		return nc_json_fail(c, "%zu nics, expected 1..%d", a->n_nics,
		                    NC_NICS_MAX);
	for (i = 0; i < a->n_nics; i++) {
		n = &a->nics[i];
		if (!nc_mac_canonical(n->mac))
			return nc_json_fail(
			    c,
			    "nics[%zu].mac '%s' is not a lower-case unicast "
			    "MAC",
			    i, nc_json_quote(n->mac, shown, sizeof(shown)));
		if (!nc_ifname_valid(n->dev))
			return nc_json_fail(
			    c, "nics[%zu].dev '%s' is not an interface name", i,
			    nc_json_quote(n->dev, shown, sizeof(shown)));
		for (j = 0; j < i; j++) {
			if (!strcmp(a->nics[j].mac, n->mac))
				return nc_json_fail(
				    c, "nics[%zu].mac %s appears twice", i,
				    n->mac);
			if (!strcmp(a->nics[j].dev, n->dev))
				return nc_json_fail(
				    c, "nics[%zu].dev %s appears twice", i,
				    n->dev);
		}
	}
	return 0;
}

/* What only a decoder checks: what the encoder makes printable. */
static int np_check_answer_text(const struct nc_json_ctx *c,
                                const struct nc_net_answer *a)
{
	size_t i;

	if (!nc_text_ok(a->error))
		return nc_json_fail(c, "error has a control character or is "
		                       "not UTF-8");
	for (i = 0; i < a->n_checks; i++)
		if (!nc_text_ok(a->checks[i]))
			return nc_json_fail(
			    c,
			    "checks[%zu] has a control character "
			    "or is not UTF-8",
			    i);
	return 0;
}

/* ----- plan ----- */

static const char *const np_plan_keys[] = { "type", "underlay", "nics", NULL };
static const char *const np_nic_keys[] = { "mac",   "mode", "bridge", "tunnel",
	                                   "vni",   "port", "mtu",    "ips",
	                                   "peers", NULL };
/* Encrypted: no VXLAN, no vni and port. */
static const char *const np_nic_keys_enc[] = { "mac",    "mode", "bridge",
	                                       "tunnel", "mtu",  "ips",
	                                       "peers",  NULL };

/* nic[key], an array of at most max addresses, into list. */
static int np_read_addrs(const struct nc_json_ctx *c, json_t *nic,
                         const char *prefix, const char *key, size_t max,
                         struct nc_addr *list, size_t *n)
{
	char name[48];
	json_t *arr = NULL;
	size_t i;
	int rc;

	rc = nc_json_get_array(c, nic, prefix, key, max, &arr, n);
	for (i = 0; rc == 0 && i < *n; i++) {
		snprintf(name, sizeof(name), "%s%s[%zu]", prefix, key, i);
		rc = nc_json_copy_addr(c, json_array_get(arr, i), name,
		                       &list[i]);
	}
	return rc;
}

static int np_read_vxlan(const struct nc_json_ctx *c, json_t *v,
                         const char *prefix, struct nc_nic_plan *n)
{
	int64_t value;
	int rc;

	if (n->mode == NC_MODE_ENCRYPTED) {
		if (json_object_get(v, "vni") || json_object_get(v, "port"))
			return nc_json_fail(c,
			                    "%svni and port are not sent "
			                    "for mode encrypted",
			                    prefix);
		return 0;
	}
	rc = nc_json_get_int(c, v, prefix, "vni", 0, UINT32_MAX, &value);
	if (rc == 0) {
		n->vni = (uint32_t)value;
		rc = nc_json_get_int(c, v, prefix, "port", 0, UINT16_MAX,
		                     &value);
	}
	if (rc == 0)
		n->port = (uint16_t)value;
	return rc;
}

static int np_read_nic(const struct nc_json_ctx *c, json_t *v, size_t i,
                       struct nc_nic_plan *n)
{
	char prefix[32], mode[16], shown[48];
	int64_t mtu;
	int rc;

	snprintf(prefix, sizeof(prefix), "nics[%zu]", i);
	rc = nc_json_want_object(c, v, prefix);
	snprintf(prefix, sizeof(prefix), "nics[%zu].", i);
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "mode", mode, sizeof(mode));
	if (rc == 0 && nc_mode_parse(mode, &n->mode) < 0)
		rc = nc_json_fail(c,
		                  "%smode '%s' is not l2-extend, l3 or "
		                  "encrypted",
		                  prefix,
		                  nc_json_quote(mode, shown, sizeof(shown)));
	if (rc == 0)
		rc = np_read_vxlan(c, v, prefix, n);
	if (rc == 0)
		rc = nc_json_keys(c, v, prefix,
		                  n->mode == NC_MODE_ENCRYPTED ? np_nic_keys_enc
		                                               : np_nic_keys,
		                  NULL);
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "mac", n->mac,
		                     sizeof(n->mac));
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "bridge", n->bridge,
		                     sizeof(n->bridge));
	if (rc == 0)
		rc = nc_json_get_str(c, v, prefix, "tunnel", n->tunnel,
		                     sizeof(n->tunnel));
	if (rc == 0)
		rc = nc_json_get_int(c, v, prefix, "mtu", 0, UINT32_MAX, &mtu);
	if (rc == 0)
		n->mtu = (unsigned int)mtu;
	if (rc == 0)
		rc = np_read_addrs(c, v, prefix, "ips", NC_NIC_IPS_MAX, n->ips,
		                   &n->n_ips);
	if (rc == 0)
		rc = np_read_addrs(c, v, prefix, "peers", NC_NIC_PEERS_MAX,
		                   n->peers, &n->n_peers);
	return rc;
}

static int np_read_plan(const struct nc_json_ctx *c, json_t *root,
                        struct nc_net_plan *p)
{
	json_t *arr = NULL;
	size_t i;
	int rc;

	rc = nc_json_keys(c, root, "", np_plan_keys, NULL);
	if (rc == 0)
		rc = nc_json_get_addr(c, root, "", "underlay", &p->underlay);
	if (rc == 0)
		rc = nc_json_get_array(c, root, "", "nics", NC_NICS_MAX, &arr,
		                       &p->n_nics);
	for (i = 0; rc == 0 && i < p->n_nics; i++)
		rc = np_read_nic(c, json_array_get(arr, i), i, &p->nics[i]);
	return rc;
}

int nc_net_plan_decode(const char *buf, size_t len, struct nc_net_plan *p,
                       struct nc_error *err)
{
	struct nc_json_ctx c = { "net", -EPROTO, err };
	json_t *root = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = nc_json_load(&c, buf, len, NC_NETPLAN_MSG_MAX, "net", &root);
	if (rc == 0)
		rc = np_read_plan(&c, root, p);
	if (rc == 0)
		rc = np_check_plan(&c, p);
	json_decref(root);
	if (rc < 0)
		memset(p, 0, sizeof(*p));
	return rc;
}

/* obj[key] = v (taken); *failed if that did not work. */
static void np_set(json_t *obj, const char *key, json_t *v, bool *failed)
{
	if (json_object_set_new(obj, key, v) < 0)
		*failed = true;
}

/* The JSON array of list[0..n-1]; NULL if out of memory. */
static json_t *np_addrs_json(const struct nc_addr *list, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		nc_json_append(&arr, nc_json_addr(&list[i]));
	return arr;
}

static json_t *np_nic_json(const struct nc_nic_plan *n)
{
	json_t *o = json_object();
	bool failed = false;

	np_set(o, "mac", json_string(n->mac), &failed);
	np_set(o, "mode", json_string(nc_mode_name(n->mode)), &failed);
	np_set(o, "bridge", json_string(n->bridge), &failed);
	np_set(o, "tunnel", json_string(n->tunnel), &failed);
	if (n->mode != NC_MODE_ENCRYPTED) {
		np_set(o, "vni", json_integer(n->vni), &failed);
		np_set(o, "port", json_integer(n->port), &failed);
	}
	np_set(o, "mtu", json_integer(n->mtu), &failed);
	np_set(o, "ips", np_addrs_json(n->ips, n->n_ips), &failed);
	np_set(o, "peers", np_addrs_json(n->peers, n->n_peers), &failed);
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *np_plan_json(const struct nc_net_plan *p)
{
	json_t *o = json_object(), *nics = json_array();
	bool failed = false;
	size_t i;

	for (i = 0; i < p->n_nics; i++)
		nc_json_append(&nics, np_nic_json(&p->nics[i]));
	np_set(o, "type", json_string("net"), &failed);
	np_set(o, "underlay", nc_json_addr(&p->underlay), &failed);
	np_set(o, "nics", nics, &failed);
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *nc_net_plan_encode(const struct nc_net_plan *p, struct nc_error *err)
{
	struct nc_json_ctx c = { "net", -EINVAL, err };

	if (np_check_plan(&c, p) < 0)
		return NULL;
	return nc_json_dump(&c, np_plan_json(p), NC_NETPLAN_MSG_MAX);
}

/* ----- answer ----- */

static const char *const np_answer_keys[] = { "type",   "ok",       "error",
	                                      "checks", "underlay", "nics",
	                                      NULL };
static const char *const np_refusal_keys[] = { "type", "ok", "error", "checks",
	                                       NULL };
static const char *const np_answer_nic_keys[] = { "mac", "dev", NULL };

static int np_read_answer_nics(const struct nc_json_ctx *c, json_t *root,
                               struct nc_net_answer *a)
{
	char prefix[32];
	json_t *arr = NULL, *v;
	size_t i;
	int rc;

	rc = nc_json_get_addr(c, root, "", "underlay", &a->underlay);
	if (rc == 0)
		rc = nc_json_get_array(c, root, "", "nics", NC_NICS_MAX, &arr,
		                       &a->n_nics);
	for (i = 0; rc == 0 && i < a->n_nics; i++) {
		v = json_array_get(arr, i);
		snprintf(prefix, sizeof(prefix), "nics[%zu]", i);
		rc = nc_json_want_object(c, v, prefix);
		snprintf(prefix, sizeof(prefix), "nics[%zu].", i);
		if (rc == 0)
			rc = nc_json_keys(c, v, prefix, np_answer_nic_keys,
			                  NULL);
		if (rc == 0)
			rc =
			    nc_json_get_str(c, v, prefix, "mac", a->nics[i].mac,
			                    sizeof(a->nics[i].mac));
		if (rc == 0)
			rc =
			    nc_json_get_str(c, v, prefix, "dev", a->nics[i].dev,
			                    sizeof(a->nics[i].dev));
	}
	return rc;
}

static int np_read_answer(const struct nc_json_ctx *c, json_t *root,
                          struct nc_net_answer *a)
{
	char name[32];
	json_t *arr = NULL;
	size_t i;
	int rc;

	rc = nc_json_get_bool(c, root, "", "ok", &a->ok);
	if (rc == 0 && !a->ok &&
	    (json_object_get(root, "underlay") ||
	     json_object_get(root, "nics")))
		rc = nc_json_fail(c, "ok is false but underlay or nics are "
		                     "sent");
	if (rc == 0)
		rc = nc_json_keys(c, root, "",
		                  a->ok ? np_answer_keys : np_refusal_keys,
		                  NULL);
	if (rc == 0)
		rc = nc_json_get_str(c, root, "", "error", a->error,
		                     sizeof(a->error));
	if (rc == 0)
		rc = nc_json_get_array(c, root, "", "checks",
		                       NC_NETPLAN_CHECKS_MAX, &arr,
		                       &a->n_checks);
	for (i = 0; rc == 0 && i < a->n_checks; i++) {
		snprintf(name, sizeof(name), "checks[%zu]", i);
		rc = nc_json_copy_str(c, json_array_get(arr, i), name, "",
		                      a->checks[i], sizeof(a->checks[i]));
	}
	if (rc == 0 && a->ok)
		rc = np_read_answer_nics(c, root, a);
	return rc;
}

int nc_net_answer_decode(const char *buf, size_t len, struct nc_net_answer *a,
                         struct nc_error *err)
{
	struct nc_json_ctx c = { "net-answer", -EPROTO, err };
	json_t *root = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	rc =
	    nc_json_load(&c, buf, len, NC_NETPLAN_MSG_MAX, "net-answer", &root);
	if (rc == 0)
		rc = np_read_answer(&c, root, a);
	if (rc == 0)
		rc = np_check_answer(&c, a);
	if (rc == 0)
		rc = np_check_answer_text(&c, a);
	json_decref(root);
	if (rc < 0)
		memset(a, 0, sizeof(*a));
	return rc;
}

/* A refusal carries no underlay and no nics; text is made printable. */
static json_t *np_answer_json(const struct nc_net_answer *a)
{
	json_t *o = json_object(), *checks = json_array(), *nics = NULL, *n;
	bool failed = false;
	size_t i;

	for (i = 0; i < a->n_checks; i++)
		nc_json_append(&checks, nc_text_json(a->checks[i],
		                                     sizeof(a->checks[i]) - 1));
	np_set(o, "type", json_string("net-answer"), &failed);
	np_set(o, "ok", json_boolean(a->ok), &failed);
	np_set(o, "error", nc_text_json(a->error, sizeof(a->error) - 1),
	       &failed);
	np_set(o, "checks", checks, &failed);
	if (a->ok) {
		nics = json_array();
		for (i = 0; i < a->n_nics; i++) {
			n = json_object();
			np_set(n, "mac", json_string(a->nics[i].mac), &failed);
			np_set(n, "dev", json_string(a->nics[i].dev), &failed);
			nc_json_append(&nics, n);
		}
		np_set(o, "underlay", nc_json_addr(&a->underlay), &failed);
		np_set(o, "nics", nics, &failed);
	}
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *nc_net_answer_encode(const struct nc_net_answer *a, struct nc_error *err)
{
	struct nc_json_ctx c = { "net-answer", -EINVAL, err };

	if (np_check_answer(&c, a) < 0)
		return NULL;
	return nc_json_dump(&c, np_answer_json(a), NC_NETPLAN_MSG_MAX);
}

int nc_net_answer_match(const struct nc_net_plan *p,
                        const struct nc_net_answer *a, struct nc_error *err)
{
	struct nc_json_ctx c = { "net-answer", -EPROTO, err };
	size_t i, j;

	if (!a->ok)
		return nc_json_fail(&c, "the receiver refused the network "
		                        "plan");
	for (i = 0; i < a->n_nics; i++) {
		for (j = 0; j < p->n_nics; j++)
			if (!strcmp(p->nics[j].mac, a->nics[i].mac))
				break;
		if (j == p->n_nics)
			return nc_json_fail(&c,
			                    "nics[%zu] %s is not in the plan",
			                    i, a->nics[i].mac);
		for (j = 0; j < i; j++)
			if (!strcmp(a->nics[j].mac, a->nics[i].mac))
				return nc_json_fail(
				    &c, "nics[%zu] %s appears twice", i,
				    a->nics[i].mac);
	}
	if (a->n_nics != p->n_nics)
		return nc_json_fail(&c, "%zu nics answered, the plan has %zu",
		                    a->n_nics, p->n_nics);
	return 0;
}
