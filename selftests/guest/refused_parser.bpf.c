// SPDX-License-Identifier: GPL-2.0
/*
 * A parser the verifier refuses: it reads memory through a number, not a
 * pointer ("invalid mem access 'scalar'"), after some 250 instructions,
 * so that the verifier's reason comes at the end of a log of several KiB,
 * as libbpf prints it: in one call of its print callback. scripts/
 * mk-pe-images signs it into refused.efi; kexec_pe_tool checks that
 * kexec-pe's error quotes the reason, and that -d prints the whole log.
 */
#include <linux/bpf.h>
#include <linux/kexec_pe.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("struct_ops/parse")
int BPF_PROG(kexec_pe_refused_parser, struct kexec_pe_ctx *pe_ctx)
{
	unsigned long addr = 0;

#pragma unroll
	for (int i = 0; i < 64; i++)
		addr += bpf_get_prandom_u32();
	/* aligned: riscv64's verifier checks alignment first */
	return *(volatile int *)(addr & ~0xfffUL);
}

SEC(".struct_ops")
struct kexec_pe_parser_ops kexec_pe_parser = {
	.parse = (void *)kexec_pe_refused_parser,
	.abi_version = KEXEC_PE_ABI_VERSION,
	.name = "kexec_pe_refuse",
};

char LICENSE[] SEC("license") = "GPL";
