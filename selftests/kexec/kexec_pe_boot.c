// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 1 of a boot through the project's parser: load the signed image
 * named by bed.image= on the command line with kexec-pe, with an initrd
 * holding this bed's /init and tests and a nonce, and kexec into the
 * kernel the parser produced ("kexec -e"). kexec_pe_stage2 proves, in that
 * kernel, what it got: for a UKI its .cmdline (none is given here) and
 * its .initrd followed by ours; for an EFI zboot image the command line
 * given here (bed.expect=zboot) and our initrd. With bed.profile=ID, the
 * multi-profile UKI's profile of that ID (kexec-pe --profile).
 */
#include <sys/random.h>

#include "../guest/bed.h"
#include "kselftest_harness.h"

#define STAGE2_INITRD	"/tmp/stage2.cpio"

static char image[256];

TEST(load)
{
	char out[16384], nonce[32], console[64] = "ttyS0", append[512], profile[32];
	unsigned long long rnd = 0;
	bool zboot;
	int ret;

	ASSERT_TRUE(bed_param("bed.image", image, sizeof(image))) TH_LOG("no bed.image=");
	ASSERT_EQ(sizeof(rnd), getrandom(&rnd, sizeof(rnd), 0));
	snprintf(nonce, sizeof(nonce), "%016llx", rnd);
	ASSERT_EQ(0, bed_make_stage2_initrd(STAGE2_INITRD, nonce));
	bed_param("console", console, sizeof(console));
	/* a plain zboot image has no command line of its own */
	zboot = strstr(image, "zboot") && !strstr(image, "uki");
	snprintf(append, sizeof(append),
		 "console=%s panic=-1 oops=panic loglevel=5 bed.stage=2 bed.test=kexec_pe_stage2 "
		 "bed.expect=zboot", console);
	if (zboot)
		ret = BED_KEXEC_PE_RUN(out, NULL, "-d", "-l", image, "--initrd", STAGE2_INITRD,
				       "--append", append);
	else if (bed_param("bed.profile", profile, sizeof(profile)))
		ret = BED_KEXEC_PE_RUN(out, NULL, "-d", "-l", image, "--initrd", STAGE2_INITRD,
				       "--profile", profile);
	else
		ret = BED_KEXEC_PE_RUN(out, NULL, "-d", "-l", image, "--initrd", STAGE2_INITRD);
	ASSERT_EQ(0, ret) TH_LOG("%s", out);
	TH_LOG("\n%s", out);
	TH_LOG("%s loaded by kexec-pe, nonce %s (in the initrd)", image, nonce);
}

int main(int argc, char **argv)
{
	bed_kexec_when_passed(image);
	return test_harness_run(argc, argv);
}
