/*
 * test_nl.c: the netlink operations, against the kernel, each test in its
 * own network namespace (Criterion forks per test; .init unshares before
 * anything is created). What the calls did is read back both through
 * nc_link_get and friends and through iproute2, so a bug shared by the
 * setter and the getter cannot hide.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/neighbour.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netcontinuity/nl.h"

static void netns_enter(void)
{
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(system("ip link set lo up"), 0);
}

TestSuite(nc_nl, .init = netns_enter, .timeout = 60);

/* Run a shell command; it must succeed. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The standard output of a shell command, which must succeed. Freed by
 * the caller. */
static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *sh_out(const char *fmt, ...)
{
	size_t len = 0, cap = 1 << 16;
	char cmd[512];
	char *buf;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	buf = malloc(cap);
	cr_assert_not_null(buf);
	f = popen(cmd, "r");
	cr_assert_not_null(f, "%s", cmd);
	len = fread(buf, 1, cap - 1, f);
	buf[len] = '\0';
	cr_assert_eq(pclose(f), 0, "%s", cmd);
	return buf;
}

/* `ip -d -j link show dev NAME`, the link's object. */
static json_t *ip_link_json(const char *name)
{
	char *out = sh_out("ip -d -j link show dev %s", name);
	json_error_t jerr;
	json_t *root, *link;

	root = json_loads(out, 0, &jerr);
	cr_assert_not_null(root, "ip -j: %s: %s", jerr.text, out);
	free(out);
	link = json_array_get(root, 0);
	cr_assert_not_null(link);
	json_incref(link);
	json_decref(root);
	return link;
}

static const char *json_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	cr_assert_not_null(s, "no string '%s'", key);
	return s;
}

static long long json_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	cr_assert(json_is_integer(v), "no integer '%s'", key);
	return json_integer_value(v);
}

/* How many links `ip` sees (a new namespace may hold fallback tunnels). */
static int ip_link_count(void)
{
	char *out = sh_out("ip -o link show | wc -l");
	int n = atoi(out);

	free(out);
	cr_assert_gt(n, 0);
	return n;
}

static struct nc_nl *nl_open(void)
{
	struct nc_error err = { 0 };
	struct nc_nl *nl = nc_nl_open(&err);

	cr_assert_not_null(nl, "%s", err.msg);
	return nl;
}

static struct nc_addr addr(const char *text)
{
	struct nc_addr a;

	cr_assert_eq(nc_addr_parse(text, &a), 0, "%s", text);
	return a;
}

static void vxlan_conf(struct nc_vxlan_conf *c, const char *name, uint32_t vni,
                       uint16_t port, const char *local, const char *remote)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->vni = vni;
	c->port = port;
	c->local = addr(local);
	c->remote = addr(remote);
}

static int ifindex_of(struct nc_nl *nl, const char *name)
{
	struct nc_link_info info;
	struct nc_error err;

	cr_assert_eq(nc_link_get(nl, name, &info, &err), 0, "%s", err.msg);
	return info.ifindex;
}

static void bridge_add(const char *name)
{
	sh("ip link add %s type bridge && ip link set %s up", name, name);
}

/* A UDP socket holding port on the wildcard address of family. */
static int udp_hold(int family, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1;

	cr_assert_geq(fd, 0);
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		sin6.sin6_port = htons(port);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)),
		             0, "bind: %s", strerror(errno));
	} else {
		sin.sin_port = htons(port);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0,
		             "bind: %s", strerror(errno));
	}
	return fd;
}

/* --- handle and links -------------------------------------------------- */

Test(nc_nl, open_close)
{
	struct nc_nl *nl = nl_open();

	nc_nl_close(nl);
	nc_nl_close(NULL);
}

Test(nc_nl, link_get_missing_and_bad_name)
{
	struct nc_nl *nl = nl_open();
	struct nc_link_info info;
	struct nc_error err;

	cr_assert_eq(nc_link_get(nl, "nope0", &info, &err), -ENODEV);
	cr_assert_eq(err.code, -ENODEV);
	cr_assert_str_eq(err.msg, "no interface 'nope0'");
	cr_assert_eq(nc_link_get(nl, "a/b", &info, &err), -EINVAL);
	cr_assert(strstr(err.msg, "'a/b' is not a valid interface name"), "%s",
	          err.msg);
	cr_assert_eq(nc_link_get(nl, "abcdefghijklmnop", &info, &err), -EINVAL);
	nc_nl_close(nl);
}

Test(nc_nl, link_get_bridge)
{
	struct nc_nl *nl = nl_open();
	struct nc_link_info info;
	struct nc_error err;
	char mac[NC_MAC_STRLEN];
	json_t *j;

	sh("ip link add br0 type bridge");
	cr_assert_eq(nc_link_get(nl, "br0", &info, &err), 0, "%s", err.msg);
	j = ip_link_json("br0");
	cr_assert_str_eq(info.name, "br0");
	cr_assert_str_eq(info.kind, "bridge");
	cr_assert_eq(info.ifindex, json_int(j, "ifindex"));
	cr_assert_eq(info.mtu, 1500);
	cr_assert_not(info.up);
	cr_assert_eq(info.master, 0);
	cr_assert_str_eq(nc_mac_format(info.mac, mac, sizeof(mac)),
	                 json_str(j, "address"));
	cr_assert_eq(info.vni, 0);
	cr_assert_eq(info.local.family, 0);
	json_decref(j);
	nc_nl_close(nl);
}

struct link_seen {
	bool lo, br0;
	int calls;
	int stop_at;
};

static int link_seen_one(void *arg, const struct nc_link_info *link)
{
	struct link_seen *seen = arg;

	seen->calls++;
	if (strcmp(link->name, "lo") == 0)
		seen->lo = true;
	if (strcmp(link->name, "br0") == 0 && strcmp(link->kind, "bridge") == 0)
		seen->br0 = true;
	return seen->calls == seen->stop_at ? 42 : 0;
}

Test(nc_nl, link_foreach)
{
	struct nc_nl *nl = nl_open();
	struct link_seen seen = { 0 };
	struct nc_error err;

	bridge_add("br0");
	cr_assert_eq(nc_link_foreach(nl, link_seen_one, &seen, &err), 0, "%s",
	             err.msg);
	cr_assert(seen.lo && seen.br0);
	cr_assert_eq(seen.calls, ip_link_count());
	/* A non-zero return stops the walk and is passed on. */
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 1;
	cr_assert_eq(nc_link_foreach(nl, link_seen_one, &seen, &err), 42);
	cr_assert_eq(seen.calls, 1);
	nc_nl_close(nl);
}

/* --- vxlan ------------------------------------------------------------- */

Test(nc_nl, vxlan_create_v4)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct nc_nl *nl = nl_open();
	struct nc_vxlan_conf c;
	struct nc_link_info info;
	struct nc_error err;
	json_t *j, *linkinfo, *data;
	char *text;

	vxlan_conf(&c, "sfv0012ab", 4660, 4789, "198.18.0.1", "198.18.0.2");
	c.mtu = 1500; /* the full 1500: no lower device to clamp it */
	memcpy(c.mac, mac, 6);
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);

	cr_assert_eq(nc_link_get(nl, "sfv0012ab", &info, &err), 0, "%s",
	             err.msg);
	cr_assert_str_eq(info.kind, "vxlan");
	cr_assert_eq(info.vni, 4660);
	cr_assert_eq(info.port, 4789);
	cr_assert(nc_addr_equal(&info.local, &c.local));
	cr_assert(nc_addr_equal(&info.remote, &c.remote));
	cr_assert_eq(info.mtu, 1500);
	cr_assert_arr_eq(info.mac, mac, 6);
	cr_assert_not(info.up, "created up");

	j = ip_link_json("sfv0012ab");
	cr_assert_eq(json_int(j, "mtu"), 1500);
	cr_assert_str_eq(json_str(j, "address"), "52:54:00:12:34:56");
	linkinfo = json_object_get(j, "linkinfo");
	cr_assert_str_eq(json_str(linkinfo, "info_kind"), "vxlan");
	data = json_object_get(linkinfo, "info_data");
	cr_assert_eq(json_int(data, "id"), 4660);
	cr_assert_eq(json_int(data, "port"), 4789);
	cr_assert_str_eq(json_str(data, "local"), "198.18.0.1");
	cr_assert_str_eq(json_str(data, "remote"), "198.18.0.2");
	cr_assert(json_is_false(json_object_get(data, "learning")));
	cr_assert_null(json_object_get(data, "link"), "has a lower device");
	cr_assert_null(json_object_get(data, "group"));
	if (json_object_get(data, "df"))
		cr_assert_str_eq(json_str(data, "df"), "unset");
	json_decref(j);

	text = sh_out("ip -d link show dev sfv0012ab");
	cr_assert(strstr(text, "nolearning"), "%s", text);
	cr_assert_not(strstr(text, "df set"), "%s", text);
	free(text);

	/* An MTU other than the kernel's default (1500) is applied too. */
	vxlan_conf(&c, "sfv0012ac", 4661, 4789, "198.18.0.1", "198.18.0.2");
	c.mtu = 9000;
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_get(nl, "sfv0012ac", &info, &err), 0);
	cr_assert_eq(info.mtu, 9000);
	nc_nl_close(nl);
}

Test(nc_nl, vxlan_create_v6_defaults)
{
	struct nc_nl *nl = nl_open();
	struct nc_vxlan_conf c;
	struct nc_link_info info;
	struct nc_error err;
	json_t *j, *data;

	vxlan_conf(&c, "sfv6", 16777215, 4790, "fd00::1", "fd00::2");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_get(nl, "sfv6", &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.vni, 16777215);
	cr_assert_eq(info.port, 4790);
	cr_assert_eq(info.local.family, AF_INET6);
	cr_assert(nc_addr_equal(&info.local, &c.local));
	cr_assert(nc_addr_equal(&info.remote, &c.remote));
	j = ip_link_json("sfv6");
	data = json_object_get(json_object_get(j, "linkinfo"), "info_data");
	cr_assert_str_eq(json_str(data, "local6"), "fd00::1");
	cr_assert_str_eq(json_str(data, "remote6"), "fd00::2");
	cr_assert(json_is_false(json_object_get(data, "learning")));
	/* MTU 0 and no MAC: the kernel's choice, a unicast address. */
	cr_assert_eq(json_int(j, "mtu"), (long long)info.mtu);
	cr_assert_gt(info.mtu, 0);
	cr_assert_eq(info.mac[0] & 1, 0);
	json_decref(j);
	nc_nl_close(nl);
}

Test(nc_nl, vxlan_vni_port_clash)
{
	struct nc_nl *nl = nl_open();
	struct nc_vxlan_conf c;
	struct nc_link_info info;
	struct nc_error err;

	vxlan_conf(&c, "sfv0012aa", 4660, 4789, "198.18.0.1", "198.18.0.2");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	vxlan_conf(&c, "sfv0012ab", 4660, 4789, "198.18.0.1", "198.18.0.3");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), -EADDRINUSE);
	cr_assert_eq(err.code, -EADDRINUSE);
	cr_assert_str_eq(err.msg, "vxlan 'sfv0012ab': VNI 4660 on UDP port "
	                          "4789 is already used by 'sfv0012aa'");
	cr_assert_eq(nc_link_get(nl, "sfv0012ab", &info, &err), -ENODEV);
	/* Same VNI on another port, another VNI on the same port: fine. */
	vxlan_conf(&c, "sfv0012ab", 4660, 4790, "198.18.0.1", "198.18.0.3");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	vxlan_conf(&c, "sfv0012ac", 4661, 4789, "198.18.0.1", "198.18.0.3");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	nc_nl_close(nl);
}

Test(nc_nl, vxlan_name_taken)
{
	struct nc_nl *nl = nl_open();
	struct nc_vxlan_conf c;
	struct nc_error err;

	sh("ip link add sfv1 type bridge");
	vxlan_conf(&c, "sfv1", 10, 4789, "198.18.0.1", "198.18.0.2");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), -EEXIST);
	cr_assert_str_eq(err.msg, "vxlan 'sfv1': an interface of that name "
	                          "already exists");
	nc_nl_close(nl);
}

Test(nc_nl, vxlan_port_held_by_a_program)
{
	struct nc_nl *nl = nl_open();
	struct nc_vxlan_conf c;
	struct nc_link_info info;
	struct nc_error err;
	int fd;

	fd = udp_hold(AF_INET, 4800);
	vxlan_conf(&c, "sfv1", 10, 4800, "198.18.0.1", "198.18.0.2");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), -EADDRINUSE);
	cr_assert_str_eq(err.msg, "vxlan 'sfv1': UDP port 4800 on 198.18.0.1 "
	                          "is in use by another program; choose "
	                          "another port");
	cr_assert_eq(nc_link_get(nl, "sfv1", &info, &err), -ENODEV);
	/* An IPv6 holder does not stop an IPv4 tunnel (v6only sockets). */
	close(fd);
	fd = udp_hold(AF_INET6, 4800);
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	vxlan_conf(&c, "sfv2", 11, 4800, "fd00::1", "fd00::2");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), -EADDRINUSE);
	cr_assert_str_eq(err.msg, "vxlan 'sfv2': UDP port 4800 on fd00::1 "
	                          "is in use by another program; choose "
	                          "another port");
	close(fd);
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	nc_nl_close(nl);
}

Test(nc_nl, vxlan_port_taken_before_up)
{
	struct nc_nl *nl = nl_open();
	struct nc_vxlan_conf c;
	struct nc_link_info info;
	struct nc_error err;
	int fd;

	vxlan_conf(&c, "sfv1", 10, 4801, "198.18.0.1", "198.18.0.2");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	fd = udp_hold(AF_INET, 4801);
	cr_assert_eq(nc_link_set_up(nl, "sfv1", &err), -EADDRINUSE);
	cr_assert_str_eq(err.msg, "vxlan 'sfv1': UDP port 4801 on 198.18.0.1 "
	                          "is in use by another program; choose "
	                          "another port");
	close(fd);
	cr_assert_eq(nc_link_set_up(nl, "sfv1", &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_get(nl, "sfv1", &info, &err), 0);
	cr_assert(info.up);
	/* The kernel's own socket on the port is no obstacle to another VNI,
	 * created or brought up. */
	vxlan_conf(&c, "sfv2", 11, 4801, "198.18.0.1", "198.18.0.3");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_set_up(nl, "sfv2", &err), 0, "%s", err.msg);
	nc_nl_close(nl);
}

Test(nc_nl, vxlan_bad_conf)
{
	static const struct {
		const char *name;
		uint32_t vni;
		uint16_t port;
		const char *local, *remote;
		const char *msg;
	} cases[] = {
		{ "sfv1", 0, 4789, "198.18.0.1", "198.18.0.2",
		  "vxlan 'sfv1': VNI 0 is not 1..16777215" },
		{ "sfv1", 16777216, 4789, "198.18.0.1", "198.18.0.2",
		  "vxlan 'sfv1': VNI 16777216 is not 1..16777215" },
		{ "sfv1", 1, 0, "198.18.0.1", "198.18.0.2",
		  "vxlan 'sfv1': UDP port 0; choose 1..65535" },
		{ "sfv1", 1, 4789, NULL, "198.18.0.2",
		  "vxlan 'sfv1': no local underlay address" },
		{ "sfv1", 1, 4789, "198.18.0.1", "fd00::2",
		  "vxlan 'sfv1': the remote underlay address must be of the "
		  "local one's family" },
		{ "sfv1", 1, 4789, "198.18.0.1", "239.1.1.1",
		  "vxlan 'sfv1': the remote underlay address must be a "
		  "unicast address" },
		{ "sfv1", 1, 4789, "fd00::1", "ff02::1",
		  "vxlan 'sfv1': the remote underlay address must be a "
		  "unicast address" },
		{ "sfv1", 1, 4789, "198.18.0.1", "0.0.0.0",
		  "vxlan 'sfv1': the remote underlay address must be a "
		  "unicast address" },
		{ "sf/v1", 1, 4789, "198.18.0.1", "198.18.0.2",
		  "vxlan name 'sf/v1' is not a valid interface name" },
		{ "sfv%d", 1, 4789, "198.18.0.1", "198.18.0.2",
		  "vxlan name 'sfv%d' is not a valid interface name" },
	};
	struct nc_nl *nl = nl_open();
	struct nc_vxlan_conf c;
	struct nc_link_info info;
	struct link_seen seen = { 0 };
	struct nc_error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0, sizeof(c));
		snprintf(c.name, sizeof(c.name), "%s", cases[i].name);
		c.vni = cases[i].vni;
		c.port = cases[i].port;
		if (cases[i].local)
			c.local = addr(cases[i].local);
		c.remote = addr(cases[i].remote);
		cr_assert_eq(nc_vxlan_create(nl, &c, &err), -EINVAL, "case %zu",
		             i);
		cr_assert_eq(
		    strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)), 0,
		    "case %zu: %s", i, err.msg);
	}
	/* Nothing was created. */
	cr_assert_eq(nc_link_foreach(nl, link_seen_one, &seen, &err), 0);
	cr_assert_eq(seen.calls, ip_link_count());
	cr_assert_eq(nc_link_get(nl, "sfv1", &info, &err), -ENODEV);
	nc_nl_close(nl);
}

/* --- tap --------------------------------------------------------------- */

Test(nc_nl, tap_create)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01 };
	struct nc_nl *nl = nl_open();
	struct nc_link_info info;
	struct nc_error err;
	json_t *j, *data;
	int fd, fd2;

	fd = nc_tap_create("sftap0", mac, 1400, &err);
	cr_assert_geq(fd, 0, "%s", err.msg);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_RDWR);
	cr_assert_eq(nc_link_get(nl, "sftap0", &info, &err), 0, "%s", err.msg);
	cr_assert_str_eq(info.kind, "tun");
	cr_assert_arr_eq(info.mac, mac, 6);
	cr_assert_eq(info.mtu, 1400);
	cr_assert_not(info.up);
	j = ip_link_json("sftap0");
	data = json_object_get(json_object_get(j, "linkinfo"), "info_data");
	cr_assert_str_eq(json_str(data, "type"), "tap");
	cr_assert(json_is_false(json_object_get(data, "pi")));
	cr_assert_str_eq(json_str(j, "address"), "52:54:00:aa:bb:01");
	json_decref(j);

	/* Taken while open, by a tap or anything else. */
	cr_assert_eq(nc_tap_create("sftap0", mac, 0, &err), -EEXIST);
	cr_assert_str_eq(err.msg, "tap 'sftap0': an interface of that name "
	                          "already exists");
	sh("ip link add br0 type bridge");
	cr_assert_eq(nc_tap_create("br0", mac, 0, &err), -EEXIST);

	/* The link lives while the descriptor is open. */
	close(fd);
	cr_assert_eq(nc_link_get(nl, "sftap0", &info, &err), -ENODEV);

	/* Zero MAC and MTU: the kernel's. */
	memset(&info, 0, sizeof(info));
	fd2 = nc_tap_create("sftap0", (const uint8_t[6]){ 0 }, 0, &err);
	cr_assert_geq(fd2, 0, "%s", err.msg);
	cr_assert_eq(nc_link_get(nl, "sftap0", &info, &err), 0);
	cr_assert_eq(info.mtu, 1500);
	cr_assert_eq(info.mac[0] & 1, 0);
	close(fd2);
	nc_nl_close(nl);
}

Test(nc_nl, tap_bad)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01 };
	struct nc_error err;
	int fd;

	cr_assert_eq(nc_tap_create("tap%d", mac, 0, &err), -EINVAL);
	cr_assert_eq(nc_tap_create("", mac, 0, &err), -EINVAL);
	/* A multicast MAC is refused by the kernel; the tap goes with the
	 * descriptor that is closed on the way out. */
	fd = nc_tap_create("sftap0", (const uint8_t[6]){ 0x01, 0, 0, 0, 0, 1 },
	                   0, &err);
	cr_assert_lt(fd, 0);
	cr_assert(strstr(err.msg, "interface 'sftap0': cannot set its MAC "
	                          "address and MTU"),
	          "%s", err.msg);
	cr_assert_neq(system("ip link show dev sftap0 2>/dev/null"), 0);
}

/* --- master, up, delete ------------------------------------------------ */

Test(nc_nl, set_master)
{
	struct nc_nl *nl = nl_open();
	struct nc_vxlan_conf c;
	struct nc_link_info info;
	struct nc_error err;
	json_t *j;

	vxlan_conf(&c, "sfv1", 10, 4789, "198.18.0.1", "198.18.0.2");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);

	cr_assert_eq(nc_link_set_master(nl, "sfv1", "vmbr9", &err), -ENODEV);
	cr_assert_str_eq(err.msg, "bridge 'vmbr9' does not exist: create it "
	                          "or map the NIC to another bridge");
	sh("ip link add veth0 type veth peer name veth1");
	cr_assert_eq(nc_link_set_master(nl, "sfv1", "veth0", &err), -EINVAL);
	cr_assert_eq(strncmp(err.msg, "'veth0' is not a bridge", 23), 0, "%s",
	             err.msg);
	cr_assert(strstr(err.msg, "veth"), "%s", err.msg);
	cr_assert_eq(nc_link_set_master(nl, "sfv1", "bad/name", &err), -EINVAL);

	bridge_add("vmbr0");
	cr_assert_eq(nc_link_set_master(nl, "nope0", "vmbr0", &err), -ENODEV);
	cr_assert_str_eq(err.msg, "no interface 'nope0'");
	cr_assert_eq(nc_link_set_master(nl, "sfv1", "vmbr0", &err), 0, "%s",
	             err.msg);
	cr_assert_eq(nc_link_get(nl, "sfv1", &info, &err), 0);
	cr_assert_eq(info.master, ifindex_of(nl, "vmbr0"));
	j = ip_link_json("sfv1");
	cr_assert_str_eq(json_str(j, "master"), "vmbr0");
	json_decref(j);
	nc_nl_close(nl);
}

Test(nc_nl, set_up_and_delete)
{
	struct nc_nl *nl = nl_open();
	struct nc_vxlan_conf c;
	struct nc_link_info info;
	struct nc_error err;
	char *text;

	vxlan_conf(&c, "sfv1", 10, 4789, "198.18.0.1", "198.18.0.2");
	cr_assert_eq(nc_vxlan_create(nl, &c, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_set_up(nl, "sfv1", &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_get(nl, "sfv1", &info, &err), 0);
	cr_assert(info.up);
	text = sh_out("ip link show dev sfv1");
	cr_assert(strstr(text, ",UP"), "%s", text);
	free(text);
	/* Up twice is fine. */
	cr_assert_eq(nc_link_set_up(nl, "sfv1", &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_set_up(nl, "nope0", &err), -ENODEV);
	cr_assert_str_eq(err.msg, "no interface 'nope0'");

	cr_assert_eq(nc_link_delete(nl, "sfv1", &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_get(nl, "sfv1", &info, &err), -ENODEV);
	cr_assert_neq(system("ip link show dev sfv1 2>/dev/null"), 0);
	cr_assert_eq(nc_link_delete(nl, "sfv1", &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_delete(nl, "never0", &err), 0, "%s", err.msg);
	cr_assert_eq(nc_link_delete(nl, "a:b", &err), -EINVAL);
	nc_nl_close(nl);
}

/* --- addresses --------------------------------------------------------- */

struct addr_seen {
	char text[8][64];
	int n;
	int stop_at;
};

static int addr_seen_one(void *arg, int ifindex, const struct nc_addr *a,
                         unsigned int prefixlen)
{
	struct addr_seen *seen = arg;
	char buf[NC_ADDR_STRLEN];

	(void)ifindex;
	cr_assert_lt(seen->n, 8);
	snprintf(seen->text[seen->n++], sizeof(seen->text[0]), "%s/%u",
	         nc_addr_format(a, buf, sizeof(buf)), prefixlen);
	return seen->n == seen->stop_at ? -123 : 0;
}

static bool addr_seen_has(const struct addr_seen *seen, const char *text)
{
	for (int i = 0; i < seen->n; i++)
		if (strcmp(seen->text[i], text) == 0)
			return true;
	return false;
}

Test(nc_nl, addr_foreach)
{
	struct nc_nl *nl = nl_open();
	struct addr_seen seen = { 0 };
	struct nc_error err;

	bridge_add("br0");
	sh("ip addr add 198.18.0.1/24 dev br0");
	sh("ip addr add fd00::1/64 dev br0 nodad");
	cr_assert_eq(nc_addr_foreach(nl, ifindex_of(nl, "br0"), addr_seen_one,
	                             &seen, &err),
	             0, "%s", err.msg);
	cr_assert(addr_seen_has(&seen, "198.18.0.1/24"));
	cr_assert(addr_seen_has(&seen, "fd00::1/64"));
	cr_assert_not(addr_seen_has(&seen, "127.0.0.1/8"));
	/* All links. */
	memset(&seen, 0, sizeof(seen));
	cr_assert_eq(nc_addr_foreach(nl, 0, addr_seen_one, &seen, &err), 0);
	cr_assert(addr_seen_has(&seen, "127.0.0.1/8"));
	cr_assert(addr_seen_has(&seen, "198.18.0.1/24"));
	/* Early stop. */
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 1;
	cr_assert_eq(nc_addr_foreach(nl, 0, addr_seen_one, &seen, &err), -123);
	cr_assert_eq(seen.n, 1);
	nc_nl_close(nl);
}

/* --- routes ------------------------------------------------------------ */

static struct nc_route route(const char *dst, unsigned int len, const char *dev,
                             const char *gw, bool onlink, uint32_t table)
{
	struct nc_route r;

	memset(&r, 0, sizeof(r));
	r.dst = addr(dst);
	r.dst_len = len;
	snprintf(r.dev, sizeof(r.dev), "%s", dev);
	if (gw)
		r.gw = addr(gw);
	r.onlink = onlink;
	r.table = table;
	return r;
}

Test(nc_nl, route_v4)
{
	struct nc_nl *nl = nl_open();
	struct nc_route host, def, main_rt;
	struct nc_error err;
	bool used = true;
	char *text;

	bridge_add("br0");
	host = route("198.18.1.10", 32, "br0", NULL, false, 100);
	def = route("0.0.0.0", 0, "br0", "198.18.9.1", true, 100);
	cr_assert_eq(nc_route_table_used(nl, AF_INET, 100, &used, &err), 0);
	cr_assert_not(used);
	cr_assert_eq(nc_route_add(nl, &host, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_route_add(nl, &def, &err), 0, "%s", err.msg);
	text = sh_out("ip route show table 100");
	cr_assert(strstr(text, "198.18.1.10 dev br0 proto static scope link"),
	          "%s", text);
	cr_assert(strstr(text, "default via 198.18.9.1 dev br0 proto static "
	                       "onlink"),
	          "%s", text);
	free(text);
	cr_assert_eq(nc_route_table_used(nl, AF_INET, 100, &used, &err), 0);
	cr_assert(used);
	cr_assert_eq(nc_route_table_used(nl, AF_INET, 101, &used, &err), 0);
	cr_assert_not(used);
	cr_assert_eq(nc_route_table_used(nl, AF_INET6, 100, &used, &err), 0);
	cr_assert_not(used);

	cr_assert_eq(nc_route_add(nl, &host, &err), -EEXIST);
	cr_assert_str_eq(err.msg, "route 198.18.1.10/32 dev br0 table 100: "
	                          "already exists");

	/* Table 0 is main. */
	main_rt = route("198.18.2.0", 24, "br0", NULL, false, 0);
	cr_assert_eq(nc_route_add(nl, &main_rt, &err), 0, "%s", err.msg);
	text = sh_out("ip route show table main");
	cr_assert(strstr(text, "198.18.2.0/24 dev br0 proto static"), "%s",
	          text);
	free(text);

	cr_assert_eq(nc_route_del(nl, &host, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_route_del(nl, &host, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_route_del(nl, &def, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_route_del(nl, &main_rt, &err), 0, "%s", err.msg);
	text = sh_out("ip route show table 100; ip route show table main");
	cr_assert_str_eq(text, "");
	free(text);
	cr_assert_eq(nc_route_table_used(nl, AF_INET, 100, &used, &err), 0);
	cr_assert_not(used);
	nc_nl_close(nl);
}

Test(nc_nl, route_v6)
{
	struct nc_nl *nl = nl_open();
	struct nc_route host, def;
	struct nc_error err;
	bool used = false;
	char *text;

	bridge_add("br0");
	host = route("fd00:1::10", 128, "br0", NULL, false, 200);
	def = route("::", 0, "br0", "fd00::1", true, 200);
	cr_assert_eq(nc_route_add(nl, &host, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_route_add(nl, &def, &err), 0, "%s", err.msg);
	text = sh_out("ip -6 route show table 200");
	cr_assert(strstr(text, "fd00:1::10 dev br0 proto static"), "%s", text);
	cr_assert(strstr(text, "default via fd00::1 dev br0 proto static"),
	          "%s", text);
	cr_assert(strstr(text, "onlink"), "%s", text);
	free(text);
	cr_assert_eq(nc_route_table_used(nl, AF_INET6, 200, &used, &err), 0);
	cr_assert(used);
	cr_assert_eq(nc_route_table_used(nl, AF_INET, 200, &used, &err), 0);
	cr_assert_not(used);
	cr_assert_eq(nc_route_add(nl, &def, &err), -EEXIST);
	cr_assert_str_eq(err.msg, "route ::/0 via fd00::1 dev br0 onlink "
	                          "table 200: already exists");
	cr_assert_eq(nc_route_del(nl, &host, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_route_del(nl, &def, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_route_del(nl, &def, &err), 0, "%s", err.msg);
	text = sh_out("ip -6 route show table 200");
	cr_assert_str_eq(text, "");
	free(text);
	cr_assert_eq(nc_route_table_used(nl, AF_INET6, 200, &used, &err), 0);
	cr_assert_not(used);
	nc_nl_close(nl);
}

Test(nc_nl, route_errors)
{
	struct nc_nl *nl = nl_open();
	struct nc_route r;
	struct nc_error err;
	bool used;

	bridge_add("br0");
	/* The kernel's own words come along. */
	r = route("198.18.1.10", 24, "br0", NULL, false, 100);
	cr_assert_eq(nc_route_add(nl, &r, &err), -EINVAL);
	cr_assert_eq(strncmp(err.msg,
	                     "route 198.18.1.10/24 dev br0 table 100: "
	                     "cannot add it: Invalid argument (kernel: ",
	                     79),
	             0, "%s", err.msg);
	r = route("198.18.1.10", 33, "br0", NULL, false, 100);
	cr_assert_eq(nc_route_add(nl, &r, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "route 198.18.1.10/33 dev br0 table 100: "
	                          "prefix length 33 is longer than 32");
	r = route("198.18.1.10", 32, "nope0", NULL, false, 100);
	cr_assert_eq(nc_route_add(nl, &r, &err), -ENODEV);
	cr_assert_str_eq(err.msg, "no interface 'nope0'");
	/* Gone with its device: deleting is a no-op. */
	cr_assert_eq(nc_route_del(nl, &r, &err), 0, "%s", err.msg);
	r = route("198.18.1.10", 32, "", NULL, false, 100);
	cr_assert_eq(nc_route_add(nl, &r, &err), -EINVAL);
	r = route("198.18.1.10", 32, "br0", "fd00::1", false, 100);
	cr_assert_eq(nc_route_add(nl, &r, &err), -EINVAL);
	r = route("198.18.1.10", 32, "br0", NULL, true, 100);
	cr_assert_eq(nc_route_add(nl, &r, &err), -EINVAL);
	memset(&r, 0, sizeof(r));
	cr_assert_eq(nc_route_add(nl, &r, &err), -EINVAL);
	cr_assert_eq(nc_route_table_used(nl, 0, 100, &used, &err), -EINVAL);
	nc_nl_close(nl);
}

/* --- rules ------------------------------------------------------------- */

Test(nc_nl, rules)
{
	struct nc_nl *nl = nl_open();
	struct nc_rule r4, r6;
	struct nc_error err;
	bool used = true;
	char *text;

	bridge_add("br0");
	memset(&r4, 0, sizeof(r4));
	r4.family = AF_INET;
	r4.priority = 1000;
	r4.src = addr("198.18.1.10");
	r4.src_len = 32;
	snprintf(r4.iif, sizeof(r4.iif), "br0");
	r4.table = 100;
	memset(&r6, 0, sizeof(r6));
	r6.family = AF_INET6;
	r6.priority = 1001;
	r6.src = addr("fd00:1::");
	r6.src_len = 64;
	r6.table = 100;

	cr_assert_eq(nc_rule_priority_used(nl, AF_INET, 1000, &used, &err), 0);
	cr_assert_not(used);
	cr_assert_eq(nc_rule_add(nl, &r4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_rule_add(nl, &r6, &err), 0, "%s", err.msg);
	text = sh_out("ip rule show");
	cr_assert(strstr(text, "1000:\tfrom 198.18.1.10 iif br0 lookup 100"),
	          "%s", text);
	free(text);
	text = sh_out("ip -6 rule show");
	cr_assert(strstr(text, "1001:\tfrom fd00:1::/64 lookup 100"), "%s",
	          text);
	free(text);
	cr_assert_eq(nc_rule_priority_used(nl, AF_INET, 1000, &used, &err), 0);
	cr_assert(used);
	cr_assert_eq(nc_rule_priority_used(nl, AF_INET6, 1000, &used, &err), 0);
	cr_assert_not(used);
	cr_assert_eq(nc_rule_priority_used(nl, AF_INET6, 1001, &used, &err), 0);
	cr_assert(used);

	cr_assert_eq(nc_rule_add(nl, &r4, &err), -EEXIST);
	cr_assert_str_eq(err.msg, "rule 1000 (IPv4 from 198.18.1.10/32 iif "
	                          "br0 lookup 100): already exists");

	cr_assert_eq(nc_rule_del(nl, &r4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_rule_del(nl, &r4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_rule_del(nl, &r6, &err), 0, "%s", err.msg);
	text = sh_out("ip rule show; ip -6 rule show");
	cr_assert_null(strstr(text, "lookup 100"), "%s", text);
	free(text);
	cr_assert_eq(nc_rule_priority_used(nl, AF_INET, 1000, &used, &err), 0);
	cr_assert_not(used);
	/* The kernel's own rules count too. */
	cr_assert_eq(nc_rule_priority_used(nl, AF_INET, 32766, &used, &err), 0);
	cr_assert(used);

	r4.priority = 0;
	cr_assert_eq(nc_rule_add(nl, &r4, &err), -EINVAL);
	r4.priority = 1000;
	r4.family = AF_INET6;
	cr_assert_eq(nc_rule_add(nl, &r4, &err), -EINVAL);
	cr_assert_eq(nc_rule_priority_used(nl, AF_UNIX, 1, &used, &err),
	             -EINVAL);
	nc_nl_close(nl);
}

/* --- neighbours -------------------------------------------------------- */

struct neigh_seen {
	struct nc_neigh n[8];
	int count;
};

/* Counts what a test made; the kernel's own multicast entries (NOARP,
 * e.g. 224.0.0.22 once br0 sends IGMP) come and go with timing. */
static int neigh_seen_one(void *arg, const struct nc_neigh *n)
{
	struct neigh_seen *seen = arg;

	if (n->state & NUD_NOARP)
		return 0;
	cr_assert_lt(seen->count, 8);
	seen->n[seen->count++] = *n;
	return 0;
}

static struct nc_neigh neigh(const char *ip, const char *dev, const char *mac,
                             bool proxy)
{
	struct nc_neigh n;

	memset(&n, 0, sizeof(n));
	n.addr = addr(ip);
	snprintf(n.dev, sizeof(n.dev), "%s", dev);
	if (mac)
		cr_assert_eq(nc_mac_parse(mac, n.mac), 0);
	n.proxy = proxy;
	return n;
}

Test(nc_nl, neigh_permanent)
{
	struct nc_nl *nl = nl_open();
	struct nc_neigh n4, n6, other;
	struct neigh_seen seen = { 0 };
	struct nc_error err;
	char mac[NC_MAC_STRLEN];
	char *text;
	int i;

	bridge_add("br0");
	bridge_add("br1");
	n4 = neigh("198.18.0.50", "br0", "52:54:00:aa:bb:cc", false);
	n6 = neigh("fd00::50", "br0", "52:54:00:aa:bb:cd", false);
	other = neigh("198.18.0.51", "br1", "52:54:00:aa:bb:ce", false);
	cr_assert_eq(nc_neigh_add(nl, &n4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_neigh_add(nl, &n6, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_neigh_add(nl, &other, &err), 0, "%s", err.msg);
	text = sh_out("ip neigh show dev br0");
	cr_assert(strstr(text, "198.18.0.50 lladdr 52:54:00:aa:bb:cc "
	                       "PERMANENT"),
	          "%s", text);
	cr_assert(strstr(text, "fd00::50 lladdr 52:54:00:aa:bb:cd PERMANENT"),
	          "%s", text);
	free(text);

	/* Replace: same address, new MAC. */
	cr_assert_eq(nc_mac_parse("52:54:00:00:00:01", n4.mac), 0);
	cr_assert_eq(nc_neigh_add(nl, &n4, &err), 0, "%s", err.msg);
	text = sh_out("ip neigh show dev br0 to 198.18.0.50");
	cr_assert_str_eq(text, "198.18.0.50 lladdr 52:54:00:00:00:01 "
	                       "PERMANENT \n");
	free(text);

	cr_assert_eq(nc_neigh_foreach(nl, ifindex_of(nl, "br0"), neigh_seen_one,
	                              &seen, &err),
	             0, "%s", err.msg);
	cr_assert_eq(seen.count, 2);
	for (i = 0; i < seen.count; i++) {
		const struct nc_neigh *n = &seen.n[i];

		cr_assert_str_eq(n->dev, "br0");
		cr_assert_eq(n->state, NUD_PERMANENT);
		cr_assert_not(n->proxy);
		nc_mac_format(n->mac, mac, sizeof(mac));
		if (nc_addr_equal(&n->addr, &n4.addr))
			cr_assert_str_eq(mac, "52:54:00:00:00:01");
		else if (nc_addr_equal(&n->addr, &n6.addr))
			cr_assert_str_eq(mac, "52:54:00:aa:bb:cd");
		else
			cr_assert_fail("unexpected neighbour");
	}
	memset(&seen, 0, sizeof(seen));
	cr_assert_eq(nc_neigh_foreach(nl, 0, neigh_seen_one, &seen, &err), 0);
	cr_assert_eq(seen.count, 3);

	cr_assert_eq(nc_neigh_del(nl, &n4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_neigh_del(nl, &n4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_neigh_del(nl, &n6, &err), 0, "%s", err.msg);
	text = sh_out("ip neigh show dev br0");
	cr_assert_str_eq(text, "");
	free(text);

	/* A permanent entry needs a MAC; a missing device is named. */
	memset(n4.mac, 0, 6);
	cr_assert_eq(nc_neigh_add(nl, &n4, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "neighbour 198.18.0.50 dev br0: a permanent "
	                          "entry needs a MAC address");
	n4 = neigh("198.18.0.50", "nope0", "52:54:00:aa:bb:cc", false);
	cr_assert_eq(nc_neigh_add(nl, &n4, &err), -ENODEV);
	cr_assert_str_eq(err.msg, "no interface 'nope0'");
	cr_assert_eq(nc_neigh_del(nl, &n4, &err), 0, "%s", err.msg);
	nc_nl_close(nl);
}

Test(nc_nl, neigh_proxy)
{
	struct nc_nl *nl = nl_open();
	struct nc_neigh p4, p6;
	struct neigh_seen seen = { 0 };
	struct nc_error err;
	char *text;

	bridge_add("br0");
	p4 = neigh("198.18.0.60", "br0", NULL, true);
	p6 = neigh("fd00::60", "br0", NULL, true);
	cr_assert_eq(nc_neigh_add(nl, &p4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_neigh_add(nl, &p4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_neigh_add(nl, &p6, &err), 0, "%s", err.msg);
	text = sh_out("ip neigh show proxy");
	cr_assert(strstr(text, "198.18.0.60 dev br0 proxy"), "%s", text);
	free(text);
	text = sh_out("ip -6 neigh show proxy");
	cr_assert(strstr(text, "fd00::60 dev br0 proxy"), "%s", text);
	free(text);
	/* Not reported as neighbours. */
	cr_assert_eq(nc_neigh_foreach(nl, 0, neigh_seen_one, &seen, &err), 0);
	cr_assert_eq(seen.count, 0);

	cr_assert_eq(nc_neigh_del(nl, &p4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_neigh_del(nl, &p4, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_neigh_del(nl, &p6, &err), 0, "%s", err.msg);
	text = sh_out("ip neigh show proxy; ip -6 neigh show proxy");
	cr_assert_str_eq(text, "");
	free(text);
	nc_nl_close(nl);
}

/* --- proxy_arp --------------------------------------------------------- */

static int proc_proxy_arp(const char *dev)
{
	char path[128];
	int value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/proxy_arp",
	         dev);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fscanf(f, "%d", &value), 1);
	fclose(f);
	return value;
}

Test(nc_nl, proxy_arp)
{
	struct nc_nl *nl = nl_open();
	struct nc_error err;
	int value = -1;

	bridge_add("br0");
	cr_assert_eq(nc_link_proxy_arp_get(nl, "br0", &value, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(value, 0);
	cr_assert_eq(nc_link_proxy_arp_set(nl, "br0", 1, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(proc_proxy_arp("br0"), 1);
	cr_assert_eq(nc_link_proxy_arp_get(nl, "br0", &value, &err), 0);
	cr_assert_eq(value, 1);
	/* Only this link. */
	cr_assert_eq(proc_proxy_arp("lo"), 0);
	cr_assert_eq(nc_link_proxy_arp_set(nl, "br0", 0, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(proc_proxy_arp("br0"), 0);
	cr_assert_eq(nc_link_proxy_arp_get(nl, "br0", &value, &err), 0);
	cr_assert_eq(value, 0);

	cr_assert_eq(nc_link_proxy_arp_set(nl, "br0", 2, &err), -EINVAL);
	cr_assert_eq(nc_link_proxy_arp_set(nl, "nope0", 1, &err), -ENODEV);
	cr_assert_str_eq(err.msg, "no interface 'nope0'");
	cr_assert_eq(nc_link_proxy_arp_get(nl, "nope0", &value, &err), -ENODEV);
	nc_nl_close(nl);
}
