/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel header, for fuzz_kexec_pe_coff */
#include <string.h>
