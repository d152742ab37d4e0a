/* memory.h - the model's large arrays (a population's attributes, a run's
 * pairs and outcomes): malloc'd, and where the kernel offers transparent huge
 * pages on request (Linux's "madvise" mode), asked for them over the
 * array's whole 2 MiB pages. A run of 10^6 pairs touches 160 MB once; in
 * 4 KiB pages that is 40,000 page faults, a tenth of its time on a virtual
 * machine. Every page of such an array is written, so the peak RSS stays
 * what it was. Free with free(). Private to the model layer. */
#ifndef RP_MODEL_MEMORY_H
#define RP_MODEL_MEMORY_H

#include <stddef.h>

void *rp_big_alloc(size_t bytes);

#endif
