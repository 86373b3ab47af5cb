// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-pe serve: a caller that knows nothing of the handshake (a plain
 * kexec_file_load(), as systemctl kexec and kexec -s make it) loads the
 * signed UKI named by bed.image= through its parser while the service
 * runs; without it, the kernel answers at once what a kernel without the
 * series answers; the service killed during a load leaves the next load
 * working. The last test loads the UKI with an initrd holding this bed and
 * a nonce, and kexecs into it: kexec_pe_stage2 proves in the new kernel
 * that it got the UKI's command line and initrds, as pe_boot_uki does for
 * kexec-pe -l.
 */
#include <sys/random.h>
#include <time.h>

#include "../guest/bed.h"
#include "../guest/serve.h"
#include "kselftest_harness.h"

#define STAGE2_INITRD	"/tmp/stage2.cpio"
#define TIMEOUT_SYSCTL	"/proc/sys/kernel/kexec_pe/timeout_ms"

/* What the architecture's loaders say of an image they do not take */
#ifdef __aarch64__
#define ENOTKERNEL	EINVAL	/* the Image probe */
#else
#define ENOTKERNEL	ENOEXEC
#endif

static char image[256];

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* A plain kexec_file_load() of bed.image: 0 or errno */
static int plain_load(int initrd_fd)
{
	unsigned long flags = initrd_fd < 0 ? KEXEC_FILE_NO_INITRAMFS : 0;
	int fd = open(image, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	if (bed_kexec_file_load(fd, initrd_fd, NULL, flags))
		err = errno;
	close(fd);
	return err;
}

static int unload(void)
{
	return bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD) ? errno : 0;
}

static bool status_says(const char *line)
{
	char buf[4096] = "\n";

	return bed_read_file("/proc/kexec_pe/status", buf + 1, sizeof(buf) - 1) >= 0 &&
	       strstr(buf, line);
}

static void show_log(struct __test_metadata *_metadata, const struct bed_service *sv)
{
	char buf[8192];

	if (bed_read_file(sv->log, buf, sizeof(buf)) >= 0)
		TH_LOG("%s:\n%s", sv->log, buf);
}

TEST(without_the_service_the_architecture_answers)
{
	long long t0, sessions = bed_status_value("sessions");
	int err;

	ASSERT_TRUE(bed_param("bed.image", image, sizeof(image))) TH_LOG("no bed.image=");
	ASSERT_EQ(-1, bed_status_value("server_pid"));
	t0 = now_us();
	err = plain_load(-1);
	TH_LOG("%s without a loader: %s in %lld us", image, bed_errno_name(err), now_us() - t0);
	EXPECT_EQ(ENOTKERNEL, err);
	/* nothing of the image was verified or run */
	EXPECT_EQ(sessions, bed_status_value("sessions"));
}

/*
 * What one plain load through the service cost: its wall time, and the
 * status's handshake wait (expose to done: the service reading, loading and
 * attaching the parser), parser run and load; logged as "served: ..." for
 * bench/results/fixed-cost/served.md, never asserted
 */
static int timed_plain_load(struct __test_metadata *_metadata, int nr)
{
	long long t0 = now_us(), wall;
	int err = plain_load(-1);

	wall = now_us() - t0;
	TH_LOG("served: load=%d err=%s wall_us=%lld wait_us=%lld parser_us=%lld load_us=%lld",
	       nr, err ? bed_errno_name(err) : "0", wall, bed_status_value("last_wait_us"),
	       bed_status_value("last_parser_us"), bed_status_value("last_load_us"));
	return err;
}

TEST(the_service_serves_a_plain_caller)
{
	long long sessions = bed_status_value("sessions");
	struct bed_service sv;
	char why[256];
	int i;

	ASSERT_TRUE(bed_param("bed.image", image, sizeof(image))) TH_LOG("no bed.image=");
	ASSERT_EQ(0, bed_serve_start(&sv, 1, NULL, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(sv.pid, bed_status_value("server_pid"));
	EXPECT_EQ(0, timed_plain_load(_metadata, 1));
	EXPECT_EQ(0, bed_status_value("last_result"));
	EXPECT_EQ(0, unload());
	/* the same parser again: attached without a second verifier run */
	for (i = 2; i <= 4; i++) {
		EXPECT_EQ(0, timed_plain_load(_metadata, i));
		EXPECT_EQ(0, unload());
	}
	EXPECT_EQ(sessions + 4, bed_status_value("sessions"));
	EXPECT_TRUE(bed_serve_log_has(&sv, "session 1: parser of"));
	EXPECT_TRUE(bed_serve_log_has(&sv, "session 4: parser of") &&
		    bed_serve_log_has(&sv, "attached again without the verifier"));
	EXPECT_EQ(0, bed_serve_stop(&sv));
	EXPECT_TRUE(bed_serve_log_has(&sv, "stopping on SIGTERM after 4 sessions"));
	EXPECT_EQ(-1, bed_status_value("server_pid"));
	show_log(_metadata, &sv);
}

/* The handshake's sysctl raised for a test, put back however it ends */
FIXTURE(long_wait) {
	char timeout[32];
};

FIXTURE_SETUP(long_wait)
{
	ASSERT_LT(0, bed_read_file(TIMEOUT_SYSCTL, self->timeout, sizeof(self->timeout)));
	/* the session waits for the stopped service until it is killed */
	ASSERT_EQ(0, bed_write_file(TIMEOUT_SYSCTL, "600000"));
}

FIXTURE_TEARDOWN(long_wait)
{
	EXPECT_EQ(0, bed_write_file(TIMEOUT_SYSCTL, self->timeout));
}

TEST_F(long_wait, the_service_killed_during_a_load_leaves_the_next_one_working)
{
	struct bed_service sv;
	int status, i;
	char why[256];
	pid_t caller;

	ASSERT_TRUE(bed_param("bed.image", image, sizeof(image))) TH_LOG("no bed.image=");
	ASSERT_EQ(0, bed_serve_start(&sv, 2, "--timeout=600", why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, kill(sv.pid, SIGSTOP));
	caller = fork();
	ASSERT_LE(0, caller);
	if (!caller)
		_exit(plain_load(-1));
	/* the kernel exposed the parser to the stopped service: kill it */
	for (i = 0; i < 60000 && !status_says("\nstate: exposed\n"); i++)
		usleep(1000);
	EXPECT_TRUE(status_says("\nstate: exposed\n"));
	ASSERT_EQ(0, kill(sv.pid, SIGKILL));
	ASSERT_EQ(sv.pid, waitpid(sv.pid, &status, 0));
	ASSERT_EQ(caller, waitpid(caller, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(ECANCELED, WEXITSTATUS(status))
		TH_LOG("the load during the kill: %s", bed_errno_name(WEXITSTATUS(status)));
	EXPECT_TRUE(status_says("\nstate: idle\n"));
	EXPECT_EQ(-1, bed_status_value("server_pid"));

	/* as Restart=always does: a new service, and the next load works */
	ASSERT_EQ(0, bed_serve_start(&sv, 3, NULL, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(0, plain_load(-1));
	EXPECT_EQ(0, unload());
	EXPECT_EQ(0, bed_serve_stop(&sv));
}

/*
 * Last (the harness runs TEST()s, then each fixture's in order): loaded by
 * a plain caller through the service, then kexec -e
 */
FIXTURE(last) {
};

FIXTURE_SETUP(last)
{
}

FIXTURE_TEARDOWN(last)
{
}

TEST_F(last, load)
{
	unsigned long long rnd = 0;
	struct bed_service sv;
	char nonce[32], why[256];
	int ifd, err;

	ASSERT_TRUE(bed_param("bed.image", image, sizeof(image))) TH_LOG("no bed.image=");
	ASSERT_EQ(sizeof(rnd), getrandom(&rnd, sizeof(rnd), 0));
	snprintf(nonce, sizeof(nonce), "%016llx", rnd);
	ASSERT_EQ(0, bed_make_stage2_initrd(STAGE2_INITRD, nonce));
	ASSERT_EQ(0, bed_serve_start(&sv, 4, NULL, why, sizeof(why))) TH_LOG("%s", why);
	ifd = open(STAGE2_INITRD, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ifd);
	/* no command line: the UKI's own */
	err = plain_load(ifd);
	close(ifd);
	ASSERT_EQ(0, err) TH_LOG("%s: %s", image, bed_errno_name(err));
	EXPECT_EQ(0, bed_serve_stop(&sv));
	show_log(_metadata, &sv);
	TH_LOG("%s loaded by a plain kexec_file_load() through kexec-pe serve, nonce %s",
	       image, nonce);
}

int main(int argc, char **argv)
{
	bed_kexec_when_passed(image);
	return test_harness_run(argc, argv);
}
