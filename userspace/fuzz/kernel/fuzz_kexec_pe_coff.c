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
 *  - kexec_pe_find() agrees with a walk of kexec_pe_section();
 *  - kexec_pe_signed() vouches only for bytes inside the file, never for
 *    the checksum or the certificate table's entry, and
 *    kexec_pe_read_signed() reads each byte as it says (zero where not).
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

/*
 * Is byte @x covered by the Authenticode hash, as verify_pefile() computes
 * it: the headers but the checksum and the certificate table's entry, and
 * every section's data (which may overlap the headers)?
 */
static bool hashed(const struct kexec_pe_image *pe, u64 x)
{
	struct kexec_pe_section sec;
	unsigned int i;

	if (x < pe->header_size && x < pe->len &&
	    !(x >= pe->csum_off && x < pe->csum_off + 4ull) &&
	    !(x >= pe->certs_dir_off && x < pe->certs_dir_off + 8ull))
		return true;
	for (i = 0; i < pe->nr_sections; i++)
		if (!kexec_pe_section(pe, i, &sec) && x >= sec.offset &&
		    x < (u64)sec.offset + sec.size)
			return true;
	return false;
}

/* What the signature covers, byte by byte and read back as one window */
static void check_signed(const struct kexec_pe_image *pe, const u8 *buf, size_t len)
{
	size_t i, n = len < 0x3000 ? len : 0x3000;
	u8 *out = malloc(n ? n : 1);

	CHECK(pe->csum_off + 4 <= pe->certs_dir_off);
	CHECK(!kexec_pe_signed(pe, len, 1));
	CHECK(!kexec_pe_signed(pe, 0, 0));
	if (!out)
		return;
	kexec_pe_read_signed(pe, out, 0, n);
	for (i = 0; i < n; i++) {
		bool h = hashed(pe, i);

		CHECK(kexec_pe_signed(pe, i, 1) == h);
		CHECK(out[i] == (h ? buf[i] : 0));
	}
	free(out);
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
	check_signed(&pe, buf, len);
out:
	free(buf);
	return 0;
}
