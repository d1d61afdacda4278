/*
 * libFuzzer target: the receiver's config file parser on arbitrary bytes.
 * An accepted file must leave only settings the command line could give.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/config.h"

/* A string setting points into the owned storage or is the default. */
static void check_string(const struct rcv_opts *o, const char *s)
{
	if (!s)
		return;
	if (s < o->strings || s >= o->strings + o->strings_used ||
	    strlen(s) == 0 || s + strlen(s) >= o->strings + o->strings_used)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rcv_opts o;
	char err[256];
	size_t i;

	rcv_opts_init(&o);
	err[0] = '\0';
	if (rcv_config_parse(&o, "fuzz.conf", (const char *)data, size, err,
	                     sizeof(err)) < 0) {
		if (strncmp(err, "fuzz.conf:", 10) != 0)
			abort(); /* a failure must say where */
		return 0;
	}
	if (o.strings_used > sizeof(o.strings) || o.strings_used > size ||
	    o.n_allow > RCV_MAX_ALLOW || o.max_sessions < 1 ||
	    o.max_sessions > 64 || o.verbose < 0 || o.verbose > 3 ||
	    o.from_argv != 0 || o.config || o.cmd != RCV_CMD_RUN)
		abort();
	check_string(&o, o.cert);
	check_string(&o, o.key);
	check_string(&o, o.ca);
	check_string(&o, o.psk);
	check_string(&o, o.storage_dir);
	if (strcmp(o.libvirt_uri, "qemu:///system") != 0)
		check_string(&o, o.libvirt_uri);
	for (i = 0; i < o.n_allow; i++)
		check_string(&o, o.allow[i]);
	if (memchr(o.listen_host, '\0', sizeof(o.listen_host)) == NULL)
		abort();
	return 0;
}
