/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's test runs (CONFIG_KEXEC_PE_TEST_RUN,
 * /sys/kernel/debug/kexec_pe/test_run) for the guest programs that run the
 * parser on images without kexec_file_load() (kexec_pe_fuzz,
 * kexec_pe_faults): register as a loader and register an image's parser
 * (a test run runs the caller's parser only), and run the parser on a
 * buffer.
 */
#ifndef TEST_RUN_H
#define TEST_RUN_H

#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <linux/kexec_pe.h>

#include "bed.h"
#include "parser_ops.h"
#include "registration.h"

#define TEST_RUN	"/sys/kernel/debug/kexec_pe/test_run"

struct fuzz_result {
	int ret;
	unsigned long long kernel, initrd, cmdline;
	unsigned int calls;
	int pinned;
};

/* Open the test-run file: its fd, or -errno (-ENOENT: not this kernel) */
static inline int test_run_open(void)
{
	int fd = open(TEST_RUN, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * Register the process as a loader, once: a parser registers only for a
 * registered process. The registration lasts as long as the process.
 */
static inline int fuzz_register_loader(void)
{
	static int reg_fd = -1;
	int notify_fd, done_fd;

	if (reg_fd >= 0)
		return 0;
	notify_fd = eventfd(0, EFD_CLOEXEC);
	done_fd = eventfd(0, EFD_CLOEXEC);
	if (notify_fd < 0 || done_fd < 0)
		return -1;
	reg_fd = bed_register_loader(notify_fd, done_fd, 0);
	if (reg_fd < 0) {
		errno = -reg_fd;
		reg_fd = -1;
		return -1;
	}
	return 0;
}

/* Load and register the parser in the .bpf section of @img (@len bytes) */
static inline struct bpf_link *fuzz_attach_parser(const uint8_t *img, size_t len,
						  struct bpf_object **obj)
{
	struct bed_sect bpf;

	*obj = NULL;
	if (bed_pe_section(img, len, ".bpf", &bpf)) {
		errno = ENOEXEC;
		return NULL;
	}
	if (fuzz_register_loader())
		return NULL;
	return bed_parser_attach(img + bpf.off, bpf.size, obj);
}

/* Run the registered parser on @buf through the test-run file @fd */
static inline int fuzz_run(int fd, const uint8_t *buf, size_t len, struct fuzz_result *r)
{
	char line[128];
	ssize_t n;

	if (pwrite(fd, buf, len, 0) != (ssize_t)len)
		return -errno;
	n = pread(fd, line, sizeof(line) - 1, 0);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	line[n] = '\0';
	if (sscanf(line, "%d %llu %llu %llu %u %d", &r->ret, &r->kernel, &r->initrd,
		   &r->cmdline, &r->calls, &r->pinned) != 6)
		return -EPROTO;
	return 0;
}

#endif /* TEST_RUN_H */
