// SPDX-License-Identifier: GPL-2.0
// The PE reader on the project's real images and on crafted bad ones.
#include "error.hpp"
#include "images.hpp"
#include "manifest.hpp"
#include "pe.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace kexecpe;
using namespace kexecpe::test;

namespace {

int error_of(const std::vector<std::uint8_t> &b)
{
	try {
		PeImage::parse(b, "t.efi");
	} catch (const Error &e) {
		return e.code();
	}
	return 0;
}

void expect_sections_inside(const PeImage &pe)
{
	for (const Section &s : pe.sections()) {
		if (s.data.empty())
			continue;
		EXPECT_GE(s.data.data(), pe.bytes().data()) << s.name;
		EXPECT_LE(s.data.data() + s.data.size(), pe.bytes().data() + pe.bytes().size()) << s.name;
	}
}

} // namespace

TEST(PeReader, X86BzImage)
{
	NEED(b, "x86_64/arch/x86/boot/bzImage");
	PeImage pe = PeImage::parse(b, "bzImage");

	EXPECT_EQ("x86_64", pe.machine_name());
	EXPECT_TRUE(pe.pe32plus());
	EXPECT_FALSE(pe.signed_());
	EXPECT_FALSE(pe.zboot());
	EXPECT_NE(nullptr, pe.find(".text"));
	expect_sections_inside(pe);
}

TEST(PeReader, Arm64Image)
{
	NEED(b, "arm64/arch/arm64/boot/Image");
	PeImage pe = PeImage::parse(b, "Image");

	EXPECT_EQ("arm64", pe.machine_name());
	EXPECT_FALSE(pe.zboot());
	// the arm64 Image header: "ARM\x64" at 0x38
	EXPECT_EQ(0, std::memcmp(&b[0x38], "ARM\x64", 4));
	expect_sections_inside(pe);
}

TEST(PeReader, Arm64Zboot)
{
	NEED(b, "arm64/arch/arm64/boot/vmlinuz.efi");
	PeImage pe = PeImage::parse(b, "vmlinuz.efi");

	ASSERT_TRUE(pe.zboot());
	const ZbootHeader &z = *pe.zboot();
	EXPECT_EQ("gzip", z.codec);	// the bed's kernels are gzip zboot
	ASSERT_LE(std::uint64_t{z.payload_offset} + z.payload_size, b.size());
	EXPECT_EQ(0x1f, b[z.payload_offset]);
	EXPECT_EQ(0x8b, b[z.payload_offset + 1]);
	EXPECT_FALSE(z.uncompressed_size);	// gzip keeps it in its own trailer
}

TEST(PeReader, Riscv64Zboot)
{
	NEED(b, "riscv64/arch/riscv/boot/vmlinuz.efi");
	PeImage pe = PeImage::parse(b, "vmlinuz.efi");

	EXPECT_EQ("riscv64", pe.machine_name());
	ASSERT_TRUE(pe.zboot());
	EXPECT_FALSE(pe.zboot()->codec.empty());
}

TEST(PeReader, SystemdStubUki)
{
	NEED(b, "x86_64/bed/root/boot/uki.efi");
	PeImage pe = PeImage::parse(b, "uki.efi");

	for (const char *n : {".linux", ".initrd", ".cmdline", ".osrel", ".sbat"})
		EXPECT_NE(nullptr, pe.find(n)) << n;
	const Section *linux = pe.find(".linux");
	ASSERT_NE(nullptr, linux);
	// .linux is the bzImage itself, a PE of its own
	PeImage inner = PeImage::parse(linux->data, "uki.efi: .linux");
	EXPECT_EQ("x86_64", inner.machine_name());
	const Section *cmd = pe.find(".cmdline");
	std::string text(cmd->data.begin(), cmd->data.end());
	EXPECT_NE(std::string::npos, text.find("console=ttyS0"));
	expect_sections_inside(pe);
}

TEST(PeReader, SignedImage)
{
	NEED(b, "x86_64/bed/root/boot/sig/signed");
	PeImage pe = PeImage::parse(b, "signed");

	ASSERT_TRUE(pe.signed_());
	ASSERT_EQ(1u, pe.certificates().size());
	EXPECT_EQ(2, pe.certificates()[0].type);	// PKCS#7 SignedData
	EXPECT_EQ(0x200, pe.certificates()[0].revision);
	EXPECT_LE(std::uint64_t{pe.cert_table_offset()} + pe.cert_table_size(), b.size());
}

TEST(PeReader, TinyImage)
{
	auto b = tiny_pe({{".text", std::vector<std::uint8_t>(100, 0xaa)},
			  {".data", std::vector<std::uint8_t>(1000, 0x55), 10}});
	PeImage pe = PeImage::parse(b, "t.efi");

	ASSERT_EQ(2u, pe.sections().size());
	EXPECT_EQ(100u, pe.find(".text")->data.size());
	// VirtualSize caps the data: 10 bytes, not the 1024 of raw data
	EXPECT_EQ(10u, pe.find(".data")->data.size());
}

TEST(PeReader, NotPe)
{
	EXPECT_EQ(ENOEXEC, error_of({}));
	EXPECT_EQ(ENOEXEC, error_of(std::vector<std::uint8_t>(4096, 0)));
	std::vector<std::uint8_t> elf = {0x7f, 'E', 'L', 'F'};
	elf.resize(4096);
	EXPECT_EQ(ENOEXEC, error_of(elf));
}

// Every truncation of a valid image is refused, never read past
TEST(PeReader, EveryTruncation)
{
	auto b = tiny_pe({{".text", std::vector<std::uint8_t>(600, 1)}, {".bpf", std::vector<std::uint8_t>(300, 2)}});

	// the data ends with .bpf's 300 bytes; the padding after it is not read
	const std::size_t data_end = PeImage::parse(b, "t").find(".bpf")->raw_offset + 300;

	for (std::size_t n = 0; n < b.size(); n++) {
		std::vector<std::uint8_t> t(b.begin(), b.begin() + n);
		int err = error_of(t);
		if (n < data_end)
			EXPECT_TRUE(err == ENOEXEC || err == ELIBBAD) << "truncated to " << n << ": " << err;
		else
			EXPECT_EQ(0, err) << "truncated to " << n << " (in the padding)";
	}
	EXPECT_EQ(0, error_of(b));
}

TEST(PeReader, SectionPastEnd)
{
	auto b = tiny_pe({{".bpf", std::vector<std::uint8_t>(300, 2)}});
	put_le32(b, kSecTab + 20, b.size() - 100);	// PointerToRawData
	EXPECT_EQ(ELIBBAD, error_of(b));
	auto c = tiny_pe({{".bpf", std::vector<std::uint8_t>(300, 2)}});
	put_le32(c, kSecTab + 20, 0xfffffff0);		// overflows 32 bits
	EXPECT_EQ(ELIBBAD, error_of(c));
}

TEST(PeReader, TooManySections)
{
	auto b = tiny_pe({{".text", {1}}});
	put_le16(b, kPeOff + 6, kMaxSections + 1);
	EXPECT_EQ(ELIBBAD, error_of(b));
	put_le16(b, kPeOff + 6, 0xffff);
	EXPECT_EQ(ELIBBAD, error_of(b));
}

TEST(PeReader, BadOptionalHeader)
{
	auto b = tiny_pe({{".text", {1}}});
	put_le16(b, kOptOff, 0x1234);
	EXPECT_EQ(ELIBBAD, error_of(b));
	auto c = tiny_pe({{".text", {1}}});
	put_le16(c, kPeOff + 20, 16);	// too small for the data directories
	EXPECT_EQ(ELIBBAD, error_of(c));
	auto d = tiny_pe({{".text", {1}}});
	put_le32(d, kOptOff + 108, 0xffffffff);	// NumberOfRvaAndSizes: capped
	EXPECT_EQ(0, error_of(d));
}

TEST(PeReader, BadCertificateTable)
{
	auto b = tiny_pe({{".text", {1}}});
	put_le32(b, kCertDirOff, b.size() - 8);
	put_le32(b, kCertDirOff + 4, 64);	// past the end
	EXPECT_EQ(ELIBBAD, error_of(b));

	auto c = tiny_pe({{".text", {1}}});
	std::size_t off = c.size();
	c.resize(off + 16, 0);
	put_le32(c, kCertDirOff, off);
	put_le32(c, kCertDirOff + 4, 16);
	put_le32(c, off, 4);			// dwLength below its own header
	EXPECT_EQ(ELIBBAD, error_of(c));
	put_le32(c, off, 4096);			// beyond the table
	EXPECT_EQ(ELIBBAD, error_of(c));
	put_le32(c, off, 16);
	put_le16(c, off + 4, 0x200);
	put_le16(c, off + 6, 2);
	EXPECT_EQ(0, error_of(c));
}

TEST(PeReader, ZbootHeaderThatLies)
{
	auto b = tiny_pe({{".data", std::vector<std::uint8_t>(512, 0)}});
	put_le32(b, 4, 0x676d697a);		// "zimg"
	put_le32(b, 0x38, 0x818223cd);		// LINUX_PE_MAGIC
	std::memcpy(&b[0x18], "zstd22", 7);
	put_le32(b, 8, 0x400);
	put_le32(b, 12, 508);
	put_le32(b, 0x400 + 508, 123456);
	PeImage pe = PeImage::parse(b, "z.efi");
	ASSERT_TRUE(pe.zboot());
	EXPECT_EQ("zstd22", pe.zboot()->codec);
	EXPECT_EQ(123456u, *pe.zboot()->uncompressed_size);

	put_le32(b, 12, b.size());		// payload past the end
	EXPECT_EQ(ELIBBAD, error_of(b));
	put_le32(b, 8, 0xffffffff);		// overflow
	put_le32(b, 12, 2);
	EXPECT_EQ(ELIBBAD, error_of(b));
}

// One reader of the zboot header for the image, a UKI's .linux and the
// manifest: the codec is the name in the header's 32-byte field, whatever
// its length, everywhere
TEST(PeReader, OneZbootReader)
{
	auto b = tiny_pe({{".data", std::vector<std::uint8_t>(512, 0)}});
	put_le32(b, 4, 0x676d697a);
	put_le32(b, 0x38, 0x818223cd);
	std::memcpy(&b[0x18], "gzip-but-longer", 16);	// 15 bytes and a NUL
	put_le32(b, 8, 0x400);
	put_le32(b, 12, 508);
	put_le32(b, 0x400 + 508, 1000);			// the uncompressed size
	auto z = zboot_header(b);
	ASSERT_TRUE(z);
	EXPECT_EQ("gzip-but-longer", z->codec);
	EXPECT_EQ("gzip-but-longer", PeImage::parse(b, "z.efi").zboot()->codec);
	try {
		compute_manifest(PeImage::parse(b, "z.efi"));
		ADD_FAILURE() << "a manifest of an unknown codec";
	} catch (const Error &e) {
		EXPECT_EQ(EOPNOTSUPP, e.code());
		EXPECT_NE(std::string::npos, std::string(e.what()).find("gzip-but-longer")) << e.what();
	}
	// no header: not "MZ", no "zimg", no LINUX_PE_MAGIC, too short
	for (std::size_t at : {0, 4, 0x38}) {
		auto c = b;
		c[at] ^= 1;
		EXPECT_FALSE(zboot_header(c)) << at;
	}
	EXPECT_FALSE(zboot_header(std::span(b).first(0x3f)));
}

// The lax reader of the section table (what load() asks before calling the
// kernel) finds .bpf where the strict one refuses the image, and only a
// whole name
TEST(PeReader, NamesSectionLaxly)
{
	auto b = tiny_pe({{".bpf", std::vector<std::uint8_t>(300, 2)}, {".linux", {1}}});
	EXPECT_TRUE(names_section(b, ".bpf"));
	EXPECT_TRUE(names_section(b, ".linux"));
	EXPECT_FALSE(names_section(b, ".bp"));
	EXPECT_FALSE(names_section(b, ".initrd"));
	put_le32(b, kSecTab + 20, b.size() - 100);	// .bpf's data past the end
	EXPECT_EQ(ELIBBAD, error_of(b));
	EXPECT_TRUE(names_section(b, ".bpf"));
	EXPECT_FALSE(names_section(std::vector<std::uint8_t>(0x40, 0), ".bpf"));
}

TEST(PeReader, ErrorNamesFileAndSection)
{
	auto b = tiny_pe({{".bpf", std::vector<std::uint8_t>(300, 2)}});
	put_le32(b, kSecTab + 20, b.size());
	try {
		PeImage::parse(b, "uki.efi");
		FAIL() << "accepted";
	} catch (const Error &e) {
		std::string m = e.what();
		EXPECT_EQ(0u, m.find("uki.efi: section .bpf")) << m;
		EXPECT_NE(std::string::npos, m.find("[ELIBBAD]")) << m;
	}
}
