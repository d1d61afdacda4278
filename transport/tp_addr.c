/*
 * Network endpoint parsing.
 */
#include "transport/tp_addr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, uint16_t *port)
{
	char *end = NULL;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int tp_addr_parse(const char *s, uint16_t default_port, char *hostbuf,
		  size_t hostlen, uint16_t *port)
{
	const char *host = s;
	const char *colon;
	size_t hlen;
	uint16_t p = default_port;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close == s + 1)
			return -EINVAL;
		host = s + 1;
		hlen = (size_t)(close - host);
		if (close[1] == ':') {
			if (parse_port(close + 2, &p) < 0)
				return -EINVAL;
		} else if (close[1] != '\0') {
			return -EINVAL;
		}
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			return -EINVAL; /* a bare IPv6 address needs brackets */
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (colon && parse_port(colon + 1, &p) < 0)
			return -EINVAL;
	}
	if (hlen == 0 || hlen >= hostlen)
		return -EINVAL;
	memcpy(hostbuf, host, hlen);
	hostbuf[hlen] = '\0';
	*port = p;
	return 0;
}
