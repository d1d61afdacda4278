/*
 * fuzz_virt_uri.c: the daemon socket of arbitrary libvirt URIs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/virt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_error err;
	char *uri = malloc(size + 1), path[108];

	if (!uri)
		return 0;
	memcpy(uri, data, size);
	uri[size] = '\0';
	if (hv_virt_socket_path(uri, path, sizeof(path), &err) == 0 &&
	    (path[0] != '/' || strlen(path) >= sizeof(path)))
		abort(); /* a socket path is absolute and fits */
	free(uri);
	return 0;
}
