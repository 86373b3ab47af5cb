// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the kernel's PE/COFF reader (kernel/kexec_pe_coff.c of
 * the patched tree), compiled unchanged against the user-space stand-ins
 * in shim/ for the few kernel headers it includes. Besides "no crash, no
 * sanitizer report" (ASan sees any read outside the input, which is
 * copied into a buffer of exactly its size), it checks what its callers
 * rely on:
 *  - it returns only the errnos it documents;
 *  - a section it returns lies inside the file, with a NUL-terminated name;
 *  - kexec_pe_find() agrees with a walk of kexec_pe_section().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kernel.h>
#include <linux/kexec_pe.h>

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static void check_section(const struct kexec_pe_image *pe, const struct kexec_pe_section *s)
{
	CHECK(memchr(s->name, 0, sizeof(s->name)));
	CHECK((u64)s->offset + s->size <= pe->len);
	/* VirtualSize, capped by SizeOfRawData (or that when it is 0) */
	CHECK(!s->vsize || s->size <= s->vsize);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t len)
{
	static const char * const names[] = {
		".bpf", ".linux", ".initrd", ".cmdline", ".kexecmf", "12345678", "",
	};
	struct kexec_pe_section sec, walk;
	struct kexec_pe_image pe;
	unsigned int i, n;
	u8 *buf;
	int ret;

	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, len);
	ret = kexec_pe_parse(&pe, buf, len);
	CHECK(ret == 0 || ret == -ENOEXEC || ret == -ELIBBAD);
	if (ret)
		goto out;
	CHECK(pe.nr_sections <= KEXEC_PE_MAX_SECTIONS);
	CHECK((u64)pe.sec_table + 40ull * pe.nr_sections <= len);
	for (i = 0; i <= pe.nr_sections; i++) {
		ret = kexec_pe_section(&pe, i, &sec);
		if (i == pe.nr_sections)
			CHECK(ret == -ERANGE);
		else if (!ret)
			check_section(&pe, &sec);
		else
			CHECK(ret == -ELIBBAD);
	}
	for (n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		unsigned int found = 0, bad = 0;

		ret = kexec_pe_find(&pe, names[n], &sec);
		CHECK(ret == 0 || ret == -ENOENT || ret == -ELIBBAD);
		for (i = 0; i < pe.nr_sections; i++) {
			const u8 *h = pe.buf + pe.sec_table + 40 * i;
			size_t nl = strlen(names[n]);

			if (memcmp(h, names[n], nl) || (nl < 8 && h[nl]))
				continue;
			found++;
			bad += kexec_pe_section(&pe, i, &walk) != 0;
		}
		if (!ret) {
			CHECK(found == 1 && !bad);
			check_section(&pe, &sec);
		} else if (ret == -ENOENT) {
			CHECK(!found);
		} else {
			CHECK(found > 1 || bad);
		}
	}
out:
	free(buf);
	return 0;
}
