// SPDX-License-Identifier: GPL-2.0
// Errors a person can act on: every errno the kernel documents gets its own
// explanation, and the line names the file, the cause, the errno and a hint.
#include "error.hpp"
#include "explain.hpp"

#include "fd.hpp"
#include "images.hpp"

#include <linux/capability.h>

#include <gtest/gtest.h>

#include <filesystem>

using namespace kexecpe;
using namespace kexecpe::test;

namespace {

Explained explain(int err, bool parser = true, bool crash = false)
{
	ErrnoContext c;

	c.has_parser = parser;
	c.crash = crash;
	return explain_kexec_errno(err, c);
}

const std::string kGeneric = explain(EHWPOISON).what;	// no kexec errno

} // namespace

// Documentation/admin-guide/kexec-pe-bpf.rst, "Errors of kexec_file_load()",
// and the usual kexec errnos
TEST(Explain, EveryDocumentedErrnoHasItsOwnExplanation)
{
	for (int e : {ENOEXEC, EINVAL, ENODATA, ENOKEY, EKEYREJECTED, EBADMSG, ELIBBAD, EPERM,
		      ESRCH, ETIMEDOUT, ECANCELED, EINTR, ENOLINK, ENOMSG, E2BIG, EFBIG, ENOMEM,
		      EBUSY, EACCES, ENOSYS, EADDRNOTAVAIL, EKEYEXPIRED, EOPNOTSUPP, ENOENT, EPROTO,
		      EXDEV}) {
		for (bool parser : {false, true}) {
			Explained x = explain(e, parser);
			EXPECT_NE(kGeneric, x.what) << errno_name(e);
			// the fallback for an errno glibc cannot name is "E<n>",
			// all digits after the E (E2BIG is a name)
			EXPECT_NE(std::string::npos, errno_name(e).find_first_not_of("0123456789", 1))
				<< "no name for " << e;
			EXPECT_FALSE(x.hint.empty()) << errno_name(e);
		}
	}
}

// the check above can fail: an errno without a name gets the fallback
TEST(Explain, AnUnnamedErrnoGetsTheFallback)
{
	EXPECT_EQ("E4095", errno_name(4095));
	EXPECT_EQ(std::string::npos, errno_name(4095).find_first_not_of("0123456789", 1));
	EXPECT_EQ("ENOKEY", errno_name(ENOKEY));
}

TEST(Explain, TheLineAUserSees)
{
	LoadRequest req;
	LoadOutcome out;

	req.image = "uki.efi";
	out.has_parser = true;
	out.kexec_errno = ENOKEY;
	EXPECT_EQ("uki.efi: signature not trusted: not signed by a key in the kernel's trusted, "
		  "secondary or platform keyrings [ENOKEY] (enroll the signing certificate or "
		  "sign with a trusted key)",
		  std::string(load_error(req, out).what()));
	out.kexec_errno = EKEYREJECTED;
	EXPECT_EQ(0u, std::string(load_error(req, out).what()).find("uki.efi: signature rejected"));
	out.kexec_errno = ETIMEDOUT;
	EXPECT_NE(std::string::npos, std::string(load_error(req, out).what()).find("--timeout"));
}

// EACCES before the parser ran is the policy's (IMA, an LSM); after it,
// the kernel refused a range the signature does not cover
TEST(Explain, EaccesAfterTheParserIsAnUnsignedRange)
{
	ErrnoContext c;

	c.has_parser = true;
	EXPECT_NE(std::string::npos, explain_kexec_errno(EACCES, c).what.find("security policy"));
	c.notified = true;
	Explained x = explain_kexec_errno(EACCES, c);
	EXPECT_NE(std::string::npos, x.what.find("signature does not cover")) << x.what;
	EXPECT_NE(std::string::npos, x.hint.find("intact copy")) << x.hint;
}

TEST(Explain, TheLoadersFailureComesFirst)
{
	LoadRequest req;
	LoadOutcome out;

	req.image = "uki.efi";
	out.has_parser = true;
	out.kexec_errno = ECANCELED;
	out.loader_error = Error(EACCES, "uki.efi: section .bpf", "the kernel refused to load the parser: R1 invalid mem access",
				 "-d shows the verifier's log");
	out.loader_failed_first = true;
	std::string m = load_error(req, out).what();
	EXPECT_EQ(0u, m.find("uki.efi: section .bpf: the kernel refused to load the parser")) << m;
	EXPECT_NE(std::string::npos, m.find("[EACCES]")) << m;
	// not when it failed after the kernel gave up for a reason of its own
	out.kexec_errno = ETIMEDOUT;
	out.loader_failed_first = false;
	m = load_error(req, out).what();
	EXPECT_NE(std::string::npos, m.find("[ETIMEDOUT]")) << m;
}

// EPERM: which of its causes it was, from what the process can see
TEST(Explain, Eperm)
{
	ErrnoContext c;
	c.has_parser = true;
	c.perm.lockdown = "integrity";
	c.image_signed = false;
	EXPECT_EQ("refused by lockdown (integrity): the image is not signed", explain_kexec_errno(EPERM, c).what);
	c.image_signed = true;
	EXPECT_NE(std::string::npos, explain_kexec_errno(EPERM, c).what.find("signature did not verify"));
	c.perm.load_disabled = true;
	EXPECT_NE(std::string::npos, explain_kexec_errno(EPERM, c).what.find("kexec_load_disabled is 1"));
	c.perm.cap_sys_boot = false;
	EXPECT_EQ("run it as root", explain_kexec_errno(EPERM, c).hint);
}

// What an EPERM can come from, read from a kernel's files (an injected
// tree) and this process's capabilities
TEST(Explain, PermissionStateReadsTheKernelsFiles)
{
	TempDir d;
	auto put = [&](const std::string &path, const std::string &text) {
		std::filesystem::create_directories((d.path() / path).parent_path());
		write_bytes(d.path() / path, std::vector<std::uint8_t>(text.begin(), text.end()));
	};
	PermissionState none = PermissionState::read(d.path().string());
	EXPECT_FALSE(none.load_disabled || none.no_loads_left[0] || none.no_loads_left[1] ||
		     none.require_manifest || none.sig_enforced || !none.lockdown.empty());

	put("proc/sys/kernel/kexec_load_disabled", "1\n");
	put("proc/sys/kernel/kexec_load_limit_reboot", "-1\n");
	put("proc/sys/kernel/kexec_load_limit_panic", "0\n");
	put("proc/kexec_pe/status", "abi: 1\nrequire_manifest: 1\nsig_enforced: 1\n");
	put("sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	PermissionState p = PermissionState::read(d.path().string());
	EXPECT_TRUE(p.load_disabled);
	EXPECT_FALSE(p.no_loads_left[0]);
	EXPECT_TRUE(p.no_loads_left[1]);
	EXPECT_TRUE(p.require_manifest);
	EXPECT_TRUE(p.sig_enforced);
	EXPECT_EQ("integrity", p.lockdown);
	put("sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
	EXPECT_EQ("", PermissionState::read(d.path().string()).lockdown);

	// the capability as the kernel reports it for this process (CapEff),
	// whoever runs the test: root in a container may lack it
	auto st = read_file("/proc/self/status", 1 << 16);
	std::string t(st.begin(), st.end());
	auto at = t.find("\nCapEff:\t");
	ASSERT_NE(std::string::npos, at);
	unsigned long long eff = std::stoull(t.substr(at + 9, 16), nullptr, 16);
	EXPECT_EQ(bool(eff & (1ULL << CAP_SYS_BOOT)), p.cap_sys_boot);
}

// An unload is worded as one: it needs the permission, reads no image
TEST(Explain, Unload)
{
	ErrnoContext c;
	c.unload = true;
	c.perm.cap_sys_boot = false;
	EXPECT_EQ("not permitted: unloading a kernel needs CAP_SYS_BOOT", explain_kexec_errno(EPERM, c).what);
	c.perm.cap_sys_boot = true;
	c.perm.load_disabled = true;
	EXPECT_NE(std::string::npos, explain_kexec_errno(EPERM, c).what.find("unloading too"));
	c.perm.load_disabled = false;
	c.crash = true;
	c.perm.no_loads_left[1] = true;
	EXPECT_NE(std::string::npos, explain_kexec_errno(EPERM, c).what.find("kexec_load_limit_panic is 0"));
	for (int e : {EPERM, EBUSY, EINVAL, ENOMEM}) {
		Explained x = explain_kexec_errno(e, c);
		EXPECT_EQ(std::string::npos, x.what.find("image")) << x.what;
		EXPECT_EQ(std::string::npos, (x.what + x.hint).find(" load a") ) << x.what;
	}
}

// EINVAL for a command line given with an image that pins its own, under
// enforcement: say which option to drop
TEST(Explain, EinvalForAGivenCommandLine)
{
	ErrnoContext c;
	c.has_parser = true;
	c.image_signed = true;
	c.has_manifest = true;
	c.pins_cmdline = true;
	c.cmdline_given = true;
	c.perm.lockdown = "integrity";
	Explained e = explain_kexec_errno(EINVAL, c);
	EXPECT_NE(std::string::npos, e.what.find("carries its own command line")) << e.what;
	EXPECT_NE(std::string::npos, e.hint.find("without --append")) << e.hint;
	// no command line given, none pinned, or after the parser ran: not that
	c.cmdline_given = false;
	EXPECT_EQ(std::string::npos, explain_kexec_errno(EINVAL, c).what.find("its own command line"));
	c.cmdline_given = true;
	c.pins_cmdline = false;
	EXPECT_EQ(std::string::npos, explain_kexec_errno(EINVAL, c).what.find("its own command line"));
	c.pins_cmdline = true;
	c.notified = true;
	EXPECT_EQ(std::string::npos, explain_kexec_errno(EINVAL, c).what.find("its own command line"));
	c.notified = false;
	// not enforced: not that either
	c.perm.lockdown.clear();
	EXPECT_EQ(std::string::npos, explain_kexec_errno(EINVAL, c).what.find("its own command line"));
	// enforced through /proc/kexec_pe/status (sig_enforce, IMA appraisal)
	c.perm.sig_enforced = true;
	EXPECT_EQ(0u, explain_kexec_errno(EINVAL, c).what.find("refused: signatures are enforced, and the image carries"));
}

// The kernel checks addons and side-car files as they are handed over:
// the error names the file (the caller's Error) and says what is wrong
// with it
TEST(Explain, HandOverRefusals)
{
	EXPECT_NE(std::string::npos, explain_hand_over_errno(ENODATA).what.find("not signed"));
	EXPECT_NE(std::string::npos, explain_hand_over_errno(ENOKEY).what.find("not trusted"));
	EXPECT_NE(std::string::npos, explain_hand_over_errno(EKEYREJECTED).what.find("does not match"));
	EXPECT_NE(std::string::npos, explain_hand_over_errno(EMEDIUMTYPE).what.find(".linux"));
	EXPECT_NE(std::string::npos, explain_hand_over_errno(EOPNOTSUPP).what.find(".dtb"));
	EXPECT_NE(std::string::npos, explain_hand_over_errno(ENOMSG).what.find("nothing to apply"));
	EXPECT_NE(std::string::npos, explain_hand_over_errno(EINVAL).what.find("*.cred"));
	EXPECT_NE(std::string::npos, explain_hand_over_errno(EFBIG).what.find("256 MiB"));
	EXPECT_NE(std::string::npos, explain_hand_over_errno(ENOSPC).hint.find("--no-addons"));
	for (int e : {ENODATA, ENOKEY, EKEYREJECTED, ELIBBAD, EMEDIUMTYPE, EOPNOTSUPP, ENOMSG,
		      EINVAL, EFBIG, E2BIG, EEXIST, ENOSPC, EACCES, EIO})
		EXPECT_FALSE(explain_hand_over_errno(e).hint.empty()) << errno_name(e);
}

// A load's errors name what they can be about: addons were checked before it
TEST(Explain, AddonsInALoad)
{
	ErrnoContext c;
	c.has_parser = true;
	EXPECT_NE(std::string::npos, explain_kexec_errno(EXDEV, c).what.find(".uname"));
	EXPECT_NE(std::string::npos, explain_kexec_errno(ENODATA, c).what.find("not signed"));
	// checked when handed over: an addon is not why the load failed
	EXPECT_EQ(std::string::npos, explain_kexec_errno(ENODATA, c).what.find("addon"));
}

TEST(Explain, NoLoadsLeft)
{
	ErrnoContext c;
	c.perm.no_loads_left[1] = true;
	c.crash = true;
	EXPECT_NE(std::string::npos, explain_kexec_errno(EPERM, c).what.find("kexec_load_limit_panic"));
	c.crash = false;
	EXPECT_EQ(std::string::npos, explain_kexec_errno(EPERM, c).what.find("kexec_load_limit"));
}

TEST(Explain, KdumpMemory)
{
	EXPECT_NE(std::string::npos, explain(EADDRNOTAVAIL, false, true).hint.find("crashkernel="));
	EXPECT_EQ(std::string::npos, explain(EADDRNOTAVAIL, false, false).what.find("crash"));
	EXPECT_EQ("EADDRNOTAVAIL", errno_name(EADDRNOTAVAIL));
}

TEST(Error, Format)
{
	Error e(ENOENT, "/boot/x", "open: No such file or directory", "check the path");
	EXPECT_EQ("/boot/x: open: No such file or directory [ENOENT] (check the path)", std::string(e.what()));
	EXPECT_EQ(ENOENT, e.code());
	EXPECT_EQ("x: y", std::string(Error(0, "x", "y").what()));
	EXPECT_EQ("E4095", errno_name(4095));
}
