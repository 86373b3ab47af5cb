// SPDX-License-Identifier: GPL-2.0
#include "addons.hpp"

#include "error.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

namespace kexecpe {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string &s, std::string_view suffix)
{
	return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The regular files of @dir accepted by @want, in version order; none when
// @dir does not exist
std::vector<std::string> list(const fs::path &dir, bool (*want)(const std::string &))
{
	std::vector<std::string> names;
	std::error_code ec;

	for (const auto &e : fs::directory_iterator(dir, ec)) {
		std::string n = e.path().filename().string();
		if (want(n) && e.is_regular_file(ec))
			names.push_back(n);
	}
	std::sort(names.begin(), names.end(), [](const std::string &a, const std::string &b) {
		return strverscmp(a.c_str(), b.c_str()) < 0;
	});
	std::vector<std::string> paths;
	for (const std::string &n : names)
		paths.push_back(fs::absolute(dir / n).lexically_normal().string());
	return paths;
}

bool is_addon(const std::string &name)
{
	return ends_with(name, ".addon.efi");
}

bool is_credential(const std::string &name)
{
	return ends_with(name, ".cred");
}

} // namespace

std::optional<std::string> find_esp(const std::optional<std::string> &given,
				    const std::vector<std::string> &candidates)
{
	if (given) {
		std::error_code ec;
		if (!fs::exists(*given, ec))
			throw Error(ENOENT, *given, "the EFI System Partition given does not exist",
				    "give where it is mounted (bootctl --print-esp-path tells)");
		if (!fs::is_directory(*given, ec))
			throw Error(ENOTDIR, *given, "the EFI System Partition given is not a directory",
				    "give where it is mounted (bootctl --print-esp-path tells)");
		return fs::absolute(*given).lexically_normal().string();
	}
	for (const std::string &c : candidates) {
		struct statfs sfs;
		struct stat st, parent;

		// the root of a mounted FAT filesystem: another device than
		// its parent directory's
		if (statfs(c.c_str(), &sfs) || sfs.f_type != MSDOS_SUPER_MAGIC ||
		    stat(c.c_str(), &st) || stat((c + "/..").c_str(), &parent) ||
		    st.st_dev == parent.st_dev)
			continue;
		return c;
	}
	return std::nullopt;
}

std::string esp_addons_dir(const std::string &esp)
{
	return (fs::path(esp) / "loader" / "addons").string();
}

std::string esp_credentials_dir(const std::string &esp)
{
	return (fs::path(esp) / "loader" / "credentials").string();
}

bool is_extra_file(const std::string &name)
{
	return is_addon(name) || is_credential(name) || ends_with(name, ".sysext.raw") ||
	       ends_with(name, ".confext.raw");
}

FoundFiles find_addons(const std::string &image, const AddonSearch &search)
{
	FoundFiles found;
	std::vector<std::string> &files = found.files;

	if (search.discover) {
		if (!search.global_dir.empty())
			files = list(search.global_dir, is_addon);
		if (!search.credentials_dir.empty()) {
			found.global_credentials = list(search.credentials_dir, is_credential);
			files.insert(files.end(), found.global_credentials.begin(),
				     found.global_credentials.end());
		}
		auto extra = list(search.extra_dir.empty() ? image + ".extra.d" : search.extra_dir,
				  is_extra_file);
		files.insert(files.end(), extra.begin(), extra.end());
	}
	for (const std::string &f : search.explicit_files) {
		std::error_code ec;
		if (!fs::is_regular_file(f, ec))
			throw Error(ec ? ec.value() : ENOENT, f, "not a regular file", "check the --addon path");
		std::string p = fs::absolute(f).lexically_normal().string();
		// named twice (found, or given again): applied once, where first named,
		// as the kernel applies a file once
		if (std::find(files.begin(), files.end(), p) == files.end())
			files.push_back(std::move(p));
	}
	return found;
}

} // namespace kexecpe
