/*
 * wanem_port: one side of the emulated wire, an AF_PACKET socket bound to
 * a network interface that sees every frame arriving on it (not its own
 * transmissions) and sends frames out of it, bypassing the qdisc.
 */
#ifndef WANEM_PORT_H
#define WANEM_PORT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Opens the port on ifname, brings the interface up if needed, and turns
 * GRO off on it, so that frames are seen as they were sent (*gro_changed
 * tells whether it was on). Returns the socket (non-blocking), or -errno
 * with err set.
 */
int wanem_port_open(const char *ifname, bool *gro_changed, char *err,
                    size_t errlen);

/* Frames the kernel dropped because the socket's buffer was full. */
unsigned long wanem_port_rx_drops(int fd);

#endif
