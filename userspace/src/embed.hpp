// SPDX-License-Identifier: GPL-2.0
// Add or replace one section of a PE image, moving nothing else when the
// header area has room for another section header (zeros, or padding no
// data directory points at): every existing section keeps its file
// offset, size and address, and an EFI zboot header (which points at its
// payload by file offset) stays true. When the header area is full, the
// sections' data move by whole FileAlignment units to make room, and what
// points at file offsets moves with them; addresses in memory never move.
// The certificate table is dropped: any signature was over the old
// contents. Sign the result again (sbsign). So is a COFF symbol table
// (deprecated in images; objcopy leaves one), and other bytes after the
// sections' data move after a new section: a signature covers every byte.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kexecpe {

struct EmbedResult {
	std::vector<std::uint8_t> image;
	bool replaced = false;		// the section existed
	bool dropped_signature = false;
	bool dropped_symbols = false;	// a COFF symbol table after the sections
	std::uint32_t moved = 0;	// the sections' data moved this far, for room
	std::uint32_t offset = 0;	// of the section's data in the file
};

// Throws Error: ELIBBAD/ENOEXEC for a bad image, ENOSPC when no room can
// be made for another section header (a bzImage; bytes after the section
// table in use; headers that would reach the first section in memory) or
// to grow a section that is not the last one, EINVAL for a name longer than 8 bytes.
// With @always_add, the section is added after the others even when the image
// has one of that name (a multi-profile UKI's .profile and the sections
// that follow it), never replaced.
EmbedResult embed_section(std::span<const std::uint8_t> image, std::string_view image_name,
			  std::string_view section, std::span<const std::uint8_t> content,
			  bool always_add = false);

} // namespace kexecpe
