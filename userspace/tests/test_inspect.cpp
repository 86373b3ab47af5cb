// SPDX-License-Identifier: GPL-2.0
// kexec-pe inspect, and the binary itself on real images.
#include "embed.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "images.hpp"
#include "inspect.hpp"
#include "manifest.hpp"

#include <gtest/gtest.h>
#include <linux/kexec_pe.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kexecpe;
using namespace kexecpe::test;

namespace {

struct CmdResult {
	int status;
	std::string out;
};

// kexec-pe with @args, its output and exit status; with @secs, ended by
// timeout(1) after that many seconds (status 124)
CmdResult run_within(int secs, const std::string &args)
{
	std::string cmd = (secs ? "timeout " + std::to_string(secs) + " " : std::string()) +
			  KEXECPE_BINARY + " " + args + " 2>&1";
	CmdResult r{-1, {}};
	FILE *p = popen(cmd.c_str(), "r");
	char buf[4096];
	std::size_t n;

	if (!p)
		return r;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		r.out.append(buf, n);
	int st = pclose(p);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return r;
}

CmdResult run(const std::string &args)
{
	return run_within(0, args);
}

std::vector<std::uint8_t> uki_with_parser()
{
	std::string cmdline = "console=ttyS0 quiet\n\0\0";
	std::string osrel = "ID=debian\nVERSION_ID=12\n";
	return embed_section(tiny_pe({{".osrel", {osrel.begin(), osrel.end()}},
				      {".cmdline", {cmdline.begin(), cmdline.end()}},
				      {".linux", std::vector<std::uint8_t>(3000, 0x90)}}),
			     "uki.efi", ".bpf", hook_only_object()).image;
}

} // namespace

TEST(Inspect, Human)
{
	std::string out = inspect(uki_with_parser(), "uki.efi", JsonMode::Off);

	EXPECT_NE(std::string::npos, out.find("uki.efi: UKI, PE32+ for x86_64")) << out;
	EXPECT_NE(std::string::npos, out.find("signature: none (unsigned)")) << out;
	EXPECT_NE(std::string::npos, out.find(".cmdline: console=ttyS0 quiet\n")) << out;
	EXPECT_NE(std::string::npos, out.find(".osrel: ID=debian")) << out;
	EXPECT_NE(std::string::npos, out.find("program parse_nothing: struct_ops, section struct_ops/parse, "
					      "attach struct_ops to parse, sleepable")) << out;
	EXPECT_EQ(std::string::npos, out.find("warning")) << out;
	EXPECT_NE(std::string::npos, out.find("map kexec_pe_files: array, key 4 value 256 entries 4")) << out;
}

TEST(Inspect, Json)
{
	std::string out = inspect(uki_with_parser(), "uki.efi", JsonMode::Short);

	EXPECT_EQ(0u, out.find("{\"file\":\"uki.efi\",\"kind\":\"UKI\"")) << out;
	EXPECT_NE(std::string::npos, out.find("\"uki\":{\"cmdline\":\"console=ttyS0 quiet\",\"osrel\":\"ID=debian\\nVERSION_ID=12\"}")) << out;
	EXPECT_NE(std::string::npos, out.find("\"attach_target\":\"parse\",\"sleepable\":true")) << out;
	EXPECT_NE(std::string::npos, out.find("\"parser\":\"parse_nothing\"")) << out;
	// valid JSON: python's parser agrees
	TempDir d;
	write_bytes(d.path() / "o.json", std::vector<std::uint8_t>(out.begin(), out.end()));
	std::string cmd = "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' " + (d.path() / "o.json").string();
	EXPECT_EQ(0, std::system(cmd.c_str()));
}

// A multi-profile UKI: each profile's ID, title, own sections and the
// command line it boots with, in text and JSON, and its manifest
TEST(Inspect, Profiles)
{
	auto s = [](std::string_view t) { return std::vector<std::uint8_t>(t.begin(), t.end()); };
	auto img = embed_section(tiny_pe({{".cmdline", s("quiet")},
					  {".linux", std::vector<std::uint8_t>(3000, 0x90)},
					  {".profile", s("ID=default\nTITLE=Default\n")},
					  {".profile", s("ID=rescue\nTITLE=Rescue\n")},
					  {".cmdline", s("rescue")}}),
				 "p.efi", ".bpf", hook_only_object()).image;
	auto mf = serialize_manifest(compute_manifest(PeImage::parse(img, "p.efi")));
	img = embed_section(img, "p.efi", KEXEC_PE_MANIFEST_SECTION, mf).image;

	std::string out = inspect(img, "p.efi", JsonMode::Off);
	EXPECT_NE(std::string::npos, out.find("profiles: 2 (select one with --profile N|ID; 0 is the default)\n"
					      "  0: ID=default TITLE=Default\n"
					      "    sections: none (the base's)\n"
					      "    cmdline: quiet\n"
					      "  1: ID=rescue TITLE=Rescue\n"
					      "    sections: .cmdline\n"
					      "    cmdline: rescue\n")) << out;
	EXPECT_NE(std::string::npos, out.find("  profile 1:\n")) << out;
	EXPECT_NE(std::string::npos, out.find("matches what the project's parser produces")) << out;

	auto j = nlohmann::json::parse(inspect(img, "p.efi", JsonMode::Short));
	ASSERT_EQ(2u, j["profiles"].size());
	EXPECT_EQ("rescue", j["profiles"][1]["id"]);
	EXPECT_EQ("rescue", j["profiles"][1]["cmdline"]);
	EXPECT_EQ(".cmdline", j["profiles"][1]["sections"][0]);
	EXPECT_EQ("profile", j["manifest"]["parts"][0]["kind"]);
	// profile 0: the kernel, the archive of its .profile (3 parts), the command line
	EXPECT_EQ(1, j["manifest"]["parts"][6]["profile"]);
	EXPECT_EQ(true, j["manifest"]["matches_parser"]);
	// none for a UKI without profiles
	EXPECT_TRUE(nlohmann::json::parse(inspect(uki_with_parser(), "u", JsonMode::Short))["profiles"].empty());
}

// Every fact of the text is in the JSON: the manifest's parts and its
// comparison with the project's parser, the payloads' sizes
TEST(Inspect, JsonSaysWhatTheTextSays)
{
	auto img = uki_with_parser();
	auto parts = compute_manifest(PeImage::parse(img, "uki.efi"));
	img = embed_section(img, "uki.efi", KEXEC_PE_MANIFEST_SECTION, serialize_manifest(parts)).image;
	std::string text = inspect(img, "uki.efi", JsonMode::Off);
	auto j = nlohmann::json::parse(inspect(img, "uki.efi", JsonMode::Short));

	ASSERT_TRUE(j["manifest"].is_object()) << j.dump();
	EXPECT_EQ(".kexecmf", j["manifest"]["section"]);
	ASSERT_EQ(parts.size(), j["manifest"]["parts"].size());
	EXPECT_NE(std::string::npos, text.find("manifest: .kexecmf, " + std::to_string(parts.size()) +
					       " part(s)")) << text;
	for (const auto &p : j["manifest"]["parts"]) {
		std::string line = "  " + p["result"].get<std::string>() + ": " +
				   std::to_string(p["length"].get<std::uint64_t>());
		if (p["kind"] == "image") {
			char off[24];
			std::snprintf(off, sizeof(off), "0x%llx",
				      static_cast<unsigned long long>(p["offset"].get<std::uint64_t>()));
			line += std::string(" bytes of the image at ") + off;
		} else if (p["kind"] == "zero") {
			line += " zero bytes";
		} else {
			line += " bytes of SHA-256 " + p["sha256"].get<std::string>();
		}
		EXPECT_NE(std::string::npos, text.find(line + "\n")) << line << "\n" << text;
	}
	ASSERT_TRUE(j["manifest"]["matches_parser"].is_boolean()) << j.dump();
	EXPECT_EQ(j["manifest"]["matches_parser"].get<bool>(),
		  text.find("matches what the project's parser produces") != std::string::npos) << text;
	EXPECT_EQ(3000u, j["payloads"]["linux"]);
	EXPECT_NE(std::string::npos, text.find(".linux: 3000 bytes\n")) << text;
	EXPECT_TRUE(j["linux_zboot"].is_null());

	// no manifest: null, as the text says none
	auto plain = inspect(uki_with_parser(), "u.efi", JsonMode::Short);
	EXPECT_TRUE(nlohmann::json::parse(plain)["manifest"].is_null()) << plain;
}

TEST(Inspect, JsonModesAndText)
{
	// text that is not UTF-8 (a lone continuation byte, an overlong form, a
	// surrogate) becomes U+FFFD; valid UTF-8 and escapes stay
	std::string cmdline = "a\"b\\c \xc3\xa9t\xc3\xa9 \x80\xc0\xaf\xed\xa0\x80\x01";
	auto img = embed_section(tiny_pe({{".cmdline", {cmdline.begin(), cmdline.end()}},
					  {".linux", std::vector<std::uint8_t>(3000, 0x90)}}),
				 "u.efi", ".bpf", hook_only_object()).image;
	std::string out = inspect(img, "u.efi", JsonMode::Short);
	EXPECT_NE(std::string::npos, out.find("\"cmdline\":\"a\\\"b\\\\c \xc3\xa9t\xc3\xa9 \xef\xbf\xbd")) << out;
	EXPECT_EQ(std::string::npos, out.find("\\u0080")) << out;
	EXPECT_NE(std::string::npos, out.find("\\u0001\"")) << out;
	EXPECT_EQ(1, std::count(out.begin(), out.end(), '\n')) << out;

	std::string pretty = inspect(img, "u.efi", JsonMode::Pretty);
	EXPECT_EQ(0u, pretty.find("{\n  \"file\": \"u.efi\",\n  \"kind\": ")) << pretty;
	EXPECT_NE(std::string::npos, pretty.find("\n  \"uki\": {\n    \"cmdline\": ")) << pretty;
}

TEST(Inspect, BpfThatIsNotElf)
{
	std::string junk = "this is not an ELF object";
	auto img = embed_section(tiny_pe({{".linux", {1, 2, 3}}}), "u.efi", ".bpf",
				 std::vector<std::uint8_t>(junk.begin(), junk.end())).image;
	std::string out = inspect(img, "u.efi", JsonMode::Off);
	EXPECT_NE(std::string::npos, out.find("error: u.efi: section .bpf: not a BPF object libbpf can open")) << out;
}

TEST(Binary, InspectEachBedImage)
{
	int seen = 0;
	for (const char *rel : {"x86_64/bed/root/boot/uki.efi", "x86_64/bed/root/boot/kexec_pe/ok.efi",
				"arm64/bed/root/boot/kexec_pe/ok.efi", "arm64/bed/root/boot/vmlinuz.efi",
				"arm64/bed/root/boot/pe/zboot-uki.efi",
				"x86_64/arch/x86/boot/bzImage"}) {
		auto p = build_path(rel);
		if (!std::filesystem::exists(p))
			continue;
		seen++;
		CmdResult r = run("inspect " + p.string());
		EXPECT_EQ(0, r.status) << rel << ": " << r.out;
		bool parser = std::string(rel).find("kexec_pe/ok.efi") != std::string::npos;
		EXPECT_EQ(parser, r.out.find("program kexec_pe_test_parser") != std::string::npos) << rel << r.out;
		if (parser) {
			EXPECT_NE(std::string::npos, r.out.find("signature: 1 certificate(s)")) << r.out;
		}
		if (std::string(rel).find("vmlinuz.efi") != std::string::npos) {
			EXPECT_NE(std::string::npos, r.out.find("zboot: codec gzip")) << r.out;
		}
		if (std::string(rel).find("zboot-uki") != std::string::npos) {
			EXPECT_NE(std::string::npos, r.out.find(".linux is an EFI zboot image: codec gzip")) << r.out;
		}
		CmdResult j = run("inspect --json " + p.string());
		EXPECT_EQ(0, j.status) << j.out;
		// a zboot .linux: the JSON says its uncompressed size where the text
		// does, and null where the text says none
		if (std::string(rel).find("zboot-uki") != std::string::npos) {
			auto lz = nlohmann::json::parse(j.out)["linux_zboot"];
			ASSERT_TRUE(lz.contains("uncompressed_size")) << j.out;
			if (lz["uncompressed_size"].is_number())
				EXPECT_NE(std::string::npos,
					  r.out.find(", uncompressed " +
						     std::to_string(lz["uncompressed_size"].get<std::uint64_t>()) +
						     " bytes")) << r.out;
			else
				EXPECT_EQ(std::string::npos, r.out.find(", uncompressed ")) << r.out;
		}
	}
	if (!seen && images_required())
		FAIL() << "no bed images, and KEXECPE_REQUIRE_IMAGES is set";
	if (!seen)
		GTEST_SKIP() << "no bed images built";
}

TEST(Binary, EmbedThenInspect)
{
	TempDir d;
	write_bytes(d.path() / "in.efi", tiny_pe({{".linux", std::vector<std::uint8_t>(100, 1)}}));
	write_bytes(d.path() / "p.bpf.o", hook_only_object());
	CmdResult r = run("embed --bpf " + (d.path() / "p.bpf.o").string() + " -o " + (d.path() / "out.efi").string() +
		    " " + (d.path() / "in.efi").string());
	ASSERT_EQ(0, r.status) << r.out;
	EXPECT_NE(std::string::npos, r.out.find("added .bpf")) << r.out;
	EXPECT_NE(std::string::npos, r.out.find("sign it now")) << r.out;
	CmdResult i = run("inspect " + (d.path() / "out.efi").string());
	EXPECT_NE(std::string::npos, i.out.find("program parse_nothing")) << i.out;
	// in place, and a file that is no BPF object is refused
	r = run("embed --bpf " + (d.path() / "p.bpf.o").string() + " -o " + (d.path() / "out.efi").string() +
		" " + (d.path() / "out.efi").string());
	EXPECT_EQ(0, r.status) << r.out;
	EXPECT_NE(std::string::npos, r.out.find("replaced .bpf")) << r.out;
	r = run("embed --bpf " + (d.path() / "in.efi").string() + " -o " + (d.path() / "x.efi").string() +
		" " + (d.path() / "in.efi").string());
	EXPECT_EQ(1, r.status) << r.out;
	EXPECT_NE(std::string::npos, r.out.find("not a BPF object")) << r.out;
}

// A program without its struct kexec_pe_parser_ops is no parser: inspect
// warns, embed refuses it (the kernel would fail the load with ENOLINK)
TEST(Binary, ParserWithoutItsStructOps)
{
	TempDir d;
	std::string cmdline = "console=ttyS0\n";
	write_bytes(d.path() / "in.efi", tiny_pe({{".cmdline", {cmdline.begin(), cmdline.end()}},
						  {".linux", std::vector<std::uint8_t>(3000, 0x90)}}));
	CmdResult r = run("embed --bpf " KEXECPE_NO_OPS_OBJ " -o " + (d.path() / "out.efi").string() +
			  " " + (d.path() / "in.efi").string());
	EXPECT_EQ(1, r.status) << r.out;
	EXPECT_NE(std::string::npos, r.out.find("no struct kexec_pe_parser_ops with a parse() program")) << r.out;
	EXPECT_NE(std::string::npos, r.out.find("SEC(\".struct_ops\")")) << r.out;
	EXPECT_FALSE(std::filesystem::exists(d.path() / "out.efi"));
	r = run("embed --no-check --bpf " KEXECPE_NO_OPS_OBJ " -o " + (d.path() / "out.efi").string() +
		" " + (d.path() / "in.efi").string());
	ASSERT_EQ(0, r.status) << r.out;
	CmdResult i = run("inspect " + (d.path() / "out.efi").string());
	EXPECT_NE(std::string::npos, i.out.find("warning: no struct kexec_pe_parser_ops")) << i.out;
}

// .bpf's header fills the header area; the manifest's needs room, which
// moves the sections' data: the manifest pins them where they end up
TEST(Binary, EmbedPinsTheLayoutItMade)
{
	std::vector<TinySection> secs;
	for (int i = 0; i < 14; i++)
		secs.push_back({".s" + std::to_string(i), std::vector<std::uint8_t>(10, i)});
	std::string cmdline = "console=ttyS0\n";
	secs.push_back({".cmdline", {cmdline.begin(), cmdline.end()}});
	secs.push_back({".linux", std::vector<std::uint8_t>(3000, 0x90)});
	TempDir d;
	write_bytes(d.path() / "in.efi", tiny_pe(secs));
	write_bytes(d.path() / "p.bpf.o", hook_only_object());

	CmdResult r = run("embed --bpf " + (d.path() / "p.bpf.o").string() + " -o " +
			  (d.path() / "out.efi").string() + " " + (d.path() / "in.efi").string());
	ASSERT_EQ(0, r.status) << r.out;
	EXPECT_NE(std::string::npos, r.out.find("data moved by 512 bytes")) << r.out;
	const auto out = read_file((d.path() / "out.efi").string(), 1 << 20);
	const PeImage pe = PeImage::parse(out, "out.efi");
	const Section *mf = pe.find(KEXEC_PE_MANIFEST_SECTION);
	ASSERT_NE(nullptr, mf);
	EXPECT_EQ(serialize_manifest(compute_manifest(pe)), std::vector<std::uint8_t>(mf->data.begin(), mf->data.end()));
	EXPECT_EQ(0x600u, pe.find(".s0")->raw_offset);
}

// --profile is refused before anything reaches the kernel: a profile the
// image lacks, and any profile of an image without a parser (whose kernel
// would keep "@N" on its command line)
TEST(Binary, ProfileRefusedBeforeTheKernel)
{
	TempDir d;
	auto s = [](std::string_view t) { return std::vector<std::uint8_t>(t.begin(), t.end()); };
	write_bytes(d.path() / "plain.efi", tiny_pe({{".linux", std::vector<std::uint8_t>(100, 1)},
						     {".profile", s("ID=a")}, {".profile", s("ID=b")}}));
	CmdResult r = run("-l " + (d.path() / "plain.efi").string() + " --profile 2");
	EXPECT_EQ(1, r.status);
	EXPECT_NE(std::string::npos, r.out.find("no profile 2; it has 0 (a), 1 (b) [ENOENT]")) << r.out;
	r = run("-l " + (d.path() / "plain.efi").string() + " --profile b");
	EXPECT_EQ(1, r.status);
	EXPECT_NE(std::string::npos, r.out.find("--profile: the image has no .bpf parser, and its kernel "
						"would get \"@1\" on its command line [EINVAL]")) << r.out;
}

// A given ESP is checked before anything is loaded, whatever the image
TEST(Binary, EspPathThatIsNoDirectory)
{
	TempDir d;
	write_bytes(d.path() / "plain.efi", tiny_pe({{".linux", std::vector<std::uint8_t>(100, 1)}}));
	CmdResult r = run("-l " + (d.path() / "plain.efi").string() + " --esp-path " +
			  (d.path() / "no-esp").string());
	EXPECT_EQ(1, r.status);
	EXPECT_NE(std::string::npos, r.out.find("the EFI System Partition given does not exist [ENOENT]"))
		<< r.out;
}

TEST(Binary, ErrorsAndExitCodes)
{
	CmdResult r = run("-l /nonexistent/uki.efi");
	EXPECT_EQ(1, r.status);
	EXPECT_EQ("kexec-pe: /nonexistent/uki.efi: open the image: No such file or directory [ENOENT]\n", r.out);
	r = run("");
	EXPECT_EQ(2, r.status);
	EXPECT_NE(std::string::npos, r.out.find("no action given")) << r.out;
	r = run("inspect /dev/null");
	EXPECT_EQ(1, r.status);
	EXPECT_NE(std::string::npos, r.out.find("not a regular file")) << r.out;
	// a usage error is the user's, not the system's: no errno tag
	r = run("--bogus");
	EXPECT_EQ(2, r.status);
	EXPECT_EQ("kexec-pe: usage: unknown option --bogus (see kexec-pe --help)\n", r.out);
	r = run("--help");
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0u, r.out.find("Usage: kexec-pe")) << r.out;
}

// A FIFO, where a file is expected, is refused at once: opening it for
// reading would wait for a writer (timeout(1) ends a kexec-pe that waits)
TEST(Binary, FifoAndDirectoryRefusedWithoutWaiting)
{
	char dir[] = "/tmp/kexecpe-fifo-XXXXXX";
	ASSERT_NE(nullptr, mkdtemp(dir));
	std::string fifo = std::string(dir) + "/uki.efi";
	ASSERT_EQ(0, mkfifo(fifo.c_str(), 0600));

	CmdResult r = run_within(10, "inspect " + fifo);
	EXPECT_EQ(1, r.status) << r.out;
	EXPECT_NE(std::string::npos, r.out.find("not a regular file: a FIFO [EINVAL]")) << r.out;
	r = run_within(10, "inspect " + std::string(dir));
	EXPECT_EQ(1, r.status) << r.out;
	EXPECT_NE(std::string::npos, r.out.find("not a regular file: a directory [EINVAL]")) << r.out;
	unlink(fifo.c_str());
	rmdir(dir);
}

// Every image the bed loads, as the test kernels see them: the ones the
// kernel must find malformed are malformed here too, the UKIs show their
// UKI sections, the parser images their parser
TEST(Binary, InspectEveryTestImage)
{
	int seen = 0;

	for (const char *arch : {"x86_64", "arm64", "riscv64"}) {
		auto dir = build_path(std::string(arch) + "/bed/root/boot/kexec_pe");
		if (!std::filesystem::exists(dir))
			continue;
		for (const auto &e : std::filesystem::directory_iterator(dir)) {
			const std::string name = e.path().filename().string();
			if (e.path().extension() != ".efi")
				continue;	// side-car files are not PE images
			CmdResult r = run("inspect --json " + e.path().string());
			seen++;
			if (name == "truncated.efi" || name == "outside.efi") {
				EXPECT_EQ(1, r.status) << name << r.out;
				EXPECT_NE(std::string::npos, r.out.find("past the end of the file")) << r.out;
				EXPECT_NE(std::string::npos, r.out.find("[ELIBBAD]")) << r.out;
				continue;
			}
			ASSERT_EQ(0, r.status) << name << ": " << r.out;
			if (name == "addon-nosections.efi") {
				// signed, then its section count set to 0
				EXPECT_NE(std::string::npos, r.out.find("\"sections\":[]")) << r.out;
				continue;
			}
			if (name == "addon-empty.efi") {
				// no .cmdline, .dtb, .initrd or .ucode: not an addon
				EXPECT_EQ(std::string::npos, r.out.find("{\"name\":\".cmdline\"")) << r.out;
				EXPECT_EQ(std::string::npos, r.out.find("\"kind\":\"UKI addon\"")) << r.out;
				continue;
			}
			const bool addon = name.rfind("addon-", 0) == 0;
			const bool parser = !addon && name != "nobpf.efi" && name != "unsigned.efi";
			// an addon: no .linux, a .cmdline; a UKI: .cmdline and .osrel
			EXPECT_NE(std::string::npos, r.out.find("{\"name\":\".cmdline\"")) << name;
			EXPECT_EQ(addon, r.out.find("\"kind\":\"UKI addon\"") != std::string::npos) << name;
			if (name == "notelf.efi") {
				EXPECT_NE(std::string::npos, r.out.find("\"error\":")) << r.out;
			} else if (name == "refused.efi") {
				// the parser the verifier refuses (kexec_pe_tool)
				EXPECT_NE(std::string::npos, r.out.find("\"parser\":\"kexec_pe_refused_parser\"")) << r.out;
			} else if (parser) {
				EXPECT_NE(std::string::npos, r.out.find("\"parser\":\"kexec_pe_test_parser\"")) << name;
			}
			EXPECT_EQ(name != "unsigned.efi" && name != "addon-unsigned.efi",
				  r.out.find("\"signed\":true") != std::string::npos) << name;
		}
	}
	if (!seen && images_required())
		FAIL() << "no kexec_pe test images, and KEXECPE_REQUIRE_IMAGES is set";
	if (!seen)
		GTEST_SKIP() << "no kexec_pe test images built (make initramfs)";
}
