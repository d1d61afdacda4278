/*
 * Network endpoint parsing shared by migrator and receiver.
 */
#ifndef TP_ADDR_H
#define TP_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* The port a receiver listens on unless told otherwise. */
#define TP_DEFAULT_PORT 4870

/*
 * Parse "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT". The host (without
 * brackets) is copied into hostbuf; a missing port is default_port.
 * Returns 0, or -EINVAL for an empty host, a bad or zero port, a bare IPv6
 * address without brackets, or a host longer than hostlen - 1.
 */
int tp_addr_parse(const char *s, uint16_t default_port, char *hostbuf,
		  size_t hostlen, uint16_t *port);

#endif
