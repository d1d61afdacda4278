/* Tests for the echo services, over loopback with the loop in-thread. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sf_echo.h"

static int client(int type, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		                   .sin_port = htons(port) };
	int fd = socket(AF_INET, type | SOCK_NONBLOCK, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_geq(fd, 0);
	cr_assert(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
	          errno == EINPROGRESS);
	return fd;
}

/* Serve until fd has received len bytes (or give up after ~5 s). */
static size_t pump(struct sf_echo *echo, int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	int round;

	for (round = 0; round < 500 && got < len; round++) {
		ssize_t n;

		cr_assert_eq(sf_echo_run_once(echo, 10, NULL), 0);
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
	}
	return got;
}

Test(echo, tcp_many_clients_and_large_data)
{
	enum { CLIENTS = 32, SIZE = 100000 };
	static uint8_t out[SIZE], in[SIZE];
	struct sf_echo *echo = NULL;
	int fds[CLIENTS], i;

	cr_assert_eq(sf_echo_open(&echo, 0, 0, NULL), 0);
	for (i = 0; i < CLIENTS; i++)
		fds[i] = client(SOCK_STREAM, sf_echo_tcp_port(echo));
	for (i = 0; i < CLIENTS; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "client %d", i);

		cr_assert_eq(sf_echo_run_once(echo, 10, NULL), 0);
		cr_assert_eq(send(fds[i], msg, (size_t)len, 0), len);
		cr_assert_eq(pump(echo, fds[i], in, (size_t)len), (size_t)len);
		cr_assert_arr_eq(in, msg, (size_t)len);
	}
	cr_assert_eq(sf_echo_clients(echo), CLIENTS);
	/* More than the per-client buffer: exercises backpressure. */
	for (i = 0; i < SIZE; i++)
		out[i] = (uint8_t)(i * 7);
	{
		size_t sent = 0, got = 0;
		int round;

		for (round = 0; round < 2000 && got < SIZE; round++) {
			ssize_t n;

			if (sent < SIZE) {
				n = send(fds[0], out + sent, SIZE - sent,
				         MSG_DONTWAIT);
				if (n > 0)
					sent += (size_t)n;
			}
			cr_assert_eq(sf_echo_run_once(echo, 1, NULL), 0);
			n = recv(fds[0], in + got, SIZE - got, MSG_DONTWAIT);
			if (n > 0)
				got += (size_t)n;
		}
		cr_assert_eq(got, SIZE);
		cr_assert_arr_eq(in, out, SIZE);
	}
	for (i = 0; i < CLIENTS; i++)
		close(fds[i]);
	for (i = 0; i < 50 && sf_echo_clients(echo) > 0; i++)
		sf_echo_run_once(echo, 10, NULL);
	cr_assert_eq(sf_echo_clients(echo), 0);
	sf_echo_free(echo);
	sf_echo_free(NULL);
}

Test(echo, udp_probe)
{
	struct sf_echo *echo = NULL;
	uint8_t probe[1400], answer[2000];
	int fd, i;

	cr_assert_eq(sf_echo_open(&echo, 0, 0, NULL), 0);
	fd = client(SOCK_DGRAM, sf_echo_udp_port(echo));
	for (i = 0; i < (int)sizeof(probe); i++)
		probe[i] = (uint8_t)(i ^ 0x5a);
	cr_assert_eq(send(fd, probe, sizeof(probe), 0), (ssize_t)sizeof(probe));
	cr_assert_eq(sf_echo_run_once(echo, 100, NULL), 0);
	cr_assert_eq(recv(fd, answer, sizeof(answer), 0),
	             (ssize_t)sizeof(probe));
	cr_assert_arr_eq(answer, probe, sizeof(probe));
	close(fd);
	sf_echo_free(echo);
}

Test(echo, port_in_use)
{
	struct sf_echo *a = NULL, *b = NULL;
	struct sf_err err = { "" };

	cr_assert_eq(sf_echo_open(&a, 0, 0, NULL), 0);
	cr_assert_lt(sf_echo_open(&b, 0, sf_echo_udp_port(a), &err), 0);
	cr_assert_null(b);
	cr_assert(strstr(err.msg, "udp") != NULL);
	sf_echo_free(a);
}
