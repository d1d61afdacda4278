/*
 * psk_file.c: load a TLS 1.3 external PSK from a small, private file.
 */
#include "transport/psk_file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int psk_fail(struct tp_error *err, unsigned lineno, size_t col,
                    const char *what)
{
	return tp_error_set(err, -EINVAL, "line %u, column %zu: %s", lineno,
	                    col, what);
}

static bool psk_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Reject bytes that have no place in a text file: NUL, CR, controls. */
static int psk_check_chars(const char *line, size_t len, unsigned lineno,
                           struct tp_error *err)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0')
			return psk_fail(err, lineno, i + 1,
			                "NUL byte; the file must be text");
		if (c == '\r')
			return psk_fail(err, lineno, i + 1,
			                "carriage return; convert DOS line "
			                "endings with dos2unix");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return psk_fail(err, lineno, i + 1,
			                "control character; the file must be "
			                "text");
	}
	return 0;
}

/* Parse "IDENTITY:HEX" (the whole line) into psk. Never quotes the key. */
static int psk_parse_key_line(const char *line, size_t len, unsigned lineno,
                              struct tp_psk *psk, struct tp_error *err)
{
	const char *colon = memchr(line, ':', len);
	const char *hex;
	size_t id_len, hex_len, i;
	char what[96];

	if (!colon)
		return psk_fail(
		    err, lineno, len + 1,
		    "no ':' in the key line; expected IDENTITY:HEX");
	id_len = (size_t)(colon - line);
	if (id_len == 0)
		return psk_fail(err, lineno, 1,
		                "empty identity; expected IDENTITY:HEX");
	if (id_len > TP_PSK_IDENTITY_MAX)
		return psk_fail(err, lineno, TP_PSK_IDENTITY_MAX + 1,
		                "identity longer than 128 characters");
	for (i = 0; i < id_len; i++)
		if (line[i] <= ' ' || line[i] > '~')
			return psk_fail(err, lineno, i + 1,
			                "identity may hold only printable "
			                "characters, no whitespace");
	hex = colon + 1;
	hex_len = len - id_len - 1;
	for (i = 0; i < hex_len; i++)
		if (!psk_is_hex(hex[i]))
			return psk_fail(err, lineno, id_len + 2 + i,
			                "not a hex digit; the key must be "
			                "32 to 128 hex digits");
	if (hex_len < TP_PSK_HEX_MIN || hex_len > TP_PSK_HEX_MAX) {
		snprintf(what, sizeof(what),
		         "key has %zu hex digits; expected 32 to 128", hex_len);
		return psk_fail(err, lineno, id_len + 2, what);
	}
	if (hex_len % 2) {
		snprintf(what, sizeof(what),
		         "key has an odd number (%zu) of hex digits; "
		         "expected whole bytes",
		         hex_len);
		return psk_fail(err, lineno, id_len + 2, what);
	}
	memcpy(psk->identity, line, id_len);
	psk->identity[id_len] = '\0';
	memcpy(psk->hex, hex, hex_len);
	psk->hex[hex_len] = '\0';
	return 0;
}

int tp_psk_parse(const char *text, size_t len, struct tp_psk *psk,
                 struct tp_error *err)
{
	unsigned lineno = 0, key_lineno = 0;
	size_t pos = 0, line_len, blanks;
	const char *line, *newline;
	char what[96];
	int rc = 0;

	OPENSSL_cleanse(psk, sizeof(*psk));
	while (pos < len) {
		line = text + pos;
		newline = memchr(line, '\n', len - pos);
		line_len = newline ? (size_t)(newline - line) : len - pos;
		pos += line_len + (newline ? 1 : 0);
		lineno++;
		rc = psk_check_chars(line, line_len, lineno, err);
		if (rc < 0)
			goto out;
		blanks = 0;
		while (blanks < line_len &&
		       (line[blanks] == ' ' || line[blanks] == '\t'))
			blanks++;
		if (blanks >= line_len || line[blanks] == '#')
			continue;
		if (key_lineno) {
			snprintf(what, sizeof(what),
			         "a second key line (the first is line %u); "
			         "keep exactly one",
			         key_lineno);
			rc = psk_fail(err, lineno, 1, what);
			goto out;
		}
		key_lineno = lineno;
		rc = psk_parse_key_line(line, line_len, lineno, psk, err);
		if (rc < 0)
			goto out;
	}
	if (!key_lineno)
		rc = tp_error_set(err, -EINVAL,
		                  "no key line; expected IDENTITY:HEX");
out:
	if (rc < 0)
		OPENSSL_cleanse(psk, sizeof(*psk));
	return rc;
}

/* Read the whole file at fd into buf (up to cap bytes). -errno on error. */
static int psk_read_all(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

int tp_psk_file_load(const char *path, struct tp_psk *psk, struct tp_error *err)
{
	char buf[TP_PSK_FILE_MAX + 1];
	struct tp_error parse_err;
	struct stat st;
	size_t len = 0;
	int fd = -1;
	int rc;

	OPENSSL_cleanse(psk, sizeof(*psk));
	/* O_NONBLOCK: a FIFO must fail the regular-file check, not hang. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = tp_error_set(err, -errno, "cannot open PSK file %s: %s",
		                  path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = tp_error_set(err, -errno, "cannot stat PSK file %s: %s",
		                  path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = tp_error_set(err, -EINVAL,
		                  "PSK file %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = tp_error_set(
		    err, -EACCES,
		    "PSK file %s is %s by others (mode %04o); "
		    "chmod 600 %s",
		    path, (st.st_mode & 044) ? "readable" : "accessible",
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	rc = psk_read_all(fd, buf, sizeof(buf), &len);
	if (rc < 0) {
		tp_error_set(err, rc, "cannot read PSK file %s: %s", path,
		             strerror(-rc));
		goto out;
	}
	if (len > TP_PSK_FILE_MAX) {
		rc = tp_error_set(err, -EFBIG,
		                  "PSK file %s is larger than %d bytes; "
		                  "it should hold one IDENTITY:HEX line",
		                  path, TP_PSK_FILE_MAX);
		goto out;
	}
	rc = tp_psk_parse(buf, len, psk, &parse_err);
	if (rc < 0)
		tp_error_set(err, rc, "PSK file %s: %s", path, parse_err.msg);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return rc;
}
