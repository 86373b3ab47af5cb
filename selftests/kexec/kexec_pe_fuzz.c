// SPDX-License-Identifier: GPL-2.0
/*
 * The in-VM fuzz loop: thousands of mutated images through the project's
 * real parser (bpf-progs/, registered as its struct_ops) and the real
 * kfuncs and manifest check, without kexec_file_load(), through the
 * kernel's test runs (/sys/kernel/debug/kexec_pe/test_run,
 * CONFIG_KEXEC_PE_TEST_RUN).
 *
 * Seeds: the unmutated controls of scripts/mk-malformed (a UKI, a zboot
 * image for each codec, a zboot image inside a UKI), each with a manifest.
 * Each unmutated seed must parse, pinned. Each iteration then takes a
 * seed, applies 1 to 3 mutations (bit flips in the headers and in section
 * data, section table fields set to boundary values, truncation, section
 * headers copied over others, zboot header fields that lie, byte runs
 * overwritten) and runs the parser on it. Every result must be a success
 * or one of the errnos the series documents for a refused image (the
 * "# refusals" line of /boot/malformed/expected.tsv); the kernel must print no oops, warning,
 * KASAN or lockdep report and kmemleak must find nothing (the host's judge
 * reads the console, init scans kmemleak). bed.fuzz_iters= (default 5000)
 * and bed.fuzz_seed= (default 1) make a run reproducible; bed.fuzz_secs=
 * ends it after that many seconds (make fuzz).
 */
#include <time.h>

#include "../guest/test_run.h"
#include "kselftest_harness.h"

#define SEED_DIR	"/boot/malformed"
#define ERRNO_MAX	134

static const char *const seed_names[] = {
	"uki-control.efi", "zboot-gzip-control.efi", "zboot-zstd-control.efi",
	"zboot-lz4-control.efi", "zboot-lzma-control.efi", "zboot-lzo-control.efi",
	"zboot-xzkern-control.efi", "zboot-uki-control.efi",
};
#define NR_SEEDS	(sizeof(seed_names) / sizeof(seed_names[0]))

struct seed {
	uint8_t *orig;
	size_t len;
};

static uint64_t rng = 1;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t boundary(uint32_t orig, size_t len)
{
	switch (rnd() % 10) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 0xffffffff;
	case 3: return 0x7fffffff;
	case 4: return len;
	case 5: return len - 1;
	case 6: return len + 1;
	case 7: return orig + 1;
	case 8: return orig - 1;
	default: return rnd();
	}
}

/*
 * Apply one mutation to @buf (of *@len bytes, @cap allocated); describe it
 * in @what
 */
static void mutate(uint8_t *buf, size_t *len, char *what, size_t wsize)
{
	unsigned int nsec = 0, i, j;
	long table = bed_pe_table(buf, *len, &nsec);
	uint32_t off, size, v;
	size_t at;

	switch (rnd() % 8) {
	case 0:		/* a bit of the headers */
		at = rnd() % (*len < 1024 ? *len : 1024);
		buf[at] ^= 1 << (rnd() % 8);
		snprintf(what, wsize, "bit flip at %#zx", at);
		return;
	case 1:		/* a section table field */
		if (table < 0 || !nsec)
			break;
		i = rnd() % nsec;
		j = 8 + 4 * (rnd() % 4);	/* VirtualSize, VA, SizeOfRawData, PointerToRawData */
		v = boundary(bed_le32(buf + table + i * 40 + j), *len);
		put32(buf + table + i * 40 + j, v);
		snprintf(what, wsize, "section %u field +%u = %#x", i, j, v);
		return;
	case 2:		/* a cut */
		if (table >= 0 && nsec && rnd() % 2) {
			i = rnd() % nsec;
			at = bed_le32(buf + table + i * 40 + 20) + rnd() % 3 - 1;
		} else {
			at = rnd() % *len;
		}
		if (at < *len) {
			*len = at;
			snprintf(what, wsize, "cut at %#zx", at);
			return;
		}
		break;
	case 3:		/* bits of a section's data */
		if (table < 0 || !nsec)
			break;
		i = rnd() % nsec;
		off = bed_le32(buf + table + i * 40 + 20);
		size = bed_le32(buf + table + i * 40 + 16);
		if (!size || off + (size_t)size > *len)
			break;
		for (j = 0; j < 1 + rnd() % 4; j++) {
			at = off + rnd() % (size < 4096 ? size : 4096);
			buf[at] ^= 1 << (rnd() % 8);
		}
		snprintf(what, wsize, "bits of section %u's data", i);
		return;
	case 4:		/* a zboot header field (payload offset, size, ...) */
		if (*len < 0x40 || memcmp(buf + 4, "zimg", 4))
			break;
		at = 8 + 4 * (rnd() % 4);
		v = boundary(bed_le32(buf + at), *len);
		put32(buf + at, v);
		snprintf(what, wsize, "zboot header +%#zx = %#x", at, v);
		return;
	case 5:		/* a section header over another: names twice */
		if (table < 0 || nsec < 2)
			break;
		i = rnd() % nsec;
		j = rnd() % nsec;
		memcpy(buf + table + j * 40, buf + table + i * 40, 40);
		snprintf(what, wsize, "section header %u copied over %u", i, j);
		return;
	case 6:		/* the section count */
		if (table < 0)
			break;
		v = bed_le32(buf + 0x3c) + 6;
		if (v + 2 > *len)
			break;
		i = buf[v] + (rnd() % 5) - 2;
		buf[v] = i;
		buf[v + 1] = rnd() % 8 ? 0 : rnd();
		snprintf(what, wsize, "section count %u", buf[v] | buf[v + 1] << 8);
		return;
	default:	/* a run of bytes anywhere */
		at = rnd() % *len;
		for (j = 0; j < 8 && at + j < *len; j++)
			buf[at + j] = rnd();
		snprintf(what, wsize, "bytes at %#zx", at);
		return;
	}
	at = rnd() % *len;
	buf[at] ^= 0xff;
	snprintf(what, wsize, "byte at %#zx inverted", at);
}

/*
 * The errnos the series documents for a refused image: the "# refusals"
 * line of expected.tsv (its other lines give each malformed image its own)
 */
static void allowed_errnos(bool allowed[ERRNO_MAX])
{
	static char tsv[1 << 17];
	char *line, *save = NULL;
	int e;

	if (bed_read_file(SEED_DIR "/expected.tsv", tsv, sizeof(tsv)) < 0)
		return;
	for (line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f = strchr(line, '\t'), *list, *tok, *s2 = NULL;

		if (strncmp(line, "# refusals\t", 11))
			continue;
		f = f ? strchr(f + 1, '\t') : NULL;
		if (!f)
			continue;
		list = f + 1;
		f = strchr(list, '\t');
		if (f)
			*f = '\0';
		for (tok = strtok_r(list, ",", &s2); tok; tok = strtok_r(NULL, ",", &s2))
			for (e = 1; e < ERRNO_MAX; e++)
				if (!strcmp(tok, bed_errno_name(e)))
					allowed[e] = true;
	}
}

TEST(mutated_images)
{
	static int count[ERRNO_MAX];
	bool allowed[ERRNO_MAX] = { false };
	long iters = bed_param_long("bed.fuzz_iters", 5000), max_secs = bed_param_long("bed.fuzz_secs", 0), it;
	struct seed seeds[NR_SEEDS] = {};
	int fd, ok = 0, pinned = 0, bad = 0, pinned_seeds = 0;
	struct bpf_object *obj = NULL;
	struct timespec t0, t1;
	struct bpf_link *link;
	char path[256], what[3][96], errs[1024];
	struct fuzz_result r;
	uint8_t *buf;
	size_t i, len, pos;
	unsigned int k, nm;
	double secs;

	rng = bed_param_long("bed.fuzz_seed", 1) * 0x9e3779b97f4a7c15ull | 1;
	fd = test_run_open();
	if (fd == -ENOENT)
		SKIP(return, "no %s (a kernel without CONFIG_KEXEC_PE_TEST_RUN)", TEST_RUN);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", TEST_RUN, strerror(-fd));

	for (i = 0; i < NR_SEEDS; i++) {
		snprintf(path, sizeof(path), SEED_DIR "/%s", seed_names[i]);
		seeds[i].orig = bed_slurp(path, &seeds[i].len);
		ASSERT_NE(NULL, seeds[i].orig) TH_LOG("%s: %s", path, strerror(errno));
	}
	allowed_errnos(allowed);
	ASSERT_TRUE(allowed[ELIBBAD]) TH_LOG("no errnos in " SEED_DIR "/expected.tsv");

	/* one parser for all seeds: scripts/mk-malformed embeds the same one */
	link = fuzz_attach_parser(seeds[0].orig, seeds[0].len, &obj);
	ASSERT_NE(NULL, link) TH_LOG("attach the parser of %s: %s", seed_names[0],
				     strerror(errno));

	/*
	 * every unmutated seed parses, and its results are what it pins
	 * (kexec-pe embed pins zboot images of the codecs it can decompress,
	 * gzip and zstd, and UKIs)
	 */
	for (i = 0; i < NR_SEEDS; i++) {
		struct bed_sect mf;
		int has = !bed_pe_section(seeds[i].orig, seeds[i].len, ".kexecmf", &mf);

		ASSERT_EQ(0, fuzz_run(fd, seeds[i].orig, seeds[i].len, &r));
		EXPECT_EQ(0, r.ret) TH_LOG("%s: %s", seed_names[i], strerror(-r.ret));
		EXPECT_EQ(has, r.pinned) TH_LOG("%s", seed_names[i]);
		pinned_seeds += has;
		EXPECT_LT(0, r.kernel) TH_LOG("%s", seed_names[i]);
	}

	buf = malloc(1 << 20);
	ASSERT_NE(NULL, buf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (it = 0; it < iters; it++) {
		const struct seed *s = &seeds[it % NR_SEEDS];

		if (max_secs && !(it % 64)) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (t1.tv_sec - t0.tv_sec >= max_secs)
				break;
		}

		len = s->len;
		ASSERT_GE(1 << 20, len);
		memcpy(buf, s->orig, len);
		nm = 1 + rnd() % 3;
		for (k = 0; k < nm && len; k++)
			mutate(buf, &len, what[k], sizeof(what[k]));
		ASSERT_EQ(0, fuzz_run(fd, buf, len, &r));
		if (!r.ret) {
			ok++;
			pinned += r.pinned;
			continue;
		}
		if (r.ret > -ERRNO_MAX && r.ret < 0)
			count[-r.ret]++;
		if (r.ret <= -ERRNO_MAX || r.ret >= 0 || !allowed[-r.ret]) {
			bad++;
			TH_LOG("iteration %ld, %s: %d (%s) after %s%s%s%s%s", it, seed_names[it % NR_SEEDS],
			       r.ret, r.ret < 0 && r.ret > -ERRNO_MAX ? bed_errno_name(-r.ret) : "?",
			       what[0], nm > 1 ? ", " : "", nm > 1 ? what[1] : "",
			       nm > 2 ? ", " : "", nm > 2 ? what[2] : "");
			if (bad > 10)
				break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	bpf_link__destroy(link);
	bpf_object__close(obj);
	close(fd);

	pos = 0;
	errs[0] = '\0';
	for (k = 1; k < ERRNO_MAX; k++)
		if (count[k] && pos < sizeof(errs))
			pos += snprintf(errs + pos, sizeof(errs) - pos, " %s %d",
					bed_errno_name(k), count[k]);
	TH_LOG("bed.fuzz_seed=%ld: %ld mutated images of %zu seeds (%d with a manifest) in %.1f s (%.0f/s): %d parsed (%d pinned), refused:%s",
	       bed_param_long("bed.fuzz_seed", 1), it, NR_SEEDS, pinned_seeds, secs, it / secs, ok, pinned, errs);
	EXPECT_LE(4, pinned_seeds);
	EXPECT_EQ(0, bad);
	if (!max_secs)
		EXPECT_EQ(iters, it);
	for (i = 0; i < NR_SEEDS; i++)
		free(seeds[i].orig);
	free(buf);
}

TEST_HARNESS_MAIN
