// SPDX-License-Identifier: GPL-2.0
/*
 * What the series needs from BPF, checked on each architecture's test kernel
 * with the libbpf the project builds from the kernel tree (static, one
 * version for all three architectures):
 *  - the BPF syscall works (a map; a JIT-compiled program run by the kernel);
 *  - vmlinux BTF is there and describes struct kimage;
 *  - an fentry program attaches (the trampoline needs
 *    DYNAMIC_FTRACE_WITH_DIRECT_CALLS; arm64 needs CALL_OPS for it) and runs.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "../guest/bed.h"
#include "kselftest_harness.h"

TEST(map_update_lookup)
{
	__u32 key = 0;
	__u64 val = 0x6b65786563, out = 0;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "smoke", sizeof(key), sizeof(val), 1, NULL);

	ASSERT_LE(0, fd) TH_LOG("bpf_map_create: %s", strerror(errno));
	ASSERT_EQ(0, bpf_map_update_elem(fd, &key, &val, BPF_ANY));
	ASSERT_EQ(0, bpf_map_lookup_elem(fd, &key, &out));
	ASSERT_EQ(val, out);
	close(fd);
}

TEST(vmlinux_btf_has_kimage)
{
	struct btf *btf = btf__load_vmlinux_btf();

	ASSERT_NE(NULL, btf) TH_LOG("vmlinux BTF: %s", strerror(errno));
	EXPECT_LT(0, btf__find_by_name_kind(btf, "kimage", BTF_KIND_STRUCT));
	EXPECT_LT(0, btf__find_by_name_kind(btf, "kexec_file_ops", BTF_KIND_STRUCT));
	btf__free(btf);
}

/*
 * fentry on do_sys_openat2: the program counts calls in an array map; an
 * open() after attaching must be counted.
 */
TEST(fentry_attaches_and_runs)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	/* key = 0 on the stack; r0 = lookup(map, &key); if (r0) *r0 += 1 */
	struct bpf_insn insns[] = {
		{ BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0 },
		{ BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0 },
		{ BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4 },
		{ BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, -1 },
		{ 0, 0, 0, 0, 0 },
		{ BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem },
		{ BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0 },
		{ BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1 },
		{ BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD },
		{ BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0 },
		{ BPF_JMP | BPF_EXIT, 0, 0, 0, 0 },
	};
	struct bpf_prog_info info = {};
	__u32 key = 0, len = sizeof(info);
	__u64 count = 0;
	char log[4096] = "";
	struct btf *btf;
	int map, prog, link, id, fd;

	btf = btf__load_vmlinux_btf();
	ASSERT_NE(NULL, btf);
	id = btf__find_by_name_kind(btf, "do_sys_openat2", BTF_KIND_FUNC);
	btf__free(btf);
	ASSERT_LT(0, id) TH_LOG("do_sys_openat2 not in vmlinux BTF");

	map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "calls", 4, 8, 1, NULL);
	ASSERT_LE(0, map) TH_LOG("bpf_map_create: %s", strerror(errno));
	insns[3].imm = map;
	opts.attach_btf_id = id;
	opts.log_buf = log;
	opts.log_size = sizeof(log);
	opts.log_level = 1;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "smoke_fentry", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), &opts);
	ASSERT_LE(0, prog) TH_LOG("load: %s\n%s", strerror(errno), log);
	ASSERT_EQ(0, bpf_prog_get_info_by_fd(prog, &info, &len));
	EXPECT_LT(0, info.jited_prog_len) TH_LOG("the program was not JIT-compiled");

	link = bpf_link_create(prog, 0, BPF_TRACE_FENTRY, NULL);
	ASSERT_LE(0, link) TH_LOG("attach fentry: %s", strerror(errno));
	fd = open("/init", O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, bpf_map_lookup_elem(map, &key, &count));
	EXPECT_LE(1, count) TH_LOG("fentry program ran %llu times", (unsigned long long)count);
	close(link);
	close(prog);
	close(map);
}

TEST_HARNESS_MAIN
