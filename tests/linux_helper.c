/* The Linux calls of linux_helper.h. */
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux_helper.h"

int ws2_test_unlink(const char *path)
{
    return unlink(path);
}

int ws2_test_fork(void)
{
    return (int)fork();
}

int ws2_test_pipe(int fds[2])
{
    return pipe(fds);
}

long ws2_test_read(int fd, void *buf, unsigned long n)
{
    return (long)read(fd, buf, n);
}

long ws2_test_write(int fd, const void *buf, unsigned long n)
{
    return (long)write(fd, buf, n);
}

int ws2_test_wait_exit(int pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int ws2_test_parent(void)
{
    return (int)getppid();
}

void ws2_test_exit(int status)
{
    _exit(status);
}

int ws2_test_uring_missing(void)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    long fd = syscall(__NR_io_uring_setup, 1, &p);
    if (fd >= 0) {
        close((int)fd);
        return 0;
    }
    if (errno != ENOSYS && errno != EPERM)
        return 0;     /* another failure is the suite's to report */
    printf("io_uring is not available here (%s): the suite is skipped\n", strerror(errno));
    return 1;
}
