// SPDX-License-Identifier: GPL-2.0
// libbpf, owned: one owner per object and link, destroyed on every path,
// and libbpf's messages captured so that an error can quote the verifier.
#pragma once

#include <bpf/libbpf.h>

#include "error.hpp"
#include "fd.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kexecpe {

// The struct_ops the parser registers as (a map of that type, its parse()
// a sleepable struct_ops program), and the map the loader fills with the
// files the parser may pass to bpf_kexec_supplement_initrd() (addons):
// BPF_MAP_TYPE_ARRAY, __u32 key, value a NUL-terminated path.
inline constexpr std::string_view kParserOps = "kexec_pe_parser_ops";
inline constexpr std::string_view kFilesMap = "kexec_pe_files";

struct ObjectDeleter {
	void operator()(bpf_object *o) const noexcept { bpf_object__close(o); }
};
struct LinkDeleter {
	void operator()(bpf_link *l) const noexcept { bpf_link__destroy(l); }
};
using BpfObject = std::unique_ptr<bpf_object, ObjectDeleter>;
using BpfLink = std::unique_ptr<bpf_link, LinkDeleter>;

struct LibbpfCapture;

// While alive, the libbpf messages of the thread that made it (debug ones
// too) go to its buffer, and are echoed to stderr when @echo. Each thread
// has its own; a nested one captures until it ends, then the outer one
// again. It must end in the thread that made it, innermost first (a
// scope's variable).
class LibbpfLog {
public:
	explicit LibbpfLog(bool echo = false);
	~LibbpfLog();
	LibbpfLog(const LibbpfLog &) = delete;
	LibbpfLog &operator=(const LibbpfLog &) = delete;

	// the last @max bytes, where the verifier says what it refused
	std::string tail(std::size_t max = 2048) const;
	// log_summary() of it: what an error message quotes (one line)
	std::string last_line() const;

private:
	std::unique_ptr<LibbpfCapture> capture_;
	LibbpfCapture *outer_;	// the thread's capture before this one
};

// What an error quotes from libbpf's log @t: the verifier's last two lines
// when libbpf quoted its log, else the last line
std::string log_summary(const std::string &t);

struct BpfProgramInfo {
	std::string name, section, type, attach_type, attach_target;
	bool sleepable = false;
	std::size_t instructions = 0;
};

struct BpfMapInfo {
	std::string name, type;
	std::string struct_ops;	// a struct_ops map's type, else empty
	std::uint32_t key_size = 0, value_size = 0, max_entries = 0;
};

struct BpfObjectInfo {
	std::vector<BpfProgramInfo> programs;
	std::vector<BpfMapInfo> maps;
	// the parse() program of the object's kexec_pe_parser_ops, if any
	const BpfProgramInfo *parser() const noexcept;
};

// Open @elf (not load it) and describe it as libbpf sees it. @object names
// it in errors ("uki.efi: section .bpf"). Throws Error(ELIBBAD) with
// libbpf's message when libbpf cannot open it.
BpfObjectInfo describe_bpf(std::span<const std::uint8_t> elf, const std::string &object);

// Open @elf with libbpf; @elf must outlive the object. Throws Error.
BpfObject open_bpf(std::span<const std::uint8_t> elf, const std::string &object,
		   const LibbpfLog &log);

// The parser of @obj: its kexec_pe_parser_ops map, and the struct_ops
// program that is its parse()
struct ParserParts {
	bpf_map *ops;
	bpf_program *parse;
};

// The parser of an opened @obj; throws no_parser_error() when it has none
ParserParts find_parser(bpf_object *obj, const std::string &object);

// @object has no struct kexec_pe_parser_ops with a parse() program: ENOENT,
// and how to write one
Error no_parser_error(const std::string &object);

// Before the load of @obj: its struct_ops programs (parse()) sleepable, the
// map registered through a link (BPF_F_LINK), as the kernel takes them,
// whichever way the object says it
void prepare_parser(bpf_object *obj, const ParserParts &p);

// A registered parser: the kernel runs it until this is destroyed
struct ParserLink {
	BpfLink link;	// libbpf's
	UniqueFd fd;	// the kernel's link, when libbpf made none (before 1.2)
};

// Register the loaded parser @p (its struct_ops link); throws Error with
// the kernel's errno
ParserLink attach_parser(const ParserParts &p, const std::string &object,
			 const LibbpfLog &log);

// Register again a parser attached before, whose link was destroyed: a new
// link only (its map's value was set once, and the kernel refuses setting
// it again: libbpf before 1.2 would). Throws Error as attach_parser().
ParserLink attach_parser_again(const ParserParts &p, const std::string &object,
			       const LibbpfLog &log);

// Fill the files map of a loaded @obj with @files, in order, from key 0.
// Throws Error: ENOENT when files are given and the parser has no such
// map, E2BIG for more files than entries, ENAMETOOLONG for a path longer
// than its value.
void fill_files_map(bpf_object *obj, const std::vector<std::string> &files,
		    const std::string &object);

} // namespace kexecpe
