/*
 * sf-cmdline: the guest /init's view of the sf.* kernel parameters, so the
 * shell never parses them.
 *
 *   sf-cmdline [--file PATH] get KEY   print one value; exit 1 if unset
 *   sf-cmdline [--file PATH] check     validate; print a summary line
 *
 * KEY: ip (ADDR/PREFIX), addr, prefix, gw, mem, rate, sweep, disk, diskrate.
 * Exit 2 on a malformed command line or bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_cmdline.h"

static void usage(void)
{
	fprintf(stderr, "usage: sf-cmdline [--file PATH] get KEY | check\n");
	exit(2);
}

/* Print KEY's value; 0 when printed, 1 when the parameter is unset. */
static int cmdline_get(const struct sf_cmdline *c, const char *key)
{
	char ip[16];

	if (strcmp(key, "ip") == 0 || strcmp(key, "addr") == 0 ||
	    strcmp(key, "prefix") == 0) {
		if (!c->have_ip)
			return 1;
		sf_cmdline_format_ip(c->ip, ip, sizeof(ip));
		if (strcmp(key, "ip") == 0)
			printf("%s/%u\n", ip, c->prefix);
		else if (strcmp(key, "addr") == 0)
			printf("%s\n", ip);
		else
			printf("%u\n", c->prefix);
	} else if (strcmp(key, "gw") == 0) {
		if (!c->have_gw)
			return 1;
		sf_cmdline_format_ip(c->gw, ip, sizeof(ip));
		printf("%s\n", ip);
	} else if (strcmp(key, "disk") == 0) {
		if (!c->have_disk)
			return 1;
		printf("%s\n", c->disk);
	} else if (strcmp(key, "mem") == 0) {
		printf("%llu\n", (unsigned long long)c->mem_mib);
	} else if (strcmp(key, "rate") == 0) {
		printf("%llu\n", (unsigned long long)c->rate);
	} else if (strcmp(key, "sweep") == 0) {
		printf("%llu\n", (unsigned long long)c->sweep);
	} else if (strcmp(key, "diskrate") == 0) {
		printf("%llu\n", (unsigned long long)c->disk_rate);
	} else {
		usage();
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = "/proc/cmdline";
	struct sf_cmdline c;
	struct sf_err err = { "" };
	char ip[16] = "-", gw[16] = "-";
	int opt;

	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt != 'f')
			usage();
		path = optarg;
	}
	if (sf_cmdline_read(&c, path, &err) < 0) {
		fprintf(stderr, "sf-cmdline: %s\n", err.msg);
		return 2;
	}
	if (argc - optind == 2 && strcmp(argv[optind], "get") == 0)
		return cmdline_get(&c, argv[optind + 1]);
	if (argc - optind != 1 || strcmp(argv[optind], "check") != 0)
		usage();
	if (c.have_ip)
		sf_cmdline_format_ip(c.ip, ip, sizeof(ip));
	if (c.have_gw)
		sf_cmdline_format_ip(c.gw, gw, sizeof(gw));
	printf("SF-CMDLINE ip=%s/%u gw=%s mem=%llu rate=%llu sweep=%llu "
	       "disk=%s diskrate=%llu\n",
	       ip, c.have_ip ? c.prefix : 0, gw, (unsigned long long)c.mem_mib,
	       (unsigned long long)c.rate, (unsigned long long)c.sweep,
	       c.have_disk ? c.disk : "-", (unsigned long long)c.disk_rate);
	if (c.unknown[0] != '\0')
		printf("SF-WARN unknown kernel parameter %s\n", c.unknown);
	return 0;
}
