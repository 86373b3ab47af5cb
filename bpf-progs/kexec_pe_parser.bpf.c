// SPDX-License-Identifier: GPL-2.0
/*
 * kexec_pe_parser: the parser a distribution puts in the .bpf section of
 * its signed kernel images, for kexec_file_load() with CONFIG_KEXEC_PE_BPF
 * (Documentation/bpf/kexec_pe.rst). One object for every
 * architecture; it knows three layouts:
 *
 *   EFI zboot   "MZ", "zimg" at 4 and LINUX_PE_MAGIC at 0x38: the payload
 *               (offset and size at 8 and 12) is decompressed with the
 *               kernel's own decompressor into the kernel; the size it
 *               must come to is the le32 after the payload (every codec
 *               but gzip) or gzip's own ISIZE. No initrd, no command line.
 *   UKI         .linux is the kernel, .ucode then .initrd the initrd (each
 *               padded to 4 bytes, as cpio archives are concatenated),
 *               then a cpio archive of the files systemd-stub makes of
 *               .pcrsig, .pcrpkey, .osrel and .profile under /.extra;
 *               .cmdline the command line (its VirtualSize, without
 *               trailing NULs and white space). Other sections are
 *               ignored.
 *   UKI with a zboot .linux (arm64, riscv64): as a UKI, the kernel
 *               decompressed from .linux as from a zboot image.
 *
 * A multi-profile UKI (systemd 257 on) splits its sections with .profile
 * sections: those before the first are the base, those after the N-th
 * (from 0) belong to profile N and replace the base's of the same name.
 * The parser uses the profile the caller selected (ctx->profile, the
 * "@N" of the command line); a UKI without .profile sections is profile
 * 0, and a profile the UKI lacks is refused (ERANGE).
 *
 * It produces what comes from the image only, which the image's manifest
 * (.kexecmf, written by `kexec-pe embed`) pins; the kernel checks that and
 * then adds the initrd and command line given to kexec_file_load() (the
 * given command line wins unless the image has one and signatures are
 * enforced: systemd-stub's policy).
 *
 * The files the loader names in kexec_pe_files (UKI addons, side-car
 * files) go to bpf_kexec_supplement_initrd(), in order: the kernel reads
 * them, checks their signatures and applies them as systemd-stub does
 * (an addon's .cmdline after the command line, its .initrd after the
 * initrd, its .ucode before it; side-car files under /.extra).
 *
 * Nothing the image says is trusted: every offset and size is checked
 * against the image (and a nested one against its section) before use,
 * and every read is bounded. It needs no kernel type but the uapi
 * header's and the kfunc declarations.
 *
 * The verifier's work is most of a load's fixed cost (seconds on a debug
 * kernel under emulation), so the parser is written to be cheap to verify:
 * each step is a global function (__noinline), which the verifier checks
 * once for any arguments rather than once for each path that reaches it,
 * and a header field is one bounds check, not one a byte. A step takes
 * the program's context (__arg_ctx, valid for every program type) and
 * reads parse()'s argument from it as the program does, so the kfuncs
 * get the trusted pointer the verifier typed from parse()'s prototype. The -d
 * trace of kexec-pe says how many instructions the verifier processed.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "kexec_pe_kfuncs.h"

char _license[] SEC("license") = "GPL";

#define HDR_MAX		4096
#define ZHDR_LEN	64
#define TEXT_MAX	4096
#define TEXT_BUF	8192	/* a power of two above TEXT_MAX, see bounded() */
#define MAX_SECTIONS	96
#define PATH_LEN	256
#define FILES_MAX	16
#define CPIO_HDR	110	/* a newc header, before its name */
#define CPIO_BUF	512	/* what goes between two files' data, see extra_files() */
#define CPIO_NAME	32	/* ".extra/" and the longest file name, with its NUL */

#define MZ_MAGIC	0x5a4d
#define PE_MAGIC	0x00004550
#define ZBOOT_MAGIC	0x676d697a	/* "zimg" */
#define LINUX_PE_MAGIC	0x818223cd

/* The files for the initrd, named by the loader; "" ends the list */
struct kpe_path {
	char path[PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FILES_MAX);
	__type(key, __u32);
	__type(value, struct kpe_path);
} kexec_pe_files SEC(".maps");

/*
 * Working memory, in a map rather than global variables: libbpf creates
 * global data maps only where its feature probe (a socket filter) loads,
 * and a kernel without networking has none.
 */
struct range {
	__u64 off;
	__u64 size;
	bool seen;	/* even when empty: a second one is refused */
};

/*
 * The UKI sections the parser uses, by index in struct scratch's sec[]:
 * from SEC_PCRSIG on, those passed on as files under /.extra
 */
enum {
	SEC_LINUX, SEC_INITRD, SEC_CMDLINE, SEC_UCODE,
	SEC_PCRSIG, SEC_PCRPKEY, SEC_OSREL, SEC_PROFILE, SEC_KINDS
};
#define EXTRA_FIRST	SEC_PCRSIG
#define EXTRA_FILES	(SEC_KINDS - EXTRA_FIRST)

struct scratch {
	/* the base's sections, then the selected profile's: [0, 8), [8, 16) */
	struct range sec[2 * SEC_KINDS];
	__u8 hdr[HDR_MAX];
	__u8 zhdr[ZHDR_LEN];
	char text[TEXT_BUF];
	__u8 cpio[CPIO_BUF];
	__u32 field[16];	/* a newc header's 13 fields */
	__u64 extra_size;	/* extra_file()'s size: 5 arguments at most */
	union {
		char c[CPIO_NAME + 8];	/* and zeros: the NUL, the padding */
		__u64 w[CPIO_NAME / 8 + 1];
	} name;
	__u8 word[4];
	__u8 zeros[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} kexec_pe_scratch SEC(".maps");

struct uki {
	struct range linux, initrd, cmdline, ucode;
};

/* Eight bytes of a name as a little-endian word */
#define NAME(a, b, c, d, e, f, g, h) \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | \
	 (__u64)(e) << 32 | (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)

/*
 * @val & (@pow2 - 1), done where clang cannot drop it: a length the program
 * checked stays bounded for the verifier when passed to a kfunc.
 */
#define bounded(val, pow2)						\
	({								\
		__u64 __b = (val);					\
		asm volatile("%[b] &= %[m]" : [b] "+r"(__b) : [m] "i"((pow2) - 1)); \
		__b;							\
	})

/*
 * The little-endian @n-byte field at @off of the array @buf, of which
 * @size bytes are valid; 0 when the field is not all there. One check a
 * field, not one a byte: every branch is a path the verifier walks. Each
 * byte's index is masked to the array's size (a power of two).
 */
#define rdn(buf, size, off, n)						\
	({								\
		__u32 __size = (size), __off = (off);			\
		__u64 __v = 0;						\
		int __i;						\
									\
		/* hide what clang knows of @off: the check stays */	\
		barrier_var(__off);					\
		if (__off < __size && __size - __off >= (n)) {		\
			_Pragma("unroll")				\
			for (__i = 0; __i < (n); __i++)			\
				__v |= (__u64)(buf)[bounded(__off + __i, sizeof(buf))] << (8 * __i); \
		}							\
		__v;							\
	})

#define rd16(buf, size, off)	((__u32)rdn(buf, size, off, 2))
#define rd32(buf, size, off)	((__u32)rdn(buf, size, off, 4))
#define rd64(buf, size, off)	rdn(buf, size, off, 8)

/* parse()'s argument, from the program's context (what BPF_PROG reads) */
static __always_inline struct kexec_pe_ctx *hook_arg(void *prog_ctx)
{
	return (struct kexec_pe_ctx *)((__u64 *)prog_ctx)[0];
}

static int fail(struct kexec_pe_ctx *ctx, int error)
{
	bpf_kexec_fail(ctx, error);
	return 0;
}

/* The le32 at @off of the image; -errno when it is not all there */
static __s64 image_le32(struct kexec_pe_ctx *ctx, struct scratch *sc, __u64 off)
{
	if (off + 4 > ctx->image_size || bpf_kexec_read(ctx, off, sc->word, sizeof(sc->word)) != 4)
		return -ELIBBAD;
	return sc->word[0] | sc->word[1] << 8 | sc->word[2] << 16 | (__u32)sc->word[3] << 24;
}

/* Append the image's [@off, @off + @size) to the initrd, padded to 4 bytes */
__noinline int initrd_part(void *prog_ctx __arg_ctx, struct scratch *sc __arg_nonnull,
			   __u64 off, __u64 size)
{
	struct kexec_pe_ctx *ctx = hook_arg(prog_ctx);
	int ret;

	if (!size)
		return 0;
	ret = bpf_kexec_ref(ctx, KEXEC_PE_DST_INITRD, off, size);
	if (ret < 0 || !(size & 3))
		return ret;
	ret = bpf_kexec_write(ctx, KEXEC_PE_DST_INITRD, sc->zeros, 4 - (size & 3));
	return ret < 0 ? ret : 0;
}

/*
 * The kernel of an EFI zboot image found at @base of the image, in @limit
 * bytes (the whole image, or a UKI's .linux). 1 when there is no zboot
 * header there, 0 when its decompression was asked for, else -errno.
 */
__noinline int zboot_kernel(void *prog_ctx __arg_ctx, struct scratch *sc __arg_nonnull,
			    __u64 base, __u64 limit)
{
	struct kexec_pe_ctx *ctx = hook_arg(prog_ctx);
	struct kexec_pe_decompress dc = {
		.src = KEXEC_PE_SRC_IMAGE, .dst = KEXEC_PE_DST_KERNEL,
	};
	__u64 off, size, codec;
	__s64 out;
	bool gzip;

	if (limit < ZHDR_LEN || base + ZHDR_LEN > ctx->image_size)
		return 1;
	if (bpf_kexec_read(ctx, base, sc->zhdr, ZHDR_LEN) != ZHDR_LEN)
		return -ELIBBAD;
	if (rd16(sc->zhdr, ZHDR_LEN, 0) != MZ_MAGIC || rd32(sc->zhdr, ZHDR_LEN, 4) != ZBOOT_MAGIC ||
	    rd32(sc->zhdr, ZHDR_LEN, 0x38) != LINUX_PE_MAGIC)
		return 1;

	/*
	 * drivers/firmware/efi/libstub/Makefile.zboot: the names it writes
	 * (6.8 on: gzip and zstd; before: also lz4, lzma, lzo, xzkern, and
	 * zstd22 for zstd)
	 */
	codec = rd64(sc->zhdr, ZHDR_LEN, 0x18);
	gzip = codec == NAME('g', 'z', 'i', 'p', 0, 0, 0, 0);
	if (!gzip && codec != NAME('l', 'z', '4', 0, 0, 0, 0, 0) &&
	    codec != NAME('l', 'z', 'm', 'a', 0, 0, 0, 0) &&
	    codec != NAME('l', 'z', 'o', 0, 0, 0, 0, 0) &&
	    codec != NAME('x', 'z', 'k', 'e', 'r', 'n', 0, 0) &&
	    codec != NAME('z', 's', 't', 'd', 0, 0, 0, 0) &&
	    codec != NAME('z', 's', 't', 'd', '2', '2', 0, 0))
		return -EOPNOTSUPP;

	off = rd32(sc->zhdr, ZHDR_LEN, 8);
	size = rd32(sc->zhdr, ZHDR_LEN, 12);
	/* the payload, and for all but gzip the le32 after it, in @limit */
	if (size < 4 || off + size + (gzip ? 0 : 4) > limit)
		return -ELIBBAD;
	out = image_le32(ctx, sc, base + off + size - (gzip ? 4 : 0));
	if (out < 0)
		return out;
	if (!out)
		return -ELIBBAD;
	if (out > KEXEC_PE_KERNEL_MAX)
		return -E2BIG;

	dc.offset = base + off;
	dc.length = size;
	dc.out_limit = out;
	/*
	 * the kernel decompresses once the parser returned: exactly @out
	 * bytes, else the size field lies and the load fails (EBADMSG)
	 */
	dc.flags = KEXEC_PE_DECOMPRESS_EXACT;
	return bpf_kexec_decompress(ctx, &dc);
}

struct walk {
	struct scratch *sc;
	__u64 image_size;
	__u32 n;	/* header bytes read */
	__u32 table;	/* the section table's offset */
	/*
	 * .profile sections until the selected profile's, then 0. No
	 * counter of profiles: the verifier would tell each count apart, and
	 * the walk would not converge.
	 */
	__u64 left;
	__u32 where;	/* WALK_BASE, WALK_SELECTED, WALK_OTHER */
	bool found;	/* the selected profile's .profile was seen */
	int err;
};

enum { WALK_BASE, WALK_SELECTED, WALK_OTHER };

/*
 * bpf_loop() callback for section @i: the verifier checks it once, not
 * once per section
 */
static long section_cb(__u64 i, void *data)
{
	struct walk *w = data;
	__u32 at = w->table + i * 40;
	__u64 name, vsize, raw, off, size;
	struct range *r;
	__u32 k;

	name = rd64(w->sc->hdr, w->n, at);
	vsize = rd32(w->sc->hdr, w->n, at + 8);
	raw = rd32(w->sc->hdr, w->n, at + 16);
	off = rd32(w->sc->hdr, w->n, at + 20);
	/* VirtualSize is the size; SizeOfRawData includes padding */
	size = vsize && vsize < raw ? vsize : raw;
	if (off + size > w->image_size) {
		w->err = -ELIBBAD;
		return 1;
	}
	if (name == NAME('.', 'p', 'r', 'o', 'f', 'i', 'l', 'e')) {
		/* it starts a profile, and is the selected one's first section */
		if (w->left != 1) {
			w->where = WALK_OTHER;
			if (w->left)
				w->left--;
			return 0;
		}
		w->left = 0;
		w->where = WALK_SELECTED;
		w->found = true;
		k = SEC_PROFILE;
	} else if (w->where == WALK_OTHER) {
		return 0;	/* another profile's */
	} else if (name == NAME('.', 'l', 'i', 'n', 'u', 'x', 0, 0))
		k = SEC_LINUX;
	else if (name == NAME('.', 'i', 'n', 'i', 't', 'r', 'd', 0))
		k = SEC_INITRD;
	else if (name == NAME('.', 'c', 'm', 'd', 'l', 'i', 'n', 'e'))
		k = SEC_CMDLINE;
	else if (name == NAME('.', 'u', 'c', 'o', 'd', 'e', 0, 0))
		k = SEC_UCODE;
	else if (name == NAME('.', 'p', 'c', 'r', 's', 'i', 'g', 0))
		k = SEC_PCRSIG;
	else if (name == NAME('.', 'p', 'c', 'r', 'p', 'k', 'e', 'y'))
		k = SEC_PCRPKEY;
	else if (name == NAME('.', 'o', 's', 'r', 'e', 'l', 0, 0))
		k = SEC_OSREL;
	else
		return 0;
	/* one slot computed, not a pointer chosen: one path for the verifier */
	k += w->where == WALK_SELECTED ? SEC_KINDS : 0;
	r = &w->sc->sec[k & (2 * SEC_KINDS - 1)];
	if (r->seen) {
		w->err = -ELIBBAD;	/* twice: which one counts? */
		return 1;
	}
	r->seen = true;
	r->off = off;
	r->size = size;
	return 0;
}

/* Section @k as the selected profile sees it: its own, else the base's */
static __always_inline struct range *effective(struct scratch *sc, int k)
{
	return sc->sec[SEC_KINDS + k].seen ? &sc->sec[SEC_KINDS + k] : &sc->sec[k];
}

/*
 * The UKI sections this parser uses, of the profile selected; -errno for
 * a malformed image or a profile it lacks
 */
__noinline int find_sections(void *prog_ctx __arg_ctx, struct scratch *sc __arg_nonnull,
			     __u32 n, struct uki *u __arg_nonnull)
{
	struct kexec_pe_ctx *ctx = hook_arg(prog_ctx);
	struct walk w = {
		.sc = sc, .image_size = ctx->image_size, .n = n,
		.left = (__u64)ctx->profile + 1, .where = WALK_BASE,
	};
	__u32 pe, nsec;

	pe = rd32(sc->hdr, n, 0x3c);
	if (pe > HDR_MAX - 24 || rd32(sc->hdr, n, pe) != PE_MAGIC)
		return -ENOEXEC;
	nsec = rd16(sc->hdr, n, pe + 6);
	w.table = pe + 24 + rd16(sc->hdr, n, pe + 20);
	if (nsec > MAX_SECTIONS || w.table + nsec * 40 > n)
		return -ELIBBAD;
	__builtin_memset(sc->sec, 0, sizeof(sc->sec));
	bpf_loop(nsec, section_cb, &w, 0);
	if (w.err)
		return w.err;
	/* profile 0 of a UKI without profiles is its base */
	if (!w.found && ctx->profile)
		return -ERANGE;
	u->linux = *effective(sc, SEC_LINUX);
	u->initrd = *effective(sc, SEC_INITRD);
	u->cmdline = *effective(sc, SEC_CMDLINE);
	u->ucode = *effective(sc, SEC_UCODE);
	return 0;
}

struct trim {
	struct scratch *sc;
	__u32 n;
	__u32 len;
};

/* bpf_loop() callback: look at text[n - 1 - i], stop at the last non-blank */
static long trim_cb(__u64 i, void *data)
{
	struct trim *t = data;
	__u32 at = t->n - 1 - i;
	char c;

	if (at >= TEXT_BUF)
		return 1;
	c = t->sc->text[at & (TEXT_BUF - 1)];
	if (c && c != ' ' && c != '\n' && c != '\t' && c != '\r') {
		t->len = at + 1;
		return 1;
	}
	return 0;
}

/*
 * .cmdline without trailing NULs and white space; 0 for none, -E2BIG for
 * one longer than this parser reads (refused, not ignored: the command
 * line given would take its place)
 */
__noinline __s64 cmdline_len(void *prog_ctx __arg_ctx, struct scratch *sc __arg_nonnull,
			     struct range *r __arg_nonnull)
{
	struct kexec_pe_ctx *ctx = hook_arg(prog_ctx);
	struct trim t = { .sc = sc };
	__u32 size = r->size;
	int n;

	if (size > TEXT_MAX)
		return -E2BIG;
	if (!size)
		return 0;
	n = bpf_kexec_read(ctx, r->off, sc->text, bounded(size, TEXT_BUF));
	if (n <= 0 || n > TEXT_MAX)
		return 0;
	t.n = n;
	bpf_loop(n, trim_cb, &t, 0);
	return t.len;
}

/*
 * Into sc->name, the name of entry @k of the /.extra archive, as
 * systemd-stub names the files it makes of sections (k: the section's
 * index from EXTRA_FIRST), EXTRA_FILES for the directory and
 * EXTRA_FILES + 1 for the archive's end; returns its length (below
 * CPIO_NAME). Words, not
 * strings: a string constant is .rodata. No switch: a jump table is too.
 */
static __always_inline __u32 extra_name(struct scratch *sc, __u32 k)
{
	__u64 *w = sc->name.w;

	w[0] = NAME('.', 'e', 'x', 't', 'r', 'a', '/', 't');
	w[1] = NAME('p', 'm', '2', '-', 'p', 'c', 'r', '-');
	w[2] = 0;
	w[3] = 0;
	w[4] = 0;
	if (k == SEC_PCRSIG - EXTRA_FIRST) {
		w[2] = NAME('s', 'i', 'g', 'n', 'a', 't', 'u', 'r');
		w[3] = NAME('e', '.', 'j', 's', 'o', 'n', 0, 0);
		return 30;
	}
	if (k == SEC_PCRPKEY - EXTRA_FIRST) {
		w[2] = NAME('p', 'u', 'b', 'l', 'i', 'c', '-', 'k');
		w[3] = NAME('e', 'y', '.', 'p', 'e', 'm', 0, 0);
		return 30;
	}
	if (k == SEC_OSREL - EXTRA_FIRST) {
		w[0] = NAME('.', 'e', 'x', 't', 'r', 'a', '/', 'o');
		w[1] = NAME('s', '-', 'r', 'e', 'l', 'e', 'a', 's');
		w[2] = NAME('e', 0, 0, 0, 0, 0, 0, 0);
		return 17;
	}
	if (k == SEC_PROFILE - EXTRA_FIRST) {
		w[0] = NAME('.', 'e', 'x', 't', 'r', 'a', '/', 'p');
		w[1] = NAME('r', 'o', 'f', 'i', 'l', 'e', 0, 0);
		return 14;
	}
	if (k == EXTRA_FILES) {
		w[0] = NAME('.', 'e', 'x', 't', 'r', 'a', 0, 0);
		w[1] = 0;
		return 6;
	}
	w[0] = NAME('T', 'R', 'A', 'I', 'L', 'E', 'R', '!');
	w[1] = NAME('!', '!', 0, 0, 0, 0, 0, 0);
	return 10;
}

/*
 * The newc entry described by sc->field[] and sc->name at sc->cpio[@at]
 * (@at below CPIO_BUF / 2): the header, the name, its NUL and zeros to
 * 4-byte alignment. Returns where the entry ends. Apart from
 * cpio_entry(), so that the verifier walks it once: every value comes
 * from memory, not from the paths that chose it.
 */
struct hex {
	struct scratch *sc;
	__u32 at;
};

/* bpf_loop() callback: digit @i of the header's fields, upper-case hex */
static long hex_cb(__u64 i, void *data)
{
	struct hex *h = data;
	__u32 d;

	d = (h->sc->field[bounded(i / 8, 16)] >> (28 - 4 * (i & 7))) & 0xf;
	h->sc->cpio[bounded(h->at + 6 + i, CPIO_BUF)] = '0' + d + (((9 - (int)d) >> 31) & 7);
	return 0;
}

__noinline int cpio_write_entry(struct scratch *sc __arg_nonnull, __u32 at)
{
	__u32 i, nlen = bounded(sc->field[11] - 1, CPIO_NAME);
	struct hex h = { .sc = sc, .at = bounded(at, CPIO_BUF / 2) };

	at = h.at;
	sc->cpio[bounded(at + 0, CPIO_BUF)] = '0';
	sc->cpio[bounded(at + 1, CPIO_BUF)] = '7';
	sc->cpio[bounded(at + 2, CPIO_BUF)] = '0';
	sc->cpio[bounded(at + 3, CPIO_BUF)] = '7';
	sc->cpio[bounded(at + 4, CPIO_BUF)] = '0';
	sc->cpio[bounded(at + 5, CPIO_BUF)] = '1';
	/* 13 fields of 8 digits: a callback the verifier checks once */
	bpf_loop(13 * 8, hex_cb, &h, 0);
	/* the name, then zeros: its NUL and the padding */
	for (i = 0; i < sizeof(sc->name.c); i++)
		sc->cpio[bounded(at + CPIO_HDR + i, CPIO_BUF)] = sc->name.c[i];
	return at + ((CPIO_HDR + nlen + 1 + 3) & ~3U);
}

/*
 * Entry @k of the /.extra archive (as for extra_name(); a file's @size
 * bytes of data follow it) at sc->cpio[@at]: as the kernel writes the
 * side-car files' archives: the directory first (inode 1, 0555, nlink
 * 2), file k (inode 2 + k, 0444, nlink 1), the trailer (all 0 but nlink
 * 1); no owner, no times. Returns where the entry ends.
 */
static __always_inline int cpio_entry(struct scratch *sc, __u32 at, __u32 k, __u32 size)
{
	__builtin_memset(sc->field, 0, sizeof(sc->field));
	sc->field[11] = extra_name(sc, k) + 1;	/* namesize */
	sc->field[4] = 1;			/* nlink */
	if (k < EXTRA_FILES) {
		sc->field[0] = 2 + k;		/* ino */
		sc->field[1] = 0100444;		/* mode */
		sc->field[6] = size;		/* filesize */
	} else if (k == EXTRA_FILES) {
		sc->field[0] = 1;
		sc->field[1] = 0040555;
		sc->field[4] = 2;
	}
	return cpio_write_entry(sc, at);
}

/* Append sc->cpio's first @len bytes to the initrd */
static __always_inline int cpio_write(struct kexec_pe_ctx *ctx, struct scratch *sc, __u32 len)
{
	int ret;

	len = bounded(len, CPIO_BUF);
	if (!len)
		return -EINVAL;
	ret = bpf_kexec_write(ctx, KEXEC_PE_DST_INITRD, sc->cpio, len);
	return ret < 0 ? ret : 0;
}

/*
 * Extra file @k (see extra_name()) of the image's [@off, @off + @size),
 * after the @at bytes at the start of sc->cpio (the previous file's
 * padding), and with the archive's directory first when @at is
 * CPIO_FIRST: the bytes before the data in one write, the data by
 * reference. Returns the padding the data needs, which starts the next
 * write, or -errno. Apart, so that the verifier checks it once.
 */
#define CPIO_FIRST	4
__noinline int extra_file(void *prog_ctx __arg_ctx, struct scratch *sc __arg_nonnull,
			  __u32 k, __u32 at, __u64 off)
{
	struct kexec_pe_ctx *ctx = hook_arg(prog_ctx);
	__u64 size = sc->extra_size;
	int ret;

	if (size > 0xffffffffULL)
		return -E2BIG;	/* a section's size is a le32: cannot be */
	if (at == CPIO_FIRST)
		at = cpio_entry(sc, 0, EXTRA_FILES, 0);
	at = cpio_entry(sc, at, k & (EXTRA_FILES - 1), size);
	ret = cpio_write(ctx, sc, at);
	if (ret < 0)
		return ret;
	ret = bpf_kexec_ref(ctx, KEXEC_PE_DST_INITRD, off, size);
	if (ret < 0)
		return ret;
	sc->cpio[0] = 0;
	sc->cpio[1] = 0;
	sc->cpio[2] = 0;
	return (4 - (size & 3)) & 3;
}

/*
 * .pcrsig, .pcrpkey, .osrel and .profile of the selected profile, passed
 * on as systemd-stub does: as /.extra/tpm2-pcr-signature.json,
 * tpm2-pcr-public-key.pem, os-release and profile (0444, in a 0555
 * directory), in one cpio archive after the initrd (the stub makes one
 * archive a file: the files unpacked are the same). The manifest pins
 * the bytes between the files' data and the data's ranges.
 */
__noinline int extra_files(void *prog_ctx __arg_ctx, struct scratch *sc __arg_nonnull)
{
	struct kexec_pe_ctx *ctx = hook_arg(prog_ctx);
	int at = CPIO_FIRST;
	struct range *r;
	__u32 k;

	for (k = 0; k < EXTRA_FILES; k++) {
		r = effective(sc, EXTRA_FIRST + k);
		if (!r->size)
			continue;
		sc->extra_size = r->size;
		at = extra_file(prog_ctx, sc, k, at, r->off);
		if (at < 0)
			return at;
	}
	if (at == CPIO_FIRST)
		return 0;	/* none */
	at = cpio_entry(sc, at, EXTRA_FILES + 1, 0);
	return cpio_write(ctx, sc, at);
}

__noinline int add_files(void *prog_ctx __arg_ctx)
{
	struct kexec_pe_ctx *ctx = hook_arg(prog_ctx);
	/* "/.extra", built on the stack: a string constant is .rodata */
	union {
		char c[8];
		__u64 w;
	} dir;
	struct kpe_path *p;
	__u32 i;
	int ret;

	dir.w = NAME('/', '.', 'e', 'x', 't', 'r', 'a', 0);
	barrier_var(dir.w);

	for (i = 0; i < FILES_MAX; i++) {
		__u32 key = i;

		p = bpf_map_lookup_elem(&kexec_pe_files, &key);
		if (!p || !p->path[0])
			break;
		ret = bpf_kexec_supplement_initrd(ctx, dir.c, sizeof(dir.c), p->path, sizeof(p->path));
		if (ret < 0)
			return ret;
	}
	return 0;
}

__noinline int parse_uki(void *prog_ctx __arg_ctx, struct scratch *sc __arg_nonnull,
			 __u32 n)
{
	struct kexec_pe_ctx *ctx = hook_arg(prog_ctx);
	struct uki u = {};
	__s64 len;
	int ret;

	ret = find_sections(prog_ctx, sc, n, &u);
	if (ret)
		return ret;
	if (!u.linux.size)
		return -ENOMSG;

	/* the kernel: .linux, decompressed when it is a zboot image */
	ret = zboot_kernel(prog_ctx, sc, u.linux.off, u.linux.size);
	if (ret == 1)
		ret = bpf_kexec_ref(ctx, KEXEC_PE_DST_KERNEL, u.linux.off, u.linux.size);
	if (ret < 0)
		return ret;

	/* the initrd: .ucode first, as systemd-stub; then .initrd */
	ret = initrd_part(prog_ctx, sc, u.ucode.off, u.ucode.size);
	if (ret < 0)
		return ret;
	ret = initrd_part(prog_ctx, sc, u.initrd.off, u.initrd.size);
	if (ret < 0)
		return ret;
	ret = extra_files(prog_ctx, sc);
	if (ret < 0)
		return ret;
	ret = add_files(prog_ctx);
	if (ret < 0)
		return ret;

	/* the command line: the UKI's (the kernel decides if a given one wins) */
	len = cmdline_len(prog_ctx, sc, &u.cmdline);
	if (len < 0)
		return len;
	if (len)
		return bpf_kexec_ref(ctx, KEXEC_PE_DST_CMDLINE, u.cmdline.off, len);
	return 0;
}

static __always_inline int parse(void *prog_ctx)
{
	struct kexec_pe_ctx *ctx = hook_arg(prog_ctx);
	__u32 zero = 0;
	struct scratch *sc = bpf_map_lookup_elem(&kexec_pe_scratch, &zero);
	int n, ret;

	if (!sc)
		return -ENOMEM;
	n = bpf_kexec_read(ctx, 0, sc->hdr, sizeof(sc->hdr));
	if (n < 0x40 || rd16(sc->hdr, n, 0) != MZ_MAGIC)
		return n < 0 ? n : -ENOEXEC;

	ret = zboot_kernel(prog_ctx, sc, 0, ctx->image_size);
	if (ret < 0)
		return ret;
	if (ret == 0)	/* a zboot image carries only the kernel */
		return add_files(prog_ctx);
	return parse_uki(prog_ctx, sc, n);
}

/*
 * The parser: a struct kexec_pe_parser_ops whose parse() is this program.
 * The kernel runs a parser of its ABI version or an older one: this one
 * works on every kernel of KEXEC_PE_ABI_VERSION 1 or later.
 *
 * Spelled "struct_ops/" and ".struct_ops", not "struct_ops.s/" and
 * ".struct_ops.link", so that libbpf 1.1 (Debian 12's) opens it too: the
 * loader loads parse() sleepable and registers the map through a link,
 * as the kernel requires, whichever spelling an object uses.
 */
SEC("struct_ops/parse")
int BPF_PROG(kexec_pe_parser, struct kexec_pe_ctx *kctx)
{
	int ret;

	ret = parse(ctx);	/* the program's context: BPF_PROG's ctx */
	if (ret < 0)
		return fail(kctx, ret);
	return 0;
}

SEC(".struct_ops")
struct kexec_pe_parser_ops kexec_pe_parser_ops = {
	.parse = (void *)kexec_pe_parser,
	.abi_version = 1,
	.name = "kexec_pe_parser",
};
