// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the QEMU test bed. Mounts the pseudo file systems, runs the guest
 * tests named by "bed.test=a,b,c" on the kernel command line (programs in
 * /tests/; "kselftest:COLLECTION" runs an installed kselftest collection
 * with /kselftest/run_kselftest.sh -c COLLECTION under busybox sh), and
 * powers the machine off. It prints "bed: done" last, so the
 * host knows the guest ran to the end; a test that kexecs into a second
 * kernel never returns here, and the second kernel's init prints it instead.
 * With "bed.test=shell" (or none) it starts /bin/sh when one is present.
 *
 * Each program gets BED_NEXT, the programs after it on the list, so that a
 * program that kexecs can hand them to the second kernel. With kmemleak in
 * the kernel, a scan runs before "bed: done" and its report is printed.
 */
#include <stdio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>

#include "bed.h"

/* A test name that names an installed kselftest collection */
#define KSELFTEST	"kselftest:"

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("bed: ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

static void setup_console(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void mounts(void)
{
	static const struct { const char *src, *dst, *type; } m[] = {
		{ "proc", "/proc", "proc" },
		{ "sysfs", "/sys", "sysfs" },
		{ "devtmpfs", "/dev", "devtmpfs" },
		{ "tmpfs", "/tmp", "tmpfs" },
		{ "securityfs", "/sys/kernel/security", "securityfs" },
		{ "debugfs", "/sys/kernel/debug", "debugfs" },
		{ "tracefs", "/sys/kernel/tracing", "tracefs" },
		{ "bpf", "/sys/fs/bpf", "bpf" },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		mkdir(m[i].dst, 0755);
		if (mount(m[i].src, m[i].dst, m[i].type, 0, NULL) && errno != EBUSY &&
		    errno != ENODEV)
			say("mount %s on %s: %s", m[i].type, m[i].dst, strerror(errno));
	}
	/*
	 * devtmpfs has no /dev/stdout: the kselftest runner writes every
	 * line there, and would create a regular file instead
	 */
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
}

static int run(const char *name, const char *next)
{
	bool kselftest = !strncmp(name, KSELFTEST, strlen(KSELFTEST));
	char path[256], env_next[1100];
	struct timespec t0, t1;
	double secs;
	int status;
	pid_t pid;

	if (kselftest)
		snprintf(path, sizeof(path), "/kselftest/run_kselftest.sh");
	else
		snprintf(path, sizeof(path), "/tests/%s", name);
	if (access(path, X_OK)) {
		say("test %s: %s: %s", name, path, strerror(errno));
		return 1;
	}
	say("run %s", name);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { path, NULL, NULL, NULL, NULL };
		char *envp[] = { "PATH=/bin:/tests", "HOME=/", env_next, NULL };

		snprintf(env_next, sizeof(env_next), "BED_NEXT=%s", next);
		if (kselftest) {
			/* the runner, as a kernel developer runs it */
			argv[0] = "/bin/sh";
			argv[1] = path;
			argv[2] = "-c";
			argv[3] = (char *)name + strlen(KSELFTEST);
		}
		execve(argv[0], argv, envp);
		_exit(127);
	}
	if (pid < 0) {
		say("fork: %s", strerror(errno));
		return 1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			say("waitpid %s: %s", name, strerror(errno));
			return 1;
		}
	}
	/* the time each program took: the suites' budget, in every log */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (WIFEXITED(status)) {
		say("%s exited with %d (%.1f s)", name, WEXITSTATUS(status), secs);
		return WEXITSTATUS(status);
	}
	say("%s killed by signal %d (%.1f s)", name, WTERMSIG(status), secs);
	return 1;
}

/*
 * Print kmemleak's report (the host's judge fails a run that has one).
 * kmemleak reports an unreferenced object only once it is older than
 * 5 s: scan, wait past that, scan again, so that what the last test
 * leaked is reported too.
 */
static void kmemleak_scan(void)
{
	static const char path[] = "/sys/kernel/debug/kmemleak";
	unsigned int leaks = 0;
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "scan", 4) != 4)
		say("kmemleak scan: %s", strerror(errno));
	sleep(6);
	if (write(fd, "scan", 4) != 4)
		say("kmemleak scan: %s", strerror(errno));
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		for (char *p = buf; (p = strstr(p, "unreferenced object")); p++)
			leaks++;
		fwrite(buf, 1, n, stdout);
	}
	fflush(stdout);
	close(fd);
	say("kmemleak: scanned, %u suspected leaks", leaks);
}

int main(void)
{
	char tests[1024], stage[16] = "1";
	char *t, *save = NULL;
	int failed = 0;

	setup_console();
	mounts();
	bed_param("bed.stage", stage, sizeof(stage));
	if (!bed_param("bed.test", tests, sizeof(tests)))
		strcpy(tests, "shell");
	say("stage %s: tests %s", stage, tests);

	for (t = strtok_r(tests, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "shell")) {
			char *argv[] = { "/bin/sh", NULL };

			if (!access(argv[0], X_OK) && fork() == 0) {
				execv(argv[0], argv);
				_exit(127);
			}
			while (wait(NULL) > 0)
				;
			continue;
		}
		failed |= run(t, save ? save : "") != 0;
	}
	kmemleak_scan();
	say("done (%s)", failed ? "a test program failed" : "all test programs exited 0");
	sync();
	reboot(RB_POWER_OFF);
	/* Not reached unless power-off failed; the host's timeout ends QEMU. */
	for (;;)
		pause();
}
