// SPDX-License-Identifier: GPL-2.0
// kexec-pe: load signed PE kernels (UKI, EFI zboot) that carry their own
// BPF parser with kexec_file_load(2). See kexec-pe(8).
#include "addons.hpp"
#include "bpf.hpp"
#include "embed.hpp"
#include "manifest.hpp"
#include "error.hpp"
#include "explain.hpp"
#include "fd.hpp"
#include "inspect.hpp"
#include "options.hpp"
#include "serve.hpp"
#include "session.hpp"

#include <linux/kexec_pe.h>
#include <linux/reboot.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef KEXEC_PE_VERSION
#define KEXEC_PE_VERSION "0"
#endif

using namespace kexecpe;

namespace {

constexpr int kExitFail = 1, kExitUsage = 2;

std::string read_text(const std::string &path)
{
	std::vector<std::uint8_t> b = read_file(path, 1 << 16);
	std::string s(b.begin(), b.end());

	while (!s.empty() && (s.back() == '\n' || s.back() == '\0'))
		s.pop_back();
	return s;
}

// A kernel without the file (no CONFIG_CRASH_DUMP for the crash kernel)
// has none loaded; any other failure to read it is an error, not "loaded"
bool kexec_loaded(bool crash)
{
	const char *path = crash ? "/sys/kernel/kexec_crash_loaded" : "/sys/kernel/kexec_loaded";

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return false;
	return read_text(path) == "1";
}

int do_load(const Options &o)
{
	LoadRequest req;

	req.image = o.image;
	req.initrd = o.initrd;
	req.crash = o.crash;
	req.timeout_ms = o.timeout_ms;
	req.kernel_debug = o.debug;
	// addons and side-car files: for an image with a parser only
	AddonSearch search;
	ImageProbe probe;
	try {
		probe = probe_image_file(o.image, o.discover_addons);
	} catch (const Error &) {
		// load() says what is wrong with the image
	}
	// a parser without the files map takes no addons: do not look for
	// any (--addon files still go, and fail with a clear error)
	search.discover = o.discover_addons && probe.takes_files;
	// the ESP, as bootctl finds it; one given is checked whatever the image
	std::optional<std::string> esp = o.esp_path ? find_esp(o.esp_path) : std::nullopt;
	if (search.discover && !esp) {
		const char *env = std::getenv("SYSTEMD_ESP_PATH");
		esp = find_esp(env && *env ? std::optional<std::string>(env) : std::nullopt);
	}
	if (o.addons_dir)
		search.global_dir = *o.addons_dir;
	else if (esp)
		search.global_dir = esp_addons_dir(*esp);
	if (esp)
		search.credentials_dir = esp_credentials_dir(*esp);
	search.extra_dir = o.extra_dir;
	search.explicit_files = o.addons;
	FoundFiles found = find_addons(o.image, search);
	req.files = std::move(found.files);
	req.global_credentials = std::move(found.global_credentials);
	if (req.files.size() > KEXEC_PE_SUPPLEMENTS_MAX)
		throw Error(E2BIG, o.image, std::to_string(req.files.size()) + " addons and side-car files, "
			    "the kernel takes at most " + std::to_string(KEXEC_PE_SUPPLEMENTS_MAX),
			    "remove some, or load with --no-addons");
	req.cmdline = build_cmdline(o, o.reuse_cmdline ? read_text("/proc/cmdline") : "");
	if (o.profile) {
		// systemd-stub's selection, which the kernel strips from the
		// command line of an image with a parser only: "@N" first
		Mapping m = Mapping::of(o.image);
		PeImage pe = PeImage::parse(m.bytes(), o.image);
		unsigned n = select_profile(pe, *o.profile);
		if (!pe.find(KEXEC_PE_BPF_SECTION))
			throw Error(EINVAL, o.image, "--profile: the image has no .bpf parser, and its kernel "
				    "would get \"@" + std::to_string(n) + "\" on its command line",
				    "drop --profile, or embed the parser (kexec-pe embed)");
		if (n)	// 0 is the default
			req.cmdline = "@" + std::to_string(n) + (req.cmdline ? " " + *req.cmdline : "");
	}
	set_fault_from_env();

	Trace trace(o.debug ? Trace::Sink([](const std::string &m) {
		std::fprintf(stderr, "kexec-pe: %s\n", m.c_str());
	}) : Trace::Sink());
	KernelInterface k = real_kernel(o.debug);
	for (const std::string &f : req.files)
		trace.note("addon or side-car file: " + f);
	if (o.debug)
		trace.note(std::string("load ") + o.image + (o.type ? " (--type " + *o.type + " ignored)" : "") +
			   (o.crash ? " for kdump" : "") +
			   (req.initrd ? ", initrd " + *req.initrd : "") +
			   (req.cmdline ? ", command line '" + *req.cmdline + "'" : ", no command line"));
	LoadOutcome out = load(req, k, trace);
	if (out.kexec_errno) {
		std::fprintf(stderr, "kexec-pe: %s\n", load_error(req, out, PermissionState::read()).what());
		if (out.loader_error && out.loader_failed_first && out.loader_error->code() != out.kexec_errno)
			std::fprintf(stderr, "kexec-pe: the kernel then refused the load [%s]\n",
				     errno_name(out.kexec_errno).c_str());
		else if (out.loader_error && !out.loader_failed_first)
			std::fprintf(stderr, "kexec-pe: by then, the loader had failed too: %s\n",
				     out.loader_error->what());
		return kExitFail;
	}
	if (o.debug)
		trace.note("loaded" + std::string(out.has_parser ? " through the image's parser (" +
						 std::to_string(out.parser_size) + " bytes)" : ""));
	return 0;
}

int do_unload(const Options &o)
{
	unsigned long flags = kFileUnload | (o.crash ? kFileOnCrash : 0);

	if (syscall(__NR_kexec_file_load, -1, -1, 0UL, nullptr, flags) < 0) {
		int err = errno;
		ErrnoContext c;
		c.crash = o.crash;
		c.unload = true;
		c.perm = PermissionState::read();
		Explained e = explain_kexec_errno(err, c);
		throw Error(err, o.crash ? "crash kernel" : "kexec kernel", e.what, e.hint);
	}
	return 0;
}

int do_exec(const Options &o)
{
	if (!kexec_loaded(false))
		throw Error(ENOENT, "kexec", "no kernel is loaded", "load one first: kexec-pe -l IMAGE");
	if (o.sync)
		sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	throw_errno("kexec", "reboot(LINUX_REBOOT_CMD_KEXEC)",
		    "the loaded kernel stays loaded; dmesg may say why");
}

int do_status(const Options &o)
{
	bool loaded = kexec_loaded(o.crash);

	if (o.debug) {
		std::printf("%s kernel: %s\n", o.crash ? "crash" : "kexec", loaded ? "loaded" : "not loaded");
		try {
			std::printf("%s\n", read_text("/proc/kexec_pe/status").c_str());
		} catch (const Error &) {
			std::printf("/proc/kexec_pe: not in this kernel\n");
		}
	}
	return loaded ? 1 : 0;	// kexec-tools' -S
}

int do_inspect(const Options &o)
{
	Mapping m = Mapping::of(o.image);

	std::fputs(inspect(m.bytes(), o.image, o.json).c_str(), stdout);
	return 0;
}

int do_embed(const Options &o)
{
	Mapping img = Mapping::of(o.image);
	std::vector<std::uint8_t> obj = read_file(o.bpf_object, KEXEC_PE_BPF_MAX);

	if (o.section == KEXEC_PE_BPF_SECTION && o.check_bpf) {
		BpfObjectInfo info = describe_bpf(obj, o.bpf_object);
		if (!info.parser())
			throw no_parser_error(o.bpf_object);
	}
	EmbedResult r = embed_section(img.bytes(), o.image, o.section, obj, o.add_section);
	// the manifest of what the parser produces, from the image as it is
	// now; computed again when making room for its header moved the data
	std::size_t pinned = 0;
	const bool replaced = r.replaced;
	if (o.section == KEXEC_PE_BPF_SECTION && o.manifest) {
		auto pin = [&](const std::vector<std::uint8_t> &image) {
			std::vector<std::uint8_t> mf =
				serialize_manifest(compute_manifest(PeImage::parse(image, o.image)));
			pinned = mf.size();
			return embed_section(image, o.image, KEXEC_PE_MANIFEST_SECTION, mf);
		};
		EmbedResult m = pin(r.image);
		if (m.moved) {
			// the data moved for the manifest's header: pin where it
			// is now (the manifest, last, is replaced where it is)
			const std::uint32_t moved = m.moved;
			m = pin(m.image);
			m.moved = moved;
		}
		m.moved += r.moved;
		m.dropped_signature |= r.dropped_signature;
		m.dropped_symbols |= r.dropped_symbols;
		r = std::move(m);
	}
	// a new file beside the output, renamed over it: OUTPUT may be IMAGE,
	// and a failure leaves OUTPUT as it was and nothing else behind
	std::string tmp = o.output + ".XXXXXX";
	UniqueFd fd(mkstemp(tmp.data()));
	if (!fd)
		throw_errno(o.output, "create a file beside it");
	struct stat st;
	mode_t mode = stat(o.image.c_str(), &st) ? 0644 : st.st_mode & 0777;
	try {
		if (fchmod(fd.get(), mode) < 0)
			throw_errno(tmp, "chmod");
		write_all(fd.get(), tmp, r.image);
		if (rename(tmp.c_str(), o.output.c_str()) < 0)
			throw_errno(o.output, "rename " + tmp + " to it");
	} catch (...) {
		unlink(tmp.c_str());
		throw;
	}
	const std::string moved = r.moved ? ", the sections' data moved by " + std::to_string(r.moved) +
					    " bytes to make room for a section header" : "";
	std::fprintf(stderr, "kexec-pe: %s: %s %s (%zu bytes)%s%s%s%s; sign it now (sbsign)\n",
		     o.output.c_str(), replaced ? "replaced" : "added", o.section.c_str(),
		     obj.size(), pinned ? " and its " KEXEC_PE_MANIFEST_SECTION " manifest" : "",
		     r.dropped_signature ? ", old signature dropped" : "",
		     r.dropped_symbols ? ", COFF symbol table dropped" : "", moved.c_str());
	return 0;
}

int do_serve(const Options &o)
{
	ServeOptions so;
	KernelInterface k = real_kernel(o.debug);

	so.timeout_ms = o.timeout_ms;
	so.debug = o.debug;
	return serve(so, k, [](const std::string &m) {
		std::fprintf(stderr, "kexec-pe serve: %s\n", m.c_str());
	});
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> args(argv, argv + argc);
	Options o;

	try {
		o = parse_options(args);
	} catch (const Error &e) {
		// a usage error is not the system's: no errno tag
		std::fprintf(stderr, "kexec-pe: %s\n",
			     format_error(0, e.object(), e.what_failed(), e.hint()).c_str());
		return kExitUsage;
	}
	try {
		switch (o.action) {
		case Action::Help:
			std::fputs(usage(o.as_kexec ? "kexec" : "kexec-pe").c_str(), stdout);
			return 0;
		case Action::Version:
			std::printf("kexec-pe %s (kexec_pe ABI %d)\n", KEXEC_PE_VERSION, KEXEC_PE_ABI_VERSION);
			return 0;
		case Action::Load: return do_load(o);
		case Action::LoadExec: return do_load(o) ? kExitFail : do_exec(o);
		case Action::Unload: return do_unload(o);
		case Action::Exec: return do_exec(o);
		case Action::Status: return do_status(o);
		case Action::Inspect: return do_inspect(o);
		case Action::Embed: return do_embed(o);
		case Action::Serve: return do_serve(o);
		}
	} catch (const Error &e) {
		std::fprintf(stderr, "kexec-pe: %s\n", e.what());
	} catch (const std::exception &e) {
		std::fprintf(stderr, "kexec-pe: %s\n", e.what());
	}
	return kExitFail;
}
