/*
 * tp_msg.c: length-prefixed messages on a stream fd.
 */
#include "transport/tp_msg.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

static int64_t tp_msg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tp_msg_len_decode(const uint8_t hdr[4], uint32_t *len, struct tp_error *err)
{
	uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	             (uint32_t)hdr[2] << 8 | hdr[3];

	if (n == 0 || n > TP_MSG_MAX)
		return tp_error_set(err, -EMSGSIZE,
		                    "message length %u is outside 1..%u", n,
		                    TP_MSG_MAX);
	*len = n;
	return 0;
}

static int tp_msg_write_all(int fd, const uint8_t *p, size_t len,
                            struct tp_error *err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			poll(&pfd, 1, 1000);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tp_error_set(err, -errno, "message write: %s",
			                    strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int tp_msg_send(int fd, const void *buf, size_t len, struct tp_error *err)
{
	uint8_t hdr[4];
	int rc;

	if (len == 0 || len > TP_MSG_MAX)
		return tp_error_set(err, -EMSGSIZE,
		                    "message of %zu bytes is outside 1..%u",
		                    len, TP_MSG_MAX);
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	rc = tp_msg_write_all(fd, hdr, sizeof(hdr), err);
	if (rc == 0)
		rc = tp_msg_write_all(fd, buf, len, err);
	return rc;
}

/* Read exactly len bytes before deadline (-1: none). */
static int tp_msg_read_all(int fd, uint8_t *p, size_t len, int64_t deadline,
                           bool at_start, struct tp_error *err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	int64_t left;
	ssize_t n;
	int rc;

	while (got < len) {
		left = deadline < 0 ? -1 : deadline - tp_msg_now_ms();
		if (deadline >= 0 && left <= 0)
			return tp_error_set(err, -ETIMEDOUT,
			                    "no message from the peer in time");
		rc = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return tp_error_set(err, -errno, "message read: %s",
			                    strerror(errno));
		if (rc == 0)
			continue;
		n = read(fd, p + got, len - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return tp_error_set(err, -errno, "message read: %s",
			                    strerror(errno));
		if (n == 0)
			return at_start && got == 0
			           ? tp_error_set(err, -ENODATA,
			                          "the peer closed the channel")
			           : tp_error_set(err, -ECONNRESET,
			                          "the peer closed the channel "
			                          "mid-message");
		got += (size_t)n;
	}
	return 0;
}

ssize_t tp_msg_recv(int fd, char **out, int timeout_ms, struct tp_error *err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : tp_msg_now_ms() + timeout_ms;
	uint8_t hdr[4];
	uint32_t len = 0;
	char *body;
	int rc;

	rc = tp_msg_read_all(fd, hdr, sizeof(hdr), deadline, true, err);
	if (rc < 0)
		return rc;
	rc = tp_msg_len_decode(hdr, &len, err);
	if (rc < 0)
		return rc;
	body = malloc((size_t)len + 1);
	if (!body)
		return tp_error_set(err, -ENOMEM, "message: out of memory");
	rc = tp_msg_read_all(fd, (uint8_t *)body, len, deadline, false, err);
	if (rc < 0) {
		free(body);
		return rc;
	}
	body[len] = '\0';
	*out = body;
	return (ssize_t)len;
}
