/*
 * tcp_rate.c: the kernel's measured delivery rate, least round trip and
 * buffer-limited time of a TCP connection.
 * Its own file because it needs <linux/tcp.h>, whose struct tcp_info
 * clashes with glibc's older one in <netinet/tcp.h>.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include <linux/tcp.h>

#include "transport/session_priv.h"

/* Whether the kernel's tcp_info reached field (of size) f. */
#define TP_TCPI_HAS(len, f)                                                    \
	((len) >=                                                              \
	 offsetof(struct tcp_info, f) + sizeof(((struct tcp_info *)0)->f))

int tp_tcp_path(int fd, struct tp_tcp_sample *sample)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	*sample = (struct tp_tcp_sample){ 0 };
	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
		return -1;
	if (TP_TCPI_HAS(len, tcpi_delivery_rate))
		sample->rate_Bps = info.tcpi_delivery_rate;
	if (TP_TCPI_HAS(len, tcpi_min_rtt) && info.tcpi_min_rtt != ~0u)
		sample->min_rtt_ns = (uint64_t)info.tcpi_min_rtt * 1000u;
	if (TP_TCPI_HAS(len, tcpi_sndbuf_limited)) {
		sample->busy_us = info.tcpi_busy_time;
		sample->limited_us = info.tcpi_sndbuf_limited;
	}
	return 0;
}
