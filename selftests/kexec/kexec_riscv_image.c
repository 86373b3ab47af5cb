// SPDX-License-Identifier: GPL-2.0
/*
 * The riscv Image loader the series adds to kexec_file_load(): the bed's
 * Image loads, with its PE signature verified when signed; an Image whose
 * header is wrong is refused with the errno the loader documents. (The
 * round trip into a kernel it loaded is pe_boot_uki's and pe_demo's.)
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

#define IMAGE	"/boot/Image"
#define COPY	"/tmp/Image"

/* Copy /boot/Image to /tmp/Image with @len bytes at @off replaced */
static int mutated(const void *bytes, size_t len, off_t off)
{
	static char buf[1 << 16];
	int in = open(IMAGE, O_RDONLY | O_CLOEXEC);
	int out = open(COPY, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -1;
	if (pwrite(out, bytes, len, off) != (ssize_t)len)
		return -1;
	close(in);
	close(out);
	return 0;
}

#ifdef __riscv
#define NEED_RISCV_IMAGE() ASSERT_EQ(0, access(IMAGE, R_OK))
#else
#define NEED_RISCV_IMAGE() SKIP(return, "not riscv")
#endif

static int load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = bed_kexec_file_load(fd, -1, "console=ttyS0", KEXEC_FILE_NO_INITRAMFS) ? -errno : 0;
	close(fd);
	bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD);
	return ret;
}

TEST(image_loads)
{
	NEED_RISCV_IMAGE();
	ASSERT_EQ(0, load(IMAGE));
}

TEST(no_magic2_is_not_an_image)
{
	NEED_RISCV_IMAGE();
	ASSERT_EQ(0, mutated("\0\0\0\0", 4, 0x38));
	ASSERT_EQ(-ENOEXEC, load(COPY));
}

TEST(image_size_below_the_file_is_refused)
{
	const uint64_t small = 4096;

	NEED_RISCV_IMAGE();
	ASSERT_EQ(0, mutated(&small, sizeof(small), 0x10));	/* image_size */
	ASSERT_EQ(-EINVAL, load(COPY));
}

TEST(big_endian_image_is_refused)
{
	const uint64_t be = 1;

	NEED_RISCV_IMAGE();
	ASSERT_EQ(0, mutated(&be, sizeof(be), 0x18));	/* flags */
	ASSERT_EQ(-EINVAL, load(COPY));
}

TEST_HARNESS_MAIN
