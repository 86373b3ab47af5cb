// SPDX-License-Identifier: GPL-2.0
// kexec-pe embed: a section added or replaced, nothing else moved.
#include "embed.hpp"
#include "error.hpp"
#include "images.hpp"
#include "pe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace kexecpe;
using namespace kexecpe::test;

namespace {

// Every section of @before is in @after with the same header fields and
// bytes (the signature apart)
void expect_unmoved(const PeImage &before, const PeImage &after)
{
	for (const Section &s : before.sections()) {
		if (s.name == ".bpf")
			continue;
		const Section *t = after.find(s.name);
		ASSERT_NE(nullptr, t) << s.name;
		EXPECT_EQ(s.raw_offset, t->raw_offset) << s.name;
		EXPECT_EQ(s.raw_size, t->raw_size) << s.name;
		EXPECT_EQ(s.virtual_address, t->virtual_address) << s.name;
		EXPECT_EQ(s.virtual_size, t->virtual_size) << s.name;
		ASSERT_EQ(s.data.size(), t->data.size()) << s.name;
		EXPECT_EQ(0, std::memcmp(s.data.data(), t->data.data(), s.data.size())) << s.name;
	}
}

void expect_section(const PeImage &pe, const std::vector<std::uint8_t> &content)
{
	const Section *b = pe.find(".bpf");
	ASSERT_NE(nullptr, b);
	ASSERT_EQ(content.size(), b->data.size());
	EXPECT_EQ(0, std::memcmp(content.data(), b->data.data(), content.size()));
	EXPECT_EQ(0u, b->raw_offset % pe.file_alignment());
	EXPECT_EQ(0u, b->virtual_address % pe.section_alignment());
	EXPECT_LE(b->virtual_address + b->virtual_size, pe.size_of_image());
	int n = 0;
	for (const Section &s : pe.sections())
		n += s.name == ".bpf";
	EXPECT_EQ(1, n);
}

// sbsign, then sbverify against the project's test certificate: the result
// is a PE the signing tools (and so the kernel's verifier) accept
void expect_signable(const std::vector<std::uint8_t> &img)
{
	auto keys = build_dir() / "keys";
	if (!std::filesystem::exists(keys / "test.key") || std::system("command -v sbsign >/dev/null 2>&1")) {
		if (images_required())
			FAIL() << "no sbsign or build/keys/test.key, and KEXECPE_REQUIRE_IMAGES is set";
		GTEST_SKIP() << "no sbsign or build/keys/test.key";
	}
	TempDir d;
	write_bytes(d.path() / "in.efi", img);
	std::string sign = "sbsign --key " + (keys / "test.key").string() + " --cert " +
			   (keys / "test.crt").string() + " --output " + (d.path() / "out.efi").string() +
			   " " + (d.path() / "in.efi").string() + " >/dev/null 2>&1";
	ASSERT_EQ(0, std::system(sign.c_str())) << sign;
	std::string verify = "sbverify --cert " + (keys / "test.crt").string() + " " +
			     (d.path() / "out.efi").string() + " >/dev/null 2>&1";
	EXPECT_EQ(0, std::system(verify.c_str())) << verify;
}

// Embed the test parser into @b: nothing moved, the section as given
EmbedResult embed_and_check(const std::vector<std::uint8_t> &b)
{
	auto obj = hook_only_object();
	EmbedResult r = embed_section(b, "image", ".bpf", obj);

	expect_unmoved(PeImage::parse(b, "before"), PeImage::parse(r.image, "after"));
	expect_section(PeImage::parse(r.image, "after"), obj);
	return r;
}

} // namespace

TEST(Embed, IntoSystemdStubUki)
{
	NEED(bytes, "x86_64/bed/root/boot/uki.efi");
	EmbedResult r = embed_and_check(bytes);
	EXPECT_FALSE(r.replaced);
	expect_signable(r.image);
}

TEST(Embed, IntoZbootKeepsTheHeaderTrue)
{
	NEED(bytes, "arm64/arch/arm64/boot/vmlinuz.efi");
	EmbedResult r = embed_and_check(bytes);
	PeImage before = PeImage::parse(bytes, "before");
	PeImage after = PeImage::parse(r.image, "after");
	ASSERT_TRUE(after.zboot());
	const ZbootHeader &z0 = *before.zboot(), &z1 = *after.zboot();
	EXPECT_EQ(z0.payload_offset, z1.payload_offset);
	EXPECT_EQ(z0.payload_size, z1.payload_size);
	EXPECT_EQ(0, std::memcmp(&bytes[z0.payload_offset], &r.image[z1.payload_offset], z0.payload_size));
	expect_signable(r.image);
}

TEST(Embed, IntoBzImage)
{
	NEED(bytes, "x86_64/arch/x86/boot/bzImage");
	try {
		embed_and_check(bytes);
	} catch (const Error &e) {
		// the bzImage's headers may have no room: then say so precisely
		EXPECT_EQ(ENOSPC, e.code()) << e.what();
		EXPECT_NE(std::string::npos, std::string(e.what()).find("no room")) << e.what();
	}
}

TEST(Embed, ReplaceDropsTheSignature)
{
	NEED(bytes, "x86_64/bed/root/boot/kexec_pe/ok.efi");
	PeImage before = PeImage::parse(bytes, "before");
	ASSERT_TRUE(before.signed_());
	auto obj = hook_only_object();
	EmbedResult r = embed_section(bytes, "ok.efi", ".bpf", obj);
	EXPECT_TRUE(r.replaced);
	EXPECT_TRUE(r.dropped_signature);
	PeImage after = PeImage::parse(r.image, "after");
	EXPECT_FALSE(after.signed_());
	EXPECT_EQ(0u, after.cert_table_size());
	expect_unmoved(before, after);
	expect_section(after, obj);
	expect_signable(r.image);
}

// --add: a second section of a name, after the others (a multi-profile UKI)
TEST(Embed, AddKeepsTheSectionOfTheSameName)
{
	auto b = tiny_pe({{".text", std::vector<std::uint8_t>(700, 1)},
			  {".cmdline", std::vector<std::uint8_t>{'a'}}});
	const std::vector<std::uint8_t> prof = {'I', 'D', '=', 'x'}, c = {'b', 'c'};
	EmbedResult r = embed_section(b, "t", ".profile", prof, true);
	r = embed_section(r.image, "t", ".cmdline", c, true);
	EXPECT_FALSE(r.replaced);
	PeImage pe = PeImage::parse(r.image, "t");
	ASSERT_EQ(4u, pe.sections().size());
	EXPECT_EQ(".cmdline", pe.sections()[1].name);
	EXPECT_EQ(1u, pe.sections()[1].data.size());
	EXPECT_EQ(".profile", pe.sections()[2].name);
	EXPECT_EQ(".cmdline", pe.sections()[3].name);
	EXPECT_EQ(c, std::vector<std::uint8_t>(pe.sections()[3].data.begin(), pe.sections()[3].data.end()));
	EXPECT_GT(pe.sections()[3].virtual_address, pe.sections()[2].virtual_address);
	// without it, two of a name are refused: which one is replaced?
	try {
		embed_section(r.image, "t", ".cmdline", c);
		ADD_FAILURE() << "replaced one of two .cmdline sections";
	} catch (const Error &e) {
		EXPECT_EQ(ELIBBAD, e.code());
	}
}

TEST(Embed, ReplaceLastGrowsAndShrinks)
{
	auto b = tiny_pe({{".text", std::vector<std::uint8_t>(700, 1)}});
	std::vector<std::uint8_t> small(100, 7), big(5000, 9);

	EmbedResult r1 = embed_section(b, "t.efi", ".bpf", small);
	EmbedResult r2 = embed_section(r1.image, "t.efi", ".bpf", big);
	EXPECT_TRUE(r2.replaced);
	expect_section(PeImage::parse(r2.image, "t"), big);
	EmbedResult r3 = embed_section(r2.image, "t.efi", ".bpf", small);
	expect_section(PeImage::parse(r3.image, "t"), small);
	EXPECT_EQ(r1.image.size(), r3.image.size());
	expect_unmoved(PeImage::parse(b, "b"), PeImage::parse(r3.image, "t"));
}

TEST(Embed, ReplaceInPlaceWhenNotLast)
{
	auto b = tiny_pe({{".bpf", std::vector<std::uint8_t>(1000, 1)}, {".text", std::vector<std::uint8_t>(700, 2)}});
	std::vector<std::uint8_t> fits(900, 3), too_big(2000, 4);

	EmbedResult r = embed_section(b, "t.efi", ".bpf", fits);
	EXPECT_EQ(b.size(), r.image.size());
	PeImage pe = PeImage::parse(r.image, "t");
	expect_section(pe, fits);
	expect_unmoved(PeImage::parse(b, "b"), pe);
	try {
		embed_section(b, "t.efi", ".bpf", too_big);
		FAIL() << "grew a section that is not the last";
	} catch (const Error &e) {
		EXPECT_EQ(ENOSPC, e.code());
	}
}

// @img with a COFF symbol table of two symbols and a string table after
// its sections, as objcopy leaves one, then @more bytes
std::vector<std::uint8_t> with_symbols(std::vector<std::uint8_t> img, std::size_t more = 0)
{
	const std::uint32_t at = img.size();
	img.resize(at + 2 * 18, 0x5a);
	for (char b : {'\x0c', '\0', '\0', '\0', 'l', 'o', 'n', 'g', 'n', 'a', 'm', 'e'})
		img.push_back(b);
	img.resize(img.size() + more, 0xa5);
	put_le32(img, kPeOff + 12, at);
	put_le32(img, kPeOff + 16, 2);
	return img;
}

// What sbverify says of @img: its warnings (a gap in the section table)
std::string sbverify_list(const std::vector<std::uint8_t> &img)
{
	TempDir d;
	write_bytes(d.path() / "i.efi", img);
	std::string cmd = "sbverify --list " + (d.path() / "i.efi").string() + " 2>&1";
	std::string out;
	FILE *p = popen(cmd.c_str(), "r");
	char buf[512];
	while (p && fgets(buf, sizeof(buf), p))
		out += buf;
	if (p)
		pclose(p);
	return out;
}

// objcopy leaves a COFF symbol table after the sections: embedding after it
// left bytes between the last section and .bpf that no signature covers
TEST(Embed, DropsTheSymbolTableAndLeavesNoGap)
{
	auto plain = tiny_pe({{".linux", std::vector<std::uint8_t>(1000, 1)}});
	for (std::size_t more : {0, 100}) {
		SCOPED_TRACE(more ? "more bytes after the symbol table" : "the symbol table last");
		auto b = with_symbols(plain, more);
		EmbedResult r = embed_and_check(b);
		PeImage pe = PeImage::parse(r.image, "after");
		EXPECT_TRUE(r.dropped_symbols);
		EXPECT_EQ(0u, le32(r.image, kPeOff + 12, "PointerToSymbolTable"));
		EXPECT_EQ(0u, le32(r.image, kPeOff + 16, "NumberOfSymbols"));
		// .bpf right after .linux; the other bytes after it
		const Section *linux = pe.find(".linux"), *bpf = pe.find(".bpf");
		EXPECT_EQ(linux->raw_offset + linux->raw_size, bpf->raw_offset);
		EXPECT_EQ(bpf->raw_offset + bpf->raw_size + more, r.image.size());
		EXPECT_EQ(std::vector<std::uint8_t>(more, 0xa5),
			  std::vector<std::uint8_t>(r.image.end() - more, r.image.end()));
		if (!std::system("command -v sbverify >/dev/null 2>&1")) {
			EXPECT_NE(std::string::npos, sbverify_list(b).find("No signature table"));
			// bytes between sections are not hashed; bytes after
			// the last one are ("data remaining", as in the input)
			std::string says = sbverify_list(r.image);
			EXPECT_EQ(std::string::npos, says.find("gap in section table")) << says;
		}
	}
}

namespace {

std::vector<std::uint8_t> text(std::string_view t)
{
	return std::vector<std::uint8_t>(t.begin(), t.end());
}

// The first @n of what a UKI carries, as ukify would put it in (.linux
// with the inner kernel's SizeOfImage as VirtualSize)
std::vector<TinySection> uki_sections(std::size_t n)
{
	std::vector<TinySection> all = {
		{".osrel", text("ID=debian\nVERSION_ID=12\n")},
		{".cmdline", text("root=/dev/vda1 console=ttyS0\n")},
		{".linux", std::vector<std::uint8_t>(40000, 0x4c), 0x200000},
		{".initrd", std::vector<std::uint8_t>(5000, 0x49)},
		{".uname", text("6.12.57+deb13-amd64\n")},
		{".splash", std::vector<std::uint8_t>(3000, 0x53)},
		{".pcrpkey", std::vector<std::uint8_t>(451, 0x50)},
		{".ucode", std::vector<std::uint8_t>(100, 0x55)},
	};
	all.resize(n);
	return all;
}

// Every section of @before is in @after with the same address, sizes and
// bytes (but @changed's), its data @shift bytes further in the file
void expect_moved(const PeImage &before, const PeImage &after, std::uint32_t shift,
		  std::string_view changed = {})
{
	for (const Section &s : before.sections()) {
		const Section *t = after.find(s.name);
		ASSERT_NE(nullptr, t) << s.name;
		if (s.name == changed) {
			EXPECT_EQ(s.raw_offset + shift, t->raw_offset) << s.name;
			continue;
		}
		EXPECT_EQ(s.raw_offset + shift, t->raw_offset) << s.name;
		EXPECT_EQ(s.raw_size, t->raw_size) << s.name;
		EXPECT_EQ(s.virtual_address, t->virtual_address) << s.name;
		EXPECT_EQ(s.virtual_size, t->virtual_size) << s.name;
		ASSERT_EQ(s.data.size(), t->data.size()) << s.name;
		EXPECT_EQ(0, std::memcmp(s.data.data(), t->data.data(), s.data.size())) << s.name;
	}
}

// 17 sections of tiny_pe(): its 0x400 bytes of headers are full
std::vector<TinySection> seventeen()
{
	std::vector<TinySection> secs;

	for (int i = 0; i < 17; i++)
		secs.push_back({".s" + std::to_string(i), std::vector<std::uint8_t>(100 + i, i + 1)});
	return secs;
}

} // namespace

// Debian 12's arm64 systemd-stub fills its header area with NOPs up to
// .text at 0x1000; ukify writes its section headers over them, and so
// does embed: padding that no data directory points at is free
TEST(Embed, IntoUkifyUkiOverTheArm64StubsPadding)
{
	NEED_INSTALLED(stub, kStubAa64);
	const auto uki = ukify_layout(stub, uki_sections(4));
	const PeImage pe = PeImage::parse(uki, "uki");
	const std::size_t slot = pe.section_table_offset() + 40 * pe.sections().size();
	ASSERT_NE(0, uki[slot]) << "the slot after the table holds the stub's padding";

	EmbedResult r = embed_and_check(uki);
	EXPECT_EQ(0u, r.moved);
	EmbedResult m = embed_section(r.image, "uki", ".kexecmf", std::vector<std::uint8_t>(64, 1));
	EXPECT_EQ(0u, m.moved);
	expect_unmoved(pe, PeImage::parse(m.image, "after"));
	expect_signable(m.image);
	EXPECT_EQ(std::string::npos, sbverify_list(m.image).find("gap")) << sbverify_list(m.image);
}

// An x86_64 UKI whose header area the stub's eight sections and seven of
// ukify's fill: embed moves the sections' data by one FileAlignment unit
// (addresses stay), and the result is signable with no gap
TEST(Embed, MakesRoomInAFullHeaderArea)
{
	NEED_INSTALLED(stub, kStubX64);
	const auto uki = ukify_layout(stub, uki_sections(7));
	EXPECT_THROW(ukify_layout(uki, uki_sections(8)), std::length_error) << "ukify would have room";
	const auto obj = hook_only_object();

	EmbedResult r = embed_section(uki, "uki.efi", ".bpf", obj);
	const PeImage before = PeImage::parse(uki, "before"), after = PeImage::parse(r.image, "after");
	EXPECT_EQ(before.file_alignment(), r.moved);
	expect_moved(before, after, r.moved);
	expect_section(after, obj);
	EXPECT_EQ(before.size_of_headers() + r.moved, after.size_of_headers());
	expect_signable(r.image);
	EXPECT_EQ(std::string::npos, sbverify_list(r.image).find("gap")) << sbverify_list(r.image);
}

// What points at file offsets moves with the data: the debug directory's
// entries and an EFI zboot header's payload offset
TEST(Embed, MakesRoomMovesWhatPointsAtFileOffsets)
{
	auto b = tiny_pe(seventeen());
	{
		const PeImage pe = PeImage::parse(b, "t.efi");
		const Section &s0 = pe.sections()[0], &s1 = pe.sections()[1], &s2 = pe.sections()[2];
		// a debug directory in .s0 with one entry: .s1's data
		put_le32(b, kOptOff + 112 + 8 * 6, s0.virtual_address);
		put_le32(b, kOptOff + 112 + 8 * 6 + 4, 28);
		put_le32(b, s0.raw_offset + 16, s1.data.size());	// SizeOfData
		put_le32(b, s0.raw_offset + 20, s1.virtual_address);	// AddressOfRawData
		put_le32(b, s0.raw_offset + 24, s1.raw_offset);		// PointerToRawData
		// an EFI zboot header: .s2's data is the payload
		std::memcpy(&b[4], "zimg", 4);
		put_le32(b, 8, s2.raw_offset);
		put_le32(b, 12, s2.data.size());
		std::memcpy(&b[0x18], "gzip", 4);
		put_le32(b, 0x38, 0x818223cd);
	}
	const PeImage before = PeImage::parse(b, "before");
	ASSERT_TRUE(before.zboot());

	EmbedResult r = embed_section(b, "t.efi", ".bpf", std::vector<std::uint8_t>(10, 2));
	const PeImage after = PeImage::parse(r.image, "after");
	EXPECT_EQ(0x200u, r.moved);
	expect_moved(before, after, 0x200, ".s0");
	EXPECT_EQ(0x600u, after.size_of_headers());
	const Section &s0 = *after.find(".s0"), &s1 = *after.find(".s1"), &s2 = *after.find(".s2");
	// the debug entry now points at .s1's data where it is; the rest of
	// .s0 as it was
	EXPECT_EQ(s1.raw_offset, le32(r.image, s0.raw_offset + 24, "PointerToRawData"));
	std::vector<std::uint8_t> was(before.find(".s0")->data.begin(), before.find(".s0")->data.end()),
		is(s0.data.begin(), s0.data.end());
	std::fill(was.begin() + 24, was.begin() + 28, 0);
	std::fill(is.begin() + 24, is.begin() + 28, 0);
	EXPECT_EQ(was, is);
	ASSERT_TRUE(after.zboot());
	EXPECT_EQ(s2.raw_offset, after.zboot()->payload_offset);
	EXPECT_EQ(std::vector<std::uint8_t>(102, 3),
		  std::vector<std::uint8_t>(&r.image[after.zboot()->payload_offset],
					    &r.image[after.zboot()->payload_offset + 102]));
}

// Headers that end right after the one section header, the section's
// data well after: SizeOfHeaders grows into the gap, nothing moves
TEST(Embed, RaisesSizeOfHeadersIntoTheGap)
{
	auto b = tiny_pe({{".text", std::vector<std::uint8_t>(10, 1)}}, kSecTab + 40);
	EmbedResult r = embed_section(b, "t.efi", ".bpf", std::vector<std::uint8_t>(10, 2));
	const PeImage before = PeImage::parse(b, "before"), after = PeImage::parse(r.image, "after");
	EXPECT_EQ(0u, r.moved);
	expect_moved(before, after, 0);
	EXPECT_EQ(0x200u, after.size_of_headers());
	ASSERT_NE(nullptr, after.find(".bpf"));
}

TEST(Embed, NoRoomWhenTheBytesAreInUse)
{
	auto secs = seventeen();
	secs.pop_back();
	auto b = tiny_pe(secs);
	const char used[] = "not padding: bytes a program may read";
	std::memcpy(&b[kSecTab + 40 * 16], used, sizeof(used));
	try {
		embed_section(b, "t.efi", ".bpf", std::vector<std::uint8_t>(10, 2));
		FAIL() << "wrote a header over bytes in use";
	} catch (const Error &e) {
		EXPECT_EQ(ENOSPC, e.code());
		EXPECT_EQ(0u, std::string(e.what()).find("t.efi: no room")) << e.what();
		EXPECT_NE(std::string::npos, std::string(e.what()).find("in use")) << e.what();
	}
}

TEST(Embed, NoRoomBelowTheFirstSectionInMemory)
{
	auto b = tiny_pe(seventeen());
	put_le32(b, kSecTab + 12, 0x400);	// .s0 mapped right after 0x400 bytes of headers
	try {
		embed_section(b, "t.efi", ".bpf", std::vector<std::uint8_t>(10, 2));
		FAIL() << "headers grown over a section in memory";
	} catch (const Error &e) {
		EXPECT_EQ(ENOSPC, e.code());
		EXPECT_NE(std::string::npos, std::string(e.what()).find("first section in memory")) << e.what();
	}
}

// A symbol table pointer into the headers is cleared, and nothing is cut
// there (the fuzzer found the headers cut, the image garbled)
TEST(Embed, SymbolTableInTheHeadersIsNotCut)
{
	auto b = tiny_pe({});	// no section data: the table is not "after" it
	put_le32(b, kPeOff + 12, 0x60);	// PointerToSymbolTable, inside the optional header
	put_le32(b, kPeOff + 16, 1);
	EmbedResult r = embed_section(b, "t.efi", ".bpf", std::vector<std::uint8_t>(10, 2));
	const PeImage after = PeImage::parse(r.image, "after");
	EXPECT_FALSE(r.dropped_symbols);
	EXPECT_EQ(0x200u, after.file_alignment());
	EXPECT_EQ(0x1000u, after.section_alignment());
	EXPECT_EQ(0u, le32(r.image, kPeOff + 12, "PointerToSymbolTable"));
	// the optional header up to SizeOfImage as it was
	EXPECT_TRUE(std::equal(b.begin() + kPeOff + 20, b.begin() + kOptOff + 56, r.image.begin() + kPeOff + 20));
}

TEST(Embed, IntoAPeWithoutSections)
{
	// headers only: the first section goes after them, in the file and
	// in memory
	auto b = tiny_pe({});
	EmbedResult r = embed_section(b, "empty.efi", ".linux", std::vector<std::uint8_t>(100, 1));
	PeImage pe = PeImage::parse(r.image, "t");
	ASSERT_EQ(1u, pe.sections().size());
	EXPECT_GE(pe.sections()[0].virtual_address, pe.size_of_headers());
	EXPECT_GE(pe.sections()[0].raw_offset, pe.size_of_headers());
	EXPECT_LE(pe.sections()[0].virtual_address + 100u, pe.size_of_image());
}

TEST(Embed, CertificateTableOverTheHeaders)
{
	// a "signature" that starts inside the headers and ends the file:
	// dropping it by cutting the file there would cut the headers too
	auto b = tiny_pe({});
	put_le32(b, kCertDirOff, 0x10);
	put_le32(b, kCertDirOff + 4, b.size() - 0x10);
	put_le32(b, 0x10, b.size() - 0x10);	// WIN_CERTIFICATE: dwLength,
	put_le16(b, 0x14, 0x0200);		// revision 2.0,
	put_le16(b, 0x16, 0x0002);		// PKCS#7 SignedData
	ASSERT_NO_THROW(PeImage::parse(b, "t.efi"));
	try {
		embed_section(b, "t.efi", ".bpf", std::vector<std::uint8_t>(10, 2));
		FAIL() << "cut a certificate table that overlaps the headers";
	} catch (const Error &e) {
		EXPECT_EQ(ELIBBAD, e.code()) << e.what();
		EXPECT_NE(std::string::npos, std::string(e.what()).find("over the headers")) << e.what();
	}
}

TEST(Embed, BadArguments)
{
	auto b = tiny_pe({{".text", {1}}});
	EXPECT_THROW(embed_section(b, "t.efi", ".waytoolong", std::vector<std::uint8_t>{1}), Error);
	EXPECT_THROW(embed_section(std::vector<std::uint8_t>(100, 0), "t.efi", ".bpf", std::vector<std::uint8_t>{1}), Error);
}
