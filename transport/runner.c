/*
 * runner.c: drive a session on its own thread, and publish its counters.
 */
#include "transport/runner.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tp_runner {
	struct tp_session *session;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t ended_cond;
	bool stop;  /* under lock */
	bool ended; /* under lock */
	struct tp_error err;
	struct tp_stats stats;
	size_t buffered;
};

#define TP_RUNNER_SLICE_MS 100

static void *tp_runner_main(void *arg)
{
	struct tp_runner *runner = arg;
	struct tp_error err = { 0 };
	struct tp_stats stats;
	size_t buffered;
	bool stop;
	int rc;

	do {
		rc = tp_session_run(runner->session, TP_RUNNER_SLICE_MS, &err);
		tp_session_stats(runner->session, &stats);
		buffered = tp_session_buffered(runner->session);
		pthread_mutex_lock(&runner->lock);
		runner->stats = stats;
		runner->buffered = buffered;
		stop = runner->stop;
		pthread_mutex_unlock(&runner->lock);
	} while (rc == 0 && !stop);
	if (rc == 0)
		tp_session_error(runner->session, &err);
	pthread_mutex_lock(&runner->lock);
	runner->err = err;
	runner->ended = true;
	pthread_cond_broadcast(&runner->ended_cond);
	pthread_mutex_unlock(&runner->lock);
	return NULL;
}

struct tp_runner *tp_runner_start(struct tp_session *session,
                                  struct tp_error *err)
{
	struct tp_runner *runner;
	pthread_condattr_t attr;
	int rc;

	runner = calloc(1, sizeof(*runner));
	if (!runner) {
		tp_error_set(err, -ENOMEM, "session runner: out of memory");
		return NULL;
	}
	runner->session = session;
	pthread_mutex_init(&runner->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&runner->ended_cond, &attr);
	pthread_condattr_destroy(&attr);
	rc = pthread_create(&runner->thread, NULL, tp_runner_main, runner);
	if (rc != 0) {
		tp_error_set(err, -rc, "session runner: thread: %s",
		             strerror(rc));
		pthread_cond_destroy(&runner->ended_cond);
		pthread_mutex_destroy(&runner->lock);
		free(runner);
		return NULL;
	}
	return runner;
}

void tp_runner_stats(struct tp_runner *runner, struct tp_stats *stats)
{
	pthread_mutex_lock(&runner->lock);
	*stats = runner->stats;
	pthread_mutex_unlock(&runner->lock);
}

size_t tp_runner_buffered(struct tp_runner *runner)
{
	size_t buffered;

	pthread_mutex_lock(&runner->lock);
	buffered = runner->buffered;
	pthread_mutex_unlock(&runner->lock);
	return buffered;
}

bool tp_runner_wait(struct tp_runner *runner, int timeout_ms,
                    struct tp_error *err)
{
	struct timespec until;
	bool ended;

	clock_gettime(CLOCK_MONOTONIC, &until);
	if (timeout_ms > 0) {
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&runner->lock);
	while (!runner->ended && timeout_ms != 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&runner->ended_cond, &runner->lock);
		else if (pthread_cond_timedwait(&runner->ended_cond,
		                                &runner->lock,
		                                &until) == ETIMEDOUT)
			break;
	}
	ended = runner->ended;
	if (ended)
		tp_error_copy(err, &runner->err);
	pthread_mutex_unlock(&runner->lock);
	return ended;
}

int tp_runner_stop(struct tp_runner *runner, struct tp_error *err)
{
	int code;

	if (!runner)
		return 0;
	pthread_mutex_lock(&runner->lock);
	runner->stop = true;
	pthread_mutex_unlock(&runner->lock);
	tp_session_stop(runner->session);
	pthread_join(runner->thread, NULL);
	code = runner->err.code;
	tp_error_copy(err, &runner->err);
	pthread_cond_destroy(&runner->ended_cond);
	pthread_mutex_destroy(&runner->lock);
	free(runner);
	return code;
}
