/*
 * psk_file.h: load a TLS 1.3 external pre-shared key from a file.
 *
 * Both "migrator --psk FILE" and "receiver --psk FILE" read this format:
 *
 *	# comment
 *	IDENTITY:HEX
 *
 * - exactly one key line, IDENTITY:HEX, with an optional trailing newline;
 * - IDENTITY is 1 to 128 printable ASCII characters, without ':' or
 *   whitespace; both peers must use the same one;
 * - HEX is the key, 32 to 128 hex digits (16 to 64 bytes), an even count,
 *   upper or lower case;
 * - blank lines (nothing but spaces and tabs) and lines whose first
 *   non-blank character is '#' are ignored;
 * - no carriage returns, NUL bytes or other control characters;
 * - the file is at most TP_PSK_FILE_MAX bytes, is a regular file, and is
 *   not accessible to group or others (mode & 077 == 0; chmod 600 FILE).
 *
 * Generate one with:  printf 'east:%s\n' "$(openssl rand -hex 32)" > FILE
 */
#ifndef SKYFERRY_PSK_FILE_H
#define SKYFERRY_PSK_FILE_H

#include <stddef.h>

#include "transport/tp_error.h"

#define TP_PSK_IDENTITY_MAX 128
#define TP_PSK_HEX_MIN      32
#define TP_PSK_HEX_MAX      128
#define TP_PSK_FILE_MAX     4096

struct tp_psk {
	char identity[TP_PSK_IDENTITY_MAX + 1]; /* NUL-terminated */
	char hex[TP_PSK_HEX_MAX + 1];           /* NUL-terminated, as written */
};

/*
 * Read and parse the PSK file at path. Returns 0, or a negative errno with
 * err naming the file and, for a malformed file, the line and column:
 * -EACCES when group or others may access it, -EFBIG when it is larger than
 * TP_PSK_FILE_MAX, -EINVAL when it is not a regular file or is malformed,
 * or the errno of a failed open or read. *psk is the caller's on success
 * only (it is wiped on failure); the caller should OPENSSL_cleanse it when
 * done. The buffers that held the file are wiped before returning.
 */
int tp_psk_file_load(const char *path, struct tp_psk *psk,
                     struct tp_error *err);

/*
 * Parse len bytes of PSK file text (which need not be NUL-terminated).
 * Returns 0, or -EINVAL with err naming the line and column of the first
 * problem. Error messages never quote key material. *psk is wiped on
 * failure.
 */
int tp_psk_parse(const char *text, size_t len, struct tp_psk *psk,
                 struct tp_error *err);

#endif
