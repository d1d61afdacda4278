/*
 * Error object shared by the guest and lab tools. Library code fills it and
 * never prints; only *_main.c decides what to do with the message.
 */
#ifndef SF_ERR_H
#define SF_ERR_H

struct sf_err {
	char msg[256];
};

/* Format a message into err. A NULL err is allowed and ignored. */
void sf_err_set(struct sf_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
