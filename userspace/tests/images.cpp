// SPDX-License-Identifier: GPL-2.0
#include "images.hpp"

#include "fd.hpp"
#include "pe.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace kexecpe::test {

std::filesystem::path build_dir()
{
	if (const char *d = std::getenv("KEXECPE_BUILD_DIR"))
		return d;
	return std::filesystem::path(KEXECPE_SOURCE_DIR) / ".." / "build";
}

std::filesystem::path build_path(const std::string &rel)
{
	auto p = build_dir() / rel;
	auto slash = rel.find('/');

	if (std::filesystem::exists(p) || slash == std::string::npos)
		return p;
	auto debug = build_dir() / (rel.substr(0, slash) + "-debug" + rel.substr(slash));
	return std::filesystem::exists(debug) ? debug : p;
}

std::optional<std::vector<std::uint8_t>> build_file(const std::string &rel)
{
	auto p = build_path(rel);

	if (!std::filesystem::exists(p))
		return std::nullopt;
	return read_file(p.string(), 1u << 30);
}

std::optional<std::vector<std::uint8_t>> system_file(const std::string &path)
{
	if (!std::filesystem::exists(path))
		return std::nullopt;
	return read_file(path, 1u << 30);
}

std::vector<std::uint8_t> ukify_layout(std::vector<std::uint8_t> b, const std::vector<TinySection> &secs)
{
	{
		// the stub's COFF symbol table and whatever follows its last
		// section's data are not part of the UKI
		const PeImage stub = PeImage::parse(b, "stub");
		std::uint64_t end = stub.size_of_headers();
		for (const Section &s : stub.sections())
			end = std::max<std::uint64_t>(end, std::uint64_t{s.raw_offset} + s.raw_size);
		std::span<std::uint8_t> s(b);
		put_le32(s, stub.pe_offset() + 12, 0);
		put_le32(s, stub.pe_offset() + 16, 0);
		b.resize(std::min<std::uint64_t>(end, b.size()));
	}
	for (const TinySection &t : secs) {
		const PeImage pe = PeImage::parse(b, "stub");
		const std::uint32_t falign = pe.file_alignment(), salign = pe.section_alignment();
		const std::size_t h = pe.section_table_offset() + 40 * pe.sections().size();
		std::uint64_t first_raw = pe.size_of_headers(), va_end = 0;

		for (const Section &s : pe.sections()) {
			if (s.raw_size)
				first_raw = std::min<std::uint64_t>(first_raw, s.raw_offset);
			va_end = std::max<std::uint64_t>(va_end, std::uint64_t{s.virtual_address} +
							 std::max(s.virtual_size, s.raw_size));
		}
		if (h + 40 > first_raw)
			throw std::length_error("ukify_layout: not enough header space");
		const std::uint32_t off = (b.size() + falign - 1) / falign * falign;
		const std::uint32_t raw = (t.data.size() + falign - 1) / falign * falign;
		const std::uint32_t vsize = t.virtual_size ? t.virtual_size : t.data.size();
		const std::uint32_t va = (va_end + salign - 1) / salign * salign;

		b.resize(off, 0);
		b.insert(b.end(), t.data.begin(), t.data.end());
		b.resize(off + raw, 0);
		std::span<std::uint8_t> s(b);
		std::fill(b.begin() + h, b.begin() + h + 40, 0);
		std::copy(t.name.begin(), t.name.begin() + std::min<std::size_t>(8, t.name.size()), b.begin() + h);
		put_le32(s, h + 8, vsize);
		put_le32(s, h + 12, va);
		put_le32(s, h + 16, raw);
		put_le32(s, h + 20, off);
		put_le32(s, h + 36, 0x40000040);	// INITIALIZED_DATA | MEM_READ
		put_le16(s, pe.pe_offset() + 6, pe.sections().size() + 1);
		put_le32(s, pe.optional_header_offset() + 56, (va + vsize + salign - 1) / salign * salign);
	}
	return b;
}

bool images_required()
{
	const char *r = std::getenv("KEXECPE_REQUIRE_IMAGES");
	return r && *r && std::string(r) != "0";
}

std::vector<std::uint8_t> hook_only_object()
{
	return read_file(KEXECPE_HOOK_ONLY_OBJ, 1 << 20);
}

std::vector<std::uint8_t> tiny_pe(const std::vector<TinySection> &secs, std::uint32_t soh)
{
	const std::uint32_t falign = 0x200, salign = 0x1000;
	std::vector<std::uint8_t> b(0x400, 0);
	std::span<std::uint8_t> s(b);
	std::uint32_t va = salign;

	if (!soh)
		soh = 0x400;
	b[0] = 'M';
	b[1] = 'Z';
	put_le32(s, 0x3c, kPeOff);
	b[kPeOff] = 'P';
	b[kPeOff + 1] = 'E';
	put_le16(s, kPeOff + 4, 0x8664);
	put_le16(s, kPeOff + 6, secs.size());
	put_le16(s, kPeOff + 20, 240);
	put_le16(s, kPeOff + 22, 0x0206);
	put_le16(s, kOptOff, 0x20b);
	put_le32(s, kOptOff + 32, salign);
	put_le32(s, kOptOff + 36, falign);
	put_le32(s, kOptOff + 60, soh);
	put_le32(s, kOptOff + 108, 16);
	for (std::size_t i = 0; i < secs.size(); i++) {
		const TinySection &t = secs[i];
		std::size_t h = kSecTab + 40 * i;
		std::uint32_t raw = (t.data.size() + falign - 1) / falign * falign;
		std::uint32_t off = b.size();

		if (h + 40 > 0x400)
			throw std::length_error("tiny_pe: too many sections for 0x400 bytes of headers");
		std::copy(t.name.begin(), t.name.begin() + std::min<std::size_t>(8, t.name.size()), b.begin() + h);
		std::span<std::uint8_t> s2(b);
		put_le32(s2, h + 8, t.virtual_size ? t.virtual_size : t.data.size());
		put_le32(s2, h + 12, va);
		put_le32(s2, h + 16, raw);
		put_le32(s2, h + 20, raw ? off : 0);
		put_le32(s2, h + 36, 0x40000040);
		b.insert(b.end(), t.data.begin(), t.data.end());
		b.resize(off + raw, 0);
		va += (std::max<std::uint32_t>(raw, t.virtual_size) + salign - 1) / salign * salign;
		if (!raw && !t.virtual_size)
			va += salign;
	}
	put_le32(std::span<std::uint8_t>(b), kOptOff + 56, va);
	return b;
}

TempDir::TempDir()
{
	std::string tmpl = (std::filesystem::temp_directory_path() / "kexecpe-test-XXXXXX").string();

	if (!mkdtemp(tmpl.data()))
		throw std::runtime_error("mkdtemp failed");
	path_ = tmpl;
}

TempDir::~TempDir()
{
	std::error_code ec;

	std::filesystem::remove_all(path_, ec);
}

void write_bytes(const std::filesystem::path &p, const std::vector<std::uint8_t> &b)
{
	write_file(p.string(), b);
}

} // namespace kexecpe::test
