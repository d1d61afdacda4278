/*
 * image.c: create images with qemu-img; never write a format by hand.
 */
#include "hypervisor/image.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Run argv, collect the first line of its stderr into msg. */
static int hv_image_run(char *const argv[], char *msg, size_t msglen)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status = 0, rc;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	msg[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
	                                 O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		snprintf(msg, msglen, "cannot run %s: %s", argv[0],
		         strerror(rc));
		return -rc;
	}
	while (got + 1 < msglen &&
	       (n = read(pipefd[0], msg + got, msglen - 1 - got)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	return 0;
}

int hv_image_create(const char *path, const char *format, uint64_t virtual_size,
                    struct hv_error *err)
{
	char size[32], msg[256];
	char *argv[] = { "qemu-img",     "create",     "-q", "-f",
		         (char *)format, (char *)path, size, NULL };
	struct stat st;
	int rc;

	if (strcmp(format, "raw") && strcmp(format, "qcow2"))
		return hv_error_set(err, -EINVAL,
		                    "image %s: format '%s' is not raw or qcow2",
		                    path, format);
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

int hv_image_remove(const char *path, struct hv_error *err)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return hv_error_set(err, -errno, "remove %s: %s", path,
		                    strerror(errno));
	return 0;
}
