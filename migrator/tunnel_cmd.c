/*
 * tunnel_cmd.c: list and remove the tunnels that outlive migrations.
 */
#include "migrator/tunnel_cmd.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hypervisor/plan.h"
#include "migrator/connect.h"
#include "migrator/keeper.h"
#include "netcontinuity/netctl.h"
#include "netcontinuity/tunnel.h"
#include "transport/runner.h"
#include "transport/tp_msg.h"

static const char *mig_tunnel_dir(const struct mig_opts *o)
{
	return o->tunnel_dir ? o->tunnel_dir : NC_STATE_DIR_DEFAULT;
}

static void mig_tunnel_bad(void *arg, const char *path, const char *why)
{
	(void)arg;
	fprintf(stderr, "migrator: skipping %s: %s\n", path, why);
}

static int mig_tunnel_print(void *arg, const struct nc_record *rec)
{
	const struct mig_opts *o = arg;
	char local[NC_ADDR_STRLEN], remote[NC_ADDR_STRLEN], when[32];
	struct tm tm;
	time_t t = (time_t)rec->created;
	json_t *j;

	nc_addr_format(&rec->local, local, sizeof(local));
	nc_addr_format(&rec->remote, remote, sizeof(remote));
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (o->json) {
		j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, "
		              "s:i, s:s, s:s, s:i, s:i}",
		              "id", rec->id, "mode", nc_mode_name(rec->mode),
		              "role", nc_role_name(rec->role), "state",
		              nc_state_name(rec->state), "vm", rec->vm, "uuid",
		              rec->uuid, "nic", rec->nic_mac, "peer", rec->peer,
		              "vni", (int)rec->vni, "port", (int)rec->port,
		              "local", local, "remote", remote, "objects",
		              (int)rec->n_objs, "keeper", (int)rec->keeper);
		if (j) {
			char *s = json_dumps(j, JSON_COMPACT);

			if (s)
				printf("%s\n", s);
			free(s);
		}
		json_decref(j);
		return 0;
	}
	printf("%s  %-9s %-6s %-9s vm %s nic %s", rec->id,
	       nc_mode_name(rec->mode), nc_role_name(rec->role),
	       nc_state_name(rec->state), rec->vm, rec->nic_mac);
	if (rec->vni)
		printf(" vni %u port %u %s<->%s", rec->vni, rec->port, local,
		       remote);
	printf(" objects %zu since %s\n", rec->n_objs, when);
	return 0;
}

int mig_tunnel_list(const struct mig_opts *o)
{
	struct nc_error err = { 0 };

	if (nc_record_foreach(mig_tunnel_dir(o), mig_tunnel_print,
	                      mig_tunnel_bad, (void *)o, &err) < 0) {
		fprintf(stderr, "migrator: tunnel list: %s\n", err.msg);
		return MIG_EXIT_FAILED;
	}
	return MIG_EXIT_OK;
}

/* Ask the receiver to remove its end of tunnel id. */
static int mig_tunnel_remote(const struct mig_opts *o, const char *id)
{
	struct mig_creds creds = { 0 };
	struct tp_error terr = { 0 };
	struct tp_runner *runner = NULL;
	struct tp_session *tp;
	char why[512];
	int ctl = -1, code = 0, rc = MIG_EXIT_FAILED;

	tp = mig_connect_session(o, &creds, &code, why, sizeof(why));
	if (!tp) {
		fprintf(stderr, "migrator: %s\n", why);
		return code;
	}
	runner = tp_runner_start(tp, &terr);
	if (runner)
		ctl = mig_chan_post(tp, "control", TP_PRIO_CONTROL);
	if (ctl < 0) {
		fprintf(stderr, "migrator: cannot open a control channel\n");
		goto out;
	}
	if (mig_tunnel_request(ctl, "tunnel-teardown", id, why, sizeof(why)) <
	    0) {
		fprintf(stderr, "migrator: tunnel %s: %s\n", id, why);
		goto out;
	}
	printf("tunnel %s: removed at the receiver (%s)\n", id,
	       tp_session_peer(tp));
	rc = MIG_EXIT_OK;
out:
	/* The answer is in (or will never come): closing tells the peer. */
	tp_runner_stop(runner, NULL);
	if (ctl >= 0)
		close(ctl);
	tp_session_free(tp);
	return rc;
}

struct mig_teardown {
	const struct mig_opts *o;
	struct nc_nl *nl;
	unsigned int found, failed;
};

static int mig_tunnel_one(void *arg, const struct nc_record *rec)
{
	struct mig_teardown *td = arg;
	struct nc_error err = { 0 };

	if (td->o->tunnel_id && strcmp(rec->id, td->o->tunnel_id))
		return 0;
	td->found++;
	if (td->o->to_host[0] &&
	    mig_tunnel_remote(td->o, rec->id) != MIG_EXIT_OK)
		td->failed++;
	/* A keeper carries it: it removes its end itself when it stops. */
	if (rec->keeper > 0 && mig_keeper_is(rec->keeper, rec->id)) {
		if (mig_keeper_stop(rec->keeper, 15000) < 0) {
			fprintf(stderr,
			        "migrator: tunnel %s: keeper pid %d does not "
			        "stop\n",
			        rec->id, (int)rec->keeper);
			td->failed++;
			return 0;
		}
		printf("tunnel %s: removed here (%s, keeper pid %d stopped)\n",
		       rec->id, nc_mode_name(rec->mode), (int)rec->keeper);
		return 0;
	}
	if (nc_tunnel_teardown_record(td->nl, mig_tunnel_dir(td->o), rec,
	                              &err) < 0) {
		fprintf(stderr, "migrator: tunnel %s: %s\n", rec->id, err.msg);
		td->failed++;
		return 0;
	}
	printf("tunnel %s: removed here (%s, %zu objects)\n", rec->id,
	       nc_mode_name(rec->mode), rec->n_objs);
	return 0;
}

int mig_tunnel_teardown(const struct mig_opts *o)
{
	struct mig_teardown td = { .o = o };
	struct nc_error err = { 0 };
	int rc;

	td.nl = nc_nl_open(&err);
	if (!td.nl) {
		fprintf(stderr, "migrator: %s\n", err.msg);
		return MIG_EXIT_FAILED;
	}
	rc = nc_record_foreach(mig_tunnel_dir(o), mig_tunnel_one,
	                       mig_tunnel_bad, &td, &err);
	nc_nl_close(td.nl);
	if (rc < 0) {
		fprintf(stderr, "migrator: tunnel teardown: %s\n", err.msg);
		return MIG_EXIT_FAILED;
	}
	if (o->tunnel_id && td.found == 0) {
		if (o->to_host[0])
			return mig_tunnel_remote(o, o->tunnel_id);
		fprintf(stderr,
		        "migrator: no tunnel %s is recorded in %s; see "
		        "'migrator tunnel list'\n",
		        o->tunnel_id, mig_tunnel_dir(o));
		return MIG_EXIT_FAILED;
	}
	return td.failed ? MIG_EXIT_FAILED : MIG_EXIT_OK;
}
