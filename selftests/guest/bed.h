/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest programs of the QEMU test bed: kernel command
 * line parameters, errno names, whole-file reads and a newc cpio writer for
 * building the initrd a second kernel gets.
 */
#ifndef BED_H
#define BED_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef KEXEC_FILE_UNLOAD
#define KEXEC_FILE_UNLOAD	0x00000001
#define KEXEC_FILE_ON_CRASH	0x00000002
#define KEXEC_FILE_NO_INITRAMFS	0x00000004
#endif

#define BED_CMDLINE_MAX 4096

/* The image the architecture's own kexec_file loader takes (in /boot) */
#if defined(__x86_64__)
#define BED_NATIVE_IMAGE "/boot/bzImage"
#elif defined(__aarch64__)
#define BED_NATIVE_IMAGE "/boot/Image"
#elif defined(__riscv)
/* 6.12's riscv kexec_file has only an ELF loader */
#define BED_NATIVE_IMAGE "/boot/vmlinux"
#else
#error "the test bed supports x86_64, arm64 and riscv64"
#endif

static inline long bed_kexec_file_load(int kernel_fd, int initrd_fd,
				       const char *cmdline, unsigned long flags)
{
	unsigned long len = cmdline ? strlen(cmdline) + 1 : 0;

	return syscall(__NR_kexec_file_load, kernel_fd, initrd_fd, len,
		       cmdline, flags);
}

/* Read a whole small file into buf (NUL-terminated); -1 on error. */
/* Up to @size bytes from @fd into @buf, until end of file: how many */
static inline size_t bed_read_full(int fd, void *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size) {
		n = read(fd, (char *)buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

static inline ssize_t bed_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got;

	if (fd < 0)
		return -1;
	got = bed_read_full(fd, buf, size - 1);
	close(fd);
	buf[got] = '\0';
	return got;
}

/* Write @s to the file @path (a procfs or debugfs knob): 0 or -errno */
static inline int bed_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	err = n < 0 ? -errno : n == (ssize_t)strlen(s) ? 0 : -EIO;
	close(fd);
	return err;
}

/* The number of "key: value" in /proc/kexec_pe/status, or -1 without it */
static inline long long bed_status_value(const char *key)
{
	char buf[4096] = "\n", pat[64], *p;

	if (bed_read_file("/proc/kexec_pe/status", buf + 1, sizeof(buf) - 1) < 0)
		return -1;
	snprintf(pat, sizeof(pat), "\n%s: ", key);
	p = strstr(buf, pat);
	return p ? atoll(p + strlen(pat)) : -1;
}

/* A whole file, malloc'ed, its size in *@len; NULL on failure */
static inline void *bed_slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !(buf = malloc(st.st_size ? st.st_size : 1))) {
		close(fd);
		return NULL;
	}
	got = bed_read_full(fd, buf, st.st_size);
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	*len = got;
	return buf;
}

/* --- PE images: the section table, a section ------------------------ */

static inline uint32_t bed_le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t bed_le16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

/*
 * The offset of the section table of the PE in @buf, its entry count in
 * *@nsec; -ENOEXEC when @buf is no PE, -ELIBBAD when the table is not
 * inside it
 */
static inline long bed_pe_table(const unsigned char *buf, size_t len, unsigned int *nsec)
{
	unsigned long pe, tbl;

	if (len < 0x40 || buf[0] != 'M' || buf[1] != 'Z')
		return -ENOEXEC;
	pe = bed_le32(buf + 0x3c);
	if (pe + 24 > len || memcmp(buf + pe, "PE\0\0", 4))
		return -ENOEXEC;
	*nsec = bed_le16(buf + pe + 6);
	tbl = pe + 24 + bed_le16(buf + pe + 20);
	return tbl + 40ul * *nsec <= len ? (long)tbl : -ELIBBAD;
}

struct bed_sect {
	unsigned long off, size;
};

/*
 * Section @name of the PE in @buf, its size as the kernel reads it
 * (VirtualSize, unless 0 or above SizeOfRawData); -ENOENT when there is
 * none, -ELIBBAD when it is not inside the file
 */
static inline int bed_pe_section(const unsigned char *buf, size_t len, const char *name,
				 struct bed_sect *out)
{
	unsigned int n, i;
	long tbl = bed_pe_table(buf, len, &n);

	if (tbl < 0)
		return tbl;
	for (i = 0; i < n; i++) {
		const unsigned char *s = buf + tbl + 40 * i;
		unsigned long vsize = bed_le32(s + 8), raw = bed_le32(s + 16);
		char sname[9] = { 0 };

		memcpy(sname, s, 8);
		if (strcmp(sname, name))
			continue;
		out->off = bed_le32(s + 20);
		out->size = vsize && vsize < raw ? vsize : raw;
		if (out->off > len || out->size > len - out->off)
			return -ELIBBAD;
		return 0;
	}
	return -ENOENT;
}

/*
 * Value of "key=value" on the running kernel's command line, copied into
 * val; false when absent.
 */
static inline bool bed_param(const char *key, char *val, size_t size)
{
	char cmdline[BED_CMDLINE_MAX];
	size_t klen = strlen(key);
	char *p, *save = NULL;

	if (bed_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return false;
	for (p = strtok_r(cmdline, " \n", &save); p; p = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			snprintf(val, size, "%s", p + klen + 1);
			return true;
		}
	}
	return false;
}

/* The number "key=N" on the kernel's command line, or @def */
static inline long bed_param_long(const char *key, long def)
{
	char v[32];

	return bed_param(key, v, sizeof(v)) ? strtol(v, NULL, 10) : def;
}

static inline const char *bed_errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EFBIG: return "EFBIG";
	case ENOSYS: return "ENOSYS";
	case ENODATA: return "ENODATA";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EBADMSG: return "EBADMSG";
	case EOVERFLOW: return "EOVERFLOW";
	case ELIBBAD: return "ELIBBAD";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOKEY: return "ENOKEY";
	case EKEYREJECTED: return "EKEYREJECTED";
	case EKEYEXPIRED: return "EKEYEXPIRED";
	case ENOMSG: return "ENOMSG";
	case ERANGE: return "ERANGE";
	case ESRCH: return "ESRCH";
	case ENOSPC: return "ENOSPC";
	case ENOLINK: return "ENOLINK";
	case ECANCELED: return "ECANCELED";
	case EMEDIUMTYPE: return "EMEDIUMTYPE";
	case EXDEV: return "EXDEV";
	case EPROTO: return "EPROTO";
	default: return "E?";
	}
}

/*
 * Run the program @argv[0] with @argv, its stdout and stderr captured in
 * @out (NUL-terminated, truncated to @size). @fault, when not NULL, is put
 * in the environment as KEXEC_PE_FAULT. Returns the wait status, or -1.
 */
static inline int bed_run(const char *const argv[], const char *fault, char *out, size_t size)
{
	char env_fault[64];
	char *envp[] = { "PATH=/bin:/tests", env_fault, NULL };
	size_t got = 0, take;
	int p[2], status;
	char chunk[4096];
	pid_t pid;
	ssize_t n;

	snprintf(env_fault, sizeof(env_fault), "KEXEC_PE_FAULT=%s", fault ? fault : "");
	if (pipe(p))
		return -1;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	close(p[1]);
	/* drain it all, keep what fits */
	while ((n = read(p[0], chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR)) {
		take = n > 0 ? (size_t)n : 0;
		if (take > size - 1 - got)
			take = size - 1 - got;
		memcpy(out + got, chunk, take);
		got += take;
	}
	out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* The project's loader in the guest (userspace/, installed by mk-initramfs) */
#define BED_KEXEC_PE "/bin/kexec-pe"

/*
 * Run kexec-pe with the arguments, output in the char array @out; its exit
 * code, or -1 when it did not exit (killed) or could not run.
 */
#define BED_KEXEC_PE_RUN(out, fault, ...) ({					\
	const char *const _argv[] = { BED_KEXEC_PE, __VA_ARGS__, NULL };	\
	int _st = bed_run(_argv, fault, out, sizeof(out));			\
	_st >= 0 && WIFEXITED(_st) ? WEXITSTATUS(_st) : -1;			\
})

/*
 * For a program of the harness that kexecs: when it exits with all its
 * tests passed, run "kexec -e" (kexec-pe by its kexec name, as systemctl
 * kexec runs it) into what it loaded, named @what in the log.
 */
static inline void bed_kexec_on_exit(int status, void *what)
{
	if (status)
		return;
	printf("bed: kexec into stage 2: %s, with kexec -e\n", (const char *)what);
	fflush(stdout);
	execl("/bin/kexec", "kexec", "-e", (char *)NULL);
	printf("bed: exec /bin/kexec: %s\n", strerror(errno));
	fflush(stdout);
	_exit(1);
}

static inline void bed_kexec_when_passed(const char *what)
{
	on_exit(bed_kexec_on_exit, (void *)what);
}

/* --- newc cpio writer ------------------------------------------------- */

struct bed_cpio {
	int fd;
	unsigned int ino;
	off_t off;
	int err;
};

static inline void bed_cpio_put(struct bed_cpio *c, const void *p, size_t n)
{
	const char *b = p;

	while (n && !c->err) {
		ssize_t w = write(c->fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			c->err = errno ? errno : EIO;
			return;
		}
		b += w;
		n -= w;
		c->off += w;
	}
}

static inline void bed_cpio_pad(struct bed_cpio *c)
{
	static const char zero[4];

	bed_cpio_put(c, zero, (4 - (c->off & 3)) & 3);
}

static inline void bed_cpio_hdr(struct bed_cpio *c, const char *name,
				unsigned int mode, size_t size)
{
	char hdr[128];

	if (size > UINT32_MAX) {
		c->err = EFBIG;
		return;
	}
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0u, 0u, 1u, 0u, (unsigned int)size, 0u, 0u,
		 0u, 0u, (unsigned int)strlen(name) + 1, 0u);
	bed_cpio_put(c, hdr, 110);
	bed_cpio_put(c, name, strlen(name) + 1);
	bed_cpio_pad(c);
}

static inline void bed_cpio_dir(struct bed_cpio *c, const char *name)
{
	bed_cpio_hdr(c, name, S_IFDIR | 0755, 0);
}

static inline void bed_cpio_data(struct bed_cpio *c, const char *name,
				 unsigned int mode, const void *data, size_t size)
{
	bed_cpio_hdr(c, name, S_IFREG | mode, size);
	bed_cpio_put(c, data, size);
	bed_cpio_pad(c);
}

/* Copy the file at src into the archive as name; 0 or -errno. */
static inline int bed_cpio_file(struct bed_cpio *c, const char *name, const char *src)
{
	char buf[65536];
	struct stat st;
	ssize_t n;
	off_t left;
	int fd = open(src, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return -e;
	}
	bed_cpio_hdr(c, name, S_IFREG | (st.st_mode & 07777), st.st_size);
	for (left = st.st_size; left > 0 && !c->err; left -= n) {
		n = read(fd, buf, sizeof(buf) < (size_t)left ? sizeof(buf) : (size_t)left);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			c->err = n < 0 ? errno : EIO;
			break;
		}
		bed_cpio_put(c, buf, n);
	}
	close(fd);
	bed_cpio_pad(c);
	return -c->err;
}

/* Terminate the archive; 0 or -errno of the first failed write. */
static inline int bed_cpio_end(struct bed_cpio *c)
{
	bed_cpio_hdr(c, "TRAILER!!!", 0, 0);
	return -c->err;
}

/* Is @name on the comma-separated list @list? */
static inline bool bed_listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/*
 * The initrd of a second kernel: this bed's /init, the programs in /tests
 * named in @only (comma-separated; NULL: every one, so that the programs
 * after a kexec can run there too), and a nonce in /stage2/nonce. 0 or
 * -errno.
 */
static inline int bed_make_stage2_initrd_of(const char *path, const char *nonce,
					    const char *only)
{
	struct bed_cpio c = { 0 };
	char src[300], name[300];
	struct dirent *de;
	DIR *dir;
	int ret;

	c.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (c.fd < 0)
		return -errno;
	bed_cpio_dir(&c, "tests");
	bed_cpio_dir(&c, "stage2");
	ret = bed_cpio_file(&c, "init", "/init");
	dir = opendir("/tests");
	if (!dir && !ret)
		ret = -errno;
	while (!ret && dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || (only && !bed_listed(only, de->d_name)))
			continue;
		snprintf(src, sizeof(src), "/tests/%s", de->d_name);
		snprintf(name, sizeof(name), "tests/%s", de->d_name);
		ret = bed_cpio_file(&c, name, src);
	}
	if (dir)
		closedir(dir);
	bed_cpio_data(&c, "stage2/nonce", 0644, nonce, strlen(nonce));
	if (!ret)
		ret = bed_cpio_end(&c);
	if (close(c.fd) && !ret)
		ret = -errno;
	return ret;
}

static inline int bed_make_stage2_initrd(const char *path, const char *nonce)
{
	return bed_make_stage2_initrd_of(path, nonce, NULL);
}

/*
 * The command line of a second kernel: the running one without bed.*
 * parameters and without those named in @drop (NULL-ended prefixes, such
 * as "crashkernel="), plus stage 2's: the second kernel runs kexec_stage2,
 * then what was to follow this program (BED_NEXT, from /init), and gets
 * @nonce as bed.nonce=. 0, or -E2BIG when it does not fit.
 */
static inline int bed_stage2_cmdline(char *out, size_t size, const char *nonce,
				     const char *const *drop)
{
	const char *next = getenv("BED_NEXT");
	char cur[BED_CMDLINE_MAX];
	char *p, *save = NULL;
	size_t len = 0;
	int n, i;

	if (bed_read_file("/proc/cmdline", cur, sizeof(cur)) < 0)
		return -errno;
	for (p = strtok_r(cur, " \n", &save); p; p = strtok_r(NULL, " \n", &save)) {
		bool dropped = !strncmp(p, "bed.", 4);

		for (i = 0; drop && drop[i] && !dropped; i++)
			dropped = !strncmp(p, drop[i], strlen(drop[i]));
		if (dropped)
			continue;
		n = snprintf(out + len, size - len, "%s ", p);
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += n;
	}
	n = snprintf(out + len, size - len, "bed.stage=2 bed.test=kexec_stage2%s%s bed.nonce=%s",
		     next && *next ? "," : "", next ? next : "", nonce);
	if (n < 0 || (size_t)n >= size - len)
		return -E2BIG;
	return 0;
}

#endif /* BED_H */
