/* libFuzzer target: tp_addr_parse on arbitrary strings. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/tp_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char host[64];
	uint16_t port;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (tp_addr_parse(s, 4870, host, sizeof(host), &port) == 0 &&
	    (port == 0 || strlen(host) >= sizeof(host)))
		abort();
	free(s);
	return 0;
}
