#include <criterion/criterion.h>
#include <errno.h>

#include "transport/tp_addr.h"

Test(tp_addr, golden)
{
	static const struct {
		const char *in;
		const char *host;
		uint16_t port;
	} cases[] = {
		{ "west", "west", 4870 },
		{ "west:1", "west", 1 },
		{ "198.18.0.2:65535", "198.18.0.2", 65535 },
		{ "[::1]", "::1", 4870 },
		{ "[fe80::1%wan0]:7000", "fe80::1%wan0", 7000 },
	};
	char host[64];
	uint16_t port;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(tp_addr_parse(cases[i].in, 4870, host,
					   sizeof(host), &port), 0,
			     "%s", cases[i].in);
		cr_assert_str_eq(host, cases[i].host);
		cr_assert_eq(port, cases[i].port, "%s", cases[i].in);
	}
}

Test(tp_addr, bad)
{
	static const char *bad[] = {
		"", ":80", "h:", "h:0", "h:65536", "h:-1", "h:+80", "h:8x",
		"::1", "[]", "[::1", "[::1]x", "[::1]:", "[::1]:0",
	};
	char host[64];
	uint16_t port;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(tp_addr_parse(bad[i], 1, host, sizeof(host),
					   &port), -EINVAL, "'%s'", bad[i]);
	cr_assert_eq(tp_addr_parse(NULL, 1, host, sizeof(host), &port),
		     -EINVAL);
	cr_assert_eq(tp_addr_parse("abcdef", 1, host, 6, &port), -EINVAL);
	cr_assert_eq(tp_addr_parse("abcde", 1, host, 6, &port), 0);
}
