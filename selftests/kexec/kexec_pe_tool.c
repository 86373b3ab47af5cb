// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-pe, the project's loader, on the bed's signed images in a kernel
 * with the series (signatures verified, not enforced: kexec_pe_roundtrip
 * enforces them later): inspect, load, load for kdump, status, unload, a
 * plain kernel, an image made by `kexec-pe embed` and signed with sbsign,
 * the error message of each refusal, the -d trace, and the loader killed
 * with SIGKILL at each step of the handshake, after which the next load
 * must succeed.
 */
#include <signal.h>

#include "../guest/bed.h"
#include "kselftest_harness.h"

#define TOOL		BED_KEXEC_PE
#define DIR		"/boot/kexec_pe/"
#define OK_EFI		DIR "ok.efi"
#define OUT_MAX		65536

static char out[OUT_MAX];

#define TOOL_RUN(fault, ...) BED_KEXEC_PE_RUN(out, fault, __VA_ARGS__)

static bool loaded(bool crash)
{
	char v[8];

	bed_read_file(crash ? "/sys/kernel/kexec_crash_loaded" : "/sys/kernel/kexec_loaded",
		      v, sizeof(v));
	return v[0] == '1';
}

TEST(help)
{
	const char *const argv[] = { "/bin/kexec", "--help", NULL };

	ASSERT_EQ(0, TOOL_RUN(NULL, "--help"));
	ASSERT_NE(NULL, strstr(out, "Usage: kexec-pe -l|-p IMAGE"));
	/* invoked as kexec, it says so */
	ASSERT_LE(0, bed_run(argv, NULL, out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "Usage: kexec -l|-p IMAGE")) TH_LOG("%s", out);
}

TEST(inspect)
{
	ASSERT_EQ(0, TOOL_RUN(NULL, "inspect", OK_EFI)) TH_LOG("%s", out);
	TH_LOG("\n%s", out);
	ASSERT_NE(NULL, strstr(out, "ok.efi: UKI, PE32+"));
	ASSERT_NE(NULL, strstr(out, "signature: 1 certificate(s)"));
	ASSERT_NE(NULL, strstr(out, ".cmdline: console="));
	ASSERT_NE(NULL, strstr(out, ".linux: "));
	ASSERT_NE(NULL, strstr(out, ".initrd: "));
	ASSERT_NE(NULL, strstr(out, "program kexec_pe_test_parser: struct_ops, section "
				   "struct_ops, attach struct_ops, sleepable"));
	ASSERT_NE(NULL, strstr(out, "map kexec_pe_files: array"));
	ASSERT_EQ(0, TOOL_RUN(NULL, "inspect", "--json", OK_EFI));
	ASSERT_EQ(0, strncmp(out, "{\"file\":\"" OK_EFI "\",\"kind\":\"UKI\"", 30)) TH_LOG("%s", out);
	/* the manifest and the payloads' sizes, as the text says them */
	ASSERT_NE(NULL, strstr(out, "\"manifest\":{\"section\":\".kexecmf\"")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"payloads\":{\"linux\":")) TH_LOG("%s", out);
}

TEST(load_status_unload)
{
	/* -S as kexec-tools: 1 when loaded; -l: the kexec kernel */
	ASSERT_EQ(0, TOOL_RUN(NULL, "-u"));
	ASSERT_EQ(0, TOOL_RUN(NULL, "-S", "-l"));
	ASSERT_EQ(0, TOOL_RUN(NULL, "-l", OK_EFI, "--append", "bed.tool=1")) TH_LOG("%s", out);
	ASSERT_EQ(1, TOOL_RUN(NULL, "-S", "-l"));
	ASSERT_EQ(0, TOOL_RUN(NULL, "-S"));	/* the crash kernel: none */
	ASSERT_TRUE(loaded(false));
	ASSERT_EQ(0, TOOL_RUN(NULL, "-u")) TH_LOG("%s", out);
	ASSERT_EQ(0, TOOL_RUN(NULL, "-S", "-l"));
}

TEST(load_for_kdump)
{
	ASSERT_EQ(0, TOOL_RUN(NULL, "-p", OK_EFI)) TH_LOG("%s", out);
	ASSERT_EQ(1, TOOL_RUN(NULL, "-S", "-p"));
	ASSERT_EQ(1, TOOL_RUN(NULL, "-S"));
	ASSERT_TRUE(loaded(true));
	ASSERT_EQ(0, TOOL_RUN(NULL, "-u", "-p")) TH_LOG("%s", out);
	ASSERT_FALSE(loaded(true));
	ASSERT_EQ(0, TOOL_RUN(NULL, "-S"));
}

/* An image made by `kexec-pe embed` and signed by sbsign (mk-pe-images) */
TEST(load_embedded)
{
	ASSERT_EQ(0, TOOL_RUN(NULL, "inspect", DIR "embedded.efi"));
	ASSERT_NE(NULL, strstr(out, "program kexec_pe_test_parser")) TH_LOG("%s", out);
	ASSERT_EQ(0, TOOL_RUN(NULL, "-l", DIR "embedded.efi")) TH_LOG("%s", out);
	ASSERT_EQ(0, TOOL_RUN(NULL, "-u"));
}

/*
 * --addon: the paths reach the parser's kexec_pe_files map, and the parser
 * hands them to bpf_kexec_supplement_initrd(): the kernel reads and checks
 * each file itself, as it is handed over
 */
TEST(load_with_addons)
{
	/* named twice: handed over and applied once, as the kernel applies a file */
	ASSERT_EQ(0, TOOL_RUN(NULL, "-d", "-l", OK_EFI, "--addon", DIR "addon-signed.efi",
			      "--addon", DIR "addon-signed.efi")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "files-set: 1 files")) TH_LOG("%s", out);
	ASSERT_EQ(0, TOOL_RUN(NULL, "-u"));
	ASSERT_EQ(1, TOOL_RUN(NULL, "-l", OK_EFI, "--addon", DIR "addon-unsigned.efi"));
	TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "[ENODATA]")) TH_LOG("%s", out);
	/* refused as it is handed over: the error names the file */
	ASSERT_NE(NULL, strstr(out, DIR "addon-unsigned.efi: not signed")) TH_LOG("%s", out);
	ASSERT_EQ(1, TOOL_RUN(NULL, "-l", OK_EFI, "--addon", "/nonexistent.addon.efi"));
	TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "[ENOENT]")) TH_LOG("%s", out);
	ASSERT_FALSE(loaded(false));
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int o = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (in < 0 || o < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(o, buf, n) != n)
			return -1;
	close(in);
	close(o);
	return n < 0 ? -1 : 0;
}

/*
 * Addons found as systemd-stub finds them: the *.addon.efi files of
 * <image>.extra.d,
 * in file-name order; --no-addons leaves them; the kernel checks them
 */
TEST(discovers_addons_beside_the_image)
{
	const char *extra = OK_EFI ".extra.d";

	ASSERT_EQ(0, mkdir(extra, 0755));
	ASSERT_EQ(0, copy_file(DIR "addon-signed.efi", OK_EFI ".extra.d/b.addon.efi"));
	ASSERT_EQ(0, copy_file(DIR "addon-signed.efi", OK_EFI ".extra.d/a.addon.efi"));
	ASSERT_EQ(0, TOOL_RUN(NULL, "-d", "-l", OK_EFI)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "files-set: 2 files")) TH_LOG("%s", out);
	ASSERT_LT(strstr(out, "extra.d/a.addon.efi"), strstr(out, "extra.d/b.addon.efi")) TH_LOG("%s", out);
	ASSERT_EQ(0, TOOL_RUN(NULL, "-u"));
	ASSERT_EQ(0, TOOL_RUN(NULL, "-d", "--no-addons", "-l", OK_EFI)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "files-set: 0 files")) TH_LOG("%s", out);
	ASSERT_EQ(0, TOOL_RUN(NULL, "-u"));
	/* one the kernel refuses: it reads and checks them itself */
	ASSERT_EQ(0, copy_file(DIR "addon-unsigned.efi", OK_EFI ".extra.d/c.addon.efi"));
	ASSERT_EQ(1, TOOL_RUN(NULL, "-l", OK_EFI));
	TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "[ENODATA]"));
	unlink(OK_EFI ".extra.d/a.addon.efi");
	unlink(OK_EFI ".extra.d/b.addon.efi");
	unlink(OK_EFI ".extra.d/c.addon.efi");
	ASSERT_EQ(0, rmdir(extra));
}

/* No .bpf: kexec_file_load() as it is, no handshake */
TEST(load_plain_kernel)
{
	ASSERT_EQ(0, TOOL_RUN(NULL, "-d", "-l", "/boot/sig/signed")) TH_LOG("%s", out);
	ASSERT_EQ(NULL, strstr(out, "registered")) TH_LOG("%s", out);
	ASSERT_TRUE(loaded(false));
	ASSERT_EQ(0, TOOL_RUN(NULL, "-u"));
}

/* Each step of the handshake, in order, with its time */
TEST(debug_trace)
{
	static const char *const steps[] = {
		"opened", "registered", "calling", "notified", "read", "object-opened",
		"loaded", "files-set", "attached", "signalled", "returned", "detached",
	};
	const char *p = out;
	size_t i;

	ASSERT_EQ(0, TOOL_RUN(NULL, "-d", "-l", OK_EFI)) TH_LOG("%s", out);
	TH_LOG("\n%s", out);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "] %s", steps[i]);
		p = strstr(p, want);
		ASSERT_NE(NULL, p) TH_LOG("step %s missing or out of order", steps[i]);
	}
	ASSERT_EQ(0, TOOL_RUN(NULL, "-u"));
}

/* The line a user sees for each refusal: the file, the cause, the errno */
static void refused(struct __test_metadata *_metadata, const char *img,
		    const char *errname, const char *cause)
{
	char path[128], prefix[160];

	snprintf(path, sizeof(path), DIR "%s", img);
	snprintf(prefix, sizeof(prefix), "kexec-pe: %s: ", path);
	ASSERT_EQ(1, TOOL_RUN(NULL, "-l", path)) TH_LOG("%s", out);
	TH_LOG("%s", out);
	ASSERT_EQ(0, strncmp(out, prefix, strlen(prefix))) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, errname));
	ASSERT_NE(NULL, strstr(out, cause));
	ASSERT_FALSE(loaded(false));
}

TEST(error_untrusted)
{
	refused(_metadata, "untrusted.efi", "[ENOKEY]", "signature not trusted");
}

TEST(error_tampered)
{
	refused(_metadata, "tampered-bpf.efi", "[EKEYREJECTED]", "signature rejected");
}

TEST(error_unsigned)
{
	refused(_metadata, "unsigned.efi", "[ENODATA]", "not signed");
}

TEST(error_no_kernel)
{
	refused(_metadata, "nokernel.efi", "[ENOMSG]", "produced no kernel");
}

TEST(error_bpf_not_elf)
{
	refused(_metadata, "notelf.efi", "[ELIBBAD]", "malformed PE image");
}

/*
 * A parser the verifier refuses (selftests/guest/refused_parser.bpf.c):
 * the error quotes the verifier's reason, which ends a log of several KiB
 * that libbpf prints in one call; -d prints that log whole, from its first
 * instruction to its end marker.
 */
TEST(error_verifier_refused)
{
	const char *begin, *end;

	refused(_metadata, "refused.efi", "[EACCES]", "verifier: ");
	ASSERT_NE(NULL, strstr(out, "invalid mem access 'scalar'")) TH_LOG("%s", out);
	ASSERT_EQ(1, TOOL_RUN(NULL, "-d", "-l", DIR "refused.efi")) TH_LOG("%s", out);
	begin = strstr(out, "-- BEGIN PROG LOAD LOG --");
	end = strstr(out, "-- END PROG LOAD LOG --");
	ASSERT_NE(NULL, begin) TH_LOG("%s", out);
	ASSERT_NE(NULL, end) TH_LOG("%s", out);
	ASSERT_LT(4096, end - begin) TH_LOG("a log of %td bytes", end - begin);
	ASSERT_NE(NULL, strstr(begin, "0: (85) call bpf_get_prandom_u32")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(begin, "invalid mem access 'scalar'")) TH_LOG("%s", out);
	/* libbpf's own prefix once per line, not twice */
	ASSERT_EQ(NULL, strstr(out, "libbpf: libbpf: ")) TH_LOG("%s", out);
}

/*
 * SIGKILL at each step (KEXEC_PE_FAULT=kill@<step>): the kernel ends the
 * session, and the next load through the handshake succeeds.
 */
TEST(killed_at_each_step)
{
	static const char *const steps[] = {
		"registered", "calling", "notified", "read", "object-opened", "loaded",
		"files-set", "attached", "signalled", "returned",
	};
	char fault[32], status[1024];
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const char *const argv[] = { TOOL, "-l", OK_EFI, NULL };
		int st;

		snprintf(fault, sizeof(fault), "kill@%s", steps[i]);
		st = bed_run(argv, fault, out, sizeof(out));
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			TH_LOG("%s: status 0x%x: %s", fault, st, out);
		ASSERT_LT(0, bed_read_file("/proc/kexec_pe/status", status, sizeof(status)));
		ASSERT_NE(NULL, strstr(status, "state: idle")) TH_LOG("%s:\n%s", fault, status);
		ASSERT_EQ(0, TOOL_RUN(NULL, "-l", OK_EFI)) TH_LOG("after %s: %s", fault, out);
		ASSERT_EQ(0, TOOL_RUN(NULL, "-u"));
		TH_LOG("%s: killed, the next load succeeded", fault);
	}
}

TEST_HARNESS_MAIN
