// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest object kexec-pe takes for a parser: a program on
 * kexec_pe_parser_hook and the files map. It produces nothing (a kernel
 * would fail its load with ENOMSG); the host tests embed, inspect and open
 * it with libbpf. Built a second time with -DNO_FILES_MAP: a parser that
 * takes no addons.
 */
#include <linux/bpf.h>
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

SEC("fentry.s/kexec_pe_parser_hook")
int BPF_PROG(parse_nothing, void *pe_ctx)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
