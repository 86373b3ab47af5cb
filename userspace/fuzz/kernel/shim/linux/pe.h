/* SPDX-License-Identifier: GPL-2.0 */
/* The patched tree's include/linux/pe.h, unchanged */
#include KEXEC_PE_KSRC_PE_H
