/* Memory workload working set: rewrite and sweep with verification. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sf_workset.h"

/* 1 TiB of pages: far beyond any guest, keeps the size arithmetic safe. */
#define SF_WORKSET_MAX_PAGES (1ULL << 28)

int sf_workset_init(struct sf_workset *ws, uint64_t npages, struct sf_err *err)
{
	uint64_t i;
	void *mem;

	memset(ws, 0, sizeof(*ws));
	if (npages == 0)
		return 0;
	if (npages > SF_WORKSET_MAX_PAGES) {
		sf_err_set(err, "working set of %llu pages is too large",
		           (unsigned long long)npages);
		return -EINVAL;
	}
	ws->gens = calloc(npages, sizeof(*ws->gens));
	if (ws->gens == NULL) {
		sf_err_set(err, "cannot allocate generation table: %s",
		           strerror(errno));
		return -ENOMEM;
	}
	mem = mmap(NULL, npages * SF_PAGE_SIZE, PROT_READ | PROT_WRITE,
	           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		int saved = errno;

		sf_err_set(err, "cannot map %llu pages: %s",
		           (unsigned long long)npages, strerror(saved));
		free(ws->gens);
		ws->gens = NULL;
		return -saved;
	}
	ws->mem = mem;
	ws->npages = npages;
	for (i = 0; i < npages; i++) {
		ws->gens[i] = 1;
		sf_page_fill(sf_workset_page(ws, i), i, 1);
	}
	ws->max_gen = 1;
	return 0;
}

void sf_workset_fini(struct sf_workset *ws)
{
	if (ws->mem != NULL)
		munmap(ws->mem, ws->npages * SF_PAGE_SIZE);
	free(ws->gens);
	memset(ws, 0, sizeof(*ws));
}

uint8_t *sf_workset_page(struct sf_workset *ws, uint64_t page_no)
{
	return ws->mem + page_no * SF_PAGE_SIZE;
}

/* Check one page against its expected generation and count the result. */
static int sf_workset_verify(struct sf_workset *ws, uint64_t page_no,
                             struct sf_page_report *report)
{
	uint64_t found_gen = 0;
	enum sf_page_status status;

	status = sf_page_check(sf_workset_page(ws, page_no), page_no,
	                       ws->gens[page_no], &found_gen);
	ws->verified++;
	if (status == SF_PAGE_OK)
		return 0;
	ws->mismatches++;
	report->page_no = page_no;
	report->expected_gen = ws->gens[page_no];
	report->found_gen = found_gen;
	report->status = status;
	return -EBADMSG;
}

int sf_workset_dirty_next(struct sf_workset *ws, struct sf_page_report *report)
{
	uint64_t page_no;
	int ret;

	if (ws->npages == 0)
		return 0;
	page_no = ws->dirty_cursor;
	ws->dirty_cursor = (page_no + 1) % ws->npages;
	ret = sf_workset_verify(ws, page_no, report);
	ws->gens[page_no]++;
	sf_page_fill(sf_workset_page(ws, page_no), page_no, ws->gens[page_no]);
	if (ws->gens[page_no] > ws->max_gen)
		ws->max_gen = ws->gens[page_no];
	ws->dirtied++;
	return ret;
}

int sf_workset_sweep_next(struct sf_workset *ws, struct sf_page_report *report)
{
	uint64_t page_no;
	int ret;

	if (ws->npages == 0)
		return 0;
	page_no = ws->sweep_cursor;
	ws->sweep_cursor = (page_no + 1) % ws->npages;
	ret = sf_workset_verify(ws, page_no, report);
	if (ret < 0)
		sf_page_fill(sf_workset_page(ws, page_no), page_no,
		             ws->gens[page_no]);
	return ret;
}
