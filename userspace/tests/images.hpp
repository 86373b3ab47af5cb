// SPDX-License-Identifier: GPL-2.0
// Test inputs: real images from the project's build tree (skipped with a
// reason when that part of the build is missing) and small crafted PEs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kexecpe::test {

// build/ of the project (KEXECPE_BUILD_DIR overrides)
std::filesystem::path build_dir();

// build/<rel>; for "<arch>/..." the debug kernel's "<arch>-debug/..."
// when only that was built (make check builds x86_64's debug kernel only)
std::filesystem::path build_path(const std::string &rel);

// The bytes of build_path(@rel), or nullopt when it was not built
std::optional<std::vector<std::uint8_t>> build_file(const std::string &rel);

// Whether a test must fail, not skip, without the images it reads:
// KEXECPE_REQUIRE_IMAGES is set (make check sets it once it built them)
bool images_required();

// @var: the bytes of build_path(@rel); without them the test is skipped,
// or fails when images_required()
#define NEED(var, rel)                                                                 \
	auto var##_opt = ::kexecpe::test::build_file(rel);                             \
	if (!var##_opt) {                                                              \
		if (::kexecpe::test::images_required())                                \
			FAIL() << "build/" << (rel) << ": missing, and KEXECPE_REQUIRE_IMAGES is set"; \
		GTEST_SKIP() << "build/" << (rel) << " not built (make kernel/initramfs)"; \
	}                                                                              \
	const std::vector<std::uint8_t> &var = *var##_opt

// The bytes of the file at the absolute @path (a Debian package's), or
// nullopt when it is not installed
std::optional<std::vector<std::uint8_t>> system_file(const std::string &path);

// @var: the bytes of the installed file @path (scripts/deps.sh installs
// it); without it the test is skipped, or fails when images_required()
#define NEED_INSTALLED(var, path)                                                       \
	auto var##_opt = ::kexecpe::test::system_file(path);                            \
	if (!var##_opt) {                                                              \
		if (::kexecpe::test::images_required())                                \
			FAIL() << (path) << ": missing, and KEXECPE_REQUIRE_IMAGES is set"; \
		GTEST_SKIP() << (path) << " not installed (scripts/deps.sh)";          \
	}                                                                              \
	const std::vector<std::uint8_t> &var = *var##_opt

// Debian 12's systemd-stubs (systemd-boot-efi, and its :arm64 package)
inline constexpr const char *kStubX64 = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
inline constexpr const char *kStubAa64 = "/usr/lib/systemd/boot/efi/linuxaa64.efi.stub";

// The BPF object compiled from tests/data/hook_only.bpf.c
std::vector<std::uint8_t> hook_only_object();

struct TinySection {
	std::string name;
	std::vector<std::uint8_t> data;
	std::uint32_t virtual_size = 0;		// 0: data.size()
};

// A PE32+ image with these sections: headers in 0x400 bytes, file
// alignment 0x200, section alignment 0x1000. @size_of_headers: 0 for 0x400.
std::vector<std::uint8_t> tiny_pe(const std::vector<TinySection> &sections,
				  std::uint32_t size_of_headers = 0);

// A UKI laid out as ukify lays one out from @stub (the UKI specification
// and ukify's documented layout): each section's header after the last
// one, written over what fills the header area (zeros or the stub's
// padding); its data appended at FileAlignment, SizeOfRawData rounded up
// to it; its address after the highest section's end at SectionAlignment,
// VirtualSize the data's size (or TinySection::virtual_size: .linux gets
// the inner kernel's SizeOfImage); SizeOfImage covering it; the stub's
// symbol table and bytes after its sections' data dropped, no signature. Throws std::length_error when the header area has
// no room, as ukify refuses then.
std::vector<std::uint8_t> ukify_layout(std::vector<std::uint8_t> stub,
				       const std::vector<TinySection> &sections);

// Offsets in tiny_pe()'s layout
inline constexpr std::size_t kPeOff = 0x40, kOptOff = kPeOff + 24,
			     kSecTab = kOptOff + 240, kCertDirOff = kOptOff + 112 + 8 * 4;

// A temporary directory, removed with its contents
class TempDir {
public:
	TempDir();
	~TempDir();
	const std::filesystem::path &path() const { return path_; }

private:
	std::filesystem::path path_;
};

void write_bytes(const std::filesystem::path &p, const std::vector<std::uint8_t> &b);

} // namespace kexecpe::test
