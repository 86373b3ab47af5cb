/* SPDX-License-Identifier: GPL-2.0 */
/* The patched tree's include/uapi/linux/kexec_pe.h, unchanged */
#include KEXEC_PE_KSRC_UAPI_KEXEC_PE_H
