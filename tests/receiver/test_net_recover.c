/*
 * test_net_recover.c: at start the receiver removes the tunnels of
 * migrations that never committed, but keeps one whose VM is here (it got
 * past the switchover before the receiver stopped). libvirt's test driver:
 * its domain "test" has TEST_UUID and runs. The records name no objects, so
 * nothing on the host is touched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "netcontinuity/nc_addr.h"
#include "netcontinuity/record.h"
#include "receiver/net.h"
#include "receiver/opts.h"
#include "receiver/server.h"
#include "tests/testdir.h"

#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"
#define GONE_UUID "0b5d1c2e-7f3a-4e96-8d21-5a6c9e0f4b17"
#define ID_HERE   "00112233445566778899aabbccddeeff"
#define ID_GONE   "ffeeddccbbaa99887766554433221100"

static char dir[] = "/tmp/sf-test-net-recover-XXXXXX";

static void prepared(const char *id, const char *uuid, const char *vm)
{
	struct nc_error err = { 0 };
	struct nc_record r;

	memset(&r, 0, sizeof(r));
	r.version = NC_RECORD_VERSION;
	strcpy(r.id, id);
	r.mode = NC_MODE_L2_EXTEND;
	r.role = NC_ROLE_DEST;
	r.state = NC_STATE_PREPARED;
	strcpy(r.vm, vm);
	strcpy(r.uuid, uuid);
	strcpy(r.nic_mac, "52:54:00:5f:a1:0a");
	strcpy(r.peer, "198.18.0.1:4870 [dns:east]");
	cr_assert_eq(nc_addr_parse("198.18.0.2", &r.local), 0);
	cr_assert_eq(nc_addr_parse("198.18.0.1", &r.remote), 0);
	r.vni = 4660;
	r.port = 4789;
	r.created = 1700000000;
	cr_assert_eq(nc_record_save(dir, &r, &err), 0, "%s", err.msg);
}

Test(receiver_net_recover, keeps_the_tunnel_of_a_vm_here,
     .init = cr_redirect_stderr)
{
	struct nc_error err = { 0 };
	struct rcv_server srv;
	struct rcv_opts o;
	struct nc_record r;
	char log[4096];
	size_t n;

	testdir_make(dir);
	prepared(ID_HERE, TEST_UUID, "test");
	prepared(ID_GONE, GONE_UUID, "vm2");
	rcv_opts_init(&o);
	o.tunnel_dir = dir;
	o.libvirt_uri = "test:///default";
	memset(&srv, 0, sizeof(srv));
	srv.opts = &o;
	rcv_net_recover(&srv);

	cr_assert_eq(nc_record_load(dir, ID_HERE, &r, &err), 0,
	             "the tunnel of the VM that runs here went: %s", err.msg);
	cr_assert_eq(nc_record_load(dir, ID_GONE, &r, &err), -ENOENT,
	             "the tunnel of a VM that never ran here stayed");
	fflush(stderr);
	n = fread(log, 1, sizeof(log) - 1, cr_get_redirected_stderr());
	log[n] = '\0';
	cr_assert(strstr(log, "tunnel " ID_HERE " (l2-extend, VM 'test', NIC "
	                      "52:54:00:5f:a1:0a, from 198.18.0.1:4870 "
	                      "[dns:east]) is kept: the VM is here"),
	          "%s", log);
	cr_assert(strstr(log, "tunnel " ID_GONE " (VM 'vm2') removed: its "
	                      "migration never finished"),
	          "%s", log);
	testdir_remove(dir);
}
