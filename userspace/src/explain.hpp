// SPDX-License-Identifier: GPL-2.0
// What a failed kexec_file_load() means, for a person: one line that names
// the file, what was wrong and what to do. The errnos are those of
// kexec_file_load() and of Documentation/admin-guide/kexec-pe-bpf.rst.
#pragma once

#include "error.hpp"
#include "session.hpp"

namespace kexecpe {

struct Explained {
	std::string what, hint;
};

// What an EPERM can come from, read when it happened
struct PermissionState {
	bool cap_sys_boot = true;	// the caller has CAP_SYS_BOOT
	bool load_disabled = false;	// /proc/sys/kernel/kexec_load_disabled
	bool no_loads_left[2] = {};	// kexec_load_limit_{reboot,panic} is 0
	std::string lockdown;		// "integrity", "confidentiality" or ""
	bool require_manifest = false;	// kernel.kexec_pe.require_manifest is 1
	bool sig_enforced = false;	// /proc/kexec_pe/status says so
	// of this process (capget) and kernel: the files under @root
	// (/proc/sys/kernel/kexec_*, /proc/kexec_pe/status,
	// /sys/kernel/security/lockdown); another @root for tests
	static PermissionState read(const std::string &root = "");
	// signatures are enforced: by lockdown, or as the status says
	bool enforced() const { return !lockdown.empty() || sig_enforced; }
};

struct ErrnoContext {
	bool has_parser = false;	// the image has a .bpf section
	bool crash = false;		// a kdump load
	bool unload = false;		// an unload (KEXEC_FILE_UNLOAD), not a load
	std::optional<bool> image_signed;	// a PE with a certificate table
	std::optional<bool> has_manifest;	// a .kexecmf section
	std::optional<bool> pins_cmdline;	// its manifest pins a command line
	bool cmdline_given = false;	// a command line was passed
	bool notified = false;		// the kernel exposed the parser
	PermissionState perm;
};

Explained explain_kexec_errno(int err, const ErrnoContext &c);

// Why the kernel refused an addon or side-car file handed over to the
// registration (KEXEC_PE_IOC_ADD_FILE): it reads and checks each there
Explained explain_hand_over_errno(int err);

// The error a failed load reports: the loader thread's own failure when
// it caused the kernel's, else the kernel's errno explained
Error load_error(const LoadRequest &req, const LoadOutcome &out,
		 const PermissionState &perm = {});

} // namespace kexecpe
