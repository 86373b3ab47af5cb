// SPDX-License-Identifier: GPL-2.0
// Where kexec-pe finds UKI addons and side-car files, and in which order.
#include "addons.hpp"
#include "error.hpp"
#include "images.hpp"
#include "options.hpp"

#include <gtest/gtest.h>

using namespace kexecpe;
using namespace kexecpe::test;

namespace {

void touch(const std::filesystem::path &p)
{
	std::filesystem::create_directories(p.parent_path());
	write_bytes(p, {'x'});
}

std::vector<std::string> names(const std::vector<std::string> &paths)
{
	std::vector<std::string> n;

	for (const std::string &p : paths)
		n.push_back(std::filesystem::path(p).parent_path().filename().string() + "/" +
			    std::filesystem::path(p).filename().string());
	return n;
}

} // namespace

TEST(Addons, SystemdStubOrder)
{
	TempDir d;
	const auto img = d.path() / "uki.efi";
	touch(img);
	for (const char *f : {"b.addon.efi", "a.addon.efi", "10.addon.efi", "9.addon.efi", "creds.cred",
			      "usr.sysext.raw", "etc.confext.raw", "README", "x.efi"})
		touch(d.path() / "uki.efi.extra.d" / f);
	touch(d.path() / "global" / "z.addon.efi");
	touch(d.path() / "global" / "ignored.cred");	// side-cars only beside the image
	touch(d.path() / "mine.addon.efi");

	AddonSearch s;
	s.global_dir = (d.path() / "global").string();
	s.explicit_files = {(d.path() / "mine.addon.efi").string()};
	auto files = find_addons(img.string(), s).files;
	EXPECT_EQ((std::vector<std::string>{"global/z.addon.efi", "uki.efi.extra.d/9.addon.efi",
					    "uki.efi.extra.d/10.addon.efi", "uki.efi.extra.d/a.addon.efi",
					    "uki.efi.extra.d/b.addon.efi", "uki.efi.extra.d/creds.cred",
					    "uki.efi.extra.d/etc.confext.raw", "uki.efi.extra.d/usr.sysext.raw",
					    d.path().filename().string() + "/mine.addon.efi"}),
		  names(files));
	for (const std::string &f : files)
		EXPECT_EQ('/', f[0]) << f;	// the names the parser's map gives the kernel
}

// The kernel applies a file once: one found and also given, or given
// twice, is listed once, where it was first named
TEST(Addons, AFileNamedTwiceIsListedOnce)
{
	TempDir d;
	const auto img = d.path() / "uki.efi";
	touch(img);
	touch(d.path() / "uki.efi.extra.d" / "a.addon.efi");
	touch(d.path() / "uki.efi.extra.d" / "b.addon.efi");
	AddonSearch s;
	s.explicit_files = {(d.path() / "uki.efi.extra.d" / "b.addon.efi").string(),
			    (d.path() / "uki.efi.extra.d" / ".." / "uki.efi.extra.d" / "a.addon.efi").string(),
			    (d.path() / "uki.efi.extra.d" / "b.addon.efi").string()};
	EXPECT_EQ((std::vector<std::string>{"uki.efi.extra.d/a.addon.efi", "uki.efi.extra.d/b.addon.efi"}),
		  names(find_addons(img.string(), s).files));
}

// The ESP's global addons, then its global credentials, before the
// image's own files; the credentials listed apart, for the kernel to put
// them in /.extra/global_credentials
TEST(Addons, EspCredentialsAreGlobal)
{
	TempDir d;
	const auto img = d.path() / "uki.efi";
	touch(img);
	const auto esp = d.path() / "esp";
	touch(esp / "loader" / "addons" / "g.addon.efi");
	touch(esp / "loader" / "credentials" / "b.cred");
	touch(esp / "loader" / "credentials" / "a.cred");
	touch(esp / "loader" / "credentials" / "x.addon.efi");	// not a credential
	touch(d.path() / "uki.efi.extra.d" / "own.cred");

	AddonSearch s;
	s.global_dir = esp_addons_dir(esp.string());
	s.credentials_dir = esp_credentials_dir(esp.string());
	FoundFiles f = find_addons(img.string(), s);
	EXPECT_EQ((std::vector<std::string>{"addons/g.addon.efi", "credentials/a.cred", "credentials/b.cred",
					    "uki.efi.extra.d/own.cred"}),
		  names(f.files));
	EXPECT_EQ((std::vector<std::string>{"credentials/a.cred", "credentials/b.cred"}),
		  names(f.global_credentials));
	s.discover = false;
	EXPECT_TRUE(find_addons(img.string(), s).files.empty());
}

TEST(Addons, NoAddonsKeepsTheExplicitOnes)
{
	TempDir d;
	touch(d.path() / "uki.efi.extra.d" / "a.addon.efi");
	touch(d.path() / "x.addon.efi");
	AddonSearch s;
	s.discover = false;
	s.explicit_files = {(d.path() / "x.addon.efi").string()};
	EXPECT_EQ(1u, find_addons((d.path() / "uki.efi").string(), s).files.size());
}

TEST(Addons, MissingDirectoriesAreFineMissingFilesAreNot)
{
	TempDir d;
	AddonSearch s;
	s.global_dir = (d.path() / "nope").string();
	EXPECT_TRUE(find_addons((d.path() / "uki.efi").string(), s).files.empty());
	s.explicit_files = {(d.path() / "gone.addon.efi").string()};
	try {
		find_addons((d.path() / "uki.efi").string(), s);
		FAIL() << "a missing --addon file was accepted";
	} catch (const Error &e) {
		EXPECT_EQ(ENOENT, e.code());
		EXPECT_NE(std::string::npos, std::string(e.what()).find("gone.addon.efi")) << e.what();
	}
}

TEST(Addons, Options)
{
	Options o = parse_options({"kexec-pe", "-l", "u.efi", "--no-addons", "--addons-dir", "/g", "--extra-dir=/e"});
	EXPECT_FALSE(o.discover_addons);
	EXPECT_EQ("/g", o.addons_dir);
	EXPECT_EQ("/e", o.extra_dir);
	EXPECT_TRUE(parse_options({"kexec-pe", "-l", "u.efi"}).discover_addons);
}

// bootctl's ESP: a given directory as it is; otherwise a candidate only when
// it is the root of a mounted FAT filesystem (a plain directory is not)
TEST(Esp, FoundAsBootctlFindsIt)
{
	TempDir d;
	std::filesystem::create_directories(d.path() / "esp" / "loader" / "addons");
	touch(d.path() / "file");

	EXPECT_EQ((d.path() / "esp").string(), find_esp((d.path() / "esp").string()));
	EXPECT_EQ((d.path() / "esp" / "loader" / "addons").string(),
		  esp_addons_dir((d.path() / "esp").string()));
	try {
		find_esp((d.path() / "none").string());
		ADD_FAILURE() << "a missing ESP accepted";
	} catch (const Error &e) {
		EXPECT_EQ(ENOENT, e.code());
		EXPECT_NE(std::string::npos, std::string(e.what()).find("bootctl --print-esp-path"));
	}
	try {
		find_esp((d.path() / "file").string());
		ADD_FAILURE() << "a file accepted as the ESP";
	} catch (const Error &e) {
		EXPECT_EQ(ENOTDIR, e.code());
	}
	// directories of the host's filesystem, not FAT mount roots
	EXPECT_EQ(std::nullopt, find_esp(std::nullopt, {(d.path() / "esp").string(),
							 (d.path() / "none").string(), "/"}));
}

// systemd-stub's order with the ESP's global addons: those first, then
// the image's own; side-car files only beside the image
TEST(Esp, GlobalAddonsFromTheEspFirst)
{
	TempDir d;
	const auto img = d.path() / "uki.efi";
	touch(img);
	touch(d.path() / "esp" / "loader" / "addons" / "b.addon.efi");
	touch(d.path() / "esp" / "loader" / "addons" / "a.addon.efi");
	touch(d.path() / "esp" / "loader" / "addons" / "x.cred");
	touch(d.path() / "uki.efi.extra.d" / "c.addon.efi");

	AddonSearch s;
	s.global_dir = esp_addons_dir(*find_esp((d.path() / "esp").string()));
	EXPECT_EQ((std::vector<std::string>{"addons/a.addon.efi", "addons/b.addon.efi",
					    "uki.efi.extra.d/c.addon.efi"}),
		  names(find_addons(img.string(), s).files));
}
