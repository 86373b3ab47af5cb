// SPDX-License-Identifier: GPL-2.0
// The manifest (.kexecmf, include/uapi/linux/kexec_pe.h): what the image's
// parser must produce from it, byte for byte. `embed` computes it from
// the image as the project's parser (bpf-progs/) reads it; the kernel
// checks the parser's results against it and refuses any difference, so
// that a loader which attached another program cannot change what boots.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pe.hpp"
#include "sha256.hpp"

namespace kexecpe {

// Profile: the start of a profile's parts (offset: its number); dst 0.
// Decompressed: the kernel's own decompression of a range of the image
// (offset, stream_length) by codec, length bytes: the kernel knows it by
// the request that made it, and neither reads nor hashes it.
enum class PartKind : std::uint32_t { Image = 1, Zero = 2, Digest = 3, Profile = 4, Decompressed = 5 };

struct ManifestPart {
	std::uint32_t dst = 0;		// KEXEC_PE_DST_*
	PartKind kind = PartKind::Image;
	std::uint64_t offset = 0;	// Image, Decompressed: in the image
	std::uint64_t length = 0;
	Digest sha256{};		// Digest
	std::uint64_t stream_length = 0;	// Decompressed
	std::string codec;		// Decompressed: the kernel's name, at most 8 bytes
};

std::vector<std::uint8_t> serialize_manifest(std::span<const ManifestPart> parts);

// Throws Error(ELIBBAD) naming @name for what the kernel would refuse
// (magic, version, flags, counts, a part it cannot check, a range past
// @image_size, profiles out of order or pinning no kernel).
std::vector<ManifestPart> parse_manifest(std::span<const std::uint8_t> section,
					 std::uint64_t image_size, std::string_view name);

// What the project's parser produces from @pe: a UKI (.linux, maybe an
// EFI zboot image itself; .ucode and .initrd padded to 4 bytes, then a
// cpio archive of .pcrsig, .pcrpkey, .osrel and the profile's .profile
// as systemd-stub's /.extra files; .cmdline without trailing NULs and
// white space) or an EFI zboot image (the
// decompressed payload). A multi-profile UKI gets each profile's parts,
// each after a Profile part. Throws Error: ENOMSG for neither, EOPNOTSUPP
// for a codec kexec-pe cannot decompress here, ELIBBAD/EBADMSG for what
// the parser would refuse.
std::vector<ManifestPart> compute_manifest(const PeImage &pe);

// "kernel", "initrd", "command line"
std::string_view dst_name(std::uint32_t dst) noexcept;

// Decompress an EFI zboot payload as the kernel does (gzip, zstd); the
// result must be @expect bytes.
std::vector<std::uint8_t> decompress_payload(std::span<const std::uint8_t> in,
					     std::string_view codec, std::uint64_t expect,
					     std::string_view name);

} // namespace kexecpe
