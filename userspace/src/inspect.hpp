// SPDX-License-Identifier: GPL-2.0
// kexec-pe inspect: what an image holds, without loading anything.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace kexecpe {

// --json=MODE, as systemd's tools: off (text), short (one line), pretty
enum class JsonMode { Off, Short, Pretty };

// The report on @bytes (named @name), human-readable or JSON. Throws Error
// for a file that is not PE or is malformed (ENOEXEC, ELIBBAD); a .bpf
// section libbpf cannot open is reported in the output, not thrown.
std::string inspect(std::span<const std::uint8_t> bytes, const std::string &name, JsonMode json);

} // namespace kexecpe
