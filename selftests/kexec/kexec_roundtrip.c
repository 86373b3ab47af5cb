// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 1 of the kexec round trip: load the architecture's native image with
 * a fresh initrd and a command line that both carry a nonce, then
 * reboot(LINUX_REBOOT_CMD_KEXEC). It prints no KTAP of its own: the round
 * trip's results are kexec_stage2's, printed by the second kernel, and a
 * second kernel that never starts leaves the log without "bed: done".
 */
#include <sys/reboot.h>
#include <linux/reboot.h>
#include <dirent.h>
#include <sys/random.h>
#include <time.h>

#include "../guest/bed.h"

#define STAGE2_INITRD "/tmp/stage2.cpio"

/*
 * The running command line without bed.* parameters, plus stage 2's: the
 * second kernel runs kexec_stage2, then what was to follow this program
 * (BED_NEXT, from /init). -E2BIG when it does not fit.
 */
static int stage2_cmdline(char *out, size_t size, const char *nonce)
{
	const char *next = getenv("BED_NEXT");
	char cur[BED_CMDLINE_MAX];
	char *p, *save = NULL;
	size_t len = 0;
	int n;

	if (bed_read_file("/proc/cmdline", cur, sizeof(cur)) < 0)
		return -errno;
	for (p = strtok_r(cur, " \n", &save); p; p = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(p, "bed.", 4))
			continue;
		n = snprintf(out + len, size - len, "%s ", p);
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += n;
	}
	n = snprintf(out + len, size - len, "bed.stage=2 bed.test=kexec_stage2%s%s bed.nonce=%s",
		     next && *next ? "," : "", next ? next : "", nonce);
	if (n < 0 || (size_t)n >= size - len)
		return -E2BIG;
	return 0;
}

static int kexec_into_stage2(void)
{
	char nonce[32], cmdline[BED_CMDLINE_MAX];
	unsigned long long rnd;
	struct timespec ts;
	int kfd, ifd, ret;

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
	ret = stage2_cmdline(cmdline, sizeof(cmdline), nonce);
	if (ret) {
		printf("bed: test kexec_roundtrip: stage 2 command line: %s\n", strerror(-ret));
		return 1;
	}
	kfd = open(BED_NATIVE_IMAGE, O_RDONLY | O_CLOEXEC);
	ifd = open(STAGE2_INITRD, O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0) {
		printf("bed: test kexec_roundtrip: open %s: %s\n", kfd < 0 ? BED_NATIVE_IMAGE : STAGE2_INITRD, strerror(errno));
		return 1;
	}
	if (bed_kexec_file_load(kfd, ifd, cmdline, 0)) {
		printf("bed: test kexec_roundtrip: kexec_file_load(%s): %s\n", BED_NATIVE_IMAGE, bed_errno_name(errno));
		return 1;
	}
	printf("bed: kexec into stage 2: %s, nonce %s, cmdline \"%s\"\n", BED_NATIVE_IMAGE, nonce, cmdline);
	fflush(stdout);
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	printf("bed: test kexec_roundtrip: reboot(LINUX_REBOOT_CMD_KEXEC): %s\n", strerror(errno));
	return 1;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return kexec_into_stage2();
}
