// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 1 of the PE-BPF kexec round trip, with signatures enforced: turn
 * lockdown on, check that images whose signature fails are refused with
 * EPERM before their parser is exposed, then load the signed UKI
 * /boot/kexec_pe/ok.efi with kexec-pe, the project's loader, with an
 * initrd holding this bed's /init and tests and a nonce. When every test
 * passed, run "kexec -e" (kexec-pe through its kexec name) into the
 * kernel the UKI's parser produced; kexec_pe_stage2, in that kernel,
 * checks what it was given.
 *
 * Under enforced signatures the kernel follows systemd-stub: the UKI's
 * .cmdline is the one that boots, so a command line given with it is
 * refused (EINVAL, before the parser is exposed), never accepted and
 * dropped; the UKI then loads without one. The initrd is the UKI's
 * .initrd followed by ours. What the parser produced from the UKI is
 * checked against its manifest.
 */
#include <sys/reboot.h>
#include <linux/reboot.h>
#include <sys/random.h>
#include <dirent.h>

#include "../guest/bed.h"
#include "kselftest_harness.h"

#define LOCKDOWN	"/sys/kernel/security/lockdown"
#define UKI		"/boot/kexec_pe/ok.efi"
#define STAGE2_INITRD	"/tmp/stage2.cpio"
#define USER_CMDLINE	"bed.user_cmdline=1 bed.stage=2 bed.test=kexec_stage2"
/* the parser's verification is slow on an emulated CPU */
#define TIMEOUT		"120"

static char out[16384];

/* kexec-pe -d --timeout 120 ARGS... */
#define TOOL_RUN(...) BED_KEXEC_PE_RUN(out, NULL, "-d", "--timeout", TIMEOUT, __VA_ARGS__)

TEST(lockdown_on)
{
	char state[256];
	int fd = open(LOCKDOWN, O_WRONLY);

	ASSERT_LE(0, fd) TH_LOG("%s: %s", LOCKDOWN, strerror(errno));
	ASSERT_EQ(9, write(fd, "integrity", 9));
	close(fd);
	ASSERT_LT(0, bed_read_file(LOCKDOWN, state, sizeof(state)));
	ASSERT_NE(NULL, strstr(state, "[integrity]")) TH_LOG("lockdown is %s", state);
}

/*
 * Reading the status under lockdown logs nothing: it does not ask lockdown
 * (each question logs "Lockdown: ...: kexec of unsigned images is
 * restricted"), and says lockdown as the last load asked it
 */
TEST(status_read_logs_nothing_under_lockdown)
{
	static char log[1 << 16];
	char status[2048];
	size_t len = 0;
	ssize_t n;
	int kmsg, i;

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kmsg);
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	for (i = 0; i < 3; i++)
		ASSERT_LT(0, bed_read_file("/proc/kexec_pe/status", status, sizeof(status)));
	while (len < sizeof(log) - 1) {
		n = read(kmsg, log + len, sizeof(log) - 1 - len);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	log[len] = '\0';
	close(kmsg);
	ASSERT_EQ(NULL, strstr(log, "Lockdown:")) TH_LOG("reading the status logged:\n%s", log);
}

/* kexec-pe -l @img [--append @append]: @err for @cause, parser not exposed */
static void refused_with(struct __test_metadata *_metadata, const char *img,
			 const char *append, const char *err, const char *cause)
{
	int ret = append ? TOOL_RUN("-l", img, "--append", append) : TOOL_RUN("-l", img);

	ASSERT_EQ(1, ret) TH_LOG("%s", out);
	TH_LOG("%s", strstr(out, "kexec-pe: /") ?: out);
	ASSERT_NE(NULL, strstr(out, err)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, cause)) TH_LOG("%s", out);
	ASSERT_EQ(NULL, strstr(out, "] notified")) TH_LOG("%s: its parser was exposed", img);
}

static void refused(struct __test_metadata *_metadata, const char *img, const char *cause)
{
	refused_with(_metadata, img, NULL, "[EPERM]", cause);
}

TEST(enforced_refuses_unsigned)
{
	refused(_metadata, "/boot/kexec_pe/unsigned.efi", "the image is not signed");
}

TEST(enforced_refuses_untrusted)
{
	refused(_metadata, "/boot/kexec_pe/untrusted.efi", "signature did not verify");
}

TEST(enforced_refuses_tampered)
{
	refused(_metadata, "/boot/kexec_pe/tampered-bpf.efi", "signature did not verify");
}

/*
 * A signed UKI without a manifest: with signatures enforced, what its
 * parser would produce is not pinned by the signature, so it is refused
 * before the parser is exposed (ok.efi, which carries one, loads below).
 */
TEST(enforced_refuses_unpinned_image)
{
	refused(_metadata, "/boot/kexec_pe/unsigned-linux.efi", "no .kexecmf manifest");
}

/*
 * kexec-pe says which option to drop; the kernel refused before the
 * parser was exposed
 */
TEST(enforced_refuses_a_given_cmdline)
{
	refused_with(_metadata, UKI, USER_CMDLINE, "[EINVAL]", "carries its own command line");
	ASSERT_NE(NULL, strstr(out, "without --append")) TH_LOG("%s", out);
}

TEST(load_uki)
{
	unsigned long long rnd = 0;
	char nonce[32];

	ASSERT_EQ(sizeof(rnd), getrandom(&rnd, sizeof(rnd), 0));
	snprintf(nonce, sizeof(nonce), "%016llx", rnd);
	ASSERT_EQ(0, bed_make_stage2_initrd(STAGE2_INITRD, nonce));
	ASSERT_EQ(0, TOOL_RUN("-l", UKI, "--initrd", STAGE2_INITRD)) TH_LOG("%s", out);
	TH_LOG("%s loaded by kexec-pe, nonce %s (in the initrd)", UKI, nonce);
	/* the session ran enforced (lockdown), and the status says so */
	ASSERT_LT(0, bed_read_file("/proc/kexec_pe/status", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "\nlast_enforced: 1\n")) TH_LOG("%s", out);
}

/*
 * The harness exits when its tests are done: kexec from there, only when
 * they all passed. The round trip's own results are kexec_pe_stage2's;
 * the suite names kexec_pe_stage2 after this program, so that a kexec
 * that does not happen leaves it to run, and fail, in this kernel.
 */
int main(int argc, char **argv)
{
	bed_kexec_when_passed(UKI);
	return test_harness_run(argc, argv);
}
