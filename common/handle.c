/* The handle table (see w2u.h for the contract).
 *
 * Slots live in chunks that are allocated once and never moved or freed, so
 * a look-up reads them without a lock.  Each slot has one 64-bit state word:
 *   bits 63..32  generation (bumped each time the slot is freed)
 *   bit  31      closing (the handle was closed; look-ups fail)
 *   bits 30..0   references to the object in the slot
 * A look-up takes a reference with one compare-and-swap that also checks the
 * generation, so it can never take a reference on a freed or reused slot. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "w2u.h"

#define CHUNK_BITS   12
#define CHUNK_SLOTS  (1u << CHUNK_BITS)
#define MAX_CHUNKS   256u                      /* 2^20 slots */
#define GEN_BITS     8                         /* generation bits in a value */
/* Bit 30 is set in every value: ws2uring's handles then lie far above the
 * small values Wine gives its own handles (under Wine both live in one
 * process until SOCKETs become Wine handles), so a program that passes a
 * SOCKET to Wine's CloseHandle gets ERROR_INVALID_HANDLE instead of closing
 * something else. */
#define VALUE_MARK   (1u << (CHUNK_BITS + 8 + 2 + GEN_BITS))
#define CLOSING      (1ull << 31)
#define REFS_MASK    (CLOSING - 1)

struct slot {
    _Atomic uint64_t state;
    struct w2u_object *_Atomic obj;
    uint32_t next_free;
};

static struct slot *_Atomic chunks[MAX_CHUNKS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t free_head, free_tail;          /* FIFO, so values are reused late */
static uint32_t next_unused = 1;               /* slot 0 is never used: value 0 is invalid */
static _Atomic size_t open_handles;

static inline struct slot *slot_at(uint32_t idx)
{
    struct slot *chunk = atomic_load_explicit(&chunks[idx >> CHUNK_BITS], memory_order_acquire);
    return chunk ? &chunk[idx & (CHUNK_SLOTS - 1)] : NULL;
}

static inline uintptr_t make_value(uint32_t idx, uint64_t gen)
{
    return VALUE_MARK | ((uintptr_t)(gen & ((1u << GEN_BITS) - 1)) << (CHUNK_BITS + 8 + 2)) |
           ((uintptr_t)idx << 2);
}

static inline bool decode(uintptr_t value, uint32_t *idx, uint32_t *gen)
{
    if (value & 3u || (value & ~(uintptr_t)(VALUE_MARK - 1)) != VALUE_MARK)
        return false;
    *idx = (uint32_t)(value >> 2) & ((1u << (CHUNK_BITS + 8)) - 1);
    *gen = (uint32_t)(value >> (CHUNK_BITS + 8 + 2)) & ((1u << GEN_BITS) - 1);
    return *idx != 0;
}

static inline bool gen_matches(uint64_t state, uint32_t gen)
{
    return ((state >> 32) & ((1u << GEN_BITS) - 1)) == gen;
}

/* One compare-and-swap on an open slot of generation gen: take a reference
 * (look-up) or mark it closing (close; the table's reference passes to the
 * closer).  false when the slot is not open with that generation. */
static bool slot_take(struct slot *s, uint32_t gen, bool close)
{
    uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    uint64_t next;
    do {
        if (!gen_matches(st, gen) || (st & CLOSING) || !(st & REFS_MASK))
            return false;
        next = close ? st | CLOSING : st + 1;
    } while (!atomic_compare_exchange_weak_explicit(&s->state, &st, next,
                                                    memory_order_acq_rel, memory_order_acquire));
    return true;
}

int w2u_handle_alloc(struct w2u_object *obj, const struct w2u_object_ops *ops, uintptr_t *handle)
{
    uint32_t idx;
    struct slot *s;

    pthread_mutex_lock(&table_lock);
    if (free_head) {
        idx = free_head;
        s = slot_at(idx);
        free_head = s->next_free;
        if (!free_head)
            free_tail = 0;
    } else {
        idx = next_unused;
        if (idx >= MAX_CHUNKS * CHUNK_SLOTS) {
            pthread_mutex_unlock(&table_lock);
            return -EMFILE;
        }
        if (!slot_at(idx)) {
            struct slot *chunk = calloc(CHUNK_SLOTS, sizeof(*chunk));
            if (!chunk) {
                pthread_mutex_unlock(&table_lock);
                return -ENOMEM;
            }
            atomic_store_explicit(&chunks[idx >> CHUNK_BITS], chunk, memory_order_release);
        }
        next_unused++;
        s = slot_at(idx);
    }
    pthread_mutex_unlock(&table_lock);

    obj->ops = ops;
    obj->slot = idx;
    uint64_t gen = atomic_load_explicit(&s->state, memory_order_relaxed) >> 32;
    obj->handle = make_value(idx, gen);
    atomic_store_explicit(&s->obj, obj, memory_order_relaxed);
    atomic_fetch_add_explicit(&open_handles, 1, memory_order_relaxed);
    /* Publishing refs = 1 makes the slot visible to look-ups. */
    atomic_store_explicit(&s->state, (gen << 32) | 1u, memory_order_release);
    *handle = obj->handle;
    return 0;
}

/* ---- aliases -----------------------------------------------------------------
 * A host may give an object a second value of its own (under Wine, the Wine
 * handle a program holds for a socket): small multiples of 4 without
 * VALUE_MARK, kept in a two-level table read without a lock. */
#define ALIAS_LIMIT       (1u << 24)                /* alias values below this */
#define ALIAS_CHUNK_BITS  12
#define ALIAS_CHUNKS      ((ALIAS_LIMIT >> 2) >> ALIAS_CHUNK_BITS)

static _Atomic uintptr_t *_Atomic alias_chunks[ALIAS_CHUNKS];

static _Atomic uintptr_t *alias_slot(uintptr_t alias, bool create)
{
    if (!alias || alias & 3u || alias >= ALIAS_LIMIT)
        return NULL;
    uint32_t i = (uint32_t)(alias >> 2);
    _Atomic uintptr_t *chunk = atomic_load_explicit(&alias_chunks[i >> ALIAS_CHUNK_BITS], memory_order_acquire);
    if (!chunk && create) {
        pthread_mutex_lock(&table_lock);
        chunk = atomic_load_explicit(&alias_chunks[i >> ALIAS_CHUNK_BITS], memory_order_relaxed);
        if (!chunk && (chunk = calloc(1u << ALIAS_CHUNK_BITS, sizeof(*chunk))))
            atomic_store_explicit(&alias_chunks[i >> ALIAS_CHUNK_BITS], chunk, memory_order_release);
        pthread_mutex_unlock(&table_lock);
    }
    return chunk ? &chunk[i & ((1u << ALIAS_CHUNK_BITS) - 1)] : NULL;
}

/* The value an alias stands for; any other value as it is. */
static uintptr_t resolve(uintptr_t value)
{
    if (value & VALUE_MARK)
        return value;
    _Atomic uintptr_t *a = alias_slot(value, false);
    uintptr_t target = a ? atomic_load_explicit(a, memory_order_acquire) : 0;
    return target ? target : value;
}

int w2u_handle_alias(uintptr_t alias, uintptr_t handle)
{
    uint32_t idx, gen;
    if (!decode(handle, &idx, &gen))
        return -EBADF;
    _Atomic uintptr_t *a = alias_slot(alias, true);
    if (!a)
        return alias && !(alias & 3u) && alias < ALIAS_LIMIT ? -ENOMEM : -EINVAL;
    atomic_store_explicit(a, handle, memory_order_release);
    return 0;
}

uintptr_t w2u_handle_unalias(uintptr_t alias)
{
    _Atomic uintptr_t *a = alias_slot(alias, false);
    return a ? atomic_exchange_explicit(a, 0, memory_order_acq_rel) : 0;
}

int w2u_handle_lookup(uintptr_t handle, enum w2u_object_type type, struct w2u_object **out)
{
    uint32_t idx, gen;
    struct slot *s;

    *out = NULL;
    handle = resolve(handle);
    if (!decode(handle, &idx, &gen) || !(s = slot_at(idx)) || !slot_take(s, gen, false))
        return -EBADF;
    struct w2u_object *obj = atomic_load_explicit(&s->obj, memory_order_relaxed);
    if (type != W2U_OBJ_ANY && obj->ops->type != type) {
        w2u_object_unref(obj);
        return -EBADFD;
    }
    *out = obj;
    return 0;
}

struct w2u_object *w2u_handle_get(uintptr_t handle, enum w2u_object_type type)
{
    struct w2u_object *obj;
    return w2u_handle_lookup(handle, type, &obj) == 0 ? obj : NULL;
}

bool w2u_handle_names(uintptr_t handle, const struct w2u_object *obj)
{
    uint32_t idx, gen;
    handle = resolve(handle);
    if (handle != obj->handle || !decode(handle, &idx, &gen))
        return false;
    uint64_t st = atomic_load_explicit(&slot_at(idx)->state, memory_order_acquire);
    return gen_matches(st, gen) && !(st & CLOSING);
}

void w2u_object_ref(struct w2u_object *obj)
{
    atomic_fetch_add_explicit(&slot_at(obj->slot)->state, 1, memory_order_relaxed);
}

void w2u_object_unref(struct w2u_object *obj)
{
    uint32_t idx = obj->slot;
    struct slot *s = slot_at(idx);
    uint64_t st = atomic_fetch_sub_explicit(&s->state, 1, memory_order_acq_rel);
    if ((st & REFS_MASK) != 1)
        return;

    obj->ops->destroy(obj);

    /* New generation, no references, not closing: stale values now fail. */
    atomic_store_explicit(&s->obj, NULL, memory_order_relaxed);
    atomic_store_explicit(&s->state, ((st >> 32) + 1) << 32, memory_order_release);
    pthread_mutex_lock(&table_lock);
    s->next_free = 0;
    if (free_tail)
        slot_at(free_tail)->next_free = idx;
    else
        free_head = idx;
    free_tail = idx;
    pthread_mutex_unlock(&table_lock);
}

int w2u_handle_close(uintptr_t handle)
{
    uint32_t idx, gen;
    struct slot *s;

    handle = resolve(handle);
    if (!decode(handle, &idx, &gen) || !(s = slot_at(idx)) || !slot_take(s, gen, true))
        return -EBADF;
    struct w2u_object *obj = atomic_load_explicit(&s->obj, memory_order_relaxed);
    atomic_fetch_sub_explicit(&open_handles, 1, memory_order_relaxed);
    if (obj->ops->close)
        obj->ops->close(obj);
    w2u_object_unref(obj);   /* the table's reference */
    return 0;
}

size_t w2u_handle_close_all(enum w2u_object_type type)
{
    size_t closed = 0;
    pthread_mutex_lock(&table_lock);
    uint32_t end = next_unused;
    pthread_mutex_unlock(&table_lock);
    for (uint32_t idx = 1; idx < end; idx++) {
        struct slot *s = slot_at(idx);
        uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
        if (!(st & REFS_MASK) || (st & CLOSING))
            continue;
        uintptr_t value = make_value(idx, st >> 32);
        struct w2u_object *obj = w2u_handle_get(value, type);
        if (!obj)
            continue;       /* another type, or closed meanwhile */
        w2u_object_unref(obj);
        closed += w2u_handle_close(value) == 0;
    }
    return closed;
}

size_t w2u_handle_count(void)
{
    return atomic_load_explicit(&open_handles, memory_order_relaxed);
}
