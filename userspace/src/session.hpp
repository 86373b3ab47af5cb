// SPDX-License-Identifier: GPL-2.0
// kexec_file_load() of a PE image with a .bpf parser: the two threads of
// the handshake (Documentation/userspace-api/kexec_pe.rst).
//
//   calling thread: register two eventfds on /proc/kexec_pe/loader,
//       start the loader thread, call kexec_file_load();
//   loader thread: wait for notify_fd, read /proc/kexec_pe/bpf, open and
//       load it with libbpf, fill its files map, register it (its struct
//       kexec_pe_parser_ops, a struct_ops link), signal done_fd.
//
// Once kexec_file_load() returns, the loader thread is stopped and joined,
// and the parser is detached and freed, on every path: a Session owns
// everything it creates. When the loader thread fails it ends the
// registration at once, so that the kernel cancels the session
// (-ECANCELED) instead of waiting for its timeout.
#pragma once

#include "bpf.hpp"
#include "error.hpp"
#include "fd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kexecpe {

// The steps of a load, in order; -d prints each with its time
enum class Step {
	Opened,		// the image is open and was looked at
	Registered,	// the eventfds are registered
	Calling,	// kexec_file_load() is being called
	Notified,	// the kernel exposed the parser
	Read,		// /proc/kexec_pe/bpf read
	ObjectOpened,	// libbpf opened the object
	Loaded,		// the verifier accepted it
	FilesSet,	// the files map holds the addons
	Attached,	// registered: its struct_ops link made
	Signalled,	// done_fd signalled
	Returned,	// kexec_file_load() returned
	Detached,	// the parser is detached and freed
};
const char *step_name(Step s) noexcept;

// What -d prints, with the time since the load started, from any thread
class Trace {
public:
	using Sink = std::function<void(const std::string &)>;
	explicit Trace(Sink sink = {}) : sink_(std::move(sink)), t0_(clock::now()) {}

	void step(Step s, const std::string &detail = {});
	void note(const std::string &msg);
	std::vector<Step> steps() const;

private:
	using clock = std::chrono::steady_clock;
	void emit(const std::string &msg);

	Sink sink_;
	clock::time_point t0_;
	mutable std::mutex mu_;
	std::vector<Step> steps_;
};

// The parser once attached; destroying it detaches it and frees it
class AttachedParser {
public:
	virtual ~AttachedParser() = default;
};

// Load @elf, fill its files map with @files, attach it; return nullptr
// without attaching when @stopped() says the kernel has given up by then
// (the verifier can take seconds: a parser registered after its session
// would wait for the next). The default is libbpf's (attach_with_libbpf);
// tests of the state machine on a host without the struct_ops put their own.
using StoppedFn = std::function<bool()>;
using AttachFn = std::function<std::unique_ptr<AttachedParser>(
	std::span<const std::uint8_t> elf, const std::vector<std::string> &files,
	const std::string &object, Trace &trace, const StoppedFn &stopped)>;
// @echo: libbpf's messages to stderr as well (-d)
std::unique_ptr<AttachedParser> attach_with_libbpf(std::span<const std::uint8_t> elf,
						   const std::vector<std::string> &files,
						   const std::string &object, Trace &trace,
						   const StoppedFn &stopped, bool echo = false);

// A parser loaded by libbpf (the verifier accepted it), not attached
struct LoadedParser {
	BpfObject obj;
	ParserParts parts{};
	std::string verified;	// "N instructions verified", or empty
	// its writable global data (.data, .bss) as the object file has it
	std::vector<std::pair<bpf_map *, std::vector<std::uint8_t>>> initial;
};
// Open @elf (which must outlive the object), load its parser and nothing
// else; @trace, if given, gets the ObjectOpened and Loaded steps. Throws
// Error with the verifier's last lines.
LoadedParser load_parser(std::span<const std::uint8_t> elf, const std::string &object,
			 const LibbpfLog &log, Trace *trace = nullptr);
// Put the parser's writable global data back as it was loaded, so that a
// parser registered again starts as the first time; throws Error
void reset_globals(const LoadedParser &p, const std::string &object);

// The kernel as the session sees it
struct KernelInterface {
	std::string proc_dir = "/proc/kexec_pe";
	// kexec_file_load(2): 0 or -errno. @cmdline may be null.
	std::function<long(int kernel_fd, int initrd_fd, const char *cmdline,
			   unsigned long cmdline_len, unsigned long flags)> kexec_file_load;
	// ioctl(2) on the registration's file (KEXEC_PE_IOC_*): 0 or -errno
	std::function<int(int fd, unsigned long request, void *arg)> loader_ioctl;
	AttachFn attach;
};
// The running kernel; @debug echoes libbpf's messages
KernelInterface real_kernel(bool debug = false);

// Register this process as a loader (KEXEC_PE_IOC_REGISTER) with the
// eventfds @notify and @done, @flags (KEXEC_PE_REGISTER_*); the
// registration lasts while the returned fd stays open. @what names the
// image or the service in errors. Throws Error with what to do.
UniqueFd register_loader(const KernelInterface &k, const std::string &what, int notify,
			 int done, unsigned timeout_ms, std::uint32_t flags);

struct LoadRequest {
	std::string image;
	std::optional<std::string> initrd;
	std::optional<std::string> cmdline;
	bool crash = false;		// KEXEC_FILE_ON_CRASH
	std::vector<std::string> files;	// for the parser's files map
	// those of @files handed over as global credentials
	// (KEXEC_PE_FILE_GLOBAL_CREDENTIAL: the ESP's loader/credentials)
	std::vector<std::string> global_credentials;
	unsigned timeout_ms = 0;	// 0: the sysctl kernel.kexec_pe.timeout_ms
	bool kernel_debug = false;	// KEXEC_FILE_DEBUG for an image with a parser (-d)
};

// What a load did
struct LoadOutcome {
	bool has_parser = false;	// the image has a .bpf section
	std::optional<bool> image_signed;	// a PE with a certificate table
	std::optional<bool> has_manifest;	// a .kexecmf section
	std::optional<bool> pins_cmdline;	// the manifest pins a command line
	bool notified = false;		// the kernel exposed it
	std::size_t parser_size = 0;
	std::optional<Error> loader_error;	// the loader thread's failure
	bool loader_failed_first = false;	// before kexec_file_load() returned
	int kexec_errno = 0;		// of kexec_file_load()
};

// What load() learns of an image before it calls the kernel: whether it
// carries a parser (a .bpf section; the kernel's reader is laxer than
// PeImage, so a table naming .bpf is enough) and whether it is signed.
// @note gets why the strict reader refused it, if it did.
struct ImageProbe {
	bool has_parser = false;
	bool takes_files = false;	// the parser has a kexec_pe_files map
	std::optional<bool> image_signed;
	std::optional<bool> has_manifest;	// a .kexecmf section
	std::optional<bool> pins_cmdline;	// its manifest pins a command line
	std::string note;
};
// What kexec-pe needs to know of an image before loading it; the parser's
// maps (takes_files) only when @maps is true: that opens it with libbpf
ImageProbe probe_image(std::span<const std::uint8_t> bytes, const std::string &name,
		       bool maps = false);
ImageProbe probe_image_file(const std::string &path, bool maps = false);

// Steps at which KEXEC_PE_FAULT=kill@<step> kills the process (tests)
void set_fault_from_env();

// Load @req. Returns the outcome (kexec_errno 0: loaded); throws Error
// only for what fails before kexec_file_load() (files, registration, and
// --addon or --timeout for an image without a parser).
LoadOutcome load(const LoadRequest &req, KernelInterface &k, Trace &trace);

// kexec_file_load() flags
inline constexpr unsigned long kFileUnload = 0x1, kFileOnCrash = 0x2, kFileNoInitramfs = 0x4;
// 6.7 on: the kernel prints the load's details (the PE-BPF loader's, which
// otherwise logs only why a load failed, rate-limited)
inline constexpr unsigned long kFileDebug = 0x8;

} // namespace kexecpe
