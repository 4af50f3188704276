/* Linux side of the iocp tests (see iocp_fixture.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../iocp/iocp_internal.h"
#include "../uring-backend/uring.h"
#include "iocp_fixture.h"

struct fx_file {
    struct w2u_object obj;
    struct iocp_binding binding;
    int rfd, wfd;
};

struct fx_req {
    struct ur_req ur;
    struct iocp_completion c;
    struct fx_file *file;              /* a reference while in flight */
    struct iovec iov;
    void (*fn)(void *ctx);
    void *ctx;
};

static _Atomic unsigned live_requests;

static int file_cancel(struct fx_file *f)
{
    struct iocp_port *port = f->binding.own_port;
    if (!port)
        return 0;
    uint32_t st;
    int r = ur_cancel_fd(iocp_port_ring(port, &st), f->rfd);
    iocp_port_drain(port);
    return r;
}

static void file_close(struct w2u_object *obj)
{
    file_cancel(W2U_CONTAINER_OF(obj, struct fx_file, obj));
}

static void file_destroy(struct w2u_object *obj)
{
    struct fx_file *f = W2U_CONTAINER_OF(obj, struct fx_file, obj);
    iocp_binding_release(&f->binding);
    close(f->rfd);
    close(f->wfd);
    free(f);
}

static const struct w2u_object_ops file_ops = {
    .type = W2U_OBJ_TEST, .name = "test file", .close = file_close, .destroy = file_destroy,
};

uintptr_t fx_file_create(void)
{
    struct fx_file *f = calloc(1, sizeof(*f));
    int fds[2];
    uintptr_t h;
    if (!f || pipe2(fds, O_CLOEXEC) < 0)
        abort();
    f->rfd = fds[0];
    f->wfd = fds[1];
    iocp_binding_init(&f->binding);
    f->obj.binding = &f->binding;
    if (w2u_handle_alloc(&f->obj, &file_ops, &h) < 0)
        abort();
    return h;
}

static struct fx_file *file_get(uintptr_t h)
{
    struct w2u_object *obj = w2u_handle_get(h, W2U_OBJ_TEST);
    return obj ? W2U_CONTAINER_OF(obj, struct fx_file, obj) : NULL;
}

static void req_release(struct iocp_packet *p)
{
    struct fx_req *r = W2U_CONTAINER_OF(p, struct fx_req, c.packet);
    w2u_object_unref(&r->file->obj);
    free(r);
    atomic_fetch_sub(&live_requests, 1);
}

static void req_apc(struct iocp_apc *apc)
{
    struct fx_req *r = W2U_CONTAINER_OF(apc, struct fx_req, c.apc);
    r->fn(r->ctx);
    req_release(&r->c.packet);
}

static void req_drop(struct iocp_apc *apc)
{
    struct fx_req *r = W2U_CONTAINER_OF(apc, struct fx_req, c.apc);
    req_release(&r->c.packet);
}

static struct fx_req *req_new(struct fx_file *f, void *ov)
{
    struct fx_req *r = calloc(1, sizeof(*r));
    if (!r)
        abort();
    r->file = f;
    r->c.binding = &f->binding;
    r->c.ov = ov;
    r->c.packet.release = req_release;
    atomic_fetch_add(&live_requests, 1);
    return r;
}

static void read_done(struct ur_req *ur, int res, uint32_t flags)
{
    (void)flags;
    struct fx_req *r = W2U_CONTAINER_OF(ur, struct fx_req, ur);
    if (res < 0)
        iocp_complete(&r->c, w2u_errno_to_status(-res), 0, false);
    else
        iocp_complete(&r->c, W2U_STATUS_SUCCESS, (uintptr_t)res, false);
}

int fx_file_read(uintptr_t h, void *ov, void *buf, unsigned len)
{
    struct fx_file *f = file_get(h);
    if (!f)
        return -EBADF;
    struct iocp_port *port = f->binding.own_port;
    if (!port) {
        w2u_object_unref(&f->obj);
        return -EINVAL;
    }
    uint32_t st;
    struct ur_ring *ring = iocp_port_ring(port, &st);
    struct fx_req *r = req_new(f, ov);      /* keeps the file's reference */
    r->ur.cb = read_done;
    r->iov.iov_base = buf;
    r->iov.iov_len = len;
    ((struct iocp_overlapped *)ov)->internal = W2U_STATUS_PENDING;
    int ret = ur_readv(ring, &r->ur, f->rfd, &r->iov, 1, (uint64_t)-1);
    if (ret < 0) {
        req_release(&r->c.packet);
        return ret;
    }
    iocp_port_submitted(port);
    return 0;
}

int fx_file_feed(uintptr_t h, const void *data, unsigned len)
{
    struct fx_file *f = file_get(h);
    if (!f)
        return -EBADF;
    ssize_t n = write(f->wfd, data, len);
    w2u_object_unref(&f->obj);
    return n < 0 ? -errno : (int)n;
}

int fx_file_cancel(uintptr_t h)
{
    struct fx_file *f = file_get(h);
    if (!f)
        return -EBADF;
    int r = file_cancel(f);
    w2u_object_unref(&f->obj);
    return r;
}

void fx_file_complete(uintptr_t h, void *ov, uint32_t status, uintptr_t bytes, int synchronous,
                      void (*apc)(void *ctx), void *ctx)
{
    struct fx_file *f = file_get(h);
    if (!f)
        abort();
    struct fx_req *r = req_new(f, ov);
    if (ov)
        ((struct iocp_overlapped *)ov)->internal = W2U_STATUS_PENDING;
    if (apc) {
        r->fn = apc;
        r->ctx = ctx;
        r->c.apc_thread = iocp_thread_self();
        r->c.apc.fn = req_apc;
        r->c.apc.drop = req_drop;
    }
    iocp_complete(&r->c, status, bytes, synchronous != 0);
}

uintptr_t fx_event_create(int manual)
{
    uintptr_t h;
    if (iocp_event_create(manual != 0, false, &h) != W2U_STATUS_SUCCESS)
        abort();
    return h;
}

int fx_event_is_set(uintptr_t event)
{
    return iocp_event_wait(event, 0, false) == W2U_STATUS_SUCCESS;
}

void *fx_thread_self(void)
{
    return iocp_thread_self();
}

struct fx_apc {
    struct iocp_apc apc;
    void (*fn)(void *ctx);
    void *ctx;
};

static void fx_apc_run(struct iocp_apc *apc)
{
    struct fx_apc *a = (struct fx_apc *)apc;
    a->fn(a->ctx);
    free(a);
}

static void fx_apc_drop(struct iocp_apc *apc)
{
    free(apc);
}

void fx_queue_apc(void *thread, void (*fn)(void *ctx), void *ctx)
{
    struct fx_apc *a = calloc(1, sizeof(*a));
    if (!a)
        abort();
    a->apc.fn = fx_apc_run;
    a->apc.drop = fx_apc_drop;
    a->fn = fn;
    a->ctx = ctx;
    iocp_queue_apc(thread, &a->apc);
}

unsigned fx_port_waiters(uintptr_t h)
{
    struct iocp_port *port = iocp_port_get(h);
    if (!port)
        return 0;
    unsigned n = iocp_port_waiters(port);
    iocp_port_put(port);
    return n;
}

unsigned fx_requests_live(void)
{
    return atomic_load(&live_requests);
}

size_t fx_handles_open(void)
{
    return w2u_handle_count();
}

size_t fx_handles_settled(unsigned ms)
{
    for (unsigned waited = 0; w2u_handle_count() && waited < ms; waited++)
        usleep(1000);
    return w2u_handle_count();
}

long fx_cpu_count(void)
{
    return sysconf(_SC_NPROCESSORS_ONLN);
}

int fx_without_io_uring(int (*body)(void), char *err, unsigned errlen)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        struct sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = W2U_ARRAY_SIZE(filter), .filter = filter };
        dup2(p[1], 2);
        close(p[0]);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
            _exit(99);
        _exit(body());
    }
    close(p[1]);
    unsigned n = 0;
    ssize_t r;
    while (n + 1 < errlen && (r = read(p[0], err + n, errlen - 1 - n)) > 0)
        n += (unsigned)r;
    err[n] = 0;
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
