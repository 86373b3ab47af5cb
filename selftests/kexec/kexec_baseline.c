// SPDX-License-Identifier: GPL-2.0
/*
 * Baseline of the test bed, on the kernel as Debian ships it (plus whatever
 * patches/series holds):
 *
 *  - each boot image in /boot is passed to kexec_file_load(); the ones stock
 *    6.12 cannot load (the problem this project solves) must be refused with
 *    the errno stock 6.12 gives, and report XFAIL; one that loads or gets
 *    another errno fails, naming the change (update the test when the
 *    series makes it load);
 *  - then the native image is loaded and unloaded again, checking
 *    /sys/kernel/kexec_loaded.
 *
 * kexec_roundtrip then boots the native image for real.
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

static int open_image(struct __test_metadata *_metadata, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	return fd;
}

static void expect_loaded(struct __test_metadata *_metadata, const char *want)
{
	char buf[16];

	ASSERT_LT(0, bed_read_file("/sys/kernel/kexec_loaded", buf, sizeof(buf)));
	ASSERT_EQ(want[0], buf[0]) TH_LOG("/sys/kernel/kexec_loaded is %s", buf);
}

FIXTURE(image) {
	int fd;
};

FIXTURE_VARIANT(image) {
	const char *path;
	/* 0: must load; else the errno stock 6.12 refuses it with */
	int refused_before_series;
};

FIXTURE_VARIANT_ADD(image, native) {
	.path = BED_NATIVE_IMAGE,
};

#if defined(__x86_64__)
/* A systemd UKI (linuxx64.efi.stub + .linux/.initrd/.cmdline/.osrel) */
FIXTURE_VARIANT_ADD(image, uki) {
	.path = "/boot/uki.efi",
	.refused_before_series = ENOEXEC,	/* no loader claims it */
};
#endif

#if defined(__aarch64__) || defined(__riscv)
/* The EFI zboot image the kernel build makes (CONFIG_EFI_ZBOOT) */
FIXTURE_VARIANT_ADD(image, zboot) {
	.path = "/boot/vmlinuz.efi",
#if defined(__aarch64__)
	.refused_before_series = EINVAL,	/* arm64 image_probe() */
#else
	.refused_before_series = ENOEXEC,
#endif
};
#endif

#if defined(__riscv)
/* Stock 6.12 refuses it (ENOEXEC: riscv gets an Image loader only in 6.16); the series adds one */
FIXTURE_VARIANT_ADD(image, riscv_image) {
	.path = "/boot/Image",
};
#endif

FIXTURE_SETUP(image)
{
	self->fd = open_image(_metadata, variant->path);
}

FIXTURE_TEARDOWN(image)
{
	if (self->fd >= 0)
		close(self->fd);
	bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD);
}

/* Load with an initrd and command line, check it is loaded, unload it. */
TEST_F(image, load)
{
	int initrd = open_image(_metadata, "/init");
	int err = 0;
	long ret;

	ret = bed_kexec_file_load(self->fd, initrd, "console=null", 0);
	if (ret)
		err = errno;
	close(initrd);
	TH_LOG("kexec_file_load(%s) = %s", variant->path, err ? bed_errno_name(err) : "0");

	if (variant->refused_before_series) {
		char *reason = _metadata->results->reason;
		size_t size = sizeof(_metadata->results->reason);

		/* The problem this project solves, recorded with its errno. */
		ASSERT_EQ(variant->refused_before_series, err)
			TH_LOG("stock 6.12 refuses %s with %s, this kernel gave %s",
			       variant->path, bed_errno_name(variant->refused_before_series),
			       bed_errno_name(err));
		snprintf(reason, size, "refused before the series: %s", bed_errno_name(err));
		_metadata->exit_code = KSFT_XFAIL;
		return;
	}
	ASSERT_EQ(0, err);
	expect_loaded(_metadata, "1");
	ASSERT_EQ(0, bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD))
		TH_LOG("unload: %s", strerror(errno));
	expect_loaded(_metadata, "0");
}

TEST_HARNESS_MAIN
