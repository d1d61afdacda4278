/*
 * test_netplan.c: golden JSON of the network plan and its answer; round
 * trips; every rule the decoders enforce, by mutating the golden messages
 * one field at a time; printable text; matching an answer to its plan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "netcontinuity/netplan.h"

#define ID1  "0123456789abcdef0123456789abcdef"
#define ID2  "0123456789abcdef0123456789abcde0"
#define ID3  "fedcba9876543210fedcba9876543210"
#define MAC1 "52:54:00:5f:a1:0a"
#define MAC2 "52:54:00:5f:a1:0b"
#define MAC3 "52:54:00:5f:a1:0c"

/* One NIC of each mode. */
static const char golden_plan[] =
    "{\"type\":\"net\","                            /* message type */
    "\"underlay\":\"198.18.0.1\","                  /* the source end */
    "\"nics\":["                                    /* */
    "{\"mac\":\"" MAC1 "\","                        /* the VM NIC */
    "\"mode\":\"l3\","                              /* routed */
    "\"bridge\":\"br0\","                           /* at the destination */
    "\"tunnel\":\"" ID1 "\","                       /* tunnel id */
    "\"vni\":4660,\"port\":4789,"                   /* VXLAN */
    "\"mtu\":1500,"                                 /* the VM's segment */
    "\"ips\":[\"10.0.0.5\",\"fd00::5\"],"           /* the VM's addresses */
    "\"peers\":[\"10.0.0.1\",\"10.0.0.7\"]},"       /* gateway, neighbour */
    "{\"mac\":\"" MAC2 "\",\"mode\":\"l2-extend\"," /* bridged */
    "\"bridge\":\"br1\",\"tunnel\":\"" ID2 "\","    /* */
    "\"vni\":16777215,\"port\":1,"                  /* the bounds */
    "\"mtu\":65535,\"ips\":[],\"peers\":[]},"       /* nothing to route */
    "{\"mac\":\"" MAC3 "\",\"mode\":\"encrypted\"," /* over the transport: */
    "\"bridge\":\"virbr0\",\"tunnel\":\"" ID3 "\"," /* no vni, no port */
    "\"mtu\":576,\"ips\":[\"192.168.122.50\"],"     /* */
    "\"peers\":[]}]}";                              /* */

static const char golden_answer[] =
    "{\"type\":\"net-answer\","                       /* message type */
    "\"ok\":true,"                                    /* accepted */
    "\"error\":\"\","                                 /* none */
    "\"checks\":[\"bridge br0 exists\","              /* what was checked */
    "\"IPv4 forwarding is on \xc3\xa9t\xc3\xa9\"],"   /* UTF-8 is fine */
    "\"underlay\":\"2001:db8::2\","                   /* the destination end */
    "\"nics\":["                                      /* each NIC once */
    "{\"mac\":\"" MAC3 "\",\"dev\":\"sft01234567\"}," /* any order */
    "{\"mac\":\"" MAC1 "\",\"dev\":\"sfv001234\"},"   /* */
    "{\"mac\":\"" MAC2 "\",\"dev\":\"sfvffffff\"}]}"; /* */

static const char golden_refusal[] =
    "{\"type\":\"net-answer\","            /* message type */
    "\"ok\":false,"                        /* refused */
    "\"error\":\"no bridge br1 here\","    /* why */
    "\"checks\":[\"bridge br0 exists\"]}"; /* no underlay, nics */

static void addr(const char *s, struct nc_addr *a)
{
	cr_assert_eq(nc_addr_parse(s, a), 0, "%s", s);
}

static void golden_plan_struct(struct nc_net_plan *p)
{
	struct nc_nic_plan *n;

	memset(p, 0, sizeof(*p));
	addr("198.18.0.1", &p->underlay);
	n = &p->nics[0];
	strcpy(n->mac, MAC1);
	n->mode = NC_MODE_L3;
	strcpy(n->bridge, "br0");
	strcpy(n->tunnel, ID1);
	n->vni = 4660;
	n->port = 4789;
	n->mtu = 1500;
	addr("10.0.0.5", &n->ips[0]);
	addr("fd00::5", &n->ips[1]);
	n->n_ips = 2;
	addr("10.0.0.1", &n->peers[0]);
	addr("10.0.0.7", &n->peers[1]);
	n->n_peers = 2;
	n = &p->nics[1];
	strcpy(n->mac, MAC2);
	n->mode = NC_MODE_L2_EXTEND;
	strcpy(n->bridge, "br1");
	strcpy(n->tunnel, ID2);
	n->vni = 16777215;
	n->port = 1;
	n->mtu = 65535;
	n = &p->nics[2];
	strcpy(n->mac, MAC3);
	n->mode = NC_MODE_ENCRYPTED;
	strcpy(n->bridge, "virbr0");
	strcpy(n->tunnel, ID3);
	n->mtu = 576;
	addr("192.168.122.50", &n->ips[0]);
	n->n_ips = 1;
	p->n_nics = 3;
}

static void golden_answer_struct(struct nc_net_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->ok = true;
	strcpy(a->checks[0], "bridge br0 exists");
	strcpy(a->checks[1], "IPv4 forwarding is on \xc3\xa9t\xc3\xa9");
	a->n_checks = 2;
	addr("2001:db8::2", &a->underlay);
	strcpy(a->nics[0].mac, MAC3);
	strcpy(a->nics[0].dev, "sft01234567");
	strcpy(a->nics[1].mac, MAC1);
	strcpy(a->nics[1].dev, "sfv001234");
	strcpy(a->nics[2].mac, MAC2);
	strcpy(a->nics[2].dev, "sfvffffff");
	a->n_nics = 3;
}

static void golden_refusal_struct(struct nc_net_answer *a)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->error, "no bridge br1 here");
	strcpy(a->checks[0], "bridge br0 exists");
	a->n_checks = 1;
}

/* Large: kept off the stack of each test. */
static struct nc_net_plan plan_want, plan_got;
static struct nc_net_answer ans_want, ans_got;

static int plan_decode(const char *text, size_t len, struct nc_error *err)
{
	memset(&plan_got, 0xa5, sizeof(plan_got));
	memset(err, 0, sizeof(*err));
	return nc_net_plan_decode(text, len, &plan_got, err);
}

static int answer_decode(const char *text, size_t len, struct nc_error *err)
{
	memset(&ans_got, 0xa5, sizeof(ans_got));
	memset(err, 0, sizeof(*err));
	return nc_net_answer_decode(text, len, &ans_got, err);
}

static void assert_plan_zero(void)
{
	static const struct nc_net_plan zero;

	cr_assert_eq(memcmp(&plan_got, &zero, sizeof(zero)), 0);
}

static void assert_answer_zero(void)
{
	static const struct nc_net_answer zero;

	cr_assert_eq(memcmp(&ans_got, &zero, sizeof(zero)), 0);
}

/* An encoder's output (taken) is the golden text. */
static void expect_encoded(char *json, const struct nc_error *err,
                           const char *golden)
{
	cr_assert_not_null(json, "%s", err->msg);
	cr_assert_str_eq(json, golden);
	free(json);
}

Test(nc_netplan, golden_encode)
{
	struct nc_error err = { 0 };

	golden_plan_struct(&plan_want);
	expect_encoded(nc_net_plan_encode(&plan_want, &err), &err, golden_plan);
	golden_answer_struct(&ans_want);
	expect_encoded(nc_net_answer_encode(&ans_want, &err), &err,
	               golden_answer);
	golden_refusal_struct(&ans_want);
	expect_encoded(nc_net_answer_encode(&ans_want, &err), &err,
	               golden_refusal);
	/* A refusal's underlay and nics are not sent. */
	golden_answer_struct(&ans_want);
	ans_want.ok = false;
	strcpy(ans_want.error, "no bridge br1 here");
	ans_want.n_checks = 1;
	expect_encoded(nc_net_answer_encode(&ans_want, &err), &err,
	               golden_refusal);
}

Test(nc_netplan, golden_decode)
{
	struct nc_error err;

	golden_plan_struct(&plan_want);
	cr_assert_eq(plan_decode(golden_plan, strlen(golden_plan), &err), 0,
	             "%s", err.msg);
	cr_assert_eq(memcmp(&plan_got, &plan_want, sizeof(plan_got)), 0);
	golden_answer_struct(&ans_want);
	cr_assert_eq(answer_decode(golden_answer, strlen(golden_answer), &err),
	             0, "%s", err.msg);
	cr_assert_eq(memcmp(&ans_got, &ans_want, sizeof(ans_got)), 0);
	golden_refusal_struct(&ans_want);
	cr_assert_eq(
	    answer_decode(golden_refusal, strlen(golden_refusal), &err), 0,
	    "%s", err.msg);
	cr_assert_eq(memcmp(&ans_got, &ans_want, sizeof(ans_got)), 0);
}

/* decode(encode(x)) == x, with every list full. */
Test(nc_netplan, round_trip_full)
{
	struct nc_error err;
	struct nc_nic_plan *n;
	char *json;
	size_t i, j;

	memset(&plan_want, 0, sizeof(plan_want));
	addr("2001:db8::1", &plan_want.underlay);
	for (i = 0; i < NC_NICS_MAX; i++) {
		n = &plan_want.nics[i];
		snprintf(n->mac, sizeof(n->mac), "02:00:00:00:00:%02zx", i);
		n->mode = NC_MODE_L3;
		snprintf(n->bridge, sizeof(n->bridge), "bridge-name-%03zu", i);
		snprintf(n->tunnel, sizeof(n->tunnel), "%032zx", i);
		n->vni = 4096 + i;
		n->port = 4789;
		n->mtu = 1500;
		for (j = 0; j < NC_NIC_IPS_MAX; j++) {
			n->ips[j].family = AF_INET6;
			n->ips[j].bytes[0] = 0xfd;
			n->ips[j].bytes[15] = (uint8_t)j;
		}
		n->n_ips = NC_NIC_IPS_MAX;
		for (j = 0; j < NC_NIC_PEERS_MAX; j++) {
			n->peers[j].family = AF_INET;
			n->peers[j].bytes[0] = 10;
			n->peers[j].bytes[3] = (uint8_t)j;
		}
		n->n_peers = NC_NIC_PEERS_MAX;
	}
	plan_want.n_nics = NC_NICS_MAX;
	json = nc_net_plan_encode(&plan_want, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_eq(plan_decode(json, strlen(json), &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&plan_got, &plan_want, sizeof(plan_got)), 0);
	free(json);

	memset(&ans_want, 0, sizeof(ans_want));
	ans_want.ok = true;
	for (i = 0; i < NC_NETPLAN_CHECKS_MAX; i++)
		memset(ans_want.checks[i], 'c', sizeof(ans_want.checks[i]) - 1);
	ans_want.n_checks = NC_NETPLAN_CHECKS_MAX;
	addr("198.18.0.2", &ans_want.underlay);
	for (i = 0; i < NC_NICS_MAX; i++) {
		snprintf(ans_want.nics[i].mac, NC_MAC_STRLEN,
		         "02:00:00:00:00:%02zx", i);
		snprintf(ans_want.nics[i].dev, NC_IFNAME_MAX, "sfv%012zx", i);
	}
	ans_want.n_nics = NC_NICS_MAX;
	json = nc_net_answer_encode(&ans_want, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_eq(answer_decode(json, strlen(json), &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&ans_got, &ans_want, sizeof(ans_got)), 0);
	free(json);

	memset(&ans_want, 0, sizeof(ans_want));
	memset(ans_want.error, 'e', sizeof(ans_want.error) - 1);
	json = nc_net_answer_encode(&ans_want, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_eq(answer_decode(json, strlen(json), &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&ans_got, &ans_want, sizeof(ans_got)), 0);
	free(json);
}

/* ----- decoding mutated golden messages ----- */

/* Decode root (taken) as a plan, or an answer; expect code and what. */
static void expect_json(json_t *root, bool answer, int code, const char *what)
{
	struct nc_error err;
	char *json = json_dumps(root, JSON_COMPACT);
	int rc;

	cr_assert_not_null(json);
	json_decref(root);
	rc = answer ? answer_decode(json, strlen(json), &err)
	            : plan_decode(json, strlen(json), &err);
	cr_assert_eq(rc, code, "rc %d (%s) for %s", rc, err.msg, json);
	if (code < 0) {
		cr_assert_eq(err.code, code);
		cr_assert_not_null(strstr(err.msg, what),
		                   "message '%s' lacks '%s'", err.msg, what);
		if (answer)
			assert_answer_zero();
		else
			assert_plan_zero();
	}
	free(json);
}

static json_t *load(const char *text)
{
	json_t *root = json_loads(text, 0, NULL);

	cr_assert_not_null(root);
	return root;
}

/* Set key in obj to v (taken), or remove it. */
static void set(json_t *obj, const char *key, json_t *v)
{
	cr_assert_not_null(obj);
	if (v)
		json_object_set_new(obj, key, v);
	else
		json_object_del(obj, key);
}

static void expect_plan_key(const char *key, json_t *v, int code,
                            const char *what)
{
	json_t *root = load(golden_plan);

	set(root, key, v);
	expect_json(root, false, code, what);
}

/* nics[i].key of the golden plan set to v (taken), or removed. */
static void expect_nic(size_t i, const char *key, json_t *v, int code,
                       const char *what)
{
	json_t *root = load(golden_plan);

	set(json_array_get(json_object_get(root, "nics"), i), key, v);
	expect_json(root, false, code, what);
}

static void expect_answer_key(const char *text, const char *key, json_t *v,
                              int code, const char *what)
{
	json_t *root = load(text);

	set(root, key, v);
	expect_json(root, true, code, what);
}

static void expect_answer_nic(size_t i, const char *key, json_t *v, int code,
                              const char *what)
{
	json_t *root = load(golden_answer);

	set(json_array_get(json_object_get(root, "nics"), i), key, v);
	expect_json(root, true, code, what);
}

static json_t *str_of(char c, size_t n)
{
	char *s = malloc(n + 1);
	json_t *v;

	memset(s, c, n);
	s[n] = '\0';
	v = json_string(s);
	free(s);
	return v;
}

Test(nc_netplan, plan_every_key_required)
{
	static const char *const nic_keys[] = { "mac",    "mode", "bridge",
		                                "tunnel", "vni",  "port",
		                                "mtu",    "ips",  "peers",
		                                NULL };
	char what[64];
	size_t i;

	expect_plan_key("type", NULL, -EPROTO,
	                "net: field 'type' is missing or not a string");
	expect_plan_key("underlay", NULL, -EPROTO,
	                "net: missing field 'underlay'");
	expect_plan_key("nics", NULL, -EPROTO, "net: missing field 'nics'");
	for (i = 0; nic_keys[i]; i++) {
		snprintf(what, sizeof(what), "net: missing field 'nics[0].%s'",
		         nic_keys[i]);
		expect_nic(0, nic_keys[i], NULL, -EPROTO, what);
	}
	expect_nic(2, "mtu", NULL, -EPROTO, "net: missing field 'nics[2].mtu'");
}

Test(nc_netplan, plan_frame)
{
	expect_plan_key("type", json_string("net-answer"), -EPROTO,
	                "net: type 'net-answer' is not 'net'");
	expect_plan_key("type", json_integer(1), -EPROTO,
	                "net: field 'type' is missing or not a string");
	expect_plan_key("version", json_integer(1), -EPROTO,
	                "net: unknown field 'version'");
	expect_nic(1, "colour", json_true(), -EPROTO,
	           "net: unknown field 'nics[1].colour'");
	expect_nic(2, "vni", json_integer(5), -EPROTO,
	           "net: nics[2].vni and port are not sent for mode encrypted");
	expect_nic(2, "port", json_integer(4789), -EPROTO,
	           "nics[2].vni and port are not sent");
	expect_json(json_array(), false, -EPROTO, "net: not a JSON object");
	expect_plan_key("nics", json_pack("[s]", MAC1), -EPROTO,
	                "net: nics[0] is a string, expected an object");
}

Test(nc_netplan, plan_wrong_types)
{
	expect_plan_key("underlay", json_integer(1), -EPROTO,
	                "net: underlay is an integer, expected a string");
	expect_plan_key("nics", json_object(), -EPROTO,
	                "net: nics is an object, expected an array");
	expect_nic(0, "vni", json_string("4660"), -EPROTO,
	           "net: nics[0].vni is a string, expected an integer");
	expect_nic(0, "mtu", json_real(1500), -EPROTO,
	           "net: nics[0].mtu is a real number, expected an integer");
	expect_nic(0, "ips", json_string("10.0.0.5"), -EPROTO,
	           "net: nics[0].ips is a string, expected an array");
	expect_nic(0, "peers", json_pack("[i]", 1), -EPROTO,
	           "net: nics[0].peers[0] is an integer, expected a string");
	expect_nic(0, "mode", json_false(), -EPROTO,
	           "net: nics[0].mode is a boolean, expected a string");
	expect_nic(1, "mac", json_null(), -EPROTO,
	           "net: nics[1].mac is null, expected a string");
}

Test(nc_netplan, plan_values)
{
	json_t *root, *nics;
	size_t i;

	expect_plan_key("underlay", json_string("198.18.0"), -EPROTO,
	                "net: underlay '198.18.0' is not an IP address");
	expect_plan_key("underlay", json_string("::1"), 0, NULL);
	expect_nic(0, "mode", json_string("none"), -EPROTO,
	           "net: nics[0].mode 'none' is not l2-extend, l3 or "
	           "encrypted");
	expect_nic(0, "mac", json_string("52:54:00:5F:A1:0A"), -EPROTO,
	           "net: nics[0].mac '52:54:00:5F:A1:0A' is not a lower-case "
	           "unicast MAC");
	expect_nic(0, "mac", json_string("33:33:00:00:00:01"), -EPROTO,
	           "nics[0].mac '33:33:00:00:00:01' is not");
	expect_nic(1, "mac", json_string(MAC1), -EPROTO,
	           "net: nics[1].mac " MAC1 " appears twice");
	expect_nic(1, "tunnel", json_string(ID1), -EPROTO,
	           "net: nics[1].tunnel " ID1 " appears twice");
	expect_nic(1, "tunnel", json_string("0123"), -EPROTO,
	           "net: nics[1].tunnel '0123' is not 32 lower-case hex");
	expect_nic(1, "tunnel", str_of('a', 33), -EPROTO,
	           "net: nics[1].tunnel is longer than 32 bytes");
	expect_nic(0, "bridge", json_string("br 0"), -EPROTO,
	           "net: nics[0].bridge 'br 0' is not an interface name");
	expect_nic(0, "bridge", str_of('b', 16), -EPROTO,
	           "net: nics[0].bridge is longer than 15 bytes");
	expect_nic(0, "vni", json_integer(0), -EPROTO,
	           "net: nics[0].vni 0 is not 1..16777215");
	expect_nic(0, "vni", json_integer(16777216), -EPROTO,
	           "net: nics[0].vni 16777216 is not 1..16777215");
	expect_nic(0, "vni", json_integer(-1), -EPROTO,
	           "net: nics[0].vni -1 is out of range");
	expect_nic(1, "vni", json_integer(4660), 0, NULL); /* other port */
	expect_nic(1, "port", json_integer(4789), 0, NULL);
	root = load(golden_plan);
	nics = json_object_get(root, "nics");
	set(json_array_get(nics, 1), "vni", json_integer(4660));
	set(json_array_get(nics, 1), "port", json_integer(4789));
	expect_json(root, false, -EPROTO,
	            "net: nics[1].vni 4660 on port 4789 is nics[0]'s");
	expect_nic(0, "port", json_integer(0), -EPROTO,
	           "net: nics[0].port 0 is not 1..65535");
	expect_nic(0, "port", json_integer(65536), -EPROTO,
	           "net: nics[0].port 65536 is out of range");
	expect_nic(0, "mtu", json_integer(575), -EPROTO,
	           "net: nics[0].mtu 575 is not 576..65535");
	expect_nic(0, "mtu", json_integer(65536), -EPROTO,
	           "nics[0].mtu 65536 is not 576..65535");
	expect_nic(0, "ips", json_array(), -EPROTO,
	           "net: nics[0].ips is empty: mode l3 routes the VM's "
	           "addresses");
	expect_nic(0, "ips", json_pack("[s]", "10.0.0.5/32"), -EPROTO,
	           "net: nics[0].ips[0] '10.0.0.5/32' is not an IP address");
	expect_nic(0, "ips", json_pack("[s,s]", "fd00::5", "fd00:0::5"),
	           -EPROTO, "net: nics[0].ips[1] appears twice");
	expect_nic(0, "peers", json_pack("[s,s]", "10.0.0.1", "10.0.0.1"),
	           -EPROTO, "net: nics[0].peers[1] appears twice");
	expect_nic(1, "peers", json_pack("[s]", "10.0.0.1"), -EPROTO,
	           "net: nics[1].peers are for mode l3 only");
	expect_nic(2, "peers", json_pack("[s]", "10.0.0.1"), -EPROTO,
	           "net: nics[2].peers are for mode l3 only");

	nics = json_array();
	for (i = 0; i <= NC_NIC_IPS_MAX; i++)
		json_array_append_new(nics, json_string("10.0.0.1"));
	expect_nic(0, "ips", nics, -EPROTO,
	           "net: nics[0].ips has 17 entries, at most 16");
	expect_plan_key("nics", json_array(), -EPROTO,
	                "net: 0 nics, expected 1..16");
	nics = json_array();
	for (i = 0; i <= NC_NICS_MAX; i++)
		json_array_append_new(nics, json_object());
	expect_plan_key("nics", nics, -EPROTO,
	                "net: nics has 17 entries, at most 16");
}

Test(nc_netplan, bad_buffers)
{
	static char big[NC_NETPLAN_MSG_MAX + 2];
	struct nc_error err;
	char dup[sizeof(golden_plan) + 32];
	size_t len;

	cr_assert_eq(plan_decode(golden_plan, 0, &err), -EMSGSIZE);
	cr_assert_str_eq(err.msg, "net: 0 bytes, expected 1..65536");
	assert_plan_zero();
	cr_assert_eq(answer_decode(NULL, 0, &err), -EMSGSIZE);
	cr_assert_str_eq(err.msg, "net-answer: 0 bytes, expected 1..65536");
	assert_answer_zero();
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, golden_plan, strlen(golden_plan));
	cr_assert_eq(plan_decode(big, NC_NETPLAN_MSG_MAX, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(plan_decode(big, NC_NETPLAN_MSG_MAX + 1, &err), -EMSGSIZE);
	assert_plan_zero();
	memcpy(big, golden_answer, strlen(golden_answer));
	cr_assert_eq(answer_decode(big, NC_NETPLAN_MSG_MAX + 1, &err),
	             -EMSGSIZE);
	cr_assert_str_eq(err.msg, "net-answer: 65537 bytes, expected 1..65536");

	for (len = 1; len < strlen(golden_plan); len++) {
		cr_assert_eq(plan_decode(golden_plan, len, &err), -EPROTO,
		             "accepted %zu bytes", len);
		assert_plan_zero();
	}
	for (len = 1; len < strlen(golden_answer); len++) {
		cr_assert_eq(answer_decode(golden_answer, len, &err), -EPROTO,
		             "accepted %zu bytes", len);
		assert_answer_zero();
	}
	cr_assert_eq(plan_decode("\xff\xfe", 2, &err), -EPROTO);
	cr_assert_not_null(strstr(err.msg, "net: bad JSON"), "%s", err.msg);
	cr_assert_eq(answer_decode("{}{}", 4, &err), -EPROTO);
	cr_assert_eq(answer_decode("[1]", 3, &err), -EPROTO);
	cr_assert_str_eq(err.msg, "net-answer: not a JSON object");

	snprintf(dup, sizeof(dup), "{\"underlay\":\"1.2.3.4\",%s",
	         golden_plan + 1);
	cr_assert_eq(plan_decode(dup, strlen(dup), &err), -EPROTO);
	cr_assert_not_null(strstr(err.msg, "duplicate"), "%s", err.msg);
	assert_plan_zero();
}

Test(nc_netplan, answer_rules)
{
	static const char *const keys[] = { "ok",       "error", "checks",
		                            "underlay", "nics",  NULL };
	char what[64];
	json_t *checks;
	size_t i;

	for (i = 0; keys[i]; i++) {
		snprintf(what, sizeof(what), "net-answer: missing field '%s'",
		         keys[i]);
		expect_answer_key(golden_answer, keys[i], NULL, -EPROTO, what);
	}
	expect_answer_key(golden_answer, "type", json_string("net"), -EPROTO,
	                  "net-answer: type 'net' is not 'net-answer'");
	expect_answer_key(golden_answer, "ok", json_integer(1), -EPROTO,
	                  "net-answer: ok is an integer, expected a boolean");
	expect_answer_key(golden_answer, "extra", json_null(), -EPROTO,
	                  "net-answer: unknown field 'extra'");
	expect_answer_key(golden_answer, "error", json_string("but"), -EPROTO,
	                  "net-answer: ok is true but error is set");
	expect_answer_key(golden_answer, "underlay", json_string(""), -EPROTO,
	                  "net-answer: underlay '' is not an IP address");
	expect_answer_key(golden_answer, "nics", json_array(), -EPROTO,
	                  "net-answer: 0 nics, expected 1..16");
	expect_answer_nic(1, "mac", json_string(MAC3), -EPROTO,
	                  "net-answer: nics[1].mac " MAC3 " appears twice");
	expect_answer_nic(1, "dev", json_string("sft01234567"), -EPROTO,
	                  "net-answer: nics[1].dev sft01234567 appears twice");
	expect_answer_nic(1, "dev", json_string("a/b"), -EPROTO,
	                  "net-answer: nics[1].dev 'a/b' is not an interface "
	                  "name");
	expect_answer_nic(0, "mac", json_string("nope"), -EPROTO,
	                  "net-answer: nics[0].mac 'nope' is not a lower-case "
	                  "unicast MAC");
	expect_answer_nic(0, "dev", NULL, -EPROTO,
	                  "net-answer: missing field 'nics[0].dev'");
	expect_answer_nic(0, "up", json_true(), -EPROTO,
	                  "net-answer: unknown field 'nics[0].up'");

	/* A refusal: error required, underlay and nics not sent. */
	expect_answer_key(golden_refusal, "error", json_string(""), -EPROTO,
	                  "net-answer: ok is false but error is empty");
	expect_answer_key(golden_refusal, "error", NULL, -EPROTO,
	                  "net-answer: missing field 'error'");
	expect_answer_key(golden_refusal, "checks", NULL, -EPROTO,
	                  "net-answer: missing field 'checks'");
	expect_answer_key(golden_refusal, "underlay", json_string("1.2.3.4"),
	                  -EPROTO,
	                  "net-answer: ok is false but underlay or nics are "
	                  "sent");
	expect_answer_key(golden_refusal, "nics", json_array(), -EPROTO,
	                  "ok is false but underlay or nics are sent");

	/* Text: printable UTF-8 only, within bounds. */
	expect_answer_key(golden_refusal, "error", json_string("a\nb"), -EPROTO,
	                  "net-answer: error has a control character or is "
	                  "not UTF-8");
	expect_answer_key(golden_refusal, "error", json_string("\xc2\x9b[2J"),
	                  -EPROTO, "error has a control character");
	expect_answer_key(golden_refusal, "error", str_of('e', 511), 0, NULL);
	expect_answer_key(golden_refusal, "error", str_of('e', 512), -EPROTO,
	                  "net-answer: error is longer than 511 bytes");
	expect_answer_key(golden_answer, "checks", json_pack("[s]", "\x1b[2J"),
	                  -EPROTO,
	                  "net-answer: checks[0] has a control character or "
	                  "is not UTF-8");
	checks = json_array();
	json_array_append_new(checks, str_of('c', 160));
	expect_answer_key(golden_answer, "checks", checks, -EPROTO,
	                  "net-answer: checks[0] is longer than 159 bytes");
	expect_answer_key(golden_answer, "checks", json_pack("[i]", 1), -EPROTO,
	                  "net-answer: checks[0] is an integer, expected a "
	                  "string");
	checks = json_array();
	for (i = 0; i <= NC_NETPLAN_CHECKS_MAX; i++)
		json_array_append_new(checks, json_string("c"));
	expect_answer_key(golden_answer, "checks", checks, -EPROTO,
	                  "net-answer: checks has 33 entries, at most 32");
}

/* The encoder makes text printable rather than failing. */
Test(nc_netplan, answer_text_made_printable)
{
	struct nc_error err = { 0 };
	char *json;

	golden_refusal_struct(&ans_want);
	strcpy(ans_want.error, "libvirt: bad\nthing\x1b[2J \xff\xc3\xa9\xc2");
	strcpy(ans_want.checks[0], "tab\there");
	json = nc_net_answer_encode(&ans_want, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_str_eq(json, "{\"type\":\"net-answer\",\"ok\":false,"
	                       "\"error\":\"libvirt: bad?thing?[2J "
	                       "?\xc3\xa9?\",\"checks\":[\"tab?here\"]}");
	cr_assert_eq(answer_decode(json, strlen(json), &err), 0, "%s", err.msg);
	free(json);

	/* Cut to the buffer on a character boundary. */
	golden_answer_struct(&ans_want);
	memset(ans_want.checks[0], 'c', 158);
	strcpy(ans_want.checks[0] + 158, "\xc3");
	json = nc_net_answer_encode(&ans_want, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_eq(answer_decode(json, strlen(json), &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(ans_got.checks[0]), 159);
	cr_assert_eq(ans_got.checks[0][158], '?');
	free(json);
}

/* Encoding x must fail with -EINVAL and a message containing what. */
static void expect_plan_encode_fails(const char *what)
{
	struct nc_error err = { 0 };
	char *json = nc_net_plan_encode(&plan_want, &err);

	cr_assert_null(json, "encoded %s", json);
	cr_assert_eq(err.code, -EINVAL);
	cr_assert_not_null(strstr(err.msg, what), "message '%s' lacks '%s'",
	                   err.msg, what);
}

static void expect_answer_encode_fails(const char *what)
{
	struct nc_error err = { 0 };
	char *json = nc_net_answer_encode(&ans_want, &err);

	cr_assert_null(json, "encoded %s", json);
	cr_assert_eq(err.code, -EINVAL);
	cr_assert_not_null(strstr(err.msg, what), "message '%s' lacks '%s'",
	                   err.msg, what);
}

Test(nc_netplan, encode_checks)
{
	char what[64];

	golden_plan_struct(&plan_want);
	plan_want.nics[2].vni = 7;
	expect_plan_encode_fails("net: nics[2].vni 7 and port 0 are not 0 for "
	                         "mode encrypted");
	golden_plan_struct(&plan_want);
	plan_want.nics[1].mode = NC_MODE_NONE;
	expect_plan_encode_fails("net: nics[1].mode 0 is not known");
	golden_plan_struct(&plan_want);
	plan_want.underlay.family = 0;
	expect_plan_encode_fails("net: underlay has no address family");
	golden_plan_struct(&plan_want);
	plan_want.nics[0].ips[1].family = 0;
	expect_plan_encode_fails("net: nics[0].ips[1] has no address family");
	golden_plan_struct(&plan_want);
	plan_want.nics[0].n_peers = NC_NIC_PEERS_MAX + 1;
	snprintf(what, sizeof(what),
	         "net: nics[0].peers has %d entries, at "
	         "most %d",
	         NC_NIC_PEERS_MAX + 1, NC_NIC_PEERS_MAX);
	expect_plan_encode_fails(what);
	golden_plan_struct(&plan_want);
	plan_want.n_nics = 0;
	expect_plan_encode_fails("net: 0 nics, expected 1..16");
	golden_plan_struct(&plan_want);
	plan_want.n_nics = NC_NICS_MAX + 1;
	expect_plan_encode_fails("net: 17 nics, expected 1..16");

	golden_answer_struct(&ans_want);
	strcpy(ans_want.error, "x");
	expect_answer_encode_fails("net-answer: ok is true but error is set");
	golden_refusal_struct(&ans_want);
	ans_want.error[0] = '\0';
	expect_answer_encode_fails("net-answer: ok is false but error is "
	                           "empty");
	golden_answer_struct(&ans_want);
	ans_want.n_checks = NC_NETPLAN_CHECKS_MAX + 1;
	expect_answer_encode_fails("net-answer: 33 checks, at most 32");
	golden_answer_struct(&ans_want);
	ans_want.underlay.family = 0;
	expect_answer_encode_fails("net-answer: underlay has no address "
	                           "family");
	golden_answer_struct(&ans_want);
	strcpy(ans_want.nics[2].dev, "");
	expect_answer_encode_fails("net-answer: nics[2].dev '' is not an "
	                           "interface name");
	cr_assert_null(nc_net_answer_encode(&ans_want, NULL));
}

Test(nc_netplan, answer_match)
{
	struct nc_error err = { 0 };

	golden_plan_struct(&plan_want);
	golden_answer_struct(&ans_want);
	cr_assert_eq(nc_net_answer_match(&plan_want, &ans_want, &err), 0, "%s",
	             err.msg);

	ans_want.n_nics = 2;
	cr_assert_eq(nc_net_answer_match(&plan_want, &ans_want, &err), -EPROTO);
	cr_assert_str_eq(err.msg,
	                 "net-answer: 2 nics answered, the plan has 3");
	ans_want.n_nics = 3;
	strcpy(ans_want.nics[1].mac, "52:54:00:00:00:99");
	cr_assert_eq(nc_net_answer_match(&plan_want, &ans_want, &err), -EPROTO);
	cr_assert_str_eq(err.msg, "net-answer: nics[1] 52:54:00:00:00:99 is "
	                          "not in the plan");
	strcpy(ans_want.nics[1].mac, MAC3);
	cr_assert_eq(nc_net_answer_match(&plan_want, &ans_want, &err), -EPROTO);
	cr_assert_str_eq(err.msg, "net-answer: nics[1] " MAC3 " appears twice");

	golden_refusal_struct(&ans_want);
	cr_assert_eq(nc_net_answer_match(&plan_want, &ans_want, &err), -EPROTO);
	cr_assert_str_eq(err.msg,
	                 "net-answer: the receiver refused the network plan");
}

/* A plan that does not fit a message is refused whole, not cut. */
Test(nc_netplan, encode_too_big)
{
	struct nc_error err = { 0 };
	struct nc_nic_plan *n;
	size_t i, j;

	golden_plan_struct(&plan_want);
	for (i = 3; i < NC_NICS_MAX; i++) {
		plan_want.nics[i] = plan_want.nics[0];
		snprintf(plan_want.nics[i].mac, NC_MAC_STRLEN,
		         "02:00:00:00:00:%02zx", i);
		snprintf(plan_want.nics[i].tunnel, NC_TUNNEL_ID_HEX, "%032zx",
		         i);
		plan_want.nics[i].vni = (uint32_t)(5000 + i);
	}
	plan_want.n_nics = NC_NICS_MAX;
	for (i = 0; i < NC_NICS_MAX; i++) {
		n = &plan_want.nics[i];
		if (n->mode != NC_MODE_L3)
			continue;
		for (j = 0; j < NC_NIC_PEERS_MAX; j++) {
			n->peers[j].family = AF_INET6;
			memset(n->peers[j].bytes, 0xfe, 16);
			n->peers[j].bytes[15] = (uint8_t)j;
		}
		n->n_peers = NC_NIC_PEERS_MAX;
	}
	cr_assert_null(nc_net_plan_encode(&plan_want, &err));
	cr_assert_eq(err.code, -EMSGSIZE);
	cr_assert_not_null(strstr(err.msg, "bytes encoded, at most 65536"),
	                   "%s", err.msg);
}
