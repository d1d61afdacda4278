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

int tp_tcp_path(int fd, uint64_t *rate_Bps, uint64_t *min_rtt_ns)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	*rate_Bps = 0;
	*min_rtt_ns = 0;
	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
		return -1;
	if (len >= offsetof(struct tcp_info, tcpi_delivery_rate) +
	               sizeof(info.tcpi_delivery_rate))
		*rate_Bps = info.tcpi_delivery_rate;
	if (len >= offsetof(struct tcp_info, tcpi_min_rtt) +
	               sizeof(info.tcpi_min_rtt) &&
	    info.tcpi_min_rtt != ~0u)
		*min_rtt_ns = (uint64_t)info.tcpi_min_rtt * 1000u;
	return 0;
}
