// SPDX-License-Identifier: GPL-2.0
// The command line, as kexec-tools users and systemd call it.
#include "error.hpp"
#include "fd.hpp"
#include "options.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

using namespace kexecpe;

namespace {

Options parse(std::vector<std::string> a)
{
	return parse_options(a);
}

std::string usage_error(std::vector<std::string> a)
{
	try {
		parse_options(a);
	} catch (const Error &e) {
		EXPECT_EQ(EINVAL, e.code());
		return e.what();
	}
	ADD_FAILURE() << "accepted";
	return {};
}

} // namespace

TEST(Options, LoadLikeKexecTools)
{
	Options o = parse({"kexec-pe", "-l", "/boot/uki.efi", "--initrd=/boot/initrd.img",
			   "--append=quiet", "--command-line", "splash", "-d"});
	EXPECT_EQ(Action::Load, o.action);
	EXPECT_FALSE(o.crash);
	EXPECT_EQ("/boot/uki.efi", o.image);
	EXPECT_EQ("/boot/initrd.img", o.initrd.value());
	EXPECT_EQ("splash", o.append.value());	// the last one, as kexec-tools
	EXPECT_TRUE(o.debug);
}

TEST(Options, ImageAnywhere)
{
	EXPECT_EQ("/k", parse({"kexec-pe", "/k", "-l"}).image);
	EXPECT_EQ("/k", parse({"kexec-pe", "--load", "--ramdisk", "/i", "/k"}).image);
}

TEST(Options, KdumpStyle)
{
	// what kdump-tools runs
	Options o = parse({"kexec", "-p", "--command-line=root=/dev/sda1 irqpoll nr_cpus=1",
			   "--initrd=/var/lib/kdump/initrd.img", "/var/lib/kdump/vmlinuz"});
	EXPECT_TRUE(o.as_kexec);
	EXPECT_EQ(Action::Load, o.action);
	EXPECT_TRUE(o.crash);
	Options u = parse({"kexec", "-p", "-u"});
	EXPECT_EQ(Action::Unload, u.action);
	EXPECT_TRUE(u.crash);
	Options s = parse({"kexec", "-S", "-p"});
	EXPECT_EQ(Action::Status, s.action);
	EXPECT_TRUE(s.crash);
	// kexec-tools: -S asks about the crash kernel unless -l is given, and
	// supersedes the other options
	EXPECT_TRUE(parse({"kexec", "-S"}).crash);
	EXPECT_FALSE(parse({"kexec", "-S", "-l"}).crash);
	EXPECT_EQ(Action::Status, parse({"kexec", "-S", "-u", "-e"}).action);
}

TEST(Options, ForceAndType)
{
	EXPECT_EQ(Action::Exec, parse({"kexec", "-f"}).action);
	Options f = parse({"kexec", "-f", "-l", "/k"});
	EXPECT_EQ(Action::LoadExec, f.action);
	EXPECT_EQ("/k", f.image);
	EXPECT_EQ(Action::LoadExec, parse({"kexec", "--force", "/k"}).action);
	Options t = parse({"kexec", "--load", "/k", "--type=bzImage"});
	EXPECT_EQ("bzImage", t.type.value());
	EXPECT_EQ(Action::Version, parse({"kexec", "-v"}).action);
	// kexec-tools loads an IMAGE with no action and shuts down: not here
	EXPECT_NE(std::string::npos, usage_error({"kexec", "/k"}).find("systemctl kexec"));
}

TEST(Options, KexecToolsOptionsForOtherLoaders)
{
	// kexec_file_load() takes these from the kernel: accepted, no effect
	Options o = parse({"kexec", "-i", "--dtb", "x.dtb", "--mem-min", "0x1000", "--mem-max=0x2000",
			   "--elf64-core-headers", "--no-checks", "-p", "/k"});
	EXPECT_EQ(Action::Load, o.action);
	EXPECT_TRUE(o.crash);
	EXPECT_EQ("/k", o.image);
}

TEST(Options, SystemctlKexec)
{
	// systemd-shutdown runs "kexec -e"; kexec-tools' -s/-a/-x are accepted
	EXPECT_EQ(Action::Exec, parse({"/usr/sbin/kexec", "-e"}).action);
	EXPECT_EQ(Action::Load, parse({"kexec", "-s", "-a", "-x", "-l", "/k"}).action);
	EXPECT_FALSE(parse({"kexec", "-e", "--no-sync"}).sync);
	EXPECT_FALSE(parse({"kexec", "-e", "-y"}).sync);
}

TEST(Options, AddonsAndTimeout)
{
	Options o = parse({"kexec-pe", "-l", "u.efi", "--addon", "a.addon.efi", "--addon=b.addon.efi",
			   "--timeout", "30"});
	EXPECT_EQ((std::vector<std::string>{"a.addon.efi", "b.addon.efi"}), o.addons);
	EXPECT_EQ(30000u, o.timeout_ms);
}

TEST(Options, Profile)
{
	EXPECT_EQ("rescue", parse({"kexec-pe", "-l", "u.efi", "--profile", "rescue"}).profile.value());
	EXPECT_EQ("1", parse({"kexec-pe", "-p", "u.efi", "--profile=1"}).profile.value());
	EXPECT_FALSE(parse({"kexec-pe", "-l", "u.efi"}).profile);
	std::string e = usage_error({"kexec-pe", "-l", "u.efi", "--profile="});
	EXPECT_NE(std::string::npos, e.find("--profile: empty")) << e;
	e = usage_error({"kexec-pe", "inspect", "--profile", "1", "u.efi"});
	EXPECT_NE(std::string::npos, e.find("--profile does not apply to kexec-pe inspect")) << e;
	// embed --add: any section but the parser's and the manifest
	EXPECT_TRUE(parse({"kexec-pe", "embed", "--add", "--section", ".profile", "--bpf", "p",
			   "-o", "o", "i"}).add_section);
	e = usage_error({"kexec-pe", "embed", "--add", "--bpf", "p", "-o", "o", "i"});
	EXPECT_NE(std::string::npos, e.find("embed --add --section .bpf")) << e;
	e = usage_error({"kexec-pe", "embed", "--add", "--section", ".kexecmf", "--bpf", "p", "-o", "o", "i"});
	EXPECT_NE(std::string::npos, e.find("drop --add")) << e;
}

TEST(Options, Subcommands)
{
	Options i = parse({"kexec-pe", "inspect", "--json", "u.efi"});
	EXPECT_EQ(Action::Inspect, i.action);
	EXPECT_EQ(JsonMode::Short, i.json);
	EXPECT_EQ("u.efi", i.image);
	EXPECT_EQ(JsonMode::Pretty, parse({"kexec-pe", "inspect", "--json=pretty", "u.efi"}).json);
	EXPECT_EQ(JsonMode::Short, parse({"kexec-pe", "inspect", "--json=short", "u.efi"}).json);
	EXPECT_EQ(JsonMode::Off, parse({"kexec-pe", "inspect", "--json=off", "u.efi"}).json);
	try {
		parse({"kexec-pe", "inspect", "--json=yaml", "u.efi"});
		FAIL() << "--json=yaml accepted";
	} catch (const Error &e) {
		EXPECT_NE(std::string::npos, std::string(e.what()).find("--json=yaml: not one of pretty, short, off"))
			<< e.what();
	}
	Options e = parse({"kexec-pe", "embed", "--bpf", "p.bpf.o", "-o", "out.efi", "in.efi"});
	EXPECT_EQ(Action::Embed, e.action);
	EXPECT_EQ("p.bpf.o", e.bpf_object);
	EXPECT_EQ("out.efi", e.output);
	EXPECT_EQ(".bpf", e.section);
	EXPECT_TRUE(e.check_bpf);
	EXPECT_FALSE(parse({"kexec-pe", "embed", "--no-check", "--bpf", "x", "-o", "o", "i"}).check_bpf);
}

// kexec-pe serve: no IMAGE, only --timeout and -d; "kexec-pe -l serve"
// still loads a file of that name
TEST(Options, Serve)
{
	Options s = parse({"kexec-pe", "serve"});
	EXPECT_EQ(Action::Serve, s.action);
	EXPECT_EQ(0u, s.timeout_ms);
	Options t = parse({"kexec-pe", "-d", "serve", "--timeout", "30"});
	EXPECT_EQ(Action::Serve, t.action);
	EXPECT_EQ(30000u, t.timeout_ms);
	EXPECT_TRUE(t.debug);
	Options l = parse({"kexec-pe", "-l", "serve"});
	EXPECT_EQ(Action::Load, l.action);
	EXPECT_EQ("serve", l.image);
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "serve", "uki.efi"})
				   .find("serve takes no IMAGE, but 'uki.efi' was given"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "serve", "--addon", "a.addon.efi"})
				   .find("--addon does not apply to kexec-pe serve"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "serve", "--profile", "1"})
				   .find("--profile does not apply to kexec-pe serve"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "serve", "-e"}).find("takes no -l, -p, -u, -e"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-u", "--timeout", "5"})
				   .find("it is for loading a kernel (-l, -p or -f IMAGE) and kexec-pe serve"));
}

// --esp-path and --addons-dir: for a load; neither given, nothing is set
// (main.cpp finds the ESP as bootctl does)
TEST(Options, EspPath)
{
	Options o = parse({"kexec-pe", "-l", "u.efi", "--esp-path", "/efi"});
	EXPECT_EQ(std::optional<std::string>("/efi"), o.esp_path);
	EXPECT_EQ(std::nullopt, o.addons_dir);
	Options n = parse({"kexec-pe", "-l", "u.efi"});
	EXPECT_EQ(std::nullopt, n.esp_path);
	EXPECT_EQ(std::nullopt, n.addons_dir);
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "serve", "--esp-path", "/efi"})
				   .find("--esp-path does not apply to kexec-pe serve"));
}

TEST(Options, HelpAndVersion)
{
	EXPECT_EQ(Action::Help, parse({"kexec-pe", "--help"}).action);
	EXPECT_EQ(Action::Help, parse({"kexec-pe", "-h", "-l"}).action);
	EXPECT_EQ(Action::Version, parse({"kexec-pe", "--version"}).action);
	std::string u = usage("kexec-pe");
	for (const char *opt : {"--load", "--load-panic", "--unload", "--exec", "--status", "--initrd",
				"--append", "--command-line", "--reuse-cmdline", "--debug", "--addon",
				"--timeout", "inspect", "embed", "Exit status"})
		EXPECT_NE(std::string::npos, u.find(opt)) << opt;
}

// --help and kexec-pe(8) name the same options: every one the parser
// takes, and the same ones in their synopses
TEST(Options, HelpAndManPageAgree)
{
	auto bytes = read_file(KEXECPE_MAN_PAGE, 1 << 20);
	std::string man(bytes.begin(), bytes.end());
	for (std::size_t at; (at = man.find("\\-")) != std::string::npos;)
		man.replace(at, 2, "-");
	const std::string help = usage("kexec-pe");
	auto options = [](const std::string &t) {
		std::set<std::string> s;
		static const std::regex re("--[a-z][a-z0-9-]*");
		for (std::sregex_iterator i(t.begin(), t.end(), re), end; i != end; ++i)
			s.insert(i->str());
		return s;
	};
	const std::vector<std::string> all = long_options();
	const std::set<std::string> taken(all.begin(), all.end());
	EXPECT_EQ(taken, options(help));
	EXPECT_EQ(taken, options(man));
	const std::string man_synopsis = man.substr(man.find(".SH SYNOPSIS"),
						    man.find(".SH DESCRIPTION") - man.find(".SH SYNOPSIS"));
	const std::string help_synopsis = help.substr(0, help.find("\n\n"));
	EXPECT_EQ(options(help_synopsis), options(man_synopsis));
}

TEST(Options, UsageErrorsSayWhatToDo)
{
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe"}).find("no action given"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l"}).find("no IMAGE"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l", "a", "b"}).find("more than one IMAGE"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l", "-p", "a"}).find("-l and -p"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l", "a", "-e"}).find("one action at a time"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-e", "a"}).find("take no IMAGE"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-lz", "a"}).find("unknown option -z"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-c", "-l", "a"}).find("kexec_file_load"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "--bogus"}).find("unknown option --bogus"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l", "a", "--initrd"}).find("needs an argument"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l", "a", "--timeout", "0"}).find("1 to 600"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l", "a", "--timeout", "9x"}).find("not a number"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "embed", "in.efi"}).find("--bpf"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "inspect"}).find("one IMAGE"));
}

// An option that would do nothing for the action is refused, named, with
// what it is for; kexec-tools' own options keep kexec-tools' leniency
TEST(Options, OptionsThatDoNotApplyAreRefused)
{
	auto refused = [](std::vector<std::string> a, const std::string &says) {
		std::string e = usage_error(a);
		EXPECT_NE(std::string::npos, e.find(says)) << e;
	};
	refused({"kexec-pe", "inspect", "--bpf", "x", "img"},
		"--bpf does not apply to kexec-pe inspect: it is for kexec-pe embed");
	refused({"kexec-pe", "-l", "img", "--json"}, "--json does not apply to -l: it is for kexec-pe inspect");
	refused({"kexec-pe", "-u", "--timeout", "5"},
		"--timeout does not apply to -u: it is for loading a kernel (-l, -p or -f IMAGE)");
	refused({"kexec-pe", "-e", "--addon", "a.addon.efi"}, "--addon does not apply to -e");
	refused({"kexec-pe", "-p", "-u", "--initrd", "i"}, "--initrd does not apply to -u");
	refused({"kexec-pe", "embed", "--bpf", "b", "-o", "o", "--initrd", "i", "img"},
		"--initrd does not apply to kexec-pe embed: it is for loading a kernel");
	refused({"kexec-pe", "inspect", "-s", "img"},
		"-s does not apply to kexec-pe inspect: it is for kexec-tools' actions");
	refused({"kexec-pe", "-S", "--no-addons"}, "--no-addons does not apply to -S");
	refused({"kexec-pe", "inspect", "-f", "img"}, "inspect takes no -l, -p, -u, -e, -f or -S");
	refused({"kexec-pe", "-f", "--json"}, "--json does not apply to -f without an IMAGE (-e)");

	// what applies, and kexec-tools' leniency
	EXPECT_EQ(Action::Inspect, parse({"kexec-pe", "-d", "inspect", "--json=pretty", "img"}).action);
	EXPECT_EQ(Action::Embed, parse({"kexec-pe", "embed", "-d", "--bpf", "b", "-o", "o", "--no-manifest",
					"--section", ".x", "--no-check", "img"}).action);
	EXPECT_EQ(Action::Load, parse({"kexec", "-s", "-l", "img", "--initrd", "i", "--append", "a", "-x",
				       "--addon", "a", "--timeout", "5", "--dtb", "d", "-t", "bzImage"}).action);
	EXPECT_EQ(Action::Unload, parse({"kexec", "-s", "-p", "-u", "-d"}).action);
	EXPECT_EQ(Action::Exec, parse({"kexec", "-e", "--no-sync", "-x"}).action);
	EXPECT_EQ(Action::Status, parse({"kexec", "-S", "--initrd", "i", "-s"}).action);
}

// An option is named as the user typed it; getopt_long knows only its code
TEST(Options, OptionsNamedAsTyped)
{
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l", "a", "--no-sync=1"})
		  .find("option --no-sync takes no value, but '--no-sync=1' gives one"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-u", "--debug=yes"})
		  .find("option --debug takes no value"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l", "a", "--no"}).find("option --no is ambiguous"));
	EXPECT_NE(std::string::npos, usage_error({"kexec-pe", "-l", "a", "--frobnicate=2"})
		  .find("unknown option --frobnicate"));
	// abbreviations getopt_long takes still work, and an option's argument
	// that looks like an option is its argument
	EXPECT_EQ("i", *parse({"kexec-pe", "-l", "k", "--init", "i"}).initrd);
	EXPECT_EQ("--x", *parse({"kexec-pe", "-l", "k", "--append", "--x"}).append);
}

// kexec-pe -d inspect IMAGE: global options before the subcommand too
TEST(Options, OptionsBeforeTheSubcommand)
{
	Options o = parse({"kexec-pe", "-d", "inspect", "--json=pretty", "u.efi"});
	EXPECT_EQ(Action::Inspect, o.action);
	EXPECT_TRUE(o.debug);
	EXPECT_EQ(JsonMode::Pretty, o.json);
	EXPECT_EQ("u.efi", o.image);
	// a file named inspect is an IMAGE, when the action came first
	EXPECT_EQ("inspect", parse({"kexec-pe", "-l", "inspect"}).image);
}

TEST(Options, ParsingTwiceIsTheSame)
{
	// getopt's state is reset for each parse
	for (int i = 0; i < 3; i++)
		EXPECT_EQ("/k", parse({"kexec-pe", "-d", "-l", "/k"}).image);
}

TEST(Cmdline, NoneUnlessAsked)
{
	EXPECT_FALSE(build_cmdline(parse({"kexec-pe", "-l", "k"}), "root=/dev/sda"));
	EXPECT_EQ("", build_cmdline(parse({"kexec-pe", "-l", "k", "--append="}), "x").value());
}

TEST(Cmdline, Reuse)
{
	const std::string proc = "BOOT_IMAGE=/vmlinuz-6.12 root=UUID=1 ro crashkernel=256M quiet\n";
	EXPECT_EQ("root=UUID=1 ro crashkernel=256M quiet",
		  build_cmdline(parse({"kexec-pe", "-l", "k", "--reuse-cmdline"}), proc).value());
	EXPECT_EQ("root=UUID=1 ro quiet irqpoll",
		  build_cmdline(parse({"kexec-pe", "-p", "k", "--reuse-cmdline", "--append", "irqpoll"}), proc).value());
	// a quoted value with spaces stays one word, its spaces as they are
	EXPECT_EQ("a=\"x  BOOT_IMAGE=y\" b",
		  build_cmdline(parse({"kexec-pe", "-l", "k", "--reuse-cmdline"}), "a=\"x  BOOT_IMAGE=y\"   b").value());
}
