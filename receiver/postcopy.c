/*
 * postcopy.c: the receiver's records of post-copies that did not finish.
 * See postcopy.h for the format.
 */
#include "receiver/postcopy.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypervisor/domxml.h"
#include "hypervisor/virt.h"
#include "receiver/log.h"

void rcv_postcopy_path(const char *storage_dir, const char *uuid, char *buf,
                       size_t len)
{
	snprintf(buf, len, "%s/" RCV_POSTCOPY_PREFIX "%s", storage_dir, uuid);
}

int rcv_postcopy_write(const char *storage_dir, const char *uuid,
                       const char *peer, const char *name,
                       const char *const *disks, size_t n_disks)
{
	char path[4200];
	FILE *f;
	size_t i;
	int fd, rc = 0;

	rcv_postcopy_path(storage_dir, uuid, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		return rc;
	}
	fprintf(f, "%s\nname %s\n", peer, name);
	for (i = 0; i < n_disks; i++)
		fprintf(f, "disk %s\n", disks[i]);
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

static int rcv_postcopy_bad(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rcv_postcopy_bad(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Copy a line's value (len bytes, printable) into buf; false if too long. */
static bool rcv_postcopy_copy(char *buf, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

/* One line after the peer's: "name X" or "disk /PATH". */
static int rcv_postcopy_line(struct rcv_postcopy_rec *rec, bool *named,
                             const char *s, size_t len, unsigned int no,
                             char *why, size_t why_len)
{
	if (len > 5 && !strncmp(s, "name ", 5)) {
		if (*named)
			return rcv_postcopy_bad(why, why_len,
			                        "line %u: a second name", no);
		*named = true;
		if (!rcv_postcopy_copy(rec->name, sizeof(rec->name), s + 5,
		                       len - 5))
			return rcv_postcopy_bad(why, why_len,
			                        "line %u: name too long", no);
		return 0;
	}
	if (len > 5 && !strncmp(s, "disk ", 5)) {
		if (s[5] != '/')
			return rcv_postcopy_bad(
			    why, why_len,
			    "line %u: disk is not an absolute path", no);
		if (rec->n_disks == RCV_POSTCOPY_DISKS)
			return rcv_postcopy_bad(why, why_len,
			                        "line %u: more than %d disks",
			                        no, RCV_POSTCOPY_DISKS);
		if (!rcv_postcopy_copy(rec->disks[rec->n_disks],
		                       sizeof(rec->disks[0]), s + 5, len - 5))
			return rcv_postcopy_bad(
			    why, why_len, "line %u: disk path too long", no);
		rec->n_disks++;
		return 0;
	}
	return rcv_postcopy_bad(
	    why, why_len, "line %u: expected 'name NAME' or 'disk PATH'", no);
}

int rcv_postcopy_parse(const char *text, size_t len,
                       struct rcv_postcopy_rec *rec, char *why, size_t why_len)
{
	const char *s = text, *end = text + len, *nl;
	unsigned int no = 0;
	bool named = false;
	size_t i, n;
	int rc;

	memset(rec, 0, sizeof(*rec));
	if (len > RCV_POSTCOPY_MAX)
		return rcv_postcopy_bad(why, why_len, "longer than %d bytes",
		                        RCV_POSTCOPY_MAX);
	while (s < end) {
		no++;
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			return rcv_postcopy_bad(
			    why, why_len, "line %u: no newline at the end", no);
		n = (size_t)(nl - s);
		for (i = 0; i < n; i++)
			if (!isprint((unsigned char)s[i]))
				return rcv_postcopy_bad(
				    why, why_len,
				    "line %u: byte %zu is not printable", no,
				    i + 1);
		if (no == 1) {
			if (n == 0 || !rcv_postcopy_copy(
			                  rec->peer, sizeof(rec->peer), s, n))
				return rcv_postcopy_bad(
				    why, why_len,
				    "line 1: the peer is empty or too long");
		} else {
			rc = rcv_postcopy_line(rec, &named, s, n, no, why,
			                       why_len);
			if (rc < 0)
				return rc;
		}
		s = nl + 1;
	}
	if (no == 0)
		return rcv_postcopy_bad(why, why_len, "empty: no peer");
	return 0;
}

int rcv_postcopy_read(const char *storage_dir, const char *uuid,
                      struct rcv_postcopy_rec *rec, char *why, size_t why_len)
{
	char path[4200], *text;
	size_t len;
	FILE *f;
	int rc;

	rcv_postcopy_path(storage_dir, uuid, path, sizeof(path));
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return rc;
	}
	text = malloc(RCV_POSTCOPY_MAX + 1);
	if (!text) {
		fclose(f);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	len = fread(text, 1, RCV_POSTCOPY_MAX + 1, f);
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (rc == 0)
		rc = rcv_postcopy_parse(text, len, rec, why, why_len);
	else
		snprintf(why, why_len, "%s: read error", path);
	free(text);
	return rc;
}

/* The kept disks still here, "a, b", for the log. */
static void rcv_postcopy_disks_here(const struct rcv_postcopy_rec *rec,
                                    char *buf, size_t len)
{
	struct stat st;
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < rec->n_disks && used < len; i++) {
		if (stat(rec->disks[i], &st) != 0)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
		             rec->disks[i]);
		used += n > 0 ? (size_t)n : 0;
	}
}

/* One record: 1 when removed, 0 when kept (or left for later). */
static int rcv_postcopy_check(const char *storage_dir, const char *uuid,
                              virConnectPtr conn, struct rcv_postcopy_rec *rec)
{
	struct hv_error herr = { 0 };
	char path[4200], why[300], disks[2048];
	const char *name;
	int state, reason, rc;

	rcv_postcopy_path(storage_dir, uuid, path, sizeof(path));
	rc = rcv_postcopy_read(storage_dir, uuid, rec, why, sizeof(why));
	if (rc < 0) {
		rcv_log(LOG_WARNING,
		        "post-copy record %s is damaged (%s): left alone; "
		        "remove it if no VM %s is kept here",
		        path, why, uuid);
		return 0;
	}
	name = rec->name[0] ? rec->name : "?";
	rc = hv_domain_state(conn, uuid, &state, &reason, &herr);
	if (rc == 0) {
		rcv_log(
		    LOG_INFO,
		    "keeping '%s' (%s), a post-copy that did not finish, "
		    "for recovery by %s (migrator migrate --postcopy-resume)",
		    name, uuid, rec->peer);
		return 0;
	}
	if (rc != -ENOENT) {
		rcv_log(LOG_WARNING, "post-copy record %s: %s; left for later",
		        path, herr.msg);
		return 0;
	}
	if (unlink(path) < 0) {
		rcv_log(LOG_WARNING, "post-copy record %s: remove: %s", path,
		        strerror(errno));
		return 0;
	}
	rcv_postcopy_disks_here(rec, disks, sizeof(disks));
	if (disks[0])
		rcv_log(LOG_WARNING,
		        "'%s' (%s), kept here after a post-copy that did not "
		        "finish, is gone from libvirt: nothing is left to "
		        "recover, so its record is removed. Its disks stay, as "
		        "they may hold what it wrote after the switchover: %s; "
		        "remove them once that is no longer needed",
		        name, uuid, disks);
	else
		rcv_log(LOG_INFO,
		        "'%s' (%s), kept here after a post-copy that did not "
		        "finish, is gone from libvirt, and so are its disks: "
		        "its record is removed",
		        name, uuid);
	return 1;
}

/* The UUID of a record's file name, or NULL for any other file. */
static const char *rcv_postcopy_uuid(const struct dirent *de)
{
	const size_t plen = strlen(RCV_POSTCOPY_PREFIX);

	if (strncmp(de->d_name, RCV_POSTCOPY_PREFIX, plen) != 0 ||
	    !hv_uuid_is_canonical(de->d_name + plen))
		return NULL;
	return de->d_name + plen;
}

/* Visit each record (conn NULL: only count them); what visits return. */
static int rcv_postcopy_each(const char *storage_dir, virConnectPtr conn)
{
	struct rcv_postcopy_rec *rec = NULL;
	struct dirent *de;
	const char *uuid;
	int n = 0;
	DIR *dir;

	if (conn) {
		rec = malloc(sizeof(*rec));
		if (!rec)
			return 0;
	}
	dir = opendir(storage_dir);
	if (!dir) {
		rcv_log(LOG_WARNING, "post-copy records: %s: %s", storage_dir,
		        strerror(errno));
		free(rec);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		uuid = rcv_postcopy_uuid(de);
		if (uuid)
			n += conn ? rcv_postcopy_check(storage_dir, uuid, conn,
			                               rec)
			          : 1;
	}
	closedir(dir);
	free(rec);
	return n;
}

int rcv_postcopy_count(const char *storage_dir)
{
	return rcv_postcopy_each(storage_dir, NULL);
}

int rcv_postcopy_reconcile(const char *storage_dir, virConnectPtr conn)
{
	return conn ? rcv_postcopy_each(storage_dir, conn) : 0;
}
