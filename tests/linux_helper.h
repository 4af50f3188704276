/* Linux calls for the Check suites that include Windows headers (whose
 * names clash with <unistd.h>'s): linux_helper.c makes them. */
#ifndef W2U_TEST_LINUX_HELPER_H
#define W2U_TEST_LINUX_HELPER_H

int ws2_test_unlink(const char *path);
int ws2_test_fork(void);
int ws2_test_pipe(int fds[2]);
long ws2_test_read(int fd, void *buf, unsigned long n);
long ws2_test_write(int fd, const void *buf, unsigned long n);
int ws2_test_wait_exit(int pid);    /* the child's exit status, or -1 if it did not exit by itself */
void ws2_test_exit(int status);     /* ends a forked child at once (none of the parent's atexit handlers) */
int ws2_test_parent(void);
/* 1, with a line saying so, when this kernel has no io_uring or forbids it
 * (ENOSYS, EPERM): the suites that need it then exit 77, which Meson
 * reports as skipped. */
int ws2_test_uring_missing(void);

#endif
