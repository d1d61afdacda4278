/*
 * xlcfg.c: read and write Xen xl.cfg files.
 *
 * Reading takes two steps. A tokenizer with line and column tracking and a
 * recursive value parser turn the text into settings, checking only the
 * syntax (libxlu's grammar); then the settings that map onto struct
 * hv_vmdef are read, a repeated key's last value winning as in libxlu, and
 * every other key is named in a note. Decoded strings live in one scratch
 * buffer sized from the input, so a hostile file costs at most a few times
 * its (capped) size.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/domxml.h"
#include "hypervisor/xlcfg.h"
#include "hypervisor/xlcfg_priv.h"

#define XL_KEY_MAX        64   /* bytes of a key */
#define XL_SETTINGS_MAX   1024 /* settings in a file */
#define XL_ITEMS_MAX      256  /* values in one list */
#define XL_DEPTH_MAX      8    /* lists in lists */
#define XL_MEMORY_MAX_MIB (64ull << 20)
#define XL_VCPUS_MAX      4096
#define XL_SHOWN          64 /* bytes of an untrusted string in a message */
#define XL_DEFAULT_BRIDGE "xenbr0"
#define XL_LEN(a)         (sizeof(a) / sizeof((a)[0]))

void *(*hv_xlcfg_realloc)(void *ptr, size_t size) = realloc;

enum xl_type {
	XL_STRING,
	XL_NUMBER,
	XL_LIST,
};

struct xl_value {
	enum xl_type type;
	unsigned int line, col;
	char *text;             /* string: decoded; number: as written */
	struct xl_value *items; /* list */
	size_t n_items, cap_items;
};

struct xl_setting {
	const char *key;
	unsigned int line, col;
	struct xl_value value;
};

enum xl_tok {
	T_EOF,
	T_NEWLINE,
	T_SEMI,
	T_EQUALS,
	T_LBRACKET,
	T_RBRACKET,
	T_COMMA,
	T_IDENT,
	T_NUMBER,
	T_STRING,
};

struct xl_token {
	enum xl_tok kind;
	unsigned int line, col;
	char *text; /* ident, number, string: in the scratch buffer */
};

struct xl_parser {
	const char *origin;
	const char *src;
	size_t len, pos;
	unsigned int line, col; /* of src[pos] */
	char *scratch;          /* decoded text, NUL-separated */
	size_t scratch_used, scratch_size;
	struct xl_token tok; /* the current token */
	struct xl_setting *settings;
	size_t n_settings, cap_settings;
	struct hv_error *err;
};

/* ----- messages ----- */

static int xl_fail_at(const struct xl_parser *p, unsigned int line,
                      unsigned int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "ORIGIN:LINE:COL: what" into p->err; returns -EINVAL. */
static int xl_fail_at(const struct xl_parser *p, unsigned int line,
                      unsigned int col, const char *fmt, ...)
{
	char what[HV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return hv_error_set(p->err, -EINVAL, "%s:%u:%u: %s", p->origin, line,
	                    col, what);
}

static int xl_fail_item(const struct xl_parser *p, const struct xl_value *v,
                        const char *what, size_t index, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* xl_fail_at at v, the message led by "WHAT INDEX: ". */
static int xl_fail_item(const struct xl_parser *p, const struct xl_value *v,
                        const char *what, size_t index, const char *fmt, ...)
{
	char msg[HV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return xl_fail_at(p, v->line, v->col, "%s %zu: %s", what, index, msg);
}

static int xl_nomem(const struct xl_parser *p)
{
	return hv_error_set(p->err, -ENOMEM, "%s: out of memory", p->origin);
}

/* A byte for a message: 'c' when printable, else its hex value. */
static const char *xl_byte_shown(int c, char *buf, size_t size)
{
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", (unsigned int)c & 0xff);
	return buf;
}

static const char *xl_quote(const char *s, char *buf)
{
	return hv_error_quote(s, buf, XL_SHOWN);
}

/* ----- small helpers ----- */

static int xl_hex_digit(int c)
{
	static const char digits[] = "0123456789abcdef";
	const char *hit = c > 0 ? strchr(digits, tolower(c)) : NULL;

	return hit ? (int)(hit - digits) : -1;
}

static bool xl_is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static bool xl_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* s is one of names (NULL-terminated). */
static bool xl_in(const char *const *names, const char *s)
{
	for (; *names; names++)
		if (!strcmp(*names, s))
			return true;
	return false;
}

/*
 * A number as xl reads it (strtol, base 0): decimal, 0x hex or 0 octal.
 * -EINVAL for anything else, -ERANGE past UINT64_MAX.
 */
static int xl_number_parse(const char *s, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t value = 0;
	int digit;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		digit = xl_hex_digit((unsigned char)*s);
		if (digit < 0 || (unsigned int)digit >= base)
			return -EINVAL;
		if (value > (UINT64_MAX - (unsigned int)digit) / base)
			return -ERANGE;
		value = value * base + (unsigned int)digit;
	}
	*out = value;
	return 0;
}

/*
 * Copy in into out (strlen(pattern) + 1 bytes) if it follows pattern,
 * where 'x' stands for a hex digit of either case and any other byte for
 * itself; the hex digits are lowered. -EINVAL otherwise.
 */
static int xl_hex_pattern(const char *in, const char *pattern, char *out)
{
	size_t i, n = strlen(pattern);

	if (strlen(in) != n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (pattern[i] != 'x') {
			if (in[i] != pattern[i])
				return -EINVAL;
			out[i] = in[i];
		} else if (xl_hex_digit((unsigned char)in[i]) < 0) {
			return -EINVAL;
		} else {
			out[i] = (char)tolower((unsigned char)in[i]);
		}
	}
	out[n] = '\0';
	return 0;
}

/* Make room for element n of an array of cap elements; NULL: no memory. */
static void *xl_grow(void *array, size_t n, size_t *cap, size_t size)
{
	size_t want;
	void *bigger;

	if (n < *cap)
		return array;
	want = *cap ? *cap * 2 : 4;
	bigger = hv_xlcfg_realloc(array, want * size);
	if (bigger)
		*cap = want;
	return bigger;
}

/* ----- tokenizer ----- */

static int xl_peek(const struct xl_parser *p, size_t ahead)
{
	return p->pos + ahead < p->len ? (unsigned char)p->src[p->pos + ahead]
	                               : -1;
}

static void xl_advance(struct xl_parser *p)
{
	if (p->src[p->pos] == '\n') {
		p->line++;
		p->col = 1;
	} else {
		p->col++;
	}
	p->pos++;
}

/* The scratch buffer holds at most len + 1 bytes of decoded text. */
static void xl_scratch_put(struct xl_parser *p, char c)
{
	if (p->scratch_used >= p->scratch_size)
		abort(); /* the size bound above is broken */
	p->scratch[p->scratch_used++] = c;
}

/*
 * The escape at p->pos (a backslash) into *out: libxlu's C escapes, with
 * \xHH and \ooo read properly. A NUL cannot be held by a C string.
 */
static int xl_lex_escape(struct xl_parser *p, const struct xl_token *start,
                         char *out)
{
	static const char simple[] = "\"\"''\\\\a\ab\bf\fn\nr\rt\tv\v";
	unsigned int line = p->line, col = p->col, value = 0, n;
	int c = xl_peek(p, 1), digit;
	char shown[16];
	const char *hit;

	if (c < 0 || c == '\n')
		return xl_fail_at(p, start->line, start->col,
		                  "unterminated string");
	xl_advance(p);
	xl_advance(p);
	for (hit = simple; *hit; hit += 2) {
		if (*hit == c) {
			*out = hit[1];
			return 0;
		}
	}
	if (c == 'x') {
		for (n = 0; n < 2; n++) {
			digit = xl_hex_digit(xl_peek(p, 0));
			if (digit < 0)
				return xl_fail_at(p, line, col,
				                  "\\x needs two hex digits");
			value = value * 16 + (unsigned int)digit;
			xl_advance(p);
		}
	} else if (c >= '0' && c <= '7') {
		value = (unsigned int)(c - '0');
		for (n = 1; n < 3 && (c = xl_peek(p, 0)) >= '0' && c <= '7';
		     n++) {
			value = value * 8 + (unsigned int)(c - '0');
			xl_advance(p);
		}
		if (value > 0xff)
			return xl_fail_at(p, line, col,
			                  "octal escape above \\377");
	} else {
		return xl_fail_at(p, line, col, "unknown escape: \\ before %s",
		                  xl_byte_shown(c, shown, sizeof(shown)));
	}
	if (value == 0)
		return xl_fail_at(p, line, col, "a string cannot hold \\0");
	*out = (char)value;
	return 0;
}

/* A quoted string; a new line before the closing quote ends it badly. */
static int xl_lex_string(struct xl_parser *p)
{
	int quote = xl_peek(p, 0), c, rc;
	char decoded = 0;

	p->tok.kind = T_STRING;
	p->tok.text = p->scratch + p->scratch_used;
	xl_advance(p);
	while ((c = xl_peek(p, 0)) != quote) {
		if (c < 0 || c == '\n')
			return xl_fail_at(p, p->tok.line, p->tok.col,
			                  "unterminated string");
		if (c == '\\') {
			rc = xl_lex_escape(p, &p->tok, &decoded);
			if (rc < 0)
				return rc;
			xl_scratch_put(p, decoded);
		} else {
			xl_scratch_put(p, (char)c);
			xl_advance(p);
		}
	}
	xl_advance(p);
	xl_scratch_put(p, '\0');
	return 0;
}

/* An identifier or a number: a run of word bytes (and '.', for numbers). */
static int xl_lex_word(struct xl_parser *p, enum xl_tok kind)
{
	char shown[XL_SHOWN];
	uint64_t ignored;
	int c;

	p->tok.kind = kind;
	p->tok.text = p->scratch + p->scratch_used;
	while ((c = xl_peek(p, 0)) >= 0 &&
	       (xl_is_word(c) || (kind == T_NUMBER && c == '.'))) {
		xl_scratch_put(p, (char)c);
		xl_advance(p);
	}
	xl_scratch_put(p, '\0');
	if (kind == T_IDENT && strlen(p->tok.text) > XL_KEY_MAX)
		return xl_fail_at(p, p->tok.line, p->tok.col,
		                  "key longer than %d bytes", XL_KEY_MAX);
	/* The range is checked where the number is used. */
	if (kind == T_NUMBER &&
	    xl_number_parse(p->tok.text, &ignored) == -EINVAL)
		return xl_fail_at(p, p->tok.line, p->tok.col, "bad number '%s'",
		                  xl_quote(p->tok.text, shown));
	return 0;
}

/* The next token into p->tok, past blanks and comments. */
static int xl_lex_next(struct xl_parser *p)
{
	static const char singles[] = "\n;=[],";
	static const enum xl_tok single_kinds[] = {
		T_NEWLINE, T_SEMI, T_EQUALS, T_LBRACKET, T_RBRACKET, T_COMMA,
	};
	char shown[16];
	const char *single;
	int c;

	for (;;) {
		c = xl_peek(p, 0);
		if (c == ' ' || c == '\t' || c == '\r') {
			xl_advance(p);
		} else if (c == '#') {
			while ((c = xl_peek(p, 0)) >= 0 && c != '\n')
				xl_advance(p);
		} else {
			break;
		}
	}
	p->tok.line = p->line;
	p->tok.col = p->col;
	p->tok.text = NULL;
	if (c < 0) {
		p->tok.kind = T_EOF;
		return 0;
	}
	single = c ? strchr(singles, c) : NULL;
	if (single) {
		p->tok.kind = single_kinds[single - singles];
		xl_advance(p);
		return 0;
	}
	if (c == '"' || c == '\'')
		return xl_lex_string(p);
	if (c >= '0' && c <= '9')
		return xl_lex_word(p, T_NUMBER);
	if (xl_is_word(c))
		return xl_lex_word(p, T_IDENT);
	if (c == '+' && xl_peek(p, 1) == '=')
		return xl_fail_at(p, p->line, p->col,
		                  "'+=' is not supported: set the whole value");
	return xl_fail_at(p, p->line, p->col, "unexpected %s",
	                  xl_byte_shown(c, shown, sizeof(shown)));
}

static int xl_lex_skip_newlines(struct xl_parser *p)
{
	int rc = xl_lex_next(p);

	while (rc == 0 && p->tok.kind == T_NEWLINE)
		rc = xl_lex_next(p);
	return rc;
}

static const char *xl_tok_shown(const struct xl_token *t, char *buf,
                                size_t size)
{
	static const char *const names[] = {
		[T_EOF] = "the end of the file",
		[T_NEWLINE] = "the end of the line",
		[T_SEMI] = "';'",
		[T_EQUALS] = "'='",
		[T_LBRACKET] = "'['",
		[T_RBRACKET] = "']'",
		[T_COMMA] = "','",
		[T_NUMBER] = "a number",
		[T_STRING] = "a string",
	};

	if (t->kind != T_IDENT)
		return names[t->kind];
	snprintf(buf, size, "'%s'", t->text); /* word bytes only */
	return buf;
}

/* ----- parser ----- */

static void xl_value_free(struct xl_value *v)
{
	size_t i;

	for (i = 0; i < v->n_items; i++)
		xl_value_free(&v->items[i]);
	free(v->items);
}

static int xl_parse_value(struct xl_parser *p, struct xl_value *v,
                          const char *key, unsigned int depth);

/* '[' value, ... ']': may span lines and end with a comma. */
static int xl_parse_list(struct xl_parser *p, struct xl_value *v,
                         const char *key, unsigned int depth)
{
	char shown[XL_KEY_MAX + 8];
	struct xl_value *items;
	int rc;

	v->type = XL_LIST;
	if (depth >= XL_DEPTH_MAX)
		return xl_fail_at(p, v->line, v->col,
		                  "lists nested more than %d deep",
		                  XL_DEPTH_MAX);
	rc = xl_lex_skip_newlines(p);
	while (rc == 0 && p->tok.kind != T_RBRACKET) {
		if (p->tok.kind == T_EOF)
			return xl_fail_at(p, v->line, v->col,
			                  "unterminated list");
		if (v->n_items >= XL_ITEMS_MAX)
			return xl_fail_at(p, p->tok.line, p->tok.col,
			                  "more than %d values in a list",
			                  XL_ITEMS_MAX);
		items = xl_grow(v->items, v->n_items, &v->cap_items,
		                sizeof(*items));
		if (!items)
			return xl_nomem(p);
		v->items = items;
		memset(&items[v->n_items], 0, sizeof(*items));
		rc = xl_parse_value(p, &items[v->n_items++], key, depth + 1);
		while (rc == 0 && p->tok.kind == T_NEWLINE)
			rc = xl_lex_next(p);
		if (rc < 0)
			return rc;
		if (p->tok.kind == T_COMMA)
			rc = xl_lex_skip_newlines(p);
		else if (p->tok.kind == T_EOF)
			return xl_fail_at(p, v->line, v->col,
			                  "unterminated list");
		else if (p->tok.kind != T_RBRACKET)
			return xl_fail_at(
			    p, p->tok.line, p->tok.col,
			    "expected ',' or ']' in the list of '%s', found %s",
			    key, xl_tok_shown(&p->tok, shown, sizeof(shown)));
	}
	return rc < 0 ? rc : xl_lex_next(p);
}

static int xl_parse_value(struct xl_parser *p, struct xl_value *v,
                          const char *key, unsigned int depth)
{
	char shown[XL_KEY_MAX + 8];

	v->line = p->tok.line;
	v->col = p->tok.col;
	switch (p->tok.kind) {
	case T_STRING:
	case T_NUMBER:
		v->type = p->tok.kind == T_STRING ? XL_STRING : XL_NUMBER;
		v->text = p->tok.text;
		return xl_lex_next(p);
	case T_LBRACKET:
		return xl_parse_list(p, v, key, depth);
	default:
		return xl_fail_at(
		    p, v->line, v->col, "expected a value for '%s', found %s%s",
		    key, xl_tok_shown(&p->tok, shown, sizeof(shown)),
		    p->tok.kind == T_IDENT ? " (strings need quotes)" : "");
	}
}

/* KEY '=' VALUE, ended by a new line, ';' or the end of the file. */
static int xl_parse_setting(struct xl_parser *p)
{
	char shown[XL_KEY_MAX + 8];
	struct xl_setting *settings, *s;
	struct xl_token key = p->tok;
	int rc;

	rc = xl_lex_next(p);
	if (rc == 0 && p->tok.kind != T_EQUALS)
		rc = xl_fail_at(p, p->tok.line, p->tok.col,
		                "expected '=' after '%s'", key.text);
	if (rc == 0 && p->n_settings >= XL_SETTINGS_MAX)
		rc = xl_fail_at(p, key.line, key.col, "more than %d settings",
		                XL_SETTINGS_MAX);
	if (rc < 0)
		return rc;
	settings = xl_grow(p->settings, p->n_settings, &p->cap_settings,
	                   sizeof(*settings));
	if (!settings)
		return xl_nomem(p);
	p->settings = settings;
	s = &settings[p->n_settings++];
	memset(s, 0, sizeof(*s));
	s->key = key.text;
	s->line = key.line;
	s->col = key.col;
	rc = xl_lex_next(p);
	if (rc == 0)
		rc = xl_parse_value(p, &s->value, s->key, 0);
	if (rc == 0 && p->tok.kind != T_NEWLINE && p->tok.kind != T_SEMI &&
	    p->tok.kind != T_EOF)
		rc = xl_fail_at(p, p->tok.line, p->tok.col,
		                "expected the end of the line after the value "
		                "of '%s', found %s",
		                s->key,
		                xl_tok_shown(&p->tok, shown, sizeof(shown)));
	return rc;
}

static int xl_parse_file(struct xl_parser *p)
{
	char shown[XL_KEY_MAX + 8];
	int rc = xl_lex_next(p);

	while (rc == 0 && p->tok.kind != T_EOF) {
		if (p->tok.kind == T_NEWLINE || p->tok.kind == T_SEMI)
			rc = xl_lex_next(p);
		else if (p->tok.kind == T_IDENT)
			rc = xl_parse_setting(p);
		else
			rc = xl_fail_at(
			    p, p->tok.line, p->tok.col,
			    "expected a key, found %s",
			    xl_tok_shown(&p->tok, shown, sizeof(shown)));
	}
	return rc;
}

/* ----- settings ----- */

/* The setting of key that counts: the last one, as in libxlu. */
static const struct xl_setting *xl_find(const struct xl_parser *p,
                                        const char *key)
{
	size_t i;

	for (i = p->n_settings; i-- > 0;)
		if (!strcmp(p->settings[i].key, key))
			return &p->settings[i];
	return NULL;
}

static bool xl_seen_before(const struct xl_parser *p, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!strcmp(p->settings[j].key, p->settings[i].key))
			return true;
	return false;
}

/* The text of a string setting: no control bytes, at most max bytes. */
static int xl_get_string(const struct xl_parser *p, const struct xl_setting *s,
                         size_t max, const char **out)
{
	const struct xl_value *v = &s->value;

	if (v->type != XL_STRING)
		return xl_fail_at(p, v->line, v->col, "%s must be a string",
		                  s->key);
	if (xl_has_control(v->text))
		return xl_fail_at(p, v->line, v->col,
		                  "%s holds a control character", s->key);
	if (strlen(v->text) > max)
		return xl_fail_at(p, v->line, v->col,
		                  "%s is longer than %zu bytes", s->key, max);
	*out = v->text;
	return 0;
}

/* A number (or a string holding one) in 1..max. */
static int xl_get_count(const struct xl_parser *p, const struct xl_setting *s,
                        uint64_t max, const char *unit, uint64_t *out)
{
	const struct xl_value *v = &s->value;
	int rc = -EINVAL;

	if (v->type != XL_LIST)
		rc = xl_number_parse(v->text, out);
	if (rc == -ERANGE || (rc == 0 && *out > max))
		return xl_fail_at(
		    p, v->line, v->col, "%s must be at most %llu%s%s", s->key,
		    (unsigned long long)max, *unit ? " " : "", unit);
	if (rc < 0 || *out == 0)
		return xl_fail_at(p, v->line, v->col,
		                  "%s must be a positive number%s%s", s->key,
		                  *unit ? " of " : "", unit);
	return 0;
}

static void xl_note_repeats(const struct xl_parser *p, struct hv_vmdef *def)
{
	const struct xl_setting *last;
	size_t i;

	for (i = 0; i < p->n_settings; i++) {
		last = xl_find(p, p->settings[i].key);
		if (last != &p->settings[i])
			hv_vmdef_note(def,
			              "xlcfg: line %u: '%s' set again, "
			              "line %u wins",
			              p->settings[i].line, p->settings[i].key,
			              last->line);
	}
}

static int xl_map_identity(const struct xl_parser *p, struct hv_vmdef *def)
{
	const struct xl_setting *s = xl_find(p, "name");
	char shown[XL_SHOWN];
	const char *text;
	int rc;

	if (!s)
		return hv_error_set(p->err, -EINVAL, "%s: 'name' is not set",
		                    p->origin);
	rc = xl_get_string(p, s, sizeof(def->name) - 1, &text);
	if (rc == 0 && !*text)
		rc =
		    xl_fail_at(p, s->value.line, s->value.col, "name is empty");
	if (rc < 0)
		return rc;
	strcpy(def->name, text);
	s = xl_find(p, "uuid");
	if (!s)
		return 0;
	rc = xl_get_string(p, s, sizeof(def->uuid) - 1, &text);
	if (rc == 0 &&
	    xl_hex_pattern(text, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
	                   def->uuid) < 0)
		rc = xl_fail_at(p, s->value.line, s->value.col,
		                "uuid '%s' is not a UUID "
		                "(8-4-4-4-12 hex digits)",
		                xl_quote(text, shown));
	return rc;
}

/* A pair like memory and maxmem: the second only earns a note. */
static int xl_map_count(const struct xl_parser *p, struct hv_vmdef *def,
                        const char *key, const char *max_key, uint64_t max,
                        const char *unit, uint64_t *out)
{
	const struct xl_setting *s = xl_find(p, key), *m = xl_find(p, max_key);
	uint64_t most;
	int rc = 0;

	if (s)
		rc = xl_get_count(p, s, max, unit, out);
	if (rc == 0 && m)
		rc = xl_get_count(p, m, max, unit, &most);
	if (rc == 0 && m && most != *out)
		hv_vmdef_note(def,
		              "xlcfg: line %u: %s %llu differs from %s %llu: "
		              "%llu%s%s is used",
		              m->line, max_key, (unsigned long long)most, key,
		              (unsigned long long)*out,
		              (unsigned long long)*out, *unit ? " " : "", unit);
	return rc;
}

static int xl_map_resources(const struct xl_parser *p, struct hv_vmdef *def)
{
	uint64_t mib = 0, vcpus = 1; /* xl's default */
	int rc;

	if (!xl_find(p, "memory"))
		return hv_error_set(p->err, -EINVAL, "%s: 'memory' is not set",
		                    p->origin);
	rc = xl_map_count(p, def, "memory", "maxmem", XL_MEMORY_MAX_MIB, "MiB",
	                  &mib);
	if (rc == 0)
		rc = xl_map_count(p, def, "vcpus", "maxvcpus", XL_VCPUS_MAX, "",
		                  &vcpus);
	def->memory_kib = mib * 1024;
	def->vcpus = (unsigned int)vcpus;
	return rc;
}

/* One of names (NULL-terminated) or an error naming them. */
static int xl_get_choice(const struct xl_parser *p, const struct xl_setting *s,
                         const char *const *names, const char *listed,
                         size_t *index)
{
	char shown[XL_SHOWN];
	const char *text;
	int rc = xl_get_string(p, s, XL_SHOWN, &text);

	for (*index = 0; rc == 0 && names[*index]; ++*index)
		if (!strcmp(names[*index], text))
			return 0;
	if (rc == 0)
		rc = xl_fail_at(p, s->value.line, s->value.col,
		                "%s '%s' is not %s", s->key,
		                xl_quote(text, shown), listed);
	return rc;
}

/* type, or the older builder; neither: PV, as xl. Sets *pv. */
static int xl_map_type(const struct xl_parser *p, struct hv_vmdef *def,
                       bool *pv)
{
	static const char *const types[] = { "hvm", "pv", "pvh", NULL };
	static const char *const builders[] = { "hvm", "generic", NULL };
	const struct xl_setting *s;
	size_t which = 1;
	int rc = 0;

	if ((s = xl_find(p, "type")))
		rc = xl_get_choice(p, s, types, "hvm, pv or pvh", &which);
	else if ((s = xl_find(p, "builder")))
		rc = xl_get_choice(p, s, builders, "hvm or generic", &which);
	*pv = which != 0;
	if (rc == 0 && *pv)
		hv_vmdef_note(
		    def,
		    "xlcfg: %s guest: its kernel must be able to boot "
		    "as HVM on another hypervisor",
		    which == 2 ? "PVH" : "PV");
	return rc;
}

/* firmware, else bios: uefi and ovmf mean UEFI. */
static int xl_map_firmware(const struct xl_parser *p, struct hv_vmdef *def)
{
	static const char *const firmwares[] = { "uefi",     "ovmf",
		                                 "bios",     "seabios",
		                                 "rombios",  "pvgrub32",
		                                 "pvgrub64", NULL };
	static const char *const bioses[] = { "ovmf", "seabios", "rombios",
		                              NULL };
	const struct xl_setting *s;
	bool uefi = false;
	size_t which;
	int rc = 0;

	if ((s = xl_find(p, "firmware"))) {
		rc = xl_get_choice(p, s, firmwares,
		                   "uefi, ovmf, bios, seabios, rombios, "
		                   "pvgrub32 or pvgrub64",
		                   &which);
		uefi = which < 2;
	} else if ((s = xl_find(p, "bios"))) {
		rc = xl_get_choice(p, s, bioses, "ovmf, seabios or rombios",
		                   &which);
		uefi = which == 0;
	}
	def->firmware = rc == 0 && uefi ? HV_FW_UEFI : HV_FW_BIOS;
	return rc;
}

/* ----- device lists ----- */

/* Item index (1-based) of a device list: a clean string, within max. */
static int xl_list_item(const struct xl_parser *p, const struct xl_value *v,
                        const char *what, size_t index, size_t max)
{
	if (index > max)
		return xl_fail_item(p, v, what, index, "more than %zu %ss", max,
		                    what);
	if (v->type != XL_STRING)
		return xl_fail_item(p, v, what, index, "not a string");
	if (xl_has_control(v->text))
		return xl_fail_item(p, v, what, index,
		                    "holds a control character");
	return 0;
}

/* The list setting key, or NULL. */
static int xl_get_list(const struct xl_parser *p, const char *key,
                       const struct xl_value **out)
{
	const struct xl_setting *s = xl_find(p, key);

	*out = s ? &s->value : NULL;
	if (s && s->value.type != XL_LIST)
		return xl_fail_at(p, s->value.line, s->value.col,
		                  "%s must be a list of strings", key);
	return 0;
}

static char *xl_trim(char *s)
{
	size_t n;

	s += strspn(s, " ");
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

/* Virtual disk names: xvdX (Xen), hdX (IDE), sdX (SCSI), X = a..zz. */
static const struct xl_vdev_bus {
	const char *prefix;
	enum hv_disk_bus bus;
	unsigned int count; /* disks the scheme names */
} xl_vdev_buses[] = {
	{ "xvd", HV_BUS_XEN, 26 + 26 * 26 },
	{ "hd", HV_BUS_IDE, 4 },
	{ "sd", HV_BUS_SCSI, 16 },
};

static int xl_vdev_parse(const char *s, struct hv_vmdisk *disk)
{
	const struct xl_vdev_bus *b;
	unsigned int index;
	size_t i, n;

	for (i = 0; i < XL_LEN(xl_vdev_buses); i++) {
		b = &xl_vdev_buses[i];
		n = strlen(b->prefix);
		if (strncmp(s, b->prefix, n) || strlen(s + n) < 1 ||
		    strlen(s + n) > 2 ||
		    strspn(s + n, "abcdefghijklmnopqrstuvwxyz") !=
		        strlen(s + n))
			continue;
		for (index = 0, s += n; *s; s++)
			index = index * 26 + (unsigned int)(*s - 'a' + 1);
		if (--index >= b->count)
			return -EINVAL;
		disk->bus = b->bus;
		disk->controller = b->bus == HV_BUS_IDE ? index / 2 : 0;
		disk->unit = b->bus == HV_BUS_IDE ? index % 2 : index;
		return 0;
	}
	return -EINVAL;
}

/* The vdev of disk into buf (8 bytes), or -EINVAL if it has none. */
static int xl_vdev_name(const struct hv_vmdisk *disk, char *buf)
{
	const struct xl_vdev_bus *b;
	unsigned int index;
	size_t i;

	for (i = 0; i < XL_LEN(xl_vdev_buses); i++) {
		b = &xl_vdev_buses[i];
		if (b->bus != disk->bus)
			continue;
		if (b->bus == HV_BUS_IDE
		        ? disk->controller > 1 || disk->unit > 1
		        : disk->controller != 0)
			return -EINVAL;
		index = b->bus == HV_BUS_IDE ? disk->controller * 2 + disk->unit
		                             : disk->unit;
		if (index >= b->count)
			return -EINVAL;
		if (index < 26)
			snprintf(buf, 8, "%s%c", b->prefix, 'a' + index);
		else
			snprintf(buf, 8, "%s%c%c", b->prefix,
			         'a' + index / 26 - 1, 'a' + index % 26);
		return 0;
	}
	return -EINVAL;
}

/* One disk spec being read (xl-disk-configuration(5)). */
struct xl_disk_spec {
	const struct xl_parser *p;
	const struct xl_value *item;
	size_t index;
	struct hv_vmdef *def;
	struct hv_vmdisk *disk;
	bool have_target, have_format, have_vdev, have_access, legacy_prefix;
};

static int xl_disk_fail(const struct xl_disk_spec *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int xl_disk_fail(const struct xl_disk_spec *d, const char *fmt, ...)
{
	char msg[HV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return xl_fail_item(d->p, d->item, "disk", d->index, "%s", msg);
}

static int xl_disk_target(struct xl_disk_spec *d, const char *path)
{
	if (d->have_target)
		return xl_disk_fail(d, "target given twice");
	if (strlen(path) >= sizeof(d->disk->path))
		return xl_disk_fail(d, "target is longer than %zu bytes",
		                    sizeof(d->disk->path) - 1);
	strcpy(d->disk->path, path);
	d->have_target = true;
	return 0;
}

/* A parameter's value and what it stands for. */
struct xl_choice {
	const char *value;
	int id;
};

static const struct xl_choice xl_formats[] = {
	{ "", HV_IMG_RAW },    { "raw", HV_IMG_RAW }, { "qcow2", HV_IMG_QCOW2 },
	{ "vhd", HV_IMG_VPC }, { "qcow", -1 },        { "qed", -1 },
	{ NULL, 0 },
};
static const struct xl_choice xl_accesses[] = {
	{ "r", true },  { "ro", true }, { "rw", false },
	{ "w", false }, { "", false },  { NULL, 0 },
};
static const struct xl_choice xl_devtypes[] = {
	{ "cdrom", HV_DEV_CDROM },
	{ "disk", HV_DEV_DISK },
	{ NULL, 0 },
};
static const struct xl_choice xl_backends[] = {
	{ "phy", 0 },
	{ "tap", 0 },
	{ "qdisk", 0 },
	{ NULL, 0 },
};
static const struct xl_choice xl_specifications[] = { { "xen", 0 },
	                                              { NULL, 0 } };

/* value of param among choices into *id; given (if set): only once. */
static int xl_disk_choice(struct xl_disk_spec *d, const char *param,
                          const struct xl_choice *choices, const char *value,
                          bool *given, int *id)
{
	char shown[XL_SHOWN];

	if (given && *given)
		return xl_disk_fail(d, "%s given twice", param);
	if (given)
		*given = true;
	for (; choices->value; choices++) {
		if (!strcmp(choices->value, value)) {
			*id = choices->id;
			return 0;
		}
	}
	return xl_disk_fail(d, "%s '%s' is not supported", param,
	                    xl_quote(value, shown));
}

static int xl_disk_format(struct xl_disk_spec *d, const char *format)
{
	int id, rc = xl_disk_choice(d, "format", xl_formats, format,
	                            &d->have_format, &id);

	if (rc == 0 && id < 0)
		return xl_disk_fail(d,
		                    "format %s is not supported: convert the "
		                    "image to qcow2 first",
		                    format);
	if (rc == 0)
		d->disk->format = (enum hv_img_format)id;
	return rc;
}

static int xl_disk_access(struct xl_disk_spec *d, const char *access)
{
	int readonly, rc = xl_disk_choice(d, "access", xl_accesses, access,
	                                  &d->have_access, &readonly);

	if (rc == 0)
		d->disk->readonly = readonly;
	return rc;
}

static int xl_disk_devtype(struct xl_disk_spec *d, const char *devtype)
{
	int device, rc = xl_disk_choice(d, "devtype", xl_devtypes, devtype,
	                                NULL, &device);

	if (rc == 0)
		d->disk->device = (enum hv_disk_device)device;
	return rc;
}

/* vdev; a positional one may end in ":cdrom" or ":disk". */
static int xl_disk_vdev(struct xl_disk_spec *d, char *vdev, bool positional)
{
	char shown[XL_SHOWN], *colon = positional ? strchr(vdev, ':') : NULL;
	int rc = 0;

	if (d->have_vdev)
		return xl_disk_fail(d, "vdev given twice");
	d->have_vdev = true;
	if (colon) {
		*colon = '\0';
		rc = xl_disk_devtype(d, colon + 1);
	}
	if (rc == 0 && xl_vdev_parse(vdev, d->disk) < 0)
		rc = xl_disk_fail(d,
		                  "vdev '%s' is not xvdX, hdX (a-d) or sdX "
		                  "(a-p)",
		                  xl_quote(vdev, shown));
	return rc;
}

/*
 * The first positional parameter: the target, after legacy prefixes
 * ("phy:", "tap:qcow2:", ...). A prefix sets the format or nothing, and
 * takes the format out of the positional parameters.
 */
static int xl_disk_legacy_target(struct xl_disk_spec *d, const char *token)
{
	static const char *const plain[] = { "phy", "file",  "tap",     "tap2",
		                             "aio", "ioemu", "tapdisk", NULL };
	static const char *const formats[] = { "raw", "qcow", "qcow2",
		                               "vhd", "qed",  NULL };
	static const char *const scripts[] = { "iscsi", "nbd", "enbd", "drbd",
		                               NULL };
	char name[16];
	size_t n;
	int rc = 0;

	while (rc == 0 &&
	       (n = strspn(token, "abcdefghijklmnopqrstuvwxyz"
	                          "0123456789")) > 0 &&
	       token[n] == ':' && token[0] >= 'a' && n < sizeof(name)) {
		memcpy(name, token, n);
		name[n] = '\0';
		token += n + 1;
		d->legacy_prefix = true;
		if (xl_in(formats, name))
			rc = xl_disk_format(d, name);
		else if (!xl_in(plain, name))
			rc = xl_disk_fail(d,
			                  xl_in(scripts, name)
			                      ? "%s: disks use a block script; "
			                        "they cannot be read as images"
			                      : "unknown disk prefix '%s:'",
			                  name);
	}
	return rc == 0 ? xl_disk_target(d, token) : rc;
}

/* target, format, vdev, access: in that order, each where not yet set. */
static int xl_disk_positional(struct xl_disk_spec *d, char *token)
{
	char shown[XL_SHOWN];

	if (!d->have_target)
		return xl_disk_legacy_target(d, token);
	if (!d->legacy_prefix && !d->have_format) {
		/* An empty cdrom: ",hdc:cdrom" skips the format. */
		if (d->disk->path[0] || !strchr(token, ':'))
			return xl_disk_format(d, token);
		d->have_format = true;
	}
	if (!d->have_vdev)
		return xl_disk_vdev(d, token, true);
	if (!d->have_access)
		return xl_disk_access(d, token);
	return xl_disk_fail(d, "too many positional parameters at '%s'",
	                    xl_quote(token, shown));
}

/* One comma-separated parameter other than target=. */
static int xl_disk_param(struct xl_disk_spec *d, char *token)
{
	static const char *const flags[] = { "direct-io-safe", "discard",
		                             "no-discard",     "trusted",
		                             "untrusted",      NULL };
	char shown[XL_SHOWN], *eq = strchr(token, '='), *value;
	int ignored;

	if (!eq && !strcmp(token, "cdrom")) {
		d->disk->device = HV_DEV_CDROM;
		return 0;
	}
	if (!eq)
		return xl_in(flags, token) ? 0 : xl_disk_positional(d, token);
	*eq = '\0';
	value = xl_trim(eq + 1);
	if (!strcmp(token, "format"))
		return xl_disk_format(d, value);
	if (!strcmp(token, "vdev"))
		return xl_disk_vdev(d, value, false);
	if (!strcmp(token, "access"))
		return xl_disk_access(d, value);
	if (!strcmp(token, "devtype"))
		return xl_disk_devtype(d, value);
	if (!strcmp(token, "script"))
		return xl_disk_fail(d, "script= disks use a block script; they "
		                       "cannot be read as images");
	if (!strcmp(token, "backend")) {
		hv_vmdef_note(d->def,
		              "xlcfg: disk %zu: served by domain '%s': its "
		              "target is a path in that domain",
		              d->index, xl_quote(value, shown));
		return 0;
	}
	if (!strcmp(token, "backendtype"))
		return xl_disk_choice(d, token, xl_backends, value, NULL,
		                      &ignored);
	if (!strcmp(token, "specification"))
		return xl_disk_choice(d, token, xl_specifications, value, NULL,
		                      &ignored);
	return xl_disk_fail(d, "unknown parameter '%s'",
	                    xl_quote(token, shown));
}

/* A disk spec: comma-separated parameters, "target=" eating the rest. */
static int xl_disk_parse(struct xl_disk_spec *d)
{
	char shown[8], *s = d->item->text, *token;
	int rc = 0;

	while (rc == 0 && s) {
		s += strspn(s, " ");
		if (!strncmp(s, "target=", 7)) {
			rc = xl_disk_target(d, s + 7);
			break;
		}
		token = strsep(&s, ",");
		if (*token || s) /* not the end after a trailing comma */
			rc = xl_disk_param(d, xl_trim(token));
	}
	if (rc == 0 && !d->have_vdev)
		rc = xl_disk_fail(d, "no vdev");
	if (rc == 0 && d->disk->device == HV_DEV_CDROM)
		d->disk->readonly = true;
	else if (rc == 0 && !d->disk->path[0])
		rc = xl_disk_fail(d, "no target");
	for (size_t i = 0; rc == 0 && i + 1 < d->index; i++) {
		const struct hv_vmdisk *other = &d->def->disks[i];

		if (other->bus == d->disk->bus &&
		    other->controller == d->disk->controller &&
		    other->unit == d->disk->unit) {
			xl_vdev_name(d->disk, shown);
			rc = xl_disk_fail(d, "vdev %s is used twice", shown);
		}
	}
	return rc;
}

static int xl_map_disks(const struct xl_parser *p, struct hv_vmdef *def)
{
	const struct xl_value *list;
	struct xl_disk_spec d;
	int rc = xl_get_list(p, "disk", &list);
	size_t i;

	for (i = 0; rc == 0 && list && i < list->n_items; i++) {
		rc = xl_list_item(p, &list->items[i], "disk", i + 1,
		                  HV_VMDEF_MAX_DISKS);
		if (rc < 0)
			break;
		memset(&d, 0, sizeof(d));
		d.p = p;
		d.item = &list->items[i];
		d.index = i + 1;
		d.def = def;
		d.disk = &def->disks[i];
		rc = xl_disk_parse(&d);
		def->n_disks = i + 1;
	}
	return rc;
}

/* One vif spec (xl-network-configuration(5)): key=value, comma-separated. */
static int xl_nic_parse(const struct xl_parser *p, const struct xl_value *item,
                        size_t index, bool pv, struct hv_vmdef *def)
{
	static const char *const models[] = { "e1000", "e1000e", "rtl8139",
		                              NULL };
	static const enum hv_nic_model model_ids[] = { HV_NIC_E1000,
		                                       HV_NIC_E1000E,
		                                       HV_NIC_RTL8139 };
	struct hv_vmnic *nic = &def->nics[index - 1];
	char shown[XL_SHOWN], unmapped[HV_VMDEF_NOTE_MAX] = "";
	char *s = item->text, *token, *value;
	const char *model = NULL;
	bool netfront = pv;
	size_t i;

	while ((token = strsep(&s, ","))) {
		token = xl_trim(token);
		if (!*token)
			continue;
		value = strchr(token, '=');
		if (!value)
			return xl_fail_item(p, item, "vif", index,
			                    "'%s' is not key=value",
			                    xl_quote(token, shown));
		*value = '\0';
		token = xl_trim(token);
		value = xl_trim(value + 1);
		if (!strcmp(token, "mac")) {
			if (xl_hex_pattern(value, "xx:xx:xx:xx:xx:xx",
			                   nic->mac) < 0 ||
			    !hv_mac_is_canonical(nic->mac))
				return xl_fail_item(
				    p, item, "vif", index,
				    "mac '%s' is not a unicast MAC address",
				    xl_quote(value, shown));
		} else if (!strcmp(token, "bridge")) {
			if (strlen(value) >= sizeof(nic->network))
				return xl_fail_item(p, item, "vif", index,
				                    "bridge is longer than %zu "
				                    "bytes",
				                    sizeof(nic->network) - 1);
			strcpy(nic->network, value);
		} else if (!strcmp(token, "model")) {
			model = value;
		} else if (!strcmp(token, "type") &&
		           (!strcmp(value, "vif") || !strcmp(value, "ioemu"))) {
			netfront = pv || !strcmp(value, "vif");
		} else if (!strcmp(token, "type")) {
			return xl_fail_item(p, item, "vif", index,
			                    "type '%s' is not ioemu or vif",
			                    xl_quote(value, shown));
		} else {
			snprintf(unmapped + strlen(unmapped),
			         sizeof(unmapped) - strlen(unmapped), "%s%s",
			         unmapped[0] ? ", " : "", token);
		}
	}
	if (!nic->network[0])
		strcpy(nic->network, XL_DEFAULT_BRIDGE);
	nic->is_bridge = true;
	for (i = 0; model && models[i] && strcmp(models[i], model); i++)
		;
	if (!netfront && model && !xl_in(models, model))
		return xl_fail_item(
		    p, item, "vif", index,
		    "model '%s' is not e1000, e1000e or rtl8139",
		    xl_quote(model, shown));
	nic->model = netfront ? HV_NIC_NETFRONT
	             : model  ? model_ids[i]
	                      : HV_NIC_RTL8139;
	if (unmapped[0])
		hv_vmdef_note(def, "xlcfg: vif %zu: not mapped: %s", index,
		              unmapped);
	return 0;
}

static int xl_map_nics(const struct xl_parser *p, struct hv_vmdef *def, bool pv)
{
	const struct xl_value *list;
	int rc = xl_get_list(p, "vif", &list);
	size_t i;

	for (i = 0; rc == 0 && list && i < list->n_items; i++) {
		rc = xl_list_item(p, &list->items[i], "vif", i + 1,
		                  HV_VMDEF_MAX_NICS);
		if (rc == 0)
			rc = xl_nic_parse(p, &list->items[i], i + 1, pv, def);
		def->n_nics = rc == 0 ? i + 1 : i;
	}
	return rc;
}

/*
 * One serial DEVICE as qemu's -serial takes it: "pty" and "file:PATH" are
 * mapped, "none" is no port, anything else (tcp:, unix:, /dev/ttyS0, vc...)
 * is noted.
 */
static int xl_serial_parse(const struct xl_parser *p,
                           const struct xl_value *item, size_t index,
                           struct hv_vmdef *def)
{
	char shown[XL_SHOWN];
	const char *text = item->text;
	size_t n = def->n_serials;
	int rc;

	if (!strcmp(text, "none"))
		return 0;
	if (strcmp(text, "pty") && (strncmp(text, "file:", 5) || !text[5])) {
		hv_vmdef_note(def, "xlcfg: serial %zu: '%s' is not mapped",
		              index, xl_quote(text, shown));
		return 0;
	}
	if (n == HV_VMDEF_MAX_SERIALS) {
		hv_vmdef_note(
		    def,
		    "xlcfg: serial %zu: not mapped: at most %d serial "
		    "ports",
		    index, HV_VMDEF_MAX_SERIALS);
		return 0;
	}
	if (n + 1 != index)
		hv_vmdef_note(def, "xlcfg: serial %zu becomes serial port %zu",
		              index, n);
	rc = text[0] == 'p'
	         ? hv_vmdef_serial_add(def, HV_SERIAL_PTY, NULL)
	         : hv_vmdef_serial_add(def, HV_SERIAL_FILE, text + 5);
	if (rc < 0)
		return xl_fail_item(p, item, "serial", index,
		                    "the path is longer than %zu bytes",
		                    sizeof(def->serials[0].path) - 1);
	return 0;
}

/* serial = "DEVICE" or [ "DEVICE", ... ] (xl.cfg(5), HVM guests). */
static int xl_map_serials(const struct xl_parser *p, struct hv_vmdef *def)
{
	const struct xl_setting *s = xl_find(p, "serial");
	const struct xl_value *list, *item;
	size_t i, n;
	int rc = 0;

	if (!s)
		return 0;
	list = &s->value;
	n = list->type == XL_LIST ? list->n_items : 1;
	for (i = 0; rc == 0 && i < n; i++) {
		item = list->type == XL_LIST ? &list->items[i] : list;
		rc = xl_list_item(p, item, "serial", i + 1, XL_ITEMS_MAX);
		if (rc == 0)
			rc = xl_serial_parse(p, item, i + 1, def);
	}
	return rc;
}

/*
 * Keys by what they configure; "x*" matches a prefix. The first group is
 * what this file maps; the others each earn one note when present.
 */
static const struct xl_key_group {
	const char *what;
	const char *keys; /* space-separated */
} xl_key_groups[] = {
	{ NULL, "name uuid memory maxmem vcpus maxvcpus type builder "
	        "firmware bios disk vif serial" },
	{ "display", "vfb vnc* sdl* opengl spice* nographic stdvga vga "
	             "videoram gfx_passthru keymap" },
	{ "sound", "soundhw" },
	{ "USB", "usb usbdevice usbctrl usbdev" },
	{ "PCI passthrough", "pci pci_* rdm*" },
	{ "vTPM", "vtpm" },
	{ "channels", "channel" },
	{ "direct kernel boot", "kernel ramdisk extra cmdline root bootloader "
	                        "bootloader_args" },
	{ "CPU placement and scheduling", "cpus cpus_soft cpu_weight cap "
	                                  "pool vnuma" },
	{ "lifecycle actions", "on_poweroff on_reboot on_crash on_watchdog "
	                       "on_soft_reset" },
	{ "device model settings", "device_model_*" },
	{ "platform settings", "acpi* apic pae hap hpet viridian nestedhvm "
	                       "localtime rtc_timeoffset timer_mode tsc_mode "
	                       "xen_platform_pci shadow_memory boot cpuid "
	                       "vpt_align max_grant_frames "
	                       "max_maptrack_frames" },
};

#define XL_GROUPS XL_LEN(xl_key_groups)

static bool xl_key_in(const char *keys, const char *key)
{
	size_t n;

	for (; *keys; keys += n + (keys[n] == ' ')) {
		n = strcspn(keys, " ");
		if (n == 0)
			continue;
		if (keys[n - 1] == '*'
		        ? !strncmp(keys, key, n - 1)
		        : strlen(key) == n && !strncmp(keys, key, n))
			return true;
	}
	return false;
}

static size_t xl_key_group(const char *key)
{
	size_t g;

	for (g = 0; g < XL_GROUPS && !xl_key_in(xl_key_groups[g].keys, key);
	     g++)
		;
	return g;
}

/* One note per group of unmapped keys present, and one for unknown keys. */
static void xl_note_unmapped(const struct xl_parser *p, struct hv_vmdef *def)
{
	char keys[HV_VMDEF_NOTE_MAX];
	size_t g, i, used;

	for (g = 1; g <= XL_GROUPS; g++) {
		for (i = 0, used = 0; i < p->n_settings; i++) {
			if (xl_key_group(p->settings[i].key) != g ||
			    xl_seen_before(p, i))
				continue;
			snprintf(keys + used, sizeof(keys) - used, "%s%s",
			         used ? ", " : "", p->settings[i].key);
			used += strlen(keys + used);
		}
		if (used && g < XL_GROUPS)
			hv_vmdef_note(def, "xlcfg: %s not mapped: %s",
			              xl_key_groups[g].what, keys);
		else if (used)
			hv_vmdef_note(def, "xlcfg: unknown keys ignored: %s",
			              keys);
	}
}

static int xl_map(const struct xl_parser *p, struct hv_vmdef *def)
{
	bool pv = false;
	int rc;

	def->kind = HV_KIND_XEN;
	xl_note_repeats(p, def);
	rc = xl_map_identity(p, def);
	if (rc == 0)
		rc = xl_map_resources(p, def);
	if (rc == 0)
		rc = xl_map_type(p, def, &pv);
	if (rc == 0)
		rc = xl_map_firmware(p, def);
	if (rc == 0)
		rc = xl_map_disks(p, def);
	if (rc == 0)
		rc = xl_map_nics(p, def, pv);
	if (rc == 0)
		rc = xl_map_serials(p, def);
	if (rc == 0)
		xl_note_unmapped(p, def);
	return rc;
}

int hv_xlcfg_parse(const char *text, size_t len, const char *origin,
                   struct hv_vmdef *def, struct hv_error *err)
{
	struct xl_parser p = { .origin = origin ? origin : "xl.cfg",
		               .src = text,
		               .len = len,
		               .line = 1,
		               .col = 1,
		               .err = err };
	const char *nul;
	size_t i;
	int rc;

	hv_vmdef_init(def);
	if (!text || len == 0 || len > HV_XLCFG_MAX)
		return hv_error_set(err, -EMSGSIZE,
		                    "%s: %zu bytes, expected "
		                    "1..%u",
		                    p.origin, text ? len : 0, HV_XLCFG_MAX);
	nul = memchr(text, '\0', len);
	if (nul) {
		for (; p.pos < (size_t)(nul - text); xl_advance(&p))
			;
		return xl_fail_at(&p, p.line, p.col, "NUL byte");
	}
	p.scratch_size = len + 1;
	p.scratch = hv_xlcfg_realloc(NULL, p.scratch_size);
	if (!p.scratch)
		return xl_nomem(&p);
	rc = xl_parse_file(&p);
	if (rc == 0)
		rc = xl_map(&p, def);
	for (i = 0; i < p.n_settings; i++)
		xl_value_free(&p.settings[i].value);
	free(p.settings);
	free(p.scratch);
	if (rc < 0)
		hv_vmdef_init(def);
	return rc;
}

/* ----- writer ----- */

/* Growing output; the first failure is kept and later calls do nothing. */
struct xl_buf {
	char *data;
	size_t len, cap;
	int error;
};

static bool xl_buf_reserve(struct xl_buf *b, size_t more)
{
	size_t want = b->cap ? b->cap : 1024;
	char *bigger;

	if (b->error)
		return false;
	while (want - b->len <= more)
		want *= 2;
	if (want == b->cap)
		return true;
	bigger = hv_xlcfg_realloc(b->data, want);
	if (!bigger) {
		b->error = -ENOMEM;
		return false;
	}
	b->data = bigger;
	b->cap = want;
	return true;
}

static void xl_buf_add(struct xl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void xl_buf_add(struct xl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !xl_buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* s as a double-quoted xl string (no control bytes: checked before). */
static void xl_buf_quoted(struct xl_buf *b, const char *s)
{
	if (!xl_buf_reserve(b, 2 * strlen(s) + 2))
		return;
	b->data[b->len++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			b->data[b->len++] = '\\';
		b->data[b->len++] = *s;
	}
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

/* One list item on its own line. */
static void xl_buf_item(struct xl_buf *b, const char *s)
{
	xl_buf_add(b, "    ");
	xl_buf_quoted(b, s);
	xl_buf_add(b, ",\n");
}

/* table[v], NULL when v is past the table or has no entry. */
static const char *xl_table_name(const char *const *table, size_t n,
                                 unsigned int v)
{
	return v < n ? table[v] : NULL;
}

static int xl_write_check(const struct hv_vmdef *def, struct hv_error *err)
{
	if (def->kind != HV_KIND_XEN)
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: the definition is for %s: convert "
		                    "it for xen first",
		                    hv_kind_name(def->kind));
	if (!memchr(def->name, '\0', sizeof(def->name)) || !def->name[0] ||
	    xl_has_control(def->name))
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: the name is empty or holds a "
		                    "control character");
	if (def->uuid[0] && !hv_uuid_is_canonical(def->uuid))
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: the uuid is not canonical");
	if (def->memory_kib == 0 || def->memory_kib > XL_MEMORY_MAX_MIB * 1024)
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: memory %llu KiB is not 1 KiB.."
		                    "%llu MiB",
		                    (unsigned long long)def->memory_kib,
		                    XL_MEMORY_MAX_MIB);
	if (def->vcpus == 0 || def->vcpus > XL_VCPUS_MAX)
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: vcpus %u is not "
		                    "1..%d",
		                    def->vcpus, XL_VCPUS_MAX);
	if (def->n_disks > HV_VMDEF_MAX_DISKS ||
	    def->n_nics > HV_VMDEF_MAX_NICS ||
	    def->n_serials > HV_VMDEF_MAX_SERIALS)
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: more than %d disks, %d NICs or %d "
		                    "serial ports",
		                    HV_VMDEF_MAX_DISKS, HV_VMDEF_MAX_NICS,
		                    HV_VMDEF_MAX_SERIALS);
	return 0;
}

static void xl_write_head(struct xl_buf *b, const struct hv_vmdef *def)
{
	char note[HV_VMDEF_NOTE_MAX];
	size_t i;

	xl_buf_add(b, "# xl.cfg(5), written by skyferry\n");
	for (i = 0; i < def->n_notes && i < HV_VMDEF_MAX_NOTES; i++)
		xl_buf_add(b, "# %s\n",
		           hv_error_quote(def->notes[i], note, sizeof(note)));
	if (def->memory_kib % 1024)
		xl_buf_add(b, "# memory: %llu KiB, rounded up to whole MiB\n",
		           (unsigned long long)def->memory_kib);
	xl_buf_add(b, "name = ");
	xl_buf_quoted(b, def->name);
	if (def->uuid[0])
		xl_buf_add(b, "\nuuid = \"%s\"", def->uuid);
	xl_buf_add(b, "\ntype = \"hvm\"\nmemory = %llu\nvcpus = %u\n",
	           (unsigned long long)(def->memory_kib + 1023) / 1024,
	           def->vcpus);
	if (def->firmware == HV_FW_UEFI)
		xl_buf_add(b, "firmware = \"uefi\"\n");
}

static int xl_write_disk(struct xl_buf *b, const struct hv_vmdisk *disk,
                         size_t index, struct hv_error *err)
{
	static const char *const formats[] = {
		[HV_IMG_RAW] = "raw", [HV_IMG_QCOW2] = "qcow2",
		[HV_IMG_VPC] = "vhd", [HV_IMG_VMDK] = NULL,
		[HV_IMG_VHDX] = NULL,
	};
	char vdev[8], spec[sizeof(disk->path) + 96];
	bool cdrom = disk->device == HV_DEV_CDROM;
	const char *format =
	    xl_table_name(formats, XL_LEN(formats), disk->format);

	if (!format)
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: disk %zu: format %s is not raw, "
		                    "qcow2 or vhd",
		                    index, hv_img_format_name(disk->format));
	if (xl_vdev_name(disk, vdev) < 0)
		return hv_error_set(
		    err, -EINVAL,
		    "xl.cfg: disk %zu: %s controller %u unit %u "
		    "has no xvd, hd or sd name",
		    index, hv_disk_bus_name(disk->bus), disk->controller,
		    disk->unit);
	if (!memchr(disk->path, '\0', sizeof(disk->path)) ||
	    xl_has_control(disk->path) || (!cdrom && !disk->path[0]))
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: disk %zu: the path is empty or "
		                    "holds a control character",
		                    index);
	snprintf(
	    spec, sizeof(spec), "format=%s, vdev=%s, access=%s%s, target=%s",
	    formats[disk->format], vdev, disk->readonly || cdrom ? "ro" : "rw",
	    cdrom ? ", devtype=cdrom" : "", disk->path);
	xl_buf_item(b, spec);
	return 0;
}

static int xl_write_nic(struct xl_buf *b, const struct hv_vmnic *nic,
                        size_t index, struct hv_error *err)
{
	static const char *const models[] = {
		[HV_NIC_E1000] = "model=e1000",
		[HV_NIC_E1000E] = "model=e1000e",
		[HV_NIC_RTL8139] = "model=rtl8139",
		[HV_NIC_NETFRONT] = "type=vif",
		[HV_NIC_PCNET] = NULL,
	};
	char spec[sizeof(nic->network) + 64], *end = spec;
	const char *network = nic->network;
	size_t n = strnlen(network, sizeof(nic->network));

	const char *model = xl_table_name(models, XL_LEN(models), nic->model);

	if (!model)
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: NIC %zu: model %s is not e1000, "
		                    "e1000e, rtl8139 or netfront",
		                    index, hv_nic_model_name(nic->model));
	if (nic->mac[0] && !hv_mac_is_canonical(nic->mac))
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: NIC %zu: the MAC address is not "
		                    "canonical",
		                    index);
	if (n == sizeof(nic->network) || xl_has_control(network) ||
	    strchr(network, ',') ||
	    (n && (network[0] == ' ' || network[n - 1] == ' ')))
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: NIC %zu: the network name cannot "
		                    "be written in a vif spec",
		                    index);
	if (n && !nic->is_bridge) {
		xl_buf_add(b, "    # network %s is not a bridge: %s used\n",
		           network, XL_DEFAULT_BRIDGE);
		network = XL_DEFAULT_BRIDGE;
	}
	if (nic->mac[0])
		end += sprintf(end, "mac=%s, ", nic->mac);
	if (n)
		end += sprintf(end, "bridge=%s, ", network);
	sprintf(end, "%s", model);
	xl_buf_item(b, spec);
	return 0;
}

/* "pty" or "file:PATH", as qemu's -serial takes it. */
static int xl_write_serial(struct xl_buf *b, const struct hv_vmserial *serial,
                           size_t index, struct hv_error *err)
{
	char spec[sizeof(serial->path) + 8];

	if (serial->type == HV_SERIAL_PTY) {
		xl_buf_item(b, "pty");
		return 0;
	}
	if (serial->type != HV_SERIAL_FILE ||
	    !memchr(serial->path, '\0', sizeof(serial->path)) ||
	    !serial->path[0] || xl_has_control(serial->path))
		return hv_error_set(err, -EINVAL,
		                    "xl.cfg: serial %zu: not a pty, or a file "
		                    "whose path is empty or holds a control "
		                    "character",
		                    index);
	snprintf(spec, sizeof(spec), "file:%s", serial->path);
	xl_buf_item(b, spec);
	return 0;
}

int hv_xlcfg_write(const struct hv_vmdef *def, char **out, struct hv_error *err)
{
	struct xl_buf b = { 0 };
	size_t i;
	int rc = xl_write_check(def, err);

	if (rc == 0)
		xl_write_head(&b, def);
	if (rc == 0 && def->n_disks)
		xl_buf_add(&b, "disk = [\n");
	for (i = 0; rc == 0 && i < def->n_disks; i++)
		rc = xl_write_disk(&b, &def->disks[i], i + 1, err);
	if (rc == 0 && def->n_disks)
		xl_buf_add(&b, "]\n");
	if (rc == 0 && def->n_nics)
		xl_buf_add(&b, "vif = [\n");
	for (i = 0; rc == 0 && i < def->n_nics; i++)
		rc = xl_write_nic(&b, &def->nics[i], i + 1, err);
	if (rc == 0 && def->n_nics)
		xl_buf_add(&b, "]\n");
	if (rc == 0 && def->n_serials)
		xl_buf_add(&b, "serial = [\n");
	for (i = 0; rc == 0 && i < def->n_serials; i++)
		rc = xl_write_serial(&b, &def->serials[i], i + 1, err);
	if (rc == 0 && def->n_serials)
		xl_buf_add(&b, "]\n");
	if (rc == 0 && b.error)
		rc = hv_error_set(err, b.error, "xl.cfg: out of memory");
	if (rc < 0) {
		free(b.data);
		return rc;
	}
	*out = b.data;
	return 0;
}
