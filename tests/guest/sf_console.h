/*
 * Console output for the guest tools. Each call is one write(2) of one whole
 * line, so lines from concurrent tools do not interleave on the serial port.
 */
#ifndef SF_CONSOLE_H
#define SF_CONSOLE_H

/* Format one line (the caller includes the '\n') and write it to fd. */
int sf_console_printf(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
