/* POSIX half of the benchmarks: clock, threads, baseline queue. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"

double bench_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_threads(int n, void *(*fn)(void *), void **args)
{
    pthread_t th[64];
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, fn, args[i]) != 0)
            abort();
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

struct node {
    struct node *next;
    uintptr_t value;
};

struct bq {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    struct node *head, **tail;
    int waiting;
};

struct bq *bq_new(void)
{
    struct bq *q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    q->tail = &q->head;
    return q;
}

void bq_free(struct bq *q)
{
    while (q->head) {
        struct node *n = q->head;
        q->head = n->next;
        free(n);
    }
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->nonempty);
    free(q);
}

void bq_push(struct bq *q, uintptr_t value)
{
    struct node *n = malloc(sizeof(*n));
    if (!n)
        abort();
    n->next = NULL;
    n->value = value;
    pthread_mutex_lock(&q->lock);
    *q->tail = n;
    q->tail = &n->next;
    if (q->waiting)
        pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
}

uintptr_t bq_pop(struct bq *q)
{
    pthread_mutex_lock(&q->lock);
    while (!q->head) {
        q->waiting++;
        pthread_cond_wait(&q->nonempty, &q->lock);
        q->waiting--;
    }
    struct node *n = q->head;
    q->head = n->next;
    if (!q->head)
        q->tail = &q->head;
    pthread_mutex_unlock(&q->lock);
    uintptr_t v = n->value;
    free(n);
    return v;
}
