/*
 * tp_msg.h: whole messages on a stream fd.
 *
 * The control dialogue between migrator and receiver runs on a channel
 * whose local end is a socket; each message is a 4-byte big-endian length
 * (1..TP_MSG_MAX) followed by that many bytes.
 *
 *   offset  size  field
 *   0       4     length of the body, 1..TP_MSG_MAX
 *   4       len   body
 */
#ifndef SKYFERRY_TP_MSG_H
#define SKYFERRY_TP_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "transport/tp_error.h"

#define TP_MSG_MAX (64u * 1024u)

/* Check a length word; 0 or -EMSGSIZE with err naming the length. */
int tp_msg_len_decode(const uint8_t hdr[4], uint32_t *len,
                      struct tp_error *err);

/* Write one message (blocking fd or not). 0 or -errno. */
int tp_msg_send(int fd, const void *buf, size_t len, struct tp_error *err);

/*
 * Read one message, waiting at most timeout_ms in all (-1: for ever).
 * *out is a NUL-terminated copy, the caller's on success only. Returns the
 * body length, or -errno: -ECONNRESET for EOF (-ENODATA when EOF came
 * cleanly between messages), -ETIMEDOUT, -EMSGSIZE.
 */
ssize_t tp_msg_recv(int fd, char **out, int timeout_ms, struct tp_error *err);

#endif
