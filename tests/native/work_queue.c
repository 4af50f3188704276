/*
 * A Win32 program as a Windows programmer writes it, built natively on
 * Linux with nothing but:  cc work_queue.c $(pkg-config --cflags --libs ws2uring)
 * A completion port used as a work queue: post items, drain them in
 * batches, check every one arrived once, then close the port.
 */
#include <stdio.h>
#include <windows.h>

#define ITEMS 10000

int main(void)
{
    static int seen[ITEMS];
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (!port) {
        printf("CreateIoCompletionPort failed: %lu\n", (unsigned long)GetLastError());
        return 1;
    }
    for (DWORD i = 0; i < ITEMS; i++)
        if (!PostQueuedCompletionStatus(port, i, 0xC0FFEE, NULL)) {
            printf("PostQueuedCompletionStatus failed: %lu\n", (unsigned long)GetLastError());
            return 1;
        }

    DWORD got = 0;
    OVERLAPPED_ENTRY batch[64];
    ULONG n;
    while (GetQueuedCompletionStatusEx(port, batch, 64, &n, 0, FALSE)) {
        for (ULONG i = 0; i < n; i++) {
            if (batch[i].lpCompletionKey != 0xC0FFEE || batch[i].dwNumberOfBytesTransferred >= ITEMS) {
                printf("bad entry\n");
                return 1;
            }
            seen[batch[i].dwNumberOfBytesTransferred]++;
            got++;
        }
    }
    if (GetLastError() != WAIT_TIMEOUT) {
        printf("expected WAIT_TIMEOUT once empty, got %lu\n", (unsigned long)GetLastError());
        return 1;
    }
    for (int i = 0; i < ITEMS; i++)
        if (seen[i] != 1) {
            printf("item %d seen %d times\n", i, seen[i]);
            return 1;
        }
    if (!CloseHandle(port) || CloseHandle(port) || GetLastError() != ERROR_INVALID_HANDLE) {
        printf("CloseHandle did not behave\n");
        return 1;
    }
    printf("work_queue: %lu items, each once: ok\n", (unsigned long)got);
    return 0;
}
