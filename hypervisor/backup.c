/*
 * backup.c: changed-block tracking with libvirt checkpoints and pull
 * backups.
 *
 * Where things live. QEMU (as the user from hv_qemu_user) must create the
 * NBD socket and open the scratch files, and nobody else may reach them:
 * each backup gets two fresh directories, owned by that user, mode 0700,
 *
 *   /run/skyferry/backup-XXXXXX/nbd.sock          (tmpfs: the socket)
 *   /var/lib/skyferry/backup-XXXXXX/TARGET.qcow2   (scratch: on disk, it
 *                                                   holds every block the
 *                                                   guest overwrites while
 *                                                   the backup runs)
 *
 * libvirt creates the scratch files and deletes them when the job ends;
 * hv_backup_end removes whatever is left and both directories.
 *
 * Checkpoint deletion, as libvirt 9.0 does it (checked in the lab):
 * virDomainCheckpointDelete removes a running domain's bitmaps through
 * QEMU. On a shut-off domain it refuses (VIR_ERR_OPERATION_UNSUPPORTED,
 * "cannot delete checkpoint for inactive domain"); only
 * VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY works there. So for a shut
 * off domain we remove each bitmap from its qcow2 with
 * `qemu-img bitmap --remove`, then the metadata. libvirt 9.0 keeps every
 * checkpoint's bitmap active, so no bitmap needs merging into another.
 */
#include "hypervisor/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "hypervisor/backup_priv.h"
#include "hypervisor/domxml.h"
#include "hypervisor/virt.h"

#define BK_RUN_DIR        "/run/skyferry"
#define BK_SCRATCH_DIR    "/var/lib/skyferry"
#define BK_SOCKET_NAME    "nbd.sock"
#define BK_PATH_MAX       128
#define BK_END_TIMEOUT_MS 30000
#define BK_CONTEXT_PREFIX "qemu:dirty-bitmap:backup-"

extern char **environ;

struct hv_backup {
	virDomainPtr dom; /* our reference */
	bool incremental;
	size_t n_targets;
	char targets[HV_BACKUP_MAX_DISKS][HV_BACKUP_TARGET_MAX + 1];
	char scratch[HV_BACKUP_MAX_DISKS][BK_PATH_MAX];
	char run_dir[BK_PATH_MAX];     /* "" until made */
	char scratch_dir[BK_PATH_MAX]; /* "" until made */
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* --- names ------------------------------------------------------------ */

static bool bk_name_chars(const char *s, size_t max, const char *extra)
{
	size_t i;

	if (!s || !s[0])
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= max)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (c && strchr(extra, c))))
			return false;
	}
	return true;
}

bool hv_checkpoint_name_is_valid(const char *name)
{
	return bk_name_chars(name, HV_CHECKPOINT_NAME_MAX,
	                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-") &&
	       name[0] != '.' && name[0] != '-';
}

bool hv_backup_target_is_valid(const char *target)
{
	return bk_name_chars(target, HV_BACKUP_TARGET_MAX, "") &&
	       target[0] >= 'a' && target[0] <= 'z';
}

/* --- XML -------------------------------------------------------------- */

/* A document under construction: the first failure latches. */
struct bk_xml {
	xmlDocPtr doc;
	bool failed;
};

/* A new element under parent (the root when parent is NULL). */
static xmlNodePtr bk_xml_node(struct bk_xml *x, xmlNodePtr parent,
                              const char *name, const char *text)
{
	xmlNodePtr n = NULL;

	if (x->failed || (!parent && !x->doc))
		goto out;
	if (parent) {
		n = xmlNewTextChild(parent, NULL, BAD_CAST name,
		                    text ? BAD_CAST text : NULL);
	} else {
		n = xmlNewDocNode(x->doc, NULL, BAD_CAST name, NULL);
		if (n)
			xmlDocSetRootElement(x->doc, n);
	}
out:
	if (!n)
		x->failed = true;
	return n;
}

/* A new document and its root element. */
static xmlNodePtr bk_xml_begin(struct bk_xml *x, const char *root)
{
	x->doc = xmlNewDoc(BAD_CAST "1.0");
	return bk_xml_node(x, NULL, root, NULL);
}

/* Set an attribute; libxml2 escapes the value when it serializes. */
static void bk_xml_prop(struct bk_xml *x, xmlNodePtr node, const char *name,
                        const char *value)
{
	if (x->failed)
		return;
	if (!xmlNewProp(node, BAD_CAST name, BAD_CAST value))
		x->failed = true;
}

/* Serialize the root element, indented; frees the document. */
static char *bk_xml_finish(struct bk_xml *x, const char *what,
                           struct hv_error *err)
{
	xmlBufferPtr buf = NULL;
	char *s = NULL;

	if (!x->failed && (buf = xmlBufferCreate()) &&
	    xmlNodeDump(buf, x->doc, xmlDocGetRootElement(x->doc), 0, 1) > 0)
		s = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	xmlFreeDoc(x->doc);
	x->doc = NULL;
	if (!s)
		hv_error_set(err, -ENOMEM, "%s XML: out of memory", what);
	return s;
}

static int bk_check_disks(const struct hv_backup_disk *disks, size_t n,
                          bool need_scratch, struct hv_error *err)
{
	char q[40];
	size_t i, j;

	if (n == 0 || n > HV_BACKUP_MAX_DISKS)
		return hv_error_set(err, -EINVAL, "backup: %zu disks (1 to %d)",
		                    n, HV_BACKUP_MAX_DISKS);
	for (i = 0; i < n; i++) {
		if (!hv_backup_target_is_valid(disks[i].target))
			return hv_error_set(
			    err, -EINVAL, "backup: bad disk target '%s'",
			    disks[i].target
			        ? hv_error_quote(disks[i].target, q, sizeof(q))
			        : "(null)");
		if (need_scratch &&
		    (!disks[i].scratch || disks[i].scratch[0] != '/'))
			return hv_error_set(err, -EINVAL,
			                    "backup: disk %s: scratch file "
			                    "must be an absolute path",
			                    disks[i].target);
		for (j = 0; j < i; j++)
			if (!strcmp(disks[i].target, disks[j].target))
				return hv_error_set(err, -EINVAL,
				                    "backup: disk %s given "
				                    "twice",
				                    disks[i].target);
	}
	return 0;
}

char *hv_backup_xml(const char *socket, const char *since,
                    const struct hv_backup_disk *disks, size_t n,
                    struct hv_error *err)
{
	struct bk_xml x = { NULL, false };
	xmlNodePtr root, node, list, disk;
	size_t i;

	if (bk_check_disks(disks, n, true, err) < 0)
		return NULL;
	if (!socket || socket[0] != '/') {
		hv_error_set(err, -EINVAL,
		             "backup: socket must be an absolute path");
		return NULL;
	}
	if (since && !hv_checkpoint_name_is_valid(since)) {
		hv_error_set(err, -EINVAL, "backup: bad checkpoint name");
		return NULL;
	}
	root = bk_xml_begin(&x, "domainbackup");
	bk_xml_prop(&x, root, "mode", "pull");
	node = bk_xml_node(&x, root, "server", NULL);
	bk_xml_prop(&x, node, "transport", "unix");
	bk_xml_prop(&x, node, "socket", socket);
	if (since)
		bk_xml_node(&x, root, "incremental", since);
	list = bk_xml_node(&x, root, "disks", NULL);
	for (i = 0; i < n; i++) {
		disk = bk_xml_node(&x, list, "disk", NULL);
		bk_xml_prop(&x, disk, "name", disks[i].target);
		bk_xml_prop(&x, disk, "backup", "yes");
		bk_xml_prop(&x, disk, "type", "file");
		node = bk_xml_node(&x, disk, "driver", NULL);
		bk_xml_prop(&x, node, "type", "qcow2");
		node = bk_xml_node(&x, disk, "scratch", NULL);
		bk_xml_prop(&x, node, "file", disks[i].scratch);
	}
	return bk_xml_finish(&x, "backup", err);
}

char *hv_checkpoint_xml(const char *name, const struct hv_backup_disk *disks,
                        size_t n, struct hv_error *err)
{
	struct bk_xml x = { NULL, false };
	xmlNodePtr root, list, disk;
	size_t i;

	if (bk_check_disks(disks, n, false, err) < 0)
		return NULL;
	if (!hv_checkpoint_name_is_valid(name)) {
		hv_error_set(err, -EINVAL, "checkpoint: bad name");
		return NULL;
	}
	root = bk_xml_begin(&x, "domaincheckpoint");
	bk_xml_node(&x, root, "name", name);
	list = bk_xml_node(&x, root, "disks", NULL);
	for (i = 0; i < n; i++) {
		disk = bk_xml_node(&x, list, "disk", NULL);
		bk_xml_prop(&x, disk, "name", disks[i].target);
		bk_xml_prop(&x, disk, "checkpoint", "bitmap");
	}
	return bk_xml_finish(&x, "checkpoint", err);
}

static const xmlNode *bk_xml_child(const xmlNode *parent, const char *name)
{
	const xmlNode *c;

	for (c = parent ? parent->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(c->name, BAD_CAST name))
			return c;
	return NULL;
}

/* Copy a valid name into buf (size HV_CHECKPOINT_NAME_MAX + 1 or more). */
static int bk_copy_name(xmlChar *value, bool target, char *buf, size_t len)
{
	const char *s = (const char *)value;
	int rc = 0;

	if (!s ||
	    !(target ? hv_backup_target_is_valid(s)
	             : hv_checkpoint_name_is_valid(s)) ||
	    strlen(s) >= len)
		rc = -EINVAL;
	else
		strcpy(buf, s);
	xmlFree(value);
	return rc;
}

int hv_checkpoint_xml_bitmaps(const char *xml, struct hv_checkpoint_bitmap *out,
                              size_t max, size_t *n, struct hv_error *err)
{
	char chk_name[HV_CHECKPOINT_NAME_MAX + 1];
	const xmlNode *root, *list, *c;
	xmlDocPtr doc = NULL;
	size_t len = xml ? strlen(xml) : 0;
	int rc = 0;

	*n = 0;
	if (len == 0 || len > HV_CHECKPOINT_XML_MAX)
		return hv_error_set(err, -EINVAL,
		                    "checkpoint XML: %zu bytes (1 to %u)", len,
		                    HV_CHECKPOINT_XML_MAX);
	doc = xmlReadMemory(xml, (int)len, "checkpoint.xml", NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR |
	                        XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || doc->intSubset ||
	    !xmlStrEqual(root->name, BAD_CAST "domaincheckpoint")) {
		rc = hv_error_set(err, -EINVAL,
		                  "checkpoint XML: not a <domaincheckpoint>");
		goto out;
	}
	c = bk_xml_child(root, "name");
	if (!c || bk_copy_name(xmlNodeGetContent(c), false, chk_name,
	                       sizeof(chk_name)) < 0) {
		rc = hv_error_set(err, -EINVAL,
		                  "checkpoint XML: missing or bad <name>");
		goto out;
	}
	list = bk_xml_child(root, "disks");
	for (c = list ? list->children : NULL; c; c = c->next) {
		xmlChar *type;
		bool bitmap;

		if (c->type != XML_ELEMENT_NODE ||
		    !xmlStrEqual(c->name, BAD_CAST "disk"))
			continue;
		type = xmlGetProp(c, BAD_CAST "checkpoint");
		bitmap = type && xmlStrEqual(type, BAD_CAST "bitmap");
		xmlFree(type);
		if (!bitmap)
			continue;
		if (*n == max) {
			rc = hv_error_set(err, -E2BIG,
			                  "checkpoint %s: more than %zu disks",
			                  chk_name, max);
			goto out;
		}
		if (bk_copy_name(xmlGetProp(c, BAD_CAST "name"), true,
		                 out[*n].target, sizeof(out[*n].target)) < 0) {
			rc = hv_error_set(err, -EINVAL,
			                  "checkpoint %s: a disk has a missing "
			                  "or bad name",
			                  chk_name);
			goto out;
		}
		strcpy(out[*n].bitmap, chk_name);
		if (xmlHasProp(c, BAD_CAST "bitmap") &&
		    bk_copy_name(xmlGetProp(c, BAD_CAST "bitmap"), false,
		                 out[*n].bitmap, sizeof(out[*n].bitmap)) < 0) {
			rc = hv_error_set(err, -EINVAL,
			                  "checkpoint %s: disk %s has a bad "
			                  "bitmap name",
			                  chk_name, out[*n].target);
			goto out;
		}
		(*n)++;
	}
out:
	if (rc < 0)
		*n = 0;
	xmlFreeDoc(doc);
	return rc;
}

/* --- the domain's disks ----------------------------------------------- */

/* The domain's XML, parsed. *out is the caller's on success only. */
static int bk_domain_read(virDomainPtr dom, unsigned int flags,
                          struct hv_domain **out, struct hv_error *err)
{
	struct hv_domain *d = NULL;
	char *xml = virDomainGetXMLDesc(dom, flags);
	int rc;

	if (!xml)
		return hv_virt_error(err, -EIO, "domain XML");
	d = calloc(1, sizeof(*d));
	if (!d)
		rc = hv_error_set(err, -ENOMEM, "domain XML: out of memory");
	else
		rc = hv_domxml_parse(xml, strlen(xml), d, err);
	free(xml);
	if (rc < 0) {
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

static void bk_domain_free(struct hv_domain *d)
{
	hv_domain_clear(d);
	free(d);
}

static const struct hv_disk *bk_domain_disk(const struct hv_domain *d,
                                            const char *target)
{
	size_t i;

	for (i = 0; i < d->n_disks; i++)
		if (!strcmp(d->disks[i].target, target))
			return &d->disks[i];
	return NULL;
}

/* Every target is a qcow2 disk of the domain. */
static int bk_check_qcow2(virDomainPtr dom, const char *const *targets,
                          size_t n, struct hv_error *err)
{
	struct hv_domain *d = NULL;
	const struct hv_disk *disk;
	size_t i;
	int rc;

	rc = bk_domain_read(dom, 0, &d, err);
	for (i = 0; rc == 0 && i < n; i++) {
		disk = bk_domain_disk(d, targets[i]);
		if (!disk)
			rc = hv_error_set(err, -ENOENT,
			                  "backup: domain %s has no disk %s",
			                  d->name, targets[i]);
		else if (strcmp(disk->format, "qcow2"))
			rc = hv_error_set(err, -ENOTSUP,
			                  "backup: disk %s is %s, not qcow2: "
			                  "only qcow2 disks keep the bitmaps "
			                  "that track changed blocks",
			                  targets[i],
			                  disk->format[0] ? disk->format
			                                  : "of no format");
	}
	if (d)
		bk_domain_free(d);
	return rc;
}

/* --- private directories ---------------------------------------------- */

/* A fresh directory under parent that only QEMU's user (and root) reach. */
static int bk_private_dir(const char *parent, char *buf, size_t len,
                          struct hv_error *err)
{
	uid_t uid;
	gid_t gid;
	int rc;

	if (mkdir(parent, 0755) < 0 && errno != EEXIST)
		return hv_error_set(err, -errno, "backup: mkdir %s: %s", parent,
		                    strerror(errno));
	if ((size_t)snprintf(buf, len, "%s/backup-XXXXXX", parent) >= len)
		return hv_error_set(err, -ENAMETOOLONG, "backup: %s: too long",
		                    parent);
	if (!mkdtemp(buf)) {
		rc = hv_error_set(err, -errno, "backup: mkdtemp in %s: %s",
		                  parent, strerror(errno));
		buf[0] = '\0';
		return rc;
	}
	hv_qemu_user(&uid, &gid);
	if (chown(buf, uid, gid) < 0 || chmod(buf, 0700) < 0) {
		rc = hv_error_set(err, -errno, "backup: chown %s: %s", buf,
		                  strerror(errno));
		rmdir(buf);
		buf[0] = '\0';
		return rc;
	}
	return 0;
}

/* Remove a directory we made and whatever QEMU or libvirt left in it. */
static void bk_dir_remove(char *dir)
{
	char path[BK_PATH_MAX + NAME_MAX + 2];
	struct dirent *e;
	DIR *d;

	if (!dir[0])
		return;
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	dir[0] = '\0';
}

static void bk_free(struct hv_backup *b)
{
	int saved_errno = errno;

	if (!b)
		return;
	bk_dir_remove(b->run_dir);
	bk_dir_remove(b->scratch_dir);
	if (b->dom)
		virDomainFree(b->dom);
	free(b);
	errno = saved_errno;
}

/* --- backups ---------------------------------------------------------- */

static int bk_targets_copy(struct hv_backup *b, const char *const *targets,
                           size_t n, struct hv_error *err)
{
	struct hv_backup_disk disks[HV_BACKUP_MAX_DISKS];
	size_t i;

	if (n == 0 || n > HV_BACKUP_MAX_DISKS || !targets)
		return hv_error_set(err, -EINVAL, "backup: %zu disks (1 to %d)",
		                    n, HV_BACKUP_MAX_DISKS);
	for (i = 0; i < n; i++) {
		disks[i].target = targets[i];
		disks[i].scratch = NULL;
	}
	if (bk_check_disks(disks, n, false, err) < 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		strcpy(b->targets[i], targets[i]);
	b->n_targets = n;
	return 0;
}

static int bk_paths_make(struct hv_backup *b, struct hv_backup_disk *disks,
                         struct hv_error *err)
{
	size_t i;
	int rc;

	rc = bk_private_dir(BK_RUN_DIR, b->run_dir, sizeof(b->run_dir), err);
	if (rc == 0)
		rc = bk_private_dir(BK_SCRATCH_DIR, b->scratch_dir,
		                    sizeof(b->scratch_dir), err);
	if (rc < 0)
		return rc;
	if ((size_t)snprintf(b->socket, sizeof(b->socket), "%s/%s", b->run_dir,
	                     BK_SOCKET_NAME) >= sizeof(b->socket))
		return hv_error_set(err, -ENAMETOOLONG,
		                    "backup: socket path too long");
	for (i = 0; i < b->n_targets; i++) {
		if ((size_t)snprintf(b->scratch[i], sizeof(b->scratch[i]),
		                     "%s/%s.qcow2", b->scratch_dir,
		                     b->targets[i]) >= sizeof(b->scratch[i]))
			return hv_error_set(err, -ENAMETOOLONG,
			                    "backup: scratch path too long");
		disks[i].target = b->targets[i];
		disks[i].scratch = b->scratch[i];
	}
	return 0;
}

int hv_backup_begin(virDomainPtr dom, const char *const *targets,
                    size_t n_targets, const char *since, const char *checkpoint,
                    struct hv_backup **out, struct hv_error *err)
{
	struct hv_backup_disk disks[HV_BACKUP_MAX_DISKS];
	char *backup_xml = NULL, *checkpoint_xml = NULL;
	struct hv_error xml_err = { -ENOMEM, "out of memory" };
	struct hv_backup *b = NULL;
	int rc;

	if ((since && !hv_checkpoint_name_is_valid(since)) ||
	    !hv_checkpoint_name_is_valid(checkpoint))
		return hv_error_set(err, -EINVAL,
		                    "backup: bad checkpoint name");
	b = calloc(1, sizeof(*b));
	if (!b)
		return hv_error_set(err, -ENOMEM, "backup: out of memory");
	rc = bk_targets_copy(b, targets, n_targets, err);
	if (rc < 0)
		goto out;
	if (virDomainIsActive(dom) != 1) {
		rc = hv_error_set(err, -EINVAL,
		                  "backup: domain %s is not running",
		                  virDomainGetName(dom));
		goto out;
	}
	rc = bk_check_qcow2(dom, targets, n_targets, err);
	if (rc == 0)
		rc = bk_paths_make(b, disks, err);
	if (rc < 0)
		goto out;
	backup_xml =
	    hv_backup_xml(b->socket, since, disks, b->n_targets, &xml_err);
	checkpoint_xml = backup_xml ? hv_checkpoint_xml(checkpoint, disks,
	                                                b->n_targets, &xml_err)
	                            : NULL;
	if (!checkpoint_xml) {
		rc = hv_error_set(err, xml_err.code, "%s", xml_err.msg);
		goto out;
	}
	if (virDomainBackupBegin(dom, backup_xml, checkpoint_xml, 0) < 0) {
		rc = hv_virt_error(err,
		                   virGetLastErrorCode() ==
		                           VIR_ERR_NO_DOMAIN_CHECKPOINT
		                       ? -ENOENT
		                       : -EIO,
		                   "backup begin");
		goto out;
	}
	virDomainRef(dom);
	b->dom = dom;
	b->incremental = since != NULL;
	*out = b;
	b = NULL;
out:
	free(backup_xml);
	free(checkpoint_xml);
	bk_free(b);
	return rc;
}

static ssize_t bk_target_index(const struct hv_backup *b, const char *target)
{
	size_t i;

	for (i = 0; target && i < b->n_targets; i++)
		if (!strcmp(b->targets[i], target))
			return (ssize_t)i;
	return -1;
}

int hv_backup_uri(const struct hv_backup *b, const char *target, char *buf,
                  size_t len, struct hv_error *err)
{
	if (bk_target_index(b, target) < 0)
		return hv_error_set(err, -ENOENT,
		                    "backup: disk %s is not in this backup",
		                    target ? target : "(null)");
	if ((size_t)snprintf(buf, len, "nbd+unix:///%s?socket=%s", target,
	                     b->socket) >= len)
		return hv_error_set(err, -ENOSPC,
		                    "backup: URI buffer too small");
	return 0;
}

const char *hv_backup_bitmap_context(const struct hv_backup *b,
                                     const char *target, char *buf, size_t len)
{
	if (!b->incremental || bk_target_index(b, target) < 0 ||
	    (size_t)snprintf(buf, len, BK_CONTEXT_PREFIX "%s", target) >= len)
		return NULL;
	return buf;
}

/* Is our backup job (the one serving on our socket) still there? */
static bool bk_job_running(const struct hv_backup *b)
{
	char *xml = virDomainBackupGetXMLDesc(b->dom, 0);
	bool ours = xml && strstr(xml, b->socket);

	free(xml);
	virResetLastError();
	return ours;
}

int hv_backup_end(struct hv_backup *b, struct hv_error *err)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	int rc = 0, waited_ms = 0;

	if (!b)
		return 0;
	/* Abort only our own job: another job may have replaced it. */
	if (bk_job_running(b) && virDomainAbortJob(b->dom) < 0 &&
	    bk_job_running(b))
		rc = hv_virt_error(err, -EIO, "backup end");
	/* libvirt ends the job when QEMU's block jobs conclude. */
	while (rc == 0 && bk_job_running(b)) {
		if (waited_ms >= BK_END_TIMEOUT_MS) {
			rc = hv_error_set(err, -ETIMEDOUT,
			                  "backup end: the job still runs "
			                  "after %d s",
			                  BK_END_TIMEOUT_MS / 1000);
			break;
		}
		nanosleep(&tick, NULL);
		waited_ms += 50;
	}
	/* With the job still there, its scratch files must stay. */
	if (rc < 0) {
		b->run_dir[0] = '\0';
		b->scratch_dir[0] = '\0';
	}
	bk_free(b);
	return rc;
}

/* --- checkpoints ------------------------------------------------------ */

/* Run argv quietly; the first line of its stderr goes to msg. */
static int bk_run(char *const argv[], char *msg, size_t msglen)
{
	posix_spawn_file_actions_t actions;
	int fds[2], status = 0, rc;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	msg[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
	                                 O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
	                                 O_RDONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		snprintf(msg, msglen, "cannot run %s: %s", argv[0],
		         strerror(rc));
		return -rc;
	}
	do {
		n = read(fds[0], msg + got, msglen - 1 - got);
		if (n > 0)
			got += (size_t)n;
	} while ((n > 0 || (n < 0 && errno == EINTR)) && got + 1 < msglen);
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Remove one persistent bitmap from a qcow2 image not in use. */
static int bk_bitmap_remove(const struct hv_disk *disk, const char *bitmap,
                            struct hv_error *err)
{
	char *argv[] = { "qemu-img", "bitmap",       "--remove",
		         "-f",       "qcow2",        (char *)disk->source,
		         "--",       (char *)bitmap, NULL };
	char msg[256];
	int rc;

	if (strcmp(disk->format, "qcow2") ||
	    (strcmp(disk->type, "file") && strcmp(disk->type, "block")) ||
	    disk->source[0] != '/')
		return hv_error_set(err, -ENOTSUP,
		                    "checkpoint: cannot remove bitmap %s from "
		                    "disk %s (%s %s)",
		                    bitmap, disk->target, disk->type,
		                    disk->format);
	rc = bk_run(argv, msg, sizeof(msg));
	/* Already gone, e.g. an earlier attempt stopped half way. */
	if (rc < 0 && strstr(msg, "not found"))
		rc = 0;
	if (rc < 0)
		return hv_error_set(
		    err, rc, "qemu-img bitmap --remove %s %s: %s", disk->source,
		    bitmap, msg[0] ? msg : strerror(-rc));
	return 0;
}

/* A shut-off domain's checkpoint: bitmaps with qemu-img, then metadata. */
static int bk_checkpoint_delete_offline(virDomainPtr dom,
                                        virDomainCheckpointPtr chk,
                                        struct hv_error *err)
{
	struct hv_checkpoint_bitmap bitmaps[HV_MAX_DISKS];
	struct hv_domain *d = NULL;
	const struct hv_disk *disk;
	char *xml;
	size_t i, n = 0;
	int rc;

	xml = virDomainCheckpointGetXMLDesc(
	    chk, VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN);
	if (!xml)
		return hv_virt_error(err, -EIO, "checkpoint XML");
	rc = hv_checkpoint_xml_bitmaps(xml, bitmaps, HV_MAX_DISKS, &n, err);
	free(xml);
	if (rc == 0)
		rc = bk_domain_read(dom, VIR_DOMAIN_XML_INACTIVE, &d, err);
	for (i = 0; rc == 0 && i < n; i++) {
		disk = bk_domain_disk(d, bitmaps[i].target);
		/* A disk detached since has taken its bitmap with it. */
		if (disk)
			rc = bk_bitmap_remove(disk, bitmaps[i].bitmap, err);
	}
	if (d)
		bk_domain_free(d);
	if (rc == 0 && virDomainCheckpointDelete(
	                   chk, VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY) < 0)
		rc = hv_virt_error(err, -EIO, "checkpoint delete");
	return rc;
}

static int bk_checkpoint_delete(virDomainPtr dom, virDomainCheckpointPtr chk,
                                struct hv_error *err)
{
	char what[HV_CHECKPOINT_NAME_MAX + 32];

	if (virDomainCheckpointDelete(chk, 0) == 0)
		return 0;
	if (virGetLastErrorCode() == VIR_ERR_OPERATION_UNSUPPORTED &&
	    virDomainIsActive(dom) == 0) {
		virResetLastError();
		return bk_checkpoint_delete_offline(dom, chk, err);
	}
	snprintf(what, sizeof(what), "delete checkpoint %.*s",
	         HV_CHECKPOINT_NAME_MAX, virDomainCheckpointGetName(chk));
	return hv_virt_error(err, -EIO, what);
}

int hv_checkpoint_delete_prefix(virDomainPtr dom, const char *prefix,
                                struct hv_error *err)
{
	virDomainCheckpointPtr *list = NULL;
	const char *name;
	int i, n, rc = 0;

	if (!prefix)
		return hv_error_set(err, -EINVAL, "checkpoint: no prefix");
	/* Parents come before children: walk backwards, newest first. */
	n = virDomainListAllCheckpoints(dom, &list,
	                                VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL);
	if (n < 0)
		return hv_virt_error(err, -EIO, "checkpoint list");
	for (i = n - 1; i >= 0; i--) {
		name = virDomainCheckpointGetName(list[i]);
		if (rc == 0 && name && !strncmp(name, prefix, strlen(prefix)))
			rc = bk_checkpoint_delete(dom, list[i], err);
		virDomainCheckpointFree(list[i]);
	}
	free(list);
	return rc;
}
