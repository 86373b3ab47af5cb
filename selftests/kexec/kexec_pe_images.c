// SPDX-License-Identifier: GPL-2.0
/*
 * The project's parser (bpf-progs/kexec_pe_parser.bpf.c) on the signed
 * images scripts/mk-boot-images made from this bed's kernel, loaded with
 * kexec-pe: each good image loads as the crash kernel and unloads; each
 * bad one is refused with its errno. Signatures are verified, not
 * enforced (an EFI zboot image's inner kernel is unsigned).
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

#include <sys/utsname.h>

#define DIR	"/boot/pe/"

static char out[16384];

static bool zboot_arch(void)
{
	struct utsname u;

	return !uname(&u) && (!strcmp(u.machine, "aarch64") || !strcmp(u.machine, "riscv64"));
}

FIXTURE(image) {};
FIXTURE_SETUP(image) {}
FIXTURE_TEARDOWN(image) {}

FIXTURE_VARIANT(image) {
	const char *file;
	const char *err;	/* NULL: loads */
	const char *err2;	/* or this one */
};

#define GOOD(id, f) FIXTURE_VARIANT_ADD(image, id) { .file = f }
#define BAD(id, f, e) FIXTURE_VARIANT_ADD(image, id) { .file = f, .err = e }
#define BAD2(id, f, e, e2) FIXTURE_VARIANT_ADD(image, id) { .file = f, .err = e, .err2 = e2 }

GOOD(uki, "uki.efi");
GOOD(zboot_gzip, "zboot.efi");
GOOD(zboot_zstd, "zboot-zstd.efi");
GOOD(zboot_in_uki, "zboot-uki.efi");
/* Documentation/uki-sections.md: what kexec does with each section */
GOOD(every_other_section_ignored, "sections.efi");
GOOD(multi_profile_uki, "profiles.efi");
BAD(devicetree_refused, "dtb.efi", "[EOPNOTSUPP]");
BAD(devicetree_auto_refused, "dtbauto.efi", "[EOPNOTSUPP]");
BAD(uki_unsigned, "uki-unsigned.efi", "[ENODATA]");
BAD(uki_untrusted, "uki-untrusted.efi", "[ENOKEY]");
BAD(uki_tampered, "uki-tampered.efi", "[EKEYREJECTED]");
BAD(uki_truncated, "uki-truncated.efi", "[ELIBBAD]");
BAD(uki_without_linux, "uki-nolinux.efi", "[ENOMSG]");
BAD(zboot_unsigned, "zboot-unsigned.efi", "[ENODATA]");
BAD(zboot_untrusted, "zboot-untrusted.efi", "[ENOKEY]");
BAD(zboot_tampered, "zboot-tampered.efi", "[EKEYREJECTED]");
BAD(zboot_truncated, "zboot-truncated.efi", "[ELIBBAD]");
BAD(zboot_bad_magic, "zboot-badmagic.efi", "[ENOMSG]");
BAD(zboot_unknown_codec, "zboot-codec.efi", "[EOPNOTSUPP]");
BAD(zboot_offset_outside, "zboot-offset.efi", "[ELIBBAD]");
BAD(zboot_size_outside, "zboot-size.efi", "[ELIBBAD]");
/*
 * Damaged deflate data ends in a CRC mismatch or inflates past the size the
 * image records, whichever comes first: both refuse it
 */
BAD2(zboot_corrupt_stream, "zboot-corrupt.efi", "[EBADMSG]", "[EFBIG]");
BAD(zboot_size_too_small, "zboot-short.efi", "[EFBIG]");
BAD(zboot_size_too_large, "zboot-long.efi", "[EBADMSG]");
BAD2(zboot_zstd_corrupt_stream, "zboot-zstd-corrupt.efi", "[EBADMSG]", "[EFBIG]");
BAD(zboot_zstd_size_too_small, "zboot-zstd-short.efi", "[EFBIG]");
BAD(zboot_zstd_size_too_large, "zboot-zstd-long.efi", "[EBADMSG]");
BAD(zboot_in_uki_offset_outside, "zboot-uki-offset.efi", "[ELIBBAD]");

TEST_F(image, load)
{
	char path[128];

	snprintf(path, sizeof(path), DIR "%s", variant->file);
	/* EFI zboot: arm64 and riscv64; mk-boot-images makes the rest everywhere */
	if (!strncmp(variant->file, "zboot", 5) && !zboot_arch())
		SKIP(return, "%s: EFI zboot images are arm64's and riscv64's", variant->file);
	ASSERT_EQ(0, access(path, R_OK))
		TH_LOG("%s: missing: scripts/mk-boot-images did not make it (%s)", path, strerror(errno));
	if (!variant->err) {
		/* as the crash kernel, then unloaded */
		ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "-d", "-p", path)) TH_LOG("%s", out);
		ASSERT_EQ(1, BED_KEXEC_PE_RUN(out, NULL, "-S", "-p"));
		ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "-u", "-p")) TH_LOG("%s", out);
		ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "-S", "-p"));
		return;
	}
	ASSERT_EQ(1, BED_KEXEC_PE_RUN(out, NULL, "-l", path)) TH_LOG("%s", out);
	TH_LOG("%s", out);
	ASSERT_TRUE(strstr(out, variant->err) || (variant->err2 && strstr(out, variant->err2)))
		TH_LOG("expected %s", variant->err);
	ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "-S", "-l"));
}

TEST_HARNESS_MAIN
