/*
 * nl.c: the netlink operations of nl.h, on libnl-3 and libnl-route-3.
 *
 * libnl folds the kernel's errno into its own NLE_* codes, which loses the
 * difference between, say, ENOENT and ESRCH. So each handle installs an
 * error callback that keeps the kernel's errno (and its extended ack text,
 * when the kernel gives one) for the call that is failing; nl_errno() turns
 * a libnl return value into 0 or -errno, preferring the kernel's own.
 */
#include "netcontinuity/nl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#define NL_VNI_MAX 16777215u

struct nc_nl {
	struct nl_sock *sock;
	int kernel_errno;     /* of the failing request, positive; or 0 */
	char kernel_msg[128]; /* its extended ack message, or "" */
};

/* --- errors ------------------------------------------------------------ */

/* Copy the extended ack message of an NLMSG_ERROR, if there is one. */
static void nl_extack_copy(const struct nlmsghdr *hdr, const struct nlmsgerr *e,
                           char *buf, size_t len)
{
	const struct nlattr *attr;
	size_t offset, i;
	int remaining;

	buf[0] = '\0';
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*e));
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return;
		offset =
		    NLMSG_HDRLEN +
		    NLMSG_ALIGN(sizeof(*e) + e->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if (hdr->nlmsg_len <= offset)
		return;
	attr = (const struct nlattr *)((const char *)hdr + offset);
	remaining = (int)(hdr->nlmsg_len - offset);
	for (; nla_ok(attr, remaining); attr = nla_next(attr, &remaining)) {
		if (nla_type(attr) != NLMSGERR_ATTR_MSG)
			continue;
		for (i = 0; i + 1 < len && i < (size_t)nla_len(attr); i++) {
			char c = ((const char *)nla_data(attr))[i];

			if (c == '\0')
				break;
			buf[i] = (c < ' ' || c > '~') ? '?' : c;
		}
		buf[i] = '\0';
		return;
	}
}

/* libnl error callback: keep what the kernel said, stop this request. */
static int nl_on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	const struct nlmsghdr *hdr =
	    (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	struct nc_nl *nl = arg;

	(void)who;
	nl->kernel_errno = e->error < 0 ? -e->error : e->error;
	nl_extack_copy(hdr, e, nl->kernel_msg, sizeof(nl->kernel_msg));
	return NL_STOP;
}

/*
 * Turn a libnl return value into 0 or -errno: the kernel's errno if the
 * kernel refused, else the nearest errno to libnl's code. Consumes the
 * kernel's errno; keeps its message for nl_fail().
 */
static int nl_errno(struct nc_nl *nl, int nlerr)
{
	int kernel_errno = nl->kernel_errno;

	nl->kernel_errno = 0;
	if (nlerr >= 0) {
		nl->kernel_msg[0] = '\0';
		return 0;
	}
	if (kernel_errno > 0)
		return -kernel_errno;
	nl->kernel_msg[0] = '\0';
	switch (-nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
	case NLE_AF_MISMATCH:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_PERM:
		return -EPERM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_BAD_SOCK:
		return -EBADF;
	default:
		return -EIO;
	}
}

/* Fill err with "WHAT: strerror(rc)", plus the kernel's own words. */
static int nl_fail(struct nc_nl *nl, struct nc_error *err, int rc,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int nl_fail(struct nc_nl *nl, struct nc_error *err, int rc,
                   const char *fmt, ...)
{
	char what[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (nl && nl->kernel_msg[0])
		return nc_error_set(err, rc, "%s: %s (kernel: %s)", what,
		                    strerror(-rc), nl->kernel_msg);
	return nc_error_set(err, rc, "%s: %s", what, strerror(-rc));
}

static int nl_bad_name(const char *what, const char *name, struct nc_error *err)
{
	return nc_error_set(err, -EINVAL,
	                    "%s name '%.*s' is not a valid interface name "
	                    "(1 to 15 printable characters, no '/', ':', '%%' "
	                    "or blank)",
	                    what, NC_IFNAME_MAX, name ? name : "");
}

/* --- small helpers ----------------------------------------------------- */

static void nl_strlcpy(char *dst, const char *src, size_t len)
{
	size_t n = src ? strnlen(src, len - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static bool nl_mac_is_zero(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return memcmp(mac, zero, sizeof(zero)) == 0;
}

static unsigned int nl_addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static bool nl_family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* A libnl address for a, with prefixlen. The caller puts it. */
static int nl_addr_from_nc(const struct nc_addr *a, unsigned int prefixlen,
                           struct nl_addr **out)
{
	struct nl_addr *na;

	if (!nl_family_ok(a->family))
		return -EAFNOSUPPORT;
	na = nl_addr_build(a->family, a->bytes, nl_addr_bits(a->family) / 8);
	if (!na)
		return -ENOMEM;
	nl_addr_set_prefixlen(na, (int)prefixlen);
	*out = na;
	return 0;
}

/* An nc_addr from a libnl one; family 0 if na is NULL or not IP. */
static void nl_addr_to_nc(struct nl_addr *na, struct nc_addr *out)
{
	unsigned int len;
	int family;

	memset(out, 0, sizeof(*out));
	if (!na)
		return;
	family = nl_addr_get_family(na);
	len = nl_addr_get_len(na);
	if (!nl_family_ok(family) || len != nl_addr_bits(family) / 8)
		return;
	out->family = family;
	memcpy(out->bytes, nl_addr_get_binary_addr(na), len);
}

static bool nl_addr_is_zero(const struct nc_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->bytes, zero, nl_addr_bits(a->family) / 8) == 0;
}

static bool nl_addr_is_multicast(const struct nc_addr *a)
{
	if (a->family == AF_INET)
		return (a->bytes[0] & 0xf0) == 0xe0;
	return a->bytes[0] == 0xff;
}

/* --- handle ------------------------------------------------------------ */

struct nc_nl *nc_nl_open(struct nc_error *err)
{
	struct nc_nl *nl = NULL;
	int one = 1;
	int rc;

	nl = calloc(1, sizeof(*nl));
	if (!nl) {
		rc =
		    nc_error_set(err, -ENOMEM,
		                 "cannot open a netlink socket: out of memory");
		goto out;
	}
	nl->sock = nl_socket_alloc();
	if (!nl->sock) {
		rc =
		    nc_error_set(err, -ENOMEM,
		                 "cannot open a netlink socket: out of memory");
		goto out;
	}
	rc = nl_errno(nl, nl_connect(nl->sock, NETLINK_ROUTE));
	if (rc < 0) {
		nl_fail(nl, err, rc, "cannot open a NETLINK_ROUTE socket");
		goto out;
	}
	rc = nl_errno(nl, nl_socket_modify_err_cb(nl->sock, NL_CB_CUSTOM,
	                                          nl_on_error, nl));
	if (rc < 0) {
		nl_fail(nl, err, rc, "cannot set up a netlink socket");
		goto out;
	}
	/* Best effort: older kernels simply give no extended ack text. */
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK,
	           &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_CAP_ACK,
	           &one, sizeof(one));
out:
	if (rc < 0) {
		nc_nl_close(nl);
		errno = -rc;
		return NULL;
	}
	return nl;
}

void nc_nl_close(struct nc_nl *nl)
{
	int saved = errno;

	if (!nl)
		return;
	if (nl->sock)
		nl_socket_free(nl->sock);
	free(nl);
	errno = saved;
}

/* --- links ------------------------------------------------------------- */

static void nl_link_fill(struct rtnl_link *link, struct nc_link_info *out)
{
	struct nl_addr *lladdr, *addr = NULL;
	uint32_t value;

	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(link);
	nl_strlcpy(out->name, rtnl_link_get_name(link), sizeof(out->name));
	nl_strlcpy(out->kind, rtnl_link_get_type(link), sizeof(out->kind));
	lladdr = rtnl_link_get_addr(link);
	if (lladdr && nl_addr_get_len(lladdr) == 6)
		memcpy(out->mac, nl_addr_get_binary_addr(lladdr), 6);
	out->mtu = rtnl_link_get_mtu(link);
	out->up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
	out->master = rtnl_link_get_master(link);
	if (!rtnl_link_is_vxlan(link))
		return;
	if (rtnl_link_vxlan_get_id(link, &value) == 0)
		out->vni = value;
	if (rtnl_link_vxlan_get_port(link, &value) == 0)
		out->port = (uint16_t)value;
	if (rtnl_link_vxlan_get_local(link, &addr) == 0) {
		nl_addr_to_nc(addr, &out->local);
		nl_addr_put(addr);
		addr = NULL;
	}
	if (rtnl_link_vxlan_get_group(link, &addr) == 0) {
		nl_addr_to_nc(addr, &out->remote);
		nl_addr_put(addr);
	}
}

/*
 * Read link name from the kernel into *out (the caller's to put, on success
 * only). -ENODEV with "no interface 'x'" if there is none.
 */
static int nl_link_fetch(struct nc_nl *nl, const char *name,
                         struct rtnl_link **out, struct nc_error *err)
{
	struct rtnl_link *link = NULL;
	int rc;

	if (!nc_ifname_valid(name))
		return nl_bad_name("interface", name, err);
	rc = nl_errno(nl, rtnl_link_get_kernel(nl->sock, 0, name, &link));
	if (rc == -ENODEV || rc == -ENOENT)
		return nc_error_set(err, -ENODEV, "no interface '%s'", name);
	if (rc < 0)
		return nl_fail(nl, err, rc, "cannot read interface '%s'", name);
	*out = link;
	return 0;
}

int nc_link_get(struct nc_nl *nl, const char *name, struct nc_link_info *out,
                struct nc_error *err)
{
	struct rtnl_link *link = NULL;
	int rc;

	rc = nl_link_fetch(nl, name, &link, err);
	if (rc < 0)
		goto out;
	nl_link_fill(link, out);
out:
	rtnl_link_put(link);
	return rc;
}

int nc_link_foreach(struct nc_nl *nl,
                    int (*fn)(void *arg, const struct nc_link_info *link),
                    void *arg, struct nc_error *err)
{
	struct nl_cache *cache = NULL;
	struct nc_link_info info;
	struct nl_object *obj;
	int rc;

	rc = nl_errno(nl, rtnl_link_alloc_cache(nl->sock, AF_UNSPEC, &cache));
	if (rc < 0) {
		nl_fail(nl, err, rc, "cannot list interfaces");
		goto out;
	}
	for (obj = nl_cache_get_first(cache); obj;
	     obj = nl_cache_get_next(obj)) {
		nl_link_fill((struct rtnl_link *)obj, &info);
		rc = fn(arg, &info);
		if (rc)
			goto out;
	}
out:
	nl_cache_free(cache);
	return rc;
}

/*
 * Apply changes to link name. what says what for the message ("bring it
 * up"); the kernel's errno is returned as is.
 */
static int nl_link_change(struct nc_nl *nl, const char *name,
                          struct rtnl_link *changes, const char *what,
                          struct nc_error *err)
{
	struct rtnl_link *orig = NULL;
	int rc;

	rc = nl_link_fetch(nl, name, &orig, err);
	if (rc < 0)
		goto out;
	rc = nl_errno(nl, rtnl_link_change(nl->sock, orig, changes, 0));
	if (rc < 0)
		nl_fail(nl, err, rc, "interface '%s': cannot %s", name, what);
out:
	rtnl_link_put(orig);
	return rc;
}

/* Set the MAC (unless all zero) and the MTU (unless 0) of link name. */
static int nl_link_set_mac_mtu(struct nc_nl *nl, const char *name,
                               const uint8_t mac[6], unsigned int mtu,
                               struct nc_error *err)
{
	struct rtnl_link *changes = NULL;
	struct nl_addr *lladdr = NULL;
	int rc = 0;

	if (nl_mac_is_zero(mac) && mtu == 0)
		return 0;
	changes = rtnl_link_alloc();
	if (!changes) {
		rc = nc_error_set(err, -ENOMEM, "interface '%s': out of memory",
		                  name);
		goto out;
	}
	if (!nl_mac_is_zero(mac)) {
		lladdr = nl_addr_build(AF_LLC, mac, 6);
		if (!lladdr) {
			rc =
			    nc_error_set(err, -ENOMEM,
			                 "interface '%s': out of memory", name);
			goto out;
		}
		rtnl_link_set_addr(changes, lladdr);
	}
	if (mtu)
		rtnl_link_set_mtu(changes, mtu);
	rc = nl_link_change(nl, name, changes, "set its MAC address and MTU",
	                    err);
out:
	nl_addr_put(lladdr);
	rtnl_link_put(changes);
	return rc;
}

static int nl_udp_port_busy(struct nc_error *err, const char *name,
                            uint16_t port, const struct nc_addr *local)
{
	char addr[NC_ADDR_STRLEN];

	return nc_error_set(
	    err, -EADDRINUSE,
	    "vxlan '%s': UDP port %u on %s is in use by another "
	    "program; choose another port",
	    name, port, nc_addr_format(local, addr, sizeof(addr)));
}

/*
 * Can a vxlan socket bind UDP port of family? The kernel opens it only when
 * the link goes up, so ask now, the way it will: the wildcard address, and
 * IPv6 only for IPv6. 0, or -EADDRINUSE if another socket holds the port.
 */
static int nl_udp_port_probe(int family, uint16_t port)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	int fd, one = 1, rc = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0; /* cannot tell; bringing the link up will */
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 &&
		    errno == EADDRINUSE)
			rc = -EADDRINUSE;
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
		    errno == EADDRINUSE)
			rc = -EADDRINUSE;
	}
	close(fd);
	return rc;
}

struct nl_vxlan_scan {
	const struct nc_vxlan_conf *conf;
	bool name_taken;
	char clash[NC_IFNAME_MAX]; /* a vxlan with the same VNI and port */
	bool port_open; /* an up vxlan of the family already holds the port */
};

static int nl_vxlan_scan_one(void *arg, const struct nc_link_info *link)
{
	struct nl_vxlan_scan *scan = arg;
	int family;

	if (strcmp(link->name, scan->conf->name) == 0)
		scan->name_taken = true;
	if (strcmp(link->kind, "vxlan") != 0 || link->port != scan->conf->port)
		return 0;
	if (link->vni == scan->conf->vni && !scan->clash[0])
		nl_strlcpy(scan->clash, link->name, sizeof(scan->clash));
	family = link->local.family ? link->local.family : link->remote.family;
	if (link->up && (family ? family : AF_INET) == scan->conf->local.family)
		scan->port_open = true;
	return 0;
}

static int nl_vxlan_conf_check(const struct nc_vxlan_conf *conf,
                               struct nc_error *err)
{
	if (!nc_ifname_valid(conf->name))
		return nl_bad_name("vxlan", conf->name, err);
	if (conf->vni < 1 || conf->vni > NL_VNI_MAX)
		return nc_error_set(err, -EINVAL,
		                    "vxlan '%s': VNI %u is not 1..16777215",
		                    conf->name, conf->vni);
	if (conf->port == 0)
		return nc_error_set(err, -EINVAL,
		                    "vxlan '%s': UDP port 0; choose 1..65535",
		                    conf->name);
	if (!nl_family_ok(conf->local.family))
		return nc_error_set(err, -EINVAL,
		                    "vxlan '%s': no local underlay address",
		                    conf->name);
	if (conf->remote.family != conf->local.family)
		return nc_error_set(err, -EINVAL,
		                    "vxlan '%s': the remote underlay address "
		                    "must be of the local one's family",
		                    conf->name);
	if (nl_addr_is_zero(&conf->remote) ||
	    nl_addr_is_multicast(&conf->remote))
		return nc_error_set(err, -EINVAL,
		                    "vxlan '%s': the remote underlay address "
		                    "must be a unicast address",
		                    conf->name);
	return 0;
}

/* The vxlan link of conf, unsent. The caller puts it. */
static int nl_vxlan_build(const struct nc_vxlan_conf *conf,
                          struct rtnl_link **out)
{
	struct nl_addr *local = NULL, *remote = NULL, *lladdr = NULL;
	struct rtnl_link *link = NULL;
	unsigned int bits = nl_addr_bits(conf->local.family);
	int rc = -ENOMEM;

	link = rtnl_link_vxlan_alloc();
	if (!link)
		goto out;
	if (nl_addr_from_nc(&conf->local, bits, &local) < 0 ||
	    nl_addr_from_nc(&conf->remote, bits, &remote) < 0)
		goto out;
	rtnl_link_set_name(link, conf->name);
	if (rtnl_link_vxlan_set_id(link, conf->vni) < 0 ||
	    rtnl_link_vxlan_set_port(link, conf->port) < 0 ||
	    rtnl_link_vxlan_set_local(link, local) < 0 ||
	    rtnl_link_vxlan_set_group(link, remote) < 0 ||
	    rtnl_link_vxlan_disable_learning(link) < 0) {
		rc = -EINVAL;
		goto out;
	}
	/* No lower device: the kernel would clamp the MTU to its. */
	if (conf->mtu)
		rtnl_link_set_mtu(link, conf->mtu);
	if (!nl_mac_is_zero(conf->mac)) {
		lladdr = nl_addr_build(AF_LLC, conf->mac, 6);
		if (!lladdr)
			goto out;
		rtnl_link_set_addr(link, lladdr);
	}
	*out = link;
	link = NULL;
	rc = 0;
out:
	nl_addr_put(local);
	nl_addr_put(remote);
	nl_addr_put(lladdr);
	rtnl_link_put(link);
	return rc;
}

int nc_vxlan_create(struct nc_nl *nl, const struct nc_vxlan_conf *conf,
                    struct nc_error *err)
{
	struct nl_vxlan_scan scan = { .conf = conf };
	struct rtnl_link *link = NULL;
	int rc;

	rc = nl_vxlan_conf_check(conf, err);
	if (rc < 0)
		goto out;
	rc = nc_link_foreach(nl, nl_vxlan_scan_one, &scan, err);
	if (rc < 0)
		goto out;
	if (scan.name_taken) {
		rc = nc_error_set(err, -EEXIST,
		                  "vxlan '%s': an interface of that name "
		                  "already exists",
		                  conf->name);
		goto out;
	}
	if (scan.clash[0]) {
		rc =
		    nc_error_set(err, -EADDRINUSE,
		                 "vxlan '%s': VNI %u on UDP port %u is already "
		                 "used by '%s'",
		                 conf->name, conf->vni, conf->port, scan.clash);
		goto out;
	}
	if (!scan.port_open &&
	    nl_udp_port_probe(conf->local.family, conf->port) < 0) {
		rc =
		    nl_udp_port_busy(err, conf->name, conf->port, &conf->local);
		goto out;
	}
	rc = nl_vxlan_build(conf, &link);
	if (rc < 0) {
		nc_error_set(err, rc,
		             "vxlan '%s': cannot build the request: %s",
		             conf->name, strerror(-rc));
		goto out;
	}
	rc = nl_errno(nl,
	              rtnl_link_add(nl->sock, link, NLM_F_CREATE | NLM_F_EXCL));
	if (rc == -EADDRINUSE)
		nl_udp_port_busy(err, conf->name, conf->port, &conf->local);
	else if (rc < 0)
		nl_fail(nl, err, rc, "vxlan '%s': cannot create it",
		        conf->name);
out:
	rtnl_link_put(link);
	return rc;
}

int nc_tap_create(const char *name, const uint8_t mac[6], unsigned int mtu,
                  struct nc_error *err)
{
	static const uint8_t no_mac[6];
	struct nc_nl *nl = NULL;
	struct ifreq ifr;
	int fd = -1;
	int rc;

	if (!nc_ifname_valid(name))
		return nl_bad_name("tap", name, err);
	if (!mac)
		mac = no_mac;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = nc_error_set(err, -errno,
		                  "tap '%s': cannot open /dev/net/tun: %s",
		                  name, strerror(errno));
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	/* IFF_TUN_EXCL: never attach to an existing device of that name. */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		if (rc == -EBUSY || rc == -EEXIST)
			rc = nc_error_set(err, -EEXIST,
			                  "tap '%s': an interface of that name "
			                  "already exists",
			                  name);
		else
			nc_error_set(err, rc, "tap '%s': cannot create it: %s",
			             name, strerror(-rc));
		goto out;
	}
	if (!nl_mac_is_zero(mac) || mtu) {
		nl = nc_nl_open(err);
		if (!nl) {
			rc = -errno;
			goto out;
		}
		rc = nl_link_set_mac_mtu(nl, name, mac, mtu, err);
		if (rc < 0)
			goto out;
	}
	rc = fd;
	fd = -1;
out:
	nc_nl_close(nl);
	if (fd >= 0)
		close(fd);
	return rc;
}

int nc_link_set_master(struct nc_nl *nl, const char *name, const char *bridge,
                       struct nc_error *err)
{
	struct rtnl_link *changes = NULL, *br = NULL;
	const char *kind;
	int rc;

	if (!nc_ifname_valid(bridge)) {
		rc = nl_bad_name("bridge", bridge, err);
		goto out;
	}
	rc = nl_link_fetch(nl, bridge, &br, err);
	if (rc == -ENODEV) {
		nc_error_set(err, rc,
		             "bridge '%s' does not exist: create it or map the "
		             "NIC to another bridge",
		             bridge);
		goto out;
	}
	if (rc < 0)
		goto out;
	kind = rtnl_link_get_type(br);
	if (!kind || strcmp(kind, "bridge") != 0) {
		rc =
		    nc_error_set(err, -EINVAL,
		                 "'%s' is not a bridge (it is %s%s%s): map the "
		                 "NIC to a bridge",
		                 bridge, kind ? "a " : "a plain interface",
		                 kind ? kind : "", kind ? " link" : "");
		goto out;
	}
	changes = rtnl_link_alloc();
	if (!changes) {
		rc = nc_error_set(err, -ENOMEM, "interface '%s': out of memory",
		                  name);
		goto out;
	}
	rtnl_link_set_master(changes, rtnl_link_get_ifindex(br));
	rc = nl_link_change(nl, name, changes, "attach it to the bridge", err);
out:
	rtnl_link_put(changes);
	rtnl_link_put(br);
	return rc;
}

int nc_link_set_up(struct nc_nl *nl, const char *name, struct nc_error *err)
{
	struct rtnl_link *changes = NULL;
	struct nc_link_info info;
	int rc;

	changes = rtnl_link_alloc();
	if (!changes) {
		rc = nc_error_set(err, -ENOMEM, "interface '%s': out of memory",
		                  name);
		goto out;
	}
	rtnl_link_set_flags(changes, IFF_UP);
	rc = nl_link_change(nl, name, changes, "bring it up", err);
	/* A vxlan opens its UDP socket now: name the port, not the errno. */
	if (rc == -EADDRINUSE && nc_link_get(nl, name, &info, NULL) == 0 &&
	    strcmp(info.kind, "vxlan") == 0)
		nl_udp_port_busy(err, name, info.port, &info.local);
out:
	rtnl_link_put(changes);
	return rc;
}

int nc_link_delete(struct nc_nl *nl, const char *name, struct nc_error *err)
{
	struct rtnl_link *link = NULL;
	int rc;

	if (!nc_ifname_valid(name))
		return nl_bad_name("interface", name, err);
	link = rtnl_link_alloc();
	if (!link) {
		rc = nc_error_set(err, -ENOMEM, "interface '%s': out of memory",
		                  name);
		goto out;
	}
	rtnl_link_set_name(link, name);
	rc = nl_errno(nl, rtnl_link_delete(nl->sock, link));
	if (rc == -ENODEV || rc == -ENOENT)
		rc = 0;
	else if (rc < 0)
		nl_fail(nl, err, rc, "interface '%s': cannot delete it", name);
out:
	rtnl_link_put(link);
	return rc;
}

/* The ifindex of link name; -ENODEV with "no interface 'x'". */
static int nl_link_ifindex(struct nc_nl *nl, const char *name, int *ifindex,
                           struct nc_error *err)
{
	struct rtnl_link *link = NULL;
	int rc;

	rc = nl_link_fetch(nl, name, &link, err);
	if (rc == 0)
		*ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return rc;
}

/* --- addresses --------------------------------------------------------- */

int nc_addr_foreach(struct nc_nl *nl, int ifindex,
                    int (*fn)(void *arg, int ifindex, const struct nc_addr *a,
                              unsigned int prefixlen),
                    void *arg, struct nc_error *err)
{
	struct nl_cache *cache = NULL;
	struct rtnl_addr *ra;
	struct nl_object *obj;
	struct nc_addr a;
	int rc;

	rc = nl_errno(nl, rtnl_addr_alloc_cache(nl->sock, &cache));
	if (rc < 0) {
		nl_fail(nl, err, rc, "cannot list addresses");
		goto out;
	}
	for (obj = nl_cache_get_first(cache); obj;
	     obj = nl_cache_get_next(obj)) {
		ra = (struct rtnl_addr *)obj;
		if (ifindex && rtnl_addr_get_ifindex(ra) != ifindex)
			continue;
		nl_addr_to_nc(rtnl_addr_get_local(ra), &a);
		if (!a.family)
			continue;
		rc = fn(arg, rtnl_addr_get_ifindex(ra), &a,
		        (unsigned int)rtnl_addr_get_prefixlen(ra));
		if (rc)
			goto out;
	}
out:
	nl_cache_free(cache);
	return rc;
}

/* --- routes ------------------------------------------------------------ */

static uint32_t nl_table(uint32_t table)
{
	return table ? table : RT_TABLE_MAIN;
}

/* "route 198.18.1.10/32 via 198.18.0.1 dev br0 table 100" */
static const char *nl_route_describe(const struct nc_route *r, char *buf,
                                     size_t len)
{
	char dst[NC_ADDR_STRLEN], gw[NC_ADDR_STRLEN];

	nc_addr_format(&r->dst, dst, sizeof(dst));
	nc_addr_format(&r->gw, gw, sizeof(gw));
	snprintf(buf, len, "route %s/%u%s%s%s%.*s%s table %u", dst, r->dst_len,
	         r->gw.family ? " via " : "", gw, r->dev[0] ? " dev " : "",
	         NC_IFNAME_MAX, r->dev, r->onlink ? " onlink" : "",
	         nl_table(r->table));
	return buf;
}

static int nl_route_check(const struct nc_route *r, const char *desc,
                          struct nc_error *err)
{
	if (!nl_family_ok(r->dst.family))
		return nc_error_set(err, -EINVAL,
		                    "%s: the destination is not an IPv4 or "
		                    "IPv6 address",
		                    desc);
	if (r->dst_len > nl_addr_bits(r->dst.family))
		return nc_error_set(
		    err, -EINVAL, "%s: prefix length %u is longer than %u",
		    desc, r->dst_len, nl_addr_bits(r->dst.family));
	if (r->gw.family && r->gw.family != r->dst.family)
		return nc_error_set(err, -EINVAL,
		                    "%s: the gateway is not of the "
		                    "destination's family",
		                    desc);
	if (!r->gw.family && !r->dev[0])
		return nc_error_set(err, -EINVAL,
		                    "%s: needs a device or a gateway", desc);
	if (r->onlink && (!r->gw.family || !r->dev[0]))
		return nc_error_set(err, -EINVAL,
		                    "%s: onlink needs a gateway and a device",
		                    desc);
	if (r->dev[0] && !nc_ifname_valid(r->dev))
		return nl_bad_name("route device", r->dev, err);
	return 0;
}

/*
 * The libnl route of r, for adding or (protocol any) deleting. The caller
 * puts it. -ENODEV if r->dev does not exist.
 */
static int nl_route_build(struct nc_nl *nl, const struct nc_route *r,
                          bool for_delete, struct rtnl_route **out,
                          struct nc_error *err)
{
	struct nl_addr *dst = NULL, *gw = NULL;
	struct rtnl_nexthop *nh = NULL;
	struct rtnl_route *route = NULL;
	int ifindex = 0;
	int rc;

	if (r->dev[0]) {
		rc = nl_link_ifindex(nl, r->dev, &ifindex, err);
		if (rc < 0)
			goto out;
	}
	rc = -ENOMEM;
	route = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	if (!route || !nh)
		goto nomem;
	if (nl_addr_from_nc(&r->dst, r->dst_len, &dst) < 0)
		goto nomem;
	if (r->gw.family &&
	    nl_addr_from_nc(&r->gw, nl_addr_bits(r->gw.family), &gw) < 0)
		goto nomem;
	rtnl_route_set_family(route, (uint8_t)r->dst.family);
	rtnl_route_set_table(route, nl_table(r->table));
	rtnl_route_set_type(route, RTN_UNICAST);
	rtnl_route_set_protocol(route,
	                        for_delete ? RTPROT_UNSPEC : RTPROT_STATIC);
	rtnl_route_set_scope(route, (r->gw.family || r->dst.family == AF_INET6)
	                                ? RT_SCOPE_UNIVERSE
	                                : RT_SCOPE_LINK);
	rc = nl_errno(nl, rtnl_route_set_dst(route, dst));
	if (rc < 0)
		goto fail;
	if (ifindex)
		rtnl_route_nh_set_ifindex(nh, ifindex);
	if (gw)
		rtnl_route_nh_set_gateway(nh, gw);
	if (r->onlink) {
		/* A single nexthop's flags travel in rtm_flags. */
		rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
		rtnl_route_set_flags(route, RTNH_F_ONLINK);
	}
	rtnl_route_add_nexthop(route, nh);
	nh = NULL;
	*out = route;
	route = NULL;
	rc = 0;
	goto out;
nomem:
	rc = -ENOMEM;
fail:
	nc_error_set(err, rc, "cannot build the route request: %s",
	             strerror(-rc));
out:
	if (nh)
		rtnl_route_nh_free(nh);
	rtnl_route_put(route);
	nl_addr_put(dst);
	nl_addr_put(gw);
	return rc;
}

int nc_route_add(struct nc_nl *nl, const struct nc_route *r,
                 struct nc_error *err)
{
	struct rtnl_route *route = NULL;
	char desc[160];
	int rc;

	nl_route_describe(r, desc, sizeof(desc));
	rc = nl_route_check(r, desc, err);
	if (rc < 0)
		goto out;
	rc = nl_route_build(nl, r, false, &route, err);
	if (rc < 0)
		goto out;
	rc = nl_errno(nl, rtnl_route_add(nl->sock, route, NLM_F_EXCL));
	if (rc == -EEXIST)
		nc_error_set(err, rc, "%s: already exists", desc);
	else if (rc < 0)
		nl_fail(nl, err, rc, "%s: cannot add it", desc);
out:
	rtnl_route_put(route);
	return rc;
}

int nc_route_del(struct nc_nl *nl, const struct nc_route *r,
                 struct nc_error *err)
{
	struct rtnl_route *route = NULL;
	char desc[160];
	int rc;

	nl_route_describe(r, desc, sizeof(desc));
	rc = nl_route_check(r, desc, err);
	if (rc < 0)
		goto out;
	/* Routes go with their device: no device, no route. */
	rc = nl_route_build(nl, r, true, &route, err);
	if (rc == -ENODEV)
		rc = 0;
	if (rc < 0 || !route)
		goto out;
	rc = nl_errno(nl, rtnl_route_delete(nl->sock, route, 0));
	if (rc == -ESRCH || rc == -ENOENT || rc == -ENODEV)
		rc = 0;
	else if (rc < 0)
		nl_fail(nl, err, rc, "%s: cannot delete it", desc);
out:
	rtnl_route_put(route);
	return rc;
}

int nc_route_table_used(struct nc_nl *nl, int family, uint32_t table,
                        bool *used, struct nc_error *err)
{
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	struct rtnl_route *route;
	bool found = false;
	int rc;

	if (!nl_family_ok(family))
		return nc_error_set(
		    err, -EINVAL,
		    "routing table %u: family %d is not IPv4 or "
		    "IPv6",
		    nl_table(table), family);
	rc = nl_errno(nl, rtnl_route_alloc_cache(nl->sock, family, 0, &cache));
	if (rc < 0) {
		nl_fail(nl, err, rc, "cannot list routes");
		goto out;
	}
	for (obj = nl_cache_get_first(cache); obj && !found;
	     obj = nl_cache_get_next(obj)) {
		route = (struct rtnl_route *)obj;
		found = rtnl_route_get_family(route) == family &&
		        rtnl_route_get_table(route) == nl_table(table);
	}
	*used = found;
out:
	nl_cache_free(cache);
	return rc;
}

/* --- rules ------------------------------------------------------------- */

/* "rule 1000 (from 198.18.1.10/32 iif br0 lookup 100)" */
static const char *nl_rule_describe(const struct nc_rule *r, char *buf,
                                    size_t len)
{
	char src[NC_ADDR_STRLEN];

	nc_addr_format(&r->src, src, sizeof(src));
	if (!r->src.family || r->src_len == 0)
		snprintf(src, sizeof(src), "all");
	snprintf(buf, len, "rule %u (%s from %s%s%u%s%.*s lookup %u)",
	         r->priority, r->family == AF_INET6 ? "IPv6" : "IPv4", src,
	         strcmp(src, "all") ? "/" : "", r->src_len,
	         r->iif[0] ? " iif " : "", NC_IFNAME_MAX, r->iif,
	         nl_table(r->table));
	return buf;
}

static int nl_rule_build(const struct nc_rule *r, const char *desc,
                         struct rtnl_rule **out, struct nc_error *err)
{
	struct rtnl_rule *rule = NULL;
	struct nl_addr *src = NULL;
	int rc = 0;

	if (!nl_family_ok(r->family) || r->priority == 0 ||
	    (r->src.family && r->src.family != r->family) ||
	    r->src_len > nl_addr_bits(r->family)) {
		rc = nc_error_set(err, -EINVAL,
		                  "%s: needs IPv4 or IPv6, a priority above 0 "
		                  "and a source of that family",
		                  desc);
		goto out;
	}
	if (r->iif[0] && !nc_ifname_valid(r->iif)) {
		rc = nl_bad_name("rule iif", r->iif, err);
		goto out;
	}
	rule = rtnl_rule_alloc();
	if (!rule)
		goto nomem;
	rtnl_rule_set_family(rule, r->family);
	rtnl_rule_set_prio(rule, r->priority);
	rtnl_rule_set_table(rule, nl_table(r->table));
	rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
	if (r->src.family && r->src_len) {
		if (nl_addr_from_nc(&r->src, r->src_len, &src) < 0)
			goto nomem;
		if (rtnl_rule_set_src(rule, src) < 0)
			goto nomem;
	}
	if (r->iif[0] && rtnl_rule_set_iif(rule, r->iif) < 0)
		goto nomem;
	*out = rule;
	rule = NULL;
	goto out;
nomem:
	rc = nc_error_set(err, -ENOMEM, "%s: cannot build the request", desc);
out:
	nl_addr_put(src);
	rtnl_rule_put(rule);
	return rc;
}

int nc_rule_add(struct nc_nl *nl, const struct nc_rule *r, struct nc_error *err)
{
	struct rtnl_rule *rule = NULL;
	char desc[160];
	int rc;

	nl_rule_describe(r, desc, sizeof(desc));
	rc = nl_rule_build(r, desc, &rule, err);
	if (rc < 0)
		goto out;
	rc = nl_errno(nl, rtnl_rule_add(nl->sock, rule, NLM_F_EXCL));
	if (rc == -EEXIST)
		nc_error_set(err, rc, "%s: already exists", desc);
	else if (rc < 0)
		nl_fail(nl, err, rc, "%s: cannot add it", desc);
out:
	rtnl_rule_put(rule);
	return rc;
}

int nc_rule_del(struct nc_nl *nl, const struct nc_rule *r, struct nc_error *err)
{
	struct rtnl_rule *rule = NULL;
	char desc[160];
	int rc;

	nl_rule_describe(r, desc, sizeof(desc));
	rc = nl_rule_build(r, desc, &rule, err);
	if (rc < 0)
		goto out;
	rc = nl_errno(nl, rtnl_rule_delete(nl->sock, rule, 0));
	if (rc == -ENOENT || rc == -ESRCH)
		rc = 0;
	else if (rc < 0)
		nl_fail(nl, err, rc, "%s: cannot delete it", desc);
out:
	rtnl_rule_put(rule);
	return rc;
}

int nc_rule_priority_used(struct nc_nl *nl, int family, uint32_t priority,
                          bool *used, struct nc_error *err)
{
	struct nl_cache *cache = NULL;
	struct rtnl_rule *rule;
	struct nl_object *obj;
	bool found = false;
	int rc;

	if (!nl_family_ok(family))
		return nc_error_set(
		    err, -EINVAL,
		    "rule priority %u: family %d is not IPv4 or "
		    "IPv6",
		    priority, family);
	rc = nl_errno(nl, rtnl_rule_alloc_cache(nl->sock, family, &cache));
	if (rc < 0) {
		nl_fail(nl, err, rc, "cannot list rules");
		goto out;
	}
	for (obj = nl_cache_get_first(cache); obj && !found;
	     obj = nl_cache_get_next(obj)) {
		rule = (struct rtnl_rule *)obj;
		found = rtnl_rule_get_family(rule) == family &&
		        rtnl_rule_get_prio(rule) == priority;
	}
	*used = found;
out:
	nl_cache_free(cache);
	return rc;
}

/* --- neighbours -------------------------------------------------------- */

/* "neighbour 198.18.1.1 dev br0" or "proxy neighbour ..." */
static const char *nl_neigh_describe(const struct nc_neigh *n, char *buf,
                                     size_t len)
{
	char addr[NC_ADDR_STRLEN];

	snprintf(buf, len, "%sneighbour %s dev %.*s", n->proxy ? "proxy " : "",
	         nc_addr_format(&n->addr, addr, sizeof(addr)), NC_IFNAME_MAX,
	         n->dev);
	return buf;
}

/* The libnl neighbour of n. The caller puts it. -ENODEV: no n->dev. */
static int nl_neigh_build(struct nc_nl *nl, const struct nc_neigh *n,
                          bool for_add, const char *desc,
                          struct rtnl_neigh **out, struct nc_error *err)
{
	struct nl_addr *dst = NULL, *lladdr = NULL;
	struct rtnl_neigh *neigh = NULL;
	int ifindex = 0;
	int rc;

	if (!nl_family_ok(n->addr.family)) {
		rc = nc_error_set(err, -EINVAL,
		                  "%s: not an IPv4 or IPv6 address", desc);
		goto out;
	}
	if (for_add && !n->proxy && nl_mac_is_zero(n->mac)) {
		rc = nc_error_set(err, -EINVAL,
		                  "%s: a permanent entry needs a MAC address",
		                  desc);
		goto out;
	}
	rc = nl_link_ifindex(nl, n->dev, &ifindex, err);
	if (rc < 0)
		goto out;
	neigh = rtnl_neigh_alloc();
	if (!neigh ||
	    nl_addr_from_nc(&n->addr, nl_addr_bits(n->addr.family), &dst) < 0)
		goto nomem;
	rtnl_neigh_set_ifindex(neigh, ifindex);
	rtnl_neigh_set_family(neigh, n->addr.family);
	if (rtnl_neigh_set_dst(neigh, dst) < 0)
		goto nomem;
	rtnl_neigh_set_state(neigh, NUD_PERMANENT);
	if (n->proxy) {
		rtnl_neigh_set_flags(neigh, NTF_PROXY);
	} else if (for_add) {
		lladdr = nl_addr_build(AF_LLC, n->mac, 6);
		if (!lladdr)
			goto nomem;
		rtnl_neigh_set_lladdr(neigh, lladdr);
	}
	*out = neigh;
	neigh = NULL;
	rc = 0;
	goto out;
nomem:
	rc = nc_error_set(err, -ENOMEM, "%s: cannot build the request", desc);
out:
	nl_addr_put(dst);
	nl_addr_put(lladdr);
	rtnl_neigh_put(neigh);
	return rc;
}

int nc_neigh_add(struct nc_nl *nl, const struct nc_neigh *n,
                 struct nc_error *err)
{
	struct rtnl_neigh *neigh = NULL;
	char desc[96];
	int rc;

	nl_neigh_describe(n, desc, sizeof(desc));
	rc = nl_neigh_build(nl, n, true, desc, &neigh, err);
	if (rc < 0)
		goto out;
	rc = nl_errno(
	    nl, rtnl_neigh_add(nl->sock, neigh, NLM_F_CREATE | NLM_F_REPLACE));
	if (rc < 0)
		nl_fail(nl, err, rc, "%s: cannot add it", desc);
out:
	rtnl_neigh_put(neigh);
	return rc;
}

int nc_neigh_del(struct nc_nl *nl, const struct nc_neigh *n,
                 struct nc_error *err)
{
	struct rtnl_neigh *neigh = NULL;
	char desc[96];
	int rc;

	nl_neigh_describe(n, desc, sizeof(desc));
	/* Neighbours go with their device: no device, no entry. */
	rc = nl_neigh_build(nl, n, false, desc, &neigh, err);
	if (rc == -ENODEV)
		rc = 0;
	if (rc < 0 || !neigh)
		goto out;
	rc = nl_errno(nl, rtnl_neigh_delete(nl->sock, neigh, 0));
	if (rc == -ENOENT || rc == -ESRCH || rc == -ENODEV)
		rc = 0;
	else if (rc < 0)
		nl_fail(nl, err, rc, "%s: cannot delete it", desc);
out:
	rtnl_neigh_put(neigh);
	return rc;
}

/* Fill n from a kernel neighbour; false to skip it. */
static bool nl_neigh_fill(struct rtnl_neigh *neigh, struct nl_cache *links,
                          int ifindex, struct nc_neigh *n)
{
	struct nl_addr *lladdr = rtnl_neigh_get_lladdr(neigh);
	int family = rtnl_neigh_get_family(neigh);

	memset(n, 0, sizeof(*n));
	if (!nl_family_ok(family) || (rtnl_neigh_get_flags(neigh) & NTF_PROXY))
		return false;
	if (ifindex && rtnl_neigh_get_ifindex(neigh) != ifindex)
		return false;
	if (!lladdr || nl_addr_get_len(lladdr) != 6)
		return false;
	nl_addr_to_nc(rtnl_neigh_get_dst(neigh), &n->addr);
	if (!n->addr.family)
		return false;
	memcpy(n->mac, nl_addr_get_binary_addr(lladdr), 6);
	if (!rtnl_link_i2name(links, rtnl_neigh_get_ifindex(neigh), n->dev,
	                      sizeof(n->dev)))
		n->dev[0] = '\0';
	n->state = (uint16_t)rtnl_neigh_get_state(neigh);
	return true;
}

int nc_neigh_foreach(struct nc_nl *nl, int ifindex,
                     int (*fn)(void *arg, const struct nc_neigh *n), void *arg,
                     struct nc_error *err)
{
	struct nl_cache *cache = NULL, *links = NULL;
	struct nl_object *obj;
	struct nc_neigh n;
	int rc;

	rc = nl_errno(nl, rtnl_link_alloc_cache(nl->sock, AF_UNSPEC, &links));
	if (rc < 0) {
		nl_fail(nl, err, rc, "cannot list interfaces");
		goto out;
	}
	rc = nl_errno(nl, rtnl_neigh_alloc_cache(nl->sock, &cache));
	if (rc < 0) {
		nl_fail(nl, err, rc, "cannot list neighbours");
		goto out;
	}
	for (obj = nl_cache_get_first(cache); obj;
	     obj = nl_cache_get_next(obj)) {
		if (!nl_neigh_fill((struct rtnl_neigh *)obj, links, ifindex,
		                   &n))
			continue;
		rc = fn(arg, &n);
		if (rc)
			goto out;
	}
out:
	nl_cache_free(cache);
	nl_cache_free(links);
	return rc;
}

/* --- proxy_arp --------------------------------------------------------- */

int nc_link_proxy_arp_get(struct nc_nl *nl, const char *dev, int *value,
                          struct nc_error *err)
{
	struct rtnl_link *link = NULL;
	uint32_t conf;
	int rc;

	rc = nl_link_fetch(nl, dev, &link, err);
	if (rc < 0)
		goto out;
	if (rtnl_link_inet_get_conf(link, IPV4_DEVCONF_PROXY_ARP, &conf) < 0) {
		rc = nc_error_set(err, -EAFNOSUPPORT,
		                  "interface '%s' has no IPv4 settings", dev);
		goto out;
	}
	*value = (int)conf;
out:
	rtnl_link_put(link);
	return rc;
}

int nc_link_proxy_arp_set(struct nc_nl *nl, const char *dev, int value,
                          struct nc_error *err)
{
	struct rtnl_link *changes = NULL;
	int rc;

	if (value != 0 && value != 1)
		return nc_error_set(
		    err, -EINVAL, "interface '%s': proxy_arp %d is not 0 or 1",
		    dev, value);
	changes = rtnl_link_alloc();
	if (!changes) {
		rc = nc_error_set(err, -ENOMEM, "interface '%s': out of memory",
		                  dev);
		goto out;
	}
	rc =
	    nl_errno(nl, rtnl_link_inet_set_conf(
	                     changes, IPV4_DEVCONF_PROXY_ARP, (uint32_t)value));
	if (rc < 0) {
		nc_error_set(err, rc,
		             "interface '%s': cannot set proxy_arp: %s", dev,
		             strerror(-rc));
		goto out;
	}
	rc = nl_link_change(nl, dev, changes, "set proxy_arp", err);
out:
	rtnl_link_put(changes);
	return rc;
}
