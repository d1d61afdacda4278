/*
 * sf-echo: the test guest's TCP echo service (port 7000) and UDP probe
 * responder (port 7001). Creates --ready-file once both are listening.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sf_console.h"
#include "sf_echo.h"

static void usage(void)
{
	fprintf(stderr, "usage: sf-echo [--tcp PORT] [--udp PORT] "
	                "[--ready-file PATH]\n");
	exit(2);
}

static uint16_t echo_arg_port(const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end != '\0' || v < 0 || v > 65535)
		usage();
	return (uint16_t)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tcp", required_argument, NULL, 't' },
		{ "udp", required_argument, NULL, 'u' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	uint16_t tcp_port = SF_ECHO_TCP_PORT, udp_port = SF_ECHO_UDP_PORT;
	const char *ready_file = NULL;
	struct sf_echo *echo = NULL;
	struct sf_err err = { "" };
	int opt, fd;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			tcp_port = echo_arg_port(optarg);
			break;
		case 'u':
			udp_port = echo_arg_port(optarg);
			break;
		case 'r':
			ready_file = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (sf_echo_open(&echo, tcp_port, udp_port, &err) < 0) {
		sf_console_printf(1, "SF-BOOT-ERROR tool=sf-echo %s\n",
		                  err.msg);
		return 1;
	}
	if (ready_file != NULL) {
		fd = open(ready_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	sf_console_printf(1, "SF-ECHO tcp=%u udp=%u\n", sf_echo_tcp_port(echo),
	                  sf_echo_udp_port(echo));
	while (sf_echo_run_once(echo, -1, &err) == 0)
		;
	sf_console_printf(1, "SF-BOOT-ERROR tool=sf-echo %s\n", err.msg);
	sf_echo_free(echo);
	return 1;
}
