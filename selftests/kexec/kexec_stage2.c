// SPDX-License-Identifier: GPL-2.0
/*
 * Runs in the kernel that kexec_baseline started: proves that the second
 * kernel received the initrd and the command line the first one gave it.
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

TEST(cmdline_and_initrd_match)
{
	char cmdline[BED_CMDLINE_MAX], on_cmdline[64], in_initrd[64];

	ASSERT_LT(0, bed_read_file("/proc/cmdline", cmdline, sizeof(cmdline)));
	TH_LOG("command line: %s", cmdline);
	ASSERT_TRUE(bed_param("bed.nonce", on_cmdline, sizeof(on_cmdline)))
		TH_LOG("no bed.nonce= on the second kernel's command line");
	ASSERT_LT(0, bed_read_file("/stage2/nonce", in_initrd, sizeof(in_initrd)))
		TH_LOG("/stage2/nonce missing: the second kernel did not get the initrd");
	TH_LOG("nonce on the command line %s, in the initrd %s", on_cmdline, in_initrd);
	ASSERT_STREQ(on_cmdline, in_initrd);
}

TEST(is_stage_2)
{
	char stage[8];

	ASSERT_TRUE(bed_param("bed.stage", stage, sizeof(stage)));
	ASSERT_STREQ("2", stage);
}

TEST_HARNESS_MAIN
