/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test module kernel/kexec_pe_fuzz for the guest programs that run the
 * parser on images without kexec_file_load() (kexec_pe_fuzz,
 * kexec_pe_faults): load it, attach an image's parser to the hook, and run
 * the parser on a buffer.
 */
#ifndef FUZZ_MODULE_H
#define FUZZ_MODULE_H

#include <sys/syscall.h>
#include <bpf/libbpf.h>

#include "bed.h"

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

/* Load and attach the parser in the .bpf section of @img (@len bytes) */
static inline struct bpf_link *fuzz_attach_parser(const uint8_t *img, size_t len,
						  struct bpf_object **obj)
{
	struct bpf_program *prog;
	struct bed_sect bpf;

	*obj = NULL;
	if (bed_pe_section(img, len, ".bpf", &bpf)) {
		errno = ENOEXEC;
		return NULL;
	}
	*obj = bpf_object__open_mem(img + bpf.off, bpf.size, NULL);
	if (!*obj || bpf_object__load(*obj))
		return NULL;
	prog = bpf_object__next_program(*obj, NULL);
	return prog ? bpf_program__attach(prog) : NULL;
}

/* Run the attached parser on @buf through the module's file @fd */
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
