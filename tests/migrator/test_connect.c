/*
 * The control channel's close handshake: mig_ctl_wait_eof() returns when
 * the peer closes its end (whatever it sent before), fails on a reset,
 * and gives up at its deadline rather than waiting for ever.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migrator/connect.h"

static void pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

Test(migrator_connect, eof_after_data)
{
	static const char junk[] = "{\"type\":\"result\",\"ok\":true}";
	int sv[2];

	pair(sv);
	cr_assert_eq(write(sv[1], junk, sizeof(junk)), (ssize_t)sizeof(junk));
	shutdown(sv[1], SHUT_WR);
	cr_assert_eq(mig_ctl_wait_eof(sv[0], 2000), 0);
	close(sv[0]);
	close(sv[1]);
}

Test(migrator_connect, silent_peer_times_out)
{
	uint64_t t0;
	int sv[2];

	pair(sv);
	t0 = mig_now_ms();
	cr_assert_eq(mig_ctl_wait_eof(sv[0], 150), -ETIMEDOUT);
	cr_assert_geq(mig_now_ms() - t0, 150);
	cr_assert_lt(mig_now_ms() - t0, 2000);
	close(sv[0]);
	close(sv[1]);
}

Test(migrator_connect, closed_peer)
{
	int sv[2];

	pair(sv);
	close(sv[1]);
	cr_assert_eq(mig_ctl_wait_eof(sv[0], 2000), 0);
	close(sv[0]);
}

Test(migrator_connect, bad_fd)
{
	cr_assert_lt(mig_ctl_wait_eof(-1, 100), 0);
}
