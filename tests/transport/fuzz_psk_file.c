/*
 * libFuzzer target: tp_psk_parse on arbitrary bytes. An accepted key must
 * meet every rule of the format; a rejected one must leave nothing behind.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/psk_file.h"

/* What a rejected key must leave behind. */
static const struct tp_psk zero_psk;

static bool identity_ok(const char *s)
{
	size_t len = strnlen(s, TP_PSK_IDENTITY_MAX + 1);

	if (len < 1 || len > TP_PSK_IDENTITY_MAX)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == ':')
			return false;
	return true;
}

static bool hex_ok(const char *s)
{
	size_t len = strnlen(s, TP_PSK_HEX_MAX + 1);

	if (len < TP_PSK_HEX_MIN || len > TP_PSK_HEX_MAX || len % 2)
		return false;
	return strspn(s, "0123456789abcdefABCDEF") == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_psk psk;
	struct tp_error err;

	memset(&psk, 0xa5, sizeof(psk));
	tp_error_clear(&err);
	if (tp_psk_parse((const char *)data, size, &psk, &err) < 0) {
		if (err.code != -EINVAL || err.msg[0] == '\0' ||
		    memcmp(&psk, &zero_psk, sizeof(psk)) != 0)
			abort();
		return 0;
	}
	if (!identity_ok(psk.identity) || !hex_ok(psk.hex) ||
	    !memmem(data, size, psk.identity, strlen(psk.identity)) ||
	    !memmem(data, size, psk.hex, strlen(psk.hex)))
		abort();
	return 0;
}
