/*
 * sf-rpcprobe: an authenticated peer that misbehaves on purpose.
 *
 * It sends a receiver a valid plan for a small VM, then uses the libvirt
 * relay the receiver grants for it to try calls that migration never
 * needs: opening another libvirt driver, listing every domain, and starting
 * a domain of its own choosing; then, with the allowed migration call
 * itself, to have the receiver's libvirt open a file of the peer's choosing
 * (/etc/shadow as a cdrom), run QEMU with arguments of its own, or prepare
 * with no migration cookie (which crashes libvirt 9.0's daemon). The
 * receiver must refuse all six with a libvirt error while the connection
 * itself (an allowed call) works. Exit 0 when everything was refused as it
 * should be, 1 when anything got through, 2 on setup trouble.
 *
 *   sf-rpcprobe --to HOST[:PORT] --cert F --key F --ca F --peer-id ID
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "hypervisor/plan.h"
#include "hypervisor/virt.h"
#include "migrator/relay.h"
#include "transport/runner.h"
#include "transport/tp_addr.h"
#include "transport/tp_msg.h"

static const char probe_xml[] =
    "<domain type='qemu'><name>sf-probe-evil</name><memory unit='MiB'>64"
    "</memory><os><type arch='x86_64'>hvm</type></os><devices><disk "
    "type='file' device='disk'><source file='/etc/shadow'/><target "
    "dev='vda'/></disk></devices></domain>";

/* The plan's VM, with a host file it may not have, or QEMU arguments. */
#define PROBE_DOMAIN                                                           \
	"<domain type='qemu'%s><name>sf-probe</name>"                          \
	"<uuid>5f0e0000-0000-4000-8000-00000000beef</uuid>"                    \
	"<memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type>"     \
	"</os><devices>%s</devices>%s</domain>"

/*
 * libvirt exports the migration steps for its own remote driver, but its
 * public headers do not declare them.
 */
int virDomainMigratePrepare3Params(virConnectPtr dconn,
                                   virTypedParameterPtr params, int nparams,
                                   const char *cookiein, int cookieinlen,
                                   char **cookieout, int *cookieoutlen,
                                   char **uri_out, unsigned int flags);

/* A cookie like the one a source's Begin step makes, for the plan's VM. */
static const char probe_cookie[] =
    "<qemu-migration><name>sf-probe</name>"
    "<uuid>5f0e0000-0000-4000-8000-00000000beef</uuid>"
    "<hostname>east</hostname>"
    "<hostuuid>5f0e0000-0000-4000-8000-00000000bee1</hostuuid>"
    "</qemu-migration>";

/*
 * Prepare an incoming migration of xml (with a cookie if asked); 1 if it
 * got through, or was refused by someone other than the receiver.
 */
static int probe_prepare(virConnectPtr dconn, const char *what, const char *xml,
                         bool cookie_in, const char *session_dir)
{
	virTypedParameterPtr params = NULL;
	int nparams = 0, maxparams = 0, rc;
	char *cookie = NULL, *uri_out = NULL, uri[512];
	int cookielen = 0;

	snprintf(uri, sizeof(uri), "unix://%s/mem.sock", session_dir);
	if (virTypedParamsAddString(&params, &nparams, &maxparams,
	                            VIR_MIGRATE_PARAM_DEST_XML, xml) < 0 ||
	    virTypedParamsAddString(&params, &nparams, &maxparams,
	                            VIR_MIGRATE_PARAM_URI, uri) < 0) {
		printf("THROUGH %s: cannot build the call\n", what);
		return 1;
	}
	rc = virDomainMigratePrepare3Params(
	    dconn, params, nparams, cookie_in ? probe_cookie : NULL,
	    cookie_in ? sizeof(probe_cookie) : 0, &cookie, &cookielen, &uri_out,
	    VIR_MIGRATE_LIVE);
	virTypedParamsFree(params, nparams);
	free(cookie);
	free(uri_out);
	if (rc == 0) {
		printf("THROUGH %s: libvirt prepared the VM\n", what);
		return 1;
	}
	if (!strstr(virGetLastErrorMessage(), "skyferry receiver refused")) {
		printf("REFUSED %s, but not by the receiver: %s\n", what,
		       virGetLastErrorMessage());
		return 1;
	}
	printf("REFUSED %s: %s\n", what, virGetLastErrorMessage());
	return 0;
}

static int probe(struct tp_session *tp, int control_fd)
{
	struct hv_plan plan = { .version = HV_PLAN_VERSION };
	struct hv_plan_answer answer;
	struct hv_error herr = { 0 };
	struct tp_error err = { 0 };
	struct mig_relay *relay;
	virConnectPtr dconn;
	virDomainPtr *doms = NULL, dom;
	char *json, *msg = NULL, uri[512], xml[1024];
	ssize_t len;
	int through = 0, n;

	snprintf(plan.name, sizeof(plan.name), "sf-probe");
	snprintf(plan.uuid, sizeof(plan.uuid),
	         "5f0e0000-0000-4000-8000-00000000beef");
	snprintf(plan.virt_type, sizeof(plan.virt_type), "qemu");
	snprintf(plan.arch, sizeof(plan.arch), "x86_64");
	plan.memory_kib = 65536;
	plan.vcpus = 1;
	plan.parallel = 1;
	json = hv_plan_encode(&plan, &herr);
	if (!json || tp_msg_send(control_fd, json, strlen(json), &err) < 0) {
		fprintf(stderr, "sf-rpcprobe: plan: %s%s\n", herr.msg, err.msg);
		free(json);
		return 2;
	}
	free(json);
	len = tp_msg_recv(control_fd, &msg, 30000, &err);
	if (len < 0 ||
	    hv_plan_answer_decode(msg, (size_t)len, &answer, &herr) < 0 ||
	    !answer.ok) {
		fprintf(stderr, "sf-rpcprobe: no accepted plan: %s%s%s\n",
		        err.msg, herr.msg, len >= 0 ? answer.error : "");
		free(msg);
		return 2;
	}
	free(msg);
	relay = mig_relay_start(tp, answer.session_dir, 0, 0, &err);
	if (!relay) {
		fprintf(stderr, "sf-rpcprobe: relay: %s\n", err.msg);
		return 2;
	}
	/* Another driver than the one the receiver serves. */
	snprintf(uri, sizeof(uri), "lxc+unix:///system?socket=%s/libvirt.sock",
	         answer.session_dir);
	dconn = virConnectOpen(uri);
	if (dconn) {
		printf("THROUGH connect-other-driver: opened lxc:///system\n");
		virConnectClose(dconn);
		through++;
	} else if (!strstr(virGetLastErrorMessage(), "may be opened")) {
		printf("REFUSED connect-other-driver, but not by the "
		       "receiver: %s\n",
		       virGetLastErrorMessage());
		through++;
	} else {
		printf("REFUSED connect-other-driver: %s\n",
		       virGetLastErrorMessage());
	}
	snprintf(uri, sizeof(uri), "qemu+unix:///system?socket=%s/libvirt.sock",
	         answer.session_dir);
	dconn = virConnectOpen(uri);
	if (!dconn) {
		fprintf(stderr,
		        "sf-rpcprobe: connect (an allowed call) "
		        "failed: %s\n",
		        virGetLastErrorMessage());
		mig_relay_stop(relay);
		return 2;
	}
	printf("ALLOWED connect: opened the receiver's libvirt\n");
	n = virConnectListAllDomains(dconn, &doms, 0);
	if (n >= 0) {
		printf("THROUGH list-all-domains: %d domains listed\n", n);
		through++;
		while (n > 0)
			virDomainFree(doms[--n]);
		free(doms);
	} else {
		printf("REFUSED list-all-domains: %s\n",
		       virGetLastErrorMessage());
	}
	dom = virDomainCreateXML(dconn, probe_xml, 0);
	if (dom) {
		printf("THROUGH create-xml: a domain was started\n");
		virDomainDestroy(dom);
		virDomainFree(dom);
		through++;
	} else {
		printf("REFUSED create-xml: %s\n", virGetLastErrorMessage());
	}
	snprintf(xml, sizeof(xml), PROBE_DOMAIN, "",
	         "<disk type='file' device='cdrom'><source "
	         "file='/etc/shadow'/><target dev='sda' bus='sata'/><readonly/>"
	         "</disk>",
	         "");
	through += probe_prepare(dconn, "prepare-host-file", xml, true,
	                         answer.session_dir);
	snprintf(xml, sizeof(xml), PROBE_DOMAIN,
	         " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'", "",
	         "<qemu:commandline><qemu:arg value='-chardev'/><qemu:arg "
	         "value='file,id=x,path=/root/sf-probe'/></qemu:commandline>");
	through += probe_prepare(dconn, "prepare-qemu-arguments", xml, true,
	                         answer.session_dir);
	snprintf(xml, sizeof(xml), PROBE_DOMAIN, "", "", "");
	through += probe_prepare(dconn, "prepare-without-cookie", xml, false,
	                         answer.session_dir);
	virConnectClose(dconn);
	mig_relay_stop(relay);
	return through ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'a' },
		{ "peer-id", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct tp_session_conf conf = { 0 };
	struct tp_error err = { 0 };
	struct tp_runner *runner;
	struct tp_session *tp;
	const char *allow[2] = { NULL, NULL }, *to = NULL;
	char host[256];
	uint16_t port = TP_DEFAULT_PORT;
	int opt, sv[2], rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			to = optarg;
			break;
		case 'c':
			conf.tls.cert_file = optarg;
			break;
		case 'k':
			conf.tls.key_file = optarg;
			break;
		case 'a':
			conf.tls.ca_file = optarg;
			break;
		case 'p':
			allow[0] = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!to || !allow[0] ||
	    tp_addr_parse(to, TP_DEFAULT_PORT, host, sizeof(host), &port) < 0) {
		fprintf(stderr, "usage: sf-rpcprobe --to HOST[:PORT] --cert F "
		                "--key F --ca F --peer-id ID\n");
		return 2;
	}
	conf.tls.allow = allow;
	hv_virt_init();
	tp = tp_session_connect(&conf, host, port, &err);
	if (!tp || tp_session_handshake(tp, &err) < 0) {
		fprintf(stderr, "sf-rpcprobe: %s\n", err.msg);
		tp_session_free(tp);
		return 2;
	}
	runner = tp_runner_start(tp, &err);
	if (!runner ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    tp_session_post_chan(tp, "control", TP_PRIO_CONTROL, sv[1]) < 0) {
		fprintf(stderr, "sf-rpcprobe: session setup failed\n");
		return 2;
	}
	rc = probe(tp, sv[0]);
	shutdown(sv[0], SHUT_WR);
	tp_runner_wait(runner, 10000, NULL);
	close(sv[0]);
	tp_runner_stop(runner, NULL);
	tp_session_free(tp);
	return rc;
}
