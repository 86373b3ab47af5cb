// SPDX-License-Identifier: GPL-2.0
#include "options.hpp"

#include "error.hpp"

#include <algorithm>
#include <charconv>
#include <getopt.h>
#include <linux/kexec_pe.h>
#include <sstream>

namespace kexecpe {

namespace {

enum {
	OPT_INITRD = 256, OPT_APPEND, OPT_REUSE, OPT_ADDON, OPT_TIMEOUT, OPT_NO_SYNC,
	OPT_JSON, OPT_BPF, OPT_SECTION, OPT_NO_CHECK, OPT_NO_MANIFEST, OPT_NO_ADDONS, OPT_ADDONS_DIR, OPT_EXTRA_DIR, OPT_ESP_PATH,
	OPT_PROFILE, OPT_ADD,
	OPT_IGNORED_ARG,
};

const option kLong[] = {
	{"load", no_argument, nullptr, 'l'},
	{"load-panic", no_argument, nullptr, 'p'},
	{"unload", no_argument, nullptr, 'u'},
	{"exec", no_argument, nullptr, 'e'},
	{"status", no_argument, nullptr, 'S'},
	{"initrd", required_argument, nullptr, OPT_INITRD},
	{"ramdisk", required_argument, nullptr, OPT_INITRD},
	{"append", required_argument, nullptr, OPT_APPEND},
	{"command-line", required_argument, nullptr, OPT_APPEND},
	{"reuse-cmdline", no_argument, nullptr, OPT_REUSE},
	{"profile", required_argument, nullptr, OPT_PROFILE},
	{"addon", required_argument, nullptr, OPT_ADDON},
	{"no-addons", no_argument, nullptr, OPT_NO_ADDONS},
	{"addons-dir", required_argument, nullptr, OPT_ADDONS_DIR},
	{"esp-path", required_argument, nullptr, OPT_ESP_PATH},
	{"extra-dir", required_argument, nullptr, OPT_EXTRA_DIR},
	{"timeout", required_argument, nullptr, OPT_TIMEOUT},
	{"debug", no_argument, nullptr, 'd'},
	{"no-sync", no_argument, nullptr, 'y'},
	{"force", no_argument, nullptr, 'f'},
	{"type", required_argument, nullptr, 't'},
	{"kexec-file-syscall", no_argument, nullptr, 's'},
	{"kexec-syscall", no_argument, nullptr, 'c'},
	{"kexec-syscall-auto", no_argument, nullptr, 'a'},
	{"no-ifdown", no_argument, nullptr, 'x'},
	// kexec-tools options for kexec_load() or for the architecture's
	// user-space loaders: kexec_file_load() takes the devicetree, the
	// memory ranges and the core headers from the kernel
	{"no-checks", no_argument, nullptr, 'i'},
	{"dtb", required_argument, nullptr, OPT_IGNORED_ARG},
	{"mem-min", required_argument, nullptr, OPT_IGNORED_ARG},
	{"mem-max", required_argument, nullptr, OPT_IGNORED_ARG},
	{"elf32-core-headers", no_argument, nullptr, 'i'},
	{"elf64-core-headers", no_argument, nullptr, 'i'},
	{"json", optional_argument, nullptr, OPT_JSON},
	{"bpf", required_argument, nullptr, OPT_BPF},
	{"output", required_argument, nullptr, 'o'},
	{"section", required_argument, nullptr, OPT_SECTION},
	{"no-check", no_argument, nullptr, OPT_NO_CHECK},
	{"no-manifest", no_argument, nullptr, OPT_NO_MANIFEST},
	{"add", no_argument, nullptr, OPT_ADD},
	{"help", no_argument, nullptr, 'h'},
	{"version", no_argument, nullptr, 'v'},
	{nullptr, 0, nullptr, 0},
};

[[noreturn]] void bad(const std::string &what, const std::string &hint = "see kexec-pe --help")
{
	throw Error(EINVAL, "usage", what, hint);
}

unsigned parse_timeout(const std::string &s)
{
	unsigned sec = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), sec);
	const unsigned max = KEXEC_PE_TIMEOUT_MAX_MS / 1000;

	if (ec != std::errc() || end != s.data() + s.size() || sec == 0 || sec > max)
		bad("--timeout " + s + ": not a number of seconds from 1 to " + std::to_string(max));
	return sec * 1000;
}

// The long option @name (without "--") stands for, as getopt_long takes
// it: the option itself or the only one it abbreviates; nullptr when it
// names none, or several (getopt_long then says which)
const option *long_option(const std::string &name, bool *ambiguous)
{
	const option *found = nullptr;

	*ambiguous = false;
	for (const option *o = kLong; o->name; o++) {
		if (name == o->name) {
			*ambiguous = false;	// exact: "--add", not "--addon"
			return o;
		}
		if (!std::string_view(o->name).starts_with(name))
			continue;
		if (found && found->val != o->val)
			*ambiguous = true;
		found = o;
	}
	return *ambiguous ? nullptr : found;
}

/*
 * Walk the words as getopt_long will: name a long option that is unknown,
 * or that was given a value it does not take, as the user typed it
 * (getopt_long only says its code), and return the index of the first
 * word that is not an option or an option's argument (0 if none), and in
 * @action whether an action (-l, -p, -u, -e, -S, -f) came before it.
 */
std::size_t check_words(const std::vector<std::string> &args, bool *action)
{
	static const std::string_view kActions = "lpueSf";
	std::size_t first = 0;

	*action = false;
	for (std::size_t i = 1; i < args.size(); i++) {
		const std::string &a = args[i];
		if (a == "--")
			break;
		if (a.size() < 2 || a[0] != '-') {
			if (!first)
				first = i;
			continue;
		}
		if (a[1] != '-') {
			// a group of short options: the first that takes an
			// argument takes the rest of the word, or the next word
			for (std::size_t k = 1; k < a.size(); k++) {
				if (!first && kActions.find(a[k]) != std::string_view::npos)
					*action = true;
				if (a[k] == 't' || a[k] == 'o') {
					i += k + 1 == a.size();
					break;
				}
			}
			continue;
		}
		const std::size_t eq = a.find('=');
		const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
		bool ambiguous;
		const option *o = long_option(name, &ambiguous);
		if (ambiguous)
			bad("option --" + name + " is ambiguous");
		if (!o)
			bad("unknown option --" + name);
		if (!first && o->val < 127 && kActions.find(static_cast<char>(o->val)) != std::string_view::npos)
			*action = true;
		if (o->has_arg == no_argument && eq != std::string::npos)
			bad(std::string("option --") + o->name + " takes no value, but '" + a + "' gives one");
		if (o->has_arg == required_argument && eq == std::string::npos)
			i++;
	}
	return first;
}

// --json[=MODE], systemd's modes; --json alone is short
JsonMode parse_json(const char *arg)
{
	const std::string v = arg ? arg : "short";

	if (v == "short")
		return JsonMode::Short;
	if (v == "pretty")
		return JsonMode::Pretty;
	if (v == "off")
		return JsonMode::Off;
	bad("--json=" + v + ": not one of pretty, short, off");
}

// What an option applies to: the kexec-tools actions (a load, -u or -e,
// -S) and the subcommands. kexec-tools' own options keep its leniency
// (-S supersedes the others; -s, -x, -i, --dtb and the like are accepted
// wherever kexec-tools accepts them), kexec-pe's own are refused where
// they would do nothing.
enum Scope : unsigned {
	kLoadScope = 1, kUnloadExecScope = 2, kStatusScope = 4, kInspectScope = 8, kEmbedScope = 16,
	kServeScope = 32,
	kKexecTools = kLoadScope | kUnloadExecScope | kStatusScope,
};

unsigned option_scope(int c)
{
	switch (c) {
	case OPT_JSON:
		return kInspectScope;
	case OPT_BPF: case 'o': case OPT_SECTION: case OPT_NO_CHECK: case OPT_NO_MANIFEST: case OPT_ADD:
		return kEmbedScope;
	case OPT_TIMEOUT:
		return kLoadScope | kServeScope;
	case OPT_ADDON: case OPT_NO_ADDONS: case OPT_ADDONS_DIR: case OPT_EXTRA_DIR: case OPT_ESP_PATH:
	case OPT_PROFILE:
		return kLoadScope;
	case OPT_INITRD: case OPT_APPEND: case OPT_REUSE: case 't':
		return kLoadScope | kStatusScope;
	case 'd':
		return kKexecTools | kInspectScope | kEmbedScope | kServeScope;
	default:	// -y, -s, -a, -x, -i and the ignored ones
		return kKexecTools;
	}
}

std::string scope_name(unsigned scope)
{
	switch (scope) {
	case kInspectScope: return "kexec-pe inspect";
	case kEmbedScope: return "kexec-pe embed";
	case kServeScope: return "kexec-pe serve";
	case kLoadScope: return "loading a kernel (-l, -p or -f IMAGE)";
	case kLoadScope | kServeScope: return "loading a kernel (-l, -p or -f IMAGE) and kexec-pe serve";
	default: return "kexec-tools' actions (-l, -p, -u, -e, -f, -S)";
	}
}

// The options given, as getopt_long saw them, in order: code and name
using Given = std::vector<std::pair<int, std::string>>;

void check_scope(const Given &given, unsigned scope, const std::string &action)
{
	for (const auto &[c, name] : given)
		if (!(option_scope(c) & scope))
			bad(name + " does not apply to " + action + ": it is for " +
			    scope_name(option_scope(c) & ~kStatusScope),
			    "drop " + name);
}

} // namespace

namespace {

// What the words of a command line said, before they are checked against
// the action
struct Words {
	bool l = false, p = false, u = false, e = false, S = false, f = false;
	bool help = false, version = false;
	Given given;			// the options but the actions, in order
	std::vector<std::string> rest;	// the operands
};

// The option @c (getopt_long's code) into @o or @w
void take_option(int c, const char *arg, Options &o, Words &w)
{
	switch (c) {
	case 'l': w.l = true; break;
	case 'p': w.p = true; break;
	case 'u': w.u = true; break;
	case 'e': w.e = true; break;
	case 'S': w.S = true; break;
	case 'f': w.f = true; break;
	case 't': o.type = arg; break;
	case 'd': o.debug = true; break;
	case 's': case 'a': case 'x': break;	// kexec_file_load is all kexec-pe uses
	case 'i': case OPT_IGNORED_ARG: break;	// see kLong
	case 'c':
		bad("-c/--kexec-syscall: kexec-pe loads only with kexec_file_load()",
		    "drop -c; use kexec-tools for kexec_load()");
	case OPT_INITRD: o.initrd = arg; break;
	case OPT_APPEND: o.append = arg; break;	// the last, as kexec-tools
	case OPT_REUSE: o.reuse_cmdline = true; break;
	case OPT_PROFILE:
		if (!*arg)
			bad("--profile: empty; give a profile's number or ID");
		o.profile = arg;
		break;
	case OPT_ADDON: o.addons.emplace_back(arg); break;
	case OPT_NO_ADDONS: o.discover_addons = false; break;
	case OPT_ADDONS_DIR: o.addons_dir = arg; break;
	case OPT_ESP_PATH: o.esp_path = arg; break;
	case OPT_EXTRA_DIR: o.extra_dir = arg; break;
	case OPT_TIMEOUT: o.timeout_ms = parse_timeout(arg); break;
	case 'y': o.sync = false; break;
	case OPT_JSON: o.json = parse_json(arg); break;
	case OPT_BPF: o.bpf_object = arg; break;
	case 'o': o.output = arg; break;
	case OPT_SECTION: o.section = arg; break;
	case OPT_NO_CHECK: o.check_bpf = false; break;
	case OPT_NO_MANIFEST: o.manifest = false; break;
	case OPT_ADD: o.add_section = true; break;
	case 'h': w.help = true; break;
	case 'v': w.version = true; break;
	}
}

// getopt_long over @store (the subcommand taken out): the options into
// @o, the rest into the Words
Words scan(std::vector<std::string> &store, Options &o)
{
	std::vector<char *> argv;
	Words w;

	for (std::string &a : store)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	optind = 0;	// reset getopt (a fresh scan, GNU permutation)
	opterr = 0;
	int c, li = -1;
	while ((c = getopt_long(argv.size() - 1, argv.data(), ":lpueSfdsacixyvht:o:", kLong, &li)) != -1) {
		if (c == ':')
			bad(std::string("option ") + argv[optind - 1] + " needs an argument");
		if (c == '?')
			// long options were checked by check_words(): a short
			// one, optopt its character (in a group too)
			bad(optopt > ' ' && optopt < 127
				    ? std::string("unknown option -") + static_cast<char>(optopt)
				    : std::string("unknown option ") + argv[optind - 1]);
		// the actions are checked by the caller, the options here
		if (c >= 127 || std::string_view("lpueSf").find(static_cast<char>(c)) == std::string_view::npos)
			w.given.emplace_back(c, li >= 0 ? std::string("--") + kLong[li].name
							: std::string("-") + static_cast<char>(c));
		li = -1;
		take_option(c, optarg, o, w);
	}
	w.rest.assign(argv.begin() + optind, argv.end() - 1);
	return w;
}

// kexec-pe inspect|embed IMAGE, kexec-pe serve
Options subcommand(Options o, const std::string &sub, const Words &w)
{
	if (w.l || w.p || w.u || w.e || w.S || w.f)
		bad(sub + " takes no -l, -p, -u, -e, -f or -S");
	check_scope(w.given, sub == "inspect" ? kInspectScope : sub == "embed" ? kEmbedScope :
		    kServeScope, "kexec-pe " + sub);
	if (sub == "serve") {
		if (!w.rest.empty())
			bad("kexec-pe serve takes no IMAGE, but '" + w.rest[0] + "' was given",
			    "it serves every image other processes load; load one yourself with -l IMAGE");
		o.action = Action::Serve;
		return o;
	}
	if (w.rest.size() != 1)
		bad("kexec-pe " + sub + " takes one IMAGE" +
		    (w.rest.empty() ? "" : ", not " + std::to_string(w.rest.size())));
	o.image = w.rest[0];
	if (sub == "inspect") {
		o.action = Action::Inspect;
	} else {
		o.action = Action::Embed;
		if (o.bpf_object.empty() || o.output.empty())
			bad("kexec-pe embed needs --bpf PARSER.bpf.o and -o OUTPUT");
		if (o.add_section && (o.section == KEXEC_PE_BPF_SECTION ||
				      o.section == KEXEC_PE_MANIFEST_SECTION))
			bad("embed --add --section " + o.section + ": an image has one " + o.section +
			    " section", "drop --add: embed replaces it");
	}
	return o;
}

// kexec-tools' actions: -l, -p, -u, -e, -f, -S
Options kexec_action(Options o, const Words &w)
{
	if (w.l && w.p)
		bad("-l and -p: load either the kernel to kexec into (-l) or the crash kernel (-p)");
	if (w.S) {
		// kexec-tools: -S supersedes the other options; it asks about
		// the crash kernel unless -l is given
		o.action = Action::Status;
		o.crash = !w.l;
		check_scope(w.given, kStatusScope, "-S");
		return o;
	}
	// kexec-tools loads an IMAGE given with no action and then runs
	// "shutdown -r now": kexec-pe does not shut the system down
	if (!w.l && !w.p && !w.u && !w.e && !w.f && w.rest.size() == 1)
		bad("an IMAGE with no action (kexec-tools would load it and run shutdown -r now)",
		    "load it with -l IMAGE, then reboot into it with systemctl kexec; or boot it at "
		    "once, without shutting down, with -f IMAGE");
	const int actions = (w.l || w.p) + w.u + w.e + w.f;
	if (actions == 0)
		bad("no action given", "use -l IMAGE, -p IMAGE, -u, -e, -f or -S");
	if (actions > 1 && !(w.u && w.p && actions == 2) && !(w.f && w.l && actions == 2))
		bad("one action at a time: -l/-p IMAGE, -u (-p), -e, -f [IMAGE] or -S");
	o.crash = w.p;
	if (w.f && w.rest.empty()) {
		o.action = Action::Exec;	// -f alone: -e
		check_scope(w.given, kUnloadExecScope, "-f without an IMAGE (-e)");
		return o;
	}
	if (w.u || w.e) {
		o.action = w.u ? Action::Unload : Action::Exec;
		if (!w.rest.empty())
			bad("-u and -e take no IMAGE, but '" + w.rest[0] + "' was given");
		check_scope(w.given, kUnloadExecScope, w.u ? "-u" : "-e");
		return o;
	}
	check_scope(w.given, kLoadScope, w.p ? "-p" : w.f ? "-f" : "-l");
	o.action = w.f ? Action::LoadExec : Action::Load;
	if (w.rest.size() != 1)
		bad(w.rest.empty() ? "no IMAGE to load" : "more than one IMAGE: " + w.rest[0] + ", " + w.rest[1],
		    "kexec-pe -l IMAGE [--initrd FILE] [--append STR]");
	o.image = w.rest[0];
	return o;
}

} // namespace

Options parse_options(const std::vector<std::string> &args)
{
	Options o;
	std::vector<std::string> store(args);
	std::string sub;

	if (store.empty())
		store.push_back("kexec-pe");
	std::string prog = store[0].substr(store[0].rfind('/') + 1);
	o.as_kexec = prog == "kexec";
	// the subcommand: the first word that is not an option, wherever
	// the options around it are (kexec-pe -d inspect IMAGE), unless an
	// action came first (kexec-pe -l inspect loads a file named inspect)
	bool action;
	std::size_t first = check_words(store, &action);
	if (first && !action && (store[first] == "inspect" || store[first] == "embed" ||
				 store[first] == "serve")) {
		sub = store[first];
		store.erase(store.begin() + first);
	}
	Words w = scan(store, o);
	if (w.help)
		return o.action = Action::Help, o;
	if (w.version)
		return o.action = Action::Version, o;
	return sub.empty() ? kexec_action(std::move(o), w) : subcommand(std::move(o), sub, w);
}

std::optional<std::string> build_cmdline(const Options &o, const std::string &proc_cmdline)
{
	std::string out;

	if (o.reuse_cmdline) {
		// the words as the kernel splits them: spaces outside double
		// quotes; a quoted value keeps its spaces as they are
		std::vector<std::string> words;
		std::string cur;
		bool quoted = false;

		for (char ch : proc_cmdline) {
			if (ch == '"')
				quoted = !quoted;
			if (!quoted && (ch == ' ' || ch == '\n' || ch == '\t')) {
				if (!cur.empty())
					words.push_back(std::move(cur));
				cur.clear();
				continue;
			}
			cur += ch;
		}
		if (!cur.empty())
			words.push_back(std::move(cur));
		for (const std::string &w : words) {
			if (!w.rfind("BOOT_IMAGE=", 0) || (o.crash && !w.rfind("crashkernel=", 0)))
				continue;
			out += (out.empty() ? "" : " ") + w;
		}
	}
	if (o.append && !o.append->empty())
		out += (out.empty() ? "" : " ") + *o.append;
	if (!o.reuse_cmdline && !o.append)
		return std::nullopt;
	return out;
}

std::vector<std::string> long_options()
{
	std::vector<std::string> names;

	for (const option *o = kLong; o->name; o++)
		names.emplace_back(std::string("--") + o->name);
	return names;
}

std::string usage(const std::string &prog)
{
	return "Usage: " + prog + " -l|-p IMAGE [--initrd FILE] [--append STR] [--reuse-cmdline]\n"
	"                [--profile N|ID] [--addon FILE]... [--addons-dir DIR]\n"
	"                [--esp-path DIR] [--extra-dir DIR]\n"
	"                [--no-addons] [--timeout SECONDS] [-d]\n"
	"       " + prog + " -u [-p] | -e [-y] | -f [IMAGE] | -S [-l|-p]\n"
	"       kexec-pe inspect [--json[=pretty|short|off]] IMAGE\n"
	"       kexec-pe embed --bpf PARSER.bpf.o [--section NAME] [--no-check]\n"
	"                      [--no-manifest] [--add] -o OUTPUT IMAGE\n"
	"       kexec-pe serve [--timeout SECONDS] [-d]\n"
	"\n"
	"Load a kernel with kexec_file_load(2). A PE image that carries a BPF parser\n"
	"in a .bpf section (a signed UKI or EFI zboot kernel) is verified by the\n"
	"kernel as a whole; kexec-pe attaches the parser the kernel exposes and the\n"
	"parser produces the kernel, initrd and command line. Any other image goes\n"
	"to kexec_file_load(2) as it is. Nothing is unpacked in user space.\n"
	"\n"
	"Actions:\n"
	"  -l, --load IMAGE        load IMAGE to boot with -e (or systemctl kexec)\n"
	"  -p, --load-panic IMAGE  load IMAGE as the crash (kdump) kernel\n"
	"  -u, --unload            unload the loaded kernel (with -p: the crash kernel)\n"
	"  -e, --exec              boot the loaded kernel now (sync(2) first)\n"
	"  -f, --force [IMAGE]     -e; with IMAGE: load it, then boot it\n"
	"  -S, --status            as kexec-tools: exit 1 if the crash kernel (with\n"
	"                          -l: the kexec kernel) is loaded, 0 if not\n"
	"  inspect IMAGE           show sections, signature, zboot header, UKI texts\n"
	"                          and the .bpf parser, without loading anything\n"
	"  embed                   add or replace the parser section of IMAGE without\n"
	"                          moving any other section, and the .kexecmf manifest\n"
	"                          of what the project's parser produces from IMAGE\n"
	"                          (the kernel refuses any other result); drops the\n"
	"                          old signature: sign OUTPUT again (sbsign)\n"
	"  serve                   stay resident and attach the parser for every\n"
	"                          kexec_file_load(2) by a process that is no loader\n"
	"                          itself (systemctl kexec, kexec -s), one at a time;\n"
	"                          until SIGTERM (kexec-pe.service)\n"
	"\n"
	"Options:\n"
	"      --initrd FILE, --ramdisk FILE\n"
	"                          initrd given to the kernel (for a UKI, the kernel\n"
	"                          puts it after the UKI's .ucode and .initrd)\n"
	"      --append STR, --command-line STR\n"
	"                          the command line (the last one given counts)\n"
	"      --reuse-cmdline     start from this kernel's /proc/cmdline, without\n"
	"                          BOOT_IMAGE= (and crashkernel= with -p)\n"
	"      --profile N|ID      the profile of a multi-profile UKI to boot, by\n"
	"                          number or ID (default 0); the kernel gets \"@N\"\n"
	"                          before the command line, as systemd-stub does\n"
	"      --addon FILE        a signed UKI addon or side-car file for the parser\n"
	"                          (repeatable; after the ones found as below)\n"
	"      --addons-dir DIR    global UKI addons (*.addon.efi), first\n"
	"                          (default ESP/loader/addons, as systemd-stub)\n"
	"      --esp-path DIR      the EFI System Partition, whose loader/credentials\n"
	"                          (*.cred) follow the global addons (default: as\n"
	"                          bootctl, $SYSTEMD_ESP_PATH or the first of /efi,\n"
	"                          /boot, /boot/efi that is a mounted FAT filesystem)\n"
	"      --extra-dir DIR     addons and side-car files (*.addon.efi, *.cred,\n"
	"                          *.sysext.raw, *.confext.raw) for this image\n"
	"                          (default IMAGE.extra.d)\n"
	"      --no-addons         do not look in those directories\n"
	"      --timeout SECONDS   how long the kernel waits for the parser, at\n"
	"                          most the sysctl kernel.kexec_pe.timeout_ms (with\n"
	"                          serve: for each session it serves)\n"
	"  -d, --debug             print each step of the load with its time, and ask\n"
	"                          the kernel for its details (KEXEC_FILE_DEBUG)\n"
	"  -y, --no-sync           -e without sync(2)\n"
	"      --json[=MODE]       inspect: JSON output, pretty, short (one line, the\n"
	"                          default) or off\n"
	"  -o, --output OUTPUT     embed: the file to write\n"
	"      --no-check          embed: take any bytes for .bpf (to make bad images\n"
	"                          for tests)\n"
	"      --no-manifest       embed: no .kexecmf (a parser other than the\n"
	"                          project's; refused where signatures are enforced)\n"
	"      --add               embed: add the section after the others even when\n"
	"                          IMAGE has one of its name (a multi-profile UKI's\n"
	"                          .profile and the sections after it)\n"
	"  -s, --kexec-file-syscall, -a, --kexec-syscall-auto, -x, --no-ifdown,\n"
	"  -t, --type TYPE         accepted for kexec-tools compatibility (no effect:\n"
	"                          the kernel picks the loader); so are -i,\n"
	"                          --no-checks, --dtb, --mem-min, --mem-max,\n"
	"                          --elf32-core-headers, --elf64-core-headers;\n"
	"                          -c, --kexec-syscall is refused\n"
	"  -h, --help              this text; -v, --version: the version\n"
	"\n"
	"Exit status: 0 success; 1 the operation failed (the message says why);\n"
	"2 usage error; -S: 1 loaded, 0 not loaded.\n"
	"Invoked as 'kexec', the same options apply. See kexec-pe(8).\n";
}

} // namespace kexecpe
