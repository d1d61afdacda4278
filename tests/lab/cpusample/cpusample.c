/*
 * cpusample: stat-line parser and CPU-time accounting per network
 * namespace. See cpusample.h for the rules.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lab/cpusample/cpusample.h"

#define STAT_LAST_FIELD 22
#define TAB_MIN         256

static const char *const excluded_comms[] = {
	"libvirtd",
	"virtlogd",
	"virtqemud",
};

/*
 * Parses the decimal number in [s, e): an optional '-' if sign_ok, then
 * one or more digits, no overflow. The value of a negative number is not
 * kept (no field the accounting uses can be negative).
 */
static int parse_num(const char *s, const char *e, bool sign_ok, uint64_t *v)
{
	uint64_t n = 0;

	if (s < e && *s == '-' && sign_ok)
		s++;
	if (s >= e)
		return -EINVAL;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (v != NULL)
		*v = n;
	return 0;
}

/* Fields 14, 15 and 22 are unsigned; the others may be negative. */
static bool field_signed(int field)
{
	return field != 14 && field != 15 && field != STAT_LAST_FIELD;
}

int cpusample_stat_parse(const char *line, size_t len,
                         struct cpusample_stat *out)
{
	const char *end, *open, *close, *p, *q;
	uint64_t v;
	size_t n;
	int field;

	if (line == NULL || out == NULL)
		return -EINVAL;
	end = line + len;
	if (len > 0 && end[-1] == '\n')
		end--;
	open = memchr(line, '(', (size_t)(end - line));
	close = memrchr(line, ')', (size_t)(end - line));
	if (open == NULL || close == NULL || close < open || open - line < 2 ||
	    open[-1] != ' ')
		return -EINVAL;

	/* Field 1, the tid, then " (comm) ". */
	if (parse_num(line, open - 1, false, &v) != 0 || v == 0 ||
	    v > INT32_MAX)
		return -EINVAL;
	out->tid = (int32_t)v;
	n = (size_t)(close - open - 1);
	if (memchr(open + 1, '\0', n) != NULL)
		return -EINVAL;
	if (n >= sizeof(out->comm))
		n = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, n);
	out->comm[n] = '\0';

	/* Field 3, the state: one character. */
	p = close + 1;
	if (end - p < 3 || p[0] != ' ' || p[1] == ' ' || p[2] != ' ')
		return -EINVAL;
	out->state = p[1];
	p += 3;

	for (field = 4; field <= STAT_LAST_FIELD; field++) {
		q = memchr(p, ' ', (size_t)(end - p));
		if (q == NULL)
			q = end;
		if (q == end && field != STAT_LAST_FIELD)
			return -EINVAL;
		if (parse_num(p, q, field_signed(field), &v) != 0)
			return -EINVAL;
		if (field == 14)
			out->utime = v;
		else if (field == 15)
			out->stime = v;
		else if (field == STAT_LAST_FIELD)
			out->starttime = v;
		p = q + 1;
	}
	return 0;
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static bool name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len >= CPUSAMPLE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (!name_char_ok(name[i]))
			return false;
	}
	return true;
}

int cpusample_netns_arg_parse(const char *arg, char *name, size_t name_size,
                              const char **path)
{
	const char *eq;
	size_t len;

	if (arg == NULL || name == NULL || path == NULL)
		return -EINVAL;
	eq = strchr(arg, '=');
	if (eq == NULL || eq[1] == '\0')
		return -EINVAL;
	len = (size_t)(eq - arg);
	if (!name_ok(arg, len) || len >= name_size)
		return -EINVAL;
	memcpy(name, arg, len);
	name[len] = '\0';
	*path = eq + 1;
	return 0;
}

bool cpusample_comm_excluded(const char *comm)
{
	size_t i;

	if (comm == NULL)
		return false;
	for (i = 0; i < sizeof(excluded_comms) / sizeof(excluded_comms[0]);
	     i++) {
		if (strcmp(comm, excluded_comms[i]) == 0)
			return true;
	}
	return false;
}

bool cpusample_comm_is_vcpu(const char *comm)
{
	if (comm == NULL || strncmp(comm, "CPU ", 4) != 0)
		return false;
	return strstr(comm, "/TCG") != NULL || strstr(comm, "/KVM") != NULL;
}

void cpusample_init(struct cpusample *cs)
{
	memset(cs, 0, sizeof(*cs));
}

void cpusample_free(struct cpusample *cs)
{
	if (cs == NULL)
		return;
	free(cs->tab);
	cs->tab = NULL;
	cs->cap = 0;
	cs->count = 0;
}

int cpusample_group_add(struct cpusample *cs, const char *name, uint64_t dev,
                        uint64_t ino)
{
	struct cpusample_group *g;
	size_t i, len;

	if (name == NULL)
		return -EINVAL;
	len = strlen(name);
	if (!name_ok(name, len))
		return -EINVAL;
	for (i = 0; i < cs->ngroups; i++) {
		g = &cs->groups[i];
		if (strcmp(g->name, name) == 0 ||
		    (g->dev == dev && g->ino == ino))
			return -EEXIST;
	}
	if (cs->ngroups >= CPUSAMPLE_GROUPS_MAX)
		return -ENOSPC;
	g = &cs->groups[cs->ngroups];
	memset(g, 0, sizeof(*g));
	memcpy(g->name, name, len + 1);
	g->dev = dev;
	g->ino = ino;
	return (int)cs->ngroups++;
}

int cpusample_group_find(const struct cpusample *cs, uint64_t dev, uint64_t ino)
{
	size_t i;

	for (i = 0; i < cs->ngroups; i++) {
		if (cs->groups[i].dev == dev && cs->groups[i].ino == ino)
			return (int)i;
	}
	return -1;
}

void cpusample_start(struct cpusample *cs, uint64_t now_ticks)
{
	cs->start = now_ticks;
}

static size_t task_hash(int32_t tid, uint64_t starttime)
{
	uint64_t h;

	h = (uint64_t)(uint32_t)tid * 0x9e3779b97f4a7c15ull;
	h ^= starttime * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	return (size_t)h;
}

/* The slot of the task, or the free slot where it would go. */
static struct cpusample_task *task_slot(struct cpusample_task *tab, size_t cap,
                                        int32_t pid, int32_t tid,
                                        uint64_t starttime)
{
	size_t i = task_hash(tid, starttime) & (cap - 1);
	struct cpusample_task *t;

	for (;; i = (i + 1) & (cap - 1)) {
		t = &tab[i];
		if (t->tid == 0 || (t->tid == tid && t->pid == pid &&
		                    t->starttime == starttime))
			return t;
	}
}

/* Keeps the table at most half full. */
static int task_tab_grow(struct cpusample *cs)
{
	struct cpusample_task *tab, *t;
	size_t cap, i;

	if ((cs->count + 1) * 2 <= cs->cap)
		return 0;
	cap = cs->cap == 0 ? TAB_MIN : cs->cap * 2;
	tab = calloc(cap, sizeof(*tab));
	if (tab == NULL)
		return -ENOMEM;
	for (i = 0; i < cs->cap; i++) {
		t = &cs->tab[i];
		if (t->tid != 0)
			*task_slot(tab, cap, t->pid, t->tid, t->starttime) = *t;
	}
	free(cs->tab);
	cs->tab = tab;
	cs->cap = cap;
	return 0;
}

int cpusample_task_seen(struct cpusample *cs, int group, int32_t pid,
                        const char *proc_comm, const struct cpusample_stat *st)
{
	struct cpusample_task *t;
	uint64_t ticks;
	int ret;

	if (group < 0 || (size_t)group >= cs->ngroups || pid <= 0 ||
	    st->tid <= 0)
		return -EINVAL;
	if (cpusample_comm_excluded(proc_comm) ||
	    cpusample_comm_is_vcpu(st->comm)) {
		cs->excluded++;
		if (cs->cap > 0) {
			t = task_slot(cs->tab, cs->cap, pid, st->tid,
			              st->starttime);
			if (t->tid != 0)
				t->excluded = true;
		}
		return 0;
	}
	ticks = st->utime + st->stime;
	if (ticks < st->utime)
		ticks = UINT64_MAX;
	if (cs->cap > 0) {
		t = task_slot(cs->tab, cs->cap, pid, st->tid, st->starttime);
		if (t->tid != 0) {
			t->last = ticks;
			return 0;
		}
	}
	if (cs->count >= CPUSAMPLE_TASKS_MAX)
		return -ENOSPC;
	ret = task_tab_grow(cs);
	if (ret < 0)
		return ret;
	t = task_slot(cs->tab, cs->cap, pid, st->tid, st->starttime);
	t->pid = pid;
	t->tid = st->tid;
	t->group = group;
	t->starttime = st->starttime;
	t->born = st->starttime >= cs->start;
	t->first = ticks;
	t->last = ticks;
	cs->count++;
	return 0;
}

uint64_t cpusample_task_ticks(const struct cpusample_task *t)
{
	if (t->born)
		return t->last;
	return t->last > t->first ? t->last - t->first : 0;
}

void cpusample_sum(struct cpusample *cs)
{
	struct cpusample_group *g;
	struct cpusample_task *t;
	uint64_t ticks;
	size_t i;

	for (i = 0; i < cs->ngroups; i++) {
		cs->groups[i].ticks = 0;
		cs->groups[i].tasks = 0;
	}
	for (i = 0; i < cs->cap; i++) {
		t = &cs->tab[i];
		if (t->tid == 0 || t->excluded)
			continue;
		g = &cs->groups[t->group];
		ticks = cpusample_task_ticks(t);
		g->ticks =
		    g->ticks + ticks < g->ticks ? UINT64_MAX : g->ticks + ticks;
		g->tasks++;
	}
}
