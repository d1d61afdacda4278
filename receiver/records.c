/*
 * records.c: the receiver's session journals and post-copy records, and
 * how it settles them at start. See records.h for the format and the rules.
 */
#include "receiver/records.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypervisor/domxml.h"
#include "hypervisor/image.h"
#include "hypervisor/virt.h"
#include "receiver/log.h"

/* ----- the format ----- */

static int rcv_record_bad(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rcv_record_bad(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Copy a value of len bytes into buf (size); false if it does not fit. */
static bool rcv_record_copy(char *buf, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

enum rcv_record_key {
	RCV_KEY_PEER,
	RCV_KEY_UUID,
	RCV_KEY_NAME,
	RCV_KEY_POSTCOPY,
	RCV_KEY_DIR,
	RCV_KEY_DISK,
	RCV_KEYS
};

static const char *const rcv_record_keys[RCV_KEYS] = {
	"peer", "uuid", "name", "postcopy", "dir", "disk",
};

/* Where a key's value goes; NULL for postcopy and disk. */
static char *rcv_record_field(struct rcv_record *rec, enum rcv_record_key k,
                              size_t *size)
{
	switch (k) {
	case RCV_KEY_PEER:
		*size = sizeof(rec->peer);
		return rec->peer;
	case RCV_KEY_UUID:
		*size = sizeof(rec->uuid);
		return rec->uuid;
	case RCV_KEY_NAME:
		*size = sizeof(rec->name);
		return rec->name;
	case RCV_KEY_DIR:
		*size = sizeof(rec->dir);
		return rec->dir;
	case RCV_KEY_DISK:
		*size = sizeof(rec->disks[0]);
		return rec->n_disks < RCV_RECORD_DISKS
		           ? rec->disks[rec->n_disks]
		           : NULL;
	default:
		*size = 0;
		return NULL;
	}
}

/* A key's value, v (len bytes, printable, not empty), into rec. */
static int rcv_record_value(struct rcv_record *rec, enum rcv_record_key k,
                            const char *v, size_t len, unsigned int no,
                            char *why, size_t why_len)
{
	const char *key = rcv_record_keys[k];
	size_t size;
	char *dst;

	if (k == RCV_KEY_POSTCOPY) {
		if (len == 3 && !memcmp(v, "yes", 3))
			rec->postcopy = true;
		else if (!(len == 2 && !memcmp(v, "no", 2)))
			return rcv_record_bad(
			    why, why_len, "line %u: postcopy is not yes or no",
			    no);
		return 0;
	}
	if ((k == RCV_KEY_DIR || k == RCV_KEY_DISK) && v[0] != '/')
		return rcv_record_bad(why, why_len,
		                      "line %u: %s is not an absolute path", no,
		                      key);
	dst = rcv_record_field(rec, k, &size);
	if (!dst)
		return rcv_record_bad(why, why_len,
		                      "line %u: more than %d disks", no,
		                      RCV_RECORD_DISKS);
	if (!rcv_record_copy(dst, size, v, len))
		return rcv_record_bad(why, why_len, "line %u: %s too long", no,
		                      key);
	if (k == RCV_KEY_UUID && !hv_uuid_is_canonical(rec->uuid))
		return rcv_record_bad(why, why_len,
		                      "line %u: uuid is not canonical", no);
	if (k == RCV_KEY_DISK)
		rec->n_disks++;
	return 0;
}

/* One line, s (n bytes, no newline): "key value". */
static int rcv_record_line(struct rcv_record *rec, bool *seen, const char *s,
                           size_t n, unsigned int no, char *why, size_t why_len)
{
	const char *sp = memchr(s, ' ', n);
	size_t klen = sp ? (size_t)(sp - s) : n, i;
	int k;

	for (i = 0; i < n; i++)
		if (!isprint((unsigned char)s[i]))
			return rcv_record_bad(
			    why, why_len, "line %u: byte %zu is not printable",
			    no, i + 1);
	for (k = 0; k < RCV_KEYS; k++)
		if (strlen(rcv_record_keys[k]) == klen &&
		    !memcmp(s, rcv_record_keys[k], klen))
			break;
	if (k == RCV_KEYS)
		return rcv_record_bad(why, why_len,
		                      "line %u: unknown key '%.*s'", no,
		                      (int)(klen < 32 ? klen : 32), s);
	if (!sp || klen + 1 == n)
		return rcv_record_bad(why, why_len, "line %u: %s has no value",
		                      no, rcv_record_keys[k]);
	if (seen[k] && k != RCV_KEY_DISK)
		return rcv_record_bad(why, why_len, "line %u: a second %s", no,
		                      rcv_record_keys[k]);
	seen[k] = true;
	return rcv_record_value(rec, (enum rcv_record_key)k, sp + 1,
	                        n - klen - 1, no, why, why_len);
}

int rcv_record_parse(const char *text, size_t len, struct rcv_record *rec,
                     char *why, size_t why_len)
{
	const char *s = text, *end = text + len, *nl;
	bool seen[RCV_KEYS] = { false };
	unsigned int no = 0;
	int rc;

	memset(rec, 0, sizeof(*rec));
	if (len > RCV_RECORD_MAX)
		return rcv_record_bad(why, why_len, "longer than %d bytes",
		                      RCV_RECORD_MAX);
	while (s < end) {
		no++;
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			return rcv_record_bad(
			    why, why_len, "line %u: no newline at the end", no);
		rc = rcv_record_line(rec, seen, s, (size_t)(nl - s), no, why,
		                     why_len);
		if (rc < 0)
			return rc;
		s = nl + 1;
	}
	if (!seen[RCV_KEY_PEER])
		return rcv_record_bad(why, why_len, "no peer");
	return 0;
}

int rcv_record_write(const char *path, const struct rcv_record *rec)
{
	char tmp[4300];
	FILE *f;
	size_t i;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	fprintf(f, "peer %s\n", rec->peer);
	if (rec->uuid[0])
		fprintf(f, "uuid %s\n", rec->uuid);
	if (rec->name[0])
		fprintf(f, "name %s\n", rec->name);
	fprintf(f, "postcopy %s\n", rec->postcopy ? "yes" : "no");
	if (rec->dir[0])
		fprintf(f, "dir %s\n", rec->dir);
	for (i = 0; i < rec->n_disks; i++)
		fprintf(f, "disk %s\n", rec->disks[i]);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int rcv_record_read(const char *path, struct rcv_record *rec, char *why,
                    size_t why_len)
{
	char *text;
	size_t len;
	FILE *f;
	int rc;

	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return rc;
	}
	text = malloc(RCV_RECORD_MAX + 1);
	if (!text) {
		fclose(f);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	len = fread(text, 1, RCV_RECORD_MAX + 1, f);
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (rc == 0)
		rc = rcv_record_parse(text, len, rec, why, why_len);
	else
		snprintf(why, why_len, "%s: read error", path);
	free(text);
	return rc;
}

void rcv_postcopy_path(const char *storage_dir, const char *uuid, char *buf,
                       size_t len)
{
	snprintf(buf, len, "%s/" RCV_POSTCOPY_PREFIX "%s", storage_dir, uuid);
}

void rcv_journal_path(const char *storage_dir, const char *session_id,
                      char *buf, size_t len)
{
	snprintf(buf, len, "%s/" RCV_JOURNAL_PREFIX "%s", storage_dir,
	         session_id);
}

bool rcv_state_in_postcopy(int state, int reason)
{
	if (state == VIR_DOMAIN_RUNNING)
		return reason == VIR_DOMAIN_RUNNING_POSTCOPY ||
		       reason == VIR_DOMAIN_RUNNING_POSTCOPY_FAILED;
	return state == VIR_DOMAIN_PAUSED &&
	       (reason == VIR_DOMAIN_PAUSED_POSTCOPY ||
	        reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED);
}

/* ----- settling them at start ----- */

struct rcv_settle {
	const char *storage_dir;
	const char *run_dir;
	virConnectPtr conn;
	struct rcv_record *rec;
	char path[4200]; /* the record's file */
	char what[300];  /* "'NAME' (UUID)" */
};

/* path is in the storage directory (a child, or a child's child). */
static bool rcv_settle_inside(const struct rcv_settle *st, const char *path)
{
	size_t n = strlen(st->storage_dir);

	return !strncmp(path, st->storage_dir, n) && path[n] == '/' &&
	       !strstr(path + n, "/..") && !strstr(path + n, "/./");
}

/* The kept disks still here, "a, b", for the log. */
static void rcv_settle_disks_here(const struct rcv_record *rec, char *buf,
                                  size_t len)
{
	struct stat sb;
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < rec->n_disks && used < len; i++) {
		if (stat(rec->disks[i], &sb) != 0)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
		             rec->disks[i]);
		used += n > 0 ? (size_t)n : 0;
	}
}

/* Remove the files of a directory we made, then the directory. */
static void rcv_settle_remove_dir(const char *dir)
{
	char path[4400];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		if (errno != ENOENT)
			rcv_log(LOG_WARNING, "%s: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0)
			rcv_log(LOG_WARNING, "%s: %s", path, strerror(errno));
	}
	closedir(d);
	if (rmdir(dir) < 0)
		rcv_log(LOG_WARNING, "%s: %s", dir, strerror(errno));
}

/* What a journal's session made, none of it needed: remove it all. */
static void rcv_settle_remove(const struct rcv_settle *st, bool domain)
{
	const struct rcv_record *rec = st->rec;
	struct hv_error herr = { 0 };
	size_t i;

	if (domain && hv_domain_remove(st->conn, rec->uuid, &herr) < 0)
		rcv_log(LOG_ERR, "%s: removing it: %s", st->what, herr.msg);
	for (i = 0; i < rec->n_disks; i++) {
		if (!rcv_settle_inside(st, rec->disks[i]))
			rcv_log(LOG_WARNING, "%s: left alone, not in %s",
			        rec->disks[i], st->storage_dir);
		else if (hv_image_remove(rec->disks[i], &herr) < 0)
			rcv_log(LOG_ERR, "%s", herr.msg);
	}
	if (!rec->dir[0])
		return;
	if (!rcv_settle_inside(st, rec->dir) ||
	    strchr(rec->dir + strlen(st->storage_dir) + 1, '/'))
		rcv_log(LOG_WARNING, "%s: left alone, not a directory of %s",
		        rec->dir, st->storage_dir);
	else
		rcv_settle_remove_dir(rec->dir);
}

/* A journal left behind by a session that never finished: 1 if settled. */
static int rcv_settle_journal(struct rcv_settle *st, const char *id)
{
	struct rcv_record *rec = st->rec;
	struct hv_error herr = { 0 };
	char post[4200], sockets[4200];
	int state = 0, reason = 0, rc;
	bool here = false;

	if (rec->uuid[0]) {
		rc = hv_domain_state(st->conn, rec->uuid, &state, &reason,
		                     &herr);
		if (rc < 0 && rc != -ENOENT) {
			rcv_log(LOG_WARNING, "%s: %s; left for later", st->path,
			        herr.msg);
			return 0;
		}
		here = rc == 0;
	}
	snprintf(sockets, sizeof(sockets), "%s/%s", st->run_dir, id);
	rcv_settle_remove_dir(sockets);
	rcv_postcopy_path(st->storage_dir, rec->uuid, post, sizeof(post));
	if (rec->uuid[0] && access(post, F_OK) == 0) {
		/* A recovery's: the VM is an earlier session's, on record. */
		rcv_log(LOG_WARNING,
		        "session %s: recovering %s did not finish when the "
		        "receiver stopped; it stays as its post-copy record "
		        "says",
		        id, st->what);
	} else if (here && (rcv_state_in_postcopy(state, reason) ||
	                    (state == VIR_DOMAIN_PAUSED && rec->postcopy))) {
		rc = rcv_record_write(post, rec);
		if (rc < 0) {
			rcv_log(LOG_ERR, "%s: %s; the journal %s stays", post,
			        strerror(-rc), st->path);
			return 0;
		}
		rcv_log(LOG_WARNING,
		        "session %s: %s is here in a post-copy that did not "
		        "finish when the receiver stopped, its memory split "
		        "with the source; keeping it and its disks for "
		        "recovery by %s (migrator migrate --postcopy-resume)",
		        id, st->what, rec->peer);
	} else if (here && (state == VIR_DOMAIN_RUNNING || rec->dir[0])) {
		rcv_log(LOG_WARNING,
		        "session %s: %s %s here: its move got that far before "
		        "the receiver stopped, so it is kept with its disks",
		        id, st->what,
		        state == VIR_DOMAIN_RUNNING ? "runs" : "is defined");
	} else {
		rcv_settle_remove(st, here);
		rcv_log(LOG_WARNING,
		        "session %s (%s): the receiver stopped before it "
		        "finished and %s never ran here, so the source holds "
		        "it: removed what the session made",
		        id, rec->peer, st->what);
	}
	if (unlink(st->path) < 0)
		rcv_log(LOG_WARNING, "%s: %s", st->path, strerror(errno));
	return 1;
}

/* A post-copy record: 1 when its VM is gone and the record removed. */
static int rcv_settle_postcopy(struct rcv_settle *st, const char *uuid)
{
	const struct rcv_record *rec = st->rec;
	struct hv_error herr = { 0 };
	char disks[2048];
	int state, reason, rc;

	rc = hv_domain_state(st->conn, uuid, &state, &reason, &herr);
	if (rc == 0) {
		rcv_log(LOG_INFO,
		        "keeping %s, a post-copy that did not finish, for "
		        "recovery by %s (migrator migrate --postcopy-resume)",
		        st->what, rec->peer);
		return 0;
	}
	if (rc != -ENOENT) {
		rcv_log(LOG_WARNING, "%s: %s; left for later", st->path,
		        herr.msg);
		return 0;
	}
	if (unlink(st->path) < 0) {
		rcv_log(LOG_WARNING, "%s: %s", st->path, strerror(errno));
		return 0;
	}
	rcv_settle_disks_here(rec, disks, sizeof(disks));
	if (disks[0])
		rcv_log(LOG_WARNING,
		        "%s, kept here after a post-copy that did not finish, "
		        "is gone from libvirt: nothing is left to recover, so "
		        "its record is removed. Its disks stay, as they may "
		        "hold what it wrote after the switchover: %s; remove "
		        "them once that is no longer needed",
		        st->what, disks);
	else
		rcv_log(
		    LOG_INFO,
		    "%s, kept here after a post-copy that did not finish, "
		    "is gone from libvirt, and so are its disks: its record "
		    "is removed",
		    st->what);
	return 1;
}

/* Which kind of record a file name is, and its key (a UUID or an ID). */
static const char *rcv_record_kind(const char *name, bool *journal)
{
	const size_t plen = strlen(RCV_POSTCOPY_PREFIX);
	const size_t jlen = strlen(RCV_JOURNAL_PREFIX);
	size_t i;

	if (!strncmp(name, RCV_POSTCOPY_PREFIX, plen) &&
	    hv_uuid_is_canonical(name + plen)) {
		*journal = false;
		return name + plen;
	}
	if (strncmp(name, RCV_JOURNAL_PREFIX, jlen) != 0 ||
	    strlen(name + jlen) != 16)
		return NULL;
	for (i = jlen; name[i]; i++)
		if (!isxdigit((unsigned char)name[i]))
			return NULL;
	*journal = true;
	return name + jlen;
}

/* One record file: 1 if settled. */
static int rcv_settle_one(struct rcv_settle *st, const char *key, bool journal)
{
	char why[300];
	int rc;

	if (journal)
		rcv_journal_path(st->storage_dir, key, st->path,
		                 sizeof(st->path));
	else
		rcv_postcopy_path(st->storage_dir, key, st->path,
		                  sizeof(st->path));
	rc = rcv_record_read(st->path, st->rec, why, sizeof(why));
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		rcv_log(LOG_WARNING,
		        "%s is damaged (%s): left alone; see what it names "
		        "and remove it by hand",
		        st->path, why);
		return 0;
	}
	snprintf(st->what, sizeof(st->what), "'%s' (%s)",
	         st->rec->name[0] ? st->rec->name : "?",
	         journal ? st->rec->uuid : key);
	return journal ? rcv_settle_journal(st, key)
	               : rcv_settle_postcopy(st, key);
}

/*
 * Visit each record of storage_dir: settle it against conn, or only count
 * it (conn NULL). Journals first: one may become a post-copy record.
 */
static int rcv_records_each(const char *storage_dir, const char *run_dir,
                            virConnectPtr conn)
{
	struct rcv_settle st = { storage_dir, run_dir, conn, NULL, "", "" };
	const char *key;
	struct dirent *de;
	bool journal;
	int n = 0, pass;
	DIR *dir;

	if (conn) {
		st.rec = malloc(sizeof(*st.rec));
		if (!st.rec)
			return 0;
	}
	for (pass = 0; pass < (conn ? 2 : 1); pass++) {
		dir = opendir(storage_dir);
		if (!dir) {
			rcv_log(LOG_WARNING, "records: %s: %s", storage_dir,
			        strerror(errno));
			break;
		}
		while ((de = readdir(dir)) != NULL) {
			key = rcv_record_kind(de->d_name, &journal);
			if (!key || (conn && journal != (pass == 0)))
				continue;
			n += conn ? rcv_settle_one(&st, key, journal) : 1;
		}
		closedir(dir);
	}
	free(st.rec);
	return n;
}

int rcv_records_count(const char *storage_dir)
{
	return rcv_records_each(storage_dir, NULL, NULL);
}

int rcv_records_reconcile(const char *storage_dir, const char *run_dir,
                          virConnectPtr conn)
{
	return conn ? rcv_records_each(storage_dir, run_dir, conn) : 0;
}
