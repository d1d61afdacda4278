/*
 * tcp_rate.c: the kernel's measured delivery rate and least round trip of a
 * TCP connection.
 * Its own file because it needs <linux/tcp.h>, whose struct tcp_info
 * clashes with glibc's older one in <netinet/tcp.h>.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include <linux/tcp.h>

#include "transport/session_priv.h"

uint64_t tp_tcp_delivery_rate(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_delivery_rate) +
	              sizeof(info.tcpi_delivery_rate))
		return 0;
	return info.tcpi_delivery_rate;
}

uint64_t tp_tcp_min_rtt_ns(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_min_rtt) +
	              sizeof(info.tcpi_min_rtt) ||
	    info.tcpi_min_rtt == ~0u)
		return 0;
	return (uint64_t)info.tcpi_min_rtt * 1000u;
}
