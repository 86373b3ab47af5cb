// SPDX-License-Identifier: GPL-2.0
/*
 * kexec_bench: the wall time of kexec_file_load() (load, then an untimed
 * unload; nothing is exec'ed) for three paths, on the same kernel and
 * initrd content, interleaved A B C A B C ...:
 *
 *   A  native: the signed inner kernel and the initrd given to
 *      kexec_file_load() by kexec-pe, which loads a plain kernel without
 *      a handshake (the kernel's own path and signature check);
 *   B  kexec-pe: the signed UKI or EFI zboot image through kexec-pe, the
 *      handshake and the image's BPF parser;
 *   C  unpack in user space, BENCHMARK ONLY, never in the product: what
 *      kexec-tools >= 2.0.27 (zboot) and >= 2.0.30 (UKI) do: the image read
 *      whole, .linux and .initrd (or the decompressed zboot payload)
 *      written to temporary files in /tmp, and kexec_file_load() of them
 *      (zlib and libzstd, in this process, as kexec-tools links them);
 *   S  served: B's image loaded by a plain kexec_file_load() (a forked
 *      child that knows no handshake, as systemctl kexec) through
 *      "kexec-pe serve", started once before the timed rounds. Its first
 *      load of each case is untimed ("bench: served-first"; the first
 *      case's is cold, the service verifying the parser); the timed ones
 *      are warm: the service attaches the parser it kept, no verifier.
 *
 * Cases: the UKIs of /bench (uki-<N>M.efi, made by scripts/bench with
 * an initrd of N MiB), else /boot/pe/uki.efi (the short run make check
 * makes); on arm64 and riscv64 also /boot/pe/zboot.efi (gzip) and
 * zboot-zstd.efi, with the smallest UKI's initrd, against the native
 * signed Image (/boot/sig/signed).
 *
 * Kernel parameters: bench.n=N (repetitions, default 15), bench.mem=N
 * (extra rounds that sample memory, default 1), bench.trace=N (extra
 * rounds traced with function_graph for B's breakdown, default 2).
 *
 * Output: "bench: ..." lines of key=value (scripts/bench-report makes the
 * JSON, Markdown and chart of them), and KTAP: each path of each case
 * loaded and unloaded, every repetition. No timing is asserted.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <zlib.h>
#ifndef __riscv
#include <zstd.h>	/* Debian 12 has no riscv64 libzstd */
#endif

#include "kselftest.h"
#include "bed.h"
#include "serve.h"

#define BENCH_DIR	"/bench"
#define TMP_DIR		"/tmp/bench"
#define CG_ROOT		"/sys/fs/cgroup"
#define TRACEFS		"/sys/kernel/tracing"
#define MAX_CASES	8
#define MAX_REPS	200

enum { PATH_A, PATH_B, PATH_C, PATH_S, NR_PATHS };
static const char *const path_name[NR_PATHS] = { "A", "B", "C", "S" };

struct bcase {
	char name[32];
	char image[256];	/* B's image */
	char kernel[256];	/* A's kernel */
	char initrd[256];	/* A's initrd (and B's and C's for zboot) */
	char cmdline[512];	/* A's (and C's) command line */
	bool zboot;
	char codec[16];
	unsigned long kernel_size, initrd_size, image_size;
	int fails[NR_PATHS];
	const char *skip[NR_PATHS];	/* why a path cannot run here */
};

/* Written by a forked child (path C), read by the parent */
struct shared {
	double read_us, write_us, decompress_us, syscall_us;
	unsigned long decompressed;
	int err;
	/* the memory sampler */
	volatile int stop;
	long min_avail_kb, max_slab_kb, max_vmalloc_kb, samples;
	long max_user_kb;	/* the cgroup's anon + file (tmpfs included) */
	char cg_stat[128];
};

static struct shared *sh;
static struct bcase cases[MAX_CASES];
static int nr_cases;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* --- files ---------------------------------------------------------- */

static int spill(const char *path, const void *p, size_t n)
{
	const char *b = p;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w;

	if (fd < 0)
		return -errno;
	while (n) {
		w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -EIO;
		}
		b += w;
		n -= w;
	}
	return close(fd) ? -errno : 0;
}

/* --- decompression in user space (path C) ---------------------------- */

static int gunzip_buf(const unsigned char *in, size_t len, unsigned char **out,
		      size_t *out_len)
{
	size_t cap = len * 4, got = 0;
	unsigned char *buf = malloc(cap);
	z_stream zs = { 0 };
	int ret;

	if (!buf || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	zs.next_in = (unsigned char *)in;
	zs.avail_in = len;
	do {
		if (got == cap) {
			unsigned char *n = realloc(buf, cap *= 2);

			if (!n) {
				ret = Z_MEM_ERROR;
				break;
			}
			buf = n;
		}
		zs.next_out = buf + got;
		zs.avail_out = cap - got;
		ret = inflate(&zs, Z_NO_FLUSH);
		got = cap - zs.avail_out;
	} while (ret == Z_OK);
	inflateEnd(&zs);
	if (ret != Z_STREAM_END) {
		free(buf);
		return -EBADMSG;
	}
	*out = buf;
	*out_len = got;
	return 0;
}

static int unzstd_buf(const unsigned char *in, size_t len, size_t size,
		      unsigned char **out, size_t *out_len)
{
#ifdef __riscv
	return -EOPNOTSUPP;
#else
	unsigned char *buf = malloc(size);
	size_t r;

	if (!buf)
		return -ENOMEM;
	r = ZSTD_decompress(buf, size, in, len);
	if (ZSTD_isError(r) || r != size) {
		free(buf);
		return -EBADMSG;
	}
	*out = buf;
	*out_len = r;
	return 0;
#endif
}

/* The zboot payload of @img, decompressed; its codec name in @codec */
static int zboot_unpack(const unsigned char *img, size_t len, char *codec,
			size_t codec_size, unsigned char **out, size_t *out_len,
			double *us)
{
	unsigned long off, size;
	double t0;
	int ret;

	if (len < 0x40 || memcmp(img + 4, "zimg", 4))
		return -ENOEXEC;
	off = bed_le32(img + 8);
	size = bed_le32(img + 12);
	if (off > len || size > len - off)
		return -ELIBBAD;
	snprintf(codec, codec_size, "%.16s", (const char *)img + 0x18);
	t0 = now_us();
	if (!strcmp(codec, "gzip"))
		ret = gunzip_buf(img + off, size, out, out_len);
	else if (!strncmp(codec, "zstd", 4) && off + size + 4 <= len)
		ret = unzstd_buf(img + off, size, bed_le32(img + off + size), out, out_len);
	else
		ret = -EOPNOTSUPP;
	*us = now_us() - t0;
	return ret;
}

/* --- the three paths ------------------------------------------------- */

static int cg_join(const char *cg)
{
	char p[128];

	if (!cg)
		return 0;
	snprintf(p, sizeof(p), "%s/%s/cgroup.procs", CG_ROOT, cg);
	return bed_write_file(p, "0");
}

/* Path C, in a child: what kexec-tools does, into temporary files */
static int unpack_and_load(const struct bcase *c)
{
	unsigned char *img, *kbuf = NULL;
	size_t len, klen = 0;
	struct bed_sect lx, ird;
	char codec[17];
	int kfd, ifd = -1, ret;
	double t0;

	t0 = now_us();
	img = bed_slurp(c->image, &len);
	sh->read_us = now_us() - t0;
	if (!img)
		return -errno ?: -EIO;
	mkdir(TMP_DIR, 0700);
	t0 = now_us();
	if (c->zboot) {
		ret = zboot_unpack(img, len, codec, sizeof(codec), &kbuf, &klen,
				   &sh->decompress_us);
		if (ret)
			return ret;
		sh->decompressed = klen;
		t0 = now_us();
		ret = spill(TMP_DIR "/c.linux", kbuf, klen);
		free(kbuf);
	} else {
		ret = bed_pe_section(img, len, ".linux", &lx) ?:
		      bed_pe_section(img, len, ".initrd", &ird) ?:
		      spill(TMP_DIR "/c.linux", img + lx.off, lx.size) ?:
		      spill(TMP_DIR "/c.initrd", img + ird.off, ird.size);
	}
	free(img);
	sh->write_us = now_us() - t0;
	if (ret)
		return ret;
	kfd = open(TMP_DIR "/c.linux", O_RDONLY | O_CLOEXEC);
	ifd = open(c->zboot ? c->initrd : TMP_DIR "/c.initrd", O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0)
		return -errno;
	t0 = now_us();
	ret = bed_kexec_file_load(kfd, ifd, c->cmdline, 0) ? -errno : 0;
	sh->syscall_us = now_us() - t0;
	close(kfd);
	close(ifd);
	unlink(TMP_DIR "/c.linux");
	unlink(TMP_DIR "/c.initrd");
	return ret;
}

/* Path S, in a child: a plain kexec_file_load() of B's image, served */
static int served_load(const struct bcase *c)
{
	int kfd, ifd = -1, ret;
	double t0;

	kfd = open(c->image, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return -errno;
	if (c->zboot) {
		ifd = open(c->initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0)
			return -errno;
	}
	t0 = now_us();
	ret = bed_kexec_file_load(kfd, ifd, c->zboot ? c->cmdline : NULL,
				  c->zboot ? 0 : KEXEC_FILE_NO_INITRAMFS) ? -errno : 0;
	sh->syscall_us = now_us() - t0;
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	return ret;
}

/*
 * Run one path of @c once, in a child process that first joins the cgroup
 * @cg (when not NULL); its wall time in *us; kexec-pe's output in @out.
 * Returns 0 when the image was loaded.
 */
static int run_path(const struct bcase *c, int path, const char *cg, double *us,
		    char *out, size_t out_size)
{
	const char *argv[12];
	int p[2], status, n = 0;
	size_t got = 0;
	double t0;
	pid_t pid;
	ssize_t r;

	argv[n++] = BED_KEXEC_PE;
	argv[n++] = "-d";
	argv[n++] = "-l";
	if (path == PATH_A) {
		argv[n++] = c->kernel;
		argv[n++] = "--initrd";
		argv[n++] = c->initrd;
		argv[n++] = "--append";
		argv[n++] = c->cmdline;
	} else {
		argv[n++] = c->image;
		if (c->zboot) {
			argv[n++] = "--initrd";
			argv[n++] = c->initrd;
			argv[n++] = "--append";
			argv[n++] = c->cmdline;
		}
	}
	argv[n] = NULL;
	out[0] = '\0';
	memset(sh, 0, offsetof(struct shared, stop));
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	t0 = now_us();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (cg_join(cg))
			_exit(120);
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (path == PATH_C || path == PATH_S) {
			sh->err = path == PATH_C ? unpack_and_load(c) : served_load(c);
			_exit(sh->err ? 1 : 0);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], out + got, out_size - 1 - got)) > 0 ||
	       (r < 0 && errno == EINTR))
		got += r > 0 ? r : 0;
	out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*us = now_us() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return (path == PATH_C || path == PATH_S) && sh->err ? sh->err : -EIO;
	return 0;
}

static int loaded(void)
{
	char b[8];

	return bed_read_file("/sys/kernel/kexec_loaded", b, sizeof(b)) > 0 && b[0] == '1';
}

static int unload(void)
{
	return bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD) ? -errno : 0;
}

/*
 * Run one path of @c once, untraced and outside any cgroup, then check
 * that it loaded an image and unload it (untimed): 0, or -errno
 */
static int load_and_unload(const struct bcase *c, int path, double *us, char *out,
			   size_t out_size)
{
	int ret = run_path(c, path, NULL, us, out, out_size);

	if (!ret && !loaded())
		ret = -ENOENT;
	if (!ret)
		ret = unload();
	if (!ret && loaded())
		ret = -EBUSY;
	return ret;
}

/* --- B's breakdown: kexec-pe -d, /proc/kexec_pe/status, function_graph -- */

/* kexec-pe -d's "[   s.us] event" lines: the time of @event, in us */
static double loader_ts(const char *out, const char *event)
{
	const char *p = out;
	char key[64];

	snprintf(key, sizeof(key), "] %s", event);
	while ((p = strstr(p, key))) {
		const char *b = p;

		while (b > out && b[-1] != '[')
			b--;
		if (b > out)
			return strtod(b, NULL) * 1e6;
		p++;
	}
	return -1;
}

static long status_field(const char *key)
{
	char buf[2048], *p;

	if (bed_read_file("/proc/kexec_pe/status", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The last session's times from /proc/kexec_pe/status, as key=value */
static void print_status(void)
{
	printf(" k_wait=%ld k_parser=%ld k_load=%ld", status_field("last_wait_us: "),
	       status_field("last_parser_us: "), status_field("last_load_us: "));
}

static const char *const traced[] = {
	"__x64_sys_kexec_file_load", "__arm64_sys_kexec_file_load",
	"__riscv_sys_kexec_file_load", "kernel_read_file_from_fd",
	"kexec_kernel_verify_pe_sig", "kexec_pe_load", "kexec_pe_handshake",
	"bpf_kexec_read", "bpf_kexec_ref", "bpf_kexec_decompress", "kexec_pe_decompress_all",
	"bpf_kexec_supplement_initrd", "kexec_pe_manifest_check",
	"bzImage64_load", "image_load",
	"elf_kexec_load", "machine_kexec_prepare", "crypto_shash_update",
	"kimage_load_segment", "kimage_file_post_load_cleanup",
};
#define NR_TRACED (sizeof(traced) / sizeof(traced[0]))
static bool trace_ok;

static int trace_setup(void)
{
	char opt[128];
	unsigned int i, n = 0;
	int fd;

	if (bed_write_file(TRACEFS "/tracing_on", "0") ||
	    bed_write_file(TRACEFS "/current_tracer", "nop"))
		return -ENODEV;
	fd = open(TRACEFS "/set_ftrace_filter", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	for (i = 0; i < NR_TRACED; i++) {
		fd = open(TRACEFS "/set_ftrace_filter", O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0 && write(fd, traced[i], strlen(traced[i])) > 0)
			n++;
		if (fd >= 0)
			close(fd);
	}
	snprintf(opt, sizeof(opt), "%s/options/funcgraph-tail", TRACEFS);
	bed_write_file(opt, "1");
	snprintf(opt, sizeof(opt), "%s/options/funcgraph-irqs", TRACEFS);
	bed_write_file(opt, "0");
	bed_write_file(TRACEFS "/buffer_size_kb", "2048");
	if (!n || bed_write_file(TRACEFS "/current_tracer", "function_graph"))
		return -ENODEV;
	printf("bench: trace functions=%u tracer=function_graph\n", n);
	return 0;
}

struct trace_sums {
	double us[NR_TRACED];
	int calls[NR_TRACED];
};

static int traced_idx(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_TRACED; i++)
		if (!strcmp(traced[i], name))
			return i;
	return -1;
}

/*
 * Sum each traced function's time from function_graph's output; a call
 * nested in a signature check (crypto_shash_update hashing the PE) is
 * counted to the signature check only.
 */
static void trace_collect(struct trace_sums *ts)
{
	int stack[64], depth = 0, sig = traced_idx("kexec_kernel_verify_pe_sig");
	char line[512];
	int fd;
	FILE *f;

	memset(ts, 0, sizeof(*ts));
	bed_write_file(TRACEFS "/tracing_on", "0");
	f = fopen(TRACEFS "/trace", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *bar = strchr(line, '|'), *fn, *e;
		double dur = -1;
		int idx, k, in_sig = 0;

		if (line[0] == '#' || !bar)
			continue;
		/* " N) ! 1234.567 us |  name();": the CPU, then the duration */
		e = strchr(line, ')');
		if (!e || e > bar)
			continue;
		for (e++; e < bar; e++)
			if (isdigit((unsigned char)*e)) {
				char *q;

				dur = strtod(e, &q);
				if (strncmp(q, " us", 3))
					dur = -1;
				break;
			}
		fn = bar + 1;
		while (*fn == ' ')
			fn++;
		fn[strcspn(fn, "\n")] = '\0';
		if (*fn == '}') {
			if (depth <= 0)
				continue;
			idx = stack[--depth];
		} else {
			char name[96];
			size_t l = strcspn(fn, "(");

			if (!fn[l] || l >= sizeof(name))
				continue;
			memcpy(name, fn, l);
			name[l] = '\0';
			idx = traced_idx(name);
			if (strstr(fn, "{")) {
				if (depth < 64)
					stack[depth++] = idx;
				continue;
			}
		}
		if (idx < 0 || dur < 0)
			continue;
		for (k = 0; k < depth; k++)
			in_sig |= stack[k] == sig || stack[k] == idx;
		if (in_sig)
			continue;
		ts->us[idx] += dur;
		ts->calls[idx]++;
	}
	fclose(f);
	fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

static void print_trace(const struct bcase *c, int path, int round,
			const struct trace_sums *ts)
{
	unsigned int i;

	printf("bench: trace case=%s path=%s round=%d", c->name, path_name[path], round);
	for (i = 0; i < NR_TRACED; i++)
		if (ts->calls[i])
			printf(" %s=%.0f/%d", traced[i], ts->us[i], ts->calls[i]);
	printf("\n");
}

/* --- memory: a sampler process and the load's memory cgroup ---------- */

static void meminfo(long *avail, long *slab, long *vmalloc)
{
	char buf[4096], *p;

	*avail = *slab = *vmalloc = -1;
	if (bed_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return;
	if ((p = strstr(buf, "MemAvailable:")))
		*avail = strtol(p + 13, NULL, 10);
	if ((p = strstr(buf, "\nSlab:")))
		*slab = strtol(p + 6, NULL, 10);
	if ((p = strstr(buf, "VmallocUsed:")))
		*vmalloc = strtol(p + 12, NULL, 10);
}

/* user-space memory of the cgroup: anon + file (tmpfs included), KiB */
static long cg_user_kb(const char *stat)
{
	char buf[4096], *p;
	long anon = 0, file = 0;

	if (!stat[0] || bed_read_file(stat, buf, sizeof(buf)) < 0)
		return -1;
	if (!strncmp(buf, "anon ", 5))
		anon = strtoll(buf + 5, NULL, 10);
	if ((p = strstr(buf, "\nfile ")))
		file = strtoll(p + 6, NULL, 10);
	return (anon + file) / 1024;
}

static pid_t sampler_start(const char *cg)
{
	long a, s, v, u;
	pid_t pid;

	meminfo(&a, &s, &v);
	sh->min_avail_kb = a;
	sh->max_slab_kb = s;
	sh->max_vmalloc_kb = v;
	sh->samples = 0;
	sh->stop = 0;
	sh->max_user_kb = cg ? 0 : -1;
	sh->cg_stat[0] = '\0';
	if (cg)
		snprintf(sh->cg_stat, sizeof(sh->cg_stat), "%s/%s/memory.stat", CG_ROOT, cg);
	pid = fork();
	if (pid)
		return pid;
	while (!sh->stop) {
		struct timespec d = { 0, 200000 };

		meminfo(&a, &s, &v);
		if (a >= 0 && a < sh->min_avail_kb)
			sh->min_avail_kb = a;
		if (s > sh->max_slab_kb)
			sh->max_slab_kb = s;
		if (v > sh->max_vmalloc_kb)
			sh->max_vmalloc_kb = v;
		u = cg_user_kb(sh->cg_stat);
		if (u > sh->max_user_kb)
			sh->max_user_kb = u;
		sh->samples++;
		nanosleep(&d, NULL);
	}
	_exit(0);
}

static void sampler_stop(pid_t pid)
{
	sh->stop = 1;
	waitpid(pid, NULL, 0);
}

static long cg_peak(const char *cg)
{
	char p[128], b[64];

	snprintf(p, sizeof(p), "%s/%s/memory.peak", CG_ROOT, cg);
	return bed_read_file(p, b, sizeof(b)) > 0 ? strtol(b, NULL, 10) / 1024 : -1;
}

static bool cg_setup(void)
{
	char b[256];

	mkdir(CG_ROOT, 0755);
	if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL) && errno != EBUSY)
		return false;
	if (bed_read_file(CG_ROOT "/cgroup.controllers", b, sizeof(b)) < 0 ||
	    !strstr(b, "memory"))
		return false;
	return !bed_write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
}

/* --- setup: the cases ------------------------------------------------- */

static int extract(const char *image, const char *sect, const char *to,
		   unsigned long *size, char *text, size_t text_size)
{
	unsigned char *img;
	struct bed_sect s;
	size_t len;
	int ret;

	img = bed_slurp(image, &len);
	if (!img)
		return -errno ?: -EIO;
	ret = bed_pe_section(img, len, sect, &s);
	if (!ret && to)
		ret = spill(to, img + s.off, s.size);
	if (!ret && text) {
		size_t n = s.size < text_size - 1 ? s.size : text_size - 1;

		memcpy(text, img + s.off, n);
		text[n] = '\0';
		text[strcspn(text, "\n")] = '\0';
	}
	if (!ret && size)
		*size = s.size;
	free(img);
	return ret;
}

static unsigned long fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) ? 0 : st.st_size;
}

static int add_uki(const char *image, const char *name)
{
	struct bcase *c = &cases[nr_cases];
	int ret;

	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->image, sizeof(c->image), "%s", image);
	snprintf(c->kernel, sizeof(c->kernel), TMP_DIR "/%s.linux", name);
	snprintf(c->initrd, sizeof(c->initrd), TMP_DIR "/%s.initrd", name);
	ret = extract(image, ".linux", c->kernel, &c->kernel_size, NULL, 0) ?:
	      extract(image, ".initrd", c->initrd, &c->initrd_size, NULL, 0) ?:
	      extract(image, ".cmdline", NULL, NULL, c->cmdline, sizeof(c->cmdline));
	if (ret) {
		printf("# %s: %s: cannot take .linux, .initrd, .cmdline: %s\n", name,
		       image, strerror(-ret));
		return ret;
	}
	c->image_size = fsize(image);
	nr_cases++;
	return 0;
}

static int add_zboot(const char *image, const char *name, const struct bcase *with)
{
	struct bcase *c = &cases[nr_cases];
	unsigned char hdr[0x40];
	int fd;

	if (access(image, R_OK) || access("/boot/sig/signed", R_OK))
		return -ENOENT;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->image, sizeof(c->image), "%s", image);
	/* the same kernel, signed, as the architecture's loader takes it */
	snprintf(c->kernel, sizeof(c->kernel), "/boot/sig/signed");
	snprintf(c->initrd, sizeof(c->initrd), "%s", with->initrd);
	snprintf(c->cmdline, sizeof(c->cmdline), "%s", with->cmdline);
	c->zboot = true;
	c->kernel_size = fsize(c->kernel);
	c->initrd_size = with->initrd_size;
	c->image_size = fsize(image);
	fd = open(image, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, hdr, sizeof(hdr), 0) == sizeof(hdr))
		snprintf(c->codec, sizeof(c->codec), "%.15s", (char *)hdr + 0x18);
	if (fd >= 0)
		close(fd);
#ifdef __riscv
	if (!strncmp(c->codec, "zstd", 4))
		c->skip[PATH_C] = "no libzstd for riscv64 in Debian 12";
#endif
	nr_cases++;
	return 0;
}

static int by_size(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

static int find_cases(void)
{
	char *names[MAX_CASES];
	int n = 0, i;
	struct dirent *d;
	DIR *dir;

	mkdir(TMP_DIR, 0700);
	dir = opendir(BENCH_DIR);
	while (dir && (d = readdir(dir)) && n < MAX_CASES - 2)
		if (!strncmp(d->d_name, "uki-", 4) && strstr(d->d_name, ".efi"))
			names[n++] = strdup(d->d_name);
	if (dir)
		closedir(dir);
	qsort(names, n, sizeof(names[0]), by_size);
	for (i = 0; i < n; i++) {
		char path[300], name[32];

		snprintf(path, sizeof(path), BENCH_DIR "/%s", names[i]);
		snprintf(name, sizeof(name), "%.*s", (int)(strstr(names[i], ".efi") - names[i]),
			 names[i]);
		if (add_uki(path, name))
			return -1;
		free(names[i]);
	}
	if (!n && add_uki("/boot/pe/uki.efi", "uki"))
		return -1;
	/* arm64, riscv64: EFI zboot images, with the smallest UKI's initrd */
	add_zboot("/boot/pe/zboot.efi", "zboot-gzip", &cases[0]);
	add_zboot("/boot/pe/zboot-zstd.efi", "zboot-zstd", &cases[0]);
	return 0;
}

static void machine(void)
{
	char buf[4096], *p;
	long a, s, v;

	meminfo(&a, &s, &v);
	bed_read_file("/proc/version", buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	printf("bench: machine kernel=\"%s\" mem_available_kb=%ld\n", buf, a);
	if (bed_read_file("/proc/cpuinfo", buf, sizeof(buf)) > 0) {
		p = strstr(buf, "model name");
		if (!p)
			p = strstr(buf, "isa");
		if (!p)
			p = strstr(buf, "CPU part");
		if (p) {
			p[strcspn(p, "\n")] = '\0';
			printf("bench: cpuinfo \"%s\"\n", p);
		}
	}
}

int main(void)
{
	long n = bed_param_long("bench.n", 15), mem_rounds = bed_param_long("bench.mem", 1);
	long trace_rounds = bed_param_long("bench.trace", 2);
	static char serve_why[160];
	struct bed_service sv;
	char out[16384];
	bool cg, serving;
	int i, p, r;

	ksft_print_header();
	if (n < 1 || n > MAX_REPS) {
		ksft_print_msg("bench.n=%ld: not within 1..%d\n", n, MAX_REPS);
		ksft_exit_fail();
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	if (find_cases())
		ksft_exit_fail_msg("no bench images\n");
	ksft_set_plan(nr_cases * NR_PATHS + 3);
	machine();
	if (loaded())
		unload();
	/* S: the service serves every case, from before the first timed round */
	serving = !bed_serve_start(&sv, 0, NULL, serve_why, sizeof(serve_why));
	for (i = 0; i < nr_cases && !serving; i++)
		cases[i].skip[PATH_S] = serve_why;
	printf("bench: config n=%ld mem_rounds=%ld trace_rounds=%ld cases=%d\n", n,
	       mem_rounds, trace_rounds, nr_cases);
	for (i = 0; i < nr_cases; i++) {
		struct bcase *c = &cases[i];

		printf("bench: case name=%s zboot=%d codec=%s image=%s image_size=%lu kernel=%s kernel_size=%lu initrd_size=%lu\n",
		       c->name, c->zboot, c->codec[0] ? c->codec : "-", c->image, c->image_size,
		       c->kernel, c->kernel_size, c->initrd_size);
		for (p = 0; p < NR_PATHS; p++)
			if (c->skip[p])
				printf("bench: skip case=%s path=%s why=\"%s\"\n", c->name,
				       path_name[p], c->skip[p]);
	}

	/* S's first load of each case, untimed: the first case's is cold */
	for (i = 0; i < nr_cases; i++) {
		struct bcase *c = &cases[i];
		double us = 0;
		int ret;

		if (c->skip[PATH_S])
			continue;
		ret = load_and_unload(c, PATH_S, &us, out, sizeof(out));
		if (ret) {
			c->fails[PATH_S]++;
			printf("# %s S first load: %s (%s)\n", c->name, strerror(-ret),
			       bed_errno_name(-ret));
			continue;
		}
		printf("bench: served-first case=%s us=%.0f c_syscall=%.0f", c->name, us,
		       sh->syscall_us);
		print_status();
		printf("\n");
	}

	/* Timed rounds: A B C A B C ... on every case */
	for (r = 0; r < n; r++) {
		for (i = 0; i < nr_cases; i++) {
			struct bcase *c = &cases[i];

			for (p = 0; p < NR_PATHS; p++) {
				double us = 0;
				int ret;

				if (c->skip[p])
					continue;
				ret = load_and_unload(c, p, &us, out, sizeof(out));
				if (ret) {
					c->fails[p]++;
					printf("# %s %s round %d: %s (%s)\n", c->name, path_name[p],
					       r, strerror(-ret), bed_errno_name(-ret));
					printf("# %s\n", out);
					continue;
				}
				printf("bench: run case=%s path=%s round=%d us=%.0f", c->name,
				       path_name[p], r, us);
				if (p == PATH_S) {
					printf(" c_syscall=%.0f", sh->syscall_us);
					print_status();
				} else if (p == PATH_B) {
					static const char *const ev[] = {
						"calling", "notified", "read", "object-opened",
						"loaded", "attached", "signalled", "returned",
						"detached",
					};
					unsigned int e;

					for (e = 0; e < sizeof(ev) / sizeof(ev[0]); e++)
						printf(" t_%s=%.0f", ev[e], loader_ts(out, ev[e]));
					print_status();
				} else if (p == PATH_A) {
					printf(" t_calling=%.0f t_returned=%.0f",
					       loader_ts(out, "calling"), loader_ts(out, "returned"));
				} else {
					printf(" c_read=%.0f c_decompress=%.0f c_write=%.0f c_syscall=%.0f c_decompressed=%lu",
					       sh->read_us, sh->decompress_us, sh->write_us,
					       sh->syscall_us, sh->decompressed);
				}
				printf("\n");
				fflush(stdout);
			}
		}
	}

	/* Memory rounds: each load in a cgroup of its own, memory sampled */
	cg = cg_setup();
	if (!cg)
		printf("# no cgroup v2 memory controller: memcg peaks not measured\n");
	for (r = 0; r < mem_rounds; r++) {
		for (i = 0; i < nr_cases; i++) {
			for (p = 0; p < NR_PATHS; p++) {
				struct bcase *c = &cases[i];
				char cgname[64], cgpath[128];
				long a0, s0, v0;
				double us;
				pid_t smp;
				int ret;

				if (c->skip[p])
					continue;
				snprintf(cgname, sizeof(cgname), "bench-%d-%d-%d", r, i, p);
				snprintf(cgpath, sizeof(cgpath), CG_ROOT "/%s", cgname);
				if (cg)
					mkdir(cgpath, 0755);
				sync();
				meminfo(&a0, &s0, &v0);
				smp = sampler_start(cg ? cgname : NULL);
				ret = run_path(c, p, cg ? cgname : NULL, &us, out, sizeof(out));
				sampler_stop(smp);
				if (!ret && !loaded())
					ret = -ENOENT;
				if (!ret)
					ret = unload();
				if (ret) {
					c->fails[p]++;
					printf("# memory %s %s: %s\n# %s\n", c->name, path_name[p],
					       strerror(-ret), out);
				} else {
					printf("bench: mem case=%s path=%s round=%d memcg_peak_kb=%ld memcg_user_kb=%ld avail_drop_kb=%ld slab_rise_kb=%ld vmalloc_rise_kb=%ld samples=%ld us=%.0f\n",
					       c->name, path_name[p], r, cg ? cg_peak(cgname) : -1,
					       sh->max_user_kb,
					       a0 - sh->min_avail_kb, sh->max_slab_kb - s0,
					       sh->max_vmalloc_kb - v0, sh->samples, us);
				}
				if (cg)
					rmdir(cgpath);
			}
		}
	}

	/* Traced rounds: where B's time goes, from the kernel's functions */
	trace_ok = trace_rounds > 0 && !trace_setup();
	for (r = 0; trace_ok && r < trace_rounds; r++) {
		for (i = 0; i < nr_cases; i++) {
			for (p = 0; p < NR_PATHS; p++) {
				struct bcase *c = &cases[i];
				struct trace_sums ts;
				double us;
				int ret;

				/* the service's work is another process's */
				if (c->skip[p] || p == PATH_S)
					continue;
				bed_write_file(TRACEFS "/tracing_on", "1");
				ret = run_path(c, p, NULL, &us, out, sizeof(out));
				trace_collect(&ts);
				if (!ret)
					ret = unload();
				if (ret) {
					c->fails[p]++;
					printf("# traced %s %s: %s\n# %s\n", c->name, path_name[p],
					       strerror(-ret), out);
					continue;
				}
				print_trace(c, p, r, &ts);
				if (p == PATH_B) {
					printf("bench: trace-status case=%s round=%d", c->name, r);
					print_status();
					printf(" us=%.0f\n", us);
				}
			}
		}
	}
	if (trace_ok) {
		bed_write_file(TRACEFS "/current_tracer", "nop");
		bed_write_file(TRACEFS "/set_ftrace_filter", "");
	}

	for (i = 0; i < nr_cases; i++)
		for (p = 0; p < NR_PATHS; p++) {
			if (cases[i].skip[p]) {
				char name[64];

				snprintf(name, sizeof(name), "%.31s %s", cases[i].name, path_name[p]);
				ksft_test_result_code(KSFT_SKIP, name, "%s", cases[i].skip[p]);
			} else
				ksft_test_result(!cases[i].fails[p],
						 "%s %s loaded and unloaded %ld+%ld+%ld times\n",
						 cases[i].name, path_name[p], n + (p == PATH_S),
						 mem_rounds,
						 trace_ok && p != PATH_S ? trace_rounds : 0L);
		}
	if (serving)
		ksft_test_result(!bed_serve_stop(&sv), "kexec-pe serve served S and stopped when asked\n");
	else
		ksft_test_result_skip("kexec-pe serve: %s\n", serve_why);
	ksft_test_result(cg || !mem_rounds, "memory cgroup for the memory rounds\n");
	ksft_test_result(trace_ok || !trace_rounds, "function_graph tracing for the breakdown\n");
	printf("bench: end\n");
	ksft_finished();
	return 0;
}
