// SPDX-License-Identifier: GPL-2.0
// The command line: kexec-tools' options for what kexec-pe does, and the
// inspect, embed and serve subcommands.
#pragma once

#include "inspect.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kexecpe {

enum class Action { Load, LoadExec, Unload, Exec, Status, Inspect, Embed, Serve, Help, Version };

struct Options {
	Action action = Action::Help;
	bool crash = false;			// -p: the crash (kdump) kernel; -S:
						// by default, as kexec-tools
	std::string image;
	std::optional<std::string> initrd;
	std::optional<std::string> append;	// --append/--command-line: the last
	bool reuse_cmdline = false;
	std::optional<std::string> profile;	// --profile N|ID: "@N" first
	std::vector<std::string> addons;	// --addon, in order
	bool discover_addons = true;		// --no-addons: false
	std::optional<std::string> addons_dir;	// --addons-dir; else <ESP>/loader/addons
	std::optional<std::string> esp_path;	// --esp-path; else $SYSTEMD_ESP_PATH, /efi, ...
	std::string extra_dir;			// --extra-dir; "": <IMAGE>.extra.d
	unsigned timeout_ms = 0;		// 0: the kernel's (a load, serve)
	bool debug = false;
	bool sync = true;			// -e: sync(2) first
	JsonMode json = JsonMode::Off;		// inspect --json[=MODE]
	std::string bpf_object;			// embed --bpf
	std::string output;			// embed -o
	std::string section = ".bpf";		// embed --section
	bool check_bpf = true;			// embed --no-check: any bytes
	bool manifest = true;			// embed --no-manifest
	bool add_section = false;		// embed --add: even if one has its name
	bool as_kexec = false;			// invoked as "kexec"
	std::optional<std::string> type;	// -t/--type: the kernel decides
};

// Parse @args (args[0] is the program name). Throws Error(EINVAL) for a
// usage error, with a message that says what to write instead.
Options parse_options(const std::vector<std::string> &args);

// The command line for kexec_file_load(): /proc/cmdline (reused, without
// BOOT_IMAGE= and, for kdump, crashkernel=) followed by the --append
// string; nullopt when neither was asked for.
std::optional<std::string> build_cmdline(const Options &o, const std::string &proc_cmdline);

std::string usage(const std::string &prog);

// Every long option the parser takes, as "--name"
std::vector<std::string> long_options();

} // namespace kexecpe
