/* Linux-side helper for test_ws2.c, which includes Windows headers. */
#include <unistd.h>

int ws2_test_unlink(const char *path);

int ws2_test_unlink(const char *path)
{
    return unlink(path);
}
