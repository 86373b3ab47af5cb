/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test module kernel/kexec_pe_fuzz for the guest programs that run the
 * parser on images without kexec_file_load() (kexec_pe_fuzz,
 * kexec_pe_faults): load it, attach an image's parser to the hook, run the
 * parser on a buffer, and find a section of a PE image.
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

static inline uint32_t fuzz_get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The section table of @buf: its offset and entry count, or -1 */
static inline long fuzz_section_table(const uint8_t *buf, size_t len, unsigned int *nsec)
{
	uint32_t pe;
	size_t table;

	if (len < 0x40 || buf[0] != 'M' || buf[1] != 'Z')
		return -1;
	pe = fuzz_get32(buf + 0x3c);
	if ((size_t)pe + 24 > len || fuzz_get32(buf + pe) != 0x00004550)
		return -1;
	*nsec = buf[pe + 6] | buf[pe + 7] << 8;
	table = pe + 24 + (buf[pe + 20] | buf[pe + 21] << 8);
	if (table + *nsec * 40ul > len)
		return -1;
	return table;
}

/* [*off, *off + *size) of section @name of @buf, 0; or -1 */
static inline int fuzz_find_section(const uint8_t *buf, size_t len, const char *name,
				    uint32_t *off, uint32_t *size)
{
	unsigned int n, i;
	long t = fuzz_section_table(buf, len, &n);

	for (i = 0; t >= 0 && i < n; i++) {
		const uint8_t *h = buf + t + i * 40;
		uint32_t vsize = fuzz_get32(h + 8), raw = fuzz_get32(h + 16);

		if (!strncmp((const char *)h, name, 8)) {
			*off = fuzz_get32(h + 20);
			*size = vsize && vsize < raw ? vsize : raw;
			return *off + (size_t)*size <= len ? 0 : -1;
		}
	}
	return -1;
}

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
	uint32_t off, size;

	*obj = NULL;
	if (fuzz_find_section(img, len, ".bpf", &off, &size)) {
		errno = ENOEXEC;
		return NULL;
	}
	*obj = bpf_object__open_mem(img + off, size, NULL);
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

/* A whole file, malloc'ed; its size in *@len */
static inline uint8_t *fuzz_read_image(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	struct stat st;

	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && (buf = malloc(st.st_size ?: 1)) &&
	    read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	*len = buf ? st.st_size : 0;
	close(fd);
	return buf;
}

#endif /* FUZZ_MODULE_H */
