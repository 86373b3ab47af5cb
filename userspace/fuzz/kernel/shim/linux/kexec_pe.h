/* SPDX-License-Identifier: GPL-2.0 */
/* The patched tree's include/linux/kexec_pe.h, unchanged */
#include KEXEC_PE_KSRC_KEXEC_PE_H
