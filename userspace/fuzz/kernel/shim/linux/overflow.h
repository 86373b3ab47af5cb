/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel header, for fuzz_kexec_pe_coff */
#ifndef _SHIM_LINUX_OVERFLOW_H
#define _SHIM_LINUX_OVERFLOW_H
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#endif
