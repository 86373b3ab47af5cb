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

// @has_parser: the image has a .bpf section; @crash: a kdump load;
// @image_signed: whether the image carries a signature, when known
Explained explain_kexec_errno(int err, bool has_parser, bool crash,
			      std::optional<bool> image_signed = std::nullopt);

// The error a failed load reports: the loader thread's own failure when
// it caused the kernel's, else the kernel's errno explained
Error load_error(const LoadRequest &req, const LoadOutcome &out);

} // namespace kexecpe
