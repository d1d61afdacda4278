/*
 * nc_addr.c: strict text forms of IP and MAC addresses and interface names.
 *
 * The parsers accept exactly one spelling family each: inet_pton's for
 * addresses (dotted quad without leading zeros, RFC 4291 text for IPv6),
 * six colon-separated pairs of hex digits for a MAC. No prefix, no scope, no
 * surrounding blanks: anything else is -EINVAL and leaves *out untouched.
 */
#include "netcontinuity/nc_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int nc_addr_parse(const char *s, struct nc_addr *out)
{
	struct nc_addr parsed;
	size_t len;

	if (!s)
		return -EINVAL;
	len = strnlen(s, NC_ADDR_STRLEN);
	if (len == 0 || len >= NC_ADDR_STRLEN)
		return -EINVAL;
	memset(&parsed, 0, sizeof(parsed));
	parsed.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(parsed.family, s, parsed.bytes) != 1)
		return -EINVAL;
	*out = parsed;
	return 0;
}

const char *nc_addr_format(const struct nc_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (a->family != AF_INET && a->family != AF_INET6)
		return buf;
	if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		buf[0] = '\0';
	return buf;
}

bool nc_addr_equal(const struct nc_addr *a, const struct nc_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return memcmp(a->bytes, b->bytes, 4) == 0;
	if (a->family == AF_INET6)
		return memcmp(a->bytes, b->bytes, 16) == 0;
	return true;
}

static int nc_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int nc_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t parsed[6];
	int hi, lo, i;

	if (!s || strnlen(s, NC_MAC_STRLEN) != NC_MAC_STRLEN - 1)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		hi = nc_hex_value(s[3 * i]);
		lo = nc_hex_value(s[3 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < 5 && s[3 * i + 2] != ':')
			return -EINVAL;
		parsed[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, parsed, sizeof(parsed));
	return 0;
}

const char *nc_mac_format(const uint8_t mac[6], char *buf, size_t len)
{
	if (len == 0)
		return buf;
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
	         mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/*
 * The kernel's dev_valid_name(), narrowed to printable ASCII (names end up
 * in messages) and without '%' (a name pattern would make the kernel pick
 * another name than the one asked for, which teardown could then not find).
 */
bool nc_ifname_valid(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = strnlen(name, NC_IFNAME_MAX);
	if (len == 0 || len >= NC_IFNAME_MAX)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '%')
			return false;
	}
	return true;
}

void nc_addr_from_sockaddr(const struct sockaddr_storage *ss, struct nc_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->family = AF_INET;
		memcpy(a->bytes, &((const struct sockaddr_in *)ss)->sin_addr,
		       4);
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *in6 =
		    &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			a->family = AF_INET;
			memcpy(a->bytes, &in6->s6_addr[12], 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->bytes, in6, 16);
		}
	}
}
