/* SPDX-License-Identifier: MPL-2.0
 *
 * zmq_utils.h: kept for programs written against old libzmq releases. Everything it used to
 * declare (stopwatch, sleep, threads, Z85, CURVE key helpers) is declared by zmq.h, which
 * this file includes; new code should include zmq.h directly. Written by hand.
 */

#ifndef __ZMQ_UTILS_H_INCLUDED__
#define __ZMQ_UTILS_H_INCLUDED__

#include "zmq.h"

/* Tell the user, without turning -Werror builds into failures: GCC and clang report
 * "#pragma message" as a note, not a warning. */
#if defined(__GNUC__) || defined(__clang__)
#pragma message("zmq_utils.h is deprecated: include zmq.h instead")
#endif

#endif /* __ZMQ_UTILS_H_INCLUDED__ */
