/* Kernel command line parser for the test guest: see sf_cmdline.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sf_cmdline.h"
#include "sf_disk.h"

#define SF_CMDLINE_TOKEN_MAX 256

void sf_cmdline_init(struct sf_cmdline *cmdline)
{
	memset(cmdline, 0, sizeof(*cmdline));
	cmdline->rate = 2000;
	cmdline->sweep = 1000;
	cmdline->disk_rate = 20;
}

static bool sf_cmdline_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* Decimal without sign, leading zeros allowed, value at most max. */
static int sf_cmdline_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

/* Strict dotted quad: four decimal octets, no leading zeros, no extras. */
static int sf_cmdline_parse_ipv4(const char *s, uint32_t *out)
{
	uint32_t ip = 0;
	int octet;

	for (octet = 0; octet < 4; octet++) {
		unsigned v = 0, digits = 0;

		if (octet > 0 && *s++ != '.')
			return -EINVAL;
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -EINVAL;
		ip = ip << 8 | v;
	}
	if (*s != '\0')
		return -EINVAL;
	*out = ip;
	return 0;
}

static int sf_cmdline_parse_cidr(struct sf_cmdline *c, char *value)
{
	char *slash = strchr(value, '/');
	uint64_t prefix;
	uint32_t ip;

	if (slash == NULL)
		return -EINVAL;
	*slash = '\0';
	if (sf_cmdline_parse_ipv4(value, &ip) < 0 ||
	    sf_cmdline_parse_u64(slash + 1, 32, &prefix) < 0 ||
	    strlen(slash + 1) > 2)
		return -EINVAL;
	c->have_ip = true;
	c->ip = ip;
	c->prefix = (unsigned)prefix;
	return 0;
}

/*
 * /dev/ followed by a plain relative path: no "..", no shell specials; or
 * "auto", which the disk writer resolves (sf_disk.h).
 */
static int sf_cmdline_parse_disk(struct sf_cmdline *c, const char *value)
{
	size_t len = strlen(value), i;

	if (strcmp(value, SF_DISK_AUTO) == 0) {
		memcpy(c->disk, value, len + 1);
		c->have_disk = true;
		return 0;
	}
	if (len <= 5 || len >= sizeof(c->disk) || strncmp(value, "/dev/", 5))
		return -EINVAL;
	if (strstr(value, "..") != NULL || value[len - 1] == '/')
		return -EINVAL;
	for (i = 5; i < len; i++) {
		char ch = value[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' ||
		      ch == '-' || ch == '.'))
			return -EINVAL;
	}
	memcpy(c->disk, value, len + 1);
	c->have_disk = true;
	return 0;
}

/* Apply one key=value token whose key starts with "sf.". */
static int sf_cmdline_apply(struct sf_cmdline *c, char *token,
                            struct sf_err *err)
{
	char *eq = strchr(token, '=');
	const char *key = token;
	char *value;
	int ret;

	if (eq == NULL) {
		sf_err_set(err, "%.64s: expected %.64s=VALUE", token, token);
		return -EINVAL;
	}
	*eq = '\0';
	value = eq + 1;
	if (strcmp(key, "sf.ip") == 0)
		ret = sf_cmdline_parse_cidr(c, value);
	else if (strcmp(key, "sf.gw") == 0) {
		ret = sf_cmdline_parse_ipv4(value, &c->gw);
		c->have_gw = ret == 0;
	} else if (strcmp(key, "sf.mem") == 0)
		ret = sf_cmdline_parse_u64(value, SF_CMDLINE_MAX_MEM,
		                           &c->mem_mib);
	else if (strcmp(key, "sf.rate") == 0)
		ret =
		    sf_cmdline_parse_u64(value, SF_CMDLINE_MAX_RATE, &c->rate);
	else if (strcmp(key, "sf.sweep") == 0)
		ret =
		    sf_cmdline_parse_u64(value, SF_CMDLINE_MAX_RATE, &c->sweep);
	else if (strcmp(key, "sf.disk") == 0)
		ret = sf_cmdline_parse_disk(c, value);
	else if (strcmp(key, "sf.diskrate") == 0) {
		ret = sf_cmdline_parse_u64(value, SF_CMDLINE_MAX_DRATE,
		                           &c->disk_rate);
		if (ret == 0 && c->disk_rate == 0)
			ret = -EINVAL;
	} else {
		if (c->unknown[0] == '\0')
			snprintf(c->unknown, sizeof(c->unknown), "%.31s", key);
		return 0;
	}
	if (ret < 0) {
		sf_err_set(err, "%s: bad value '%.64s'", key, value);
		return -EINVAL;
	}
	return 0;
}

int sf_cmdline_parse(struct sf_cmdline *cmdline, const char *text, size_t len,
                     struct sf_err *err)
{
	char token[SF_CMDLINE_TOKEN_MAX];
	size_t pos = 0;

	while (pos < len && text[pos] != '\0') {
		size_t tlen = 0;
		bool quoted = false, too_long = false;
		int ret;

		while (pos < len && sf_cmdline_is_space(text[pos]))
			pos++;
		while (pos < len && text[pos] != '\0' &&
		       (quoted || !sf_cmdline_is_space(text[pos]))) {
			if (text[pos] == '"')
				quoted = !quoted;
			else if (tlen + 1 < sizeof(token))
				token[tlen++] = text[pos];
			else
				too_long = true;
			pos++;
		}
		token[tlen] = '\0';
		if (strncmp(token, "sf.", 3) != 0)
			continue;
		if (too_long) {
			sf_err_set(err, "%.32s...: parameter longer than %d",
			           token, SF_CMDLINE_TOKEN_MAX - 1);
			return -EINVAL;
		}
		ret = sf_cmdline_apply(cmdline, token, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int sf_cmdline_read(struct sf_cmdline *cmdline, const char *path,
                    struct sf_err *err)
{
	char buf[SF_CMDLINE_MAX];
	size_t len = 0;
	int fd, ret = 0;

	sf_cmdline_init(cmdline);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		sf_err_set(err, "%s: %s", path, strerror(errno));
		return ret;
	}
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			sf_err_set(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(buf)) {
		sf_err_set(err, "%s: longer than %d bytes", path,
		           SF_CMDLINE_MAX - 1);
		ret = -EFBIG;
		goto out;
	}
	ret = sf_cmdline_parse(cmdline, buf, len, err);
out:
	close(fd);
	return ret;
}

void sf_cmdline_format_ip(uint32_t ip, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
	         (ip >> 8) & 0xff, ip & 0xff);
}
