// SPDX-License-Identifier: GPL-2.0
/*
 * Load and unload the signed UKI /boot/pe/uki.efi (with its .kexecmf
 * manifest) bed.cycles= times (default 1000) in one boot, through the
 * handshake, and check that nothing accumulates: every load succeeds,
 * /proc/kexec_pe/status is idle after each, and unreclaimable slab and
 * MemAvailable after the run are where they were after a warm-up.
 *
 * One loader (../guest/keep_loader.h) registers once and keeps the
 * image's parser attached from the first session on, so that the cycles
 * cost the kernel's own work (signature, parser, manifest, load), not the
 * verifier's, and many fit in one run on an emulated CPU.
 *
 * The memory check is a leak check, not a benchmark: a leaked session
 * (kilobytes) or image per cycle would show as megabytes; the bound is
 * 1 KiB per cycle of unreclaimable slab, with caches dropped before each
 * sample.
 */
#include <time.h>

#include "../guest/keep_loader.h"
#include "kselftest_harness.h"

#define UKI		"/boot/pe/uki.efi"
#define PROC		"/proc/kexec_pe"
#define WARMUP		20

/* kB of "key:" in @meminfo, or -1 */
static long meminfo_field(const char *meminfo, const char *key)
{
	const char *p = strstr(meminfo, key);

	return p ? atol(p + strlen(key)) : -1;
}

/*
 * Unreclaimable slab and MemAvailable, in kB, caches dropped first: the
 * least slab and the most memory available of SAMPLES reads a second
 * apart, at both ends alike. Frees the kernel defers (RCU callbacks,
 * vfree's work) finish late when the emulator's host is busy, and one
 * read then counted them as lost (-7988 kB once, beside another guest);
 * what a leak holds stays held in every read.
 */
#define SAMPLES		4
static void meminfo_sample(long *slab, long *avail)
{
	char buf[8192];
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	long s, a;
	int i;

	if (fd >= 0) {
		/* best effort: without it the samples are only noisier */
		if (write(fd, "3", 1) != 1)
			perror("drop_caches");
		close(fd);
	}
	*slab = *avail = -1;
	for (i = 0; i < SAMPLES; i++) {
		sleep(i ? 1 : 2);
		if (bed_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
			buf[0] = '\0';
		s = meminfo_field(buf, "SUnreclaim:");
		a = meminfo_field(buf, "MemAvailable:");
		if (s >= 0 && (*slab < 0 || s < *slab))
			*slab = s;
		if (a > *avail)
			*avail = a;
	}
}

static bool status_idle(void)
{
	char buf[2048];

	return bed_read_file(PROC "/status", buf, sizeof(buf)) > 0 &&
	       strstr(buf, "state: idle\n") && strstr(buf, "last_result: 0\n") &&
	       strstr(buf, "last_pinned: 1\n");
}

static int cycles(void)
{
	char v[16];

	return bed_param("bed.cycles", v, sizeof(v)) ? atoi(v) : 1000;
}

TEST(load_unload_cycles)
{
	long slab0 = 0, avail0 = 0, slab1, avail1;
	int i, n = cycles(), kfd, failed = 0;
	struct timespec t0 = {}, t1;
	struct keep_loader k;

	if (access(UKI, R_OK) || access(PROC "/loader", W_OK))
		SKIP(return, "no %s or no " PROC, UKI);
	ASSERT_LT(WARMUP, n);
	/* the first session verifies the parser: minutes on an emulated CPU */
	ASSERT_EQ(0, keep_loader_start(&k, 300000));
	kfd = open(UKI, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, kfd);

	for (i = 0; i < n && failed <= 5; i++) {
		/* a sign of life for the bed's silence limit (vm-run -s) */
		if (i && !(i % 100))
			TH_LOG("%d of %d cycles", i, n);
		if (i == WARMUP) {
			meminfo_sample(&slab0, &avail0);
			clock_gettime(CLOCK_MONOTONIC, &t0);
		}
		if (bed_kexec_file_load(kfd, -1, "console=ttyS0", KEXEC_FILE_NO_INITRAMFS)) {
			TH_LOG("cycle %d: load: %s (%s)", i, strerror(errno), k.error);
			failed++;
		} else if (bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD)) {
			TH_LOG("cycle %d: unload: %s", i, strerror(errno));
			failed++;
		}
		if (!status_idle()) {
			TH_LOG("cycle %d: " PROC "/status not idle with a pinned success", i);
			failed++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* where a cycle's time goes, from the kernel's account of the last one */
	TH_LOG("last session: wait %lld us, parser %lld us, load %lld us",
	       bed_status_value("last_wait_us"), bed_status_value("last_parser_us"),
	       bed_status_value("last_load_us"));
	meminfo_sample(&slab1, &avail1);
	keep_loader_stop(&k);
	close(kfd);

	EXPECT_EQ(0, failed);
	EXPECT_EQ(0, k.errors) TH_LOG("loader: %s", k.error);
	EXPECT_EQ(0, k.other);
	EXPECT_EQ(i, k.sessions);
	ASSERT_LT(WARMUP, i);
	TH_LOG("%d cycles; after %d warm-up cycles: SUnreclaim %ld -> %ld kB (%+ld), MemAvailable %ld -> %ld kB (%+ld); %.1f ms per cycle",
	       i, WARMUP, slab0, slab1, slab1 - slab0, avail0, avail1, avail1 - avail0,
	       ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / (i - WARMUP));
	/* both ends read: a missing field must not pass as no change */
	ASSERT_LE(0, slab0);
	ASSERT_LE(0, avail0);
	ASSERT_LE(0, slab1);
	ASSERT_LE(0, avail1);
	/* a leak check: 1 KiB per cycle is far below a leaked session */
	EXPECT_GT((n - WARMUP) * 1L, slab1 - slab0);
	EXPECT_GT((n - WARMUP) * 4L, avail0 - avail1);
}

TEST_HARNESS_MAIN
