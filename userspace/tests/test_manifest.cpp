// SPDX-License-Identifier: GPL-2.0
// The .kexecmf manifest: SHA-256, the format the kernel reads, and what
// embed pins for each kind of image the project's parser knows.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include <linux/kexec_pe.h>

#include "error.hpp"
#include "images.hpp"
#include "manifest.hpp"
#include "pe.hpp"
#include "sha256.hpp"

using namespace kexecpe;
using namespace kexecpe::test;

namespace {

std::string hexd(const Digest &d)
{
	std::string s;
	char b[3];
	for (auto x : d) {
		std::snprintf(b, sizeof(b), "%02x", x);
		s += b;
	}
	return s;
}

std::vector<std::uint8_t> bytes(std::string_view s)
{
	return {s.begin(), s.end()};
}

std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t> &in)
{
	z_stream z{};
	std::vector<std::uint8_t> out(compressBound(uLong(in.size())) + 64);
	deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = const_cast<Bytef *>(in.data());
	z.avail_in = uInt(in.size());
	z.next_out = out.data();
	z.avail_out = uInt(out.size());
	EXPECT_EQ(Z_STREAM_END, deflate(&z, Z_FINISH));
	out.resize(z.total_out);
	deflateEnd(&z);
	return out;
}

// An EFI zboot image (drivers/firmware/efi/libstub/zboot-header.S) whose
// payload is @payload, in one section, followed by le32 @size (what every
// codec but gzip records there)
std::vector<std::uint8_t> zboot(const std::vector<std::uint8_t> &payload, const char *codec,
				std::uint32_t size = 5000)
{
	auto text = payload;
	for (int i = 0; i < 4; i++)
		text.push_back(std::uint8_t(size >> (8 * i)));
	auto img = tiny_pe({{".text", text}});
	PeImage pe = PeImage::parse(img, "zboot");
	std::uint32_t off = pe.find(".text")->raw_offset;
	put_le32(img, 4, 0x676d697a);			// "zimg"
	put_le32(img, 8, off);
	put_le32(img, 12, std::uint32_t(payload.size()));
	std::memcpy(img.data() + 0x18, codec, std::strlen(codec) + 1);
	put_le32(img, 0x38, 0x818223cd);		// LINUX_PE_MAGIC
	return img;
}

} // namespace

TEST(Sha256, KnownAnswers)
{
	EXPECT_EQ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		  hexd(Sha256::of({})));
	EXPECT_EQ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		  hexd(Sha256::of(bytes("abc"))));
	// two blocks, and the padding across them
	EXPECT_EQ("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		  hexd(Sha256::of(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))));
	// a million 'a', fed in uneven pieces
	std::vector<std::uint8_t> a(1000000, 'a');
	Sha256 h;
	for (std::size_t at = 0, n = 1; at < a.size(); at += n, n = n * 3 % 1021 + 1)
		h.update(std::span(a).subspan(at, std::min(n, a.size() - at)));
	EXPECT_EQ("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", hexd(h.final()));
}

TEST(Manifest, RoundTripsAndIsWhatTheKernelReads)
{
	std::vector<ManifestPart> parts = {
		{KEXEC_PE_DST_KERNEL, PartKind::Image, 0x400, 100, {}},
		{KEXEC_PE_DST_INITRD, PartKind::Zero, 0, 3, {}},
		{KEXEC_PE_DST_CMDLINE, PartKind::Digest, 0, 5, Sha256::of(bytes("quiet"))},
	};
	auto b = serialize_manifest(parts);
	ASSERT_EQ(sizeof(kexec_pe_manifest) + 3 * sizeof(kexec_pe_manifest_part), b.size());
	EXPECT_EQ(KEXEC_PE_MANIFEST_MAGIC, le32(b, 0, "magic"));
	auto back = parse_manifest(b, 0x1000, "x");
	ASSERT_EQ(3u, back.size());
	EXPECT_EQ(parts[2].sha256, back[2].sha256);
	EXPECT_EQ(0x400u, back[0].offset);
}

TEST(Manifest, RefusesWhatTheKernelRefuses)
{
	auto good = serialize_manifest(std::vector<ManifestPart>{
		{KEXEC_PE_DST_KERNEL, PartKind::Image, 0x400, 100, {}}});
	auto expect_bad = [](std::vector<std::uint8_t> b, std::uint64_t size = 0x1000) {
		try {
			parse_manifest(b, size, "x");
			ADD_FAILURE() << "accepted";
		} catch (const Error &e) {
			EXPECT_EQ(ELIBBAD, e.code()) << e.what();
		}
	};
	expect_bad(good, 0x400 + 99);		// the range past the image's end
	auto b = good;
	b[0] ^= 1;				// magic
	expect_bad(b);
	b = good;
	put_le32(b, 4, 2);			// version
	expect_bad(b);
	b = good;
	put_le32(b, 8, 2);			// more parts than the section holds
	expect_bad(b);
	b = good;
	put_le32(b, 16, 4);			// no such result
	expect_bad(b);
	b = good;
	put_le32(b, 20, 9);			// no such kind
	expect_bad(b);
	b = good;
	put_le32(b, 32, 0);			// length 0
	expect_bad(b);
	b = serialize_manifest(std::vector<ManifestPart>{
		{KEXEC_PE_DST_INITRD, PartKind::Zero, 0, 3, {}}});
	b.back() = 1;				// a ZERO part with a digest
	expect_bad(b);
}

TEST(Manifest, UkiPinsItsSectionsWherTheyAre)
{
	std::vector<std::uint8_t> linux(3000, 0x4d), initrd(401, 7), ucode(8, 9);
	auto img = tiny_pe({{".linux", linux}, {".ucode", ucode}, {".initrd", initrd},
			    {".cmdline", bytes("console=ttyS0 quiet \n\0\0")}});
	PeImage pe = PeImage::parse(img, "uki");
	auto parts = compute_manifest(pe);
	ASSERT_EQ(5u, parts.size());
	EXPECT_EQ(KEXEC_PE_DST_KERNEL, parts[0].dst);
	EXPECT_EQ(PartKind::Image, parts[0].kind);
	EXPECT_EQ(pe.find(".linux")->raw_offset, parts[0].offset);
	EXPECT_EQ(3000u, parts[0].length);
	// .ucode first, then .initrd padded to 4 bytes
	EXPECT_EQ(pe.find(".ucode")->raw_offset, parts[1].offset);
	EXPECT_EQ(pe.find(".initrd")->raw_offset, parts[2].offset);
	EXPECT_EQ(PartKind::Zero, parts[3].kind);
	EXPECT_EQ(3u, parts[3].length);
	// the command line without its trailing white space and NULs
	EXPECT_EQ(KEXEC_PE_DST_CMDLINE, parts[4].dst);
	EXPECT_EQ(19u, parts[4].length);
}

TEST(Manifest, ZbootPinsTheDecompressedKernel)
{
	std::vector<std::uint8_t> kernel(100000);
	for (std::size_t i = 0; i < kernel.size(); i++)
		kernel[i] = std::uint8_t(i * 7 + i / 300);
	auto img = zboot(gzip(kernel), "gzip");
	PeImage pe = PeImage::parse(img, "zboot");
	auto parts = compute_manifest(pe);
	ASSERT_EQ(1u, parts.size());
	// the kernel's decompression of the payload: the stream, its codec,
	// the size it makes; no digest of the output for the kernel to compute
	auto z = zboot_header(pe.bytes());
	ASSERT_TRUE(z);
	EXPECT_EQ(PartKind::Decompressed, parts[0].kind);
	EXPECT_EQ(KEXEC_PE_DST_KERNEL, parts[0].dst);
	EXPECT_EQ(z->payload_offset, parts[0].offset);
	EXPECT_EQ(z->payload_size, parts[0].stream_length);
	EXPECT_EQ("gzip", parts[0].codec);
	EXPECT_EQ(kernel.size(), parts[0].length);
	EXPECT_EQ(Digest{}, parts[0].sha256);

	// as the kernel reads it: the uapi layout, read back the same
	auto wire = serialize_manifest(parts);
	ASSERT_EQ(sizeof(kexec_pe_manifest) + sizeof(kexec_pe_manifest_part), wire.size());
	kexec_pe_manifest_part p;
	std::memcpy(&p, wire.data() + sizeof(kexec_pe_manifest), sizeof(p));
	EXPECT_EQ(std::uint32_t(KEXEC_PE_PART_DECOMPRESSED), p.kind);
	EXPECT_EQ(z->payload_size, p.stream.length);
	EXPECT_EQ(0, std::memcmp(p.stream.codec, "gzip\0\0\0\0", 8));
	EXPECT_TRUE(std::all_of(std::begin(p.stream.reserved), std::end(p.stream.reserved),
				[](std::uint8_t c) { return c == 0; }));
	// read back, every field the same (inspect compares them all)
	auto back = parse_manifest(wire, img.size(), "zboot");
	ASSERT_EQ(1u, back.size());
	EXPECT_EQ(parts[0].dst, back[0].dst);
	EXPECT_EQ(parts[0].kind, back[0].kind);
	EXPECT_EQ(parts[0].offset, back[0].offset);
	EXPECT_EQ(parts[0].length, back[0].length);
	EXPECT_EQ(parts[0].sha256, back[0].sha256);
	EXPECT_EQ(parts[0].stream_length, back[0].stream_length);
	EXPECT_EQ(parts[0].codec, back[0].codec);

	// what the kernel refuses as a part it cannot check, refused here
	auto bad = wire;
	bad[sizeof(kexec_pe_manifest) + offsetof(kexec_pe_manifest_part, stream.reserved)] = 1;
	EXPECT_THROW(parse_manifest(bad, img.size(), "zboot"), Error);
	bad = wire;
	std::memset(bad.data() + sizeof(kexec_pe_manifest) + offsetof(kexec_pe_manifest_part, stream.length), 0, 8);
	EXPECT_THROW(parse_manifest(bad, img.size(), "zboot"), Error);
	bad = wire;
	bad[sizeof(kexec_pe_manifest) + offsetof(kexec_pe_manifest_part, stream.codec) + 2] = 0;
	EXPECT_THROW(parse_manifest(bad, img.size(), "zboot"), Error);
}

TEST(Manifest, ZbootThatLiesIsRefused)
{
	std::vector<std::uint8_t> kernel(5000, 1);
	auto z = gzip(kernel);
	z[z.size() - 2] ^= 1;			// ISIZE: not the stream's size
	auto img = zboot(z, "gzip");
	try {
		compute_manifest(PeImage::parse(img, "zboot"));
		ADD_FAILURE() << "accepted";
	} catch (const Error &e) {
		EXPECT_EQ(EBADMSG, e.code()) << e.what();
	}
	img = zboot(gzip(kernel), "lzo");
	try {
		compute_manifest(PeImage::parse(img, "zboot"));
		ADD_FAILURE() << "accepted";
	} catch (const Error &e) {
		EXPECT_EQ(EOPNOTSUPP, e.code()) << e.what();
	}
}

TEST(Manifest, NeitherUkiNorZbootHasNone)
{
	auto img = tiny_pe({{".text", std::vector<std::uint8_t>(64, 1)}});
	try {
		compute_manifest(PeImage::parse(img, "plain"));
		ADD_FAILURE() << "accepted";
	} catch (const Error &e) {
		EXPECT_EQ(ENOMSG, e.code()) << e.what();
	}
}

TEST(Manifest, RefusesWhatTheParserRefuses)
{
	auto expect = [](const std::vector<TinySection> &secs, int err) {
		auto img = tiny_pe(secs);
		try {
			compute_manifest(PeImage::parse(img, "uki"));
			ADD_FAILURE() << "accepted";
		} catch (const Error &e) {
			EXPECT_EQ(err, e.code()) << e.what();
		}
	};
	std::vector<std::uint8_t> linux(100, 1);
	// an empty first .initrd and a real one: which counts?
	expect({{".linux", linux}, {".initrd", {}}, {".initrd", bytes("x")}}, ELIBBAD);
	expect({{".linux", linux}, {".linux", linux}}, ELIBBAD);
	expect({{".linux", linux}, {".pcrsig", bytes("{}")}, {".pcrsig", bytes("{}")}}, ELIBBAD);
	// the kernel refuses a command line with a NUL in it
	expect({{".linux", linux}, {".cmdline", bytes(std::string_view("quiet\0x", 7))}}, EBADMSG);
	// more than the parser reads
	expect({{".linux", linux}, {".cmdline", std::vector<std::uint8_t>(5000, 'a')}}, E2BIG);
}

namespace {

// A UKI with two profiles: 0 has no sections of its own (the base's
// command line), 1 its own command line
std::vector<std::uint8_t> two_profiles()
{
	std::vector<std::uint8_t> linux(3000, 0x4d);
	return tiny_pe({{".cmdline", bytes("base")}, {".linux", linux},
			{".profile", bytes("ID=default\nTITLE=Default\n")},
			{".profile", bytes("ID=rescue\nTITLE=\"Rescue shell\"\n")},
			{".cmdline", bytes("rescue \n")}});
}

} // namespace

TEST(Manifest, PinsEachProfileApart)
{
	auto img = two_profiles();
	PeImage pe = PeImage::parse(img, "uki");
	const Section &rescue = pe.sections()[4];
	auto parts = compute_manifest(pe);
	// each profile: the kernel, its .profile as /.extra/profile (the
	// archive's head, the section, its end), the command line
	ASSERT_EQ(12u, parts.size());
	EXPECT_EQ(PartKind::Profile, parts[0].kind);
	EXPECT_EQ(0u, parts[0].offset);
	EXPECT_EQ(pe.find(".linux")->raw_offset, parts[1].offset);
	EXPECT_EQ(PartKind::Digest, parts[2].kind);
	EXPECT_EQ(pe.sections()[2].raw_offset, parts[3].offset);	// profile 0's .profile
	EXPECT_EQ(PartKind::Digest, parts[4].kind);
	EXPECT_EQ(pe.find(".cmdline")->raw_offset, parts[5].offset);	// the base's
	EXPECT_EQ(4u, parts[5].length);
	EXPECT_EQ(PartKind::Profile, parts[6].kind);
	EXPECT_EQ(1u, parts[6].offset);
	EXPECT_EQ(pe.find(".linux")->raw_offset, parts[7].offset);
	EXPECT_EQ(pe.sections()[3].raw_offset, parts[9].offset);	// profile 1's .profile
	EXPECT_EQ(rescue.raw_offset, parts[11].offset);			// its own
	EXPECT_EQ(6u, parts[11].length);
	// what the kernel reads back
	auto back = parse_manifest(serialize_manifest(parts), img.size(), "uki");
	ASSERT_EQ(12u, back.size());
	EXPECT_EQ(PartKind::Profile, back[6].kind);
	EXPECT_EQ(1u, back[6].offset);
}

namespace {

// A newc header as written out by hand: the test's own oracle of the
// format, not the code under test
std::string newc(const char *ino, const char *mode, const char *nlink, const char *size,
		 const char *namesize, std::string_view name)
{
	std::string h = std::string("070701") + ino + mode + "00000000" "00000000" + nlink +
			"00000000" + size + "00000000" "00000000" "00000000" "00000000" + namesize +
			"00000000";
	h += name;
	h += '\0';
	while (h.size() % 4)
		h += '\0';
	return h;
}

} // namespace

TEST(Manifest, PassesOnSectionsAsSystemdStubDoes)
{
	std::vector<std::uint8_t> linux(3000, 0x4d);
	auto img = tiny_pe({{".linux", linux}, {".initrd", bytes("abcd")},
			    {".osrel", bytes("ID=x\n")},
			    {".pcrsig", bytes("{\"sha256\":[]}\n")},
			    {".sbom", bytes("{}")}});
	PeImage pe = PeImage::parse(img, "uki");
	auto parts = compute_manifest(pe);
	// kernel; .initrd; head, .pcrsig, between, .osrel, end
	ASSERT_EQ(7u, parts.size());
	EXPECT_EQ(pe.find(".initrd")->raw_offset, parts[1].offset);
	for (std::size_t i = 2; i < 7; i++)
		EXPECT_EQ(KEXEC_PE_DST_INITRD, parts[i].dst) << i;
	EXPECT_EQ(PartKind::Image, parts[3].kind);
	EXPECT_EQ(pe.find(".pcrsig")->raw_offset, parts[3].offset);
	EXPECT_EQ(14u, parts[3].length);
	EXPECT_EQ(PartKind::Image, parts[5].kind);
	EXPECT_EQ(pe.find(".osrel")->raw_offset, parts[5].offset);
	EXPECT_EQ(5u, parts[5].length);

	// the directory (0555) and the signature's file (0444, inode 2)
	std::string head = newc("00000001", "0000416D", "00000002", "00000000", "00000007", ".extra") +
			   newc("00000002", "00008124", "00000001", "0000000E", "0000001F",
				".extra/tpm2-pcr-signature.json");
	EXPECT_EQ(PartKind::Digest, parts[2].kind);
	EXPECT_EQ(head.size(), parts[2].length);
	EXPECT_EQ(Sha256::of(bytes(head)), parts[2].sha256);
	// 14 bytes of data: 2 of padding, then os-release (inode 4)
	std::string between = std::string(2, '\0') +
			      newc("00000004", "00008124", "00000001", "00000005", "00000012",
				   ".extra/os-release");
	EXPECT_EQ(between.size(), parts[4].length);
	EXPECT_EQ(Sha256::of(bytes(between)), parts[4].sha256);
	// 5 bytes: 3 of padding, then the trailer
	std::string end = std::string(3, '\0') +
			  newc("00000000", "00000000", "00000001", "00000000", "0000000B", "TRAILER!!!");
	EXPECT_EQ(end.size(), parts[6].length);
	EXPECT_EQ(Sha256::of(bytes(end)), parts[6].sha256);
	// the archive ends 4-byte aligned: what follows is another archive
	std::uint64_t total = 0;
	for (std::size_t i = 2; i < 7; i++)
		total += parts[i].length;
	EXPECT_EQ(0u, total % 4);
	EXPECT_EQ(7u, parse_manifest(serialize_manifest(parts), img.size(), "uki").size());
}

TEST(Manifest, RefusesProfilesTheKernelRefuses)
{
	const ManifestPart k = {KEXEC_PE_DST_KERNEL, PartKind::Image, 0x400, 100, {}};
	auto profile = [](std::uint64_t n) { return ManifestPart{0, PartKind::Profile, n, 0, {}}; };
	auto expect_bad = [](std::vector<ManifestPart> parts) {
		try {
			parse_manifest(serialize_manifest(parts), 0x1000, "x");
			ADD_FAILURE() << "accepted";
		} catch (const Error &e) {
			EXPECT_EQ(ELIBBAD, e.code()) << e.what();
		}
	};
	EXPECT_EQ(4u, parse_manifest(serialize_manifest(std::vector<ManifestPart>{
					     profile(0), k, profile(1), k}), 0x1000, "x").size());
	expect_bad({profile(0), k, profile(2), k});	// out of order
	expect_bad({profile(1), k});			// not from 0
	expect_bad({profile(0), profile(1), k});	// profile 0 pins no kernel
	expect_bad({profile(0), k, profile(1)});	// nor profile 1
	expect_bad({k, profile(1), k});			// not first
	ManifestPart sized = profile(1);
	sized.length = 1;
	expect_bad({profile(0), k, sized, k});
}

TEST(Profiles, ListedSelectedAndResolved)
{
	auto img = two_profiles();
	PeImage pe = PeImage::parse(img, "uki");
	auto all = profiles(pe);
	ASSERT_EQ(2u, all.size());
	EXPECT_EQ("default", all[0].id);
	EXPECT_EQ("Rescue shell", all[1].title);
	EXPECT_TRUE(all[0].own.empty());
	ASSERT_EQ(1u, all[1].own.size());
	EXPECT_EQ(".cmdline", all[1].own[0]->name);
	EXPECT_EQ(&pe.sections()[0], profile_sections(pe, 0, ".cmdline").at(0));
	EXPECT_EQ(&pe.sections()[4], profile_sections(pe, 1, ".cmdline").at(0));
	EXPECT_EQ(pe.find(".linux"), profile_sections(pe, 1, ".linux").at(0));
	EXPECT_EQ(1u, select_profile(pe, "rescue"));
	EXPECT_EQ(1u, select_profile(pe, "1"));
	EXPECT_EQ(0u, select_profile(pe, "0"));
	for (const char *bad : {"2", "other", "-1", "1x"}) {
		try {
			select_profile(pe, bad);
			ADD_FAILURE() << bad << " accepted";
		} catch (const Error &e) {
			EXPECT_EQ(ENOENT, e.code());
			EXPECT_NE(std::string::npos, std::string(e.what()).find("1 (rescue)")) << e.what();
		}
	}
	try {
		profile_sections(pe, 2, ".cmdline");
		ADD_FAILURE() << "profile 2 accepted";
	} catch (const Error &e) {
		EXPECT_EQ(ENOENT, e.code());
	}
	// an image without .profile sections is profile 0, its base
	auto plain = tiny_pe({{".linux", std::vector<std::uint8_t>(100, 1)}});
	PeImage p2 = PeImage::parse(plain, "plain");
	ASSERT_EQ(1u, profiles(p2).size());
	EXPECT_EQ(nullptr, profiles(p2)[0].section);
	EXPECT_EQ(0u, select_profile(p2, "0"));
	EXPECT_THROW(select_profile(p2, "1"), Error);
	// no manifest part for the profile of an image without them
	auto parts = compute_manifest(p2);
	ASSERT_EQ(1u, parts.size());
	EXPECT_EQ(PartKind::Image, parts[0].kind);
}

TEST(Manifest, RefusesWhatTheParserRefusesInAProfile)
{
	std::vector<std::uint8_t> linux(300, 0x4d);
	auto img = tiny_pe({{".linux", linux}, {".profile", bytes("ID=a")},
			    {".cmdline", bytes("one")}, {".cmdline", bytes("two")}});
	try {
		compute_manifest(PeImage::parse(img, "uki"));
		ADD_FAILURE() << "two .cmdline sections in a profile accepted";
	} catch (const Error &e) {
		EXPECT_EQ(ELIBBAD, e.code()) << e.what();
	}
}
