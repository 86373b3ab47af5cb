// SPDX-License-Identifier: GPL-2.0
// libFuzzer target: the PE reader, `kexec-pe inspect` (human and JSON, with
// libbpf opening whatever .bpf holds) and `embed` on arbitrary bytes.
// Invariants checked beyond "no crash, no sanitizer report":
//  - a parsed section's data lies inside the input;
//  - embedding into an image that parses gives an image that parses, holds
//    exactly the new section, keeps every other section's bytes, and
//    changes no byte of the input outside the fields and ranges embed owns
//    (checksum, certificate directory, section count, SizeOfImage, the
//    symbol table's pointer and what follows the sections' data,
//    SizeOfHeaders and the header area after the section table when it
//    made room there, the section's header and data); when it moved the
//    sections' data to make room, every section keeps its address, sizes
//    and bytes, its data moved by as much.
#include "embed.hpp"
#include "error.hpp"
#include "inspect.hpp"
#include "pe.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

using namespace kexecpe;

namespace {

void check_untouched(const PeImage &in, const PeImage &out)
{
	std::vector<std::pair<std::uint64_t, std::uint64_t>> owned = {
		{in.optional_header_offset() + 64, 4},	// CheckSum
		{in.optional_header_offset() + 56, 4},	// SizeOfImage
		{in.pe_offset() + 6, 2},		// NumberOfSections
		{in.pe_offset() + 12, 8},		// the COFF symbol table
	};
	std::uint64_t data_end = 0;
	for (const Section &s : in.sections())
		if (s.raw_size)
			data_end = std::max<std::uint64_t>(data_end, std::uint64_t{s.raw_offset} + s.raw_size);
	owned.emplace_back(data_end, UINT64_MAX - data_end);	// moved after a new section
	if (in.size_of_headers() != out.size_of_headers()) {
		const std::uint64_t table_end = in.section_table_offset() + 40 * in.sections().size();
		owned.emplace_back(in.optional_header_offset() + 60, 4);
		owned.emplace_back(table_end, out.size_of_headers() - std::min<std::uint64_t>(table_end, out.size_of_headers()));
	}
	if (auto d = in.data_directory_offset(4))
		owned.emplace_back(*d, 8);
	for (const PeImage *pe : {&in, &out})
		if (const Section *b = pe->find(".bpf")) {
			owned.emplace_back(b->header_offset, 40);
			owned.emplace_back(b->raw_offset, b->raw_size);
		}
	std::uint64_t end = in.cert_table_size() ? in.cert_table_offset() : in.bytes().size();
	end = std::min<std::uint64_t>(end, out.bytes().size());
	for (std::uint64_t i = 0; i < end; i++) {
		if (in.bytes()[i] == out.bytes()[i])
			continue;
		bool ok = false;
		for (auto [off, len] : owned)
			ok |= i >= off && i < off + len;
		if (!ok)
			std::abort();
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::span<const std::uint8_t> in(data, size);
	static const std::uint8_t content[] = "fuzz section content";

	try {
		PeImage pe = PeImage::parse(in, "fuzz.efi");
		for (const Section &s : pe.sections())
			if (!s.data.empty() && (s.data.data() < data || s.data.data() + s.data.size() > data + size))
				std::abort();
		(void)inspect(in, "fuzz.efi", JsonMode::Off);
		(void)inspect(in, "fuzz.efi", JsonMode::Pretty);
		try {
			EmbedResult r = embed_section(in, "fuzz.efi", ".bpf", content);
			PeImage out = PeImage::parse(r.image, "out.efi");
			const Section *b = out.find(".bpf");
			if (!b || b->data.size() != sizeof(content) ||
			    std::memcmp(b->data.data(), content, sizeof(content)))
				std::abort();
			if (!r.moved)
				check_untouched(pe, out);
			// same index: the new section comes last or replaces
			// the one .bpf in place
			for (std::size_t i = 0; i < pe.sections().size(); i++) {
				const Section &s = pe.sections()[i];
				if (s.name == ".bpf" || s.data.empty())
					continue;
				// embed adds a section or replaces one: never fewer
				if (i >= out.sections().size())
					std::abort();
				const Section &t = out.sections()[i];
				if (t.raw_offset != s.raw_offset + r.moved || t.virtual_address != s.virtual_address ||
				    t.data.size() != s.data.size() ||
				    std::memcmp(t.data.data(), s.data.data(), s.data.size()))
					std::abort();
			}
		} catch (const Error &) {
		}
	} catch (const Error &) {
	}
	return 0;
}
