// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-pe on every architecture of the bed, with a kernel the
 * architecture's own loader takes (bzImage, Image, or riscv64's ELF
 * vmlinux): no .bpf, so no handshake; load, status, unload, and
 * `inspect` of the EFI zboot image where the bed has one.
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

static char out[16384];

#define TOOL_RUN(...) BED_KEXEC_PE_RUN(out, NULL, __VA_ARGS__)

TEST(load_status_unload)
{
	/* -S -l as kexec-tools: 1 when the kexec kernel is loaded */
	ASSERT_EQ(0, TOOL_RUN("-u"));
	ASSERT_EQ(0, TOOL_RUN("-S", "-l"));
	ASSERT_EQ(0, TOOL_RUN("-d", "-l", BED_NATIVE_IMAGE, "--append", "console=ttyS0"))
		TH_LOG("%s", out);
	TH_LOG("\n%s", out);
	ASSERT_EQ(NULL, strstr(out, "] registered")) TH_LOG("a handshake for a plain kernel");
	ASSERT_EQ(1, TOOL_RUN("-S", "-l"));
	ASSERT_EQ(0, TOOL_RUN("-u")) TH_LOG("%s", out);
	ASSERT_EQ(0, TOOL_RUN("-S", "-l"));
}

TEST(refusal_is_explained)
{
	static const char text[] = "not a kernel\n";
	int fd = open("/tmp/not-a-kernel", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(text), write(fd, text, sizeof(text)));
	close(fd);
	ASSERT_EQ(1, TOOL_RUN("-l", "/tmp/not-a-kernel"));
	TH_LOG("%s", out);
	ASSERT_EQ(0, strncmp(out, "kexec-pe: /tmp/not-a-kernel: ", 29)) TH_LOG("%s", out);
	ASSERT_TRUE(strstr(out, "[ENOEXEC]") || strstr(out, "[EINVAL]")) TH_LOG("%s", out);
}

TEST(inspect_zboot)
{
	if (access("/boot/vmlinuz.efi", R_OK))
		SKIP(return, "no EFI zboot image on this architecture's bed");
	ASSERT_EQ(0, TOOL_RUN("inspect", "/boot/vmlinuz.efi")) TH_LOG("%s", out);
	TH_LOG("\n%s", out);
	ASSERT_NE(NULL, strstr(out, "EFI zboot, PE32+"));
	ASSERT_NE(NULL, strstr(out, "zboot: codec "));
	ASSERT_NE(NULL, strstr(out, "parser: none"));
}

TEST_HARNESS_MAIN
