/*
 * config.h: the receiver's config file ("receiver --config FILE").
 *
 * The file holds the same settings as the command line, one per line:
 *
 *	# comment
 *	listen = [::]:4870
 *	cert = /etc/skyferry/receiver.pem
 *	key = /etc/skyferry/receiver.key
 *	ca = /etc/skyferry/ca.pem
 *	allow = east.example, spiffe://lab/west
 *	allow = "CN with, a comma"
 *	storage-dir = /var/lib/skyferry
 *	max-sessions = 8
 *	syslog = true
 *	verbose = 1
 *
 * - keys are the long option names: listen, cert, key, ca, psk, allow,
 *   libvirt, storage-dir, max-sessions, syslog (true or false) and
 *   verbose (0 to 3); config, help and version are not keys;
 * - each key may appear once, except allow, which may repeat and whose
 *   unquoted value is a comma-separated list (blanks around items are
 *   dropped);
 * - blanks around the key, the '=' and the value are dropped; an unquoted
 *   value runs to the end of the line, so '#' only starts a comment at the
 *   start of a line;
 * - a value in double quotes is taken as written, with \" for a quote and
 *   \\ for a backslash; a quoted allow value is one identity, commas and
 *   all; nothing but blanks may follow the closing quote;
 * - lines whose first non-blank character is '#', and blank lines, are
 *   ignored; no NUL bytes, carriage returns or other control characters
 *   (tabs are blanks);
 * - the file is a regular file of at most RCV_CONFIG_MAX bytes.
 *
 * Command-line options override the file (see rcv_opts_parse()).
 */
#ifndef RCV_CONFIG_H
#define RCV_CONFIG_H

#include <stddef.h>

#include "receiver/opts.h"

#define RCV_CONFIG_MAX (64 * 1024)

/*
 * Apply len bytes of config text (which need not be NUL-terminated) to *o,
 * which the caller has set up with rcv_opts_init(). name is the file name
 * used in messages. Values are copied into o->strings. Returns 0, or
 * -EINVAL with "name:line:column: what; what to do" in err. On failure *o
 * may hold some of the file's settings.
 */
int rcv_config_parse(struct rcv_opts *o, const char *name, const char *text,
                     size_t len, char *err, size_t errlen);

/*
 * Read the config file at path and apply it to *o as rcv_config_parse()
 * does. Returns 0, -EINVAL for a malformed file or one that is not a
 * regular file, -EFBIG for one larger than RCV_CONFIG_MAX, or the negative
 * errno of a failed open or read; err names the file either way.
 */
int rcv_config_load(struct rcv_opts *o, const char *path, char *err,
                    size_t errlen);

#endif
