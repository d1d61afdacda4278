/*
 * config.c: read "key = value" settings for the receiver from a file.
 */
#include "receiver/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every value is shorter than its line, so the file's values always fit. */
_Static_assert(RCV_CONFIG_MAX <= RCV_OPTS_STRINGS_MAX,
               "struct rcv_opts cannot hold a whole config file's values");

/* The longest key quoted back in a message. */
#define CFG_KEY_QUOTE_MAX 40

struct cfg_parser {
	struct rcv_opts *o;
	const char *name;                   /* the file, for messages */
	unsigned lineno;                    /* 1-based */
	unsigned first_line[RCV_OPT_COUNT]; /* where each key was set */
	char *err;
	size_t errlen;
};

static int cfg_fail(struct cfg_parser *p, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report "name:line:col: message" and return -EINVAL. */
static int cfg_fail(struct cfg_parser *p, size_t col, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(p->err, p->errlen, "%s:%u:%zu: %s", p->name, p->lineno,
		         col, msg);
	}
	return -EINVAL;
}

static bool cfg_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t cfg_skip_blanks(const char *line, size_t len, size_t i)
{
	while (i < len && cfg_is_blank(line[i]))
		i++;
	return i;
}

/* The setting a key names, or -1. The file cannot name another file. */
static int cfg_lookup(const char *key, size_t len)
{
	const char *name;
	int opt;

	for (opt = 0; opt < RCV_OPT_COUNT; opt++) {
		name = rcv_opt_name(opt);
		if (opt != RCV_OPT_CONFIG && strlen(name) == len &&
		    memcmp(name, key, len) == 0)
			return opt;
	}
	return -1;
}

/* Reject bytes that have no place in a text file. */
static int cfg_check_text(struct cfg_parser *p, const char *line, size_t len)
{
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)line[i];
		if (c == '\0')
			return cfg_fail(p, i + 1,
			                "NUL byte; the file must be text");
		if (c == '\r')
			return cfg_fail(p, i + 1,
			                "carriage return; convert DOS line "
			                "endings with dos2unix");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return cfg_fail(p, i + 1,
			                "control character 0x%02x; the file "
			                "must be text",
			                c);
	}
	return 0;
}

/* Set opt from value (in o->strings); col is where the value starts. */
static int cfg_apply(struct cfg_parser *p, enum rcv_opt opt, const char *value,
                     size_t col)
{
	char msg[200];

	if (rcv_opts_set(p->o, opt, value, msg, sizeof(msg)) < 0)
		return cfg_fail(p, col, "%s: %s", rcv_opt_name(opt), msg);
	return 0;
}

/* Settings that take a list: repeatable keys, "a, b, c" values. */
static bool cfg_is_list(int opt)
{
	return opt == RCV_OPT_ALLOW || opt == RCV_OPT_MEDIA_DIR ||
	       opt == RCV_OPT_BRIDGE;
}

/* Add each item of "a, b, c" (in o->strings, split in place) to opt. */
static int cfg_apply_list(struct cfg_parser *p, enum rcv_opt opt, char *list,
                          size_t col)
{
	char *item = list, *comma, *end;
	size_t lead;
	int rc;

	for (;;) {
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		end = item + strlen(item);
		while (end > item && cfg_is_blank(end[-1]))
			*--end = '\0';
		lead = cfg_skip_blanks(item, (size_t)(end - item), 0);
		rc = cfg_apply(p, opt, item + lead,
		               col + (size_t)(item + lead - list));
		if (rc < 0 || !comma)
			return rc;
		item = comma + 1;
	}
}

/*
 * Copy the quoted value that opens at line[start] into dst, without the
 * quotes and with \" and \\ resolved. dst has room for len - start bytes.
 */
static int cfg_unquote(struct cfg_parser *p, const char *line, size_t len,
                       size_t start, char *dst)
{
	size_t i, n = 0;

	for (i = start + 1; i < len; i++) {
		if (line[i] == '"')
			break;
		if (line[i] == '\\') {
			if (i + 1 == len ||
			    (line[i + 1] != '"' && line[i + 1] != '\\'))
				return cfg_fail(p, i + 1,
				                "bad escape in a quoted value; "
				                "only \\\" and \\\\ are "
				                "allowed");
			i++;
		}
		dst[n++] = line[i];
	}
	if (i == len)
		return cfg_fail(
		    p, start + 1,
		    "unterminated quoted value; close it with '\"'");
	if (cfg_skip_blanks(line, len, i + 1) != len)
		return cfg_fail(p, cfg_skip_blanks(line, len, i + 1) + 1,
		                "unexpected text after the closing quote");
	dst[n] = '\0';
	return 0;
}

/* Parse the value of opt that starts at line[start] and apply it. */
static int cfg_value(struct cfg_parser *p, enum rcv_opt opt, const char *line,
                     size_t len, size_t start)
{
	struct rcv_opts *o = p->o;
	char *value = o->strings + o->strings_used;
	size_t end = len;
	int rc;

	if (start == len)
		return cfg_fail(p, start + 1, "'%s' needs a value",
		                rcv_opt_name(opt));
	if (len - start >= sizeof(o->strings) - o->strings_used)
		return cfg_fail(p, start + 1, "too many settings");
	if (line[start] == '"') {
		rc = cfg_unquote(p, line, len, start, value);
		if (rc < 0)
			return rc;
	} else {
		while (cfg_is_blank(line[end - 1]))
			end--;
		memcpy(value, line + start, end - start);
		value[end - start] = '\0';
	}
	o->strings_used += strlen(value) + 1;
	if (cfg_is_list(opt) && line[start] != '"')
		return cfg_apply_list(p, opt, value, start + 1);
	return cfg_apply(p, opt, value, start + 1);
}

/* One line, without its newline: blank, a comment, or key = value. */
static int cfg_line(struct cfg_parser *p, const char *line, size_t len)
{
	size_t i = cfg_skip_blanks(line, len, 0);
	size_t key = i;
	int opt;

	if (i == len || line[i] == '#')
		return 0;
	while (i < len && line[i] != '=' && !cfg_is_blank(line[i]))
		i++;
	if (i == key)
		return cfg_fail(p, key + 1,
		                "expected a key before '='; lines are "
		                "'key = value'");
	opt = cfg_lookup(line + key, i - key);
	if (opt < 0)
		return cfg_fail(p, key + 1,
		                "unknown key '%.*s'; keys are the receiver's "
		                "long option names, e.g. storage-dir",
		                (int)(i - key < CFG_KEY_QUOTE_MAX
		                          ? i - key
		                          : CFG_KEY_QUOTE_MAX),
		                line + key);
	i = cfg_skip_blanks(line, len, i);
	if (i == len || line[i] != '=')
		return cfg_fail(p, i + 1,
		                "expected '=' after '%s'; lines are "
		                "'key = value'",
		                rcv_opt_name(opt));
	if (!cfg_is_list(opt) && p->first_line[opt])
		return cfg_fail(p, key + 1,
		                "duplicate key '%s' (first set on line %u); "
		                "keep one",
		                rcv_opt_name(opt), p->first_line[opt]);
	p->first_line[opt] = p->lineno;
	return cfg_value(p, opt, line, len, cfg_skip_blanks(line, len, i + 1));
}

int rcv_config_parse(struct rcv_opts *o, const char *name, const char *text,
                     size_t len, char *err, size_t errlen)
{
	struct cfg_parser p = {
		.o = o,
		.name = name ? name : "config",
		.err = err,
		.errlen = errlen,
	};
	const char *line, *newline;
	size_t pos = 0, line_len;
	int rc;

	if (len > RCV_CONFIG_MAX)
		return cfg_fail(&p, 1, "larger than %d bytes", RCV_CONFIG_MAX);
	while (pos < len) {
		line = text + pos;
		newline = memchr(line, '\n', len - pos);
		line_len = newline ? (size_t)(newline - line) : len - pos;
		pos += line_len + (newline ? 1 : 0);
		p.lineno++;
		rc = cfg_check_text(&p, line, line_len);
		if (rc == 0)
			rc = cfg_line(&p, line, line_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int cfg_errno(char *err, size_t errlen, int code, const char *what,
                     const char *path)
{
	if (err && errlen)
		snprintf(err, errlen, "config file %s: %s: %s", path, what,
		         strerror(-code));
	return code;
}

int rcv_config_load(struct rcv_opts *o, const char *path, char *err,
                    size_t errlen)
{
	char *buf = NULL;
	struct stat st;
	FILE *file = NULL;
	size_t len;
	int fd = -1;
	int rc;

	/* O_NONBLOCK: a FIFO must fail the regular-file check, not hang. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = cfg_errno(err, errlen, -errno, "cannot open", path);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = cfg_errno(err, errlen, -errno, "cannot stat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc =
		    cfg_errno(err, errlen, -EINVAL, "not a regular file", path);
		goto out;
	}
	buf = malloc(RCV_CONFIG_MAX + 1);
	file = buf ? fdopen(fd, "r") : NULL;
	if (!file) {
		rc = cfg_errno(err, errlen, -errno, "cannot read", path);
		goto out;
	}
	fd = -1; /* file owns it now */
	len = fread(buf, 1, RCV_CONFIG_MAX + 1, file);
	if (ferror(file)) {
		rc = cfg_errno(err, errlen, -EIO, "cannot read", path);
		goto out;
	}
	if (len > RCV_CONFIG_MAX) {
		rc = -EFBIG;
		if (err && errlen)
			snprintf(err, errlen,
			         "config file %s is larger than %d bytes; "
			         "is it the right file?",
			         path, RCV_CONFIG_MAX);
		goto out;
	}
	rc = rcv_config_parse(o, path, buf, len, err, errlen);
out:
	if (file)
		fclose(file);
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}
