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
	ret = stage2_cmdline(cmdline, sizeof(cmdline), nonce);
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
