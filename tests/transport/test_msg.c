/*
 * test_msg.c: length-prefixed control messages.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/tp_msg.h"

static void pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

Test(transport_msg, golden_bytes)
{
	uint8_t want[] = { 0x00, 0x00, 0x00, 0x05, /* length 5 */
		           'h',  'e',  'l',  'l',  'o' };
	uint8_t got[sizeof(want)];
	int sv[2];

	pair(sv);
	cr_assert_eq(tp_msg_send(sv[0], "hello", 5, NULL), 0);
	cr_assert_eq(read(sv[1], got, sizeof(got)), (ssize_t)sizeof(want));
	cr_assert_arr_eq(got, want, sizeof(want));
	close(sv[0]);
	close(sv[1]);
}

Test(transport_msg, round_trip_largest)
{
	char *buf = malloc(TP_MSG_MAX), *back = NULL;
	struct tp_error err = { 0 };
	int sv[2];

	pair(sv);
	memset(buf, 'x', TP_MSG_MAX);
	/* The socket buffer may be smaller than a message: write from a
	 * child so both ends progress. */
	if (fork() == 0) {
		close(sv[1]);
		_exit(tp_msg_send(sv[0], buf, TP_MSG_MAX, NULL) == 0 ? 0 : 1);
	}
	close(sv[0]);
	cr_assert_eq(tp_msg_recv(sv[1], &back, 5000, &err), TP_MSG_MAX, "%s",
	             err.msg);
	cr_assert_eq(back[TP_MSG_MAX], '\0');
	cr_assert_eq(memcmp(back, buf, TP_MSG_MAX), 0);
	free(back);
	free(buf);
	close(sv[1]);
}

Test(transport_msg, oversized_and_empty_refused)
{
	uint8_t big[4] = { 0x00, 0x01, 0x00, 0x01 }; /* TP_MSG_MAX + 1 */
	uint8_t zero[4] = { 0 };
	struct tp_error err = { 0 };
	char *out = NULL;
	uint32_t len;
	int sv[2];

	cr_assert_eq(tp_msg_len_decode(big, &len, &err), -EMSGSIZE);
	cr_assert(strstr(err.msg, "65537"), "%s", err.msg);
	cr_assert_eq(tp_msg_len_decode(zero, &len, &err), -EMSGSIZE);
	cr_assert_eq(tp_msg_send(0, "", 0, &err), -EMSGSIZE);
	pair(sv);
	cr_assert_eq(write(sv[0], big, 4), 4);
	cr_assert_eq(tp_msg_recv(sv[1], &out, 1000, &err), -EMSGSIZE);
	cr_assert_null(out);
	close(sv[0]);
	close(sv[1]);
}

Test(transport_msg, truncated_eof_and_timeout)
{
	uint8_t part[] = { 0x00, 0x00, 0x00, 0x09, 'a', 'b' };
	struct tp_error err = { 0 };
	char *out = NULL;
	int sv[2];

	pair(sv);
	cr_assert_eq(tp_msg_recv(sv[1], &out, 50, &err), -ETIMEDOUT);
	cr_assert_eq(write(sv[0], part, sizeof(part)), (ssize_t)sizeof(part));
	cr_assert_eq(tp_msg_recv(sv[1], &out, 50, &err), -ETIMEDOUT);
	close(sv[1]);
	pair(sv);
	cr_assert_eq(write(sv[0], part, sizeof(part)), (ssize_t)sizeof(part));
	close(sv[0]);
	cr_assert_eq(tp_msg_recv(sv[1], &out, 1000, &err), -ECONNRESET);
	cr_assert(strstr(err.msg, "mid-message"), "%s", err.msg);
	close(sv[1]);
	pair(sv);
	close(sv[0]);
	cr_assert_eq(tp_msg_recv(sv[1], &out, 1000, &err), -ENODATA);
	cr_assert_null(out);
	close(sv[1]);
}
