/*
 * wanem_port: AF_PACKET sockets for the WAN emulator.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#include "wanem_port.h"

#define PORT_RCVBUF (8 << 20)
#define PORT_SNDBUF (4 << 20)

static int sockopt_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/* Brings ifname up and turns its GRO off. */
static int port_iface_prepare(int fd, const char *ifname, bool *gro_changed,
                              char *err, size_t errlen)
{
	struct ethtool_value ev;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			goto fail;
	}
	*gro_changed = false;
	memset(&ev, 0, sizeof(ev));
	ev.cmd = ETHTOOL_GGRO;
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 || !ev.data)
		return 0; /* no GRO to turn off */
	ev.cmd = ETHTOOL_SGRO;
	ev.data = 0;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		goto fail;
	*gro_changed = true;
	return 0;
fail:
	snprintf(err, errlen, "interface '%s': %s", ifname, strerror(errno));
	return -errno;
}

int wanem_port_open(const char *ifname, bool *gro_changed, char *err,
                    size_t errlen)
{
	struct packet_mreq mreq;
	struct sockaddr_ll sll;
	unsigned int ifindex;
	int fd = -1, ret, saved;

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		ret = -errno;
		snprintf(err, errlen, "no interface '%s' here: %s", ifname,
		         strerror(errno));
		return ret;
	}
	/* Protocol 0: receive nothing until bound to the interface. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (sockopt_int(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) < 0 ||
	    sockopt_int(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1) < 0 ||
	    sockopt_int(fd, SOL_PACKET, PACKET_AUXDATA, 1) < 0)
		goto fail;
	if (sockopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, PORT_RCVBUF) < 0)
		sockopt_int(fd, SOL_SOCKET, SO_RCVBUF, PORT_RCVBUF);
	if (sockopt_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, PORT_SNDBUF) < 0)
		sockopt_int(fd, SOL_SOCKET, SO_SNDBUF, PORT_SNDBUF);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	memset(&mreq, 0, sizeof(mreq));
	mreq.mr_ifindex = (int)ifindex;
	mreq.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq,
	               sizeof(mreq)) < 0)
		goto fail;
	ret = port_iface_prepare(fd, ifname, gro_changed, err, errlen);
	if (ret < 0)
		goto out;
	return fd;
fail:
	ret = -errno;
	snprintf(err, errlen, "packet socket on '%s': %s", ifname,
	         strerror(errno));
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return ret;
}

unsigned long wanem_port_rx_drops(int fd)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	/* Reading the statistics resets them. */
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return 0;
	return st.tp_drops;
}
