/* memory.c - large arrays on huge pages where offered; see memory.h. */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "model/memory.h"

#include <stdint.h>
#include <stdlib.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)

void *rp_big_alloc(size_t bytes)
{
    void *p = malloc(bytes);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p && bytes >= 2 * HUGE_PAGE) {
        /* the whole huge pages inside the array; a refusal (no THP) changes nothing */
        const uintptr_t from = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
        const uintptr_t to = ((uintptr_t)p + bytes) & ~(uintptr_t)(HUGE_PAGE - 1);
        if (to > from)
            (void)madvise((void *)from, to - from, MADV_HUGEPAGE);
    }
#endif
    return p;
}
