/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test module kernel/kexec_pe_fuzz for the guest programs that run the
 * parser on images without kexec_file_load() (kexec_pe_fuzz,
 * kexec_pe_faults): load it, register as a loader and register an image's
 * parser (the module runs the caller's parser only), and run the parser on
 * a buffer.
 */
#ifndef FUZZ_MODULE_H
#define FUZZ_MODULE_H

#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <linux/kexec_pe.h>

#include "bed.h"
#include "parser_ops.h"

#define FUZZ_MODULE_KO	"/lib/modules/kexec_pe_fuzz.ko"
#define FUZZ_RUN	"/sys/kernel/debug/kexec_pe_fuzz/run"

struct fuzz_result {
	int ret;
	unsigned long long kernel, initrd, cmdline;
	unsigned int calls;
	int pinned;
};

/* Load the module (once per boot); 0 or -errno */
static inline int fuzz_module_load(void)
{
	int fd = open(FUZZ_MODULE_KO, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (syscall(__NR_finit_module, fd, "", 0) && errno != EEXIST)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Register the process as a loader, once: a parser registers only for a
 * registered process. The registration lasts as long as the process.
 */
static inline int fuzz_register_loader(void)
{
	static int reg_fd = -1;
	struct kexec_pe_register reg = { .version = KEXEC_PE_ABI_VERSION };

	if (reg_fd >= 0)
		return 0;
	reg.notify_fd = eventfd(0, EFD_CLOEXEC);
	reg.done_fd = eventfd(0, EFD_CLOEXEC);
	reg_fd = open("/proc/kexec_pe/loader", O_WRONLY | O_CLOEXEC);
	if (reg.notify_fd < 0 || reg.done_fd < 0 || reg_fd < 0 ||
	    write(reg_fd, &reg, sizeof(reg)) != sizeof(reg)) {
		if (reg_fd >= 0)
			close(reg_fd);
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

/* Run the registered parser on @buf through the module's file @fd */
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

#endif /* FUZZ_MODULE_H */
