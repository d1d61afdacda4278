/*
 * Echo services of the test guest: TCP echo (many clients, epoll) and a UDP
 * probe responder that sends every datagram back to its sender unchanged.
 */
#ifndef SF_ECHO_H
#define SF_ECHO_H

#include <stdint.h>

#include "sf_err.h"

#define SF_ECHO_TCP_PORT  7000
#define SF_ECHO_UDP_PORT  7001
#define SF_ECHO_BUF       16384 /* per TCP client */
#define SF_ECHO_MAX_CONNS 4096

struct sf_echo;

/*
 * Bind both services on all IPv4 addresses (port 0 picks a free one).
 * *out is the caller's on success only. Returns 0 or -errno with err set.
 */
int sf_echo_open(struct sf_echo **out, uint16_t tcp_port, uint16_t udp_port,
                 struct sf_err *err);

/*
 * Wait up to timeout_ms for events and serve them. A misbehaving client only
 * loses its own connection. Returns 0, or -errno if the event loop itself
 * failed.
 */
int sf_echo_run_once(struct sf_echo *echo, int timeout_ms, struct sf_err *err);

uint16_t sf_echo_tcp_port(const struct sf_echo *echo);
uint16_t sf_echo_udp_port(const struct sf_echo *echo);
unsigned sf_echo_clients(const struct sf_echo *echo);

/* Close every socket. NULL is allowed. */
void sf_echo_free(struct sf_echo *echo);

#endif
