// SPDX-License-Identifier: GPL-2.0
// The one error type of kexec-pe: an errno, the object it concerns (a file,
// a section, a procfs path), what went wrong, and what the user can do.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kexecpe {

class Error : public std::runtime_error {
public:
	// object: "uki.efi", "uki.efi: section .bpf", "/proc/kexec_pe/loader"
	// what:   "signature rejected", "read failed"
	// hint:   "enroll the signing certificate ...", may be empty
	Error(int err, std::string object, std::string what, std::string hint = {});

	int code() const noexcept { return err_; }
	const std::string &object() const noexcept { return object_; }
	const std::string &what_failed() const noexcept { return what_; }
	const std::string &hint() const noexcept { return hint_; }

private:
	int err_;
	std::string object_, what_, hint_;
};

// "<object>: <what> [<ERRNO>] (<hint>)" as one line, in systemd's manner
std::string format_error(int err, std::string_view object, std::string_view what,
			 std::string_view hint);

// The symbolic name of an errno ("EKEYREJECTED"), "E<n>" when unknown
std::string errno_name(int err);

// Throw Error(errno, ...) for a failed libc call; @what gets strerror()
[[noreturn]] void throw_errno(std::string object, std::string what, std::string hint = {});

} // namespace kexecpe
