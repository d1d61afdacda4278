/*
 * nbdexport.c: serve one image with qemu-nbd on a private unix socket.
 *
 * qemu-nbd runs in the foreground as our child (no --fork), so we always
 * know its pid: hv_export_stop sends it SIGTERM and reaps it. Flags:
 *   --format=FMT      never let qemu probe the format of an image;
 *   --persistent      a probe or a second client does not end the server;
 *   --shared=1        one client at a time: never two writers;
 *   --cache=writeback qemu-nbd's default, stated: O_DIRECT (none) fails on
 *                     tmpfs, and the receiver flushes before it reports;
 *   --read-only, or --discard=unmap so ZERO records may punch holes;
 *   --bitmap=NAME     exposes qemu:dirty-bitmap:NAME for a delta.
 * Its stderr goes to a file in the private directory; the first line names
 * the failure when it exits early or badly.
 */
#include "hypervisor/nbdexport.h"

#include <errno.h>
#include <fcntl.h>
#include <libnbd.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define HV_EXPORT_RUN_DIR    "/run/skyferry"
#define HV_EXPORT_START_MS   10000
#define HV_EXPORT_STOP_MS    60000
#define HV_EXPORT_POLL_MS    20
#define HV_EXPORT_SOCKET_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))

struct hv_export {
	pid_t pid; /* qemu-nbd, -1 once reaped */
	char dir[HV_EXPORT_SOCKET_MAX];
	char socket[HV_EXPORT_SOCKET_MAX];
	char errlog[HV_EXPORT_SOCKET_MAX + 16];
	char uri[3 * HV_EXPORT_SOCKET_MAX + 32];
};

static void hv_export_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Make a fresh 0700 directory: under /run/skyferry as root, else $TMPDIR. */
static int hv_export_mkdir(struct hv_export *exp, struct hv_error *err)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if ((mkdir(HV_EXPORT_RUN_DIR, 0700) == 0 || errno == EEXIST) &&
	    lstat(HV_EXPORT_RUN_DIR, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && !(st.st_mode & 022)) {
		snprintf(exp->dir, sizeof(exp->dir),
		         HV_EXPORT_RUN_DIR "/nbd-XXXXXX");
		if (mkdtemp(exp->dir))
			return 0;
	}
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	if (snprintf(exp->dir, sizeof(exp->dir), "%s/skyferry-nbd-XXXXXX",
	             tmp) >= (int)sizeof(exp->dir))
		return hv_error_set(err, -ENAMETOOLONG,
		                    "nbd export: TMPDIR is too long");
	if (!mkdtemp(exp->dir))
		return hv_error_set(err, -errno,
		                    "nbd export: cannot make a directory in "
		                    "%s: %s",
		                    tmp, strerror(errno));
	return 0;
}

/* "nbd+unix:///?socket=PATH", PATH percent-encoded where it must be. */
static void hv_export_make_uri(struct hv_export *exp)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = (size_t)snprintf(exp->uri, sizeof(exp->uri),
	                            "nbd+unix:///?socket=");
	const unsigned char *s;

	for (s = (const unsigned char *)exp->socket; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("/-._~", *s)) {
			exp->uri[n++] = (char)*s;
		} else {
			exp->uri[n++] = '%';
			exp->uri[n++] = hex[*s >> 4];
			exp->uri[n++] = hex[*s & 15];
		}
	}
	exp->uri[n] = '\0';
}

/* The first line of qemu-nbd's stderr, or "" . */
static const char *hv_export_errline(const struct hv_export *exp, char *buf,
                                     size_t size)
{
	char raw[HV_ERROR_MSG_MAX];
	ssize_t n = -1;
	int fd = open(exp->errlog, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, raw, sizeof(raw) - 1);
		close(fd);
	}
	raw[n > 0 ? n : 0] = '\0';
	return hv_error_quote(raw, buf, size);
}

/* Why qemu-nbd ended, from its wait status and stderr. */
static int hv_export_died(const struct hv_export *exp, int status,
                          const char *when, struct hv_error *err)
{
	char line[160];

	hv_export_errline(exp, line, sizeof(line));
	if (WIFSIGNALED(status))
		return hv_error_set(
		    err, -EIO, "qemu-nbd %s: killed by signal %d%s%s", when,
		    WTERMSIG(status), line[0] ? ": " : "", line);
	return hv_error_set(err, -EIO, "qemu-nbd %s: exit status %d%s%s", when,
	                    WEXITSTATUS(status), line[0] ? ": " : "", line);
}

static int hv_export_spawn(struct hv_export *exp, const char *image,
                           enum hv_img_format format, unsigned int flags,
                           const char *bitmap, struct hv_error *err)
{
	char fmt_arg[32], sock_arg[HV_EXPORT_SOCKET_MAX + 16],
	    bitmap_arg[PATH_MAX], path[PATH_MAX];
	char *argv[12];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	int argc = 0, rc, logfd;

	/* A relative name could read as a protocol ("nbd:x"): anchor it. */
	if (snprintf(path, sizeof(path), "%s%s", image[0] == '/' ? "" : "./",
	             image) >= (int)sizeof(path) ||
	    (bitmap && strlen(bitmap) + 16 > sizeof(bitmap_arg)))
		return hv_error_set(err, -ENAMETOOLONG,
		                    "nbd export: name too long");
	snprintf(fmt_arg, sizeof(fmt_arg), "--format=%s",
	         hv_img_format_name(format));
	snprintf(sock_arg, sizeof(sock_arg), "--socket=%s", exp->socket);
	argv[argc++] = "qemu-nbd";
	argv[argc++] = fmt_arg;
	argv[argc++] = sock_arg;
	argv[argc++] = "--persistent";
	argv[argc++] = "--shared=1";
	argv[argc++] = "--cache=writeback";
	argv[argc++] =
	    flags & HV_EXPORT_WRITABLE ? "--discard=unmap" : "--read-only";
	if (bitmap) {
		snprintf(bitmap_arg, sizeof(bitmap_arg), "--bitmap=%s", bitmap);
		argv[argc++] = bitmap_arg;
	}
	argv[argc++] = path;
	argv[argc] = NULL;

	logfd =
	    open(exp->errlog, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (logfd < 0)
		return hv_error_set(err, -errno, "nbd export: %s: %s",
		                    exp->errlog, strerror(errno));
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGHUP);
	sigaddset(&deflt, SIGPIPE);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	                                    POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	                                 O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
	                                 O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, logfd, STDERR_FILENO);
	rc = posix_spawnp(&exp->pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(logfd);
	if (rc != 0) {
		exp->pid = -1;
		return hv_error_set(err, -rc, "cannot run qemu-nbd: %s",
		                    strerror(rc));
	}
	return 0;
}

/* A full NBD handshake succeeds: the export is really being served. */
static bool hv_export_ready(const struct hv_export *exp)
{
	struct nbd_handle *nbd = nbd_create();
	bool ok;

	if (!nbd)
		return false;
	ok = nbd_connect_unix(nbd, exp->socket) == 0;
	if (ok)
		nbd_shutdown(nbd, 0);
	nbd_close(nbd);
	return ok;
}

/* Wait until qemu-nbd serves, or report why it did not. */
static int hv_export_wait(struct hv_export *exp, struct hv_error *err)
{
	int waited, status;
	pid_t r;

	for (waited = 0; waited < HV_EXPORT_START_MS;
	     waited += HV_EXPORT_POLL_MS) {
		r = waitpid(exp->pid, &status, WNOHANG);
		if (r == exp->pid) {
			exp->pid = -1;
			return hv_export_died(exp, status, "did not start",
			                      err);
		}
		if (access(exp->socket, F_OK) == 0 && hv_export_ready(exp))
			return 0;
		hv_export_sleep_ms(HV_EXPORT_POLL_MS);
	}
	return hv_error_set(err, -ETIMEDOUT,
	                    "qemu-nbd did not serve %s within %d s",
	                    exp->socket, HV_EXPORT_START_MS / 1000);
}

/* SIGTERM our qemu-nbd and reap it; SIGKILL if it will not go. */
static int hv_export_reap(struct hv_export *exp, struct hv_error *err)
{
	int waited, status = 0;
	pid_t r = 0;

	if (exp->pid <= 0)
		return 0;
	kill(exp->pid, SIGTERM);
	for (waited = 0; waited < HV_EXPORT_STOP_MS;
	     waited += HV_EXPORT_POLL_MS) {
		r = waitpid(exp->pid, &status, WNOHANG);
		if (r == exp->pid || (r < 0 && errno != EINTR))
			break;
		hv_export_sleep_ms(HV_EXPORT_POLL_MS);
	}
	if (r != exp->pid) {
		kill(exp->pid, SIGKILL);
		while (waitpid(exp->pid, &status, 0) < 0 && errno == EINTR)
			;
		exp->pid = -1;
		return hv_error_set(err, -EIO,
		                    "qemu-nbd did not stop on SIGTERM");
	}
	exp->pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		return 0;
	return hv_export_died(exp, status, "failed", err);
}

int hv_export_start(const char *image, enum hv_img_format format,
                    unsigned int flags, const char *bitmap,
                    struct hv_export **out, struct hv_error *err)
{
	struct hv_export *exp = NULL;
	int rc;

	if (!image || !image[0] || !strcmp(hv_img_format_name(format), "?") ||
	    (flags & ~HV_EXPORT_WRITABLE) || (bitmap && !bitmap[0]))
		return hv_error_set(err, -EINVAL, "nbd export: bad arguments");
	exp = calloc(1, sizeof(*exp));
	if (!exp)
		return hv_error_set(err, -ENOMEM, "nbd export: out of memory");
	exp->pid = -1;
	rc = hv_export_mkdir(exp, err);
	if (rc < 0) {
		free(exp);
		return rc;
	}
	if (snprintf(exp->socket, sizeof(exp->socket), "%s/nbd.sock",
	             exp->dir) >= (int)sizeof(exp->socket)) {
		rc = hv_error_set(err, -ENAMETOOLONG,
		                  "nbd export: socket path %s/nbd.sock is too "
		                  "long",
		                  exp->dir);
		goto out;
	}
	snprintf(exp->errlog, sizeof(exp->errlog), "%s/qemu-nbd.err", exp->dir);
	hv_export_make_uri(exp);
	rc = hv_export_spawn(exp, image, format, flags, bitmap, err);
	if (rc == 0)
		rc = hv_export_wait(exp, err);
out:
	if (rc < 0) {
		hv_export_stop(exp, NULL);
		return rc;
	}
	*out = exp;
	return 0;
}

const char *hv_export_uri(const struct hv_export *exp)
{
	return exp->uri;
}

int hv_export_stop(struct hv_export *exp, struct hv_error *err)
{
	int rc;

	if (!exp)
		return 0;
	rc = hv_export_reap(exp, err);
	unlink(exp->socket);
	unlink(exp->errlog);
	rmdir(exp->dir);
	free(exp);
	return rc;
}
