// SPDX-License-Identifier: GPL-2.0
#include "bpf.hpp"

#include "error.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include <algorithm>
#include <cstdarg>
#include <cstring>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <vector>

namespace kexecpe {

struct LibbpfCapture {
	std::string buf;
	bool echo = false;
};

namespace {

// libbpf's print callback is process-wide, and libbpf calls it in the
// thread doing the work: it is installed once, and each thread's messages
// go to that thread's innermost live LibbpfLog (none: to the callback that
// was installed before, libbpf's own printer). No lock is held across a
// LibbpfLog's life, so nesting or one per thread cannot deadlock.
thread_local LibbpfCapture *t_capture;
libbpf_print_fn_t g_previous;
std::once_flag g_installed;
constexpr std::size_t kKeep = 1 << 16;

int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	LibbpfCapture *c = t_capture;

	if (!c)
		return g_previous ? g_previous(level, fmt, ap) : 0;
	// libbpf prints a refused program's whole verifier log in one call:
	// size the message, never cut it (the verifier's reason is at its end)
	va_list again;
	va_copy(again, ap);
	int n = std::vsnprintf(nullptr, 0, fmt, again);
	va_end(again);
	if (n < 0)
		return 0;
	std::string msg(static_cast<std::size_t>(n) + 1, '\0');
	std::vsnprintf(msg.data(), msg.size(), fmt, ap);
	msg.pop_back();

	if (c->echo)
		std::fputs(msg.c_str(), stderr);	// libbpf's messages say "libbpf: "
	c->buf += msg;
	if (c->buf.size() > kKeep)
		c->buf.erase(0, c->buf.size() - kKeep);
	return 0;
}

std::string section_target(std::string_view sec)
{
	auto slash = sec.find('/');
	return slash == std::string_view::npos ? std::string() : std::string(sec.substr(slash + 1));
}

std::string or_unknown(const char *s)
{
	return s ? s : "unknown";
}

// The type of struct_ops map @m of @obj: the struct of the variable it was
// declared as, from the object's BTF (libbpf 1.1 sets the map's value type
// only at load); empty for another kind of map
std::string struct_ops_type(bpf_object *obj, const bpf_map *m)
{
	const btf *b = bpf_object__btf(obj);

	if (bpf_map__type(m) != BPF_MAP_TYPE_STRUCT_OPS || !b)
		return {};
	__s32 id = btf__find_by_name_kind(b, bpf_map__name(m), BTF_KIND_VAR);
	const btf_type *t = id > 0 ? btf__type_by_id(b, id) : nullptr;
	// the variable's type, through const, volatile and typedefs
	for (int depth = 0; t && depth < 8; depth++) {
		t = btf__type_by_id(b, t->type);
		if (t && btf_is_struct(t))
			return or_unknown(btf__name_by_offset(b, t->name_off));
		if (t && !btf_is_mod(t) && !btf_is_typedef(t))
			break;
	}
	return {};
}

} // namespace

LibbpfLog::LibbpfLog(bool echo)
	: capture_(std::make_unique<LibbpfCapture>()), outer_(t_capture)
{
	std::call_once(g_installed, [] { g_previous = libbpf_set_print(print_fn); });
	capture_->echo = echo;
	t_capture = capture_.get();
}

LibbpfLog::~LibbpfLog()
{
	t_capture = outer_;
}

std::string LibbpfLog::tail(std::size_t max) const
{
	const std::string &b = capture_->buf;
	std::string t = b.size() > max ? b.substr(b.size() - max) : b;

	while (!t.empty() && (t.back() == '\n' || t.back() == ' '))
		t.pop_back();
	return t;
}

std::string log_summary(const std::string &t)
{
	// the verifier's own last words, when libbpf quoted its log
	auto end = t.rfind("-- END PROG LOAD LOG --");
	if (end != std::string::npos) {
		std::string log = t.substr(0, end);
		std::vector<std::string> lines;
		std::size_t start = log.rfind("-- BEGIN PROG LOAD LOG --");
		std::istringstream in(log.substr(start == std::string::npos ? 0 : start));
		for (std::string l; std::getline(in, l);) {
			auto p = l.find("libbpf: ");
			if (p != std::string::npos)
				l = l.substr(0, p);	// a message cut into the log
			if (!l.empty() && l.find("PROG LOAD LOG") == std::string::npos)
				lines.push_back(l);
		}
		if (!lines.empty())
			return "verifier: " + (lines.size() > 1 ? lines[lines.size() - 2] + "; " : "") +
			       lines.back();
	}
	std::string u = t;
	while (!u.empty() && u.back() == '\n')
		u.pop_back();
	auto nl = u.rfind('\n');
	return nl == std::string::npos ? u : u.substr(nl + 1);
}

std::string LibbpfLog::last_line() const
{
	return log_summary(tail(1 << 15));
}

const BpfProgramInfo *BpfObjectInfo::parser() const noexcept
{
	bool ops = std::any_of(maps.begin(), maps.end(),
			       [](const BpfMapInfo &m) { return m.struct_ops == kParserOps; });

	for (const BpfProgramInfo &p : programs)
		if (ops && p.type == "struct_ops")
			return &p;
	return nullptr;
}

BpfObject open_bpf(std::span<const std::uint8_t> elf, const std::string &object,
		   const LibbpfLog &log)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "kexec_pe_parser");
	bpf_object *o = bpf_object__open_mem(elf.data(), elf.size(), &opts);

	if (!o) {
		int err = errno ? errno : EINVAL;
		// libbpf says EINVAL/ENOENT/... for "not an ELF BPF object"
		std::string why = log.last_line();
		throw Error(err == ENOMEM ? ENOMEM : ELIBBAD, object,
			    "not a BPF object libbpf can open" + (why.empty() ? "" : " (libbpf: " + why + ")"),
			    "rebuild the parser with clang -target bpf and embed it again");
	}
	return BpfObject(o);
}

ParserParts find_parser(bpf_object *obj, const std::string &object)
{
	ParserParts parts{};
	bpf_program *p;
	bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		if (struct_ops_type(obj, m) == kParserOps) {
			parts.ops = m;
			break;
		}
	}
	bpf_object__for_each_program(p, obj) {
		if (bpf_program__type(p) == BPF_PROG_TYPE_STRUCT_OPS) {
			parts.parse = p;
			break;
		}
	}
	if (!parts.ops || !parts.parse)
		throw no_parser_error(object);
	return parts;
}

Error no_parser_error(const std::string &object)
{
	return Error(ENOENT, object, "no struct kexec_pe_parser_ops with a parse() program",
		     "the parser needs SEC(\".struct_ops\") struct kexec_pe_parser_ops "
		     "with .parse a SEC(\"struct_ops\") program");
}

namespace {

// uapi since 6.4; the headers this is built with may be older (Debian 12's)
constexpr __u32 kMapFlagLink = 1U << 13;			// BPF_F_LINK
constexpr auto kAttachStructOps = static_cast<bpf_attach_type>(44);	// BPF_STRUCT_OPS

} // namespace

void prepare_parser(bpf_object *obj, const ParserParts &p)
{
	bpf_program *prog;

	// every struct_ops program: which one the map's parse() names is
	// libbpf's to know
	bpf_object__for_each_program(prog, obj)
		if (bpf_program__type(prog) == BPF_PROG_TYPE_STRUCT_OPS)
			bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_SLEEPABLE);
	bpf_map__set_map_flags(p.ops, bpf_map__map_flags(p.ops) | kMapFlagLink);
}

namespace {

Error attach_error(int err, const std::string &object, const LibbpfLog &log)
{
	return Error(err, object, "cannot register the parser (struct " +
		     std::string(kParserOps) + "): " + std::strerror(err) +
		     (log.last_line().empty() ? "" : " (libbpf: " + log.last_line() + ")"),
		     err == EPERM ? "the kernel takes the parser of a registered loader only" :
		     err == EBUSY ? "this process has a parser registered already" :
		     err == ESTALE ? "the session it was read for is over; the next one exposes its own" :
		     "-d shows libbpf's messages");
}

} // namespace

ParserLink attach_parser_again(const ParserParts &p, const std::string &object,
			       const LibbpfLog &log)
{
	int fd = bpf_link_create(bpf_map__fd(p.ops), 0, kAttachStructOps, nullptr);

	if (fd < 0)
		throw attach_error(errno, object, log);
	ParserLink l;
	l.fd = UniqueFd(fd);
	return l;
}

ParserLink attach_parser(const ParserParts &p, const std::string &object,
			 const LibbpfLog &log)
{
	ParserLink l;
	auto fail = [&](int err) { return attach_error(err, object, log); };

	// sets the map's value (its programs); from libbpf 1.2 on, makes the
	// link of a BPF_F_LINK map too
	l.link.reset(bpf_map__attach_struct_ops(p.ops));
	if (!l.link)
		throw fail(errno);
	if (libbpf_major_version() > 1 || libbpf_minor_version() >= 2)
		return l;
	// libbpf 1.1 only set the value, which registers nothing in a
	// BPF_F_LINK map: the link is made here
	int fd = bpf_link_create(bpf_map__fd(p.ops), 0, kAttachStructOps, nullptr);
	if (fd < 0)
		throw fail(errno);
	l.fd = UniqueFd(fd);
	return l;
}

BpfObjectInfo describe_bpf(std::span<const std::uint8_t> elf, const std::string &object)
{
	LibbpfLog log;
	BpfObject obj = open_bpf(elf, object, log);
	BpfObjectInfo info;
	bpf_program *p;
	bpf_map *m;

	bpf_object__for_each_program(p, obj.get()) {
		BpfProgramInfo pi;

		pi.name = bpf_program__name(p);
		pi.section = bpf_program__section_name(p);
		pi.type = or_unknown(libbpf_bpf_prog_type_str(bpf_program__type(p)));
		// a struct_ops program's attach type is its member, set at load
		pi.attach_type = bpf_program__type(p) == BPF_PROG_TYPE_STRUCT_OPS ?
			"struct_ops" :
			or_unknown(libbpf_bpf_attach_type_str(bpf_program__expected_attach_type(p)));
		pi.attach_target = section_target(pi.section);
		// libbpf sets BPF_F_SLEEPABLE at load; the ".s" of the section
		// prefix ("struct_ops.s/") says it before
		std::string_view prefix = std::string_view(pi.section).substr(0, pi.section.find('/'));
		pi.sleepable = (bpf_program__flags(p) & BPF_F_SLEEPABLE) ||
			       (prefix.size() > 2 && prefix.substr(prefix.size() - 2) == ".s") ||
			       bpf_program__type(p) == BPF_PROG_TYPE_STRUCT_OPS;	// prepare_parser()
		pi.instructions = bpf_program__insn_cnt(p);
		info.programs.push_back(std::move(pi));
	}
	bpf_object__for_each_map(m, obj.get()) {
		BpfMapInfo mi;

		mi.name = bpf_map__name(m);
		mi.type = or_unknown(libbpf_bpf_map_type_str(bpf_map__type(m)));
		mi.struct_ops = struct_ops_type(obj.get(), m);
		mi.key_size = bpf_map__key_size(m);
		mi.value_size = bpf_map__value_size(m);
		mi.max_entries = bpf_map__max_entries(m);
		info.maps.push_back(std::move(mi));
	}
	return info;
}

void fill_files_map(bpf_object *obj, const std::vector<std::string> &files,
		    const std::string &object)
{
	if (files.empty())
		return;
	bpf_map *m = bpf_object__find_map_by_name(obj, std::string(kFilesMap).c_str());
	if (!m)
		throw Error(ENOENT, object, "the parser has no " + std::string(kFilesMap) + " map",
			    "this image's parser takes no addons; load without --addon");
	if (bpf_map__type(m) != BPF_MAP_TYPE_ARRAY || bpf_map__key_size(m) != 4)
		throw Error(EINVAL, object, std::string(kFilesMap) + " is not an array with __u32 keys");
	if (files.size() > bpf_map__max_entries(m))
		throw Error(E2BIG, object, std::to_string(files.size()) + " addons given, the parser takes at most " +
			    std::to_string(bpf_map__max_entries(m)));
	std::vector<char> value(bpf_map__value_size(m));
	for (std::uint32_t i = 0; i < files.size(); i++) {
		if (files[i].size() + 1 > value.size())
			throw Error(ENAMETOOLONG, files[i], "path longer than the parser's " +
				    std::to_string(value.size() - 1) + " bytes");
		std::fill(value.begin(), value.end(), 0);
		std::copy(files[i].begin(), files[i].end(), value.begin());
		if (bpf_map__update_elem(m, &i, sizeof(i), value.data(), value.size(), BPF_ANY))
			throw_errno(object, "update " + std::string(kFilesMap) + "[" + std::to_string(i) + "]");
	}
}

} // namespace kexecpe
