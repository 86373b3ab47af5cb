// SPDX-License-Identifier: GPL-2.0
#include "explain.hpp"

#include "fd.hpp"

#include <cstring>

#include <linux/capability.h>
#include <linux/kexec_pe.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace kexecpe {

namespace {

// ENOSYS, for a load and for an unload
const Explained kNoKexecFileLoad{"this kernel has no kexec_file_load()",
				 "boot a kernel with CONFIG_KEXEC_FILE=y"};

const std::string kSignHint =
	"sign it with a key the kernel trusts (sbsign), or enroll its certificate "
	"in the kernel's trusted, secondary or platform keyring";

std::string mib(unsigned long v)
{
	return std::to_string(v >> 20) + " MiB";
}

// An unload (KEXEC_FILE_UNLOAD) reads no image: only the permission
// checks of kexec_file_load() and the kexec lock can refuse it
Explained explain_unload_errno(int err, const ErrnoContext &c)
{
	const std::string kind = c.crash ? "kexec_load_limit_panic" : "kexec_load_limit_reboot";

	switch (err) {
	case EPERM:
		if (!c.perm.cap_sys_boot)
			return {"not permitted: unloading a kernel needs CAP_SYS_BOOT", "run it as root"};
		if (c.perm.load_disabled)
			return {"not permitted: kexec is disabled (/proc/sys/kernel/kexec_load_disabled is 1), "
				"unloading too", "it stays disabled until reboot"};
		if (c.perm.no_loads_left[c.crash])
			return {"not permitted: no kexec loads left (/proc/sys/kernel/" + kind +
				" is 0), and an unload counts as one", "the limit only goes down until reboot"};
		return {"unloading not permitted (no CAP_SYS_BOOT, kexec_load_disabled, or " + kind + ")",
			"dmesg may say which"};
	case EBUSY:
		return {"cannot unload now: a kexec load or unload is in progress", "retry when it has finished"};
	case ENOSYS:
		return kNoKexecFileLoad;
	default:
		return {std::string("unloading failed: ") + std::strerror(err), "dmesg may say why"};
	}
}

} // namespace

PermissionState PermissionState::read(const std::string &root)
{
	PermissionState p;
	__user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	__user_cap_data_struct data[2] = {};

	if (!syscall(SYS_capget, &hdr, data))
		p.cap_sys_boot = data[CAP_TO_INDEX(CAP_SYS_BOOT)].effective & CAP_TO_MASK(CAP_SYS_BOOT);
	try {
		auto d = read_file(root + "/proc/sys/kernel/kexec_load_disabled", 64);
		p.load_disabled = !d.empty() && d[0] == '1';
	} catch (const Error &) {
	}
	// kexec_load_limit_{reboot,panic} (6.6 on): -1 unlimited, else the
	// loads left
	for (int crash = 0; crash < 2; crash++) {
		try {
			auto l = read_file(root + (crash ? "/proc/sys/kernel/kexec_load_limit_panic"
							 : "/proc/sys/kernel/kexec_load_limit_reboot"), 64);
			p.no_loads_left[crash] = !l.empty() && l[0] == '0';
		} catch (const Error &) {
		}
	}
	try {
		auto st = read_file(root + "/proc/kexec_pe/status", 4096);
		std::string t(st.begin(), st.end());
		p.require_manifest = t.find("\nrequire_manifest: 1") != std::string::npos;
		p.sig_enforced = t.find("\nsig_enforced: 1") != std::string::npos;
	} catch (const Error &) {
	}
	try {
		auto l = read_file(root + "/sys/kernel/security/lockdown", 256);
		std::string t(l.begin(), l.end());
		auto a = t.find('['), b = t.find(']');
		if (a != std::string::npos && b > a)
			p.lockdown = t.substr(a + 1, b - a - 1);
		if (p.lockdown == "none")
			p.lockdown.clear();
	} catch (const Error &) {
	}
	return p;
}

namespace {

// The signature check of the image
std::optional<Explained> explain_signature_errno(int err, const ErrnoContext &c)
{
	const bool has_parser = c.has_parser;

	switch (err) {
	case ENODATA:
		if (has_parser)
			return Explained{"not signed, or, with signatures enforced, the kernel inside it is not",
				kSignHint + "; a UKI's .linux must be signed too"};
		return Explained{"not signed, and the kernel requires a signature", kSignHint};
	case ENOKEY:
		return Explained{"signature not trusted: not signed by a key in the kernel's trusted, "
			"secondary or platform keyrings",
			"enroll the signing certificate or sign with a trusted key"};
	case EKEYREJECTED:
		// after the parser ran: its results are not what the manifest pins
		if (has_parser && c.notified)
			return Explained{"what the parser produced is not what the image's manifest pins: a program "
				"other than the image's parser ran (a compromised loader or libbpf registered "
				"another one)",
				"dmesg names the result; /proc/kexec_pe/status names the programs that ran: "
				"reinstall kexec-pe and libbpf from a trusted source"};
		if (has_parser && !c.perm.lockdown.empty())
			return Explained{"signature rejected: the image does not match its signature (changed after "
				"signing), or the kernel its parser produced has no signature check on this "
				"architecture (CONFIG_KEXEC_IMAGE_VERIFY_SIG)", "dmesg says which"};
		return Explained{"signature rejected: the image does not match its signature (changed after signing)",
			"get an intact copy, or sign it again"};
	case EKEYEXPIRED:
		return Explained{"the signing key or certificate has expired", kSignHint};
	case EBADMSG:
		if (has_parser)
			return Explained{"corrupt data: the signature cannot be parsed, or a compressed kernel in the image is damaged",
				"get an intact copy of the image"};
		return Explained{"the signature cannot be parsed", "sign the image again"};
	default:
		return std::nullopt;
	}
}

// Permission: the caller, kexec's sysctls, lockdown, IMA, the manifest
std::optional<Explained> explain_permission_errno(int err, const ErrnoContext &c)
{
	const bool has_parser = c.has_parser, crash = c.crash;

	switch (err) {
	case EPERM:
		// kexec_file_load(): no CAP_SYS_BOOT, kexec_load_disabled, or
		// lockdown refusing an image whose signature failed
		// (CONFIG_KEXEC_SIG_FORCE returns the verification's errno)
		if (!c.perm.cap_sys_boot)
			return Explained{"not permitted: loading a kernel needs CAP_SYS_BOOT", "run it as root"};
		if (c.perm.load_disabled)
			return Explained{"not permitted: kexec loading is disabled (/proc/sys/kernel/kexec_load_disabled is 1)",
				"it stays disabled until reboot"};
		if (c.perm.no_loads_left[crash])
			return Explained{std::string("not permitted: no kexec loads left (/proc/sys/kernel/") +
				(crash ? "kexec_load_limit_panic" : "kexec_load_limit_reboot") + " is 0)",
				"the limit only goes down until reboot"};
		// an image without a manifest: refused for that after its
		// signature verified, or for its signature (the same EPERM
		// under lockdown); only require_manifest without enforcement
		// says which
		if (has_parser && c.has_manifest == false && c.image_signed != false &&
		    !c.perm.enforced() && c.perm.require_manifest)
			return Explained{"refused: the image has no .kexecmf manifest, which "
				"the sysctl kernel.kexec_pe.require_manifest requires: what its parser produces "
				"would not be pinned by its signature",
				"rebuild it with `kexec-pe embed` (which writes the manifest) and sign it again"};
		if (has_parser && c.has_manifest == false && c.image_signed != false &&
		    c.perm.enforced())
			return Explained{std::string("refused by ") +
				(c.perm.lockdown.empty() ? "enforced signatures"
							 : "lockdown (" + c.perm.lockdown + ")") +
				": the image's signature did not verify, or it has no .kexecmf manifest, "
				"which enforced signatures require",
				"dmesg says which; enroll the signing certificate or get an intact copy, or "
				"rebuild the image with `kexec-pe embed` (which writes the manifest) and sign it again"};
		if (!c.perm.lockdown.empty() && c.image_signed == false)
			return Explained{"refused by lockdown (" + c.perm.lockdown + "): the image is not signed", kSignHint};
		if (!c.perm.lockdown.empty())
			return Explained{"refused by lockdown (" + c.perm.lockdown + "): the image's signature did not "
				"verify: a key the kernel does not trust, or the image changed after signing",
				"dmesg says which; enroll the signing certificate, or get an intact copy"};
		return Explained{"not permitted (no CAP_SYS_BOOT, kexec_load_disabled, or lockdown refused the "
			"image's signature)", "dmesg says which"};
	case EACCES:
		// after the parser ran: it named bytes the signature does not cover
		if (has_parser && c.notified)
			return Explained{"the image's parser asked the kernel to load or decompress bytes the image's "
				"signature does not cover (the certificate table, or a gap between sections): "
				"a damaged or forged image",
				"dmesg names the range; get an intact copy of the image"};
		return Explained{"refused by the security policy (IMA appraisal or an LSM)",
			"see the audit log or dmesg for the policy rule"};
	default:
		return std::nullopt;
	}
}

// The handshake with the loader, and the files handed over
std::optional<Explained> explain_session_errno(int err, const ErrnoContext &c)
{
	switch (err) {
	case EBUSY:
		return Explained{"another kexec load or unload is in progress, or a file is still being handed "
			"over to this process's registration", "retry when it has finished"};
	case EPROTO:
		return Explained{"the image's parser did not apply an addon or side-car file handed over to it "
			"(it takes none, or only some)",
			"dmesg names the file; load with --no-addons"};
	case EPROTONOSUPPORT:
		return Explained{"the image's parser is built for a newer version of the kexec_pe ABI than "
			"this kernel's",
			"boot a kernel as new as the image, or use an image built for this kernel"};
	case ESRCH:
		return Explained{"the kernel found a .bpf parser that kexec-pe did not (its PE reader and the "
			"kernel's disagree), so no loader was registered",
			"please report it with kexec-pe inspect's output"};
	case ETIMEDOUT:
		return Explained{"the parser was not registered within the handshake timeout",
			"the wait is the smaller of --timeout and the sysctl kernel.kexec_pe.timeout_ms: "
			"raise both to wait longer; -d shows which step was slow"};
	case ECANCELED:
		return Explained{"the handshake was cancelled: the loader ended its registration",
			"see the message above for why the loader gave up"};
	case EINTR:
		return Explained{"interrupted by a fatal signal; nothing was loaded", "run it again"};
	case ENOLINK:
		return Explained{"no parser ran: the loader signalled, but had no parser registered "
			"(struct kexec_pe_parser_ops), or the parser called no kexec kfunc",
			"run it again with -d"};
	case EXDEV:
		return Explained{"an addon is for another kernel: its .uname is not the image's",
			"remove it, or use the addon built for this image's kernel"};
	case ERANGE:
		return Explained{"the command line selects a profile (@N at its start) that the image, or its "
			"manifest, does not have",
			"kexec-pe inspect lists the image's profiles; select one with --profile N|ID"};
	case ENOENT:
		return Explained{"the image's parser asked for an addon or side-car file that kexec-pe did not hand over",
			"dmesg names it; kexec-pe hands over the files it finds and those given with --addon"};
	default:
		return std::nullopt;
	}
}

// What the kernel, its decompressors and the architecture's loader say of
// the image and of what its parser produced
std::optional<Explained> explain_image_errno(int err, const ErrnoContext &c)
{
	const bool has_parser = c.has_parser, crash = c.crash;

	switch (err) {
	case ENOEXEC:
		if (has_parser)
			return Explained{"the kernel its parser produced is not one this architecture's loader accepts",
				"the image was built for another architecture, or its parser is wrong"};
		return Explained{"not a kernel image this kernel can load",
			"check the architecture; a UKI or EFI zboot image needs a kernel with "
			"CONFIG_KEXEC_PE_BPF and a .bpf parser in the image (kexec-pe inspect shows it)"};
	case EINVAL:
		// a command line given for an image that carries its own: under
		// enforcement the image's boots, so the kernel refuses the load
		// before the parser is exposed
		if (has_parser && c.cmdline_given && c.pins_cmdline == true && !c.notified &&
		    c.perm.enforced())
			return Explained{std::string("refused: ") +
				(c.perm.lockdown.empty() ? "signatures are enforced"
							 : "lockdown (" + c.perm.lockdown + ") enforces signatures") +
				", and the image carries its own command line (its manifest pins one), "
				"which is the one that boots: the command line given would not be used",
				"load it without --append, --command-line or --reuse-cmdline; add to its "
				"command line with a signed addon"};
		if (has_parser)
			return Explained{"invalid: the command line the parser produced holds a NUL, or the "
				"architecture's loader refused the kernel the parser produced",
				"dmesg says which; the image's parser or its .linux is wrong"};
		return Explained{"the kernel refused the image or its arguments as invalid",
			"on arm64 this is the Image loader refusing a file that is not an Image; "
			"kexec-pe inspect shows what the file is"};
	case ELIBBAD:
		return Explained{"malformed PE image: its headers or section table are inconsistent, a section lies "
			"outside the file, or .bpf is not a BPF ELF object",
			"the file is damaged or was built by a broken tool; kexec-pe inspect shows where"};
	case ENOMSG:
		return Explained{"the image's parser produced no kernel", "the image holds no kernel its parser understands"};
	case EOPNOTSUPP:
		if (has_parser)
			return Explained{"the image's compressed kernel uses a codec its parser does not know, or one "
				"this kernel was built without", "kexec-pe inspect shows the codec; boot a kernel "
				"with that decompressor, or get an image made with gzip or zstd"};
		return Explained{"a feature the image needs is not in this kernel (a decompressor, or kexec for this kind of image)",
			"boot a kernel with the decompressor of the image's codec"};
	case EFBIG:
		return Explained{"a compressed kernel expands beyond the size its header records (a decompression "
			"bomb or a corrupt image)", "get an intact copy of the image"};
	case E2BIG:
		return Explained{"too large: a result of the parser or the .bpf section is over its limit (kernel " +
			mib(KEXEC_PE_KERNEL_MAX) + ", initrd " + mib(KEXEC_PE_INITRD_MAX) +
			", command line " + std::to_string(KEXEC_PE_CMDLINE_MAX >> 10) +
			" KiB, .bpf " + mib(KEXEC_PE_BPF_MAX) + ", " +
			std::to_string(KEXEC_PE_SUPPLEMENTS_MAX) + " addons and side-car files of " +
			mib(KEXEC_PE_SUPPLEMENTS_TOTAL_MAX) + " together)",
			"use a smaller initrd or fewer addons"};
	case ENOMEM:
		return Explained{"out of memory (charged to this process's memory cgroup)",
			"free memory or raise the cgroup's memory.max"};
	case EADDRNOTAVAIL:
		if (crash)
			return Explained{"no room for the crash kernel: no crash kernel memory is reserved, or it is too small",
				"boot with (a larger) crashkernel="};
		return Explained{"no room in memory for the kernel's segments (the architecture's loader placed "
			"them where memory is not available: not a kernel it loads, or too large)",
			"check that the image is a kernel for this machine"};
	case ENOSYS:
		return kNoKexecFileLoad;
	default:
		return std::nullopt;
	}
}

} // namespace

Explained explain_kexec_errno(int err, const ErrnoContext &c)
{
	// the kernel checks addons and side-car files as they are handed over
	// (explain_hand_over_errno()): a load's signature errors are the image's
	if (c.unload)
		return explain_unload_errno(err, c);
	for (auto explain : {explain_signature_errno, explain_permission_errno, explain_session_errno,
			     explain_image_errno})
		if (auto e = explain(err, c))
			return *e;
	return {"the kernel refused the image", "dmesg may say why"};
}

Explained explain_hand_over_errno(int err)
{
	const std::string kinds = "a UKI addon (a PE file) or a side-car file (*.cred, *.sysext.raw, "
				  "*.confext.raw)";

	switch (err) {
	case ENODATA:
		return {"not signed (an addon needs a PE signature, a side-car file an appended one)",
			kSignHint + "; sign a side-car file as a kernel module is signed (scripts/sign-file)"};
	case ENOKEY:
		return {"signature not trusted: not signed by a key in the kernel's trusted, secondary "
			"or platform keyrings", "enroll the signing certificate or sign with a trusted key"};
	case EKEYREJECTED:
		return {"signature rejected: the file does not match its signature (changed after signing)",
			"get an intact copy, or sign it again"};
	case EKEYEXPIRED:
		return {"the signing key or certificate has expired", kSignHint};
	case EBADMSG:
		return {"its signature cannot be parsed, or its .cmdline holds a NUL", "sign it again"};
	case ELIBBAD:
		return {"malformed PE file: inconsistent headers or section table, or a section "
			"outside the file", "kexec-pe inspect shows where"};
	case EMEDIUMTYPE:
		return {"it has a .linux section: a kernel image, not an addon",
			"remove it from the addon directories, or load it as the image"};
	case EOPNOTSUPP:
		return {"a devicetree addon (.dtb or .dtbauto): kexec boots with the running kernel's "
			"devicetree", "remove it from the addon directories"};
	case ENOMSG:
		return {"an addon with nothing to apply (no .cmdline, .initrd or .ucode)",
			"remove it from the addon directories"};
	case EINVAL:
		return {"neither " + kinds, "remove it from the addon directories, or rename it"};
	case EFBIG:
		return {"over " + mib(KEXEC_PE_SUPPLEMENT_MAX) + ", the most the kernel takes",
			"remove it from the addon directories"};
	case E2BIG:
		return {"the addons and side-car files are over " + mib(KEXEC_PE_SUPPLEMENTS_TOTAL_MAX) +
			" together", "remove some, or load with --no-addons"};
	case EEXIST:
		return {"named twice", "give each addon or side-car file once"};
	case ENOSPC:
		return {"more addons and side-car files than the kernel takes (" +
			std::to_string(KEXEC_PE_SUPPLEMENTS_MAX) + ")", "remove some, or load with --no-addons"};
	case EACCES:
		return {"refused by the security policy (IMA appraisal of KEXEC_INITRAMFS_CHECK, or an LSM)",
			"see the audit log or dmesg for the policy rule"};
	default:
		return {std::string("the kernel refused the file: ") + std::strerror(err),
			"dmesg names the file and the cause; a kernel without KEXEC_PE_IOC_ADD_FILE "
			"takes no addons: load with --no-addons"};
	}
}


Error load_error(const LoadRequest &req, const LoadOutcome &out, const PermissionState &perm)
{
	const int err = out.kexec_errno;

	// The loader thread's failure comes first when it caused the kernel's
	// (which then only says that the handshake ended), not when it came
	// after the kernel gave up for a reason of its own
	if (out.loader_error && out.loader_failed_first) {
		const Error &le = *out.loader_error;
		return Error(le.code(), le.object(), le.what_failed(),
			     le.hint().empty() ? "the load was cancelled (" + errno_name(err) + ")"
					       : le.hint());
	}
	ErrnoContext c;
	c.has_parser = out.has_parser;
	c.crash = req.crash;
	c.image_signed = out.image_signed;
	c.has_manifest = out.has_manifest;
	c.pins_cmdline = out.pins_cmdline;
	c.cmdline_given = req.cmdline && !req.cmdline->empty();
	c.notified = out.notified;
	c.perm = perm;
	Explained e = explain_kexec_errno(err, c);
	return Error(err, req.image, e.what, e.hint);
}

} // namespace kexecpe
