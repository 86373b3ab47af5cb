/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel header, for fuzz_kexec_pe_coff */
#ifndef _SHIM_LINUX_KERNEL_H
#define _SHIM_LINUX_KERNEL_H
#include <errno.h>
#include <linux/types.h>
#ifndef ELIBBAD
#error "ELIBBAD"
#endif
/* the messages go nowhere: the fuzzer checks behaviour, not logs */
#define pr_debug(fmt, ...)	((void)0)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define U64_MAX			UINT64_MAX
#define min(a, b)		((a) < (b) ? (a) : (b))
#define max(a, b)		((a) > (b) ? (a) : (b))
#define min_t(t, a, b)		min((t)(a), (t)(b))
#endif
