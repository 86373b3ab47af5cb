// SPDX-License-Identifier: GPL-2.0
/*
 * Runs in the kernel kexec_pe_roundtrip or kexec_pe_boot booted from a
 * signed image: proves it got the command line and initrd the image's
 * parser produced. From a UKI: its .cmdline, its .initrd and the given
 * one. From an EFI zboot image (bed.expect=zboot on the command line it
 * was given): the given command line and initrd.
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

static bool from_zboot(void)
{
	char v[16];

	return bed_param("bed.expect", v, sizeof(v)) && !strcmp(v, "zboot");
}

TEST(cmdline_is_the_ukis)
{
	char cmdline[BED_CMDLINE_MAX], v[8];

	ASSERT_LT(0, bed_read_file("/proc/cmdline", cmdline, sizeof(cmdline)));
	TH_LOG("command line: %s", cmdline);
	if (from_zboot()) {
		ASSERT_FALSE(bed_param("kexecpe.uki", v, sizeof(v)));
		return;	/* the given one: what bed.expect= came with */
	}
	ASSERT_TRUE(bed_param("kexecpe.uki", v, sizeof(v)))
		TH_LOG("no kexecpe.uki=: not the UKI's .cmdline");
	ASSERT_FALSE(bed_param("bed.user_cmdline", v, sizeof(v)))
		TH_LOG("the command line given to kexec_file_load() won under enforced signatures");
}

TEST(initrd_has_the_ukis_and_the_given_parts)
{
	char marker[64], nonce[64];

	ASSERT_LT(0, bed_read_file("/stage2/nonce", nonce, sizeof(nonce)))
		TH_LOG("/stage2/nonce missing: the initrd given to kexec_file_load() was not there");
	if (from_zboot()) {
		TH_LOG("nonce %s", nonce);
		return;
	}
	ASSERT_LT(0, bed_read_file("/uki-marker", marker, sizeof(marker)))
		TH_LOG("/uki-marker missing: the UKI's .initrd did not reach the kernel");
	ASSERT_STREQ("kexec-pe UKI initrd\n", marker);
	TH_LOG("nonce %s, after the UKI's initrd", nonce);
}

TEST(is_stage_2)
{
	char stage[8];

	ASSERT_TRUE(bed_param("bed.stage", stage, sizeof(stage)));
	ASSERT_STREQ("2", stage);
}

TEST_HARNESS_MAIN
