// SPDX-License-Identifier: GPL-2.0
// kexec-pe embed: a section added or replaced, nothing else moved.
#include "embed.hpp"
#include "error.hpp"
#include "images.hpp"
#include "pe.hpp"

#include <gtest/gtest.h>

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

TEST(Embed, NoRoomForAHeader)
{
	// headers end right after the one section header
	auto b = tiny_pe({{".text", std::vector<std::uint8_t>(10, 1)}}, kSecTab + 40);
	try {
		embed_section(b, "t.efi", ".bpf", std::vector<std::uint8_t>(10, 2));
		FAIL() << "wrote a header over the section data";
	} catch (const Error &e) {
		EXPECT_EQ(ENOSPC, e.code());
		EXPECT_EQ(0u, std::string(e.what()).find("t.efi: no room")) << e.what();
	}
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
