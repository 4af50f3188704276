/* The one main() shape of every Check suite: run, report, exit 0 or 1. */
#ifndef W2U_SUITE_MAIN_H
#define W2U_SUITE_MAIN_H

#include <check.h>

static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
