/*
 * fuzz_msg.c: arbitrary bytes as a stream of control messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/tp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_error err;
	char *out;
	int sv[2];

	if (size > 60000 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	if (write(sv[0], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	close(sv[0]);
	while (tp_msg_recv(sv[1], &out, 0 + 100, &err) >= 0)
		free(out);
	close(sv[1]);
	return 0;
}
