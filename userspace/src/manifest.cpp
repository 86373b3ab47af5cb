// SPDX-License-Identifier: GPL-2.0
#include "manifest.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <cstring>
#include <zlib.h>
#ifdef KEXECPE_HAVE_ZSTD
#include <zstd.h>
#endif
#include <linux/kexec_pe.h>

#include "error.hpp"

namespace kexecpe {

namespace {

constexpr std::size_t kHeader = sizeof(struct kexec_pe_manifest);
constexpr std::size_t kPart = sizeof(struct kexec_pe_manifest_part);
// bpf-progs/kexec_pe_parser.bpf.c: TEXT_MAX, and HDR_MAX (the bytes of
// headers it reads: the section table must lie in them)
constexpr std::size_t kCmdlineMax = 4096;
constexpr std::size_t kHeadersRead = 4096;

void put32(std::vector<std::uint8_t> &v, std::uint32_t x)
{
	for (int i = 0; i < 4; i++)
		v.push_back(std::uint8_t(x >> (8 * i)));
}

void put64(std::vector<std::uint8_t> &v, std::uint64_t x)
{
	put32(v, std::uint32_t(x));
	put32(v, std::uint32_t(x >> 32));
}

std::uint64_t le64(std::span<const std::uint8_t> b, std::size_t off, std::string_view what)
{
	return le32(b, off, what) | std::uint64_t(le32(b, off + 4, what)) << 32;
}

std::uint64_t dst_max(std::uint32_t dst)
{
	switch (dst) {
	case KEXEC_PE_DST_KERNEL: return KEXEC_PE_KERNEL_MAX;
	case KEXEC_PE_DST_INITRD: return KEXEC_PE_INITRD_MAX;
	case KEXEC_PE_DST_CMDLINE: return KEXEC_PE_CMDLINE_MAX;
	}
	return 0;
}

// A range of the image: as the kernel reads it, by its offset in the file
ManifestPart image_part(std::uint32_t dst, const PeImage &pe, std::span<const std::uint8_t> data)
{
	return {dst, PartKind::Image, std::uint64_t(data.data() - pe.bytes().data()), data.size(), {}};
}

void initrd_part(std::vector<ManifestPart> &parts, const PeImage &pe, const Section *s)
{
	if (!s || s->data.empty())
		return;
	parts.push_back(image_part(KEXEC_PE_DST_INITRD, pe, s->data));
	if (s->data.size() % 4)
		parts.push_back({KEXEC_PE_DST_INITRD, PartKind::Zero, 0, 4 - s->data.size() % 4, {}});
}

// A newc cpio entry, as the parser writes those of the /.extra archive
// (and the kernel those of side-car files): upper-case hex, nlink 2 for a
// directory, else 1, no times; the name's NUL and padding to 4 bytes
void cpio_entry(std::vector<std::uint8_t> &v, std::uint32_t ino, std::uint32_t mode,
		std::uint32_t size, std::string_view name)
{
	char h[111];

	std::snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08zX%08X",
		      ino, mode, 0u, 0u, (mode & 0170000) == 0040000 ? 2u : 1u, 0u, size, 0u, 0u,
		      0u, 0u, name.size() + 1, 0u);
	std::size_t start = v.size();
	v.insert(v.end(), h, h + 110);
	v.insert(v.end(), name.begin(), name.end());
	v.push_back(0);
	while ((v.size() - start) % 4)
		v.push_back(0);
}

// What systemd-stub passes on of a UKI's sections as files under /.extra,
// in the parser's order; inode 2 + the index
struct ExtraFile {
	const char *section;
	const char *name;
};
constexpr ExtraFile kExtraFiles[] = {
	{".pcrsig", ".extra/tpm2-pcr-signature.json"},
	{".pcrpkey", ".extra/tpm2-pcr-public-key.pem"},
	{".osrel", ".extra/os-release"},
	{".profile", ".extra/profile"},
};

// The parser's /.extra archive of @files (the sections of kExtraFiles, a
// null one absent): the bytes it writes between the files' data pinned
// by their digest, the data as ranges of the image
void extra_parts(std::vector<ManifestPart> &parts, const PeImage &pe,
		 std::span<const Section *const, std::size(kExtraFiles)> files)
{
	std::vector<std::uint8_t> gap;
	bool started = false;
	auto pin_gap = [&] {
		parts.push_back({KEXEC_PE_DST_INITRD, PartKind::Digest, 0, gap.size(), Sha256::of(gap)});
		gap.clear();
	};

	for (std::size_t k = 0; k < files.size(); k++) {
		const Section *s = files[k];
		if (!s || s->data.empty())
			continue;
		if (!started)
			cpio_entry(gap, 1, 0040555, 0, ".extra");
		started = true;
		cpio_entry(gap, std::uint32_t(2 + k), 0100444, std::uint32_t(s->data.size()),
			   kExtraFiles[k].name);
		pin_gap();
		parts.push_back(image_part(KEXEC_PE_DST_INITRD, pe, s->data));
		gap.resize((4 - s->data.size() % 4) % 4);
	}
	if (!started)
		return;
	cpio_entry(gap, 0, 0, 0, "TRAILER!!!");
	pin_gap();
}

// The kernel of an EFI zboot image at @bytes, @base bytes into the
// image: the kernel's decompression of its payload. Decompressed here too,
// so that an image whose payload does not make the size it records is
// refused when it is signed, not when it is loaded.
ManifestPart zboot_part(std::span<const std::uint8_t> bytes, std::uint64_t base,
			const ZbootHeader &h, std::string_view name)
{
	bool gzip = h.codec == "gzip";

	if (h.payload_size < 4 ||
	    std::uint64_t(h.payload_offset) + h.payload_size + (gzip ? 0 : 4) > bytes.size())
		throw Error(ELIBBAD, std::string(name), "the zboot payload lies outside the image");
	auto payload = bytes.subspan(h.payload_offset, h.payload_size);
	std::uint64_t expect = gzip ? le32(payload, payload.size() - 4, "gzip ISIZE")
				    : le32(bytes, h.payload_offset + h.payload_size, "zboot size");
	if (!expect)
		throw Error(ELIBBAD, std::string(name), "the zboot header records an empty kernel");
	if (expect > KEXEC_PE_KERNEL_MAX)
		throw Error(E2BIG, std::string(name), "the zboot kernel is over 512 MiB");
	auto kernel = decompress_payload(payload, h.codec, expect, name);
	// the name the kernel's decompress_method() gives the stream by its
	// first bytes, which decompress_payload() has just decoded
	std::string codec = payload[0] == 0x1f && (payload[1] == 0x8b || payload[1] == 0x9e) ? "gzip"
			    : payload[0] == 0x28 && payload[1] == 0xb5			     ? "zstd"
											     : "";
	if (codec.empty())
		throw Error(EBADMSG, std::string(name), "the zboot payload is neither a gzip nor a zstd stream");
	return {KEXEC_PE_DST_KERNEL, PartKind::Decompressed, base + h.payload_offset, kernel.size(),
		Digest{}, h.payload_size, codec};
}

} // namespace

std::string_view dst_name(std::uint32_t dst) noexcept
{
	switch (dst) {
	case KEXEC_PE_DST_KERNEL: return "kernel";
	case KEXEC_PE_DST_INITRD: return "initrd";
	case KEXEC_PE_DST_CMDLINE: return "command line";
	}
	return "?";
}

std::vector<std::uint8_t> serialize_manifest(std::span<const ManifestPart> parts)
{
	std::vector<std::uint8_t> v;

	v.reserve(kHeader + parts.size() * kPart);
	put32(v, KEXEC_PE_MANIFEST_MAGIC);
	put32(v, KEXEC_PE_MANIFEST_VERSION);
	put32(v, std::uint32_t(parts.size()));
	put32(v, 0);
	for (const ManifestPart &p : parts) {
		put32(v, p.dst);
		put32(v, std::uint32_t(p.kind));
		put64(v, p.offset);
		put64(v, p.length);
		if (p.kind == PartKind::Digest) {
			v.insert(v.end(), p.sha256.begin(), p.sha256.end());
		} else if (p.kind == PartKind::Decompressed) {
			put64(v, p.stream_length);
			std::size_t at = v.size();
			v.resize(at + 24);
			std::copy_n(p.codec.begin(), std::min<std::size_t>(p.codec.size(), 8), v.begin() + at);
		} else {
			v.resize(v.size() + 32);
		}
	}
	return v;
}

std::vector<ManifestPart> parse_manifest(std::span<const std::uint8_t> b,
					 std::uint64_t image_size, std::string_view name)
{
	const std::string obj = std::string(name) + ": " KEXEC_PE_MANIFEST_SECTION;

	if (b.size() < kHeader || le32(b, 0, "magic") != KEXEC_PE_MANIFEST_MAGIC ||
	    le32(b, 4, "version") != KEXEC_PE_MANIFEST_VERSION || le32(b, 12, "flags"))
		throw Error(ELIBBAD, obj, "not a version 1 manifest");
	std::uint32_t nr = le32(b, 8, "nr_parts");
	if (nr > KEXEC_PE_MANIFEST_PARTS_MAX || (b.size() - kHeader) / kPart < nr)
		throw Error(ELIBBAD, obj, std::to_string(nr) + " parts in " + std::to_string(b.size()) +
					  " bytes");
	std::vector<ManifestPart> parts;
	std::uint64_t total[4] = {};
	std::uint64_t profile = 0;
	auto ends_profile = [&] {
		if (!total[KEXEC_PE_DST_KERNEL])
			throw Error(ELIBBAD, obj, "profile " + std::to_string(profile) + " pins no kernel");
	};
	for (std::uint32_t i = 0; i < nr; i++) {
		std::size_t at = kHeader + i * kPart;
		ManifestPart p;
		p.dst = le32(b, at, "dst");
		std::uint32_t kind = le32(b, at + 4, "kind");
		p.kind = PartKind(kind);
		p.offset = le64(b, at + 8, "offset");
		p.length = le64(b, at + 16, "length");
		std::memcpy(p.sha256.data(), b.data() + at + 24, 32);
		bool digest_zero = p.sha256 == Digest{};
		if (p.kind == PartKind::Decompressed) {
			// the same bytes are the stream's length and codec
			p.sha256 = {};
			p.stream_length = le64(b, at + 24, "stream length");
			auto codec = b.subspan(at + 32, 8);
			p.codec.assign(codec.begin(), std::find(codec.begin(), codec.end(), 0));
		}
		// profiles: the first part starts profile 0, the next ones count up
		bool profiles = !parts.empty() ? parts[0].kind == PartKind::Profile
					       : p.kind == PartKind::Profile;
		if (profiles && p.kind == PartKind::Profile && !p.dst && !p.length && digest_zero &&
		    p.offset == (i ? profile + 1 : 0)) {
			if (i)
				ends_profile();
			profile = p.offset;
			std::fill(std::begin(total), std::end(total), 0);
			parts.push_back(p);
			continue;
		}
		bool ok = p.dst >= KEXEC_PE_DST_KERNEL && p.dst <= KEXEC_PE_DST_CMDLINE && p.length &&
			  p.length <= dst_max(p.dst) - total[p.dst];
		if (ok && p.kind == PartKind::Image)
			ok = p.offset <= image_size && p.length <= image_size - p.offset && digest_zero;
		else if (ok && p.kind == PartKind::Decompressed)
			// a stream in the image, a name padded with NULs, the rest zero
			ok = p.stream_length >= 2 && p.offset <= image_size &&
			     p.stream_length <= image_size - p.offset && !p.codec.empty() &&
			     std::all_of(b.begin() + at + 32 + p.codec.size(), b.begin() + at + 56,
					 [](std::uint8_t c) { return c == 0; });
		else if (ok && p.kind == PartKind::Zero)
			ok = !p.offset && digest_zero;
		else if (ok)
			ok = p.kind == PartKind::Digest && !p.offset;
		if (!ok)
			throw Error(ELIBBAD, obj, "part " + std::to_string(i) + " is not one the kernel can check");
		total[p.dst] += p.length;
		parts.push_back(p);
	}
	ends_profile();
	return parts;
}

std::vector<std::uint8_t> decompress_payload(std::span<const std::uint8_t> in,
					     std::string_view codec, std::uint64_t expect,
					     std::string_view name)
{
	const std::string obj(name);
	std::vector<std::uint8_t> out(expect);

	if (codec == "gzip") {
		z_stream z{};
		if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
			throw Error(ENOMEM, obj, "inflateInit2");
		z.next_in = const_cast<Bytef *>(in.data());
		z.avail_in = uInt(in.size());
		z.next_out = out.data();
		z.avail_out = uInt(out.size());
		int r = inflate(&z, Z_FINISH);
		std::uint64_t got = z.total_out;
		inflateEnd(&z);
		if (r != Z_STREAM_END || got != expect)
			throw Error(EBADMSG, obj, "the gzip payload does not decompress to the " +
						  std::to_string(expect) + " bytes it records");
		return out;
	}
#ifdef KEXECPE_HAVE_ZSTD
	if (codec == "zstd" || codec == "zstd22") {
		std::size_t got = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
		if (ZSTD_isError(got) || got != expect)
			throw Error(EBADMSG, obj, "the zstd payload does not decompress to the " +
						  std::to_string(expect) + " bytes it records");
		return out;
	}
#endif
	throw Error(EOPNOTSUPP, obj, "cannot compute the manifest of a " + std::string(codec) +
				     " zboot payload: kexec-pe decompresses gzip and zstd",
		    "re-make the image with gzip or zstd, or embed with --no-manifest");
}

namespace {

// The parts the parser produces from the profile @p of the UKI @pe
void compute_profile(std::vector<ManifestPart> &parts, const PeImage &pe, const Profile &p,
		     const std::string &where)
{
	auto one = [&](const char *n) -> const Section * {
		std::vector<const Section *> s = profile_sections(pe, p.index, n);
		if (s.size() > 1)
			throw Error(ELIBBAD, where, std::string("two ") + n + " sections");
		return s.empty() ? nullptr : s[0];
	};
	const Section *linux = one(".linux");
	if (!linux || linux->data.empty())
		throw Error(ENOMSG, where, "neither a UKI (no .linux) nor an EFI zboot image: no manifest to compute",
			    "embed with --no-manifest if the parser is not the project's");
	if (auto z = zboot_header(linux->data))
		parts.push_back(zboot_part(linux->data, std::uint64_t(linux->data.data() - pe.bytes().data()),
					   *z, where + ": .linux"));
	else
		parts.push_back(image_part(KEXEC_PE_DST_KERNEL, pe, linux->data));
	const Section *ucode = one(".ucode"), *initrd = one(".initrd"), *c = one(".cmdline");
	initrd_part(parts, pe, ucode);
	initrd_part(parts, pe, initrd);
	const Section *extra[std::size(kExtraFiles)];
	for (std::size_t k = 0; k < std::size(kExtraFiles); k++)
		extra[k] = std::string_view(kExtraFiles[k].section) == ".profile"
				   ? p.section
				   : one(kExtraFiles[k].section);
	extra_parts(parts, pe, extra);
	if (c && !c->data.empty()) {
		if (c->data.size() > kCmdlineMax)
			throw Error(E2BIG, where + ": .cmdline",
				    "over " + std::to_string(kCmdlineMax) + " bytes, more than the parser reads");
		std::size_t n = c->data.size();
		while (n && (c->data[n - 1] == 0 || c->data[n - 1] == ' ' || c->data[n - 1] == '\t' ||
			     c->data[n - 1] == '\r' || c->data[n - 1] == '\n'))
			n--;
		if (std::find(c->data.begin(), c->data.begin() + n, 0) != c->data.begin() + n)
			throw Error(EBADMSG, where + ": .cmdline",
				    "a NUL inside the command line: the kernel refuses it");
		if (n)
			parts.push_back(image_part(KEXEC_PE_DST_CMDLINE, pe, c->data.first(n)));
	}
}

} // namespace

std::vector<ManifestPart> compute_manifest(const PeImage &pe)
{
	std::vector<ManifestPart> parts;

	if (auto z = zboot_header(pe.bytes())) {
		parts.push_back(zboot_part(pe.bytes(), 0, *z, pe.name()));
		return parts;
	}
	// what the parser refuses, refused here: a manifest of it would pin
	// what no parser run produces
	if (pe.section_table_offset() + 40 * pe.sections().size() > kHeadersRead)
		throw Error(ELIBBAD, pe.name(), "the section table ends past the first " +
				    std::to_string(kHeadersRead) + " bytes, which the parser reads");
	for (const char *n : {".linux", ".initrd", ".cmdline", ".ucode", ".pcrsig", ".pcrpkey", ".osrel"}) {
		unsigned count = 0;
		for (const Section &s : pe.sections()) {
			if (s.name == ".profile")
				break;
			count += s.name == n;
		}
		if (count > 1)
			throw Error(ELIBBAD, pe.name(), std::string("two ") + n + " sections");
	}
	std::vector<Profile> all = profiles(pe);
	for (const Profile &p : all) {
		std::string where = pe.name();
		if (p.section) {
			where += ": profile " + std::to_string(p.index);
			parts.push_back({0, PartKind::Profile, p.index, 0, {}});
		}
		compute_profile(parts, pe, p, where);
	}
	if (parts.size() > KEXEC_PE_MANIFEST_PARTS_MAX)
		throw Error(E2BIG, pe.name(), std::to_string(parts.size()) + " manifest parts for " +
				    std::to_string(all.size()) + " profiles, over the kernel's " +
				    std::to_string(KEXEC_PE_MANIFEST_PARTS_MAX));
	return parts;
}

} // namespace kexecpe
