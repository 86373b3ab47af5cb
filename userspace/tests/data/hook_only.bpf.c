// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest object kexec-pe takes for a parser: a struct
 * kexec_pe_parser_ops with its parse() program, and the files map. It
 * produces nothing (a kernel would fail its load with ENOMSG); the host
 * tests embed, inspect and open it with libbpf (Debian's 1.1: the spelling
 * of bpf-progs/kexec_pe_parser.bpf.c). Built a second time with
 * -DNO_FILES_MAP: a parser that takes no addons; and with -DNO_PARSER_OPS:
 * the program without its struct kexec_pe_parser_ops, no parser at all.
 */
#include <linux/bpf.h>
#include <linux/kexec_pe.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#ifndef NO_FILES_MAP
struct path_value {
	char path[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct path_value);
} kexec_pe_files SEC(".maps");
#endif

SEC("struct_ops/parse")
int BPF_PROG(parse_nothing, struct kexec_pe_ctx *pe_ctx)
{
	return 0;
}

#ifndef NO_PARSER_OPS
SEC(".struct_ops")
struct kexec_pe_parser_ops kexec_pe_parser = {
	.parse = (void *)parse_nothing,
	.abi_version = KEXEC_PE_ABI_VERSION,
	.name = "parse_nothing",
};
#endif

char _license[] SEC("license") = "GPL";
