/*
 * test_virt.c: the host facts that are rules rather than libvirt calls.
 * hv_postcopy_possible: when a destination QEMU can take post-copy.
 */
#include <stdbool.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hypervisor/virt.h"

#define QEMU_7_2  7002022ul /* Debian 12: 7.2.22 */
#define QEMU_8_0  8000005ul
#define QEMU_8_1  8001000ul
#define QEMU_10_1 10001002ul

Test(virt_postcopy, strict_sysctl_refuses_old_qemu_and_says_what_to_do)
{
	char msg[256];

	cr_assert_not(hv_postcopy_possible(QEMU_7_2, 0, msg, sizeof(msg)));
	cr_expect(strstr(msg, "QEMU 7.2 ") != NULL, "names QEMU: %s", msg);
	cr_expect(strstr(msg, "vm.unprivileged_userfaultfd=0") != NULL,
	          "names the sysctl: %s", msg);
	cr_expect(strstr(msg, "sysctl -w vm.unprivileged_userfaultfd=1") !=
	              NULL,
	          "says what to do: %s", msg);
	cr_expect(strstr(msg, "without --postcopy") != NULL,
	          "offers the other way: %s", msg);
	cr_expect_not(hv_postcopy_possible(QEMU_8_0, 0, msg, sizeof(msg)),
	              "8.0 has no /dev/userfaultfd support");
}

/* The hosts where post-copy can work, and the line the preflight shows. */
static const struct {
	unsigned long qemu;
	int unpriv;
	const char *line; /* whole, or "~text": contains text */
} allowed[] = {
	/* an open sysctl, any QEMU */
	{ QEMU_7_2, 1,
	  "post-copy: userfaultfd is open to QEMU "
	  "(vm.unprivileged_userfaultfd=1)" },
	{ QEMU_10_1, 1, "~=1)" },
	/* QEMU 8.1 and later use the device */
	{ QEMU_8_1, 0,
	  "post-copy: QEMU 8.1 uses /dev/userfaultfd "
	  "(vm.unprivileged_userfaultfd=0)" },
	{ QEMU_10_1, 0, "~QEMU 10.1 " },
	/* a kernel without the sysctl lets everyone */
	{ QEMU_7_2, -1, "~any process" },
};

Test(virt_postcopy, allowed_hosts)
{
	char msg[256];
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		cr_assert(hv_postcopy_possible(allowed[i].qemu,
		                               allowed[i].unpriv, msg,
		                               sizeof(msg)),
		          "case %zu refused: %s", i, msg);
		if (allowed[i].line[0] == '~')
			cr_expect(strstr(msg, allowed[i].line + 1) != NULL,
			          "case %zu: %s", i, msg);
		else
			cr_expect_str_eq(msg, allowed[i].line, "case %zu", i);
	}
}

Test(virt_postcopy, short_buffer_is_truncated_not_overrun)
{
	char msg[16 + 1];

	memset(msg, 'x', sizeof(msg));
	cr_assert_not(hv_postcopy_possible(QEMU_7_2, 0, msg, 16));
	cr_expect_eq(strlen(msg), 15);
	cr_expect_eq(msg[16], 'x', "wrote past the length it was given");
}
