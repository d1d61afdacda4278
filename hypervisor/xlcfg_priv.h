/*
 * xlcfg_priv.h: what tests/hypervisor/test_xlcfg.c reaches inside xlcfg.c.
 */
#ifndef SKYFERRY_HV_XLCFG_PRIV_H
#define SKYFERRY_HV_XLCFG_PRIV_H

#include <stddef.h>

/* Every allocation of xlcfg.c; realloc unless a test injects failures. */
extern void *(*hv_xlcfg_realloc)(void *ptr, size_t size);

#endif
