/*
 * domxml_priv.h: the defensive libxml2 helpers of domxml.c, shared with
 * the other domain XML reader and writer (vmdef_xml.c). Not for callers
 * outside hypervisor/.
 *
 * Every helper names the element or attribute it complains about, with the
 * line of the document when one is known, in the form
 * "domain XML line N: ...".
 */
#ifndef SKYFERRY_HV_DOMXML_PRIV_H
#define SKYFERRY_HV_DOMXML_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "hypervisor/hv_error.h"

/*
 * Parse len bytes (1..HV_DOMXML_MAX) into a document whose root is an
 * un-namespaced <domain>: no network, no DTD, no DOCTYPE at all. A
 * malformed document is -EINVAL with libxml2's first complaint, its line
 * and its column. *out is the caller's (xmlFreeDoc) on success only.
 */
int hv_xml_read(const char *xml, size_t len, xmlDocPtr *out,
                struct hv_error *err);

/* Fill err with "domain XML line N: <fmt>" (N from n when known). */
int hv_xml_fail(struct hv_error *err, int code, const xmlNode *n,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* n is the element <name> in no namespace. */
bool hv_xml_is(const xmlNode *n, const char *name);

/* The only child element <name> of parent, or NULL; two is -EINVAL. */
int hv_xml_child(const xmlNode *parent, const char *name, xmlNode **out,
                 struct hv_error *err);

/* Copy attribute name of n (def when absent) into dst; too long: -EINVAL. */
int hv_xml_attr(const xmlNode *n, const char *name, const char *def, char *dst,
                size_t size, struct hv_error *err);

/* Copy the non-empty text of n into dst. */
int hv_xml_text(const xmlNode *n, char *dst, size_t size, struct hv_error *err);

/* The text of n as a decimal number, white space around it allowed. */
int hv_xml_number(const xmlNode *n, uint64_t *out, struct hv_error *err);

/* <memory unit='...'>N</memory> in KiB (every libvirt unit), not zero. */
int hv_xml_memory(const xmlNode *n, uint64_t *kib, struct hv_error *err);

/*
 * <memory> (required) in KiB and <vcpu> (1..65535, default 1) of the
 * <domain> root.
 */
int hv_xml_resources(const xmlNode *root, uint64_t *memory_kib,
                     unsigned int *vcpus, struct hv_error *err);

/* Set attribute name of n to value; false when libxml2 ran out of memory. */
bool hv_xml_set(xmlNode *n, const char *name, const char *value);

/* Serialize n into a new malloc'd string, indented if asked; NULL: -ENOMEM. */
char *hv_xml_dump(xmlDocPtr doc, xmlNode *n, bool indent, struct hv_error *err);

/* libxml2's generic error handler of this thread, silenced meanwhile. */
struct hv_xml_quiet {
	xmlGenericErrorFunc func;
	void *ctx;
};

void hv_xml_quiet_begin(struct hv_xml_quiet *q);
void hv_xml_quiet_end(const struct hv_xml_quiet *q);

#endif
