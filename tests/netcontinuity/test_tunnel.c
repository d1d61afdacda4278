/*
 * test_tunnel.c: tunnel ends (tunnel.h) made, switched over and removed
 * for real, each test in its own network namespace (Criterion forks per
 * test; .init unshares before anything is created). What prepare and
 * cutover made is read back through iproute2 and the record on disk, and
 * after teardown (or a failed prepare) the namespace must read exactly as
 * before. The last tests join two namespaces and probe across the tunnel.
 *
 * Each namespace has br0 (fixed MAC, so that ports coming and going do not
 * change it) with one port vm0, whose peer vmp plays the VM's side and
 * sees what the bridge floods. IPv6 is off, so that no link-local address
 * or route appears as links go up.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netcontinuity/frame.h"
#include "netcontinuity/tunnel.h"

#define VNI     0x1388u
#define DEV     "sfv001388"
#define TAP     "sft01234567"
#define TABLE   (0x5f000000u + VNI) /* the first table tried: 1593840520 */
#define VM_IP   "198.18.1.10"
#define PEER_IP "198.18.1.1"
#define VM_MAC  "52:54:00:12:34:56"
#define BR_MAC  "02:00:00:00:00:b0"
#define SRC_MAC "fe:5f:01:23:45:01"
#define DST_MAC "fe:5f:01:23:45:02"
#define ID_HEX  "0123456789abcdeffedcba9876543210"
#define UUID    "8f0c3a52-2f4b-4f0e-9a77-0c1d2e3f4a5b"

static const uint8_t tunnel_id[NC_TUNNEL_ID_LEN] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
};

static char tmpdir[64];
static struct nc_nl *nl;
static struct nc_addr vm_ips[1], peer_ips[1];

TestSuite(nc_tunnel, .timeout = 60);

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command; its exit status (0 on success). */
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define sh_ok(...) cr_assert_eq(sh(__VA_ARGS__), 0, __VA_ARGS__)

static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The standard output of a shell command, which must succeed. Freed by
 * the caller. */
static char *sh_out(const char *fmt, ...)
{
	size_t len = 0, cap = 1 << 17;
	char cmd[1024];
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

/* The output of cmd must contain want. */
static void out_has(const char *cmd, const char *want)
{
	char *out = sh_out("%s", cmd);

	cr_assert(strstr(out, want), "'%s' not in `%s`:\n%s", want, cmd, out);
	free(out);
}

static void out_lacks(const char *cmd, const char *unwanted)
{
	char *out = sh_out("%s", cmd);

	cr_assert_null(strstr(out, unwanted), "'%s' in `%s`:\n%s", unwanted,
	               cmd, out);
	free(out);
}

/*
 * Everything a tunnel end may change, as text: links (without the
 * bridge's running timers), addresses, all routing tables, rules,
 * permanent and proxy neighbour entries, proxy_arp of every link and the
 * bridge's forwarding database.
 */
static char *snapshot(void)
{
	return sh_out("{ ip -d link show | "
	              "sed -E 's/ [a-z_]+_timer +[0-9.]+//g'; "
	              "ip addr show; ip route show table all; ip rule show; "
	              "ip neigh show nud permanent; ip neigh show proxy; "
	              "grep . /proc/sys/net/ipv4/conf/*/proxy_arp; "
	              "bridge fdb show; } 2>&1");
}

/* tmpdir/name := text */
static void write_text(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void snapshot_same(char *before)
{
	char *after = snapshot();

	if (strcmp(after, before)) {
		/* Say what changed: the whole text is long. */
		write_text("before", before);
		write_text("after", after);
		sh("cd '%s' && diff before after >&2", tmpdir);
	}
	cr_assert_str_eq(after, before, "the namespace changed");
	free(after);
	free(before);
}

static void write_proc(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, value, strlen(value)), (ssize_t)strlen(value),
	             "%s", path);
	close(fd);
}

static int read_proc_int(const char *fmt, const char *dev)
{
	char path[128], buf[16] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), fmt, dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	return atoi(buf);
}

static int proxy_arp(const char *dev)
{
	return read_proc_int("/proc/sys/net/ipv4/conf/%s/proxy_arp", dev);
}

/* Wait until dev has carrier: a bridge gets it a moment after its first
 * port, and a snapshot taken before would differ from one taken after. */
static void link_wait_running(const char *dev)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (sh("ip link show dev %s | grep -q 'state UP'", dev) == 0)
			return;
		usleep(10000);
	}
	cr_assert_fail("%s: no carrier after 3 s", dev);
}

/* A private namespace: lo up, IPv6 off, IPv4 forwarding on. */
static void netns_enter(void)
{
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
	sh_ok("ip link set lo up");
	write_proc("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	write_proc("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_proc("/proc/sys/net/ipv4/ip_forward", "1");
}

/* netns_enter, br0 with its port vm0 (peer vmp), a state directory and
 * a netlink handle. */
static void site_setup(void)
{
	struct nc_error err = { 0 };

	netns_enter();
	sh_ok("ip link add name br0 address " BR_MAC " type bridge && "
	      "ip link add name vm0 type veth peer name vmp && "
	      "ip link set vm0 master br0 && ip link set vm0 up && "
	      "ip link set vmp up && ip link set br0 up");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sf-tunnel-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	nl = nc_nl_open(&err);
	cr_assert_not_null(nl, "%s", err.msg);
	link_wait_running("br0");
	nc_addr_parse(VM_IP, &vm_ips[0]);
	nc_addr_parse(PEER_IP, &peer_ips[0]);
}

static void site_cleanup(void)
{
	nc_nl_close(nl);
	nl = NULL;
	if (tmpdir[0])
		sh("rm -rf '%s'", tmpdir);
}

/*
 * A conf for this test's tunnel: VNI 0x1388 on port 4789, underlay
 * 10.99.0.1 (source) - 10.99.0.2 (destination), the VM on br0 with one
 * IPv4 address, one peer. No assertions: forked children use it too.
 */
static void conf_init(struct nc_tunnel_conf *c, enum nc_mode mode,
                      enum nc_role role, const char *state_dir)
{
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->role = role;
	memcpy(c->id, tunnel_id, NC_TUNNEL_ID_LEN);
	c->state_dir = state_dir;
	c->vm = "guest1";
	c->uuid = UUID;
	c->peer = "west.example";
	nc_mac_parse(VM_MAC, c->vm_mac);
	snprintf(c->bridge, sizeof(c->bridge), "br0");
	c->vni = VNI;
	c->port = NC_VXLAN_PORT_DEFAULT;
	c->mtu = 1500;
	nc_addr_parse(role == NC_ROLE_SOURCE ? "10.99.0.1" : "10.99.0.2",
	              &c->local);
	nc_addr_parse(role == NC_ROLE_SOURCE ? "10.99.0.2" : "10.99.0.1",
	              &c->remote);
	nc_addr_parse(VM_IP, &vm_ips[0]);
	nc_addr_parse(PEER_IP, &peer_ips[0]);
	c->ips = vm_ips;
	c->n_ips = 1;
	c->peers = peer_ips;
	c->n_peers = 1;
}

static const char *record_path(const char *dir)
{
	static char path[192];

	snprintf(path, sizeof(path), "%s/%s.json", dir, ID_HEX);
	return path;
}

/* How many entries (other than . and ..) dir holds. */
static int dir_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void record_load(struct nc_record *rec)
{
	struct nc_error err = { 0 };

	cr_assert_eq(nc_record_load(tmpdir, ID_HEX, rec, &err), 0, "%s",
	             err.msg);
	cr_assert_str_eq(rec->id, ID_HEX);
	cr_assert_str_eq(rec->vm, "guest1");
	cr_assert_str_eq(rec->uuid, UUID);
	cr_assert_str_eq(rec->nic_mac, VM_MAC);
	cr_assert_str_eq(rec->peer, "west.example");
	cr_assert_gt(rec->created, 0);
}

/* Packet sockets in this namespace bound to link ifindex (0: any). */
static int packet_sockets(int ifindex)
{
	FILE *f = fopen("/proc/net/packet", "r");
	unsigned long long sk;
	int refcnt, type, iface, n = 0;
	unsigned int proto;
	char line[256];

	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f)); /* header */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %d %d %x %d", &sk, &refcnt, &type,
		           &proto, &iface) == 5 &&
		    (ifindex == 0 || iface == ifindex))
			n++;
	fclose(f);
	return n;
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

static bool json_flag(json_t *link, const char *flag)
{
	json_t *flags = json_object_get(link, "flags"), *v;
	size_t i;

	json_array_foreach(flags, i, v)
	{
		if (strcmp(json_string_value(v), flag) == 0)
			return true;
	}
	return false;
}

/* The vxlan link DEV as a tunnel end of role makes it. */
static void check_vxlan(enum nc_role role, const char *master)
{
	json_t *link = ip_link_json(DEV);
	json_t *info =
	    json_object_get(json_object_get(link, "linkinfo"), "info_data");

	cr_assert_str_eq(
	    json_str(json_object_get(link, "linkinfo"), "info_kind"), "vxlan");
	cr_assert_not_null(info);
	cr_assert_eq(json_integer_value(json_object_get(info, "id")), VNI);
	cr_assert_eq(json_integer_value(json_object_get(info, "port")), 4789);
	cr_assert_str_eq(json_str(info, "local"),
	                 role == NC_ROLE_SOURCE ? "10.99.0.1" : "10.99.0.2");
	cr_assert_str_eq(json_str(info, "remote"),
	                 role == NC_ROLE_SOURCE ? "10.99.0.2" : "10.99.0.1");
	cr_assert(json_is_false(json_object_get(info, "learning")));
	cr_assert_str_eq(json_str(link, "address"),
	                 role == NC_ROLE_SOURCE ? SRC_MAC : DST_MAC);
	cr_assert_eq(json_integer_value(json_object_get(link, "mtu")), 1500);
	cr_assert(json_flag(link, "UP"));
	if (master)
		cr_assert_str_eq(json_str(link, "master"), master);
	else
		cr_assert_null(json_object_get(link, "master"));
	json_decref(link);
}

/* A packet socket on dev that sees every incoming frame. */
static int capture_open(const char *dev)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)if_nametoindex(dev),
	};
	int fd;

	cr_assert_neq(sll.sll_ifindex, 0, "%s", dev);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	cr_assert_geq(fd, 0, "packet socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/* How many announcements of ip at mac arrive on fd, until it is quiet
 * for 300 ms. */
static int announcements(int fd, const char *mac_text, const char *ip_text)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t buf[2048], want_mac[6], mac[6];
	struct nc_addr want_ip, ip;
	struct sockaddr_ll sll;
	socklen_t sll_len;
	ssize_t len;
	int n = 0;

	cr_assert_eq(nc_mac_parse(mac_text, want_mac), 0);
	cr_assert_eq(nc_addr_parse(ip_text, &want_ip), 0);
	while (poll(&pfd, 1, 300) > 0) {
		sll_len = sizeof(sll);
		len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll,
		               &sll_len);
		cr_assert_gt(len, 0);
		if (sll.sll_pkttype == PACKET_OUTGOING ||
		    nc_frame_announce_parse(buf, (size_t)len, mac, &ip) < 0)
			continue;
		n += memcmp(mac, want_mac, 6) == 0 &&
		     nc_addr_equal(&ip, &want_ip);
	}
	return n;
}

/* ----- names and precheck ----- */

Test(nc_tunnel, dev_name_and_mac)
{
	struct nc_tunnel_conf c = { .mode = NC_MODE_L2_EXTEND, .vni = VNI };
	uint8_t mac[6];
	char name[NC_IFNAME_MAX];

	nc_tunnel_dev_name(&c, name);
	cr_assert_str_eq(name, DEV);
	c.mode = NC_MODE_L3;
	c.vni = 1;
	nc_tunnel_dev_name(&c, name);
	cr_assert_str_eq(name, "sfv000001");
	c.vni = NC_VNI_MAX;
	nc_tunnel_dev_name(&c, name);
	cr_assert_str_eq(name, "sfvffffff");
	/* Encrypted: the id's first 8 hex digits, whatever the VNI. */
	c.mode = NC_MODE_ENCRYPTED;
	memcpy(c.id, tunnel_id, NC_TUNNEL_ID_LEN);
	nc_tunnel_dev_name(&c, name);
	cr_assert_str_eq(name, TAP);
	c.id[0] = 0xab;
	c.id[3] = 0x0f;
	nc_tunnel_dev_name(&c, name);
	cr_assert_str_eq(name, "sftab23450f");

	nc_tunnel_mac(tunnel_id, NC_ROLE_SOURCE, mac);
	cr_assert_arr_eq(mac, ((uint8_t[]){ 0xfe, 0x5f, 0x01, 0x23, 0x45, 1 }),
	                 6);
	nc_tunnel_mac(tunnel_id, NC_ROLE_DEST, mac);
	cr_assert_arr_eq(mac, ((uint8_t[]){ 0xfe, 0x5f, 0x01, 0x23, 0x45, 2 }),
	                 6);
	/* Unicast, locally administered. */
	cr_assert_eq(mac[0] & 0x03, 0x02);
}

static void precheck_fails(struct nc_tunnel_conf *c, int code, const char *msg)
{
	struct nc_error err = { 0 };

	cr_assert_eq(nc_tunnel_precheck(nl, c, &err), code, "%s: %s", msg,
	             err.msg);
	cr_assert_eq(err.code, code);
	cr_assert(strstr(err.msg, msg), "'%s' not in '%s'", msg, err.msg);
}

Test(nc_tunnel, precheck, .init = site_setup, .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	struct nc_error err = { 0 };
	char *before = snapshot();
	static const struct nc_addr none[1];
	struct nc_addr v6[2] = { vm_ips[0] };

	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_DEST, tmpdir);
	cr_assert_eq(nc_tunnel_precheck(nl, &c, &err), 0, "%s", err.msg);
	conf_init(&c, NC_MODE_L3, NC_ROLE_SOURCE, tmpdir);
	cr_assert_eq(nc_tunnel_precheck(nl, &c, &err), 0, "%s", err.msg);
	conf_init(&c, NC_MODE_ENCRYPTED, NC_ROLE_DEST, tmpdir);
	cr_assert_eq(nc_tunnel_precheck(nl, &c, &err), 0, "%s", err.msg);

	conf_init(&c, NC_MODE_NONE, NC_ROLE_DEST, tmpdir);
	precheck_fails(&c, -EINVAL, "no network mode");
	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_DEST, tmpdir);
	snprintf(c.bridge, sizeof(c.bridge), "nobr0");
	precheck_fails(&c, -ENODEV, "bridge 'nobr0' does not exist here");
	snprintf(c.bridge, sizeof(c.bridge), "vm0");
	precheck_fails(&c, -EINVAL,
	               "'vm0' is not a bridge (it is a veth link)");
	snprintf(c.bridge, sizeof(c.bridge), "lo");
	precheck_fails(&c, -EINVAL, "'lo' is not a bridge (it is a plain");
	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_DEST, tmpdir);
	c.vni = 0;
	precheck_fails(&c, -EINVAL, "VNI 0 is not 1..16777215");
	c.vni = NC_VNI_MAX + 1;
	precheck_fails(&c, -EINVAL, "VNI 16777216 is not 1..16777215");
	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, tmpdir);
	c.remote.family = 0;
	precheck_fails(&c, -EINVAL, "a local and a remote underlay address");
	nc_addr_parse("2001:db8::2", &c.remote);
	precheck_fails(&c, -EINVAL, "of one family");

	/* l3: an IPv4 address to route, and no IPv6 one. */
	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, tmpdir);
	c.n_ips = 0;
	precheck_fails(&c, -EINVAL,
	               "l3 mode needs the VM's IPv4 address: none is known "
	               "for NIC " VM_MAC);
	c.ips = none;
	c.n_ips = 1;
	precheck_fails(&c, -EINVAL, "needs the VM's IPv4 address");
	nc_addr_parse("fd00::10", &v6[1]);
	c.ips = v6;
	c.n_ips = 2;
	precheck_fails(&c, -EOPNOTSUPP, "l3 mode routes IPv4 only");
	c.ips = v6 + 1;
	c.n_ips = 1;
	precheck_fails(&c, -EINVAL, "needs the VM's IPv4 address");
	/* ... but l2-extend carries IPv6 and needs no address at all. */
	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_DEST, tmpdir);
	c.ips = v6;
	c.n_ips = 2;
	cr_assert_eq(nc_tunnel_precheck(nl, &c, &err), 0, "%s", err.msg);
	c.n_ips = 0;
	cr_assert_eq(nc_tunnel_precheck(nl, &c, &err), 0, "%s", err.msg);

	/* l3 needs forwarding, at both ends; l2-extend does not. */
	write_proc("/proc/sys/net/ipv4/ip_forward", "0");
	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, tmpdir);
	precheck_fails(&c, -EPERM, "net.ipv4.ip_forward=1");
	conf_init(&c, NC_MODE_L3, NC_ROLE_SOURCE, tmpdir);
	precheck_fails(&c, -EPERM, "ip_forward");
	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_SOURCE, tmpdir);
	cr_assert_eq(nc_tunnel_precheck(nl, &c, &err), 0, "%s", err.msg);
	write_proc("/proc/sys/net/ipv4/ip_forward", "1");

	/* The link name is taken, whatever kind of link holds it. */
	sh_ok("ip link add name " DEV " type bridge");
	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_DEST, tmpdir);
	precheck_fails(&c, -EEXIST, "link " DEV " already exists");
	sh_ok("ip link del " DEV);

	/* Nothing was made, nothing recorded. */
	cr_assert_eq(dir_entries(tmpdir), 0);
	snapshot_same(before);
}

/* Drop a capability from this (forked) test process's effective set. */
static void drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	cr_assert_eq(syscall(SYS_capget, &hdr, data), 0);
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	cr_assert_eq(syscall(SYS_capset, &hdr, data), 0);
}

Test(nc_tunnel, precheck_needs_net_admin, .init = site_setup,
     .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_error err = { 0 };

	drop_cap(CAP_NET_ADMIN);
	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_DEST, tmpdir);
	precheck_fails(&c, -EPERM, "needs CAP_NET_ADMIN");
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), -EPERM);
	cr_assert_eq(dir_entries(tmpdir), 0);
}

/* ----- one end in one namespace ----- */

Test(nc_tunnel, l2_extend_dest, .init = site_setup, .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_record rec;
	struct nc_error err = { 0 };
	char *before = snapshot();
	int fd;

	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_DEST, tmpdir);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), 0, "%s", err.msg);
	cr_assert_str_eq(t.dev, DEV);
	cr_assert_eq(t.tap_fd, -1);
	check_vxlan(NC_ROLE_DEST, "br0");
	out_has("bridge link show dev " DEV, "master br0 state forwarding");
	/* Recorded before it was made, and nothing else was made. */
	record_load(&rec);
	cr_assert_eq(rec.state, NC_STATE_PREPARED);
	cr_assert_eq(rec.mode, NC_MODE_L2_EXTEND);
	cr_assert_eq(rec.role, NC_ROLE_DEST);
	cr_assert_eq(rec.vni, VNI);
	cr_assert_eq(rec.port, 4789);
	cr_assert(nc_addr_equal(&rec.local, &c.local));
	cr_assert(nc_addr_equal(&rec.remote, &c.remote));
	cr_assert_eq(rec.n_objs, 1);
	cr_assert_eq(rec.objs[0].kind, NC_OBJ_LINK);
	cr_assert_str_eq(rec.objs[0].link, DEV);
	out_lacks("ip neigh show nud permanent", DEV);
	out_lacks("ip route show table all", DEV);
	cr_assert_eq(proxy_arp("br0"), 0);
	/* The probe responder listens on the tunnel, and only there. */
	cr_assert_not_null(t.responder);
	cr_assert_eq(packet_sockets((int)if_nametoindex(DEV)), 1);
	cr_assert_eq(packet_sockets(0), 1);

	/* Cutover: the destination tells its segment where the VM is. */
	fd = capture_open("vmp");
	cr_assert_eq(nc_tunnel_cutover(nl, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(announcements(fd, VM_MAC, VM_IP), 3);
	close(fd);
	record_load(&rec);
	cr_assert_eq(rec.state, NC_STATE_CUTOVER);
	cr_assert_eq(rec.n_objs, 1);

	cr_assert_eq(nc_tunnel_teardown(nl, &t, &err), 0, "%s", err.msg);
	cr_assert_null(t.responder);
	cr_assert_eq(packet_sockets(0), 0);
	cr_assert_eq(if_nametoindex(DEV), 0);
	cr_assert_neq(access(record_path(tmpdir), F_OK), 0);
	cr_assert_eq(dir_entries(tmpdir), 0);
	/* Again: nothing left to do is not an error. */
	cr_assert_eq(nc_tunnel_teardown(nl, &t, &err), 0, "%s", err.msg);
	nc_tunnel_close(&t);
	nc_tunnel_close(NULL);
	snapshot_same(before);
}

Test(nc_tunnel, l2_extend_source, .init = site_setup, .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_record rec;
	struct nc_error err = { 0 };
	char *before = snapshot();
	int fd;

	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_SOURCE, tmpdir);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), 0, "%s", err.msg);
	check_vxlan(NC_ROLE_SOURCE, "br0");
	cr_assert_arr_eq(t.peer_mac,
	                 ((uint8_t[]){ 0xfe, 0x5f, 0x01, 0x23, 0x45, 2 }), 6);
	cr_assert_null(t.responder);
	cr_assert_eq(packet_sockets(0), 0);
	fd = capture_open("vmp");
	cr_assert_eq(nc_tunnel_cutover(nl, &t, &err), 0, "%s", err.msg);
	/* The segment learns of the move from the destination. */
	cr_assert_eq(announcements(fd, VM_MAC, VM_IP), 0);
	record_load(&rec);
	cr_assert_eq(rec.state, NC_STATE_CUTOVER);
	cr_assert_eq(rec.n_objs, 1);
	/* A failed migration: the VM stays here, and the segment hears it. */
	cr_assert_eq(nc_tunnel_teardown(nl, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(announcements(fd, VM_MAC, VM_IP), 3);
	close(fd);
	nc_tunnel_close(&t);
	cr_assert_eq(dir_entries(tmpdir), 0);
	snapshot_same(before);
}

static void check_l3_dest(uint32_t table, uint32_t prio)
{
	char cmd[64], want[128];

	check_vxlan(NC_ROLE_DEST, NULL);
	out_has("ip neigh show nud permanent",
	        "169.254.95.1 dev " DEV " lladdr " SRC_MAC " PERMANENT");
	out_has("ip neigh show nud permanent",
	        VM_IP " dev br0 lladdr " VM_MAC " PERMANENT");
	snprintf(cmd, sizeof(cmd), "ip route show table %u", table);
	out_has(cmd,
	        "default via 169.254.95.1 dev " DEV " proto static onlink");
	out_has("ip route show table main",
	        VM_IP " dev br0 proto static scope link");
	snprintf(want, sizeof(want), "%u:\tfrom " VM_IP " iif br0 lookup %u",
	         prio, table);
	out_has("ip rule show", want);
	cr_assert_eq(proxy_arp("br0"), 1);
	cr_assert_eq(packet_sockets((int)if_nametoindex(DEV)), 1);
}

Test(nc_tunnel, l3_dest, .init = site_setup, .fini = site_cleanup)
{
	static const enum nc_obj_kind kinds[] = {
		NC_OBJ_LINK,  NC_OBJ_NEIGH, NC_OBJ_ROUTE,     NC_OBJ_ROUTE,
		NC_OBJ_NEIGH, NC_OBJ_RULE,  NC_OBJ_PROXY_ARP,
	};
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_record rec;
	struct nc_error err = { 0 };
	char *before = snapshot();
	size_t i;
	int fd;

	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, tmpdir);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), 0, "%s", err.msg);
	check_l3_dest(TABLE, 9000);
	record_load(&rec);
	cr_assert_eq(rec.state, NC_STATE_PREPARED);
	cr_assert_eq(rec.mode, NC_MODE_L3);
	cr_assert_eq(rec.n_objs, sizeof(kinds) / sizeof(kinds[0]));
	for (i = 0; i < rec.n_objs; i++)
		cr_assert_eq(rec.objs[i].kind, kinds[i], "object %zu", i);
	cr_assert_eq(rec.objs[2].route.table, TABLE);
	cr_assert(rec.objs[2].route.onlink);
	cr_assert_eq(rec.objs[5].rule.priority, 9000);
	cr_assert_eq(rec.objs[5].rule.table, TABLE);
	cr_assert_str_eq(rec.objs[6].dev, "br0");
	cr_assert_eq(rec.objs[6].old_value, 0);
	cr_assert_eq(rec.objs[6].new_value, 1);

	/* Cutover: the VM hears that its peers are at this bridge. */
	fd = capture_open("vmp");
	cr_assert_eq(nc_tunnel_cutover(nl, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(announcements(fd, BR_MAC, PEER_IP), 3);
	close(fd);
	record_load(&rec);
	cr_assert_eq(rec.state, NC_STATE_CUTOVER);

	cr_assert_eq(nc_tunnel_teardown(nl, &t, &err), 0, "%s", err.msg);
	nc_tunnel_close(&t);
	cr_assert_eq(proxy_arp("br0"), 0);
	cr_assert_eq(packet_sockets(0), 0);
	cr_assert_eq(dir_entries(tmpdir), 0);
	snapshot_same(before);
}

/* The table and priority the tunnel would take are in use: it takes the
 * next free ones and leaves the others alone; proxy_arp was on already,
 * so it is not the tunnel's to turn off. */
Test(nc_tunnel, l3_dest_slots_taken, .init = site_setup, .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_record rec;
	struct nc_error err = { 0 };
	char *before;

	sh_ok("ip route add unreachable default table %u", TABLE);
	sh_ok("ip route add unreachable 203.0.113.0/24 table %u", TABLE + 1);
	sh_ok("ip rule add priority 9000 from 203.0.113.1 lookup main");
	write_proc("/proc/sys/net/ipv4/conf/br0/proxy_arp", "1");
	before = snapshot();
	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, tmpdir);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), 0, "%s", err.msg);
	check_l3_dest(TABLE + 2, 9001);
	record_load(&rec);
	cr_assert_eq(rec.n_objs, 6);
	cr_assert_eq(rec.objs[5].kind, NC_OBJ_RULE);
	cr_assert_eq(nc_tunnel_teardown(nl, &t, &err), 0, "%s", err.msg);
	nc_tunnel_close(&t);
	cr_assert_eq(proxy_arp("br0"), 1);
	snapshot_same(before);
}

Test(nc_tunnel, l3_source, .init = site_setup, .fini = site_cleanup)
{
	static const enum nc_obj_kind kinds[] = {
		NC_OBJ_LINK,
		NC_OBJ_NEIGH,
		NC_OBJ_ROUTE,
		NC_OBJ_NEIGH,
	};
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_record rec;
	struct nc_error err = { 0 };
	char *before = snapshot();
	size_t i;
	int fd;

	conf_init(&c, NC_MODE_L3, NC_ROLE_SOURCE, tmpdir);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), 0, "%s", err.msg);
	check_vxlan(NC_ROLE_SOURCE, NULL);
	cr_assert_eq(packet_sockets(0), 0);
	record_load(&rec);
	cr_assert_eq(rec.n_objs, 1);
	/* Before cutover the traffic still goes to the VM here. */
	out_lacks("ip route show table all", VM_IP);
	out_lacks("ip neigh show proxy", VM_IP);
	cr_assert_eq(proxy_arp("br0"), 0);

	fd = capture_open("vmp");
	cr_assert_eq(nc_tunnel_cutover(nl, &t, &err), 0, "%s", err.msg);
	out_has("ip route show table main",
	        VM_IP " dev " DEV " proto static scope link");
	out_has("ip neigh show nud permanent",
	        VM_IP " dev " DEV " lladdr " DST_MAC " PERMANENT");
	out_has("ip neigh show proxy", VM_IP " dev br0");
	cr_assert_eq(proxy_arp("br0"), 0);
	/* This host answers for the VM on its old segment now. */
	cr_assert_eq(announcements(fd, BR_MAC, VM_IP), 3);
	record_load(&rec);
	cr_assert_eq(rec.state, NC_STATE_CUTOVER);
	cr_assert_eq(rec.n_objs, sizeof(kinds) / sizeof(kinds[0]));
	for (i = 0; i < rec.n_objs; i++)
		cr_assert_eq(rec.objs[i].kind, kinds[i], "object %zu", i);
	cr_assert_str_eq(rec.objs[1].neigh.dev, DEV);
	cr_assert_not(rec.objs[1].neigh.proxy);
	cr_assert_eq(rec.objs[2].route.dst_len, 32);
	cr_assert_str_eq(rec.objs[3].neigh.dev, "br0");
	cr_assert(rec.objs[3].neigh.proxy);

	/* The migration failed after all: the VM is here again. */
	cr_assert_eq(nc_tunnel_teardown(nl, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(announcements(fd, VM_MAC, VM_IP), 3);
	close(fd);
	nc_tunnel_close(&t);
	cr_assert_eq(dir_entries(tmpdir), 0);
	snapshot_same(before);
}

Test(nc_tunnel, encrypted_dest, .init = site_setup, .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_record rec;
	struct nc_error err = { 0 };
	char *before = snapshot();
	json_t *link;

	conf_init(&c, NC_MODE_ENCRYPTED, NC_ROLE_DEST, tmpdir);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), 0, "%s", err.msg);
	cr_assert_str_eq(t.dev, TAP);
	cr_assert_geq(t.tap_fd, 0);
	link = ip_link_json(TAP);
	cr_assert_str_eq(
	    json_str(json_object_get(link, "linkinfo"), "info_kind"), "tun");
	cr_assert_str_eq(json_str(link, "address"), DST_MAC);
	cr_assert_str_eq(json_str(link, "master"), "br0");
	cr_assert(json_flag(link, "UP"));
	json_decref(link);
	cr_assert_eq(packet_sockets((int)if_nametoindex(TAP)), 1);
	record_load(&rec);
	cr_assert_eq(rec.mode, NC_MODE_ENCRYPTED);
	cr_assert_eq(rec.vni, 0);
	cr_assert_eq(rec.port, 0);
	cr_assert_eq(rec.local.family, 0);
	cr_assert_eq(rec.n_objs, 1);
	cr_assert_str_eq(rec.objs[0].link, TAP);
	cr_assert_eq(nc_tunnel_teardown(nl, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.tap_fd, -1);
	nc_tunnel_close(&t);
	cr_assert_eq(if_nametoindex(TAP), 0);
	cr_assert_eq(dir_entries(tmpdir), 0);
	snapshot_same(before);
}

/* Committed: the record says so, the responder is gone, and closing the
 * handle leaves the tunnel up; a later `tunnel teardown` (a new process,
 * from the record alone) removes it all. */
Test(nc_tunnel, commit_then_teardown_record, .init = site_setup,
     .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_record rec;
	struct nc_error err = { 0 };
	char *before = snapshot();

	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, tmpdir);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_tunnel_cutover(nl, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(nc_tunnel_commit(&t, &err), 0, "%s", err.msg);
	cr_assert_null(t.responder);
	cr_assert_eq(packet_sockets(0), 0);
	nc_tunnel_close(&t);
	record_load(&rec);
	cr_assert_eq(rec.state, NC_STATE_COMMITTED);
	cr_assert_eq(rec.n_objs, 7);
	check_vxlan(NC_ROLE_DEST, NULL);
	cr_assert_eq(proxy_arp("br0"), 1);
	out_has("ip rule show", "from " VM_IP " iif br0");

	cr_assert_eq(nc_tunnel_teardown_record(nl, tmpdir, &rec, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(dir_entries(tmpdir), 0);
	snapshot_same(before);
	/* Again: already gone. */
	cr_assert_eq(nc_tunnel_teardown_record(nl, tmpdir, &rec, &err), 0, "%s",
	             err.msg);
}

/* ----- refusals and failures leave nothing behind ----- */

static void prepare_fails(struct nc_tunnel_conf *c, int code, const char *msg)
{
	struct nc_tunnel t;
	struct nc_error err = { 0 };

	cr_assert_eq(nc_tunnel_prepare(nl, c, &t, &err), code, "%s", err.msg);
	cr_assert_eq(err.code, code);
	cr_assert(strstr(err.msg, msg), "'%s' not in '%s'", msg, err.msg);
	cr_assert_null(t.responder);
	cr_assert_eq(t.tap_fd, -1);
	cr_assert_eq(packet_sockets(0), 0);
	cr_assert_eq(if_nametoindex(DEV), 0);
	cr_assert_eq(dir_entries(tmpdir), 0);
}

Test(nc_tunnel, vni_in_use, .init = site_setup, .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	char *before;

	sh_ok("ip link add name vxother type vxlan id %u dstport 4789 "
	      "local 10.99.0.1 remote 10.99.0.2",
	      VNI);
	before = snapshot();
	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_SOURCE, tmpdir);
	prepare_fails(&c, -EADDRINUSE,
	              "VNI 5000 on UDP port 4789 is already used by 'vxother'");
	snapshot_same(before);
	/* The same name: refused by the precheck, before any record. */
	sh_ok("ip link add name " DEV " type vxlan id %u dstport 4789 "
	      "local 10.99.0.1 remote 10.99.0.2",
	      VNI + 1);
	before = snapshot();
	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_SOURCE, tmpdir);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &(struct nc_tunnel){ 0 }, NULL),
	             -EEXIST);
	cr_assert_eq(dir_entries(tmpdir), 0);
	cr_assert_eq(sh("ip -d link show " DEV " | grep -q 'id 5001 '"), 0);
	snapshot_same(before);
}

Test(nc_tunnel, udp_port_in_use, .init = site_setup, .fini = site_cleanup)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(4789),
	};
	struct nc_tunnel_conf c;
	char *before = snapshot();
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	conf_init(&c, NC_MODE_L2_EXTEND, NC_ROLE_DEST, tmpdir);
	prepare_fails(&c, -EADDRINUSE, "is in use by another program");
	close(fd);
	snapshot_same(before);
}

Test(nc_tunnel, state_dir_not_a_dir, .init = site_setup, .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_error err = { 0 };
	char path[128], *before = snapshot();
	int fd;

	snprintf(path, sizeof(path), "%s/file", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, path);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), -ENOTDIR, "%s",
	             err.msg);
	cr_assert(strstr(err.msg, "is not a directory"), "%s", err.msg);
	cr_assert_eq(if_nametoindex(DEV), 0);
	cr_assert_eq(dir_entries(tmpdir), 1);
	snapshot_same(before);
}

/* l3 destination whose bridge is down: the link, the gateway entry and
 * the default route are made, then the VM's route cannot be: all of it
 * is undone and the record removed. */
Test(nc_tunnel, l3_dest_fails_midway, .init = site_setup, .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	char *before;

	sh_ok("ip link set br0 down");
	before = snapshot();
	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, tmpdir);
	prepare_fails(&c, -ENETDOWN, VM_IP);
	snapshot_same(before);
}

/* The VM's /32 exists already: prepare fails on it, and the route that
 * was there is not the tunnel's to remove. */
Test(nc_tunnel, l3_dest_route_exists, .init = site_setup, .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	char *before;

	sh_ok("ip route add " VM_IP "/32 dev br0 proto static");
	before = snapshot();
	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, tmpdir);
	prepare_fails(&c, -EEXIST, VM_IP);
	out_has("ip route show table main", VM_IP " dev br0");
	snapshot_same(before);
}

/* A permanent neighbour entry that was there before the tunnel is not
 * taken over (a replace would, and teardown would delete it): refused, and
 * still there. */
Test(nc_tunnel, l3_dest_keeps_existing_neigh, .init = site_setup,
     .fini = site_cleanup)
{
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_error err = { 0 };
	char *before;

	sh_ok("ip neigh add " VM_IP " lladdr 52:54:00:99:99:99 dev br0 "
	      "nud permanent");
	before = snapshot();
	conf_init(&c, NC_MODE_L3, NC_ROLE_DEST, tmpdir);
	/* Someone else's entry: refused, not taken over, and kept. */
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), -EEXIST, "%s",
	             err.msg);
	cr_assert(strstr(err.msg, "not skyferry's"), "%s", err.msg);
	snapshot_same(before);
}

/* ----- two sites ----- */

/*
 * The destination site, in a forked child: a namespace of its own, then
 * (once the parent moved ncb in) its underlay, bridge and tunnel end,
 * until the parent says stop. Exits 0 if all went well and the teardown
 * left nothing; any other code says which step failed. No Criterion
 * assertions here: this is not the test process.
 */
static void far_site(enum nc_mode mode, int from_parent, int to_parent)
{
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_error err = { 0 };
	struct nc_nl *far_nl;
	char dir[128], ch;

	snprintf(dir, sizeof(dir), "%s/dest", tmpdir);
	if (unshare(CLONE_NEWNET) != 0)
		_exit(10);
	if (write(to_parent, "n", 1) != 1 || read(from_parent, &ch, 1) != 1)
		_exit(11);
	if (sh("ip link set lo up && echo 1 > /proc/sys/net/ipv4/ip_forward "
	       "&& ip addr add 10.99.0.2/24 dev ncb && ip link set ncb up && "
	       "ip link add name br0 address 02:00:00:00:00:b1 type bridge "
	       "&& ip link set br0 up") != 0)
		_exit(12);
	far_nl = nc_nl_open(&err);
	if (!far_nl)
		_exit(13);
	conf_init(&c, mode, NC_ROLE_DEST, dir);
	if (nc_tunnel_prepare(far_nl, &c, &t, &err) < 0) {
		fprintf(stderr, "far site: %s\n", err.msg);
		_exit(14);
	}
	if (write(to_parent, "r", 1) != 1)
		_exit(15);
	if (read(from_parent, &ch, 1) != 1)
		_exit(16);
	if (nc_tunnel_teardown(far_nl, &t, &err) < 0) {
		fprintf(stderr, "far site: %s\n", err.msg);
		_exit(17);
	}
	nc_tunnel_close(&t);
	if (if_nametoindex(DEV) != 0 || access(record_path(dir), F_OK) == 0)
		_exit(18);
	nc_nl_close(far_nl);
	_exit(0);
}

/* Source here, destination in a child's namespace, joined by veth
 * nca - ncb (10.99.0.1 - 10.99.0.2): the check crosses the tunnel. */
static void two_sites(enum nc_mode mode)
{
	int down[2], up[2], status = -1, rc;
	struct nc_tunnel_conf c;
	struct nc_tunnel t;
	struct nc_error err = { 0 };
	uint64_t rtt = 0;
	char dir[128], ch = 0;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/source", tmpdir);
	sh_ok("ip link add name nca type veth peer name ncb");
	cr_assert_eq(pipe2(down, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(up, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		far_site(mode, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	cr_assert_eq(read(up[0], &ch, 1), 1);
	sh_ok("ip link set ncb netns %d", (int)pid);
	cr_assert_eq(write(down[1], "g", 1), 1);
	sh_ok("ip addr add 10.99.0.1/24 dev nca && ip link set nca up");
	conf_init(&c, mode, NC_ROLE_SOURCE, dir);
	cr_assert_eq(nc_tunnel_prepare(nl, &c, &t, &err), 0, "%s", err.msg);
	if (read(up[0], &ch, 1) != 1 || ch != 'r') {
		waitpid(pid, &status, 0);
		cr_assert_fail("far site failed: status %d",
		               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	rc = nc_tunnel_check(&t, 5000, &rtt, &err);
	cr_assert_eq(write(down[1], "d", 1), 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_gt(rtt, 0);
	cr_assert_lt(rtt, 5000000);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "far site: status %d",
	          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* With the far end gone, nothing answers. */
	rc = nc_tunnel_check(&t, 300, &rtt, &err);
	cr_assert_eq(rc, -ETIMEDOUT, "%d %s", rc, err.msg);
	cr_assert_eq(nc_tunnel_teardown(nl, &t, &err), 0, "%s", err.msg);
	nc_tunnel_close(&t);
	cr_assert_eq(if_nametoindex(DEV), 0);
	cr_assert_eq(dir_entries(dir), 0);
	close(down[1]);
	close(up[0]);
}

Test(nc_tunnel, two_sites_l2_extend, .init = site_setup, .fini = site_cleanup)
{
	two_sites(NC_MODE_L2_EXTEND);
}

Test(nc_tunnel, two_sites_l3, .init = site_setup, .fini = site_cleanup)
{
	two_sites(NC_MODE_L3);
}
