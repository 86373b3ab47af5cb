// SPDX-License-Identifier: GPL-2.0
/*
 * Fail, one at a time, every allocation the PE-BPF loader makes while it
 * loads a signed, pinned image, and check that each injected failure ends
 * in an error (or a load that copes with it), leaves no session behind,
 * and that the next load succeeds. What a failure leaked, kmemleak finds:
 * init scans after the run, and the host's judge fails a run with a
 * report.
 *
 * The allocations are counted by fault injection's systematic mode: after
 * writing N to /proc/thread-self/fail-nth, the Nth allocation this thread
 * makes that passes failslab's and fail_page_alloc's filters fails; after
 * the call the file reads 0 when one did. The filters: sleeping
 * (GFP_KERNEL) allocations count too, and a stack filter keeps only those
 * made under the text of kernel/kexec_pe{_coff,}.o (from /proc/kallsyms):
 * the loader's own, and those of what it calls (the decompressors, the
 * parser's kfuncs), not the rest of kexec_file_load() and not the PE
 * signature check, whose upstream code reports some failed allocations as
 * EINVAL or EKEYREJECTED (the session runs the check since it moved out
 * of the kexec lock). N goes up from 1 until a load completes
 * without reaching the Nth: then every fault point of that load was hit.
 *
 * Two targets. load_uki: the signed UKI through kexec_file_load(), with
 * one loader (../guest/keep_loader.h) that keeps its parser registered in
 * another thread, so that its allocations do not count and a fault point
 * costs one session, not one verifier run; this covers the session,
 * the manifest and the composition. parser_on_zboot: small zboot images (gzip, zstd,
 * inside a UKI) through the kernel's test runs (debugfs), which run
 * the registered parser, the kfuncs and the manifest check without
 * kexec_file_load(): the decompressors and the SHA-256 of what they
 * produce, at the cost of the parser alone.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION_STACKTRACE_FILTER, FAILSLAB
 * and FAIL_PAGE_ALLOC (kernel/configs/debug.config); skips elsewhere.
 */
#include "../guest/keep_loader.h"
#include "../guest/test_run.h"
#include "kselftest_harness.h"

#define PROC		"/proc/kexec_pe"
#define DEBUGFS		"/sys/kernel/debug"
/* far above the points a load has (a few hundred): a bound, not a target */
#define POINTS_MAX	3000

struct sym {
	unsigned long addr;
	char name[64];
};

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool loader_sym(const char *name)
{
	return !strncmp(name, "kexec_pe_", 9) || !strncmp(name, "bpf_kexec_", 10);
}

/* The kernel's text symbols, sorted by address; NULL on failure */
static struct sym *text_syms(size_t *count)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	size_t n = 0, cap = 1 << 16;
	struct sym *s = malloc(cap * sizeof(*s));
	char type, line[256];

	if (!f || !s) {
		free(s);
		if (f)
			fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		if (n == cap) {
			struct sym *t = realloc(s, (cap *= 2) * sizeof(*s));

			if (!t)
				break;
			s = t;
		}
		if (sscanf(line, "%lx %c %63s", &s[n].addr, &type, s[n].name) != 3 ||
		    (type != 't' && type != 'T') || !s[n].addr)
			continue;
		n++;
	}
	fclose(f);
	qsort(s, n, sizeof(*s), sym_cmp);
	*count = n;
	return s;
}

/*
 * [start, end) of the loader's text: from its first to past its last
 * function near kexec_pe_call_parser (its __init code is elsewhere); and
 * of verify_pefile_signature(), the signature check it calls
 */
static int loader_text(unsigned long *start, unsigned long *end,
		       unsigned long *sig_start, unsigned long *sig_end)
{
	size_t n, i, lo = 0, hi = 0;
	unsigned long anchor = 0;
	struct sym *s = text_syms(&n);
	bool found = false;

	if (!s)
		return -ENOENT;
	*sig_start = *sig_end = 0;
	for (i = 0; i < n; i++) {
		if (!strcmp(s[i].name, "kexec_pe_call_parser"))
			anchor = s[i].addr;
		if (!strcmp(s[i].name, "verify_pefile_signature") && i + 1 < n) {
			*sig_start = s[i].addr;
			*sig_end = s[i + 1].addr;
		}
	}
	for (i = 0; anchor && i < n; i++) {
		if (!loader_sym(s[i].name) || s[i].addr + (1 << 20) < anchor ||
		    s[i].addr > anchor + (1 << 20))
			continue;
		if (!found)
			lo = i;
		hi = i;
		found = true;
	}
	if (found && hi + 1 < n) {
		*start = s[lo].addr;
		*end = s[hi + 1].addr;
	}
	free(s);
	return found && hi + 1 < n && *sig_start ? 0 : -ENOENT;
}

/* Make failslab and fail_page_alloc count what a load of ours allocates */
static int setup_injection(char *why, size_t size)
{
	static const char * const attrs[] = { "failslab", "fail_page_alloc" };
	unsigned long start, end, sig_start, sig_end;
	char path[128], from[32], to[32], sig_from[32], sig_to[32];
	unsigned int i, j;
	int ret;

	if (access("/proc/thread-self/fail-nth", W_OK) ||
	    access(DEBUGFS "/failslab/require-start", W_OK) ||
	    access(DEBUGFS "/fail_page_alloc/require-start", W_OK)) {
		snprintf(why, size, "no fail-nth, failslab or fail_page_alloc with a stack filter");
		return -EOPNOTSUPP;
	}
	ret = loader_text(&start, &end, &sig_start, &sig_end);
	if (ret) {
		snprintf(why, size, "the loader's text or verify_pefile_signature() is not in /proc/kallsyms");
		return ret;
	}
	snprintf(from, sizeof(from), "%lu", start);
	snprintf(to, sizeof(to), "%lu", end);
	snprintf(sig_from, sizeof(sig_from), "%lu", sig_start);
	snprintf(sig_to, sizeof(sig_to), "%lu", sig_end);
	for (i = 0; i < 2; i++) {
		const struct { const char *file, *val; } set[] = {
			{ "ignore-gfp-wait", "N" },
			{ "verbose", "0" },
			{ "stacktrace-depth", "32" },
			{ "require-start", from },
			{ "require-end", to },
			/*
			 * not under the PE signature check: its PKCS#7, X.509
			 * and public key code reports a failed allocation as
			 * EINVAL or EKEYREJECTED too, an upstream choice
			 * (Documentation/admin-guide/kexec-pe-bpf.rst, Errors)
			 */
			{ "reject-start", sig_from },
			{ "reject-end", sig_to },
		};

		for (j = 0; j < sizeof(set) / sizeof(set[0]); j++) {
			snprintf(path, sizeof(path), DEBUGFS "/%s/%s", attrs[i], set[j].file);
			ret = bed_write_file(path, set[j].val);
			if (ret) {
				snprintf(why, size, "%s: %s", path, strerror(-ret));
				return ret;
			}
		}
	}
	/* page allocations of every order, highmem too */
	ret = bed_write_file(DEBUGFS "/fail_page_alloc/min-order", "0") ?:
	      bed_write_file(DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N");
	if (ret) {
		snprintf(why, size, "fail_page_alloc: %s", strerror(-ret));
		return ret;
	}
	printf("# stack filter: the loader's text [%#lx, %#lx), not under verify_pefile_signature() [%#lx, %#lx)\n",
	       start, end, sig_start, sig_end);
	return 0;
}

static int fail_nth(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* 0 once the Nth fault point was hit, or how many were left */
static long fail_nth_left(int fd)
{
	char buf[16] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return atol(buf);
}

struct sweep {
	int points;		/* fault points hit: failures injected */
	int refused;		/* ... that failed the load */
	int coped;		/* ... that the load survived */
	int bad;		/* a session left behind, or a later load failing */
	int errs[134];		/* refusals by errno */
	char why[512];
};

/* One way to run a parser on an image: 0 or an errno */
struct target {
	int (*attempt)(struct target *t);
	void (*undo)(struct target *t);		/* after a success */
	int kfd;				/* kexec_file_load(): the image */
	int run_fd;				/* the test-run file, the image */
	const uint8_t *img;
	size_t len;
	bool loader;				/* a kept loader is registered */
	const int *errnos;			/* what an injected failure may give, 0-ended */
};

static int load_attempt(struct target *t)
{
	return bed_kexec_file_load(t->kfd, -1, "console=ttyS0", KEXEC_FILE_NO_INITRAMFS) ?
	       errno : 0;
}

static void load_undo(struct target *t)
{
	bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD);
}

static int test_run_attempt(struct target *t)
{
	struct fuzz_result r;
	int ret = fuzz_run(t->run_fd, t->img, t->len, &r);

	return ret ? -ret : -r.ret;
}

static bool status_idle(bool loader)
{
	char buf[2048];

	return bed_read_file(PROC "/status", buf, sizeof(buf)) > 0 &&
	       strstr(buf, "state: idle\n") &&
	       strstr(buf, loader ? "loaders: 1\n" : "loaders: 0\n");
}

/* Run @t, undoing a success: 0 or its errno */
static int run_and_undo(struct target *t)
{
	int err = t->attempt(t);

	if (!err && t->undo)
		t->undo(t);
	return err;
}

/*
 * Run @t once per fault point, failing the Nth; between points no session
 * may be left, and every 50 points and at the end a run without a fault
 * must succeed.
 */
static void sweep(struct target *t, int nfd, struct sweep *sw)
{
	unsigned int n;
	long left;
	int err;

	memset(sw, 0, sizeof(*sw));
	err = run_and_undo(t);
	if (err) {
		snprintf(sw->why, sizeof(sw->why), "the run without a fault: %s", strerror(err));
		sw->bad++;
		return;
	}

	for (n = 1; n <= POINTS_MAX; n++) {
		if (fail_nth(nfd, n)) {
			snprintf(sw->why, sizeof(sw->why), "fail-nth: %s", strerror(errno));
			sw->bad++;
			return;
		}
		err = run_and_undo(t);
		left = fail_nth_left(nfd);
		fail_nth(nfd, 0);
		if (left != 0) {
			/* the run ended before its Nth fault point: all done */
			if (err) {
				snprintf(sw->why, sizeof(sw->why),
					 "the run past the last fault point failed: %s",
					 strerror(err));
				sw->bad++;
			}
			break;
		}
		sw->points++;
		if (err) {
			const int *e = t->errnos;

			sw->refused++;
			sw->errs[err < 134 ? err : 0]++;
			while (*e && *e != err)
				e++;
			if (!*e) {
				snprintf(sw->why, sizeof(sw->why), "fault point %u: %s (%d)",
					 n, strerror(err), err);
				sw->bad++;
			}
		} else {
			sw->coped++;
		}
		if (!status_idle(t->loader)) {
			snprintf(sw->why, sizeof(sw->why), "fault point %u: a session left behind", n);
			sw->bad++;
		}
		if (n % 50 == 0) {
			err = run_and_undo(t);
			if (err) {
				snprintf(sw->why, sizeof(sw->why),
					 "after fault point %u: a run failed: %s", n, strerror(err));
				sw->bad++;
			}
		}
		if (sw->bad > 3)
			return;
	}
	if (n > POINTS_MAX)
		snprintf(sw->why, sizeof(sw->why), "more than %d fault points", POINTS_MAX);
	/* and the next run succeeds */
	err = run_and_undo(t);
	if (err) {
		snprintf(sw->why, sizeof(sw->why), "the run after the sweep: %s", strerror(err));
		sw->bad++;
	}
}

static void report(struct __test_metadata *_metadata, const char *image,
		   const struct sweep *sw)
{
	char errs[512] = "";
	size_t len = 0;
	int e;

	for (e = 0; e < 134; e++)
		if (sw->errs[e] && len < sizeof(errs)) {
			const char *name = e ? bed_errno_name(e) : "other";

			if (!strcmp(name, "E?"))
				len += snprintf(errs + len, sizeof(errs) - len, " errno %d: %d",
						e, sw->errs[e]);
			else
				len += snprintf(errs + len, sizeof(errs) - len, " %s %d",
						name, sw->errs[e]);
		}
	TH_LOG("%s: %d fault points hit: %d refused (%s ), %d loaded anyway",
	       image, sw->points, sw->refused, errs, sw->coped);
}

FIXTURE(faults) {
	int nfd;
};

FIXTURE_SETUP(faults)
{
	char why[256];

	self->nfd = -1;
	if (access(PROC "/loader", W_OK))
		SKIP(return, "no " PROC);
	if (setup_injection(why, sizeof(why)))
		SKIP(return, "%s", why);
	self->nfd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nfd);
}

FIXTURE_TEARDOWN(faults)
{
	if (self->nfd >= 0)
		close(self->nfd);
}

/*
 * A signed UKI through kexec_file_load() and the project's parser, kept
 * registered by a loader in another thread: the signature check, the
 * session, the manifest, the composition and the architecture's loader
 */
TEST_F_TIMEOUT(faults, load_uki, 3600)
{
	static const char image[] = "/boot/pe/uki.efi";
	/*
	 * ENOMEM; or EADDRNOTAVAIL: kexec_file_load()'s search for a hole
	 * (walk_system_ram_res_rev()) returns -1 when its allocation fails, as
	 * when it finds no hole, and the architecture's loader reports that
	 */
	static const int errnos[] = { ENOMEM, EADDRNOTAVAIL, 0 };
	struct target t = { .attempt = load_attempt, .undo = load_undo, .loader = true,
			    .errnos = errnos };
	struct keep_loader k;
	struct sweep sw;

	t.kfd = open(image, O_RDONLY | O_CLOEXEC);
	if (t.kfd < 0)
		SKIP(return, "no %s", image);
	ASSERT_EQ(0, keep_loader_start(&k, 600000));
	sweep(&t, self->nfd, &sw);
	keep_loader_stop(&k);
	close(t.kfd);
	report(_metadata, image, &sw);
	EXPECT_EQ(0, sw.bad) TH_LOG("%.300s", sw.why);
	EXPECT_EQ(0, k.errors) TH_LOG("loader: %s", k.error);
	/*
	 * a load allocates: no fault point would mean the filter is wrong.
	 * The session's own: 10 on the x86_64 debug kernel (the signature
	 * check and the architecture's loader are outside the sweep)
	 */
	EXPECT_LT(4, sw.points);
	EXPECT_GT(POINTS_MAX, sw.points);
}

/*
 * The parser and the kfuncs alone, by a test run: zboot images
 * (bpf_kexec_decompress(), gzip and zstd, and the manifest's SHA-256 of
 * what they expand to) and a zboot image inside a UKI
 */
TEST_F_TIMEOUT(faults, parser_on_zboot, 3600)
{
	static const char *const images[] = {
		"/boot/malformed/zboot-gzip-control.efi",
		"/boot/malformed/zboot-zstd-control.efi",
		"/boot/malformed/zboot-uki-control.efi",
	};
	/* a decompressor's failed allocation is ENOMEM, not a damaged stream */
	static const int errnos[] = { ENOMEM, 0 };
	/* a test run runs the parser of the registered process: this one */
	struct target t = { .attempt = test_run_attempt, .loader = true, .errnos = errnos };
	struct bpf_object *obj;
	struct bpf_link *link;
	struct sweep sw;
	unsigned int i;

	t.run_fd = test_run_open();
	if (t.run_fd == -ENOENT)
		SKIP(return, "no %s", TEST_RUN);
	ASSERT_LE(0, t.run_fd) TH_LOG("%s: %s", TEST_RUN, strerror(-t.run_fd));
	for (i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		uint8_t *img = bed_slurp(images[i], &t.len);

		ASSERT_NE(NULL, img) TH_LOG("%s", images[i]);
		t.img = img;
		link = fuzz_attach_parser(img, t.len, &obj);
		ASSERT_NE(NULL, link) TH_LOG("%s: attach its parser", images[i]);
		sweep(&t, self->nfd, &sw);
		bpf_link__destroy(link);
		bpf_object__close(obj);
		free(img);
		report(_metadata, images[i], &sw);
		EXPECT_EQ(0, sw.bad) TH_LOG("%.300s", sw.why);
		EXPECT_LT(3, sw.points);
		EXPECT_GT(POINTS_MAX, sw.points);
	}
	close(t.run_fd);
}

TEST_HARNESS_MAIN
