// SPDX-License-Identifier: GPL-2.0
/*
 * The bed's signature baseline (x86_64 and arm64, whose 6.12 loaders verify
 * PE signatures with CONFIG_KEXEC_SIG, and riscv64 with the riscv-image
 * series' Image loader): the test kernel trusts the project's
 * test certificate (CONFIG_SYSTEM_TRUSTED_KEYS), so once the kernel is locked
 * down (integrity), an image signed with the test key still loads and every
 * other image is refused with EPERM (kimage_validate_signature()).
 *
 * Images (made by scripts/mk-initramfs with sbsign):
 *   /boot/sig/signed     native image signed by the test key
 *   /boot/sig/untrusted  signed by a key the kernel does not trust
 *   /boot/sig/tampered   "signed" with one byte changed after signing
 *   /boot/sig/section-past-end  signed, then its last section's data said
 *                        to be 2 GiB past the end of the file
 *   BED_NATIVE_IMAGE     unsigned
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

#define LOCKDOWN "/sys/kernel/security/lockdown"

static long load(struct __test_metadata *_metadata, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long ret;

	EXPECT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ret = bed_kexec_file_load(fd, -1, "console=null", KEXEC_FILE_NO_INITRAMFS);
	if (ret)
		ret = -errno;
	TH_LOG("kexec_file_load(%s) = %s", path, ret ? bed_errno_name(-ret) : "0");
	if (fd >= 0)
		close(fd);
	bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD);
	return ret;
}

FIXTURE(locked) {
};

FIXTURE_SETUP(locked)
{
	char state[128];
	int fd;

	ASSERT_LT(0, bed_read_file(LOCKDOWN, state, sizeof(state)))
		TH_LOG("%s: %s (CONFIG_SECURITY_LOCKDOWN_LSM?)", LOCKDOWN, strerror(errno));
	if (!strstr(state, "[integrity]") && !strstr(state, "[confidentiality]")) {
		fd = open(LOCKDOWN, O_WRONLY);
		ASSERT_LE(0, fd);
		ASSERT_EQ(9, write(fd, "integrity", 9)) TH_LOG("lock down: %s", strerror(errno));
		close(fd);
	}
	ASSERT_LT(0, bed_read_file(LOCKDOWN, state, sizeof(state)));
	ASSERT_NE(NULL, strstr(state, "[integrity]")) TH_LOG("lockdown is %s", state);
}

FIXTURE_TEARDOWN(locked)
{
}

TEST_F(locked, signed_by_trusted_key_loads)
{
	ASSERT_EQ(0, load(_metadata, "/boot/sig/signed"));
}

TEST_F(locked, unsigned_refused)
{
	ASSERT_EQ(-EPERM, load(_metadata, BED_NATIVE_IMAGE));
}

TEST_F(locked, untrusted_key_refused)
{
	ASSERT_EQ(-EPERM, load(_metadata, "/boot/sig/untrusted"));
}

TEST_F(locked, tampered_refused)
{
	ASSERT_EQ(-EPERM, load(_metadata, "/boot/sig/tampered"));
}

#ifdef __riscv
/* riscv64's BED_NATIVE_IMAGE is the ELF vmlinux: the Image, unsigned */
TEST_F(locked, unsigned_image_refused)
{
	ASSERT_EQ(-EPERM, load(_metadata, "/boot/Image"));
}
#endif

/*
 * A section whose data the section table puts 2 GiB past the end of the
 * file: the signature check must refuse it, not read there (it oopsed in
 * sha256_update() before the fixes series' verify_pefile patch).
 */
TEST_F(locked, section_past_the_end_refused)
{
	ASSERT_EQ(-EPERM, load(_metadata, "/boot/sig/section-past-end"));
}

TEST_HARNESS_MAIN
