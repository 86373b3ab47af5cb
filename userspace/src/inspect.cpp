// SPDX-License-Identifier: GPL-2.0
#include "inspect.hpp"

#include "bpf.hpp"
#include "error.hpp"
#include "manifest.hpp"
#include "pe.hpp"

#include <linux/kexec_pe.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>
#include <sstream>

namespace kexecpe {

namespace {

// UKI sections shown as text (trimmed of trailing NULs and whitespace)
// the base's (a multi-profile UKI's profiles are listed apart)
constexpr std::string_view kTextSections[] = {".cmdline", ".osrel", ".uname", ".sbat"};
constexpr std::size_t kTextMax = 4096;

std::string text_of(std::span<const std::uint8_t> d)
{
	std::string s(reinterpret_cast<const char *>(d.data()), std::min(d.size(), kTextMax));

	while (!s.empty() && (s.back() == '\0' || s.back() == ' ' || s.back() == '\n' ||
			      s.back() == '\t' || s.back() == '\r'))
		s.pop_back();
	return s;
}

std::string printable(std::string_view s)
{
	std::string o;

	for (unsigned char c : s) {
		if (c == '\n')
			o += "\n    ";
		else if (c < 0x20 || c == 0x7f)
			o += '?';
		else
			o += c;
	}
	return o;
}

std::string hexdigest(const Digest &d)
{
	static const char digits[] = "0123456789abcdef";
	std::string out;

	for (std::uint8_t b : d) {
		out += digits[b >> 4];
		out += digits[b & 15];
	}
	return out;
}

// The .kexecmf manifest as inspect reports it, in text and JSON alike
struct ManifestReport {
	bool present = false;
	std::string error;			// malformed: why
	std::vector<ManifestPart> parts;
	std::optional<bool> matches;		// what the project's parser produces
	std::string compare_error;		// why it was not compared
};

ManifestReport manifest_report(const PeImage &pe);
void manifest_lines(std::ostringstream &o, const ManifestReport &m);

// The payload sections whose sizes inspect reports
constexpr std::string_view kPayloadSections[] = {".linux", ".initrd", ".ucode", ".dtb"};

std::string hex(std::uint64_t v)
{
	char b[24];

	std::snprintf(b, sizeof(b), "0x%llx", static_cast<unsigned long long>(v));
	return b;
}

const char *kind_of(const PeImage &pe)
{
	if (pe.find(".linux"))
		return "UKI";
	if (pe.zboot())
		return "EFI zboot";
	if (pe.find(KEXEC_PE_BPF_SECTION))
		return "PE with a parser";
	if (pe.find(".cmdline") || pe.find(".initrd") || pe.find(".ucode") || pe.find(".dtb"))
		return "UKI addon";
	return "PE";
}

// The zboot header of a UKI's .linux, when it is one (arm64, riscv64)
std::optional<ZbootHeader> nested_zboot(const PeImage &pe)
{
	const Section *l = pe.find(".linux");

	if (!l || !looks_like_pe(l->data))
		return std::nullopt;
	try {
		return PeImage::parse(l->data, pe.name() + ": .linux").zboot();
	} catch (const Error &) {
		return std::nullopt;	/* .linux is the kernel's business */
	}
}

struct BpfReport {
	std::optional<BpfObjectInfo> info;
	std::string error;
};

BpfReport bpf_report(const PeImage &pe)
{
	BpfReport r;
	const Section *s = pe.find(KEXEC_PE_BPF_SECTION);

	if (!s)
		return r;
	try {
		r.info = describe_bpf(s->data, pe.name() + ": section .bpf");
	} catch (const Error &e) {
		r.error = e.what();
	}
	return r;
}

// The sections profile @p has of its own, as ".cmdline .initrd"
std::string own_sections(const Profile &p)
{
	std::string out;

	for (const Section *s : p.own)
		out += (out.empty() ? "" : " ") + printable(s->name);
	return out.empty() ? "none (the base's)" : out;
}

// The command line profile @index of @pe has, as the parser reads it
std::string profile_cmdline(const PeImage &pe, unsigned index)
{
	std::vector<const Section *> c = profile_sections(pe, index, ".cmdline");

	return c.empty() ? std::string() : text_of(c[0]->data);
}

// A multi-profile UKI's profiles: number, ID, title, own sections, and
// the command line each boots with
void profile_lines(std::ostringstream &o, const PeImage &pe)
{
	std::vector<Profile> all = profiles(pe);

	if (!all[0].section)
		return;
	o << "profiles: " << all.size() << " (select one with --profile N|ID; 0 is the default)\n";
	for (const Profile &p : all) {
		o << "  " << p.index << ": ID=" << printable(p.id) << " TITLE=" << printable(p.title)
		  << "\n    sections: " << own_sections(p)
		  << "\n    cmdline: " << printable(profile_cmdline(pe, p.index)) << "\n";
	}
}

std::string human(const PeImage &pe, const BpfReport &bpf)
{
	std::ostringstream o;

	o << pe.name() << ": " << kind_of(pe) << ", " << (pe.pe32plus() ? "PE32+" : "PE32")
	  << " for " << pe.machine_name() << ", " << pe.bytes().size() << " bytes\n";
	o << "signature: ";
	if (pe.signed_()) {
		o << pe.certificates().size() << " certificate(s), " << pe.cert_table_size()
		  << " bytes at " << hex(pe.cert_table_offset());
		for (const Certificate &c : pe.certificates())
			o << (c.type == 2 ? " [PKCS#7]" : " [type " + std::to_string(c.type) + "]");
		o << " (not verified here: the kernel verifies it at load)\n";
	} else {
		o << "none (unsigned)\n";
	}
	o << "sections:\n";
	char line[160];
	std::snprintf(line, sizeof(line), "  %-8s %10s %10s %10s %10s\n", "name", "vaddr", "vsize",
		      "offset", "rawsize");
	o << line;
	for (const Section &s : pe.sections()) {
		std::snprintf(line, sizeof(line), "  %-8s %10s %10u %10s %10u\n", printable(s.name).c_str(),
			      hex(s.virtual_address).c_str(), s.virtual_size,
			      hex(s.raw_offset).c_str(), s.raw_size);
		o << line;
	}
	if (const auto &z = pe.zboot()) {
		o << "zboot: codec " << z->codec << ", payload " << z->payload_size << " bytes at "
		  << hex(z->payload_offset);
		if (z->uncompressed_size)
			o << ", uncompressed " << *z->uncompressed_size << " bytes";
		o << "\n";
	}
	for (std::string_view n : kTextSections)
		if (const Section *s = pe.find(n))
			o << n << ": " << printable(text_of(s->data)) << "\n";
	for (std::string_view n : kPayloadSections)
		if (const Section *s = pe.find(n))
			o << n << ": " << s->data.size() << " bytes\n";
	profile_lines(o, pe);
	if (auto z = nested_zboot(pe)) {
		o << ".linux is an EFI zboot image: codec " << z->codec << ", payload "
		  << z->payload_size << " bytes at " << hex(z->payload_offset) << " of .linux";
		if (z->uncompressed_size)
			o << ", uncompressed " << *z->uncompressed_size << " bytes";
		o << "\n";
	}
	if (!pe.find(KEXEC_PE_BPF_SECTION)) {
		if (std::string_view(kind_of(pe)) == "UKI addon")
			o << "parser: none (an addon: load the UKI with --addon FILE; the kernel "
			     "verifies it and applies its sections)\n";
		else
			o << "parser: none (no .bpf section: kexec_file_load() gets the image as it is)\n";
		return o.str();
	}
	o << "parser: .bpf, " << pe.find(KEXEC_PE_BPF_SECTION)->data.size() << " bytes\n";
	if (!bpf.info) {
		o << "  error: " << bpf.error << "\n";
		return o.str();
	}
	for (const BpfProgramInfo &p : bpf.info->programs)
		o << "  program " << p.name << ": " << p.type << ", section " << p.section
		  << ", attach " << p.attach_type
		  << (p.attach_target.empty() ? "" : " to " + p.attach_target)
		  << (p.sleepable ? ", sleepable" : "") << ", " << p.instructions << " insns\n";
	for (const BpfMapInfo &m : bpf.info->maps)
		o << "  map " << m.name << ": " << m.type << ", key " << m.key_size << " value "
		  << m.value_size << " entries " << m.max_entries << "\n";
	if (!bpf.info->parser())
		o << "  warning: no struct " << kParserOps << " with a parse() program: the kernel's "
		     "load will fail\n";
	manifest_lines(o, manifest_report(pe));
	return o.str();
}

// The .kexecmf manifest, and whether it is what the project's parser
// produces from this image
ManifestReport manifest_report(const PeImage &pe)
{
	const Section *m = pe.find(KEXEC_PE_MANIFEST_SECTION);
	ManifestReport r;

	if (!m)
		return r;
	r.present = true;
	try {
		r.parts = parse_manifest(m->data, pe.bytes().size(), pe.name());
	} catch (const Error &e) {
		r.error = e.what();
		return r;
	}
	try {
		std::vector<ManifestPart> want = compute_manifest(pe);
		bool same = want.size() == r.parts.size();
		for (std::size_t i = 0; same && i < want.size(); i++)
			same = want[i].dst == r.parts[i].dst && want[i].kind == r.parts[i].kind &&
			       want[i].offset == r.parts[i].offset &&
			       want[i].length == r.parts[i].length && want[i].sha256 == r.parts[i].sha256 &&
			       want[i].stream_length == r.parts[i].stream_length &&
			       want[i].codec == r.parts[i].codec;
		r.matches = same;
	} catch (const Error &e) {
		r.compare_error = e.what();
	}
	return r;
}

void manifest_lines(std::ostringstream &o, const ManifestReport &m)
{
	if (!m.present) {
		o << "manifest: none (what the parser produces is not pinned: refused where "
		     "signatures are enforced; kexec-pe embed writes one)\n";
		return;
	}
	if (!m.error.empty()) {
		o << "manifest: malformed, the kernel refuses the image: " << m.error << "\n";
		return;
	}
	o << "manifest: " << KEXEC_PE_MANIFEST_SECTION << ", " << m.parts.size() << " part(s)\n";
	for (const ManifestPart &p : m.parts) {
		if (p.kind == PartKind::Profile) {
			o << "  profile " << p.offset << ":\n";
			continue;
		}
		o << "  " << dst_name(p.dst) << ": ";
		if (p.kind == PartKind::Image)
			o << p.length << " bytes of the image at " << hex(p.offset);
		else if (p.kind == PartKind::Zero)
			o << p.length << " zero bytes";
		else if (p.kind == PartKind::Decompressed)
			o << p.length << " bytes the kernel decompresses (" << p.codec << ") from the "
			  << p.stream_length << " bytes of the image at " << hex(p.offset);
		else
			o << p.length << " bytes of SHA-256 " << hexdigest(p.sha256);
		o << "\n";
	}
	if (m.matches)
		o << "  " << (*m.matches ? "matches what the project's parser produces from this image"
					 : "differs from what the project's parser produces from this image")
		  << "\n";
	else
		o << "  not compared with the project's parser: " << m.compare_error << "\n";
}

using Json = nlohmann::ordered_json;

Json zboot_json(const ZbootHeader &z)
{
	Json j = {{"codec", z.codec}, {"payload_offset", z.payload_offset},
		  {"payload_size", z.payload_size}, {"uncompressed_size", nullptr}};

	if (z.uncompressed_size)
		j["uncompressed_size"] = *z.uncompressed_size;
	return j;
}

Json manifest_json(const ManifestReport &m)
{
	if (!m.present)
		return nullptr;
	Json parts = Json::array();
	for (const ManifestPart &p : m.parts) {
		if (p.kind == PartKind::Profile) {
			parts.push_back({{"kind", "profile"}, {"profile", p.offset}});
			continue;
		}
		Json jp = {{"result", dst_name(p.dst)}, {"length", p.length}};
		if (p.kind == PartKind::Image) {
			jp["kind"] = "image";
			jp["offset"] = p.offset;
		} else if (p.kind == PartKind::Zero) {
			jp["kind"] = "zero";
		} else if (p.kind == PartKind::Decompressed) {
			jp["kind"] = "decompressed";
			jp["offset"] = p.offset;
			jp["stream_length"] = p.stream_length;
			jp["codec"] = p.codec;
		} else {
			jp["kind"] = "sha256";
			jp["sha256"] = hexdigest(p.sha256);
		}
		parts.push_back(jp);
	}
	Json j = {{"section", KEXEC_PE_MANIFEST_SECTION}, {"error", nullptr}, {"parts", parts},
		  {"matches_parser", nullptr}, {"compare_error", nullptr}};
	if (!m.error.empty())
		j["error"] = m.error;
	if (m.matches)
		j["matches_parser"] = *m.matches;
	else if (m.error.empty())
		j["compare_error"] = m.compare_error;
	return j;
}

Json json(const PeImage &pe, const BpfReport &bpf)
{
	Json certs = Json::array(), sections = Json::array(), uki = Json::object();

	for (const Certificate &c : pe.certificates())
		certs.push_back({{"offset", c.offset}, {"length", c.length}, {"type", c.type}});
	for (const Section &s : pe.sections())
		sections.push_back({{"name", s.name}, {"virtual_address", s.virtual_address},
				    {"virtual_size", s.virtual_size}, {"offset", s.raw_offset},
				    {"raw_size", s.raw_size}, {"characteristics", s.characteristics}});
	for (std::string_view n : kTextSections)
		if (const Section *s = pe.find(n))
			uki[std::string(n.substr(1))] = text_of(s->data);

	Json j = {{"file", pe.name()}, {"kind", kind_of(pe)},
		  {"format", pe.pe32plus() ? "PE32+" : "PE32"}, {"machine", pe.machine_name()},
		  {"size", pe.bytes().size()},
		  {"signature", {{"signed", pe.signed_()}, {"offset", pe.cert_table_offset()},
				 {"size", pe.cert_table_size()}, {"certificates", certs}}},
		  {"sections", sections}};
	j["zboot"] = nullptr;
	if (const auto &z = pe.zboot())
		j["zboot"] = zboot_json(*z);
	j["linux_zboot"] = nullptr;
	if (auto z = nested_zboot(pe))
		j["linux_zboot"] = zboot_json(*z);
	j["uki"] = uki;
	Json payloads = Json::object();
	for (std::string_view n : kPayloadSections)
		if (const Section *s = pe.find(n))
			payloads[std::string(n.substr(1))] = s->data.size();
	j["payloads"] = payloads;
	Json profs = Json::array();
	if (std::vector<Profile> all = profiles(pe); all[0].section) {
		for (const Profile &p : all) {
			Json own = Json::array();
			for (const Section *sec : p.own)
				own.push_back(sec->name);
			profs.push_back({{"index", p.index}, {"id", p.id}, {"title", p.title},
					 {"sections", own}, {"cmdline", profile_cmdline(pe, p.index)}});
		}
	}
	j["profiles"] = profs;
	j["manifest"] = manifest_json(manifest_report(pe));
	j["bpf"] = nullptr;
	const Section *b = pe.find(KEXEC_PE_BPF_SECTION);
	if (!b)
		return j;
	j["bpf"] = {{"size", b->data.size()}};
	if (!bpf.info) {
		j["bpf"]["error"] = bpf.error;
		return j;
	}
	Json programs = Json::array(), maps = Json::array();
	for (const BpfProgramInfo &p : bpf.info->programs)
		programs.push_back({{"name", p.name}, {"section", p.section}, {"type", p.type},
				    {"attach_type", p.attach_type}, {"attach_target", p.attach_target},
				    {"sleepable", p.sleepable}, {"instructions", p.instructions}});
	for (const BpfMapInfo &m : bpf.info->maps)
		maps.push_back({{"name", m.name}, {"type", m.type}, {"key_size", m.key_size},
				{"value_size", m.value_size}, {"max_entries", m.max_entries}});
	j["bpf"]["programs"] = programs;
	j["bpf"]["maps"] = maps;
	j["bpf"]["parser"] = nullptr;
	if (const BpfProgramInfo *p = bpf.info->parser())
		j["bpf"]["parser"] = p->name;
	return j;
}

} // namespace

std::string inspect(std::span<const std::uint8_t> bytes, const std::string &name, JsonMode mode)
{
	PeImage pe = PeImage::parse(bytes, name);
	BpfReport bpf = bpf_report(pe);

	if (mode == JsonMode::Off)
		return human(pe, bpf);
	// the image's text (.cmdline, .osrel) may hold any bytes: what is not
	// UTF-8 becomes U+FFFD, as systemd's JSON output does
	return json(pe, bpf).dump(mode == JsonMode::Pretty ? 2 : -1, ' ', false,
				  Json::error_handler_t::replace) + "\n";
}

} // namespace kexecpe
