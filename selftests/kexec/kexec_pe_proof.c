// SPDX-License-Identifier: GPL-2.0
/*
 * The proof a UKI's own initrd carries (mk-boot-images puts this program,
 * the bed's /init and /uki-marker into demo.efi's .initrd): run in the
 * kernel the UKI's parser produced, with no initrd given to
 * kexec_file_load(), it shows that the kernel got the UKI's command line
 * followed by its addon's, and the UKI's initrd, with its .ucode unpacked
 * first.
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

TEST(booted_with_the_ukis_command_line)
{
	char cmdline[BED_CMDLINE_MAX], v[8];

	ASSERT_LT(0, bed_read_file("/proc/cmdline", cmdline, sizeof(cmdline)));
	printf("proof: command line: %s", cmdline);
	ASSERT_TRUE(bed_param("kexecpe.uki", v, sizeof(v)))
		TH_LOG("no kexecpe.uki=: not the UKI's .cmdline");
}

TEST(booted_with_the_ukis_initrd)
{
	char marker[64];

	ASSERT_LT(0, bed_read_file("/uki-marker", marker, sizeof(marker)))
		TH_LOG("/uki-marker missing: the UKI's .initrd did not reach the kernel");
	printf("proof: /uki-marker from the UKI's .initrd: %s", marker);
	ASSERT_STREQ("kexec-pe UKI initrd\n", marker);
}

TEST(booted_with_the_addons_command_line)
{
	char cmdline[BED_CMDLINE_MAX], v[8];

	ASSERT_LT(0, bed_read_file("/proc/cmdline", cmdline, sizeof(cmdline)));
	ASSERT_TRUE(bed_param("kexecpe.addon_b", v, sizeof(v)))
		TH_LOG("no kexecpe.addon_b=: the addon's .cmdline was not appended");
	printf("proof: the addon's kexecpe.addon_b=1 follows the UKI's command line: %s\n",
	       strstr(cmdline, "kexecpe.uki=1") < strstr(cmdline, "kexecpe.addon_b=1") ? "yes" : "no");
	ASSERT_LT(strstr(cmdline, "kexecpe.uki=1"), strstr(cmdline, "kexecpe.addon_b=1"));
}

TEST(ucode_came_first)
{
	char order[16], marker[64];

	ASSERT_LT(0, bed_read_file("/ucode-marker", marker, sizeof(marker)))
		TH_LOG("/ucode-marker missing: the UKI's .ucode did not reach the kernel");

	ASSERT_LT(0, bed_read_file("/initrd-order", order, sizeof(order)));
	printf("proof: /initrd-order (in .ucode and .initrd; the later one wins): %s", order);
	ASSERT_STREQ("initrd\n", order) TH_LOG("the UKI's .ucode came after its .initrd");
}

TEST_HARNESS_MAIN
