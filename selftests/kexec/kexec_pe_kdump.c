// SPDX-License-Identifier: GPL-2.0
/*
 * kdump while a session waits for its loader: load this bed's kernel as the
 * crash kernel with an initrd and a command line that carry a nonce, start a
 * session for the signed UKI from a process whose registered loader never
 * signals done_fd, and crash the kernel with sysrq c while the session
 * waits. The crash kernel starts and runs kexec_stage2 (which checks the
 * nonce), then what follows this program (BED_NEXT).
 *
 * A session that held the kexec lock would leave __crash_kexec(), which
 * only tries the lock, nothing to start: the panic reboots (panic=-1) and
 * QEMU (-no-reboot) ends the run without a second stage. The kernel's
 * "Kernel panic" line is the one scripts/ktap.py accepts after "bed:
 * expect a crash:", and only when a second stage follows it.
 *
 * Prints no KTAP of its own, as kexec_roundtrip: the results are
 * kexec_stage2's, printed by the crash kernel.
 */
#include <sys/eventfd.h>
#include <sys/random.h>
#include <linux/kexec_pe.h>

#include "../guest/bed.h"
#include "../guest/registration.h"

#define STAGE2_INITRD	"/tmp/stage2.cpio"
#define UKI		"/boot/kexec_pe/ok.efi"
#define STATUS		"/proc/kexec_pe/status"
/* the session waits longer than this program needs to crash the kernel */
#define HOLD_MS		"600000"

static int fail(const char *what, int err)
{
	printf("bed: test kexec_pe_kdump: %s: %s\n", what, strerror(err));
	return 1;
}

/*
 * In a child: register a loader that never signals done_fd and load the
 * UKI; kexec_file_load() waits for the loader until the crash.
 */
static void hold_a_session(void)
{
	int notify_fd = eventfd(0, EFD_CLOEXEC), done_fd = eventfd(0, EFD_CLOEXEC);
	int kfd = open(UKI, O_RDONLY | O_CLOEXEC);
	int fd;

	if (kfd < 0 || notify_fd < 0 || done_fd < 0)
		_exit(fail("open " UKI " and two eventfds", errno));
	fd = bed_register_loader(notify_fd, done_fd, atoi(HOLD_MS));
	if (fd < 0)
		_exit(fail("register a loader", -fd));
	syscall(__NR_kexec_file_load, kfd, -1, 0UL, NULL,
		(unsigned long)KEXEC_FILE_NO_INITRAMFS);
	_exit(fail("kexec_file_load() of " UKI " returned", errno));
}

int main(void)
{
	static const char *const drop[] = { "crashkernel=", NULL };
	char nonce[32], cmdline[BED_CMDLINE_MAX], out[4096], status[2048], programs[512];
	unsigned long long rnd;
	int ret, i;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return fail("getrandom", errno);
	snprintf(nonce, sizeof(nonce), "%016llx", rnd);
	/* the crash kernel has crashkernel= to live in: only its programs */
	snprintf(programs, sizeof(programs), "kexec_stage2,%s", getenv("BED_NEXT") ?: "");
	ret = bed_make_stage2_initrd_of(STAGE2_INITRD, nonce, programs);
	if (ret)
		return fail("stage 2 initrd " STAGE2_INITRD, -ret);
	ret = bed_stage2_cmdline(cmdline, sizeof(cmdline), nonce, drop);
	if (ret)
		return fail("stage 2 command line", -ret);
	ret = BED_KEXEC_PE_RUN(out, NULL, "-p", BED_NATIVE_IMAGE, "--initrd", STAGE2_INITRD,
			       "--append", cmdline);
	if (ret) {
		printf("bed: test kexec_pe_kdump: kexec-pe -p %s: exit %d: %s\n",
		       BED_NATIVE_IMAGE, ret, out);
		return 1;
	}
	if (bed_read_file("/sys/kernel/kexec_crash_loaded", out, sizeof(out)) < 0 ||
	    strcmp(out, "1\n"))
		return fail("the crash kernel is not loaded", ENOENT);
	ret = bed_write_file("/proc/sys/kernel/kexec_pe/timeout_ms", HOLD_MS);
	if (ret)
		return fail("/proc/sys/kernel/kexec_pe/timeout_ms", -ret);

	pid = fork();
	if (pid < 0)
		return fail("fork", errno);
	if (!pid)
		hold_a_session();
	for (i = 0; i < 6000; i++) {
		if (bed_read_file(STATUS, status, sizeof(status)) > 0 &&
		    strstr(status, "state: exposed\n"))
			break;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return fail("the session ended before the crash", ECHILD);
		usleep(10000);
	}
	if (!strstr(status, "state: exposed\n"))
		return fail("no session waits for its loader", ETIMEDOUT);

	printf("bed: expect a crash: sysrq c while a session waits; the crash kernel (%s, nonce %s) must start\n",
	       BED_NATIVE_IMAGE, nonce);
	fflush(stdout);
	sync();
	ret = bed_write_file("/proc/sysrq-trigger", "c");
	return fail("sysrq c did not crash the kernel", ret ? -ret : EAGAIN);
}
