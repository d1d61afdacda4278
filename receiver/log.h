/*
 * log.h: the receiver's log: stderr (with a timestamp) or syslog.
 */
#ifndef RCV_LOG_H
#define RCV_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* to_syslog: use syslog(3) as "skyferry-receiver"; verbose: 0 shows
 * LOG_INFO and above, 1 and more LOG_DEBUG too. */
void rcv_log_init(bool to_syslog, int verbose);

void rcv_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
