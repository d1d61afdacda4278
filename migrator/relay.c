/*
 * relay.c: listening sockets whose connections become session channels.
 */
#include "migrator/relay.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum { MIG_RELAY_LIBVIRT, MIG_RELAY_MEM, MIG_RELAY_NBD, MIG_RELAY_N };

static const struct {
	const char *name;
	unsigned int priority;
	bool qemu; /* QEMU connects here */
} mig_relay_socks[MIG_RELAY_N] = {
	[MIG_RELAY_LIBVIRT] = { "libvirt", TP_PRIO_CONTROL, false },
	[MIG_RELAY_MEM] = { "mem", TP_PRIO_BULK, true },
	[MIG_RELAY_NBD] = { "nbd", TP_PRIO_BULK, true },
};

struct mig_relay {
	struct tp_session *session;
	char dir[256];
	int listen_fd[MIG_RELAY_N];
	atomic_uint accepted[MIG_RELAY_N];
	int stop_fd;
	pthread_t thread;
	bool started;
};

static void *mig_relay_main(void *arg)
{
	struct mig_relay *relay = arg;
	struct pollfd pfd[MIG_RELAY_N + 1];
	int i, fd;

	for (i = 0; i < MIG_RELAY_N; i++)
		pfd[i] = (struct pollfd){ .fd = relay->listen_fd[i],
			                  .events = POLLIN };
	pfd[MIG_RELAY_N] =
	    (struct pollfd){ .fd = relay->stop_fd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, MIG_RELAY_N + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pfd[MIG_RELAY_N].revents)
			return NULL;
		for (i = 0; i < MIG_RELAY_N; i++) {
			if (!pfd[i].revents)
				continue;
			fd = accept4(relay->listen_fd[i], NULL, NULL,
			             SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			relay->accepted[i]++;
			tp_session_post_chan(relay->session,
			                     mig_relay_socks[i].name,
			                     mig_relay_socks[i].priority, fd);
		}
	}
}

static int mig_relay_listen(struct mig_relay *relay, int i, uid_t uid,
                            gid_t gid, struct tp_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock", relay->dir,
	             mig_relay_socks[i].name) >= (int)sizeof(sa.sun_path))
		return tp_error_set(err, -ENAMETOOLONG,
		                    "socket path in %s is too long",
		                    relay->dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tp_error_set(err, -errno, "socket: %s", strerror(errno));
	relay->listen_fd[i] = fd;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0)
		return tp_error_set(err, -errno, "listen on %s: %s",
		                    sa.sun_path, strerror(errno));
	if (mig_relay_socks[i].qemu &&
	    (chown(sa.sun_path, uid, gid) < 0 || chmod(sa.sun_path, 0660) < 0))
		return tp_error_set(err, -errno, "%s: %s", sa.sun_path,
		                    strerror(errno));
	if (!mig_relay_socks[i].qemu && chmod(sa.sun_path, 0600) < 0)
		return tp_error_set(err, -errno, "%s: %s", sa.sun_path,
		                    strerror(errno));
	return 0;
}

/*
 * The receiver's directory sits in a tree that may not exist here yet:
 * make its parents, searchable (not listable) by QEMU.
 */
static void mig_relay_mkparents(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0711);
		*p = '/';
	}
}

struct mig_relay *mig_relay_start(struct tp_session *session, const char *dir,
                                  uid_t qemu_uid, gid_t qemu_gid,
                                  struct tp_error *err)
{
	struct mig_relay *relay = calloc(1, sizeof(*relay));
	int i;

	if (!relay) {
		tp_error_set(err, -ENOMEM, "relay: out of memory");
		return NULL;
	}
	relay->session = session;
	relay->stop_fd = -1;
	for (i = 0; i < MIG_RELAY_N; i++)
		relay->listen_fd[i] = -1;
	snprintf(relay->dir, sizeof(relay->dir), "%s", dir);
	mig_relay_mkparents(relay->dir);
	if (mkdir(dir, 0750) < 0) {
		tp_error_set(err, -errno, "socket directory %s: %s", dir,
		             strerror(errno));
		free(relay);
		return NULL;
	}
	if (chown(dir, qemu_uid, qemu_gid) < 0) {
		tp_error_set(err, -errno, "socket directory %s: %s", dir,
		             strerror(errno));
		goto fail;
	}
	for (i = 0; i < MIG_RELAY_N; i++)
		if (mig_relay_listen(relay, i, qemu_uid, qemu_gid, err) < 0)
			goto fail;
	relay->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (relay->stop_fd < 0) {
		tp_error_set(err, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&relay->thread, NULL, mig_relay_main, relay) != 0) {
		tp_error_set(err, -EAGAIN, "relay: cannot start a thread");
		goto fail;
	}
	relay->started = true;
	return relay;
fail:
	mig_relay_stop(relay);
	return NULL;
}

unsigned int mig_relay_accepted(struct mig_relay *relay, const char *name)
{
	int i;

	for (i = 0; i < MIG_RELAY_N; i++)
		if (!strcmp(mig_relay_socks[i].name, name))
			return relay->accepted[i];
	return 0;
}

void mig_relay_stop(struct mig_relay *relay)
{
	uint64_t one = 1;
	char path[300];
	int i;

	if (!relay)
		return;
	if (relay->started) {
		if (write(relay->stop_fd, &one, sizeof(one)) < 0)
			abort(); /* an eventfd write cannot fail here */
		pthread_join(relay->thread, NULL);
	}
	for (i = 0; i < MIG_RELAY_N; i++) {
		if (relay->listen_fd[i] >= 0)
			close(relay->listen_fd[i]);
		snprintf(path, sizeof(path), "%s/%s.sock", relay->dir,
		         mig_relay_socks[i].name);
		unlink(path);
	}
	if (relay->stop_fd >= 0)
		close(relay->stop_fd);
	rmdir(relay->dir);
	free(relay);
}

void mig_relay_postcopy(struct mig_relay *relay)
{
	if (relay)
		tp_session_tighten(relay->session,
		                   mig_relay_socks[MIG_RELAY_MEM].name);
}
