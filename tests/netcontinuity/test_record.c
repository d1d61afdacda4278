/*
 * test_record.c: golden JSON of a tunnel end's record; round trips; every
 * rule the decoder enforces, by mutating the golden record one field at a
 * time; the files (save, load, foreach, remove) in a temporary directory;
 * and undo of real objects in a private network namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "netcontinuity/record.h"

#define ID   "0123456789abcdef0123456789abcdef"
#define ID2  "fedcba9876543210fedcba9876543210"
#define UUID "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36"

/* The destination of an l3 tunnel after cutover: all five object kinds. */
static const char golden[] =
    "{\"version\":1,"                                /* NC_RECORD_VERSION */
    "\"id\":\"" ID "\","                             /* tunnel id */
    "\"mode\":\"l3\","                               /* NC_MODE_L3 */
    "\"role\":\"dest\","                             /* NC_ROLE_DEST */
    "\"state\":\"cutover\","                         /* NC_STATE_CUTOVER */
    "\"vm\":\"sf-guest-1\","                         /* VM name */
    "\"uuid\":\"" UUID "\","                         /* VM uuid */
    "\"nic\":\"52:54:00:5f:a1:0a\","                 /* VM NIC */
    "\"peer\":\"east.example:7000\","                /* for people */
    "\"local\":\"198.18.0.2\","                      /* underlay, here */
    "\"remote\":\"198.18.0.1\","                     /* underlay, there */
    "\"vni\":4660,"                                  /* 0x1234 */
    "\"port\":4789,"                                 /* VXLAN */
    "\"created\":1700000000,"                        /* Unix seconds */
    "\"keeper\":0,"                                  /* not encrypted */
    "\"objects\":["                                  /* oldest first */
    "{\"kind\":\"link\",\"name\":\"sfv001234\"},"    /* the VXLAN link */
    "{\"kind\":\"neigh\",\"addr\":\"169.254.77.1\"," /* peer's gateway */
    "\"dev\":\"sfv001234\","                         /* */
    "\"mac\":\"02:5f:00:00:00:01\","                 /* permanent */
    "\"proxy\":false},"                              /* */
    "{\"kind\":\"route\",\"dst\":\"0.0.0.0\","       /* default route */
    "\"len\":0,\"dev\":\"sfv001234\","               /* */
    "\"gw\":\"169.254.77.1\",\"onlink\":true,"       /* via the tunnel */
    "\"table\":4096},"                               /* own table */
    "{\"kind\":\"route\",\"dst\":\"10.0.0.5\","      /* the VM's /32 */
    "\"len\":32,\"dev\":\"br0\","                    /* no gw */
    "\"onlink\":false,\"table\":254},"               /* main */
    "{\"kind\":\"rule\",\"family\":\"inet\","        /* what the VM */
    "\"priority\":1000,\"src\":\"10.0.0.5\","        /* sends */
    "\"len\":32,\"iif\":\"br0\",\"table\":4096},"    /* goes back */
    "{\"kind\":\"neigh\",\"addr\":\"fd00::1\","      /* proxy: no mac */
    "\"dev\":\"br0\",\"proxy\":true},"               /* */
    "{\"kind\":\"proxy_arp\",\"dev\":\"br0\","       /* was 0, now 1 */
    "\"old\":0,\"new\":1}]}";

static void addr(const char *s, struct nc_addr *a)
{
	cr_assert_eq(nc_addr_parse(s, a), 0, "%s", s);
}

static struct nc_obj *next_obj(struct nc_record *r, enum nc_obj_kind kind)
{
	struct nc_obj *o = &r->objs[r->n_objs++];

	o->kind = kind;
	return o;
}

static void golden_struct(struct nc_record *r)
{
	static const uint8_t gw_mac[6] = { 0x02, 0x5f, 0, 0, 0, 1 };
	struct nc_obj *o;

	memset(r, 0, sizeof(*r));
	r->version = 1;
	strcpy(r->id, ID);
	r->mode = NC_MODE_L3;
	r->role = NC_ROLE_DEST;
	r->state = NC_STATE_CUTOVER;
	strcpy(r->vm, "sf-guest-1");
	strcpy(r->uuid, UUID);
	strcpy(r->nic_mac, "52:54:00:5f:a1:0a");
	strcpy(r->peer, "east.example:7000");
	addr("198.18.0.2", &r->local);
	addr("198.18.0.1", &r->remote);
	r->vni = 4660;
	r->port = 4789;
	r->created = 1700000000;
	o = next_obj(r, NC_OBJ_LINK);
	strcpy(o->link, "sfv001234");
	o = next_obj(r, NC_OBJ_NEIGH);
	addr("169.254.77.1", &o->neigh.addr);
	strcpy(o->neigh.dev, "sfv001234");
	memcpy(o->neigh.mac, gw_mac, 6);
	o = next_obj(r, NC_OBJ_ROUTE);
	o->route.dst.family = AF_INET;
	strcpy(o->route.dev, "sfv001234");
	addr("169.254.77.1", &o->route.gw);
	o->route.onlink = true;
	o->route.table = 4096;
	o = next_obj(r, NC_OBJ_ROUTE);
	addr("10.0.0.5", &o->route.dst);
	o->route.dst_len = 32;
	strcpy(o->route.dev, "br0");
	o->route.table = 254;
	o = next_obj(r, NC_OBJ_RULE);
	o->rule.family = AF_INET;
	o->rule.priority = 1000;
	addr("10.0.0.5", &o->rule.src);
	o->rule.src_len = 32;
	strcpy(o->rule.iif, "br0");
	o->rule.table = 4096;
	o = next_obj(r, NC_OBJ_NEIGH);
	addr("fd00::1", &o->neigh.addr);
	strcpy(o->neigh.dev, "br0");
	o->neigh.proxy = true;
	o = next_obj(r, NC_OBJ_PROXY_ARP);
	strcpy(o->dev, "br0");
	o->old_value = 0;
	o->new_value = 1;
}

/* An encrypted source end: no underlay, no VNI, a keeper, no objects. */
static void encrypted_struct(struct nc_record *r)
{
	memset(r, 0, sizeof(*r));
	r->version = 1;
	strcpy(r->id, ID2);
	r->mode = NC_MODE_ENCRYPTED;
	r->role = NC_ROLE_SOURCE;
	r->state = NC_STATE_PREPARED;
	strcpy(r->vm, "db_1.prod+x-y");
	strcpy(r->uuid, UUID);
	strcpy(r->nic_mac, "52:54:00:00:00:02");
	strcpy(r->peer, "");
	r->created = 0;
	r->keeper = 4242;
}

static const char encrypted_json[] =
    "{\"version\":1,\"id\":\"" ID2 "\",\"mode\":\"encrypted\","
    "\"role\":\"source\",\"state\":\"prepared\",\"vm\":\"db_1.prod+x-y\","
    "\"uuid\":\"" UUID "\",\"nic\":\"52:54:00:00:00:02\",\"peer\":\"\","
    "\"vni\":0,\"port\":0,\"created\":0,\"keeper\":4242,\"objects\":[]}";

/* Decode text; on success it must equal want (if given). */
static int decode(const char *text, size_t len, struct nc_record *got,
                  struct nc_error *err)
{
	memset(got, 0xa5, sizeof(*got));
	memset(err, 0, sizeof(*err));
	return nc_record_decode(text, len, got, err);
}

static void assert_zero(const struct nc_record *r)
{
	static const struct nc_record zero;

	cr_assert_eq(memcmp(r, &zero, sizeof(*r)), 0,
	             "a rejected record leaves *rec zeroed");
}

Test(nc_record, golden_encode)
{
	struct nc_record r;
	struct nc_error err = { 0 };
	char *json;

	golden_struct(&r);
	json = nc_record_encode(&r, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_str_eq(json, golden);
	free(json);

	encrypted_struct(&r);
	json = nc_record_encode(&r, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_str_eq(json, encrypted_json);
	free(json);
}

Test(nc_record, golden_decode)
{
	struct nc_record want, got;
	struct nc_error err;

	golden_struct(&want);
	cr_assert_eq(decode(golden, strlen(golden), &got, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(memcmp(&got, &want, sizeof(got)), 0);
	cr_assert_eq(got.n_objs, 7);
	cr_assert_eq(got.objs[6].new_value, 1);

	encrypted_struct(&want);
	cr_assert_eq(decode(encrypted_json, strlen(encrypted_json), &got, &err),
	             0, "%s", err.msg);
	cr_assert_eq(memcmp(&got, &want, sizeof(got)), 0);
}

/* decode(encode(x)) == x, for records built field by field. */
Test(nc_record, round_trip)
{
	struct nc_record want, got;
	struct nc_error err;
	struct nc_obj *o;
	char *json;

	golden_struct(&want);
	want.mode = NC_MODE_L2_EXTEND;
	want.role = NC_ROLE_SOURCE;
	want.state = NC_STATE_COMMITTED;
	addr("2001:db8::2", &want.local);
	addr("2001:db8::1", &want.remote);
	want.vni = 16777215;
	want.port = 65535;
	want.created = INT64_MAX;
	memset(want.vm, 'v', 64);
	memset(want.peer, 'p', 255);
	while (want.n_objs < NC_RECORD_OBJS_MAX) {
		o = next_obj(&want, NC_OBJ_RULE);
		o->rule.family = AF_INET6;
		o->rule.priority = UINT32_MAX;
		addr("::", &o->rule.src);
		o->rule.table = UINT32_MAX;
	}
	json = nc_record_encode(&want, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_eq(decode(json, strlen(json), &got, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&got, &want, sizeof(got)), 0);
	free(json);
}

/* Table 0 (main, to netlink) is written as 254: the same table. */
Test(nc_record, table_zero_is_main)
{
	struct nc_record r, got;
	struct nc_error err;
	char *json;

	golden_struct(&r);
	r.objs[3].route.table = 0; /* the golden text says 254 */
	json = nc_record_encode(&r, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_str_eq(json, golden);
	free(json);
	r.objs[4].rule.table = 0;
	json = nc_record_encode(&r, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_not_null(strstr(json, "\"iif\":\"br0\",\"table\":254}"));
	cr_assert_eq(decode(json, strlen(json), &got, &err), 0, "%s", err.msg);
	cr_assert_eq(got.objs[3].route.table, 254);
	cr_assert_eq(got.objs[4].rule.table, 254);
	free(json);
}

Test(nc_record, names_and_ids)
{
	static const uint8_t raw[NC_TUNNEL_ID_LEN] = { 0x01, 0x23, 0x45, 0x67,
		                                       0x89, 0xab, 0xcd, 0xef,
		                                       0x01, 0x23, 0x45, 0x67,
		                                       0x89, 0xab, 0xcd, 0xef };
	uint8_t id[NC_TUNNEL_ID_LEN];
	char hex[NC_TUNNEL_ID_HEX];
	enum nc_mode mode = NC_MODE_NONE;

	nc_tunnel_id_hex(raw, hex);
	cr_assert_str_eq(hex, ID);
	cr_assert_eq(nc_tunnel_id_parse(ID, id), 0);
	cr_assert_eq(memcmp(id, raw, sizeof(id)), 0);
	memset(id, 0, sizeof(id));
	cr_assert_eq(nc_tunnel_id_parse("0123456789ABCDEF0123456789ABCDEF", id),
	             0);
	cr_assert_eq(memcmp(id, raw, sizeof(id)), 0);
	cr_assert_eq(nc_tunnel_id_parse("0123456789abcdef0123456789abcde", id),
	             -EINVAL);
	cr_assert_eq(
	    nc_tunnel_id_parse("0123456789abcdef0123456789abcdef0", id),
	    -EINVAL);
	cr_assert_eq(nc_tunnel_id_parse("0123456789abcdef0123456789abcdeg", id),
	             -EINVAL);
	cr_assert_eq(nc_tunnel_id_parse("", id), -EINVAL);

	cr_assert_eq(nc_mode_parse("l3", &mode), 0);
	cr_assert_eq(mode, NC_MODE_L3);
	cr_assert_eq(nc_mode_parse("l2-extend", &mode), 0);
	cr_assert_eq(mode, NC_MODE_L2_EXTEND);
	cr_assert_eq(nc_mode_parse("encrypted", &mode), 0);
	cr_assert_eq(mode, NC_MODE_ENCRYPTED);
	cr_assert_eq(nc_mode_parse("none", &mode), -EINVAL);
	cr_assert_eq(nc_mode_parse("L3", &mode), -EINVAL);
	cr_assert_eq(nc_mode_parse("", &mode), -EINVAL);
	cr_assert_eq(mode, NC_MODE_ENCRYPTED);
	cr_assert_str_eq(nc_mode_name(NC_MODE_L2_EXTEND), "l2-extend");
	cr_assert_str_eq(nc_mode_name(NC_MODE_NONE), "none");
	cr_assert_str_eq(nc_mode_name((enum nc_mode)99), "unknown");
	cr_assert_str_eq(nc_role_name(NC_ROLE_SOURCE), "source");
	cr_assert_str_eq(nc_role_name(NC_ROLE_DEST), "dest");
	cr_assert_str_eq(nc_role_name((enum nc_role)0), "unknown");
	cr_assert_str_eq(nc_state_name(NC_STATE_PREPARED), "prepared");
	cr_assert_str_eq(nc_state_name(NC_STATE_CUTOVER), "cutover");
	cr_assert_str_eq(nc_state_name(NC_STATE_COMMITTED), "committed");
	cr_assert_str_eq(nc_state_name((enum nc_state)4), "unknown");
}

/* ----- decoding mutated golden records ----- */

static json_t *golden_json(void)
{
	json_t *root = json_loads(golden, 0, NULL);

	cr_assert_not_null(root);
	return root;
}

/* Decode root (taken); expect code and a message containing what. */
static void expect_json(json_t *root, int code, const char *what)
{
	struct nc_record r;
	struct nc_error err;
	char *json = json_dumps(root, JSON_COMPACT);
	int rc;

	cr_assert_not_null(json);
	json_decref(root);
	rc = decode(json, strlen(json), &r, &err);
	cr_assert_eq(rc, code, "rc %d (%s) for %s", rc, err.msg, json);
	if (code < 0) {
		cr_assert_eq(err.code, code);
		cr_assert_not_null(strstr(err.msg, what),
		                   "message '%s' lacks '%s'", err.msg, what);
		assert_zero(&r);
	}
	free(json);
}

/* The golden record with key set to v (taken), or removed. */
static void expect_key(const char *key, json_t *v, int code, const char *what)
{
	json_t *root = golden_json();

	if (v)
		json_object_set_new(root, key, v);
	else
		json_object_del(root, key);
	expect_json(root, code, what);
}

/* The golden record with objects[i].key set to v (taken), or removed. */
static void expect_obj(size_t i, const char *key, json_t *v, int code,
                       const char *what)
{
	json_t *root = golden_json();
	json_t *o = json_array_get(json_object_get(root, "objects"), i);

	cr_assert_not_null(o);
	if (v)
		json_object_set_new(o, key, v);
	else
		json_object_del(o, key);
	expect_json(root, code, what);
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

Test(nc_record, decode_every_key_required)
{
	static const char *const keys[] = { "version", "id",      "mode",
		                            "role",    "state",   "vm",
		                            "uuid",    "nic",     "peer",
		                            "vni",     "port",    "created",
		                            "keeper",  "objects", NULL };
	char what[64];
	size_t i;

	for (i = 0; keys[i]; i++) {
		snprintf(what, sizeof(what), "record: missing field '%s'",
		         keys[i]);
		expect_key(keys[i], NULL, -EPROTO, what);
	}
	/* Optional keys, required by l3. */
	expect_key("local", NULL, -EPROTO,
	           "record: mode l3 needs local and remote");
	expect_key("remote", NULL, -EPROTO,
	           "record: mode l3 needs local and remote");
}

Test(nc_record, decode_every_obj_key_required)
{
	static const struct {
		size_t obj;
		const char *key;
	} keys[] = {
		{ 0, "kind" },  { 0, "name" },   { 1, "addr" },
		{ 1, "dev" },   { 1, "proxy" },  { 2, "dst" },
		{ 2, "len" },   { 2, "dev" },    { 2, "onlink" },
		{ 2, "table" }, { 4, "family" }, { 4, "priority" },
		{ 4, "src" },   { 4, "len" },    { 4, "iif" },
		{ 4, "table" }, { 6, "dev" },    { 6, "old" },
		{ 6, "new" },
	};
	char what[64];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(what, sizeof(what),
		         "record: missing field "
		         "'objects[%zu].%s'",
		         keys[i].obj, keys[i].key);
		expect_obj(keys[i].obj, keys[i].key, NULL, -EPROTO, what);
	}
	/* Optional ones, tied to other fields. */
	expect_obj(1, "mac", NULL, -EPROTO,
	           "record: objects[1].mac is missing or zero");
	expect_obj(2, "gw", NULL, 0, NULL);
	expect_obj(5, "mac", json_string("02:00:00:00:00:01"), -EPROTO,
	           "record: objects[5].mac is set on a proxy entry");
}

Test(nc_record, decode_frame)
{
	json_t *root;

	expect_key("version", json_integer(2), -EPROTO,
	           "record: version 2 is not supported (expected 1)");
	expect_key("version", json_integer(0), -EPROTO,
	           "version 0 is not supported");
	expect_key("version", json_integer(-1), -EPROTO,
	           "record: version -1 is out of range");
	expect_key("version", json_string("1"), -EPROTO,
	           "record: version is a string, expected an integer");
	expect_key("colour", json_string("blue"), -EPROTO,
	           "record: unknown field 'colour'");
	expect_key("type", json_string("record"), -EPROTO,
	           "record: unknown field 'type'");
	expect_obj(0, "colour", json_true(), -EPROTO,
	           "record: unknown field 'objects[0].colour'");
	/* A key of another kind. */
	expect_obj(0, "dev", json_string("x"), -EPROTO,
	           "record: unknown field 'objects[0].dev'");
	expect_obj(6, "gw", json_string("1.2.3.4"), -EPROTO,
	           "record: unknown field 'objects[6].gw'");
	expect_obj(3, "mac", json_string("02:00:00:00:00:01"), -EPROTO,
	           "record: unknown field 'objects[3].mac'");

	root = json_array();
	expect_json(root, -EPROTO, "record: not a JSON object");
	root = golden_json();
	json_array_append_new(json_object_get(root, "objects"),
	                      json_string("link"));
	expect_json(root, -EPROTO,
	            "record: objects[7] is a string, expected an object");
}

Test(nc_record, decode_wrong_types)
{
	expect_key("id", json_integer(7), -EPROTO,
	           "record: id is an integer, expected a string");
	expect_key("mode", json_null(), -EPROTO,
	           "record: mode is null, expected a string");
	expect_key("vni", json_string("4660"), -EPROTO,
	           "record: vni is a string, expected an integer");
	expect_key("vni", json_real(4660.0), -EPROTO,
	           "record: vni is a real number, expected an integer");
	expect_key("created", json_true(), -EPROTO,
	           "record: created is a boolean, expected an integer");
	expect_key("objects", json_object(), -EPROTO,
	           "record: objects is an object, expected an array");
	expect_key("local", json_integer(1), -EPROTO,
	           "record: local is an integer, expected a string");
	expect_obj(2, "onlink", json_integer(1), -EPROTO,
	           "record: objects[2].onlink is an integer, expected a "
	           "boolean");
	expect_obj(5, "proxy", json_string("true"), -EPROTO,
	           "objects[5].proxy is a string, expected a boolean");
	expect_obj(0, "kind", json_integer(1), -EPROTO,
	           "record: objects[0].kind is an integer, expected a string");
	expect_obj(6, "old", json_false(), -EPROTO,
	           "record: objects[6].old is a boolean, expected an integer");
}

Test(nc_record, decode_identity)
{
	expect_key("id", json_string("0123456789ABCDEF0123456789ABCDEF"),
	           -EPROTO,
	           "record: id '0123456789ABCDEF0123456789ABCDEF' is not 32 "
	           "lower-case hex digits");
	expect_key("id", str_of('a', 31), -EPROTO, "is not 32 lower-case");
	expect_key("id", str_of('a', 33), -EPROTO,
	           "record: id is longer than 32 bytes");
	expect_key("id", json_string("../../../../etc/passwd0123456789"),
	           -EPROTO, "is not 32 lower-case");
	expect_key("mode", json_string("none"), -EPROTO,
	           "record: mode 'none' is not known");
	expect_key("mode", json_string("L3"), -EPROTO, "mode 'L3' is not");
	expect_key("role", json_string("both"), -EPROTO,
	           "record: role 'both' is not known");
	expect_key("state", json_string("gone"), -EPROTO,
	           "record: state 'gone' is not known");
	expect_key("state", str_of('s', 300), -EPROTO,
	           "record: state is longer than 15 bytes");
	expect_key("vm", json_string(""), -EPROTO,
	           "record: vm '' is not 1..64 of [A-Za-z0-9_.+-]");
	expect_key("vm", json_string("my vm"), -EPROTO, "vm 'my vm' is not");
	expect_key("vm", json_string("a/b"), -EPROTO, "vm 'a/b' is not");
	expect_key("vm", str_of('v', 65), -EPROTO, "is not 1..64");
	expect_key("vm", str_of('v', 64), 0, NULL);
	expect_key("vm", str_of('v', 256), -EPROTO,
	           "record: vm is longer than 255 bytes");
	expect_key("uuid", json_string("6F2C9A4E-1B7D-4C3A-9E58-0D4B2F1A7C36"),
	           -EPROTO,
	           "record: uuid '6F2C9A4E-1B7D-4C3A-9E58-0D4B2F1A7C36' is not "
	           "a canonical lower-case UUID");
	expect_key("nic", json_string("52:54:00:5F:A1:0A"), -EPROTO,
	           "record: nic '52:54:00:5F:A1:0A' is not a lower-case "
	           "unicast MAC");
	expect_key("nic", json_string("01:00:5e:00:00:01"), -EPROTO,
	           "nic '01:00:5e:00:00:01' is not");
	expect_key("peer", json_string("east\x1b[2J"), -EPROTO,
	           "record: peer has a control character or is not UTF-8");
	expect_key("peer", json_string("\xc3\xa9st"), 0, NULL);
	expect_key("peer", json_string(""), 0, NULL);
	expect_key("peer", str_of('p', 256), -EPROTO,
	           "record: peer is longer than 255 bytes");
	expect_key("peer", json_stringn("a\0b", 3), -EPROTO, "bad JSON");
}

Test(nc_record, decode_underlay_ranges)
{
	json_t *root;

	expect_key("local", json_string("198.18.0.300"), -EPROTO,
	           "record: local '198.18.0.300' is not an IP address");
	expect_key("local", json_string("198.18.0.2/24"), -EPROTO,
	           "local '198.18.0.2/24' is not an IP address");
	expect_key("remote", json_string("fd00::1"), -EPROTO,
	           "record: local and remote are of different families");
	expect_key("vni", json_integer(0), -EPROTO,
	           "record: vni 0 is not 1..16777215");
	expect_key("vni", json_integer(16777216), -EPROTO,
	           "record: vni 16777216 is not 1..16777215");
	expect_key("vni", json_integer(4294967296), -EPROTO,
	           "record: vni 4294967296 is out of range");
	expect_key("vni", json_integer(1), 0, NULL);
	expect_key("port", json_integer(0), -EPROTO,
	           "record: port 0 is not 1..65535");
	expect_key("port", json_integer(65536), -EPROTO,
	           "record: port 65536 is out of range");
	expect_key("port", json_integer(-1), -EPROTO,
	           "record: port -1 is out of range");
	expect_key("created", json_integer(-1), -EPROTO,
	           "record: created -1 is negative");
	expect_key("keeper", json_integer(-1), -EPROTO,
	           "record: keeper -1 is negative");
	expect_key("keeper", json_integer(4294967296), -EPROTO,
	           "record: keeper 4294967296 is out of range");
	expect_key("keeper", json_integer(77), -EPROTO,
	           "record: keeper 77 is set but the record is not an "
	           "encrypted source");

	/* Encrypted: vni and port 0, the underlay optional. */
	root = golden_json();
	json_object_set_new(root, "mode", json_string("encrypted"));
	expect_json(json_deep_copy(root), -EPROTO,
	            "record: vni 4660 and port 4789 are not 0 for mode "
	            "encrypted");
	json_object_set_new(root, "vni", json_integer(0));
	json_object_set_new(root, "port", json_integer(0));
	expect_json(json_deep_copy(root), 0, NULL);
	json_object_del(root, "local");
	json_object_del(root, "remote");
	expect_json(root, 0, NULL);
}

Test(nc_record, decode_objects)
{
	json_t *objs;
	size_t i;

	expect_obj(0, "kind", json_string("bridge"), -EPROTO,
	           "record: objects[0].kind 'bridge' is not link, route, "
	           "rule, neigh or proxy_arp");
	expect_obj(0, "name", json_string("a b"), -EPROTO,
	           "record: objects[0].name 'a b' is not an interface name");
	expect_obj(0, "name", json_string(""), -EPROTO,
	           "objects[0].name '' is not an interface name");
	expect_obj(0, "name", str_of('n', 16), -EPROTO,
	           "record: objects[0].name is longer than 15 bytes");
	expect_obj(0, "name", str_of('n', 15), 0, NULL);
	expect_obj(2, "len", json_integer(33), -EPROTO,
	           "record: objects[2].len 33 is not 0..32");
	expect_obj(2, "len", json_integer(129), -EPROTO,
	           "record: objects[2].len 129 is out of range");
	expect_obj(2, "gw", json_string("fd00::1"), -EPROTO,
	           "record: objects[2].gw is not of the family of dst");
	expect_obj(2, "dst", json_string("fd00::"), -EPROTO,
	           "objects[2].gw is not of the family of dst");
	expect_obj(2, "dst", json_string("default"), -EPROTO,
	           "record: objects[2].dst 'default' is not an IP address");
	expect_obj(2, "table", json_integer(0), -EPROTO,
	           "record: objects[2].table 0 is out of range");
	expect_obj(2, "table", json_integer(4294967296), -EPROTO,
	           "objects[2].table 4294967296 is out of range");
	expect_obj(2, "table", json_integer(4294967295), 0, NULL);
	expect_obj(2, "dev", json_string("x:y"), -EPROTO,
	           "record: objects[2].dev 'x:y' is not an interface name");
	expect_obj(4, "family", json_string("inet6"), -EPROTO,
	           "record: objects[4].src is not of the rule's family");
	expect_obj(4, "family", json_string("ipv4"), -EPROTO,
	           "record: objects[4].family 'ipv4' is not inet or inet6");
	expect_obj(4, "priority", json_integer(0), -EPROTO,
	           "record: objects[4].priority is 0");
	expect_obj(4, "len", json_integer(33), -EPROTO,
	           "record: objects[4].len 33 is not 0..32");
	expect_obj(4, "iif", json_string(""), 0, NULL);
	expect_obj(4, "iif", json_string("."), -EPROTO,
	           "record: objects[4].iif '.' is not an interface name");
	expect_obj(1, "mac", json_string("02:5F:00:00:00:01"), -EPROTO,
	           "record: objects[1].mac '02:5F:00:00:00:01' is not a "
	           "lower-case MAC");
	expect_obj(1, "mac", json_string("02:5f:00:00:00"), -EPROTO,
	           "is not a lower-case MAC");
	expect_obj(1, "mac", json_string("00:00:00:00:00:00"), -EPROTO,
	           "record: objects[1].mac is missing or zero");
	expect_obj(1, "addr", json_string("fe80::1%eth0"), -EPROTO,
	           "record: objects[1].addr 'fe80::1%eth0' is not an IP "
	           "address");
	expect_obj(6, "old", json_integer(3), -EPROTO,
	           "record: objects[6].old 3 is out of range");
	expect_obj(6, "new", json_integer(-1), -EPROTO,
	           "record: objects[6].new -1 is out of range");
	expect_obj(6, "new", json_integer(2), 0, NULL);

	objs = json_array();
	for (i = 0; i <= NC_RECORD_OBJS_MAX; i++)
		json_array_append_new(
		    objs, json_pack("{s:s, s:s}", "kind", "link", "name", "x"));
	expect_key("objects", objs, -EPROTO,
	           "record: objects has 65 entries, at most 64");
}

Test(nc_record, decode_bad_buffers)
{
	static char big[NC_RECORD_FILE_MAX + 2];
	struct nc_record r;
	struct nc_error err;
	size_t len;
	char dup[sizeof(golden) + 16];

	cr_assert_eq(decode(golden, 0, &r, &err), -EMSGSIZE);
	cr_assert_str_eq(err.msg, "record: 0 bytes, expected 1..262144");
	assert_zero(&r);
	cr_assert_eq(decode(NULL, 10, &r, &err), -EMSGSIZE);
	/* Too big, even if white space. */
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, golden, strlen(golden));
	cr_assert_eq(decode(big, NC_RECORD_FILE_MAX, &r, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(decode(big, NC_RECORD_FILE_MAX + 1, &r, &err), -EMSGSIZE);
	cr_assert_str_eq(err.msg, "record: 262145 bytes, expected 1..262144");
	assert_zero(&r);

	/* Every truncation of the golden record is refused. */
	for (len = 1; len < strlen(golden); len++) {
		cr_assert_eq(decode(golden, len, &r, &err), -EPROTO,
		             "accepted %zu bytes", len);
		cr_assert_not_null(strstr(err.msg, "record: bad JSON"), "%s",
		                   err.msg);
		assert_zero(&r);
	}
	/* Garbage, trailing garbage, two objects. */
	cr_assert_eq(decode("\x00\xff\xfe", 3, &r, &err), -EPROTO);
	cr_assert_eq(decode("[]", 2, &r, &err), -EPROTO);
	cr_assert_str_eq(err.msg, "record: not a JSON object");
	cr_assert_eq(decode("{} {}", 5, &r, &err), -EPROTO);
	cr_assert_eq(decode("null", 4, &r, &err), -EPROTO);

	/* A duplicate key. */
	snprintf(dup, sizeof(dup), "{\"vni\":1,%s", golden + 1);
	cr_assert_eq(decode(dup, strlen(dup), &r, &err), -EPROTO);
	cr_assert_not_null(strstr(err.msg, "duplicate"), "%s", err.msg);
	assert_zero(&r);
}

/* ----- encoder ----- */

/* Encoding r must fail with -EINVAL and a message containing what. */
static void expect_encode_fails(const struct nc_record *r, const char *what)
{
	struct nc_error err = { 0 };
	char *json = nc_record_encode(r, &err);

	cr_assert_null(json, "encoded %s", json);
	cr_assert_eq(err.code, -EINVAL);
	cr_assert_not_null(strstr(err.msg, what), "message '%s' lacks '%s'",
	                   err.msg, what);
}

Test(nc_record, encode_checks)
{
	struct nc_record r;

	golden_struct(&r);
	r.version = 2;
	expect_encode_fails(&r, "record: version 2 is not supported");
	golden_struct(&r);
	r.mode = NC_MODE_NONE;
	expect_encode_fails(&r, "record: mode 0 is not known");
	golden_struct(&r);
	r.id[5] = 'G';
	expect_encode_fails(&r, "is not 32 lower-case hex digits");
	golden_struct(&r);
	strcpy(r.peer, "bad\nline");
	expect_encode_fails(&r, "record: peer has a control character");
	golden_struct(&r);
	r.local.family = 0;
	expect_encode_fails(&r, "record: mode l3 needs local and remote");
	golden_struct(&r);
	r.local.family = 99;
	expect_encode_fails(&r, "record: local or remote has a bad family");
	golden_struct(&r);
	r.n_objs = NC_RECORD_OBJS_MAX + 1;
	expect_encode_fails(&r, "record: 65 objects, at most 64");
	golden_struct(&r);
	r.objs[0].kind = 0;
	expect_encode_fails(&r, "record: objects[0].kind 0 is not known");
	golden_struct(&r);
	r.objs[5].neigh.mac[0] = 2;
	expect_encode_fails(&r, "record: objects[5].mac is set on a proxy");
	golden_struct(&r);
	r.objs[6].new_value = 3;
	expect_encode_fails(&r, "record: objects[6].old 0 or new 3 is not "
	                        "0..2");
	golden_struct(&r);
	r.objs[4].rule.src.family = 0;
	expect_encode_fails(&r, "objects[4].src is not of the rule's family");
	golden_struct(&r);
	r.objs[4].rule.family = AF_UNIX;
	expect_encode_fails(&r, "record: objects[4].family 1 is not inet");
	golden_struct(&r);
	r.objs[2].route.dst.family = 0;
	expect_encode_fails(&r, "record: objects[2].dst has no address family");
	golden_struct(&r);
	r.objs[1].neigh.addr.family = 0;
	expect_encode_fails(&r, "record: objects[1].addr has no address");
	/* NULL err is fine. */
	cr_assert_null(nc_record_encode(&r, NULL));
}

/* ----- files ----- */

static char tmpdir[64];

static void tmpdir_make(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sf-rec-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void tmpdir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

/* tmpdir/name into a static buffer. */
static const char *in_tmp(const char *name)
{
	static char path[192];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

Test(nc_record, save_load_remove, .init = tmpdir_make, .fini = tmpdir_remove)
{
	struct nc_record want, got;
	struct nc_error err = { 0 };
	char dir[128];
	struct stat st;

	/* A directory that does not exist yet, two levels down. */
	snprintf(dir, sizeof(dir), "%s/state/tunnels", tmpdir);
	golden_struct(&want);
	cr_assert_eq(nc_record_save(dir, &want, &err), 0, "%s", err.msg);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(stat(in_tmp("state/tunnels/" ID ".json"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq((size_t)st.st_size, strlen(golden));
	cr_assert_eq(access(in_tmp("state/tunnels/." ID ".json.tmp"), F_OK),
	             -1);

	cr_assert_eq(nc_record_load(dir, ID, &got, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&got, &want, sizeof(got)), 0);

	/* Replaced whole; a stale temporary file is no obstacle. */
	write_file(in_tmp("state/tunnels/." ID ".json.tmp"), "junk", 4);
	want.state = NC_STATE_COMMITTED;
	want.n_objs = 1;
	memset(&want.objs[1], 0, sizeof(want.objs[1]) * 6);
	cr_assert_eq(nc_record_save(dir, &want, &err), 0, "%s", err.msg);
	cr_assert_eq(access(in_tmp("state/tunnels/." ID ".json.tmp"), F_OK),
	             -1);
	cr_assert_eq(nc_record_load(dir, ID, &got, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&got, &want, sizeof(got)), 0);

	cr_assert_eq(nc_record_remove(dir, ID, &err), 0, "%s", err.msg);
	cr_assert_eq(access(in_tmp("state/tunnels/" ID ".json"), F_OK), -1);
	cr_assert_eq(nc_record_remove(dir, ID, &err), 0, "%s", err.msg);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(nc_record_load(dir, ID, &got, &err), -ENOENT);
	cr_assert_not_null(strstr(err.msg, ID ".json"), "%s", err.msg);
	assert_zero(&got);

	cr_assert_eq(nc_record_remove(dir, "../x", &err), -EINVAL);
	cr_assert_eq(nc_record_load(dir, "0123", &got, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "record: id '0123' is not 32 lower-case hex "
	                          "digits");
}

Test(nc_record, save_refuses, .init = tmpdir_make, .fini = tmpdir_remove)
{
	struct nc_record r;
	struct nc_error err = { 0 };

	golden_struct(&r);
	r.vni = 0;
	cr_assert_eq(nc_record_save(tmpdir, &r, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "record: vni 0 is not 1..16777215");
	cr_assert_eq(access(in_tmp(ID ".json"), F_OK), -1);
	golden_struct(&r);
	write_file(in_tmp("file"), "x", 1);
	cr_assert_eq(nc_record_save(in_tmp("file"), &r, &err), -ENOTDIR);
	cr_assert_eq(nc_record_save(in_tmp("file/sub"), &r, &err), -ENOTDIR);
	cr_assert_eq(nc_record_save("", &r, &err), -EINVAL);
	cr_assert_eq(nc_record_save(NULL, &r, NULL), -EINVAL);
}

Test(nc_record, load_refuses, .init = tmpdir_make, .fini = tmpdir_remove)
{
	static char big[NC_RECORD_FILE_MAX + 1];
	struct nc_record r;
	struct nc_error err = { 0 };
	char target[192];

	/* A record of another id under this name. */
	write_file(in_tmp(ID2 ".json"), golden, strlen(golden));
	cr_assert_eq(nc_record_load(tmpdir, ID2, &r, &err), -EPROTO);
	cr_assert_str_eq(strstr(err.msg, ID2 ".json: "),
	                 ID2 ".json: holds the record of id " ID);
	assert_zero(&r);

	/* A symbolic link, even to a good record. */
	write_file(in_tmp("elsewhere"), golden, strlen(golden));
	strcpy(target, in_tmp("elsewhere"));
	cr_assert_eq(symlink(target, in_tmp(ID ".json")), 0);
	cr_assert_eq(nc_record_load(tmpdir, ID, &r, &err), -ELOOP);
	cr_assert_not_null(strstr(err.msg, "is a symbolic link"), "%s",
	                   err.msg);
	assert_zero(&r);
	unlink(in_tmp(ID ".json"));

	/* A directory, a FIFO. */
	cr_assert_eq(mkdir(in_tmp(ID ".json"), 0700), 0);
	cr_assert_eq(nc_record_load(tmpdir, ID, &r, &err), -EPROTO);
	cr_assert_not_null(strstr(err.msg, "is not a regular file"), "%s",
	                   err.msg);
	rmdir(in_tmp(ID ".json"));
	cr_assert_eq(mkfifo(in_tmp(ID ".json"), 0600), 0);
	cr_assert_eq(nc_record_load(tmpdir, ID, &r, &err), -EPROTO);
	unlink(in_tmp(ID ".json"));

	/* Too big, though the record in it is good. */
	memset(big, ' ', sizeof(big));
	memcpy(big, golden, strlen(golden));
	write_file(in_tmp(ID ".json"), big, sizeof(big));
	cr_assert_eq(nc_record_load(tmpdir, ID, &r, &err), -EMSGSIZE);
	cr_assert_not_null(strstr(err.msg, "is 262145 bytes, at most 262144"),
	                   "%s", err.msg);
	write_file(in_tmp(ID ".json"), big, sizeof(big) - 1);
	cr_assert_eq(nc_record_load(tmpdir, ID, &r, &err), 0, "%s", err.msg);

	/* Damaged. */
	write_file(in_tmp(ID ".json"), golden, 40);
	cr_assert_eq(nc_record_load(tmpdir, ID, &r, &err), -EPROTO);
	cr_assert_not_null(strstr(err.msg, ID ".json: record: bad JSON"), "%s",
	                   err.msg);
	write_file(in_tmp(ID ".json"), "", 0);
	cr_assert_eq(nc_record_load(tmpdir, ID, &r, &err), -EMSGSIZE);
}

struct seen {
	char ids[8][NC_TUNNEL_ID_HEX];
	size_t n;
	char bad[8][256];
	size_t n_bad;
	size_t stop_after; /* 0: never */
};

static int seen_fn(void *arg, const struct nc_record *rec)
{
	struct seen *s = arg;

	cr_assert_lt(s->n, 8);
	strcpy(s->ids[s->n++], rec->id);
	return s->stop_after && s->n == s->stop_after ? 42 : 0;
}

static void seen_bad(void *arg, const char *path, const char *why)
{
	struct seen *s = arg;

	cr_assert_lt(s->n_bad, 8);
	snprintf(s->bad[s->n_bad++], sizeof(s->bad[0]), "%s: %s",
	         strrchr(path, '/') + 1, why);
}

Test(nc_record, foreach, .init = tmpdir_make, .fini = tmpdir_remove)
{
	static const char *const ids[] = { "ffffffffffffffffffffffffffffffff",
		                           ID2,
		                           "00000000000000000000000000000001",
		                           ID };
	struct nc_record r;
	struct nc_error err = { 0 };
	struct seen s;
	char target[192];
	size_t i;

	cr_assert_eq(
	    nc_record_foreach(in_tmp("none"), seen_fn, seen_bad, &s, &err), 0,
	    "a missing directory is an empty list");

	golden_struct(&r);
	for (i = 0; i < 4; i++) {
		strcpy(r.id, ids[i]);
		cr_assert_eq(nc_record_save(tmpdir, &r, &err), 0, "%s",
		             err.msg);
	}
	/* Damaged, or not named like a record: reported and skipped. */
	write_file(in_tmp("11111111111111111111111111111111.json"), golden,
	           strlen(golden)); /* holds ID */
	write_file(in_tmp("22222222222222222222222222222222.json"), "{", 1);
	strcpy(target, in_tmp(ID ".json"));
	cr_assert_eq(
	    symlink(target, in_tmp("33333333333333333333333333333333.json")),
	    0);
	/* Not records at all: left alone. */
	write_file(in_tmp("README"), "x", 1);
	write_file(in_tmp("." ID ".json.tmp"), "x", 1);
	write_file(in_tmp("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.json"), "x", 1);
	write_file(in_tmp("44444444444444444444444444444444.json~"), "x", 1);

	memset(&s, 0, sizeof(s));
	cr_assert_eq(nc_record_foreach(tmpdir, seen_fn, seen_bad, &s, &err), 0,
	             "%s", err.msg);
	cr_assert_eq(s.n, 4);
	cr_assert_str_eq(s.ids[0], "00000000000000000000000000000001");
	cr_assert_str_eq(s.ids[1], ID);
	cr_assert_str_eq(s.ids[2], ID2);
	cr_assert_str_eq(s.ids[3], "ffffffffffffffffffffffffffffffff");
	cr_assert_eq(s.n_bad, 3);
	cr_assert_str_eq(s.bad[0], "11111111111111111111111111111111.json: "
	                           "holds the record of id " ID);
	cr_assert_str_eq(s.bad[1], "22222222222222222222222222222222.json: "
	                           "record: bad JSON at line 1 column 1: "
	                           "string or '}' expected near end of file");
	cr_assert_str_eq(s.bad[2], "33333333333333333333333333333333.json: "
	                           "is a symbolic link");

	/* fn stops the walk; bad may be NULL. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	cr_assert_eq(nc_record_foreach(tmpdir, seen_fn, NULL, &s, &err), 42);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.ids[1], ID);
}

Test(nc_record, add_and_drop, .init = tmpdir_make, .fini = tmpdir_remove)
{
	struct nc_record r, got;
	struct nc_error err = { 0 };
	struct nc_obj obj = { .kind = NC_OBJ_LINK }, bad = { .kind = 0 };
	size_t i;

	golden_struct(&r);
	r.n_objs = 0;
	memset(r.objs, 0, sizeof(r.objs));
	cr_assert_eq(nc_record_drop_last(tmpdir, &r, &err), -EINVAL);
	strcpy(obj.link, "sfv000001");
	cr_assert_eq(nc_record_add_obj(tmpdir, &r, &obj, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(r.n_objs, 1);
	cr_assert_eq(nc_record_load(tmpdir, ID, &got, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&got, &r, sizeof(got)), 0);

	/* An object that does not encode is neither kept nor saved. */
	cr_assert_eq(nc_record_add_obj(tmpdir, &r, &bad, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "record: objects[1].kind 0 is not known");
	cr_assert_eq(r.n_objs, 1);
	cr_assert_eq(r.objs[1].kind, 0);
	cr_assert_eq(nc_record_load(tmpdir, ID, &got, &err), 0, "%s", err.msg);
	cr_assert_eq(got.n_objs, 1);

	for (i = 1; i < NC_RECORD_OBJS_MAX; i++)
		cr_assert_eq(nc_record_add_obj(tmpdir, &r, &obj, &err), 0, "%s",
		             err.msg);
	cr_assert_eq(nc_record_add_obj(tmpdir, &r, &obj, &err), -ENOSPC);
	cr_assert_eq(r.n_objs, NC_RECORD_OBJS_MAX);
	cr_assert_eq(nc_record_load(tmpdir, ID, &got, &err), 0, "%s", err.msg);
	cr_assert_eq(got.n_objs, NC_RECORD_OBJS_MAX);

	cr_assert_eq(nc_record_drop_last(tmpdir, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_objs, NC_RECORD_OBJS_MAX - 1);
	cr_assert_eq(r.objs[NC_RECORD_OBJS_MAX - 1].kind, 0);
	cr_assert_eq(nc_record_load(tmpdir, ID, &got, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&got, &r, sizeof(got)), 0);

	/* A failed save keeps the object (NULL err is fine). */
	cr_assert_eq(nc_record_drop_last(in_tmp(ID ".json"), &r, NULL),
	             -ENOTDIR);
	cr_assert_eq(r.n_objs, NC_RECORD_OBJS_MAX - 1);
	cr_assert_str_eq(r.objs[NC_RECORD_OBJS_MAX - 2].link, "sfv000001");
}

/* ----- undo, in a private network namespace ----- */

static void sh(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The output of cmd (at most 4 KiB), in a static buffer. */
static const char *sh_out(const char *cmd)
{
	static char out[4096];
	FILE *f = popen(cmd, "r");
	size_t n;

	cr_assert_not_null(f, "%s", cmd);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	return out;
}

static int proxy_arp_read(const char *dev)
{
	char path[96];
	FILE *f;
	int value = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/proxy_arp",
	         dev);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fscanf(f, "%d", &value), 1);
	fclose(f);
	return value;
}

static void proxy_arp_write(const char *dev, int value)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
	         "echo %d > /proc/sys/net/ipv4/conf/%s/proxy_arp", value, dev);
	sh(cmd);
}

/* A fresh network namespace of this test's own, with a bridge sfbr0. */
static void netns_enter(void)
{
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
	sh("ip link set lo up");
	sh("ip link add sfbr0 type bridge");
	sh("ip addr add 10.9.0.1/24 dev sfbr0");
	sh("ip link set sfbr0 up");
}

/*
 * Make, with ip(8), the objects the record of an l3 destination lists, and
 * the record (saved and read back, as after a restart).
 */
static void undo_setup(struct nc_record *r)
{
	struct nc_error err = { 0 };
	struct nc_record saved;
	struct nc_obj *o;

	sh("ip link add sfve0 type veth peer name sfve1");
	sh("ip route add 10.9.1.0/24 dev sfbr0 table 100");
	sh("ip route add 10.9.2.0/24 via 10.9.0.2 dev sfbr0");
	sh("ip rule add from 10.9.0.5/32 iif sfbr0 lookup 100 pref 1000");
	sh("ip -6 rule add from fd00::5/128 lookup 100 pref 1001");
	sh("ip neigh add 10.9.0.7 lladdr 02:00:00:00:00:07 dev sfbr0 "
	   "nud permanent");
	sh("ip neigh add proxy 10.9.0.8 dev sfbr0");
	proxy_arp_write("sfbr0", 1);

	golden_struct(&saved);
	memset(saved.objs, 0, sizeof(saved.objs));
	saved.n_objs = 0;
	o = next_obj(&saved, NC_OBJ_LINK);
	strcpy(o->link, "sfve0");
	o = next_obj(&saved, NC_OBJ_ROUTE);
	addr("10.9.1.0", &o->route.dst);
	o->route.dst_len = 24;
	strcpy(o->route.dev, "sfbr0");
	o->route.table = 100;
	o = next_obj(&saved, NC_OBJ_ROUTE);
	addr("10.9.2.0", &o->route.dst);
	o->route.dst_len = 24;
	strcpy(o->route.dev, "sfbr0");
	addr("10.9.0.2", &o->route.gw);
	o->route.table = 0; /* main: saved as 254 */
	o = next_obj(&saved, NC_OBJ_RULE);
	o->rule.family = AF_INET;
	o->rule.priority = 1000;
	addr("10.9.0.5", &o->rule.src);
	o->rule.src_len = 32;
	strcpy(o->rule.iif, "sfbr0");
	o->rule.table = 100;
	o = next_obj(&saved, NC_OBJ_RULE);
	o->rule.family = AF_INET6;
	o->rule.priority = 1001;
	addr("fd00::5", &o->rule.src);
	o->rule.src_len = 128;
	o->rule.table = 100;
	o = next_obj(&saved, NC_OBJ_NEIGH);
	addr("10.9.0.7", &o->neigh.addr);
	strcpy(o->neigh.dev, "sfbr0");
	memcpy(o->neigh.mac, "\x02\x00\x00\x00\x00\x07", 6);
	o = next_obj(&saved, NC_OBJ_NEIGH);
	addr("10.9.0.8", &o->neigh.addr);
	strcpy(o->neigh.dev, "sfbr0");
	o->neigh.proxy = true;
	o = next_obj(&saved, NC_OBJ_PROXY_ARP);
	strcpy(o->dev, "sfbr0");
	o->old_value = 0;
	o->new_value = 1;
	cr_assert_eq(nc_record_save(tmpdir, &saved, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_record_load(tmpdir, ID, r, &err), 0, "%s", err.msg);
	cr_assert_eq(r->objs[2].route.table, 254);
}

/* Is each object of undo_setup there (or gone)? */
static void undo_expect(bool there)
{
	cr_assert_eq(system("ip link show sfve0 >/dev/null 2>&1") == 0, there);
	cr_assert_eq(system("ip link show sfve1 >/dev/null 2>&1") == 0, there);
	cr_assert_eq(!!strstr(sh_out("ip route show table 100"), "10.9.1.0/24"),
	             there);
	cr_assert_eq(!!strstr(sh_out("ip route show"), "10.9.2.0/24"), there);
	cr_assert_eq(!!strstr(sh_out("ip rule show"), "from 10.9.0.5 iif "
	                                              "sfbr0 lookup 100"),
	             there);
	cr_assert_eq(!!strstr(sh_out("ip -6 rule show"), "fd00::5"), there);
	cr_assert_eq(!!strstr(sh_out("ip neigh show dev sfbr0"),
	                      "10.9.0.7 lladdr 02:00:00:00:00:07 PERMANENT"),
	             there);
	cr_assert_eq(!!strstr(sh_out("ip neigh show proxy"), "10.9.0.8"),
	             there);
	cr_assert_eq(proxy_arp_read("sfbr0"), there ? 1 : 0);
	/* What the record does not list stays. */
	cr_assert_not_null(strstr(sh_out("ip route show"), "10.9.0.0/24"));
	sh("ip link show sfbr0 >/dev/null");
}

Test(nc_record, undo, .init = tmpdir_make, .fini = tmpdir_remove)
{
	struct nc_record r;
	struct nc_error err = { 0 };
	struct nc_nl *nl;

	netns_enter();
	undo_setup(&r);
	undo_expect(true);
	nl = nc_nl_open(&err);
	cr_assert_not_null(nl, "%s", err.msg);
	cr_assert_eq(nc_record_undo(nl, &r, &err), 0, "%s", err.msg);
	undo_expect(false);
	/* Again: everything is gone already, which is fine. */
	cr_assert_eq(nc_record_undo(nl, &r, &err), 0, "%s", err.msg);
	undo_expect(false);
	/* The file is the caller's. */
	cr_assert_eq(access(in_tmp(ID ".json"), F_OK), 0);
	nc_nl_close(nl);
}

/* proxy_arp changed by someone else since is theirs. */
Test(nc_record, undo_leaves_proxy_arp_changed_since, .init = tmpdir_make,
     .fini = tmpdir_remove)
{
	struct nc_record r;
	struct nc_error err = { 0 };
	struct nc_nl *nl;

	netns_enter();
	undo_setup(&r);
	proxy_arp_write("sfbr0", 2);
	nl = nc_nl_open(&err);
	cr_assert_not_null(nl, "%s", err.msg);
	cr_assert_eq(nc_record_undo(nl, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(proxy_arp_read("sfbr0"), 2);
	/* Still new_value: put back to old_value. */
	proxy_arp_write("sfbr0", 1);
	cr_assert_eq(nc_record_undo(nl, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(proxy_arp_read("sfbr0"), 0);
	nc_nl_close(nl);
}

/* Keeps going after a failure and returns the first. */
Test(nc_record, undo_keeps_going)
{
	struct nc_record r;
	struct nc_error err = { 0 };
	struct nc_nl *nl;

	netns_enter();
	proxy_arp_write("sfbr0", 1);
	sh("ip link add sfve0 type veth peer name sfve1");
	golden_struct(&r);
	r.n_objs = 0;
	memset(r.objs, 0, sizeof(r.objs));
	strcpy(next_obj(&r, NC_OBJ_LINK)->link, "sfve0");
	next_obj(&r, 99); /* unknown: fails */
	strcpy(next_obj(&r, NC_OBJ_PROXY_ARP)->dev, "sfbr0");
	r.objs[2].new_value = 1;
	nl = nc_nl_open(&err);
	cr_assert_not_null(nl, "%s", err.msg);
	cr_assert_eq(nc_record_undo(nl, &r, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "record: object kind 99");
	cr_assert_eq(proxy_arp_read("sfbr0"), 0);
	cr_assert_neq(system("ip link show sfve0 >/dev/null 2>&1"), 0);
	nc_nl_close(nl);
}
