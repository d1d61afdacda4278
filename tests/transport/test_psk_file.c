#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/psk_file.h"

/* 64 hex digits: a 32-byte key. */
#define KEY64 "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"

/* What a rejected key must leave behind. */
static const struct tp_psk zero_psk;

static int parse(const char *text, struct tp_psk *psk, struct tp_error *err)
{
	memset(psk, 'x', sizeof(*psk));
	tp_error_clear(err);
	return tp_psk_parse(text, strlen(text), psk, err);
}

/* Write len bytes to a new temp file with mode; the path is static. */
static const char *psk_tmp(const char *text, size_t len, mode_t mode)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/sf-psk-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

Test(tp_psk_file, golden)
{
	struct tp_psk psk;
	struct tp_error err;

	cr_assert_eq(parse("# made by openssl rand -hex 32\n"
	                   "\n"
	                   " \t\n"
	                   "  # indented comment\n"
	                   "east.example/vm-1:" KEY64 "\n"
	                   "\n",
	                   &psk, &err),
	             0, "%s", err.msg);
	cr_assert_str_eq(psk.identity, "east.example/vm-1");
	cr_assert_str_eq(psk.hex, KEY64);
}

Test(tp_psk_file, bounds_accepted)
{
	char line[TP_PSK_IDENTITY_MAX + TP_PSK_HEX_MAX + 3];
	struct tp_psk psk;
	struct tp_error err;

	/* No trailing newline, the shortest key. */
	cr_assert_eq(parse("a:0123456789abcdef0123456789ABCDEF", &psk, &err), 0,
	             "%s", err.msg);
	cr_assert_str_eq(psk.identity, "a");
	cr_assert_str_eq(psk.hex, "0123456789abcdef0123456789ABCDEF");

	/* The longest identity and key. */
	memset(line, 'i', TP_PSK_IDENTITY_MAX);
	line[TP_PSK_IDENTITY_MAX] = ':';
	memset(line + TP_PSK_IDENTITY_MAX + 1, 'f', TP_PSK_HEX_MAX);
	strcpy(line + TP_PSK_IDENTITY_MAX + 1 + TP_PSK_HEX_MAX, "\n");
	cr_assert_eq(parse(line, &psk, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(psk.identity), TP_PSK_IDENTITY_MAX);
	cr_assert_eq(strlen(psk.hex), TP_PSK_HEX_MAX);
}

Test(tp_psk_file, bad_input_named)
{
	static const struct {
		const char *text;
		const char *where; /* the message starts with this */
		const char *what;  /* and contains this */
	} cases[] = {
		{ "east:" KEY64 "zz\n",
		  "line 1, column 70:", "not a hex digit" },
		{ "east:0123456789abcdef0123456789abcdeg\n",
		  "line 1, column 37:", "not a hex digit" },
		{ "east:" KEY64 " \n",
		  "line 1, column 70:", "not a hex digit" },
		{ "east:" KEY64 "a\n",
		  "line 1, column 6:", "odd number (65) of hex digits" },
		{ "east:0123456789abcdef0123456789abcd\n", "line 1, column 6:",
		  "key has 30 hex digits; expected 32 to 128" },
		{ "east:" KEY64 KEY64 "00\n",
		  "line 1, column 6:", "key has 130 hex digits" },
		{ "east:\n", "line 1, column 6:", "key has 0 hex digits" },
		{ "east" KEY64 "\n", "line 1, column 69:", "no ':'" },
		{ ":" KEY64 "\n", "line 1, column 1:", "empty identity" },
		{ "ea st:" KEY64 "\n",
		  "line 1, column 3:", "identity may hold" },
		{ " east:" KEY64 "\n",
		  "line 1, column 1:", "identity may hold" },
		{ "ea\xc3\xa9st:" KEY64 "\n",
		  "line 1, column 3:", "identity may hold" },
		{ "a:b:" KEY64 "\n", "line 1, column 4:", "not a hex digit" },
		{ "# two\neast:" KEY64 "\n\nwest:" KEY64 "\n",
		  "line 4, column 1:",
		  "a second key line (the first is line 2); keep exactly one" },
		{ "east:" KEY64 "\r\n",
		  "line 1, column 70:", "carriage return" },
		{ "# \x01\neast:" KEY64 "\n",
		  "line 1, column 3:", "control character" },
		{ "", "no key line", "IDENTITY:HEX" },
		{ "# only a comment\n\n", "no key line", "IDENTITY:HEX" },
	};
	struct tp_psk psk;
	struct tp_error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(parse(cases[i].text, &psk, &err), -EINVAL,
		             "case %zu accepted", i);
		cr_assert_eq(err.code, -EINVAL);
		cr_assert_eq(
		    strncmp(err.msg, cases[i].where, strlen(cases[i].where)), 0,
		    "case %zu: %s", i, err.msg);
		cr_assert(strstr(err.msg, cases[i].what), "case %zu: %s", i,
		          err.msg);
		cr_assert(!strstr(err.msg, "0011223344"),
		          "case %zu quotes the key: %s", i, err.msg);
		cr_assert(memcmp(&psk, &zero_psk, sizeof(psk)) == 0,
		          "case %zu left a partial key", i);
	}
}

Test(tp_psk_file, identity_too_long)
{
	char line[TP_PSK_IDENTITY_MAX + 2 + sizeof(KEY64)];
	struct tp_psk psk;
	struct tp_error err;

	memset(line, 'i', TP_PSK_IDENTITY_MAX + 1);
	strcpy(line + TP_PSK_IDENTITY_MAX + 1, ":" KEY64);
	cr_assert_eq(parse(line, &psk, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "line 1, column 129: identity longer than "
	                          "128 characters");
}

Test(tp_psk_file, nul_byte)
{
	static const char text[] = "east:" KEY64 "\n\0# after\n";
	struct tp_psk psk;
	struct tp_error err;

	cr_assert_eq(tp_psk_parse(text, sizeof(text) - 1, &psk, &err), -EINVAL);
	cr_assert_str_eq(err.msg,
	                 "line 2, column 1: NUL byte; the file must be text");
}

Test(tp_psk_file, load_golden)
{
	static const char text[] = "# test\nwest:" KEY64 "\n";
	const char *path = psk_tmp(text, sizeof(text) - 1, 0600);
	struct tp_psk psk;
	struct tp_error err;

	cr_assert_eq(tp_psk_file_load(path, &psk, &err), 0, "%s", err.msg);
	cr_assert_str_eq(psk.identity, "west");
	cr_assert_str_eq(psk.hex, KEY64);
	/* Owner read-only is fine too. */
	chmod(path, 0400);
	cr_assert_eq(tp_psk_file_load(path, &psk, &err), 0, "%s", err.msg);
	unlink(path);
}

Test(tp_psk_file, load_refuses_shared_modes)
{
	static const char text[] = "west:" KEY64 "\n";
	static const struct {
		mode_t mode;
		const char *word;
	} cases[] = {
		{ 0644, "readable" },   { 0640, "readable" },
		{ 0604, "readable" },   { 0620, "accessible" },
		{ 0601, "accessible" },
	};
	struct tp_psk psk;
	struct tp_error err;
	char want[256];
	const char *path;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = psk_tmp(text, sizeof(text) - 1, cases[i].mode);
		memset(&psk, 'x', sizeof(psk));
		cr_assert_eq(tp_psk_file_load(path, &psk, &err), -EACCES);
		snprintf(want, sizeof(want),
		         "PSK file %s is %s by others (mode %04o); "
		         "chmod 600 %s",
		         path, cases[i].word, (unsigned)cases[i].mode, path);
		cr_assert_str_eq(err.msg, want);
		cr_assert(memcmp(&psk, &zero_psk, sizeof(psk)) == 0);
		unlink(path);
	}
}

Test(tp_psk_file, load_malformed_names_file_and_line)
{
	static const char text[] = "# test\nwest:0123\n";
	const char *path = psk_tmp(text, sizeof(text) - 1, 0600);
	struct tp_psk psk;
	struct tp_error err;
	char want[256];

	cr_assert_eq(tp_psk_file_load(path, &psk, &err), -EINVAL);
	snprintf(want, sizeof(want),
	         "PSK file %s: line 2, column 6: key has 4 hex digits; "
	         "expected 32 to 128",
	         path);
	cr_assert_str_eq(err.msg, want);
	unlink(path);
}

Test(tp_psk_file, load_oversize)
{
	char text[TP_PSK_FILE_MAX + 1];
	const char *path;
	struct tp_psk psk;
	struct tp_error err;

	/* A valid key padded with comments to exactly the limit loads... */
	memset(text, '#', sizeof(text));
	memcpy(text, "west:" KEY64 "\n", 70);
	text[TP_PSK_FILE_MAX - 1] = '\n';
	path = psk_tmp(text, TP_PSK_FILE_MAX, 0600);
	cr_assert_eq(tp_psk_file_load(path, &psk, &err), 0, "%s", err.msg);
	unlink(path);
	/* ...and one byte more does not. */
	path = psk_tmp(text, TP_PSK_FILE_MAX + 1, 0600);
	cr_assert_eq(tp_psk_file_load(path, &psk, &err), -EFBIG);
	cr_assert(strstr(err.msg, "larger than 4096 bytes"), "%s", err.msg);
	unlink(path);
}

Test(tp_psk_file, load_not_a_file)
{
	char dir[] = "/tmp/sf-psk-dir-XXXXXX";
	char fifo[64];
	struct tp_psk psk;
	struct tp_error err;

	cr_assert_eq(tp_psk_file_load("/nonexistent/sf.psk", &psk, &err),
	             -ENOENT);
	cr_assert(strstr(err.msg, "/nonexistent/sf.psk"), "%s", err.msg);
	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0700);
	cr_assert_eq(tp_psk_file_load(dir, &psk, &err), -EINVAL);
	cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
	/* A FIFO must be refused, not block the open or the read. */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(tp_psk_file_load(fifo, &psk, &err), -EINVAL);
	cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
	unlink(fifo);
	rmdir(dir);
}
