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

// Where the section table ends: a new section's header goes there
std::uint64_t table_end(const PeImage &pe)
{
	return pe.section_table_offset() + 40ULL * pe.sections().size();
}

// What embed writes over or after must belong to no other part: every
// section's raw data inside the file (before the certificate table), none
// overlapping another or the headers. Readers tolerate more (the kernel's
// reader only needs the data it reads); a writer that moves nothing must
// not guess.
void check_layout(const PeImage &pe, const std::string &obj)
{
	const std::uint64_t limit = pe.cert_table_size() ? pe.cert_table_offset() : pe.bytes().size();
	const std::uint64_t headers_end = table_end(pe);
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

// Where the sections begin and end, in the file and in memory (the
// headers are mapped first: no section below SizeOfHeaders)
struct Extent {
	std::uint64_t file_end = 0, mem_end = 0, first_raw = UINT64_MAX, first_va = UINT64_MAX;
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
		e.first_va = std::min<std::uint64_t>(e.first_va, s.virtual_address);
	}
	return e;
}

// A COFF symbol table (objcopy leaves one in a UKI; an image should have
// none, and ukify strips it) is dropped with its string table when it lies
// after the sections' data, and the COFF header no longer points at it
void drop_symbols(const PeImage &pe, std::span<const std::uint8_t> in, const Extent &x,
		  EmbedResult &r)
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
	// only a table after every header and the sections' data is cut out
	const std::uint64_t after = std::max<std::uint64_t>({x.file_end, pe.size_of_headers(),
							     table_end(pe)});
	if (symtab && symtab >= after && end <= out.size()) {
		out.erase(out.begin() + symtab, out.begin() + end);
		r.dropped_symbols = true;
	}
	put_le32(out, pe.pe_offset() + 12, 0);
	put_le32(out, pe.pe_offset() + 16, 0);
}

bool is_bzimage(std::span<const std::uint8_t> in)
{
	return in.size() >= 0x206 && !std::memcmp(&in[0x202], "HdrS", 4);
}

// Where the header area ends for a new section header: at SizeOfHeaders
// or the first section's data, whichever comes first, and before an x86
// boot setup header (the bzImage's "HdrS" at 0x202, fields from 0x1f1)
std::uint64_t header_room(const PeImage &pe, std::span<const std::uint8_t> in, const Extent &x)
{
	std::uint64_t room = std::min<std::uint64_t>(pe.size_of_headers(), x.first_raw);

	if (is_bzimage(in))
		room = std::min<std::uint64_t>(room, 0x1f1);
	return room;
}

// Whether the header bytes [@from, @to) belong to nothing: no data
// directory and not the entry point points into them, and they hold
// zeros or padding, one 32-bit word repeated (linkers pad with NOPs:
// Debian's arm64 systemd-stub fills its header area with them up to its
// .text at 0x1000, and ukify writes its section headers over them)
bool free_header_bytes(const PeImage &pe, std::span<const std::uint8_t> in, std::uint64_t from,
		       std::uint64_t to)
{
	if (to > in.size())
		return false;
	if (from >= to)
		return true;
	for (unsigned i = 0; i < 16; i++) {
		auto d = pe.data_directory_offset(i);
		if (!d)
			break;
		// in the headers an RVA is a file offset (they are mapped at 0)
		const std::uint64_t rva = le32(in, *d, "data directory");
		const std::uint64_t size = le32(in, *d + 4, "data directory");
		if (size && rva < to && from < rva + size)
			return false;
	}
	const std::uint32_t entry = le32(in, pe.optional_header_offset() + 16, "AddressOfEntryPoint");
	if (entry >= from && entry < to)
		return false;
	const std::uint64_t word = (from + 3) & ~3ULL;
	const std::uint8_t zero[4] = {};
	const std::uint8_t *fill = word + 4 <= to ? &in[word] : zero;
	for (std::uint64_t i = from; i < to; i++)
		if (in[i] != fill[i % 4])
			return false;
	return true;
}

// Where a new section's header goes: after the last one, in the space the
// headers have (make_room() made it); throws ENOSPC when there is none
std::size_t new_header_slot(const PeImage &pe, std::span<const std::uint8_t> in, const Extent &x,
			    const std::string &obj)
{
	const std::size_t hdr = table_end(pe);
	const std::uint64_t room = header_room(pe, in, x);
	const bool free = free_header_bytes(pe, in, hdr, std::min<std::uint64_t>(hdr + 40, in.size()));

	if (hdr + 40 > room || !free)
		throw Error(ENOSPC, obj, "no room for another section header (the header area ends at " +
			    std::to_string(std::min<std::uint64_t>(room, in.size())) +
			    (free ? "" : "; the bytes after the section table are in use") + ")",
			    "rebuild the image with room for one more section");
	if (pe.sections().size() + 1 > kMaxSections)
		throw Error(ENOSPC, obj, "already " + std::to_string(pe.sections().size()) + " sections");
	return hdr;
}

// IMAGE_DIRECTORY_ENTRY_DEBUG: entries of 28 bytes, each with the file
// offset of its data (PointerToRawData, at 24)
constexpr unsigned kDebugDirectory = 6;
constexpr unsigned kMaxDebugEntries = 64;

// The debug directory's entries point at their data by file offset: move
// those at or after @from by @shift (in @out, where the directory itself
// moved with its section)
void move_debug_data(const PeImage &pe, std::span<const std::uint8_t> in, std::uint64_t from,
		     std::uint64_t shift, std::vector<std::uint8_t> &out)
{
	auto d = pe.data_directory_offset(kDebugDirectory);
	if (!d)
		return;
	const std::uint32_t rva = le32(in, *d, "debug directory");
	const std::uint32_t size = le32(in, *d + 4, "debug directory");
	std::uint64_t at = rva;	// in the headers: RVA = file offset

	if (!size)
		return;
	for (const Section &s : pe.sections())
		if (s.raw_size && rva >= s.virtual_address && rva - s.virtual_address < s.raw_size)
			at = std::uint64_t{s.raw_offset} + (rva - s.virtual_address);
	if (at >= from)
		at += shift;
	for (unsigned i = 0; i < size / 28 && i < kMaxDebugEntries; i++) {
		const std::uint64_t field = at + 28ULL * i + 24;
		const std::uint32_t ptr = le32(out, field, "debug directory entry");
		if (ptr >= from)
			put_le32(out, field, ptr + shift);
	}
}

// Room for one more section header where the header area is full: the
// image is not signed yet, so SizeOfHeaders may grow and the sections'
// data move by whole FileAlignment units (their addresses in memory stay).
// What points at file offsets moves with the data: each section's
// PointerToRawData (and its relocations' and line numbers'), the debug
// directory's entries, an EFI zboot header's payload offset. A bzImage is
// refused: the x86 boot protocol fixes its header area. Returns whether
// the image changed; r.moved says how far the data moved.
bool make_room(const PeImage &pe, std::span<const std::uint8_t> in, const Extent &x,
	       const std::string &obj, EmbedResult &r)
{
	std::vector<std::uint8_t> &out = r.image;
	const std::uint64_t hdr = table_end(pe);
	const std::uint64_t room = header_room(pe, in, x), falign = pe.file_alignment();
	const std::uint64_t soh = align_up(hdr + 40, falign);

	if (hdr + 40 <= room || pe.sections().size() + 1 > kMaxSections)
		return false;	// new_header_slot() checks the rest
	if (is_bzimage(in))
		throw Error(ENOSPC, obj, "no room for another section header before the bzImage's "
			    "setup header (at 0x1f1)", "the x86 boot protocol fixes a bzImage's header "
			    "area: put the kernel into a UKI and embed into that");
	if (!free_header_bytes(pe, in, hdr, std::min<std::uint64_t>(room, in.size())))
		throw Error(ENOSPC, obj, "no room for another section header (the header area ends at " +
			    std::to_string(room) + "; the bytes after the section table are in use)",
			    "rebuild the image with room for one more section");
	if (soh > x.first_va)
		throw Error(ENOSPC, obj, "no room for another section header: the headers would reach "
			    "the first section in memory (at " + std::to_string(x.first_va) + ")",
			    "rebuild the image with room for one more section");
	const std::uint64_t from = x.first_raw == UINT64_MAX ? out.size() : x.first_raw;
	const std::uint64_t shift = soh > from ? align_up(soh - from, falign) : 0;
	if (out.size() + shift > 0xffffffff)
		throw Error(EFBIG, obj, "the image would be larger than 4 GiB");

	// the padding to zeros, so that the slot is one kind of free bytes
	if (hdr < std::min<std::uint64_t>(room, out.size()))
		std::fill(out.begin() + hdr, out.begin() + std::min<std::uint64_t>(room, out.size()), 0);
	out.insert(out.begin() + from, shift, 0);
	for (const Section &s : pe.sections())
		for (std::size_t f : {20, 24, 28}) {	// PointerToRawData, -Relocations, -Linenumbers
			const std::uint32_t ptr = le32(out, s.header_offset + f, "section header");
			if (ptr && ptr >= from)
				put_le32(out, s.header_offset + f, ptr + shift);
		}
	move_debug_data(pe, in, from, shift, out);
	if (pe.zboot() && pe.zboot()->payload_offset >= from)
		put_le32(out, 8, pe.zboot()->payload_offset + shift);
	put_le32(out, pe.optional_header_offset() + 60,
		 std::max<std::uint64_t>(soh, pe.size_of_headers()));
	r.moved = x.first_raw == UINT64_MAX ? 0 : shift;	// no data: the file only grew
	return true;
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
			  std::string_view section, std::span<const std::uint8_t> content,
			  bool always_add)
{
	const std::string obj(name);
	const PeImage pe = PeImage::parse(in, name);
	EmbedResult r;

	check_arguments(pe, obj, section, content);
	r.image.assign(in.begin(), in.end());
	drop_signature(pe, obj, r);
	const Extent x = extent_of(pe);
	drop_symbols(pe, in, x, r);

	const Section *old = always_add ? nullptr : pe.find(section);
	if (old && std::count_if(pe.sections().begin(), pe.sections().end(),
				 [&](const Section &s) { return s.name == section; }) > 1)
		throw Error(ELIBBAD, obj, "more than one " + std::string(section) + " section",
			    "which one a reader takes is undefined; rebuild the image");
	std::optional<Placement> p;
	if (old) {
		p = replace(pe, *old, x, content, obj, section, r);
		if (!p)
			return r;	// in place
		write_section(pe, *p, section, content, old, obj, r);
		return r;
	}
	if (make_room(pe, in, x, obj, r)) {
		// the rest on the new layout
		const std::vector<std::uint8_t> roomy = r.image;
		const PeImage pe2 = PeImage::parse(roomy, name);
		const Extent x2 = extent_of(pe2);
		p = add(pe2, roomy, x2, obj, r);
		write_section(pe2, *p, section, content, nullptr, obj, r);
		return r;
	}
	p = add(pe, in, x, obj, r);
	write_section(pe, *p, section, content, nullptr, obj, r);
	return r;
}

} // namespace kexecpe
