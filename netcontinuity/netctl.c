/*
 * netctl.c: see netctl.h.
 */
#include "netcontinuity/netctl.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "netcontinuity/netplan.h"

static json_t *nc_netctl_load(const char *buf, size_t len, struct nc_error *err)
{
	json_error_t jerr;
	json_t *root;

	if (len == 0 || len > NC_NETPLAN_MSG_MAX) {
		nc_error_set(err, -EMSGSIZE,
		             "control message of %zu bytes: expected 1..%u",
		             len, NC_NETPLAN_MSG_MAX);
		return NULL;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		nc_error_set(err, -EPROTO,
		             "control message is not a JSON "
		             "object");
		json_decref(root);
		return NULL;
	}
	return root;
}

int nc_msg_type(const char *buf, size_t len, char *type, size_t type_len)
{
	json_t *root = nc_netctl_load(buf, len, NULL);
	json_t *t;
	int rc = 0;

	if (!root)
		return -EPROTO;
	type[0] = '\0';
	t = json_object_get(root, "type");
	if (t && (!json_is_string(t) || json_string_length(t) >= type_len))
		rc = -EPROTO;
	else if (t)
		snprintf(type, type_len, "%s", json_string_value(t));
	json_decref(root);
	return rc;
}

static bool nc_netctl_id_ok(const char *s)
{
	return strlen(s) == NC_TUNNEL_ID_HEX - 1 &&
	       strspn(s, "0123456789abcdef") == NC_TUNNEL_ID_HEX - 1;
}

char *nc_tunnel_req_encode(const char *type, const char *tunnel_id,
                           struct nc_error *err)
{
	json_t *root;
	char *out;

	if (!nc_netctl_id_ok(tunnel_id)) {
		nc_error_set(err, -EINVAL, "tunnel id must be 32 hex digits");
		return NULL;
	}
	root = json_pack("{s:s, s:s}", "type", type, "tunnel", tunnel_id);
	out = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	if (!out)
		nc_error_set(err, -ENOMEM, "out of memory");
	return out;
}

int nc_tunnel_req_decode(const char *buf, size_t len, const char *type,
                         char tunnel_id[NC_TUNNEL_ID_HEX], struct nc_error *err)
{
	json_t *root = nc_netctl_load(buf, len, err);
	const char *key;
	json_t *v;
	int rc = -EPROTO;

	tunnel_id[0] = '\0';
	if (!root)
		return err && err->code ? err->code : -EPROTO;
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "type") && strcmp(key, "tunnel")) {
			nc_error_set(err, -EPROTO, "%s: unknown key '%.32s'",
			             type, key);
			goto out;
		}
	}
	v = json_object_get(root, "type");
	if (!json_is_string(v) || strcmp(json_string_value(v), type)) {
		nc_error_set(err, -EPROTO, "%s: bad type", type);
		goto out;
	}
	v = json_object_get(root, "tunnel");
	if (!json_is_string(v) || !nc_netctl_id_ok(json_string_value(v))) {
		nc_error_set(err, -EPROTO,
		             "%s: tunnel must be 32 lower-case hex digits",
		             type);
		goto out;
	}
	snprintf(tunnel_id, NC_TUNNEL_ID_HEX, "%s", json_string_value(v));
	rc = 0;
out:
	json_decref(root);
	return rc;
}
