// SPDX-License-Identifier: GPL-2.0
// The files the parser hands to the kernel for the initrd, found the way
// systemd-stub finds them for a UKI: UKI addons (*.addon.efi) in a global
// directory, then addons and side-car files (credentials *.cred, system
// and configuration extensions *.sysext.raw, *.confext.raw) in
// <image>.extra.d/ beside the image, each directory in file-name order
// (version sort, as systemd's strverscmp), then the --addon files in the
// order given. The kernel reads and checks each one itself.
#pragma once

#include <string>
#include <vector>

namespace kexecpe {

struct AddonSearch {
	bool discover = true;			// false: --no-addons
	std::string global_dir = "/etc/kexec-pe/addons";	// --addons-dir
	std::string extra_dir;			// --extra-dir; "": <image>.extra.d
	std::vector<std::string> explicit_files;	// --addon, in order
};

// The files for @image, as absolute paths. Throws Error for an explicit
// file that does not exist.
std::vector<std::string> find_addons(const std::string &image, const AddonSearch &search);

// Whether @name is a file systemd-stub takes from <image>.extra.d
bool is_extra_file(const std::string &name);

} // namespace kexecpe
