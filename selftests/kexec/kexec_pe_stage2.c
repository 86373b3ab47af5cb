// SPDX-License-Identifier: GPL-2.0
/*
 * Runs in the kernel kexec_pe_roundtrip, kexec_pe_boot or kexec_pe_addons
 * booted from a signed image: proves it got the command line and initrd
 * the image's parser produced. From a UKI: its .cmdline, its .ucode, its
 * .initrd and the given one, in that order. From an EFI zboot image
 * (bed.expect=zboot on the command line it was given): the given command
 * line and initrd. With kexec_pe_addons' UKI addons (bed.expect=addons,
 * from the first addon's .cmdline): also the addons' command lines after
 * the UKI's, in file-name order (the ESP's first), the addon's initrd,
 * the credential and the ESP's global credential.
 * From a multi-profile UKI booted with its second profile
 * (bed.expect=profile, from that profile's .cmdline): that command line,
 * never the base's (kexecpe.profile=default), never both. From a UKI with
 * a .pcrsig, .pcrpkey and .osrel (kexecpe.extra=1): those, and the booted
 * profile's .profile, as the files systemd-stub makes of them in /.extra.
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

static bool expected(const char *what)
{
	char v[16];

	return bed_param("bed.expect", v, sizeof(v)) && !strcmp(v, what);
}

static bool from_zboot(void)
{
	return expected("zboot");
}

TEST(cmdline_is_the_ukis)
{
	char cmdline[BED_CMDLINE_MAX], v[8];

	ASSERT_LT(0, bed_read_file("/proc/cmdline", cmdline, sizeof(cmdline)));
	TH_LOG("command line: %s", cmdline);
	if (from_zboot()) {
		ASSERT_FALSE(bed_param("kexecpe.uki", v, sizeof(v)));
		return;	/* the given one: what bed.expect= came with */
	}
	ASSERT_TRUE(bed_param("kexecpe.uki", v, sizeof(v)))
		TH_LOG("no kexecpe.uki=: not the UKI's .cmdline");
	ASSERT_FALSE(bed_param("bed.user_cmdline", v, sizeof(v)))
		TH_LOG("the command line given to kexec_file_load() won under enforced signatures");
}

TEST(initrd_has_the_ukis_and_the_given_parts)
{
	char marker[64], nonce[64];

	ASSERT_LT(0, bed_read_file("/stage2/nonce", nonce, sizeof(nonce)))
		TH_LOG("/stage2/nonce missing: the initrd given to kexec_file_load() was not there");
	if (from_zboot()) {
		TH_LOG("nonce %s", nonce);
		return;
	}
	ASSERT_LT(0, bed_read_file("/uki-marker", marker, sizeof(marker)))
		TH_LOG("/uki-marker missing: the UKI's .initrd did not reach the kernel");
	ASSERT_STREQ("kexec-pe UKI initrd\n", marker);
	TH_LOG("nonce %s, after the UKI's initrd", nonce);
}

/*
 * systemd-stub puts .ucode before .initrd (the early microcode loader reads
 * the first archive): both hold /initrd-order, and the later archive's
 * copy is the one the kernel unpacked last
 */
TEST(ucode_comes_before_the_ukis_initrd)
{
	char order[16], marker[64];

	if (!bed_param("kexecpe.ucode", order, sizeof(order)))
		SKIP(return, "the image has no .ucode (its .cmdline says so with kexecpe.ucode=1)");
	ASSERT_LT(0, bed_read_file("/ucode-marker", marker, sizeof(marker)))
		TH_LOG("/ucode-marker missing: the UKI's .ucode did not reach the kernel");
	ASSERT_STREQ("kexec-pe UKI ucode\n", marker);
	ASSERT_LT(0, bed_read_file("/initrd-order", order, sizeof(order)));
	ASSERT_STREQ("initrd\n", order)
		TH_LOG("the UKI's .ucode was unpacked after its .initrd");
}

TEST(addons_were_applied)
{
	char cmdline[BED_CMDLINE_MAX], buf[64];
	const char *uki, *g, *a, *b;

	if (!expected("addons"))
		SKIP(return, "loaded without addons");
	ASSERT_LT(0, bed_read_file("/proc/cmdline", cmdline, sizeof(cmdline)));
	uki = strstr(cmdline, "kexecpe.uki=1");
	g = strstr(cmdline, " kexecpe.global_addon=1");
	a = strstr(cmdline, " bed.expect=addons kexecpe.addon_a=1");
	b = strstr(cmdline, " kexecpe.addon_b=1");
	ASSERT_NE(NULL, uki);
	ASSERT_NE(NULL, a) TH_LOG("10-a.addon.efi's .cmdline is missing: %s", cmdline);
	ASSERT_NE(NULL, b) TH_LOG("20-b.addon.efi's .cmdline is missing: %s", cmdline);
	ASSERT_NE(NULL, g) TH_LOG("the ESP's 05-global.addon.efi's .cmdline is missing: %s", cmdline);
	ASSERT_LT(uki, g) TH_LOG("the addons' command line does not follow the UKI's");
	ASSERT_LT(g, a) TH_LOG("the ESP's addon does not come before the image's");
	ASSERT_LT(a, b) TH_LOG("the addons were not applied in file-name order");

	ASSERT_LT(0, bed_read_file("/addon-marker", buf, sizeof(buf)))
		TH_LOG("/addon-marker missing: 30-initrd.addon.efi's .initrd did not arrive");
	ASSERT_STREQ("kexec-pe addon initrd\n", buf);
	ASSERT_LT(0, bed_read_file("/.extra/credentials/test.cred", buf, sizeof(buf)))
		TH_LOG("the credential is not in /.extra/credentials");
	/* without its appended signature */
	ASSERT_STREQ("kexec-pe test credential\n", buf);
	/* the ESP's, apart from the image's, as systemd-stub puts them */
	ASSERT_LT(0, bed_read_file("/.extra/global_credentials/global.cred", buf, sizeof(buf)))
		TH_LOG("the ESP's credential is not in /.extra/global_credentials");
	ASSERT_STREQ("kexec-pe global credential\n", buf);
	ASSERT_GT(0, bed_read_file("/.extra/credentials/global.cred", buf, sizeof(buf)))
		TH_LOG("the ESP's credential is among the image's");
}

TEST(profile_is_the_selected_one)
{
	char cmdline[BED_CMDLINE_MAX];
	const char *at;

	if (!expected("profile"))
		SKIP(return, "not loaded with a profile");
	ASSERT_LT(0, bed_read_file("/proc/cmdline", cmdline, sizeof(cmdline)));
	at = strstr(cmdline, "kexecpe.profile=");
	ASSERT_NE(NULL, at) TH_LOG("no kexecpe.profile=: not the profile's command line");
	ASSERT_EQ(0, strncmp(at, "kexecpe.profile=second", 22))
		TH_LOG("booted another profile's command line: %s", cmdline);
	ASSERT_EQ(NULL, strstr(at + 1, "kexecpe.profile="))
		TH_LOG("two profiles' command lines: %s", cmdline);
	ASSERT_EQ(NULL, strstr(cmdline, "@1")) TH_LOG("the profile selector reached the kernel");
}

/* /.extra/@name is a 0444 file holding what /expect/@name holds */
static void expect_extra_file(struct __test_metadata *_metadata, const char *name)
{
	char path[64], want[1024], got[1024];
	ssize_t n;
	struct stat st;

	snprintf(path, sizeof(path), "/expect/%s", name);
	n = bed_read_file(path, want, sizeof(want));
	ASSERT_LT(0, n) TH_LOG("%s missing: not the bed's UKI initrd", path);
	snprintf(path, sizeof(path), "/.extra/%s", name);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s: the image's section was not passed on",
					    path, strerror(errno));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ(0444, st.st_mode & 07777) TH_LOG("%s: mode %o", path, st.st_mode & 07777);
	ASSERT_EQ(n, bed_read_file(path, got, sizeof(got)));
	ASSERT_EQ(0, memcmp(want, got, n)) TH_LOG("%s is not the image's section", path);
	TH_LOG("%s: %zd bytes, the image's", path, n);
}

/*
 * systemd-stub passes .pcrsig, .pcrpkey, .osrel and the booted profile's
 * .profile on as files in /.extra, for systemd-cryptsetup and userspace
 */
TEST(extra_files_are_the_ukis)
{
	struct stat st;
	char v[8];

	if (from_zboot())
		SKIP(return, "an EFI zboot image has no such sections");
	if (!bed_param("kexecpe.extra", v, sizeof(v)))
		SKIP(return, "the image has no .pcrsig, .pcrpkey, .osrel (its .cmdline says so with kexecpe.extra=1)");
	ASSERT_EQ(0, stat("/.extra", &st)) TH_LOG("/.extra: %s", strerror(errno));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(0555, st.st_mode & 07777);
	expect_extra_file(_metadata, "tpm2-pcr-signature.json");
	expect_extra_file(_metadata, "tpm2-pcr-public-key.pem");
	expect_extra_file(_metadata, "os-release");
	if (expected("profile")) {
		expect_extra_file(_metadata, "profile");
		return;
	}
	/* a UKI without profiles boots none: there is no .profile to pass on */
	ASSERT_NE(0, stat("/.extra/profile", &st)) TH_LOG("/.extra/profile from a UKI without profiles");
	ASSERT_EQ(ENOENT, errno);
}

TEST(is_stage_2)
{
	char stage[8];

	ASSERT_TRUE(bed_param("bed.stage", stage, sizeof(stage)));
	ASSERT_STREQ("2", stage);
}

TEST_HARNESS_MAIN
