/* Plain-C helpers shared by the Win32 and POSIX halves of the benchmarks. */
#ifndef W2U_BENCH_HARNESS_H
#define W2U_BENCH_HARNESS_H

#include <stdint.h>

double bench_seconds(void);
/* Runs fn(arg[i]) on n threads at once and waits for them. */
void bench_threads(int n, void *(*fn)(void *), void **args);

/* The baseline: a plain mutex + condition-variable FIFO with one heap node
 * per item, the queue a C programmer writes first. */
struct bq;
struct bq *bq_new(void);
void bq_free(struct bq *q);
void bq_push(struct bq *q, uintptr_t value);
uintptr_t bq_pop(struct bq *q);   /* blocks while empty */

#endif
