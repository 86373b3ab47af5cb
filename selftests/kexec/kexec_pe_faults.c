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
 * the loader's own, and those of what it calls (the signature check, the
 * decompressors, the parser's kfuncs, the architecture's loader), not the
 * rest of kexec_file_load(). N goes up from 1 until a load completes
 * without reaching the Nth: then every fault point of that load was hit.
 *
 * Each image gets one loader (../guest/keep_loader.h) that keeps its
 * parser attached, in another thread: its allocations do not count, and a
 * fault point costs one session, not one verifier run.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION_STACKTRACE_FILTER, FAILSLAB
 * and FAIL_PAGE_ALLOC (kernel/configs/debug.config); skips elsewhere.
 */
#include "../guest/keep_loader.h"
#include "kselftest_harness.h"

#define PROC		"/proc/kexec_pe"
#define DEBUGFS		"/sys/kernel/debug"
/* far above the points a load has (a few hundred): a bound, not a target */
#define POINTS_MAX	3000

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

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

/*
 * [start, end) of the loader's text: from its first to past its last
 * function near kexec_pe_parser_hook (its __init code is elsewhere)
 */
static int loader_text(unsigned long *start, unsigned long *end)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	size_t n = 0, cap = 1 << 16, i, lo = 0, hi = 0;
	unsigned long anchor = 0;
	struct sym *s = malloc(cap * sizeof(*s));
	char type, line[256];
	bool found = false;

	if (!f || !s) {
		free(s);
		if (f)
			fclose(f);
		return -ENOENT;
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
		if (!strcmp(s[n].name, "kexec_pe_parser_hook"))
			anchor = s[n].addr;
		n++;
	}
	fclose(f);
	qsort(s, n, sizeof(*s), sym_cmp);
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
	return found && hi + 1 < n ? 0 : -ENOENT;
}

/* Make failslab and fail_page_alloc count what a load of ours allocates */
static int setup_injection(char *why, size_t size)
{
	static const char * const attrs[] = { "failslab", "fail_page_alloc" };
	unsigned long start, end;
	char path[128], val[32];
	unsigned int i;
	int ret;

	if (access("/proc/thread-self/fail-nth", W_OK) ||
	    access(DEBUGFS "/failslab/require-start", W_OK) ||
	    access(DEBUGFS "/fail_page_alloc/require-start", W_OK)) {
		snprintf(why, size, "no fail-nth, failslab or fail_page_alloc with a stack filter");
		return -EOPNOTSUPP;
	}
	ret = loader_text(&start, &end);
	if (ret) {
		snprintf(why, size, "the loader's text is not in /proc/kallsyms");
		return ret;
	}
	for (i = 0; i < 2; i++) {
		const struct { const char *file, *val; } set[] = {
			{ "ignore-gfp-wait", "N" },
			{ "verbose", "0" },
			{ "stacktrace-depth", "32" },
			{ "require-start", NULL },
			{ "require-end", NULL },
		};
		unsigned int j;

		for (j = 0; j < sizeof(set) / sizeof(set[0]); j++) {
			snprintf(path, sizeof(path), DEBUGFS "/%s/%s", attrs[i], set[j].file);
			snprintf(val, sizeof(val), "%lu", j == 3 ? start : end);
			ret = write_str(path, set[j].val ? set[j].val : val);
			if (ret) {
				snprintf(why, size, "%s: %s", path, strerror(-ret));
				return ret;
			}
		}
	}
	/* page allocations of every order, highmem too */
	if (write_str(DEBUGFS "/fail_page_alloc/min-order", "0") ||
	    write_str(DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N")) {
		snprintf(why, size, "fail_page_alloc: %s", strerror(errno));
		return -errno;
	}
	printf("# stack filter: the loader's text [%#lx, %#lx)\n", start, end);
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

static bool status_idle(void)
{
	char buf[2048];

	return bed_read_file(PROC "/status", buf, sizeof(buf)) > 0 &&
	       strstr(buf, "state: idle\n") && strstr(buf, "loaders: 1\n");
}

struct sweep {
	int points;		/* fault points hit: failures injected */
	int refused;		/* ... that failed the load */
	int coped;		/* ... that the load survived */
	int bad;		/* a session left behind, or a later load failing */
	int errs[134];		/* refusals by errno */
	char why[512];
};

/*
 * Load @image once per fault point, failing the Nth; between points the
 * session must be idle, and every 50 points and at the end a load without
 * a fault must succeed.
 */
static int sweep(const char *image, const char *cmdline, struct sweep *sw)
{
	int kfd = open(image, O_RDONLY | O_CLOEXEC), nfd, ret = 0;
	struct keep_loader k;
	unsigned int n;
	long left;

	memset(sw, 0, sizeof(*sw));
	if (kfd < 0)
		return -errno;
	nfd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ret = nfd < 0 ? -errno : keep_loader_start(&k, 600000);
	if (ret) {
		close(kfd);
		return ret;
	}
	/* the first session verifies the parser, without a fault */
	if (bed_kexec_file_load(kfd, -1, cmdline, KEXEC_FILE_NO_INITRAMFS)) {
		snprintf(sw->why, sizeof(sw->why), "the load without a fault: %s (%s)",
			 strerror(errno), k.error);
		ret = -errno;
		goto out;
	}
	bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD);

	for (n = 1; n <= POINTS_MAX; n++) {
		int err = 0;

		ret = fail_nth(nfd, n);
		if (ret)
			break;
		if (bed_kexec_file_load(kfd, -1, cmdline, KEXEC_FILE_NO_INITRAMFS))
			err = errno;
		left = fail_nth_left(nfd);
		fail_nth(nfd, 0);
		if (!err)
			bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD);
		if (left != 0) {
			/* the load ended before its Nth fault point: all done */
			if (err) {
				snprintf(sw->why, sizeof(sw->why),
					 "the load past the last fault point failed: %s",
					 strerror(err));
				sw->bad++;
			}
			break;
		}
		sw->points++;
		if (err) {
			sw->refused++;
			sw->errs[err < 134 ? err : 0]++;
		} else {
			sw->coped++;
		}
		if (!status_idle()) {
			snprintf(sw->why, sizeof(sw->why), "fault point %u: a session left behind", n);
			sw->bad++;
		}
		if (n % 50 == 0 &&
		    bed_kexec_file_load(kfd, -1, cmdline, KEXEC_FILE_NO_INITRAMFS)) {
			snprintf(sw->why, sizeof(sw->why), "after fault point %u: a load failed: %s",
				 n, strerror(errno));
			sw->bad++;
		} else if (n % 50 == 0) {
			bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD);
		}
		if (sw->bad > 3)
			break;
	}
	if (n > POINTS_MAX)
		snprintf(sw->why, sizeof(sw->why), "more than %d fault points", POINTS_MAX);
	/* and the next load succeeds */
	if (bed_kexec_file_load(kfd, -1, cmdline, KEXEC_FILE_NO_INITRAMFS)) {
		snprintf(sw->why, sizeof(sw->why), "the load after the sweep: %s", strerror(errno));
		sw->bad++;
	}
	bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD);
	if (k.errors) {
		snprintf(sw->why, sizeof(sw->why), "loader: %s", k.error);
		sw->bad++;
	}
out:
	keep_loader_stop(&k);
	close(nfd);
	close(kfd);
	return ret;
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
	char why[256];
	bool ready;
};

FIXTURE_SETUP(faults)
{
	if (access(PROC "/loader", W_OK))
		SKIP(return, "no " PROC);
	self->ready = !setup_injection(self->why, sizeof(self->why));
	if (!self->ready)
		SKIP(return, "%s", self->why);
}

FIXTURE_TEARDOWN(faults)
{
}

/* A UKI through the project's parser: signature, manifest, composition */
TEST_F_TIMEOUT(faults, uki, 3600)
{
	static const char image[] = "/boot/pe/uki.efi";
	struct sweep sw;

	if (access(image, R_OK))
		SKIP(return, "no %s", image);
	ASSERT_EQ(0, sweep(image, "console=ttyS0", &sw)) TH_LOG("%s", sw.why);
	report(_metadata, image, &sw);
	EXPECT_EQ(0, sw.bad) TH_LOG("%.300s", sw.why);
	/* a load allocates: no fault point would mean the filter is wrong */
	EXPECT_LT(10, sw.points);
	EXPECT_GT(POINTS_MAX, sw.points);
}

/* A gzip-compressed kernel: bpf_kexec_decompress() and its buffers */
TEST_F_TIMEOUT(faults, decompress, 3600)
{
	static const char image[] = "/boot/kexec_pe/linux-gzip.efi";
	struct sweep sw;

	if (access(image, R_OK))
		SKIP(return, "no %s", image);
	ASSERT_EQ(0, sweep(image, "console=ttyS0", &sw)) TH_LOG("%s", sw.why);
	report(_metadata, image, &sw);
	EXPECT_EQ(0, sw.bad) TH_LOG("%.300s", sw.why);
	EXPECT_LT(10, sw.points);
	EXPECT_GT(POINTS_MAX, sw.points);
}

TEST_HARNESS_MAIN
