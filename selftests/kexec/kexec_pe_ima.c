// SPDX-License-Identifier: GPL-2.0
/*
 * IMA appraisal demands what enforced signatures demand. Without lockdown
 * or sig_enforce, an IMA policy that appraises KEXEC_KERNEL_CHECK with a
 * signature makes kexec_file_load() rely on signatures
 * (kimage_validate_signature() then lets a kernel whose own signature
 * fails through, for IMA to judge). For an image with a parser that means:
 * a manifest is required, what the parser produces must be what it pins,
 * and a command line given with an image that carries its own is refused.
 * IMA measures as kexec-cmdline the command line the next kernel gets.
 *
 * The suite boots with ima_appraise=log (the bed's files carry no IMA
 * signatures; appraisal only logs) and this program writes the policy, once
 * (no CONFIG_IMA_WRITE_POLICY), before its tests.
 */
#include "../guest/bed.h"
#include "kselftest_harness.h"

#define IMA		"/sys/kernel/security/ima/"
#define IMAGES		"/boot/kexec_pe/"
static const char *const policy[] = {
	"measure func=KEXEC_CMDLINE template=ima-buf\n",
	"appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
};

static char out[16384];

#define TOOL_RUN(...) BED_KEXEC_PE_RUN(out, NULL, "-d", "--timeout", "120", __VA_ARGS__)

/* IMA takes a rule a write, and the policy once: all in one open */
TEST(policy_appraises_kexec_kernels)
{
	char status[2048];
	size_t i;
	int fd = open(IMA "policy", O_WRONLY | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open " IMA "policy: %s", strerror(errno));
	for (i = 0; i < sizeof(policy) / sizeof(policy[0]); i++)
		ASSERT_EQ((ssize_t)strlen(policy[i]), write(fd, policy[i], strlen(policy[i])))
			TH_LOG("rule %zu: %s", i + 1, strerror(errno));
	ASSERT_EQ(0, close(fd)) TH_LOG("the policy was refused: %s", strerror(errno));
	ASSERT_LT(0, bed_read_file("/proc/kexec_pe/status", status, sizeof(status)));
	ASSERT_NE(NULL, strstr(status, "\nsig_enforced: 1\n"))
		TH_LOG("an IMA appraisal rule for KEXEC_KERNEL_CHECK does not count as enforced:\n%s",
		       status);
}

TEST(image_without_manifest_refused)
{
	ASSERT_EQ(1, TOOL_RUN("-l", IMAGES "unpinned.efi")) TH_LOG("%s", out);
	TH_LOG("%s", strstr(out, "kexec-pe: /") ?: out);
	ASSERT_NE(NULL, strstr(out, "[EPERM]")) TH_LOG("%s", out);
	ASSERT_EQ(NULL, strstr(out, "] notified")) TH_LOG("its parser was exposed");
}

TEST(parser_producing_another_kernel_refused)
{
	ASSERT_EQ(1, TOOL_RUN("-l", IMAGES "evil-kernel.efi")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "[EKEYREJECTED]")) TH_LOG("%s", out);
}

TEST(given_cmdline_refused)
{
	ASSERT_EQ(1, TOOL_RUN("-l", IMAGES "ok.efi", "--append", "bed.user_cmdline=1"))
		TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "[EINVAL]")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "carries its own command line")) TH_LOG("%s", out);
}

/* The text of the last kexec-cmdline entry of the IMA log, or "" */
static void last_measured_cmdline(char *text, size_t size)
{
	static char log[1 << 20];
	char *line, *save = NULL, *hex = NULL;
	size_t i;

	text[0] = '\0';
	if (bed_read_file(IMA "ascii_runtime_measurements", log, sizeof(log)) <= 0)
		return;
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, " kexec-cmdline "))
			hex = strrchr(line, ' ') + 1;
	for (i = 0; hex && hex[2 * i] && hex[2 * i + 1] && i < size - 1; i++)
		sscanf(hex + 2 * i, "%2hhx", &text[i]);
	if (hex)
		text[i] = '\0';
}

TEST(measured_cmdline_is_the_one_that_boots)
{
	char text[4096];

	ASSERT_EQ(0, TOOL_RUN("-l", IMAGES "ok.efi")) TH_LOG("%s", out);
	last_measured_cmdline(text, sizeof(text));
	TH_LOG("kexec-cmdline measured: \"%s\"", text);
	ASSERT_NE(NULL, strstr(text, "kexecpe.uki="))
		TH_LOG("the command line IMA measured is not the UKI's .cmdline, which boots");
	ASSERT_EQ(0, BED_KEXEC_PE_RUN(out, NULL, "-d", "-u"));
}

TEST_HARNESS_MAIN
