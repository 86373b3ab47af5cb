// SPDX-License-Identifier: GPL-2.0
#include "pe.hpp"

#include "error.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace kexecpe {

namespace {

constexpr std::uint16_t kPe32Magic = 0x10b;
constexpr std::uint16_t kPe32PlusMagic = 0x20b;
constexpr std::uint32_t kZbootMagic = 0x676d697a;	// "zimg"
constexpr std::uint32_t kLinuxPeMagic = 0x818223cd;

[[noreturn]] void malformed(std::string_view name, const std::string &what)
{
	throw Error(ELIBBAD, std::string(name), what,
		    "the file is damaged or not a complete PE image");
}

} // namespace

std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t off, std::string_view name)
{
	if (off > b.size() || b.size() - off < 2)
		malformed(name, "truncated at offset " + std::to_string(off));
	return b[off] | b[off + 1] << 8;
}

std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t off, std::string_view name)
{
	if (off > b.size() || b.size() - off < 4)
		malformed(name, "truncated at offset " + std::to_string(off));
	return static_cast<std::uint32_t>(b[off]) | b[off + 1] << 8 | b[off + 2] << 16 |
	       static_cast<std::uint32_t>(b[off + 3]) << 24;
}

namespace {

void check_put(std::span<std::uint8_t> b, std::size_t off, std::size_t n)
{
	if (off > b.size() || n > b.size() - off)
		throw Error(ERANGE, "PE writer", "write of " + std::to_string(n) + " bytes at " +
			    std::to_string(off) + " past the end of a " + std::to_string(b.size()) +
			    "-byte image", "a bug in kexec-pe: please report it");
}

} // namespace

void put_le16(std::span<std::uint8_t> b, std::size_t off, std::uint16_t v)
{
	check_put(b, off, 2);
	b[off] = v & 0xff;
	b[off + 1] = v >> 8;
}

void put_le32(std::span<std::uint8_t> b, std::size_t off, std::uint32_t v)
{
	check_put(b, off, 4);
	for (int i = 0; i < 4; i++)
		b[off + i] = (v >> (8 * i)) & 0xff;
}

bool looks_like_pe(std::span<const std::uint8_t> b) noexcept
{
	if (b.size() < 0x40 || b[0] != 'M' || b[1] != 'Z')
		return false;
	std::uint32_t pe = b[0x3c] | b[0x3d] << 8 | b[0x3e] << 16 |
			   static_cast<std::uint32_t>(b[0x3f]) << 24;
	return pe <= b.size() && b.size() - pe >= 4 && !std::memcmp(&b[pe], "PE\0\0", 4);
}

bool names_section(std::span<const std::uint8_t> b, std::string_view section) noexcept
{
	if (!looks_like_pe(b) || section.empty() || section.size() > 8)
		return false;
	std::size_t pe = b[0x3c] | b[0x3d] << 8 | b[0x3e] << 16 | std::size_t{b[0x3f]} << 24;
	if (pe + 24 > b.size())
		return false;
	std::size_t n = b[pe + 6] | b[pe + 7] << 8, opt = b[pe + 20] | b[pe + 21] << 8;
	for (std::size_t i = 0, h = pe + 24 + opt; i < n && i < kMaxSections && h + 40 <= b.size(); i++, h += 40)
		if (!std::memcmp(&b[h], section.data(), section.size()) &&
		    (section.size() == 8 || b[h + section.size()] == 0))
			return true;
	return false;
}

std::optional<ZbootHeader> zboot_header(std::span<const std::uint8_t> b)
{
	if (b.size() < 0x40 || b[0] != 'M' || b[1] != 'Z' || le32(b, 4, "zboot") != kZbootMagic ||
	    le32(b, 0x38, "zboot") != kLinuxPeMagic)
		return std::nullopt;
	ZbootHeader z;
	z.payload_offset = le32(b, 8, "zboot");
	z.payload_size = le32(b, 12, "zboot");
	const char *c = reinterpret_cast<const char *>(&b[0x18]);
	z.codec.assign(c, strnlen(c, 0x38 - 0x18));
	// the le32 after the payload (gzip carries it in its own trailer)
	std::uint64_t t = std::uint64_t{z.payload_offset} + z.payload_size;
	if (z.codec != "gzip" && t + 4 <= b.size())
		z.uncompressed_size = le32(b, t, "zboot");
	return z;
}

std::optional<std::size_t> PeImage::data_directory_offset(unsigned i) const noexcept
{
	if (i >= nr_dirs_)
		return std::nullopt;
	return optional_header_offset() + (pe32plus_ ? 112 : 96) + 8 * i;
}

const Section *PeImage::find(std::string_view name) const noexcept
{
	for (const Section &s : sections_)
		if (s.name == name)
			return &s;
	return nullptr;
}

namespace {

// The value of the "KEY=" line of @text (a .profile, as os-release(5))
std::string field(std::span<const std::uint8_t> text, std::string_view key)
{
	std::string_view t(reinterpret_cast<const char *>(text.data()), text.size());

	while (!t.empty()) {
		std::size_t nl = t.find('\n');
		std::string_view line = t.substr(0, nl);
		t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
		if (line.size() <= key.size() || !line.starts_with(key) || line[key.size()] != '=')
			continue;
		line.remove_prefix(key.size() + 1);
		while (!line.empty() && (line.back() == '\r' || line.back() == '\0'))
			line.remove_suffix(1);
		if (line.size() >= 2 && (line[0] == '"' || line[0] == '\'') && line.back() == line[0])
			line = line.substr(1, line.size() - 2);
		return std::string(line);
	}
	return {};
}

} // namespace

std::vector<Profile> profiles(const PeImage &pe)
{
	std::vector<Profile> out;

	for (const Section &s : pe.sections()) {
		if (s.name == ".profile") {
			Profile p;
			p.index = unsigned(out.size());
			p.id = field(s.data, "ID");
			p.title = field(s.data, "TITLE");
			p.section = &s;
			out.push_back(std::move(p));
		} else if (!out.empty() && s.name != ".bpf" && s.name != ".kexecmf") {
			// the parser and its manifest are the image's wherever
			// they are (embed adds them last)
			out.back().own.push_back(&s);
		}
	}
	if (out.empty())
		out.emplace_back();
	return out;
}

std::vector<const Section *> profile_sections(const PeImage &pe, unsigned index,
					      std::string_view name)
{
	std::vector<Profile> all = profiles(pe);
	std::vector<const Section *> base, own;

	if (index >= all.size())
		throw Error(ENOENT, pe.name(), "no profile " + std::to_string(index) + ": the image has " +
				    std::to_string(all.size()), "see kexec-pe inspect " + pe.name());
	for (const Section &s : pe.sections()) {
		if (s.name == ".profile")
			break;
		if (s.name == name)
			base.push_back(&s);
	}
	for (const Section *s : all[index].own)
		if (s->name == name)
			own.push_back(s);
	return own.empty() ? base : own;
}

unsigned select_profile(const PeImage &pe, std::string_view spec)
{
	std::vector<Profile> all = profiles(pe);
	unsigned n = 0;
	auto [end, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), n);
	std::string known;

	if (ec == std::errc() && end == spec.data() + spec.size() && n < all.size())
		return n;
	for (const Profile &p : all) {
		if (!p.id.empty() && p.id == spec)
			return p.index;
		known += (known.empty() ? "" : ", ") + std::to_string(p.index) +
			 (p.id.empty() ? "" : " (" + p.id + ")");
	}
	throw Error(ENOENT, pe.name(), "no profile " + std::string(spec) + "; it has " + known,
		    "give a profile's number or ID (kexec-pe inspect lists them)");
}

std::string PeImage::machine_name() const
{
	switch (machine_) {
	case 0x8664: return "x86_64";
	case 0xaa64: return "arm64";
	case 0x5064: return "riscv64";
	case 0x014c: return "i386";
	case 0x01c2: case 0x01c4: return "arm";
	default: {
		char buf[16];
		std::snprintf(buf, sizeof(buf), "0x%04x", machine_);
		return buf;
	}
	}
}

PeImage PeImage::parse(std::span<const std::uint8_t> b, std::string_view name)
{
	PeImage img;

	img.name_ = name;
	img.bytes_ = b;
	if (!looks_like_pe(b))
		throw Error(ENOEXEC, std::string(name), "not a PE image (no MZ/PE header)");

	std::size_t pe = le32(b, 0x3c, name);
	img.pe_off_ = pe;
	img.machine_ = le16(b, pe + 4, name);
	unsigned nsec = le16(b, pe + 6, name);
	img.opt_size_ = le16(b, pe + 20, name);
	if (nsec > kMaxSections)
		malformed(name, std::to_string(nsec) + " sections (at most " +
				std::to_string(kMaxSections) + ")");

	std::size_t opt = pe + 24;
	if (img.opt_size_ < 2)
		malformed(name, "no optional header");
	std::uint16_t magic = le16(b, opt, name);
	if (magic != kPe32Magic && magic != kPe32PlusMagic)
		malformed(name, "optional header magic 0x" + std::to_string(magic));
	img.pe32plus_ = magic == kPe32PlusMagic;
	const std::size_t dirs = img.pe32plus_ ? 112 : 96;
	if (img.opt_size_ < dirs)
		malformed(name, "optional header of " + std::to_string(img.opt_size_) + " bytes");
	if (opt + img.opt_size_ > b.size())
		malformed(name, "optional header past the end of the file");
	img.sect_align_ = le32(b, opt + 32, name);
	img.file_align_ = le32(b, opt + 36, name);
	img.size_of_image_ = le32(b, opt + 56, name);
	img.size_of_headers_ = le32(b, opt + 60, name);
	std::uint32_t nr_dirs = le32(b, opt + dirs - 4, name);
	img.nr_dirs_ = std::min<std::uint32_t>(nr_dirs, (img.opt_size_ - dirs) / 8);

	std::size_t tab = opt + img.opt_size_;
	if (tab + std::size_t{40} * nsec > b.size())
		malformed(name, "section table past the end of the file");
	for (unsigned i = 0; i < nsec; i++) {
		std::size_t h = tab + 40 * i;
		Section s;
		const char *n = reinterpret_cast<const char *>(&b[h]);

		s.name.assign(n, strnlen(n, 8));
		s.header_offset = h;
		s.virtual_size = le32(b, h + 8, name);
		s.virtual_address = le32(b, h + 12, name);
		s.raw_size = le32(b, h + 16, name);
		s.raw_offset = le32(b, h + 20, name);
		s.characteristics = le32(b, h + 36, name);
		std::uint64_t len = s.virtual_size ? std::min(s.virtual_size, s.raw_size) : s.raw_size;
		if (len && std::uint64_t{s.raw_offset} + len > b.size())
			malformed(name, "section " + s.name + " (" + std::to_string(len) +
					" bytes at " + std::to_string(s.raw_offset) +
					") past the end of the file (" +
					std::to_string(b.size()) + " bytes)");
		if (len)
			s.data = b.subspan(s.raw_offset, len);
		img.sections_.push_back(std::move(s));
	}

	if (auto d = img.data_directory_offset(kCertDirectory)) {
		img.cert_off_ = le32(b, *d, name);
		img.cert_size_ = le32(b, *d + 4, name);
	}
	if (img.cert_size_) {
		std::uint64_t end = std::uint64_t{img.cert_off_} + img.cert_size_;
		if (end > b.size())
			malformed(name, "certificate table past the end of the file");
		std::uint64_t off = img.cert_off_;
		// WIN_CERTIFICATE entries, 8-byte aligned; bounded by the table
		while (off + 8 <= end) {
			Certificate c;
			c.offset = off;
			c.length = le32(b, off, name);
			c.revision = le16(b, off + 4, name);
			c.type = le16(b, off + 6, name);
			if (c.length < 8 || off + c.length > end)
				malformed(name, "certificate of " + std::to_string(c.length) +
						" bytes at " + std::to_string(off) +
						" does not fit the certificate table");
			img.certs_.push_back(c);
			off += (std::uint64_t{c.length} + 7) & ~std::uint64_t{7};
		}
	}

	if (auto z = zboot_header(b)) {
		if (std::uint64_t{z->payload_offset} + z->payload_size > b.size())
			malformed(name, "zboot payload (" + std::to_string(z->payload_size) +
					" bytes at " + std::to_string(z->payload_offset) +
					") past the end of the file");
		img.zboot_ = std::move(z);
	}
	return img;
}

} // namespace kexecpe
