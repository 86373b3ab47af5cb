// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 1 of the PE-BPF kexec round trip, with signatures enforced: turn
 * lockdown on, check that images whose signature fails are refused with
 * EPERM before their parser is exposed, then load the signed UKI
 * /boot/kexec_pe/ok.efi through the procfs/eventfd handshake (the series'
 * selftest loader) with an initrd holding this bed's /init and tests and
 * a nonce. When every test passed, reboot(LINUX_REBOOT_CMD_KEXEC) into
 * the kernel its parser produced; kexec_pe_stage2, in that kernel, checks
 * what it was given.
 *
 * Under enforced signatures the parser follows systemd-stub: the UKI's
 * .cmdline wins over the command line given here, which must not reach
 * the second kernel; the initrd is the UKI's .initrd followed by ours.
 */
#include <sys/reboot.h>
#include <linux/reboot.h>
#include <sys/random.h>
#include <dirent.h>

#include "../guest/bed.h"
#include "kexec_pe/kexec_pe_loader.h"
#include "kselftest_harness.h"

#define LOCKDOWN	"/sys/kernel/security/lockdown"
#define UKI		"/boot/kexec_pe/ok.efi"
#define STAGE2_INITRD	"/tmp/stage2.cpio"
#define USER_CMDLINE	"bed.user_cmdline=1 bed.stage=2 bed.test=kexec_stage2"

TEST(lockdown_on)
{
	char state[256];
	int fd;

	/* the parser's verification is slow on an emulated CPU */
	ASSERT_EQ(0, kpe_set_timeout(120000));
	fd = open(LOCKDOWN, O_WRONLY);

	ASSERT_LE(0, fd) TH_LOG("%s: %s", LOCKDOWN, strerror(errno));
	ASSERT_EQ(9, write(fd, "integrity", 9));
	close(fd);
	ASSERT_LT(0, bed_read_file(LOCKDOWN, state, sizeof(state)));
	ASSERT_NE(NULL, strstr(state, "[integrity]")) TH_LOG("lockdown is %s", state);
}

static void refused(struct __test_metadata *_metadata, const char *img)
{
	struct kpe_opts o = {};
	struct kpe_result res;

	ASSERT_EQ(-EPERM, kpe_load(img, -1, "", &o, &res)) TH_LOG("%s", img);
	ASSERT_FALSE(res.notified) TH_LOG("%s: its parser was exposed", img);
}

TEST(enforced_refuses_unsigned)
{
	refused(_metadata, "/boot/kexec_pe/unsigned.efi");
}

TEST(enforced_refuses_untrusted)
{
	refused(_metadata, "/boot/kexec_pe/untrusted.efi");
}

TEST(enforced_refuses_tampered)
{
	refused(_metadata, "/boot/kexec_pe/tampered-bpf.efi");
}

/*
 * A signed UKI whose parser produces an unsigned kernel: with signatures
 * enforced the produced kernel must pass the signature check too, so a
 * parser (or a program attached in its place) cannot boot an unsigned
 * kernel.
 */
TEST(enforced_refuses_unsigned_produced_kernel)
{
	struct kpe_opts o = {};
	struct kpe_result res;

	ASSERT_EQ(-ENODATA, kpe_load("/boot/kexec_pe/unsigned-linux.efi", -1, "", &o, &res));
	ASSERT_TRUE(res.notified);
}

TEST(load_uki)
{
	struct kpe_opts o = {};
	struct kpe_result res;
	unsigned long long rnd = 0;
	char nonce[32];
	int ifd;

	ASSERT_EQ(sizeof(rnd), getrandom(&rnd, sizeof(rnd), 0));
	snprintf(nonce, sizeof(nonce), "%016llx", rnd);
	ASSERT_EQ(0, bed_make_stage2_initrd(STAGE2_INITRD, nonce));
	ifd = open(STAGE2_INITRD, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ifd);
	ASSERT_EQ(0, kpe_load(UKI, ifd, USER_CMDLINE, &o, &res))
		TH_LOG("loader: %s", res.loader_error);
	close(ifd);
	TH_LOG("%s loaded, nonce %s (in the initrd)", UKI, nonce);
}

/*
 * The harness exits when its tests are done: kexec from there, only when
 * they all passed. The round trip's own results are kexec_pe_stage2's;
 * the suite names kexec_pe_stage2 after this program, so that a kexec
 * that does not happen leaves it to run, and fail, in this kernel.
 */
static void kexec_if_passed(int status, void *arg)
{
	if (status)
		return;
	printf("bed: kexec into stage 2: %s\n", UKI);
	fflush(stdout);
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	printf("bed: kexec_pe_roundtrip: reboot(LINUX_REBOOT_CMD_KEXEC): %s\n", strerror(errno));
	fflush(stdout);
	_exit(1);
}

int main(int argc, char **argv)
{
	on_exit(kexec_if_passed, NULL);
	return test_harness_run(argc, argv);
}
