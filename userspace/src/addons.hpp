// SPDX-License-Identifier: GPL-2.0
// The files the parser hands to the kernel for the initrd, found the way
// systemd-stub finds them for a UKI: UKI addons (*.addon.efi) and
// credentials (*.cred) in the global directories (the ESP's loader/addons/
// and loader/credentials/), then addons and side-car files (credentials
// *.cred, system and configuration extensions *.sysext.raw,
// *.confext.raw) in <image>.extra.d/ beside the image, each directory in
// file-name order (version sort, as systemd's strverscmp), then the
// --addon files in the order given. The kernel reads and checks each one
// itself, and puts the global credentials apart from the image's
// (/.extra/global_credentials), as the stub does.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace kexecpe {

struct AddonSearch {
	bool discover = true;			// false: --no-addons
	std::string global_dir;			// --addons-dir, or <ESP>/loader/addons
	std::string credentials_dir;		// <ESP>/loader/credentials, or none
	std::string extra_dir;			// --extra-dir; "": <image>.extra.d
	std::vector<std::string> explicit_files;	// --addon, in order
};

struct FoundFiles {
	std::vector<std::string> files;			// absolute paths, in order
	std::vector<std::string> global_credentials;	// those of them from credentials_dir
};

// The files for @image. Throws Error for an explicit file that does not
// exist.
FoundFiles find_addons(const std::string &image, const AddonSearch &search);

// Where bootctl looks for the EFI System Partition, in order
inline const std::vector<std::string> kEspCandidates = {"/efi", "/boot", "/boot/efi"};

// The EFI System Partition, as bootctl finds it: @given (--esp-path, or
// $SYSTEMD_ESP_PATH), taken as it is when it is a directory; otherwise the
// first of @candidates that is the root of a mounted FAT filesystem.
// nullopt when there is none. Throws Error(ENOENT or ENOTDIR) for a given
// path that is no directory.
std::optional<std::string> find_esp(const std::optional<std::string> &given,
				    const std::vector<std::string> &candidates = kEspCandidates);

// systemd-stub's global addons: <ESP>/loader/addons
std::string esp_addons_dir(const std::string &esp);

// systemd-stub's global credentials: <ESP>/loader/credentials
std::string esp_credentials_dir(const std::string &esp);

// Whether @name is a file systemd-stub takes from <image>.extra.d
bool is_extra_file(const std::string &name);

} // namespace kexecpe
