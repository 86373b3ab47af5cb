// SPDX-License-Identifier: GPL-2.0
#include "embed.hpp"

#include "error.hpp"
#include "pe.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

namespace kexecpe {

namespace {

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

void check_arguments(const PeImage &pe, const std::string &obj, std::string_view section,
		     std::span<const std::uint8_t> content)
{
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
}

// Drop the signature: the certificate table is not in a section and is
// normally last in the file (sbsign, pesign put it there)
void drop_signature(const PeImage &pe, const std::string &obj, EmbedResult &r)
{
	std::vector<std::uint8_t> &out = r.image;

	if (pe.cert_table_size()) {
		std::uint64_t end = std::uint64_t{pe.cert_table_offset()} + pe.cert_table_size();
		if (align_up(end, 8) < out.size())
			throw Error(ELIBBAD, obj, "the certificate table is not at the end of the file",
				    "cannot drop the signature without moving data");
		out.resize(pe.cert_table_offset());
		r.dropped_signature = true;
	}
	if (auto d = pe.data_directory_offset(kCertDirectory)) {
		put_le32(out, *d, 0);
		put_le32(out, *d + 4, 0);
	}
	put_le32(out, pe.optional_header_offset() + 64, 0);	// CheckSum
}

// Where the sections end, in the file and in memory (the headers are
// mapped first: no section below SizeOfHeaders)
struct Extent {
	std::uint64_t file_end = 0, mem_end = 0, first_raw = UINT64_MAX;
	const Section *last_file = nullptr;	// whose data ends the file's
};

Extent extent_of(const PeImage &pe)
{
	Extent e;

	e.mem_end = pe.size_of_headers();
	for (const Section &s : pe.sections()) {
		if (s.raw_size) {
			e.first_raw = std::min<std::uint64_t>(e.first_raw, s.raw_offset);
			if (std::uint64_t{s.raw_offset} + s.raw_size >= e.file_end) {
				e.file_end = std::uint64_t{s.raw_offset} + s.raw_size;
				e.last_file = &s;
			}
		}
		e.mem_end = std::max<std::uint64_t>(e.mem_end, std::uint64_t{s.virtual_address} +
						    std::max(s.virtual_size, s.raw_size));
	}
	return e;
}

// A COFF symbol table (objcopy leaves one in a UKI; an image should have
// none, and ukify strips it) is dropped with its string table when it lies
// after the sections' data, and the COFF header no longer points at it
void drop_symbols(const PeImage &pe, std::span<const std::uint8_t> in, const Extent &x, EmbedResult &r)
{
	std::vector<std::uint8_t> &out = r.image;
	const std::uint32_t symtab = le32(in, pe.pe_offset() + 12, "PointerToSymbolTable");
	const std::uint32_t nsyms = le32(in, pe.pe_offset() + 16, "NumberOfSymbols");

	if (!symtab && !nsyms)
		return;
	const std::uint64_t syms_end = std::uint64_t{symtab} + 18ULL * nsyms;
	std::uint64_t end = syms_end;
	if (syms_end + 4 <= out.size())	// the string table's size, itself included
		end += std::max<std::uint32_t>(4, le32(out, syms_end, "string table size"));
	if (symtab && symtab >= x.file_end && end <= out.size()) {
		out.erase(out.begin() + symtab, out.begin() + end);
		r.dropped_symbols = true;
	}
	put_le32(out, pe.pe_offset() + 12, 0);
	put_le32(out, pe.pe_offset() + 16, 0);
}

// Where a new section's header goes: after the last one, in the space the
// headers have; throws ENOSPC when there is none
std::size_t new_header_slot(const PeImage &pe, std::span<const std::uint8_t> in, const Extent &x,
			    const std::string &obj)
{
	const std::size_t hdr = pe.section_table_offset() + 40 * pe.sections().size();
	// the slot must be unused: inside the headers, before any section's
	// data, all zeros, and clear of an x86 boot setup header (the
	// bzImage's "HdrS" at 0x202, fields from 0x1f1)
	std::uint64_t room = std::min<std::uint64_t>(pe.size_of_headers(), x.first_raw);
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
	return hdr;
}

// Where the data of a section to write goes
struct Placement {
	std::size_t hdr = 0;		// its header's offset
	std::uint64_t raw_off = 0, va = 0;
	std::vector<std::uint8_t> trailing;	// bytes to put after it
};

// An existing section @old gets @content: rewritten when it is the last,
// in place when it fits (then r is complete and nullopt is returned)
std::optional<Placement> replace(const PeImage &pe, const Section &old, const Extent &x,
				 std::span<const std::uint8_t> content, const std::string &obj,
				 std::string_view section, EmbedResult &r)
{
	std::vector<std::uint8_t> &out = r.image;
	const bool last_in_memory = std::uint64_t{old.virtual_address} +
		std::max(old.virtual_size, old.raw_size) == x.mem_end;

	r.replaced = true;
	if (&old == x.last_file && last_in_memory &&
	    align_up(std::uint64_t{old.raw_offset} + old.raw_size, 8) >= out.size()) {
		// the last section: rewritten with the new size
		out.resize(old.raw_offset);
		return Placement{old.header_offset, old.raw_offset, old.virtual_address, {}};
	}
	if (content.size() <= old.raw_size &&
	    std::uint64_t{old.virtual_address} + content.size() <= next_va(pe, old)) {
		// elsewhere: in place, when it fits
		std::copy(content.begin(), content.end(), out.begin() + old.raw_offset);
		std::fill(out.begin() + old.raw_offset + content.size(),
			  out.begin() + old.raw_offset + old.raw_size, 0);
		put_le32(out, old.header_offset + 8, content.size());
		r.offset = old.raw_offset;
		return std::nullopt;
	}
	throw Error(ENOSPC, obj, "section " + std::string(section) + " (" +
		    std::to_string(old.raw_size) + " bytes) is not the last one and the new content (" +
		    std::to_string(content.size()) + " bytes) does not fit in it",
		    "embed into the image the section was not yet added to");
}

// A new section: its header after the last one, its data after the
// sections' (the header included: it may extend a file whose headers end
// at its section table), and the bytes that were after the sections after
// it, where a signature covers them (between sections none would)
Placement add(const PeImage &pe, std::span<const std::uint8_t> in, const Extent &x,
	      const std::string &obj, EmbedResult &r)
{
	std::vector<std::uint8_t> &out = r.image;
	Placement p;

	p.hdr = new_header_slot(pe, in, x, obj);
	if (out.size() > x.file_end && x.file_end >= std::uint64_t{p.hdr} + 40) {
		p.trailing.assign(out.begin() + x.file_end, out.end());
		out.resize(x.file_end);
	}
	p.raw_off = align_up(std::max({std::uint64_t{out.size()}, x.file_end, std::uint64_t{p.hdr} + 40}),
			     pe.file_alignment());
	p.va = align_up(x.mem_end, pe.section_alignment());
	put_le16(out, pe.pe_offset() + 6, pe.sections().size() + 1);
	return p;
}

// Write @content at @p with its header; SizeOfImage covers it
void write_section(const PeImage &pe, const Placement &p, std::string_view section,
		   std::span<const std::uint8_t> content, const Section *old, const std::string &obj,
		   EmbedResult &r)
{
	std::vector<std::uint8_t> &out = r.image;
	const std::uint64_t raw_size = align_up(content.size(), pe.file_alignment());

	if (p.raw_off + raw_size > 0xffffffff || p.va + raw_size > 0xffffffff)
		throw Error(EFBIG, obj, "the image would be larger than 4 GiB");
	out.resize(p.raw_off, 0);
	out.insert(out.end(), content.begin(), content.end());
	out.resize(p.raw_off + raw_size, 0);
	out.insert(out.end(), p.trailing.begin(), p.trailing.end());

	std::fill(out.begin() + p.hdr, out.begin() + p.hdr + 40, 0);
	std::copy(section.begin(), section.end(), out.begin() + p.hdr);
	put_le32(out, p.hdr + 8, content.size());	// VirtualSize
	put_le32(out, p.hdr + 12, p.va);		// VirtualAddress
	put_le32(out, p.hdr + 16, raw_size);		// SizeOfRawData
	put_le32(out, p.hdr + 20, p.raw_off);		// PointerToRawData
	put_le32(out, p.hdr + 36, old ? old->characteristics : kDataCharacteristics);
	put_le32(out, pe.optional_header_offset() + 56,
		 std::max<std::uint64_t>(pe.size_of_image(), align_up(p.va + content.size(),
								       pe.section_alignment())));
	r.offset = p.raw_off;
}

} // namespace

EmbedResult embed_section(std::span<const std::uint8_t> in, std::string_view name,
			  std::string_view section, std::span<const std::uint8_t> content)
{
	const std::string obj(name);
	const PeImage pe = PeImage::parse(in, name);
	EmbedResult r;

	check_arguments(pe, obj, section, content);
	r.image.assign(in.begin(), in.end());
	drop_signature(pe, obj, r);
	const Extent x = extent_of(pe);
	drop_symbols(pe, in, x, r);

	const Section *old = pe.find(section);
	if (old && std::count_if(pe.sections().begin(), pe.sections().end(),
				 [&](const Section &s) { return s.name == section; }) > 1)
		throw Error(ELIBBAD, obj, "more than one " + std::string(section) + " section",
			    "which one a reader takes is undefined; rebuild the image");
	std::optional<Placement> p;
	if (old) {
		p = replace(pe, *old, x, content, obj, section, r);
		if (!p)
			return r;	// in place
	} else {
		p = add(pe, in, x, obj, r);
	}
	write_section(pe, *p, section, content, old, obj, r);
	return r;
}

} // namespace kexecpe
