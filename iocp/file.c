/* Disk files: what CreateFile returns natively.  Synchronous only; a file
 * is a handle around a descriptor so that TransmitFile can send it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iocp_internal.h"

/* Win32 errors CreateFile and friends report themselves (an errno's is
 * w2u_errno_to_file_error's). */
enum { ERR_NEGATIVE_SEEK = 131 };

struct file_object {
    struct w2u_object obj;
    int fd;
};

static void file_destroy(struct w2u_object *obj)
{
    struct file_object *f = W2U_CONTAINER_OF(obj, struct file_object, obj);
    close(f->fd);
    free(f);
}

static const struct w2u_object_ops file_ops = {
    .type = W2U_OBJ_FILE,
    .name = "file",
    .destroy = file_destroy,
};

uint32_t iocp_file_open(const char *path, uint32_t access, uint32_t disposition, uintptr_t *handle)
{
    /* CREATE_NEW, CREATE_ALWAYS, OPEN_EXISTING, OPEN_ALWAYS, TRUNCATE_EXISTING */
    static const int create_flags[] = { 0, O_CREAT | O_EXCL, O_CREAT | O_TRUNC, 0, O_CREAT, O_TRUNC };
    if (!path || disposition < 1 || disposition > 5)
        return W2U_ERROR_INVALID_PARAMETER;
    bool rd = access & IOCP_GENERIC_READ, wr = access & IOCP_GENERIC_WRITE;
    int mode = rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
    struct file_object *f = calloc(1, sizeof(*f));
    if (!f)
        return W2U_ERROR_NOT_ENOUGH_MEMORY;
    f->fd = open(path, mode | create_flags[disposition] | O_CLOEXEC, 0666);
    if (f->fd < 0) {
        uint32_t e = w2u_errno_to_file_error(errno);
        free(f);
        return e;
    }
    if (w2u_handle_alloc(&f->obj, &file_ops, handle) < 0) {
        close(f->fd);
        free(f);
        return w2u_errno_to_file_error(EMFILE);
    }
    return 0;
}

struct w2u_object *iocp_file_get(uintptr_t h, int *fd)
{
    struct w2u_object *obj = w2u_handle_get(h, W2U_OBJ_FILE);
    if (obj)
        *fd = W2U_CONTAINER_OF(obj, struct file_object, obj)->fd;
    return obj;
}

/* Read or write until n bytes or end of file, as a synchronous ReadFile does. */
static uint32_t file_io(uintptr_t h, void *buf, uint32_t n, uint32_t *done, bool writing)
{
    int fd;
    struct w2u_object *obj = iocp_file_get(h, &fd);
    if (!obj)
        return W2U_ERROR_INVALID_HANDLE;
    uint32_t e = 0, got = 0;
    while (got < n) {
        ssize_t r = writing ? write(fd, (char *)buf + got, n - got) : read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = w2u_errno_to_file_error(errno);
            break;
        }
        if (r == 0)
            break;
        got += (uint32_t)r;
    }
    if (done)
        *done = got;
    w2u_object_unref(obj);
    return e;
}

uint32_t iocp_file_read(uintptr_t h, void *buf, uint32_t n, uint32_t *done)
{
    return file_io(h, buf, n, done, false);
}

uint32_t iocp_file_write(uintptr_t h, const void *buf, uint32_t n, uint32_t *done)
{
    return file_io(h, (void *)buf, n, done, true);
}

uint32_t iocp_file_seek(uintptr_t h, int64_t distance, uint32_t whence, uint64_t *pos)
{
    int fd;
    if (whence > 2)
        return W2U_ERROR_INVALID_PARAMETER;
    struct w2u_object *obj = iocp_file_get(h, &fd);
    if (!obj)
        return W2U_ERROR_INVALID_HANDLE;
    off_t r = lseek(fd, (off_t)distance, (int)whence);   /* SEEK_SET/CUR/END are 0/1/2 too */
    w2u_object_unref(obj);
    if (r < 0)
        return errno == EINVAL ? ERR_NEGATIVE_SEEK : w2u_errno_to_file_error(errno);
    if (pos)
        *pos = (uint64_t)r;
    return 0;
}

uint32_t iocp_file_size(uintptr_t h, uint64_t *size)
{
    int fd;
    struct stat st;
    struct w2u_object *obj = iocp_file_get(h, &fd);
    if (!obj)
        return W2U_ERROR_INVALID_HANDLE;
    int r = fstat(fd, &st);
    w2u_object_unref(obj);
    if (r < 0)
        return w2u_errno_to_file_error(errno);
    *size = (uint64_t)st.st_size;
    return 0;
}
