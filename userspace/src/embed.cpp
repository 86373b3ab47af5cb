// SPDX-License-Identifier: GPL-2.0
#include "embed.hpp"

#include "error.hpp"
#include "pe.hpp"

#include <algorithm>
#include <cstring>

namespace kexecpe {

namespace {

constexpr unsigned kCertDir = 4;
constexpr std::uint32_t kDataCharacteristics = 0x40000040;	// INITIALIZED_DATA | MEM_READ

std::uint64_t align_up(std::uint64_t v, std::uint32_t a)
{
	return a ? (v + a - 1) / a * a : v;
}

// What embed writes over or after must belong to no other part: every
// section's raw data inside the file (before the certificate table), none
// overlapping another or the headers. Readers tolerate more (the kernel's
// reader only needs the data it reads); a writer that moves nothing must
// not guess.
void check_layout(const PeImage &pe, const std::string &obj)
{
	const std::uint64_t limit = pe.cert_table_size() ? pe.cert_table_offset() : pe.bytes().size();
	const std::uint64_t headers_end = pe.section_table_offset() + 40 * pe.sections().size();
	const auto &secs = pe.sections();

	// the signature is dropped by cutting the file where it starts: it
	// must start after every header
	if (pe.cert_table_size() &&
	    pe.cert_table_offset() < std::max<std::uint64_t>(headers_end, pe.size_of_headers()))
		throw Error(ELIBBAD, obj, "the certificate table (at " + std::to_string(pe.cert_table_offset()) +
			    ") lies over the headers", "cannot drop the signature without losing the headers");

	for (std::size_t i = 0; i < secs.size(); i++) {
		const Section &s = secs[i];
		const std::uint64_t end = std::uint64_t{s.raw_offset} + s.raw_size;

		if (!s.raw_size)
			continue;
		if (end > limit || s.raw_offset < headers_end)
			throw Error(ELIBBAD, obj, "section " + s.name + " (" + std::to_string(s.raw_size) +
				    " bytes at " + std::to_string(s.raw_offset) + ") lies " +
				    (end > limit ? "past the end of the image data" : "over the headers"),
				    "cannot rewrite this image without moving data");
		for (std::size_t j = i + 1; j < secs.size(); j++) {
			const Section &t = secs[j];
			if (t.raw_size && t.raw_offset < end && s.raw_offset < std::uint64_t{t.raw_offset} + t.raw_size)
				throw Error(ELIBBAD, obj, "sections " + s.name + " and " + t.name + " overlap in the file",
					    "cannot rewrite this image without moving data");
		}
	}
}

// Where the next section (by address) after @s starts: @s must not grow
// past it
std::uint64_t next_va(const PeImage &pe, const Section &s)
{
	std::uint64_t next = UINT64_MAX;

	for (const Section &t : pe.sections())
		if (t.virtual_address > s.virtual_address)
			next = std::min<std::uint64_t>(next, t.virtual_address);
	return next;
}

} // namespace

EmbedResult embed_section(std::span<const std::uint8_t> in, std::string_view name,
			  std::string_view section, std::span<const std::uint8_t> content)
{
	const std::string obj(name);
	const PeImage pe = PeImage::parse(in, name);
	EmbedResult r;

	if (section.empty() || section.size() > 8)
		throw Error(EINVAL, obj, "section name '" + std::string(section) +
			    "' is not 1 to 8 bytes");
	if (content.empty())
		throw Error(EINVAL, obj, "empty content for section " + std::string(section),
			    "a section of VirtualSize 0 is read as its SizeOfRawData");
	if (content.size() > 0x7fffffff)
		throw Error(EFBIG, obj, "section content of " + std::to_string(content.size()) + " bytes");
	check_layout(pe, obj);
	const std::uint32_t falign = pe.file_alignment(), salign = pe.section_alignment();
	auto pow2 = [](std::uint32_t v) { return v && !(v & (v - 1)); };
	// the PE specification: FileAlignment 512..64K (EFI images use less),
	// SectionAlignment at least that
	if (!pow2(falign) || falign > 0x10000 || !pow2(salign) || salign < falign)
		throw Error(ELIBBAD, obj, "FileAlignment " + std::to_string(falign) + ", SectionAlignment " +
			    std::to_string(salign) + ": not powers of two with 1 <= file <= section, file <= 64 KiB",
			    "cannot place a section in this image");

	std::vector<std::uint8_t> &out = r.image;
	out.assign(in.begin(), in.end());

	// Drop the signature: the certificate table is not in a section and
	// is normally last in the file (sbsign, pesign put it there).
	if (pe.cert_table_size()) {
		std::uint64_t end = std::uint64_t{pe.cert_table_offset()} + pe.cert_table_size();
		if (align_up(end, 8) < out.size())
			throw Error(ELIBBAD, obj, "the certificate table is not at the end of the file",
				    "cannot drop the signature without moving data");
		out.resize(pe.cert_table_offset());
		r.dropped_signature = true;
	}
	if (auto d = pe.data_directory_offset(kCertDir)) {
		put_le32(out, *d, 0);
		put_le32(out, *d + 4, 0);
	}
	put_le32(out, pe.optional_header_offset() + 64, 0);	// CheckSum

	// Where the sections end, in the file and in memory (the headers are
	// mapped first: no section below SizeOfHeaders)
	std::uint64_t file_end = 0, mem_end = pe.size_of_headers(), first_raw = UINT64_MAX;
	const Section *last_file = nullptr;
	for (const Section &s : pe.sections()) {
		if (s.raw_size) {
			first_raw = std::min<std::uint64_t>(first_raw, s.raw_offset);
			if (std::uint64_t{s.raw_offset} + s.raw_size >= file_end) {
				file_end = std::uint64_t{s.raw_offset} + s.raw_size;
				last_file = &s;
			}
		}
		mem_end = std::max<std::uint64_t>(mem_end, std::uint64_t{s.virtual_address} +
						  std::max(s.virtual_size, s.raw_size));
	}

	// A COFF symbol table (objcopy leaves one in a UKI; an image should
	// have none, and ukify strips it) is dropped with its string table.
	// Bytes after the last section's data (what a signature covers as
	// such) would lie between it and a new section, where no signature
	// covers them (sbsign: "gap in section table"): they move after it.
	const std::uint32_t symtab = le32(in, pe.pe_offset() + 12, "PointerToSymbolTable");
	const std::uint32_t nsyms = le32(in, pe.pe_offset() + 16, "NumberOfSymbols");
	if (symtab || nsyms) {
		const std::uint64_t syms_end = std::uint64_t{symtab} + 18ULL * nsyms;
		std::uint64_t end = syms_end;
		if (syms_end + 4 <= out.size())	// the string table's size, itself included
			end += std::max<std::uint32_t>(4, le32(out, syms_end, "string table size"));
		if (symtab && symtab >= file_end && end <= out.size()) {
			out.erase(out.begin() + symtab, out.begin() + end);
			r.dropped_symbols = true;
		}
		put_le32(out, pe.pe_offset() + 12, 0);
		put_le32(out, pe.pe_offset() + 16, 0);
	}
	std::vector<std::uint8_t> trailing;

	const Section *old = pe.find(section);
	if (old && std::count_if(pe.sections().begin(), pe.sections().end(),
				 [&](const Section &s) { return s.name == section; }) > 1)
		throw Error(ELIBBAD, obj, "more than one " + std::string(section) + " section",
			    "which one a reader takes is undefined; rebuild the image");
	std::uint64_t raw_off, va;
	std::size_t hdr;
	if (old) {
		r.replaced = true;
		hdr = old->header_offset;
		const bool last_in_memory = std::uint64_t{old->virtual_address} +
			std::max(old->virtual_size, old->raw_size) == mem_end;
		if (old == last_file && last_in_memory &&
		    align_up(std::uint64_t{old->raw_offset} + old->raw_size, 8) >= out.size()) {
			// the last section: rewrite it with the new size
			out.resize(old->raw_offset);
			raw_off = old->raw_offset;
			va = old->virtual_address;
		} else if (content.size() <= old->raw_size &&
			   std::uint64_t{old->virtual_address} + content.size() <= next_va(pe, *old)) {
			// elsewhere: in place, when it fits
			std::copy(content.begin(), content.end(), out.begin() + old->raw_offset);
			std::fill(out.begin() + old->raw_offset + content.size(),
				  out.begin() + old->raw_offset + old->raw_size, 0);
			put_le32(out, hdr + 8, content.size());
			r.offset = old->raw_offset;
			return r;
		} else {
			throw Error(ENOSPC, obj, "section " + std::string(section) + " (" +
				    std::to_string(old->raw_size) + " bytes) is not the last one and the new content (" +
				    std::to_string(content.size()) + " bytes) does not fit in it",
				    "embed into the image the section was not yet added to");
		}
	} else {
		// a new header after the last one, in the space the headers have
		hdr = pe.section_table_offset() + 40 * pe.sections().size();
		// the slot must be unused: inside the headers, before any
		// section's data, all zeros, and clear of an x86 boot setup
		// header (the bzImage's "HdrS" at 0x202, fields from 0x1f1)
		std::uint64_t room = std::min<std::uint64_t>(pe.size_of_headers(), first_raw);
		if (in.size() >= 0x206 && !std::memcmp(&in[0x202], "HdrS", 4))
			room = std::min<std::uint64_t>(room, 0x1f1);
		bool zeros = hdr + 40 <= in.size() &&
			     std::all_of(in.begin() + hdr, in.begin() + hdr + 40, [](std::uint8_t b) { return !b; });
		if (hdr + 40 > room || !zeros)
			throw Error(ENOSPC, obj, "no room for another section header (the header area ends at " +
				    std::to_string(std::min<std::uint64_t>(room, in.size())) +
				    (zeros ? "" : "; the bytes after the section table are in use") + ")",
				    "rebuild the image with room for one more section");
		if (pe.sections().size() + 1 > kMaxSections)
			throw Error(ENOSPC, obj, "already " + std::to_string(pe.sections().size()) + " sections");
		// after the sections, the new header included (it may extend
		// a file whose headers end at its section table); the bytes
		// after the sections follow it
		if (out.size() > file_end && file_end >= std::uint64_t{hdr} + 40) {
			trailing.assign(out.begin() + file_end, out.end());
			out.resize(file_end);
		}
		raw_off = align_up(std::max({std::uint64_t{out.size()}, file_end, std::uint64_t{hdr} + 40}),
				   falign);
		va = align_up(mem_end, salign);
		put_le16(out, pe.pe_offset() + 6, pe.sections().size() + 1);
	}

	const std::uint64_t raw_size = align_up(content.size(), falign);
	if (raw_off + raw_size > 0xffffffff || va + raw_size > 0xffffffff)
		throw Error(EFBIG, obj, "the image would be larger than 4 GiB");
	out.resize(raw_off, 0);
	out.insert(out.end(), content.begin(), content.end());
	out.resize(raw_off + raw_size, 0);
	out.insert(out.end(), trailing.begin(), trailing.end());

	std::fill(out.begin() + hdr, out.begin() + hdr + 40, 0);
	std::copy(section.begin(), section.end(), out.begin() + hdr);
	put_le32(out, hdr + 8, content.size());		// VirtualSize
	put_le32(out, hdr + 12, va);			// VirtualAddress
	put_le32(out, hdr + 16, raw_size);		// SizeOfRawData
	put_le32(out, hdr + 20, raw_off);		// PointerToRawData
	put_le32(out, hdr + 36, old ? old->characteristics : kDataCharacteristics);
	// SizeOfImage covers the new section
	put_le32(out, pe.optional_header_offset() + 56,
		 std::max<std::uint64_t>(pe.size_of_image(), align_up(va + content.size(), salign)));
	r.offset = raw_off;
	return r;
}

} // namespace kexecpe
