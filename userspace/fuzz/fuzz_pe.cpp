// SPDX-License-Identifier: GPL-2.0
// libFuzzer target: the PE reader, `kexec-pe inspect` (human and JSON, with
// libbpf opening whatever .bpf holds) and `embed` on arbitrary bytes.
// Invariants checked beyond "no crash, no sanitizer report":
//  - a parsed section's data lies inside the input;
//  - embedding into an image that parses gives an image that parses, holds
//    exactly the new section, and keeps every other section's bytes.
#include "embed.hpp"
#include "error.hpp"
#include "inspect.hpp"
#include "pe.hpp"

#include <cstdlib>
#include <cstring>

using namespace kexecpe;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::span<const std::uint8_t> in(data, size);
	static const std::uint8_t content[] = "fuzz section content";

	try {
		PeImage pe = PeImage::parse(in, "fuzz.efi");
		for (const Section &s : pe.sections())
			if (!s.data.empty() && (s.data.data() < data || s.data.data() + s.data.size() > data + size))
				std::abort();
		(void)inspect(in, "fuzz.efi", false);
		(void)inspect(in, "fuzz.efi", true);
		try {
			EmbedResult r = embed_section(in, "fuzz.efi", ".bpf", content);
			PeImage out = PeImage::parse(r.image, "out.efi");
			const Section *b = out.find(".bpf");
			if (!b || b->data.size() != sizeof(content) ||
			    std::memcmp(b->data.data(), content, sizeof(content)))
				std::abort();
			// same index: the new section comes last or replaces
			// the one .bpf in place
			for (std::size_t i = 0; i < pe.sections().size(); i++) {
				const Section &s = pe.sections()[i];
				const Section *t = &out.sections()[i];
				if (s.name == ".bpf" || s.data.empty())
					continue;
				if (!t || t->raw_offset != s.raw_offset || t->data.size() != s.data.size() ||
				    std::memcmp(t->data.data(), s.data.data(), s.data.size()))
					std::abort();
			}
		} catch (const Error &) {
		}
	} catch (const Error &) {
	}
	return 0;
}
