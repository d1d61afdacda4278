/*
 * vmdef_file.c: definition files in, definition files out.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypervisor/vmdef_file.h"
#include "hypervisor/vmdef_xml.h"
#include "hypervisor/vmx.h"
#include "hypervisor/xlcfg.h"

static const char *const def_format_names[] = {
	[HV_DEF_XML] = "xml",
	[HV_DEF_VMX] = "vmx",
	[HV_DEF_XLCFG] = "xl.cfg",
};

const char *hv_def_format_name(enum hv_def_format f)
{
	return (unsigned int)f < 3 ? def_format_names[f] : "?";
}

int hv_def_format_parse(const char *s, enum hv_def_format *out)
{
	if (!strcmp(s, "xml"))
		*out = HV_DEF_XML;
	else if (!strcmp(s, "vmx"))
		*out = HV_DEF_VMX;
	else if (!strcmp(s, "xl") || !strcmp(s, "xlcfg") ||
	         !strcmp(s, "xl.cfg"))
		*out = HV_DEF_XLCFG;
	else
		return -EINVAL;
	return 0;
}

const char *hv_img_format_ext(enum hv_img_format f)
{
	switch (f) {
	case HV_IMG_RAW:
		return "img";
	case HV_IMG_QCOW2:
		return "qcow2";
	case HV_IMG_VMDK:
		return "vmdk";
	case HV_IMG_VPC:
		return "vhd";
	case HV_IMG_VHDX:
		return "vhdx";
	}
	return "img";
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcasecmp(s + n - m, suffix);
}

int hv_def_format_guess(const char *path, const char *text, size_t len,
                        enum hv_def_format *out, struct hv_error *err)
{
	size_t i;

	if (ends_with(path, ".xml"))
		*out = HV_DEF_XML;
	else if (ends_with(path, ".vmx"))
		*out = HV_DEF_VMX;
	else if (ends_with(path, ".cfg") || ends_with(path, ".xl") ||
	         ends_with(path, ".conf"))
		*out = HV_DEF_XLCFG;
	else {
		for (i = 0; i < len && strchr(" \t\r\n", text[i]); i++)
			;
		if (i < len && text[i] == '<') {
			*out = HV_DEF_XML;
			return 0;
		}
		return hv_error_set(
		    err, -EINVAL,
		    "%s: cannot tell its format from its name; give "
		    "--from xml, vmx or xl",
		    path);
	}
	return 0;
}

/* Read a whole file of at most HV_VMDEF_FILE_MAX bytes, NUL-terminated. */
static int read_file(const char *path, char **out, size_t *len,
                     struct hv_error *err)
{
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hv_error_set(err, -errno, "%s: %s", path,
		                    strerror(errno));
	buf = malloc(HV_VMDEF_FILE_MAX + 1);
	if (!buf) {
		rc = hv_error_set(err, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while ((n = read(fd, buf + got, HV_VMDEF_FILE_MAX + 1 - got)) > 0)
		got += (size_t)n;
	if (n < 0)
		rc = hv_error_set(err, -errno, "%s: %s", path, strerror(errno));
	else if (got > HV_VMDEF_FILE_MAX)
		rc = hv_error_set(err, -EMSGSIZE, "%s: larger than %u bytes",
		                  path, HV_VMDEF_FILE_MAX);
out:
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* Make path[4096] absolute against dir when it is relative. */
static int absolute_path(char *path, const char *dir, const char *what,
                         size_t i, struct hv_error *err)
{
	char joined[sizeof(((struct hv_vmdisk *)0)->path)];

	if (!path[0] || path[0] == '/')
		return 0;
	if (snprintf(joined, sizeof(joined), "%s/%s", dir, path) >=
	    (int)sizeof(joined))
		return hv_error_set(err, -ENAMETOOLONG, "%s %zu: path too long",
		                    what, i);
	memcpy(path, joined, sizeof(joined));
	return 0;
}

/*
 * Make the relative image paths and serial port files of def absolute
 * against dir (a .vmx names them next to itself).
 */
static int absolute_paths(struct hv_vmdef *def, const char *dir,
                          struct hv_error *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < def->n_disks; i++)
		rc = absolute_path(def->disks[i].path, dir, "disk", i, err);
	for (i = 0; rc == 0 && i < def->n_serials; i++)
		rc = absolute_path(def->serials[i].path, dir, "serial", i, err);
	return rc;
}

int hv_vmdef_load(const char *path, const enum hv_def_format *format,
                  struct hv_vmdef *def, struct hv_error *err)
{
	enum hv_def_format f;
	char *text = NULL, *copy = NULL;
	size_t len = 0;
	int rc;

	rc = read_file(path, &text, &len, err);
	if (rc < 0)
		return rc;
	if (format)
		f = *format;
	else if ((rc = hv_def_format_guess(path, text, len, &f, err)) < 0)
		goto out;
	switch (f) {
	case HV_DEF_XML:
		rc = hv_vmdef_xml_parse(text, len, def, err);
		break;
	case HV_DEF_VMX:
		rc = hv_vmx_parse(text, len, path, def, err);
		break;
	case HV_DEF_XLCFG:
		rc = hv_xlcfg_parse(text, len, path, def, err);
		break;
	}
	if (rc == 0 && !(copy = strdup(path)))
		rc = hv_error_set(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = absolute_paths(def, dirname(copy), err);
out:
	free(copy);
	free(text);
	return rc;
}

int hv_vmdef_format(const struct hv_vmdef *def, enum hv_def_format format,
                    char **out, struct hv_error *err)
{
	switch (format) {
	case HV_DEF_XML:
		return hv_vmdef_xml_write(def, out, err);
	case HV_DEF_VMX:
		return hv_vmx_write(def, out, err);
	case HV_DEF_XLCFG:
		return hv_xlcfg_write(def, out, err);
	}
	return hv_error_set(err, -EINVAL, "unknown definition format %d",
	                    (int)format);
}

/* Write text to a new file path (O_EXCL), removed again on failure. */
static int write_new(const char *path, const char *text, struct hv_error *err)
{
	size_t len = strlen(text), done = 0;
	ssize_t n = 0;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return hv_error_set(err, -errno, "%s: %s", path,
		                    strerror(errno));
	while (done < len && (n = write(fd, text + done, len - done)) > 0)
		done += (size_t)n;
	if (done < len || fsync(fd) < 0)
		rc = hv_error_set(err, n < 0 ? -errno : -EIO, "%s: %s", path,
		                  strerror(n < 0 ? errno : EIO));
	if (close(fd) < 0 && rc == 0)
		rc = hv_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(path);
	return rc;
}

int hv_vmdef_save(const struct hv_vmdef *def, const char *dir,
                  char paths[HV_VMDEF_FILES][4096], size_t *n_paths,
                  struct hv_error *err)
{
	static const struct {
		enum hv_kind kind;
		enum hv_def_format format;
		const char *ext;
	} files[] = {
		{ HV_KIND_KVM, HV_DEF_XML, "xml" },
		{ HV_KIND_XEN, HV_DEF_XLCFG, "cfg" },
		{ HV_KIND_XEN, HV_DEF_XML, "xml" },
		{ HV_KIND_VMWARE, HV_DEF_VMX, "vmx" },
	};
	char *text = NULL;
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i].kind != def->kind)
			continue;
		if (snprintf(paths[n], 4096, "%s/%s.%s", dir, def->name,
		             files[i].ext) >= 4096) {
			rc = hv_error_set(err, -ENAMETOOLONG,
			                  "%s: path too long", dir);
			break;
		}
		rc = hv_vmdef_format(def, files[i].format, &text, err);
		if (rc == 0)
			rc = write_new(paths[n], text, err);
		free(text);
		text = NULL;
		if (rc == 0)
			n++;
	}
	if (rc < 0) {
		while (n > 0)
			unlink(paths[--n]);
	}
	*n_paths = n;
	return rc;
}
