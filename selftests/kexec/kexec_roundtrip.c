// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 1 of the kexec round trip: load the architecture's native image with
 * a fresh initrd and a command line that both carry a nonce, with kexec-pe
 * (the project's loader, which passes an image without .bpf to
 * kexec_file_load() as it is), then "kexec -e". It prints no KTAP of its own: the round
 * trip's results are kexec_stage2's, printed by the second kernel, and a
 * second kernel that never starts leaves the log without "bed: done".
 */
#include <dirent.h>
#include <sys/random.h>
#include <time.h>

#include "../guest/bed.h"

#define STAGE2_INITRD "/tmp/stage2.cpio"

static int kexec_into_stage2(void)
{
	char nonce[32], cmdline[BED_CMDLINE_MAX], out[4096];
	unsigned long long rnd;
	struct timespec ts;
	int ret;

	/* The guests have no RTC to speak of: prefer the kernel's CRNG. */
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rnd = (unsigned long long)ts.tv_sec << 32 ^ ts.tv_nsec ^ getpid();
	}
	snprintf(nonce, sizeof(nonce), "%016llx", rnd);
	ret = bed_make_stage2_initrd(STAGE2_INITRD, nonce);
	if (ret) {
		printf("bed: test kexec_roundtrip: stage 2 initrd %s: %s\n", STAGE2_INITRD, strerror(-ret));
		return 1;
	}
	ret = bed_stage2_cmdline(cmdline, sizeof(cmdline), nonce, NULL);
	if (ret) {
		printf("bed: test kexec_roundtrip: stage 2 command line: %s\n", strerror(-ret));
		return 1;
	}
	ret = BED_KEXEC_PE_RUN(out, NULL, "-l", BED_NATIVE_IMAGE, "--initrd", STAGE2_INITRD,
			       "--append", cmdline);
	if (ret) {
		printf("bed: test kexec_roundtrip: kexec-pe -l %s: exit %d: %s\n", BED_NATIVE_IMAGE, ret, out);
		return 1;
	}
	printf("bed: kexec into stage 2: %s, nonce %s, cmdline \"%s\", with kexec -e\n",
	       BED_NATIVE_IMAGE, nonce, cmdline);
	fflush(stdout);
	execl("/bin/kexec", "kexec", "-e", (char *)NULL);
	printf("bed: test kexec_roundtrip: exec /bin/kexec: %s\n", strerror(errno));
	return 1;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return kexec_into_stage2();
}
