/*
 * wanem_spec: parsers for the WAN emulator's settings and control requests.
 *
 * Numbers are decimal with an optional fraction ("1.5gbit", "0.1%") and are
 * converted with integer arithmetic, so "0.1%" is exactly 1000000 ppb.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wanem_spec.h"

struct wanem_unit {
	const char *name; /* "" for a bare number */
	uint64_t mult;    /* base units per unit */
};

/* How to read one kind of value. */
struct wanem_kind {
	const char *what;
	const struct wanem_unit *units;
	const char *expected;
	const char *zero_word; /* a word that means 0, or NULL */
	uint64_t min;          /* smallest allowed value other than 0 */
	uint64_t max;
	bool zero_ok;
};

static const struct wanem_unit rate_units[] = {
	{ "bit", 1 },           { "kbit", 1000 }, { "mbit", 1000000 },
	{ "gbit", 1000000000 }, { NULL, 0 },
};

static const struct wanem_unit delay_units[] = {
	{ "ns", 1 },         { "us", 1000 }, { "ms", 1000000 },
	{ "s", 1000000000 }, { NULL, 0 },
};

static const struct wanem_unit cut_units[] = {
	{ "", 1000000000 },
	{ "ms", 1000000 },
	{ "s", 1000000000 },
	{ NULL, 0 },
};

/* Percent, in parts per billion. */
static const struct wanem_unit loss_units[] = {
	{ "%", 10000000 },
	{ NULL, 0 },
};

static const struct wanem_unit limit_units[] = {
	{ "", 1 },       { "b", 1 },         { "kb", 1000 }, { "mb", 1000000 },
	{ "kib", 1024 }, { "mib", 1048576 }, { NULL, 0 },
};

static const struct wanem_kind kind_rate = {
	.what = "rate",
	.units = rate_units,
	.expected = "expected a number with unit bit|kbit|mbit|gbit, or "
	            "0|unlimited",
	.zero_word = "unlimited",
	.min = 1,
	.max = WANEM_RATE_MAX,
	.zero_ok = true,
};

static const struct wanem_kind kind_delay = {
	.what = "delay",
	.units = delay_units,
	.expected = "expected a number with unit ns|us|ms|s, at most 10s",
	.min = 1,
	.max = WANEM_DELAY_MAX,
	.zero_ok = true,
};

static const struct wanem_kind kind_loss = {
	.what = "loss",
	.units = loss_units,
	.expected = "expected a percentage from 0% to 100%, e.g. 0.1%",
	.min = 1,
	.max = WANEM_LOSS_ONE,
	.zero_ok = true,
};

static const struct wanem_kind kind_limit = {
	.what = "limit",
	.units = limit_units,
	.expected = "expected auto, or bytes (unit b|kb|mb|kib|mib) from "
	            "1514 to 64mib",
	.zero_word = "auto",
	.min = WANEM_LIMIT_MIN,
	.max = WANEM_LIMIT_MAX,
	.zero_ok = false,
};

static const struct wanem_kind kind_cut = {
	.what = "cut duration",
	.units = cut_units,
	.expected = "expected seconds from 0 to 3600, e.g. 3 or 1.5 or 500ms",
	.min = 1,
	.max = WANEM_CUT_MAX,
	.zero_ok = true,
};

struct wanem_profile {
	const char *name;
	struct wanem_link link;
};

/* RTTs are split half and half; loss is per direction. */
static const struct wanem_profile profiles[] = {
	{ "lan", { 0, 0, 0, 0 } },
	{ "metro", { 1000000000ull, 5000000ull, 0, 0 } },
	{ "wan", { 100000000ull, 25000000ull, 0, 0 } },
	{ "far", { 50000000ull, 75000000ull, 1000000u, 0 } },
};

#define NPROFILES ((int)(sizeof(profiles) / sizeof(profiles[0])))

static void err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Reads "digits[.digits]" from text. Stores the digits as one integer and
 * the count of fraction digits; *rest points past the number.
 */
static bool decimal_read(const char *text, const char **rest, uint64_t *mant,
                         unsigned int *frac_digits)
{
	const char *p = text;
	uint64_t value = 0;
	unsigned int digits = 0, frac = 0;
	bool in_frac = false;

	for (;; p++) {
		if (*p == '.' && !in_frac && digits > 0) {
			in_frac = true;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		if (++digits > 19)
			return false;
		value = value * 10 + (uint64_t)(*p - '0');
		if (in_frac)
			frac++;
	}
	if (digits == 0 || (in_frac && frac == 0))
		return false;
	*mant = value;
	*frac_digits = frac;
	*rest = p;
	return true;
}

static const struct wanem_unit *unit_find(const struct wanem_unit *units,
                                          const char *name)
{
	for (; units->name; units++)
		if (!strcasecmp(units->name, name))
			return units;
	return NULL;
}

/*
 * Reads one value of the given kind. context, if not NULL, is the whole
 * token ("rate=abc") and is named in the error.
 */
static int value_parse(const struct wanem_kind *kind, const char *text,
                       const char *context, uint64_t *out, char *err,
                       size_t errlen)
{
	const struct wanem_unit *unit;
	const char *rest;
	uint64_t mant;
	unsigned int frac, i;
	unsigned __int128 value, scale = 1;

	if (kind->zero_word && !strcasecmp(text, kind->zero_word)) {
		*out = 0;
		return 0;
	}
	if (!decimal_read(text, &rest, &mant, &frac))
		goto bad;
	if (mant == 0 && *rest == '\0' && kind->zero_ok) {
		*out = 0;
		return 0;
	}
	unit = unit_find(kind->units, rest);
	if (!unit)
		goto bad;
	for (i = 0; i < frac; i++)
		scale *= 10;
	value = (unsigned __int128)mant * unit->mult / scale;
	if (value == 0 && mant == 0 && kind->zero_ok) {
		*out = 0;
		return 0;
	}
	if (value < kind->min || value > kind->max)
		goto bad;
	*out = (uint64_t)value;
	return 0;
bad:
	err_set(err, errlen, "bad %s '%.64s'%s%.64s%s: %s", kind->what, text,
	        context ? " in '" : "", context ? context : "",
	        context ? "'" : "", kind->expected);
	return -EINVAL;
}

int wanem_rate_parse(const char *text, uint64_t *bps, char *err, size_t errlen)
{
	return value_parse(&kind_rate, text, NULL, bps, err, errlen);
}

int wanem_delay_parse(const char *text, uint64_t *ns, char *err, size_t errlen)
{
	return value_parse(&kind_delay, text, NULL, ns, err, errlen);
}

int wanem_loss_parse(const char *text, uint32_t *ppb, char *err, size_t errlen)
{
	uint64_t value;
	int ret;

	ret = value_parse(&kind_loss, text, NULL, &value, err, errlen);
	if (ret == 0)
		*ppb = (uint32_t)value;
	return ret;
}

int wanem_limit_parse(const char *text, uint64_t *bytes, char *err,
                      size_t errlen)
{
	return value_parse(&kind_limit, text, NULL, bytes, err, errlen);
}

int wanem_cut_parse(const char *text, uint64_t *ns, char *err, size_t errlen)
{
	return value_parse(&kind_cut, text, NULL, ns, err, errlen);
}

int wanem_profile_find(const char *name, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < NPROFILES; i++)
		if (!strcmp(profiles[i].name, name))
			return i;
	err_set(err, errlen,
	        "unknown profile '%.64s': expected lan, metro, "
	        "wan or far",
	        name);
	return -EINVAL;
}

const char *wanem_profile_name(int index)
{
	if (index < 0 || index >= NPROFILES)
		return "custom";
	return profiles[index].name;
}

void wanem_profile_link(int index, struct wanem_link *link)
{
	if (index < 0 || index >= NPROFILES)
		index = 0;
	*link = profiles[index].link;
}

int wanem_profile_count(void)
{
	return NPROFILES;
}

/* Handles one "key=value" of a set request. */
static int set_token_parse(char *token, struct wanem_req *req, bool *dir_seen,
                           char *err, size_t errlen)
{
	static const struct {
		const char *key;
		unsigned int field;
	} keys[] = {
		{ "rate", WANEM_SET_RATE },
		{ "delay", WANEM_SET_DELAY },
		{ "loss", WANEM_SET_LOSS },
		{ "limit", WANEM_SET_LIMIT },
	};
	const char *value;
	char *eq = strchr(token, '=');
	uint64_t v = 0;
	size_t keylen;
	unsigned int field = 0, i;
	int ret;

	if (!eq || eq == token) {
		err_set(err, errlen,
		        "bad setting '%.64s': expected key=value "
		        "with key dir, rate, delay, loss or limit",
		        token);
		return -EINVAL;
	}
	keylen = (size_t)(eq - token);
	value = eq + 1;
	if (keylen == 3 && !strncmp(token, "dir", 3)) {
		if (*dir_seen) {
			err_set(err, errlen, "duplicate 'dir' in '%.64s'",
			        token);
			return -EINVAL;
		}
		*dir_seen = true;
		if (!strcmp(value, "ew"))
			req->dirs = WANEM_DIRMASK_EW;
		else if (!strcmp(value, "we"))
			req->dirs = WANEM_DIRMASK_WE;
		else if (!strcmp(value, "both"))
			req->dirs = WANEM_DIRMASK_BOTH;
		else {
			err_set(err, errlen,
			        "bad direction '%.64s' in "
			        "'%.64s': expected ew, we or both",
			        value, token);
			return -EINVAL;
		}
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == keylen &&
		    !strncmp(token, keys[i].key, keylen))
			field = keys[i].field;
	if (!field) {
		err_set(err, errlen,
		        "unknown setting '%.*s' in '%.64s': "
		        "expected dir, rate, delay, loss or limit",
		        (int)(keylen > 32 ? 32 : keylen), token, token);
		return -EINVAL;
	}
	if (req->fields & field) {
		err_set(err, errlen, "duplicate '%.*s' in '%.64s'", (int)keylen,
		        token, token);
		return -EINVAL;
	}
	switch (field) {
	case WANEM_SET_RATE:
		ret = value_parse(&kind_rate, value, token, &v, err, errlen);
		req->link.rate_bps = v;
		break;
	case WANEM_SET_DELAY:
		ret = value_parse(&kind_delay, value, token, &v, err, errlen);
		req->link.delay_ns = v;
		break;
	case WANEM_SET_LOSS:
		ret = value_parse(&kind_loss, value, token, &v, err, errlen);
		req->link.loss_ppb = (uint32_t)v;
		break;
	default:
		ret = value_parse(&kind_limit, value, token, &v, err, errlen);
		req->link.limit_bytes = v;
		break;
	}
	if (ret == 0)
		req->fields |= field;
	return ret;
}

int wanem_set_parse(int argc, char *const argv[], struct wanem_req *req,
                    char *err, size_t errlen)
{
	struct wanem_req parsed;
	bool dir_seen = false;
	int i, ret;

	memset(&parsed, 0, sizeof(parsed));
	parsed.cmd = WANEM_CMD_SET;
	parsed.dirs = WANEM_DIRMASK_BOTH;
	for (i = 0; i < argc; i++) {
		ret = set_token_parse(argv[i], &parsed, &dir_seen, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (!parsed.fields) {
		err_set(err, errlen,
		        "set: nothing to set: give rate=, delay=, "
		        "loss= or limit=");
		return -EINVAL;
	}
	*req = parsed;
	return 0;
}

/* Splits buf in place at spaces, tabs and newlines. */
static int tokens_split(char *buf, char *tokens[], int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (n == max)
			return -1;
		tokens[n++] = tok;
	}
	return n;
}

static int args_expect(const char *cmd, int got, int want, const char *usage,
                       char *err, size_t errlen)
{
	if (got == want)
		return 0;
	err_set(err, errlen, "%s: expected %s", cmd, usage);
	return -EINVAL;
}

int wanem_req_parse(const char *msg, size_t len, struct wanem_req *req,
                    char *err, size_t errlen)
{
	char buf[WANEM_REQ_MAX + 1];
	char *tokens[WANEM_TOKENS_MAX];
	struct wanem_req parsed;
	const char *cmd;
	size_t i;
	int n, ret;

	if (len > WANEM_REQ_MAX) {
		err_set(err, errlen,
		        "request of %zu bytes is over the limit "
		        "of %d",
		        len, WANEM_REQ_MAX);
		return -EMSGSIZE;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];

		if ((c < 0x20 || c > 0x7e) && c != '\t' && c != '\n') {
			err_set(err, errlen,
			        "request has a control or non-ASCII "
			        "byte 0x%02x at offset %zu",
			        c, i);
			return -EINVAL;
		}
	}
	memcpy(buf, msg, len);
	buf[len] = '\0';
	n = tokens_split(buf, tokens, WANEM_TOKENS_MAX);
	if (n < 0) {
		err_set(err, errlen, "request has more than %d words",
		        WANEM_TOKENS_MAX);
		return -EINVAL;
	}
	if (n < 2 || strcmp(tokens[0], WANEM_PROTO)) {
		err_set(err, errlen, "bad request: expected '%s <command>'",
		        WANEM_PROTO);
		return -EINVAL;
	}
	memset(&parsed, 0, sizeof(parsed));
	cmd = tokens[1];
	if (!strcmp(cmd, "set")) {
		ret = wanem_set_parse(n - 2, tokens + 2, &parsed, err, errlen);
	} else if (!strcmp(cmd, "profile")) {
		parsed.cmd = WANEM_CMD_PROFILE;
		ret =
		    args_expect(cmd, n - 2, 1, "one profile name", err, errlen);
		if (ret == 0) {
			ret = wanem_profile_find(tokens[2], err, errlen);
			parsed.profile = ret;
		}
	} else if (!strcmp(cmd, "cut")) {
		parsed.cmd = WANEM_CMD_CUT;
		ret = args_expect(cmd, n - 2, 1, "one duration in seconds", err,
		                  errlen);
		if (ret == 0)
			ret = value_parse(&kind_cut, tokens[2], NULL,
			                  &parsed.cut_ns, err, errlen);
	} else if (!strcmp(cmd, "show")) {
		parsed.cmd = WANEM_CMD_SHOW;
		ret = args_expect(cmd, n - 2, 0, "no arguments", err, errlen);
	} else {
		err_set(err, errlen,
		        "unknown command '%.64s': expected set, "
		        "profile, cut or show",
		        cmd);
		ret = -EINVAL;
	}
	if (ret < 0)
		return ret;
	*req = parsed;
	return 0;
}
