// SPDX-License-Identifier: GPL-2.0
#include "session.hpp"

#include "bpf.hpp"
#include "explain.hpp"
#include "manifest.hpp"
#include "pe.hpp"
#include <bpf/bpf.h>

#include <linux/kexec_pe.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace kexecpe {

namespace {

std::optional<Step> g_fault;

constexpr Step kAllSteps[] = {
	Step::Opened, Step::Registered, Step::Calling, Step::Notified, Step::Read,
	Step::ObjectOpened, Step::Loaded, Step::FilesSet, Step::Attached,
	Step::Signalled, Step::Returned, Step::Detached,
};

bool is_signalled(int fd)
{
	pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

// The parser, attached by libbpf. Members go in reverse: link, then object.
class LibbpfParser : public AttachedParser {
public:
	BpfObject obj;
	ParserLink link;
};

// Hand each addon and side-car file to the registration
// (KEXEC_PE_IOC_ADD_FILE), under the name the parser's map gives it: the
// kernel looks no path up, it takes these files.
void hand_over_files(const KernelInterface &k, int reg, const LoadRequest &req)
{
	for (const std::string &f : req.files) {
		kexec_pe_file kf = {};

		if (f.size() >= sizeof(kf.path))
			throw Error(ENAMETOOLONG, f, "the kernel takes addons and side-car files named "
				    "in at most " + std::to_string(sizeof(kf.path) - 1) + " bytes",
				    "move it to a shorter path");
		UniqueFd fd = open_regular(f, "open the addon or side-car file",
					   "addons and side-car files are regular files: remove it "
					   "or give another with --addon");
		kf.version = KEXEC_PE_ABI_VERSION;
		kf.fd = fd.get();
		if (std::find(req.global_credentials.begin(), req.global_credentials.end(), f) !=
		    req.global_credentials.end())
			kf.flags = KEXEC_PE_FILE_GLOBAL_CREDENTIAL;
		std::memcpy(kf.path, f.data(), f.size());
		int err = -k.loader_ioctl(reg, KEXEC_PE_IOC_ADD_FILE, &kf);
		if (!err)
			continue;
		Explained e = explain_hand_over_errno(err);
		throw Error(err, f, e.what, e.hint);
	}
}

struct Shared {
	const KernelInterface &k;
	const LoadRequest &req;
	Trace &trace;
	UniqueFd reg, notify, done, stop;
	std::vector<std::uint8_t> elf;	// the parser's object points into it:
	std::unique_ptr<AttachedParser> parser;	// destroyed first
	LoadOutcome &out;
};

void loader_thread(Shared &s)
{
	const std::string object = s.req.image + ": section .bpf";
	pollfd p[2] = {{s.notify.get(), POLLIN, 0}, {s.stop.get(), POLLIN, 0}};
	std::uint64_t cnt;

	try {
		while (poll(p, 2, -1) < 0)
			if (errno != EINTR)
				throw_errno("eventfd", "poll");
		// kexec_file_load() returned: without exposing the parser, or
		// it exposed it and gave up before this thread woke
		if (p[1].revents & POLLIN)
			return;
		if (read(s.notify.get(), &cnt, sizeof(cnt)) != sizeof(cnt))
			throw_errno("notify eventfd", "read");
		s.out.notified = true;
		s.trace.step(Step::Notified);

		s.elf = read_file(s.k.proc_dir + "/bpf", KEXEC_PE_BPF_MAX);
		s.out.parser_size = s.elf.size();
		s.trace.step(Step::Read, std::to_string(s.elf.size()) + " bytes");

		auto stopped = [&s] { return is_signalled(s.stop.get()); };
		s.parser = s.k.attach(s.elf, s.req.files, object, s.trace, stopped);
		if (!s.parser || stopped())
			return;	// the kernel gave up meanwhile
		// recorded first: once signalled, kexec_file_load() may return
		// and the main thread record Returned at any moment
		s.trace.step(Step::Signalled);
		signal_eventfd(s.done.get(), "done eventfd");
		return;
	} catch (const Error &e) {
		s.out.loader_error = e;
	} catch (const std::exception &e) {
		s.out.loader_error = Error(EIO, object, e.what());
	} catch (...) {
		s.out.loader_error = Error(EIO, object, "unknown failure");
	}
	// Fail the session now rather than at its timeout: the kernel cancels
	// it when the registration ends.
	s.reg.reset();
	try {
		s.trace.note("loader: " + std::string(s.out.loader_error->what()) +
			     "; registration ended");
	} catch (...) {
	}
}

// Stops and joins the loader thread on every way out of load()
class LoaderThread {
public:
	LoaderThread(Shared &s) : s_(s)
	{
		// The loader thread takes no signal: they go to the caller
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		try {
			t_ = std::thread(loader_thread, std::ref(s));
		} catch (...) {
			pthread_sigmask(SIG_SETMASK, &old, nullptr);
			throw;
		}
		pthread_sigmask(SIG_SETMASK, &old, nullptr);
	}
	LoaderThread(const LoaderThread &) = delete;
	LoaderThread &operator=(const LoaderThread &) = delete;
	~LoaderThread() { stop(); }

	void stop() noexcept
	{
		std::uint64_t one = 1;

		if (!t_.joinable())
			return;
		// an eventfd at 0 or 1 takes the write; without it the
		// thread could wait forever
		if (write(s_.stop.get(), &one, sizeof(one)) != sizeof(one))
			std::abort();
		t_.join();
	}

private:
	Shared &s_;
	std::thread t_;
};

// What the verifier did, for the -d trace: its time is most of a session's
// fixed cost
std::string verified(const bpf_program *prog)
{
	bpf_prog_info info{};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) || !info.verified_insns)
		return {};
	return std::to_string(info.verified_insns) + " instructions verified";
}

} // namespace

UniqueFd register_loader(const KernelInterface &k, const std::string &what, int notify,
			 int done, unsigned timeout_ms, std::uint32_t flags)
{
	const std::string path = k.proc_dir + "/loader";
	kexec_pe_register reg = {};

	reg.version = KEXEC_PE_ABI_VERSION;
	reg.notify_fd = notify;
	reg.done_fd = done;
	reg.timeout_ms = timeout_ms;
	reg.flags = flags;
	int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && (flags & KEXEC_PE_REGISTER_SERVE))
		throw Error(ENOENT, k.proc_dir, "this kernel has no PE-BPF loader: there is nothing to serve",
			    "boot a kernel built with CONFIG_KEXEC_PE_BPF=y (kexec-pe.service starts only there)");
	if (fd < 0 && errno == ENOENT)
		throw Error(ENOENT, what, "the image carries a .bpf parser but this kernel has no " +
			    k.proc_dir, "boot a kernel built with CONFIG_KEXEC_PE_BPF=y to load it");
	if (fd < 0 && (errno == EPERM || errno == EACCES))
		throw Error(errno, path, "cannot register as the loader",
			    "loading a kernel needs CAP_SYS_BOOT: run kexec-pe as root");
	if (fd < 0)
		throw_errno(path, "open");
	UniqueFd reg_fd(fd);
	int err = -k.loader_ioctl(fd, KEXEC_PE_IOC_REGISTER, &reg);
	if (!err)
		return reg_fd;
	switch (err) {
	case ENOTTY:
		throw Error(err, path, "the kernel's kexec_pe interface has no KEXEC_PE_IOC_REGISTER "
			    "(an earlier version of the series)", "use the kexec-pe built for this kernel");
	case EPERM:
		throw Error(err, path, "cannot register as the loader",
			    "loading a kernel needs CAP_SYS_BOOT: run kexec-pe as root");
	case EPROTO:
		throw Error(err, path, "the kernel speaks another version of the kexec_pe interface "
			    "(this kexec-pe speaks " + std::to_string(KEXEC_PE_ABI_VERSION) + ")",
			    "use the kexec-pe built for this kernel");
	case EBUSY:
		if (flags & KEXEC_PE_REGISTER_SERVE)
			throw Error(err, path, "another process serves kexec_file_load() already",
				    "see which one: grep server_pid /proc/kexec_pe/status; "
				    "run one kexec-pe serve (kexec-pe.service) at a time");
		throw Error(err, path, "this process is registered already");
	case ENOSPC:
		throw Error(err, path, "too many loaders are registered",
			    "wait for other kexec-pe runs to finish");
	case EINVAL:
		if (flags & KEXEC_PE_REGISTER_SERVE)
			throw Error(err, path, "this kernel's kexec_pe cannot serve other processes "
				    "(no KEXEC_PE_REGISTER_SERVE), or refused the timeout",
				    "use the kexec-pe built for this kernel; its own loads "
				    "(kexec-pe -l) work without serve");
		throw Error(err, path, "the kernel refused the registration (timeout " +
			    std::to_string(timeout_ms) + " ms, at most " +
			    std::to_string(KEXEC_PE_TIMEOUT_MAX_MS) + ")");
	default:
		throw Error(err, path, std::string("register: ") + std::strerror(err));
	}
}

ImageProbe probe_image(std::span<const std::uint8_t> bytes, const std::string &name, bool maps)
{
	ImageProbe p;

	if (!looks_like_pe(bytes))
		return p;
	try {
		PeImage pe = PeImage::parse(bytes, name);
		const Section *bpf = pe.find(KEXEC_PE_BPF_SECTION);
		p.has_parser = bpf != nullptr;
		p.image_signed = pe.signed_();
		const Section *mf = pe.find(KEXEC_PE_MANIFEST_SECTION);
		p.has_manifest = mf != nullptr;
		if (mf) {
			try {
				p.pins_cmdline = false;
				for (const ManifestPart &part :
				     parse_manifest(mf->data, bytes.size(), name + ": section .kexecmf"))
					*p.pins_cmdline |= part.dst == KEXEC_PE_DST_CMDLINE;
			} catch (const Error &) {
				p.pins_cmdline.reset();	// the kernel says what is wrong
			}
		}
		if (bpf && maps) {
			try {
				BpfObjectInfo info = describe_bpf(bpf->data, name + ": section .bpf");
				for (const BpfMapInfo &m : info.maps)
					p.takes_files |= m.name == kFilesMap;
			} catch (const Error &) {
				// the handshake says what is wrong with it
			}
		}
	} catch (const Error &e) {
		// stricter than the kernel's reader: let it decide
		p.has_parser = names_section(bytes, KEXEC_PE_BPF_SECTION);
		p.note = e.what();
	}
	return p;
}

ImageProbe probe_image_file(const std::string &path, bool maps)
{
	Mapping m = Mapping::of(path);

	return probe_image(m.bytes(), path, maps);
}

const char *step_name(Step s) noexcept
{
	switch (s) {
	case Step::Opened: return "opened";
	case Step::Registered: return "registered";
	case Step::Calling: return "calling";
	case Step::Notified: return "notified";
	case Step::Read: return "read";
	case Step::ObjectOpened: return "object-opened";
	case Step::Loaded: return "loaded";
	case Step::FilesSet: return "files-set";
	case Step::Attached: return "attached";
	case Step::Signalled: return "signalled";
	case Step::Returned: return "returned";
	case Step::Detached: return "detached";
	}
	return "?";
}

void Trace::emit(const std::string &msg)
{
	if (!sink_)
		return;
	auto us = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - t0_).count();
	char ts[32];

	std::snprintf(ts, sizeof(ts), "[%4lld.%06lld] ", static_cast<long long>(us / 1000000),
		      static_cast<long long>(us % 1000000));
	sink_(ts + msg);
}

void Trace::step(Step s, const std::string &detail)
{
	{
		std::lock_guard lock(mu_);
		steps_.push_back(s);
		emit(std::string(step_name(s)) + (detail.empty() ? "" : ": " + detail));
	}
	if (g_fault == s) {
		std::fflush(nullptr);
		kill(getpid(), SIGKILL);
	}
}

void Trace::note(const std::string &msg)
{
	std::lock_guard lock(mu_);
	emit(msg);
}

std::vector<Step> Trace::steps() const
{
	std::lock_guard lock(mu_);
	return steps_;
}

void set_fault_from_env()
{
	const char *f = std::getenv("KEXEC_PE_FAULT");

	g_fault.reset();
	if (!f || std::strncmp(f, "kill@", 5))
		return;
	for (Step s : kAllSteps)
		if (!std::strcmp(f + 5, step_name(s)))
			g_fault = s;
}

LoadedParser load_parser(std::span<const std::uint8_t> elf, const std::string &object,
			 const LibbpfLog &log, Trace *trace)
{
	LoadedParser p;

	p.obj = open_bpf(elf, object, log);
	p.parts = find_parser(p.obj.get(), object);
	prepare_parser(p.obj.get(), p.parts);
	// only the parser is loaded: other programs of the object stay out
	// (libbpf loads the struct_ops programs its maps refer to)
	bpf_program *q;
	bpf_object__for_each_program(q, p.obj.get())
		if (bpf_program__type(q) != BPF_PROG_TYPE_STRUCT_OPS)
			bpf_program__set_autoload(q, false);
	if (trace)
		trace->step(Step::ObjectOpened, bpf_program__name(p.parts.parse));
	// before the load: afterwards libbpf's copy is the map itself
	bpf_map *m;
	bpf_object__for_each_map(m, p.obj.get()) {
		std::size_t size = 0;
		const void *v = bpf_map__initial_value(m, &size);

		if (v && size && bpf_map__type(m) == BPF_MAP_TYPE_ARRAY &&
		    !(bpf_map__map_flags(m) & BPF_F_RDONLY_PROG)) {
			const auto *b = static_cast<const std::uint8_t *>(v);
			p.initial.emplace_back(m, std::vector<std::uint8_t>(b, b + size));
		}
	}
	if (int err = bpf_object__load(p.obj.get()))
		throw Error(-err, object, "the kernel refused to load the parser: " +
			    log.last_line(),
			    "-d shows the verifier's log; the parser was built for another kernel or is broken");
	p.verified = verified(p.parts.parse);
	if (trace)
		trace->step(Step::Loaded, p.verified);
	return p;
}

void reset_globals(const LoadedParser &p, const std::string &object)
{
	const std::uint32_t zero = 0;

	for (const auto &[map, value] : p.initial)
		if (bpf_map_update_elem(bpf_map__fd(map), &zero, value.data(), BPF_ANY))
			throw_errno(object + ": map " + bpf_map__name(map), "reset its global data");
}

std::unique_ptr<AttachedParser> attach_with_libbpf(std::span<const std::uint8_t> elf,
						   const std::vector<std::string> &files,
						   const std::string &object, Trace &trace,
						   const StoppedFn &stopped, bool echo)
{
	auto p = std::make_unique<LibbpfParser>();
	LibbpfLog log(echo);
	LoadedParser loaded = load_parser(elf, object, log, &trace);

	p->obj = std::move(loaded.obj);
	fill_files_map(p->obj.get(), files, object);
	trace.step(Step::FilesSet, std::to_string(files.size()) + " files");
	if (stopped())
		return nullptr;
	p->link = attach_parser(loaded.parts, object, log);
	trace.step(Step::Attached);
	return p;
}

KernelInterface real_kernel(bool debug)
{
	KernelInterface k;

	k.attach = [debug](std::span<const std::uint8_t> elf, const std::vector<std::string> &files,
			   const std::string &object, Trace &trace, const StoppedFn &stopped) {
		return attach_with_libbpf(elf, files, object, trace, stopped, debug);
	};
	k.kexec_file_load = [](int kfd, int ifd, const char *cmdline, unsigned long len,
			       unsigned long flags) -> long {
		long r = syscall(__NR_kexec_file_load, kfd, ifd, len, cmdline, flags);
		return r < 0 ? -errno : r;
	};
	k.loader_ioctl = [](int fd, unsigned long request, void *arg) {
		return ::ioctl(fd, request, arg) ? -errno : 0;
	};
	return k;
}

LoadOutcome load(const LoadRequest &req, KernelInterface &k, Trace &trace)
{
	LoadOutcome out;
	UniqueFd kfd = open_regular(req.image, "open the image",
				    "give the kernel image file itself");
	UniqueFd ifd;
	unsigned long flags = req.crash ? kFileOnCrash : 0;

	if (req.initrd)
		ifd = open_regular(*req.initrd, "open the initrd",
				   "--initrd takes a file (a cpio archive), not a directory or a FIFO");
	else
		flags |= kFileNoInitramfs;
	// Only look: whether the image carries a parser. The kernel decides
	// everything else from the same open file.
	{
		Mapping m = Mapping::of_fd(kfd.get(), req.image);
		ImageProbe p = probe_image(m.bytes(), req.image);
		out.has_parser = p.has_parser;
		out.image_signed = p.image_signed;
		out.has_manifest = p.has_manifest;
		out.pins_cmdline = p.pins_cmdline;
		if (!p.note.empty())
			trace.note("not parsed here: " + p.note);
	}
	if (!out.has_parser && (!req.files.empty() || req.timeout_ms))
		throw Error(EINVAL, req.image, "--addon and --timeout are for images with a .bpf parser, "
			    "and this one has none", "drop them, or load the UKI or zboot image that has the parser");
	trace.step(Step::Opened, req.image + (out.has_parser ? " (with a .bpf parser)" : ""));
	// every kernel with the PE-BPF loader takes it; older ones refuse it
	if (out.has_parser && req.kernel_debug)
		flags |= kFileDebug;

	const char *cmd = req.cmdline ? req.cmdline->c_str() : nullptr;
	unsigned long cmdlen = req.cmdline ? req.cmdline->size() + 1 : 0;
	if (!out.has_parser) {
		trace.step(Step::Calling, "kexec_file_load");
		out.kexec_errno = -k.kexec_file_load(kfd.get(), ifd.get(), cmd, cmdlen, flags);
		trace.step(Step::Returned, out.kexec_errno ? errno_name(out.kexec_errno) : "0");
		return out;
	}

	Shared s{k, req, trace, {}, make_eventfd("notify"), make_eventfd("done"),
		 make_eventfd("stop"), {}, {}, out};
	s.reg = register_loader(k, req.image, s.notify.get(), s.done.get(), req.timeout_ms, 0);
	hand_over_files(k, s.reg.get(), req);
	trace.step(Step::Registered, "notify_fd " + std::to_string(s.notify.get()) +
		   ", done_fd " + std::to_string(s.done.get()) + ", timeout " +
		   (req.timeout_ms ? std::to_string(req.timeout_ms) + " ms" : "the kernel's"));

	// The kernel's wait is killable: a fatal signal kills the process,
	// whose registration ends with it (the kernel cancels the session).
	// Other signals do not end the wait; they go to this thread, not to
	// the loader thread, which blocks them all.
	{
		LoaderThread loader(s);

		trace.step(Step::Calling, "kexec_file_load");
		out.kexec_errno = -k.kexec_file_load(kfd.get(), ifd.get(), cmd, cmdlen, flags);
		trace.step(Step::Returned, out.kexec_errno ? errno_name(out.kexec_errno) : "0");
		loader.stop();
	}
	// Did the loader's failure cause the kernel's, or come after it gave
	// up? Only the registration ending (the loader failed and let go of
	// it) makes the kernel cancel: any other errno was the kernel's own.
	out.loader_failed_first = out.loader_error && out.kexec_errno == ECANCELED;
	s.parser.reset();
	trace.step(Step::Detached);
	return out;
}

} // namespace kexecpe
