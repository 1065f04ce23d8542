/* What the C test programs share: CHECK counts passes and failures (printing the failed
 * condition with errno), and test_library_is_ours makes sure the program loaded the library
 * the test meant (ours, or the reference), not whatever the loader found first. */
#ifndef ZMQ_OXIDE_TEST_CHECK_H
#define ZMQ_OXIDE_TEST_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <zmq.h>

#include <stdio.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int passed, failed;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (cond) {                                                                 \
            passed++;                                                               \
        } else {                                                                    \
            failed++;                                                               \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %d: %s)\n", __FILE__,  \
                    __LINE__, #cond, zmq_errno(), zmq_strerror(zmq_errno()));       \
        }                                                                           \
    } while (0)

/* The program must run on the library the test meant (EXPECTED_LIBRARY_PATH). */
static void test_library_is_ours(const char *expected) {
    Dl_info info;
    char a[PATH_MAX], b[PATH_MAX];
    CHECK(dladdr((void *)&zmq_msg_init, &info) != 0);
    CHECK(realpath(info.dli_fname, a) != NULL && realpath(expected, b) != NULL);
    CHECK(strcmp(a, b) == 0);
}

#endif
