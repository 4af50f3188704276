/*
 * The test list of one Wine conformance file, and the hooks units.py puts
 * around each unit of its START_TEST.  Built with mingw-w64 against Wine's
 * own headers: this file plays the part of the testlist.c Wine's build
 * generates, so wine/test.h's implementation (and its counters) is here.
 *
 * Environment:
 *   W2U_CONF_FROM=N   skip units before N (the watchdog restarts a file
 *                     after the unit that hung or crashed)
 *   W2U_CONF_ONLY=a,b run only the units of these names (by hand)
 * Each unit prints one line when it starts and one when it ends, with its
 * own counts; an unhandled exception prints one line and ends the process.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#define STANDALONE
#include "wine/test.h"

#ifndef W2U_TEST_NAME
#error "build with -DW2U_TEST_NAME=name (the file's START_TEST name)"
#endif
#define W2U_FUNC2(n) func_##n
#define W2U_FUNC(n) W2U_FUNC2(n)
#define W2U_STR2(n) #n
#define W2U_STR(n) W2U_STR2(n)

extern void W2U_FUNC(W2U_TEST_NAME)(void);
const struct test winetest_testlist[] = { { W2U_STR(W2U_TEST_NAME), W2U_FUNC(W2U_TEST_NAME) }, { 0, 0 } };

static int from = -1;
static char only[1024];
static int current = -1;
static LONG at_start[6];
static DWORD started;

/* executed, todo (false checks marked todo), failures (false checks not
 * marked), todo passed (checks marked todo that held: Windows' behaviour
 * where Wine's builtin misses it; wine/test.h counts them as failures),
 * skipped, flaky. */
static void counts(LONG out[6])
{
    out[0] = successes + failures + flaky_failures + todo_successes + todo_failures;
    out[1] = todo_successes;
    out[2] = failures;
    out[3] = todo_failures;
    out[4] = skipped;
    out[5] = flaky_failures;
}

static LONG CALLBACK on_crash(EXCEPTION_POINTERS *ptrs)
{
    printf("\n@@w2u crash %d 0x%08lx %p\n", current, (unsigned long)ptrs->ExceptionRecord->ExceptionCode,
           ptrs->ExceptionRecord->ExceptionAddress);
    fflush(stdout);
    ExitProcess(3);
    return EXCEPTION_EXECUTE_HANDLER;
}

static BOOL wanted(const char *name)
{
    size_t n = strlen(name);
    for (const char *p = only; (p = strstr(p, name)); p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
            return TRUE;
    return FALSE;
}

int w2u_unit_begin(int index, const char *name)
{
    if (from < 0) {
        char v[32];
        from = GetEnvironmentVariableA("W2U_CONF_FROM", v, sizeof(v)) ? atoi(v) : 0;
        GetEnvironmentVariableA("W2U_CONF_ONLY", only, sizeof(only));
        /* Wine's own handler is installed only on Windows (test.h). */
        SetUnhandledExceptionFilter(on_crash);
    }
    if (index < from || (only[0] && !wanted(name)))
        return 0;
    current = index;
    counts(at_start);
    started = GetTickCount();
    printf("\n@@w2u begin %d %s\n", index, name);
    fflush(stdout);
    return 1;
}

void w2u_unit_end(int index)
{
    LONG now[6];
    if (index != current)
        return;
    counts(now);
    printf("\n@@w2u end %d %ld %ld %ld %ld %ld %ld %lu\n", index, now[0] - at_start[0], now[1] - at_start[1],
           now[2] - at_start[2], now[3] - at_start[3], now[4] - at_start[4], now[5] - at_start[5],
           (unsigned long)(GetTickCount() - started));
    fflush(stdout);
    current = -1;
}
