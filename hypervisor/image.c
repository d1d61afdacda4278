/*
 * image.c: create images with qemu-img; never write a format by hand.
 */
#include "hypervisor/image.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define HV_IMAGE_INFO_MAX (256u << 10)

/* Read fd to EOF into buf (NUL-terminated), dropping what does not fit. */
static void hv_image_slurp(int fd, char *buf, size_t len)
{
	char sink[512];
	size_t got = 0;
	ssize_t n;

	for (;;) {
		if (got + 1 < len)
			n = read(fd, buf + got, len - 1 - got);
		else
			n = read(fd, sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got + 1 < len)
			got += (size_t)n;
	}
	buf[got] = '\0';
}

/*
 * Run argv, collect the first line of its stderr into msg and, when out is
 * not NULL, its stdout into out (cut at outlen - 1 bytes). stderr is read
 * after stdout: the tools we run write one short line there at most.
 */
static int hv_image_run_out(char *const argv[], char *out, size_t outlen,
                            char *msg, size_t msglen)
{
	posix_spawn_file_actions_t fa;
	int errpipe[2], outpipe[2] = { -1, -1 }, status = 0, rc;
	pid_t pid;

	msg[0] = '\0';
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -errno;
	if (out && pipe2(outpipe, O_CLOEXEC) < 0) {
		rc = -errno;
		close(errpipe[0]);
		close(errpipe[1]);
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, errpipe[1], STDERR_FILENO);
	if (out)
		posix_spawn_file_actions_adddup2(&fa, outpipe[1],
		                                 STDOUT_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
		                                 "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(errpipe[1]);
	if (out)
		close(outpipe[1]);
	if (rc != 0) {
		close(errpipe[0]);
		if (out)
			close(outpipe[0]);
		snprintf(msg, msglen, "cannot run %s: %s", argv[0],
		         strerror(rc));
		return -rc;
	}
	if (out) {
		hv_image_slurp(outpipe[0], out, outlen);
		close(outpipe[0]);
	}
	hv_image_slurp(errpipe[0], msg, msglen);
	msg[strcspn(msg, "\n")] = '\0';
	close(errpipe[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	return 0;
}

static int hv_image_run(char *const argv[], char *msg, size_t msglen)
{
	return hv_image_run_out(argv, NULL, 0, msg, msglen);
}

/* The -o options for format/subformat, or -EINVAL for an unknown pair. */
static int hv_image_create_opts(enum hv_img_format format,
                                const char *subformat, char *opts, size_t len)
{
	static const char *const vmdk_subs[] = { "monolithicSparse",
		                                 "streamOptimized",
		                                 "monolithicFlat", NULL };
	static const char *const vhd_subs[] = { "dynamic", "fixed", NULL };
	const char *const *allowed = NULL;
	size_t i;

	opts[0] = '\0';
	if (format == HV_IMG_VMDK)
		allowed = vmdk_subs;
	else if (format == HV_IMG_VPC || format == HV_IMG_VHDX)
		allowed = vhd_subs;
	else if (format != HV_IMG_RAW && format != HV_IMG_QCOW2)
		return -EINVAL;
	if (subformat[0]) {
		for (i = 0; allowed && allowed[i]; i++)
			if (!strcmp(allowed[i], subformat))
				break;
		if (!allowed || !allowed[i])
			return -EINVAL;
		snprintf(opts, len, "subformat=%s", subformat);
	}
	/* VHD: keep the exact size instead of rounding it to CHS geometry. */
	if (format == HV_IMG_VPC)
		snprintf(opts + strlen(opts), len - strlen(opts),
		         "%sforce_size=on", opts[0] ? "," : "");
	return 0;
}

int hv_image_create_fmt(const char *path, enum hv_img_format format,
                        const char *subformat, uint64_t virtual_size,
                        struct hv_error *err)
{
	char size[32], msg[256], opts[64];
	char *argv[] = { "qemu-img",
		         "create",
		         "-q",
		         "-f",
		         (char *)hv_img_format_name(format),
		         "-o",
		         opts,
		         (char *)path,
		         size,
		         NULL };
	struct stat st;
	int rc;

	if (!subformat)
		subformat = "";
	if (hv_image_create_opts(format, subformat, opts, sizeof(opts)) < 0)
		return hv_error_set(err, -EINVAL,
		                    "image %s: format '%s' with subformat '%s' "
		                    "is not supported",
		                    path, hv_img_format_name(format),
		                    subformat);
	if (!opts[0]) /* drop "-o" and its empty value */
		memmove(&argv[5], &argv[7], 3 * sizeof(argv[0]));
	if (lstat(path, &st) == 0)
		return hv_error_set(err, -EEXIST,
		                    "image %s already exists; not overwriting "
		                    "it",
		                    path);
	snprintf(size, sizeof(size), "%" PRIu64, virtual_size);
	rc = hv_image_run(argv, msg, sizeof(msg));
	if (rc < 0)
		return hv_error_set(err, rc, "qemu-img create %s: %s", path,
		                    msg[0] ? msg : strerror(-rc));
	return 0;
}

int hv_image_create(const char *path, const char *format, uint64_t virtual_size,
                    struct hv_error *err)
{
	enum hv_img_format f;

	if (hv_img_format_parse(format, &f) < 0 ||
	    (f != HV_IMG_RAW && f != HV_IMG_QCOW2))
		return hv_error_set(err, -EINVAL,
		                    "image %s: format '%s' is not raw or qcow2",
		                    path, format);
	return hv_image_create_fmt(path, f, "", virtual_size, err);
}

/* Pull virtual-size and format out of qemu-img info's JSON. */
static int hv_image_info_parse(const char *path, const char *text,
                               uint64_t *virtual_size,
                               enum hv_img_format *actual, struct hv_error *err)
{
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	json_t *size = json_object_get(root, "virtual-size");
	const char *name = json_string_value(json_object_get(root, "format"));
	enum hv_img_format f;
	char quoted[32];
	int rc = 0;

	if (!root || !json_is_integer(size) || json_integer_value(size) < 0 ||
	    !name)
		rc = hv_error_set(err, -EIO,
		                  "qemu-img info %s: unexpected output", path);
	else if (hv_img_format_parse(name, &f) < 0)
		rc = hv_error_set(
		    err, -ENOTSUP, "image %s: format '%s' is not supported",
		    path, hv_error_quote(name, quoted, sizeof(quoted)));
	if (rc == 0) {
		if (virtual_size)
			*virtual_size = (uint64_t)json_integer_value(size);
		if (actual)
			*actual = f;
	}
	json_decref(root);
	return rc;
}

int hv_image_info(const char *path, const enum hv_img_format *format,
                  uint64_t *virtual_size, enum hv_img_format *actual,
                  struct hv_error *err)
{
	char *argv[] = { "qemu-img",
		         "info",
		         "--output=json",
		         "-f",
		         format ? (char *)hv_img_format_name(*format) : NULL,
		         (char *)path,
		         NULL };
	char msg[256], *out;
	int rc;

	if (!format) /* probe: drop "-f FMT" */
		memmove(&argv[3], &argv[5], 2 * sizeof(argv[0]));
	out = malloc(HV_IMAGE_INFO_MAX);
	if (!out)
		return hv_error_set(err, -ENOMEM, "qemu-img info: no memory");
	rc = hv_image_run_out(argv, out, HV_IMAGE_INFO_MAX, msg, sizeof(msg));
	if (rc < 0)
		rc = hv_error_set(err, rc, "qemu-img info %s: %s", path,
		                  msg[0] ? msg : strerror(-rc));
	else
		rc = hv_image_info_parse(path, out, virtual_size, actual, err);
	free(out);
	return rc;
}

int hv_image_remove(const char *path, struct hv_error *err)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return hv_error_set(err, -errno, "remove %s: %s", path,
		                    strerror(errno));
	return 0;
}

/* The extent file qemu-img names beside a monolithicFlat descriptor. */
static int hv_image_flat_name(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);

	if (n >= 5 && !strcmp(path + n - 5, ".vmdk"))
		n -= 5;
	if (snprintf(buf, len, "%.*s-flat%s", (int)n, path,
	             path[n] ? ".vmdk" : "") >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int hv_image_remove_fmt(const char *path, enum hv_img_format format,
                        const char *subformat, struct hv_error *err)
{
	char flat[4096];
	int rc = hv_image_remove(path, err);

	if (rc == 0 && format == HV_IMG_VMDK && subformat &&
	    !strcmp(subformat, "monolithicFlat") &&
	    hv_image_flat_name(path, flat, sizeof(flat)) == 0)
		rc = hv_image_remove(flat, err);
	return rc;
}
