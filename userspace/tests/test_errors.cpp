// SPDX-License-Identifier: GPL-2.0
// Errors a person can act on: every errno the kernel documents gets its own
// explanation, and the line names the file, the cause, the errno and a hint.
#include "error.hpp"
#include "explain.hpp"

#include <gtest/gtest.h>

using namespace kexecpe;

namespace {

const std::string kGeneric = explain_kexec_errno(EHWPOISON, true, false).what;	// no kexec errno

} // namespace

// Documentation/admin-guide/kexec-pe-bpf.rst, "Errors of kexec_file_load()",
// and the usual kexec errnos
TEST(Explain, EveryDocumentedErrnoHasItsOwnExplanation)
{
	for (int e : {ENOEXEC, EINVAL, ENODATA, ENOKEY, EKEYREJECTED, EBADMSG, ELIBBAD, EPERM,
		      ESRCH, ETIMEDOUT, ECANCELED, EINTR, ENOLINK, ENOMSG, E2BIG, EFBIG, ENOMEM,
		      EBUSY, EACCES, ENOSYS, EADDRNOTAVAIL, EKEYEXPIRED, EOPNOTSUPP, ENOENT}) {
		for (bool parser : {false, true}) {
			Explained x = explain_kexec_errno(e, parser, false);
			EXPECT_NE(kGeneric, x.what) << errno_name(e);
			EXPECT_FALSE(x.hint.empty()) << errno_name(e);
		}
	}
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

TEST(Explain, TheLoadersFailureComesFirst)
{
	LoadRequest req;
	LoadOutcome out;

	req.image = "uki.efi";
	out.has_parser = true;
	out.kexec_errno = ECANCELED;
	out.loader_error = Error(EACCES, "uki.efi: section .bpf", "the kernel refused to load the parser: R1 invalid mem access",
				 "-d shows the verifier's log");
	std::string m = load_error(req, out).what();
	EXPECT_EQ(0u, m.find("uki.efi: section .bpf: the kernel refused to load the parser")) << m;
	EXPECT_NE(std::string::npos, m.find("[EACCES]")) << m;
	// not when the kernel failed for a reason of its own
	out.kexec_errno = ENOMSG;
	m = load_error(req, out).what();
	EXPECT_NE(std::string::npos, m.find("produced no kernel")) << m;
}

TEST(Explain, LockdownSaysWhetherTheImageIsSigned)
{
	EXPECT_NE(std::string::npos, explain_kexec_errno(EPERM, true, false, false).what.find("is not signed"));
	EXPECT_NE(std::string::npos, explain_kexec_errno(EPERM, true, false, true).what.find("did not verify"));
	EXPECT_NE(std::string::npos, explain_kexec_errno(EPERM, false, false).what.find("CAP_SYS_BOOT"));
}

TEST(Explain, KdumpMemory)
{
	EXPECT_NE(std::string::npos, explain_kexec_errno(ENOMEM, false, true).hint.find("crashkernel="));
	EXPECT_NE(std::string::npos, explain_kexec_errno(EADDRNOTAVAIL, false, true).hint.find("crashkernel="));
	EXPECT_EQ(std::string::npos, explain_kexec_errno(EADDRNOTAVAIL, false, false).what.find("crash"));
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
