// SPDX-License-Identifier: GPL-2.0
// A bounds-checked reader of PE/COFF images, as far as kexec-pe needs one:
// the section table, the certificate table (Authenticode signatures) and
// the EFI zboot header. Every offset and size is checked against the file
// before use; malformed input throws Error(ELIBBAD), a file that is not PE
// at all Error(ENOEXEC). The same limits as the kernel's reader
// (kernel/kexec_pe_coff.c): at most 96 sections, a section's data is
// VirtualSize bytes capped by SizeOfRawData.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kexecpe {

inline constexpr unsigned kMaxSections = 96;
// IMAGE_DIRECTORY_ENTRY_SECURITY: the certificate table (a file offset)
inline constexpr unsigned kCertDirectory = 4;

struct Section {
	std::string name;
	std::uint32_t virtual_size = 0;
	std::uint32_t virtual_address = 0;
	std::uint32_t raw_size = 0;		// SizeOfRawData
	std::uint32_t raw_offset = 0;		// PointerToRawData
	std::uint32_t characteristics = 0;
	std::size_t header_offset = 0;		// of its 40-byte header in the file
	// min(VirtualSize, SizeOfRawData) bytes at raw_offset (VirtualSize 0: raw)
	std::span<const std::uint8_t> data;
};

// drivers/firmware/efi/libstub/zboot-header.S
struct ZbootHeader {
	std::uint32_t payload_offset = 0;
	std::uint32_t payload_size = 0;
	std::string codec;			// "gzip", "zstd" (6.8 on; "zstd22",
						// "lz4", "lzma", "lzo", "xzkern" before)
	// for every codec but gzip, the le32 that follows the payload (not
	// counted in payload_size): the uncompressed size
	std::optional<std::uint32_t> uncompressed_size;
};

struct Certificate {
	std::uint32_t offset = 0;		// of the WIN_CERTIFICATE in the file
	std::uint32_t length = 0;		// dwLength
	std::uint16_t revision = 0;
	std::uint16_t type = 0;			// 2: PKCS#7 SignedData
};

class PeImage {
public:
	// @name names the image in errors. The bytes must outlive the PeImage.
	static PeImage parse(std::span<const std::uint8_t> bytes, std::string_view name);

	const std::string &name() const noexcept { return name_; }
	std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
	std::uint16_t machine() const noexcept { return machine_; }
	bool pe32plus() const noexcept { return pe32plus_; }
	std::size_t pe_offset() const noexcept { return pe_off_; }
	std::size_t optional_header_offset() const noexcept { return pe_off_ + 24; }
	std::uint16_t optional_header_size() const noexcept { return opt_size_; }
	std::size_t section_table_offset() const noexcept { return pe_off_ + 24 + opt_size_; }
	std::uint32_t file_alignment() const noexcept { return file_align_; }
	std::uint32_t section_alignment() const noexcept { return sect_align_; }
	std::uint32_t size_of_headers() const noexcept { return size_of_headers_; }
	std::uint32_t size_of_image() const noexcept { return size_of_image_; }
	// offset of data directory @i (8 bytes) in the file, if present
	std::optional<std::size_t> data_directory_offset(unsigned i) const noexcept;

	const std::vector<Section> &sections() const noexcept { return sections_; }
	const Section *find(std::string_view name) const noexcept;

	// The certificate table (data directory 4): where, how big, and what
	// it holds. Empty when the image is not signed.
	std::uint32_t cert_table_offset() const noexcept { return cert_off_; }
	std::uint32_t cert_table_size() const noexcept { return cert_size_; }
	const std::vector<Certificate> &certificates() const noexcept { return certs_; }
	bool signed_() const noexcept { return !certs_.empty(); }

	const std::optional<ZbootHeader> &zboot() const noexcept { return zboot_; }

	std::string machine_name() const;

private:
	std::string name_;
	std::span<const std::uint8_t> bytes_;
	std::uint16_t machine_ = 0, opt_size_ = 0;
	bool pe32plus_ = false;
	std::size_t pe_off_ = 0;
	std::uint32_t file_align_ = 0, sect_align_ = 0, size_of_headers_ = 0;
	std::uint32_t size_of_image_ = 0, nr_dirs_ = 0;
	std::uint32_t cert_off_ = 0, cert_size_ = 0;
	std::vector<Section> sections_;
	std::vector<Certificate> certs_;
	std::optional<ZbootHeader> zboot_;
};

// A profile of a multi-profile UKI (systemd 257 on). The sections before
// the first .profile section are the base; those after the N-th .profile
// (from 0) up to the next belong to profile N and replace the base's of
// the same name; .bpf and .kexecmf are the image's wherever they are. An
// image without .profile sections has one profile, 0: its base. systemd-stub (and the kernel, for kexec_file_load()) selects
// profile N with a command line that starts with "@N".
struct Profile {
	unsigned index = 0;
	std::string id;				// ID= of its .profile, if any
	std::string title;			// TITLE=, if any
	const Section *section = nullptr;	// its .profile; none without profiles
	std::vector<const Section *> own;	// its sections but .profile
};

// The profiles of @pe, in order (one, the base, without .profile sections)
std::vector<Profile> profiles(const PeImage &pe);

// The sections of @pe that profile @index uses, under @name: the
// profile's own when it has them, else the base's, in image order (more
// than one only in a malformed image). Throws Error(ENOENT) naming the
// image for a profile it lacks.
std::vector<const Section *> profile_sections(const PeImage &pe, unsigned index,
					      std::string_view name);

// The profile @spec names: its number, or the ID= of its .profile.
// Throws Error(ENOENT) listing the profiles when none matches.
unsigned select_profile(const PeImage &pe, std::string_view spec);

// Whether @bytes starts like a PE image ("MZ" and a "PE\0\0" it points to)
bool looks_like_pe(std::span<const std::uint8_t> bytes) noexcept;

// Whether the section table of the PE image @bytes names @section, read
// as laxly as the kernel's reader reads it: only the headers up to the
// table must be there, and the table as far as the file has it (at most
// kMaxSections entries). What PeImage::parse() refuses may still name it.
bool names_section(std::span<const std::uint8_t> bytes, std::string_view section) noexcept;

// The EFI zboot header at the start of @bytes (a whole image, or a UKI's
// .linux): "MZ", "zimg" at 4 and LINUX_PE_MAGIC at 0x38; nullopt without
// one. The codec is the NUL-terminated name in the 32 bytes at 0x18. Its
// payload is not checked against @bytes (PeImage::parse() does); the
// uncompressed size is read when the le32 after the payload is there.
std::optional<ZbootHeader> zboot_header(std::span<const std::uint8_t> bytes);

// Little-endian field access with bounds checks (throw Error(ELIBBAD))
std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t off, std::string_view name);
std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t off, std::string_view name);
void put_le16(std::span<std::uint8_t> b, std::size_t off, std::uint16_t v);
void put_le32(std::span<std::uint8_t> b, std::size_t off, std::uint32_t v);

} // namespace kexecpe
