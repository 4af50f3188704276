/* What the two Win32 files of iocp/ share (Windows headers included
 * first): iocp_win32.c and kernel32_subset_win32.c. */
#ifndef W2U_IOCP_WIN32_H
#define W2U_IOCP_WIN32_H

/* Sets the thread's last error from an NTSTATUS; FALSE for convenience. */
static inline BOOL fail(uint32_t status)
{
    w2u_set_error(w2u_status_to_win32(status));
    return FALSE;
}

static inline int64_t deadline(DWORD ms)
{
    return ms == 0 ? 0 : w2u_deadline_ms(ms);
}

#endif
