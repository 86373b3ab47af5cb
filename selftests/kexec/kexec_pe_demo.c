// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of `make demo`: with lockdown on (signatures enforced),
 * inspect the signed UKI /boot/pe/demo.efi and a signed UKI addon, show
 * that the same image with one byte changed is refused, load the UKI with
 * kexec-pe and the addon (whose .cmdline the kernel appends) and kexec
 * into the kernel its parser produced. Before that, a program that is not
 * kexec-pe loads the UKI with a plain kexec_file_load(), as systemctl kexec
 * does, through kexec-pe serve. kexec_pe_proof, from the UKI's own
 * initrd, proves in the second kernel what it got. The lines for the demo
 * start with "demo: ".
 */
#include "../guest/bed.h"
#include "../guest/serve.h"
#include "kselftest_harness.h"

#define UKI		"/boot/pe/demo.efi"
#define TAMPERED	"/boot/pe/demo-tampered.efi"
#define ADDON		"/boot/pe/addons.d/20-b.addon.efi"
#define LOCKDOWN	"/sys/kernel/security/lockdown"

static char out[32768];

static void show(const char *title, const char *text)
{
	const char *p = text, *nl;

	printf("demo: %s\n", title);
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		/* the verifier's and libbpf's chatter stays in the log only */
		if (strncmp(p, "libbpf: ", 8))
			printf("demo:   %.*s\n", (int)(nl - p), p);
		if (!*nl)
			break;
	}
	fflush(stdout);
}

TEST(lockdown)
{
	char state[256];
	int fd = open(LOCKDOWN, O_WRONLY);

	ASSERT_LE(0, fd) TH_LOG("%s: %s", LOCKDOWN, strerror(errno));
	ASSERT_EQ(9, write(fd, "integrity", 9));
	close(fd);
	ASSERT_LT(0, bed_read_file(LOCKDOWN, state, sizeof(state)));
	ASSERT_NE(NULL, strstr(state, "[integrity]"));
	printf("demo: lockdown: %s", state);
}

TEST(inspect)
{
	ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "inspect", UKI)) TH_LOG("%s", out);
	show("$ kexec-pe inspect " UKI, out);
	ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "inspect", ADDON)) TH_LOG("%s", out);
	show("$ kexec-pe inspect " ADDON, out);
}

TEST(tampered_is_refused)
{
	ASSERT_EQ(1, BED_KEXEC_PE_RUN(out, NULL, "-l", TAMPERED)) TH_LOG("%s", out);
	show("$ kexec-pe -l " TAMPERED "   (demo.efi with one byte of .linux changed after signing)",
	     out);
	ASSERT_NE(NULL, strstr(out, "[EPERM]"));
}

/* A caller that does not know the handshake, with the service running */
TEST(served)
{
	struct bed_service sv;
	char why[256];
	int fd, err = 0;

	ASSERT_EQ(0, bed_serve_start(&sv, 1, NULL, why, sizeof(why))) TH_LOG("%s", why);
	fd = open(UKI, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	if (bed_kexec_file_load(fd, -1, NULL, KEXEC_FILE_NO_INITRAMFS))
		err = errno;
	close(fd);
	printf("demo: $ kexec-pe serve &   (kexec-pe.service)\n");
	printf("demo: a program that is not kexec-pe: kexec_file_load(\"%s\", no initrd, no command line) = %s\n",
	       UKI, err ? bed_errno_name(err) : "0, loaded");
	EXPECT_EQ(0, err);
	EXPECT_EQ(0, bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD));
	EXPECT_EQ(0, bed_serve_stop(&sv));
	ASSERT_LT(0, bed_read_file(sv.log, out, sizeof(out)));
	show("kexec-pe serve's log:", out);
}

TEST(load)
{
	ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "-d", "--timeout", "120", "-l", UKI,
				      "--addon", ADDON)) TH_LOG("%s", out);
	show("$ kexec-pe -d -l " UKI " --addon " ADDON
	     "   (no initrd, no command line given: the UKI's own, and the addon's)", out);
}

int main(int argc, char **argv)
{
	bed_kexec_when_passed(UKI);
	return test_harness_run(argc, argv);
}
