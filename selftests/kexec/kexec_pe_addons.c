// SPDX-License-Identifier: GPL-2.0
/*
 * UKI addons and side-car files, applied by the kernel at kexec time as
 * systemd-stub applies them at boot (scripts/mk-boot-images makes them):
 *
 *   /boot/pe/addons.d/   10-a.addon.efi (.cmdline "bed.expect=addons
 *                        kexecpe.addon_a=1", .uname the UKI's),
 *                        20-b.addon.efi (.cmdline "kexecpe.addon_b=1"),
 *                        30-initrd.addon.efi (.initrd: /addon-marker),
 *                        test.cred (signed as modules are)
 *   /boot/pe/esp/        an ESP: loader/addons/05-global.addon.efi
 *                        (.cmdline "kexecpe.global_addon=1"),
 *                        loader/credentials/global.cred
 *   /boot/pe/bad-addons/ unsigned, untrusted, tampered, .linux (a whole
 *                        UKI), .uname of another kernel; unsigned and
 *                        tampered credentials
 *
 * First every bad file is refused, each with its errno and nothing left
 * loaded; then uki.efi is loaded with the good ones, found by kexec-pe in
 * --extra-dir as in <uki>.extra.d and in the ESP given with --esp-path,
 * and kexec'ed into: kexec_pe_stage2 (bed.expect=addons, from the first
 * addon's .cmdline) proves there that the command line is the UKI's
 * followed by the ESP's addon's and the image's addons' in file-name
 * order, and that the addon's initrd and the credentials arrived, the
 * ESP's in /.extra/global_credentials. IMA
 * (ima_policy=critical_data) must have measured each file and the
 * command line the addons extended.
 */
#include <ctype.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "../guest/bed.h"
#include "kselftest_harness.h"

#define UKI		"/boot/pe/uki.efi"
#define GOOD		"/boot/pe/addons.d"
#define ESP		"/boot/pe/esp"
#define BAD		"/boot/pe/bad-addons/"
#define STAGE2_INITRD	"/tmp/stage2.cpio"
#define BIG		"/tmp/big.addon.efi"
#define MANY		"/tmp/many-addons"

static char out[16384];

FIXTURE(bad) {};
FIXTURE_SETUP(bad) {}
FIXTURE_TEARDOWN(bad) {}

FIXTURE_VARIANT(bad) {
	const char *file;
	const char *err;
	bool handed;	/* refused as it is handed over: the error names it */
};

#define REFUSED(id, f, e) FIXTURE_VARIANT_ADD(bad, id) { .file = f, .err = e, .handed = true }
#define REFUSED_IN_LOAD(id, f, e) FIXTURE_VARIANT_ADD(bad, id) { .file = f, .err = e }

REFUSED(unsigned_addon, BAD "unsigned.addon.efi", "[ENODATA]");
REFUSED(untrusted_addon, BAD "untrusted.addon.efi", "[ENOKEY]");
REFUSED(tampered_addon, BAD "tampered.addon.efi", "[EKEYREJECTED]");
REFUSED(addon_with_linux, UKI, "[EMEDIUMTYPE]");
REFUSED_IN_LOAD(addon_for_another_kernel, BAD "uname.addon.efi", "[EXDEV]");
REFUSED(unsigned_credential, BAD "unsigned.cred", "[ENODATA]");
REFUSED(tampered_credential, BAD "tampered.cred", "[EKEYREJECTED]");
REFUSED(too_large, BIG, "[EFBIG]");
/* kexec-pe itself refuses these two before the kernel is asked */
REFUSED(missing_file, BAD "missing.addon.efi", "[ENOENT]");

/* Nothing of a refused load stays: no kernel loaded, no session left */
static void expect_nothing_loaded(struct __test_metadata *_metadata)
{
	char status[512];

	ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "-S", "-l")) TH_LOG("a kernel is loaded");
	ASSERT_LT(0, bed_read_file("/proc/kexec_pe/status", status, sizeof(status)));
	ASSERT_NE(NULL, strstr(status, "state: idle")) TH_LOG("%s", status);
}

TEST_F(bad, refused)
{
	/* a sparse file just over the kernel's per-file limit, 256 MiB */
	if (!strcmp(variant->file, BIG)) {
		int fd = open(BIG, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ftruncate(fd, (256 << 20) + 4096));
		close(fd);
	}
	ASSERT_EQ(1, BED_KEXEC_PE_RUN(out, NULL, "-l", UKI, "--no-addons", "--addon", variant->file))
		TH_LOG("%s", out);
	TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, variant->err)) TH_LOG("expected %s", variant->err);
	if (variant->handed) {
		char named[256];

		snprintf(named, sizeof(named), "%s: ", variant->file);
		ASSERT_NE(NULL, strstr(out, named)) TH_LOG("expected the error to name %s", variant->file);
	}
	expect_nothing_loaded(_metadata);
}

/* First, as every test without a fixture */
TEST(too_many)
{
	char name[64];
	int i;

	/*
	 * 17 files (a file named twice applies once): one more than the
	 * kernel takes (KEXEC_PE_SUPPLEMENTS_MAX)
	 */
	ASSERT_EQ(0, mkdir(MANY, 0755));
	for (i = 0; i < 17; i++) {
		snprintf(name, sizeof(name), MANY "/%02d.addon.efi", i);
		ASSERT_EQ(0, symlink(GOOD "/20-b.addon.efi", name)) TH_LOG("%s", name);
	}
	ASSERT_EQ(1, BED_KEXEC_PE_RUN(out, NULL, "-l", UKI, "--extra-dir", MANY)) TH_LOG("%s", out);
	TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "[E2BIG]"));
	expect_nothing_loaded(_metadata);
}

/*
 * Last (the harness runs the tests without a fixture, then each fixture's
 * in the order of declaration): the load that the second kernel checks
 */
FIXTURE(good) {};
FIXTURE_SETUP(good) {}
FIXTURE_TEARDOWN(good) {}

TEST_F(good, load_with_addons_and_credential)
{
	char nonce[32];
	unsigned long long rnd = 0;

	ASSERT_EQ(sizeof(rnd), getrandom(&rnd, sizeof(rnd), 0));
	snprintf(nonce, sizeof(nonce), "%016llx", rnd);
	ASSERT_EQ(0, bed_make_stage2_initrd(STAGE2_INITRD, nonce));
	ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "-d", "-l", UKI, "--initrd", STAGE2_INITRD,
				      "--extra-dir", GOOD, "--esp-path", ESP)) TH_LOG("%s", out);
	TH_LOG("\n%s", out);
	ASSERT_NE(NULL, strstr(out, GOOD "/10-a.addon.efi"));
	ASSERT_LT(strstr(out, GOOD "/10-a.addon.efi"), strstr(out, GOOD "/20-b.addon.efi"))
		TH_LOG("not in file-name order");
	ASSERT_NE(NULL, strstr(out, ESP "/loader/addons/05-global.addon.efi"));
	ASSERT_NE(NULL, strstr(out, ESP "/loader/credentials/global.cred"));
}

/*
 * IMA (ima_policy=critical_data on the suite's command line) measured the
 * command line the kernel composed, addons' included, and each file
 */
TEST_F(good, measured)
{
	static char log[1 << 20];
	const char *cmd, *p;
	char text[1024], hex[3] = {};
	size_t i = 0;

	ASSERT_LT(0, bed_read_file("/sys/kernel/security/ima/ascii_runtime_measurements",
				   log, sizeof(log)));
	ASSERT_NE(NULL, strstr(log, " " GOOD "/10-a.addon.efi ")) TH_LOG("%s", log);
	ASSERT_NE(NULL, strstr(log, " " GOOD "/30-initrd.addon.efi "));
	ASSERT_NE(NULL, strstr(log, " " GOOD "/test.cred "));
	ASSERT_NE(NULL, strstr(log, " " ESP "/loader/credentials/global.cred "));
	/* the last kexec-pe-cmdline: "... ima-buf sha1:... kexec-pe-cmdline <hex>" */
	cmd = NULL;
	for (p = log; (p = strstr(p, " kexec-pe-cmdline ")); p++)
		cmd = p + strlen(" kexec-pe-cmdline ");
	ASSERT_NE(NULL, cmd) TH_LOG("no kexec-pe-cmdline measurement");
	while (i < sizeof(text) - 1 && isxdigit(cmd[0]) && isxdigit(cmd[1])) {
		hex[0] = cmd[0];
		hex[1] = cmd[1];
		text[i++] = strtol(hex, NULL, 16);
		cmd += 2;
	}
	text[i] = '\0';
	TH_LOG("measured command line: %s", text);
	ASSERT_NE(NULL, strstr(text, "kexecpe.uki=1"));
	ASSERT_NE(NULL, strstr(text, "kexecpe.addon_b=1"));

	/* and what produced it: the programs that ran, as the status names them */
	cmd = NULL;
	for (p = log; (p = strstr(p, " kexec-pe-programs ")); p++)
		cmd = p + strlen(" kexec-pe-programs ");
	ASSERT_NE(NULL, cmd) TH_LOG("no kexec-pe-programs measurement");
	for (i = 0; i < sizeof(text) - 1 && isxdigit(cmd[0]) && isxdigit(cmd[1]); i++) {
		hex[0] = cmd[0];
		hex[1] = cmd[1];
		text[i] = strtol(hex, NULL, 16);
		cmd += 2;
	}
	text[i] = '\0';
	TH_LOG("measured programs: %s", text);
	ASSERT_LT(0, bed_read_file("/proc/kexec_pe/status", log, sizeof(log)));
	/* the last session is the load above, which succeeded */
	ASSERT_NE(NULL, strstr(log, "\nlast_result: 0\n")) TH_LOG("%s", log);
	p = strstr(log, "\nlast_programs: ");
	ASSERT_NE(NULL, p) TH_LOG("%s", log);
	p += strlen("\nlast_programs: ");
	ASSERT_EQ(0, strncmp(p, text, strlen(text))) TH_LOG("status: %.80s", p);
	ASSERT_EQ('\n', p[strlen(text)]);
	/* one program, by its 16-digit tag and name */
	ASSERT_EQ(':', text[16]) TH_LOG("%s", text);
	ASSERT_EQ(NULL, strchr(text, ' '));
}

int main(int argc, char **argv)
{
	bed_kexec_when_passed(UKI);
	return test_harness_run(argc, argv);
}
