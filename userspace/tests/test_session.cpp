// SPDX-License-Identifier: GPL-2.0
// The handshake state machine against a simulated kernel: the kernel's side
// of Documentation/userspace-api/kexec_pe.rst played over real eventfds,
// a FIFO for /proc/kexec_pe/loader (its last close ends the registration)
// whose ioctls the simulation answers, and a file for /proc/kexec_pe/bpf. The parser is opened with libbpf for
// real; only loading it into the kernel and registering it are simulated
// (the host kernel has no struct kexec_pe_parser_ops).
#include "bpf.hpp"
#include "embed.hpp"
#include "explain.hpp"
#include "images.hpp"
#include "pe.hpp"
#include "session.hpp"

#include <linux/kexec_pe.h>

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <cstdarg>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace kexecpe;
using namespace kexecpe::test;

namespace {

std::atomic<int> g_live_parsers;

class SimParser : public AttachedParser {
public:
	BpfObject obj;
	SimParser() { g_live_parsers++; }
	~SimParser() override { g_live_parsers--; }
};

// What the simulated loader side does wrong
struct Fault {
	std::optional<Step> fail_at;	// throw Error(fail_errno) there
	int fail_errno = EACCES;
	int attach_delay_ms = 0;	// a slow verifier
	bool remove_bpf = false;	// /proc/kexec_pe/bpf gone when read
};

class SimKernel {
public:
	TempDir dir;
	UniqueFd fifo;			// the kernel's end of "loader"
	std::vector<std::uint8_t> parser = hook_only_object();
	int timeout_ms = 2000;
	int before_expose = 0;		// an errno to fail with before exposing (signature)
	bool attached = false;
	bool registered_seen = false;
	std::vector<std::string> files;
	std::vector<std::string> handed;	// struct kexec_pe_file names
	std::vector<std::string> handed_global;	// ... with KEXEC_PE_FILE_GLOBAL_CREDENTIAL
	std::optional<kexec_pe_register> reg;	// KEXEC_PE_IOC_REGISTER's
	int add_file_errno = 0;		// KEXEC_PE_IOC_ADD_FILE fails with it
	bool called = false;
	Fault fault;
	// the arguments of the last kexec_file_load(): the files by identity
	struct Args {
		std::optional<ino_t> kernel, initrd;	// nullopt: fd -1
		std::optional<std::string> cmdline;	// cmdline_len bytes; nullopt: NULL
		unsigned long cmdline_len = 0, flags = 0;
	} args;

	SimKernel()
	{
		auto p = (dir.path() / "loader").string();
		EXPECT_EQ(0, mkfifo(p.c_str(), 0600));
		fifo = UniqueFd(open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
	}

	KernelInterface iface()
	{
		KernelInterface k;
		k.proc_dir = dir.path().string();
		k.kexec_file_load = [this](int kfd, int ifd, const char *cmd, unsigned long len,
					   unsigned long flags) { return kexec_file_load(kfd, ifd, cmd, len, flags); };
		k.loader_ioctl = [this](int fd, unsigned long request, void *arg) {
			return ioctl(fd, request, arg);
		};
		k.attach = [this](std::span<const std::uint8_t> elf, const std::vector<std::string> &f,
				  const std::string &object, Trace &trace, const StoppedFn &stopped) {
			return attach(elf, f, object, trace, stopped);
		};
		return k;
	}

	void maybe_fail(Step s)
	{
		if (fault.fail_at == s)
			throw Error(fault.fail_errno, "sim", std::string("injected at ") + step_name(s));
	}

	std::unique_ptr<AttachedParser> attach(std::span<const std::uint8_t> elf,
					       const std::vector<std::string> &f,
					       const std::string &object, Trace &trace,
					       const StoppedFn &stopped)
	{
		auto p = std::make_unique<SimParser>();
		LibbpfLog log;
		p->obj = open_bpf(elf, object, log);
		find_parser(p->obj.get(), object);
		trace.step(Step::ObjectOpened);
		maybe_fail(Step::ObjectOpened);
		std::this_thread::sleep_for(std::chrono::milliseconds(fault.attach_delay_ms));
		trace.step(Step::Loaded);
		maybe_fail(Step::Loaded);
		files = f;
		trace.step(Step::FilesSet);
		maybe_fail(Step::FilesSet);
		if (stopped())
			return nullptr;	// as attach_with_libbpf: not after the session
		attached = true;
		trace.step(Step::Attached);
		maybe_fail(Step::Attached);
		return p;
	}

	// The registration's ioctls, on the loader's end of the FIFO: 0 or -errno
	int ioctl(int fd, unsigned long request, void *arg)
	{
		struct stat a, b;

		if (fstat(fd, &a) || fstat(fifo.get(), &b) || a.st_ino != b.st_ino)
			return -ENOTTY;
		if (request == KEXEC_PE_IOC_REGISTER) {
			if (reg)
				return -EBUSY;
			reg = *static_cast<const kexec_pe_register *>(arg);
			return 0;
		}
		if (request != KEXEC_PE_IOC_ADD_FILE)
			return -ENOTTY;
		// the kernel takes its reference at the ioctl; kexec-pe closes them
		const auto &kf = *static_cast<const kexec_pe_file *>(arg);
		if (!reg || kf.version != KEXEC_PE_ABI_VERSION ||
		    (kf.flags & ~KEXEC_PE_FILE_GLOBAL_CREDENTIAL) || kf.fd < 0)
			return -EINVAL;
		if (add_file_errno)
			return -add_file_errno;
		handed.emplace_back(kf.path);
		if (kf.flags & KEXEC_PE_FILE_GLOBAL_CREDENTIAL)
			handed_global.emplace_back(kf.path);
		return 0;
	}

	// The kernel's side: 0 or -errno
	long kexec_file_load(int kfd, int ifd, const char *cmd, unsigned long len, unsigned long flags)
	{
		auto ino = [](int fd) -> std::optional<ino_t> {
			struct stat st;
			if (fd < 0 || fstat(fd, &st))
				return std::nullopt;
			return st.st_ino;
		};

		called = true;
		args = {ino(kfd), ino(ifd), cmd ? std::optional<std::string>(std::string(cmd, len)) : std::nullopt,
			len, flags};
		if (before_expose)
			return -before_expose;
		if (!reg || registration_ended())
			return -ESRCH;
		registered_seen = true;
		if (reg->version != KEXEC_PE_ABI_VERSION || reg->flags || reg->notify_fd == reg->done_fd)
			return -EINVAL;
		auto bpf = dir.path() / "bpf";
		if (!fault.remove_bpf)
			write_bytes(bpf, parser);
		std::uint64_t one = 1, cnt;
		if (write(reg->notify_fd, &one, sizeof(one)) != sizeof(one))
			return -EBADF;
		// wait for done_fd, the registration's end (EOF on the FIFO) or
		// a signal (SIGUSR1 is unblocked only while waiting, as the
		// kernel's wait is killable)
		pollfd p[2] = {{reg->done_fd, POLLIN, 0}, {fifo.get(), POLLIN, 0}};
		sigset_t mask;
		pthread_sigmask(SIG_SETMASK, nullptr, &mask);
		sigdelset(&mask, SIGUSR1);
		timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
		int r = ppoll(p, 2, &ts, &mask);
		std::filesystem::remove(bpf);	// withdraw .bpf
		// a signal that came while waiting wins, even if the loader
		// signalled too before this thread looked
		sigset_t pending, usr1;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigpending(&pending);
		if (r >= 0 && sigismember(&pending, SIGUSR1)) {
			timespec zero = {0, 0};
			sigtimedwait(&usr1, nullptr, &zero);
			return -EINTR;
		}
		if (r < 0)
			return errno == EINTR ? -EINTR : -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (p[1].revents & (POLLHUP | POLLIN))
			return -ECANCELED;
		if (read(reg->done_fd, &cnt, sizeof(cnt)) != sizeof(cnt))
			return -EIO;
		return attached ? 0 : -ENOLINK;
	}

	// Whether the registration has ended (the loader closed its end)
	bool registration_ended()
	{
		pollfd p = {fifo.get(), POLLIN, 0};
		return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
	}
};

std::string image_with_parser(const TempDir &d)
{
	auto img = embed_section(tiny_pe({{".linux", std::vector<std::uint8_t>(100, 1)}}), "u.efi", ".bpf",
				 hook_only_object()).image;
	auto p = d.path() / "uki.efi";
	write_bytes(p, img);
	return p.string();
}

struct Loaded {
	LoadOutcome out;
	std::vector<Step> steps;
};

Loaded run_load(SimKernel &sim, LoadRequest req, Trace::Sink sink = {})
{
	KernelInterface k = sim.iface();
	Trace trace(std::move(sink));
	Loaded l;

	if (req.image.empty())
		req.image = image_with_parser(sim.dir);
	l.out = load(req, k, trace);
	l.steps = trace.steps();
	return l;
}

const std::vector<Step> kHappy = {
	Step::Opened, Step::Registered, Step::Calling, Step::Notified, Step::Read,
	Step::ObjectOpened, Step::Loaded, Step::FilesSet, Step::Attached, Step::Signalled,
	Step::Returned, Step::Detached,
};

void noop_handler(int) {}

// "object-opened" -> "objectopened": a test name
std::string step_test_name(const ::testing::TestParamInfo<Step> &info)
{
	std::string n = step_name(info.param);

	n.erase(std::remove(n.begin(), n.end(), '-'), n.end());
	return n;
}

} // namespace

TEST(Handshake, Loads)
{
	SimKernel sim;
	LoadRequest req;
	for (const char *name : {"a.addon.efi", "b.addon.efi"}) {
		req.files.push_back((sim.dir.path() / name).string());
		write_bytes(req.files.back(), {1, 2, 3});
	}
	Loaded l = run_load(sim, req);

	EXPECT_EQ(0, l.out.kexec_errno);
	EXPECT_TRUE(l.out.has_parser);
	EXPECT_TRUE(l.out.notified);
	EXPECT_EQ(sim.parser.size(), l.out.parser_size);
	EXPECT_FALSE(l.out.loader_error);
	EXPECT_EQ(kHappy, l.steps);
	EXPECT_EQ(req.files, sim.files);
	EXPECT_EQ(req.files, sim.handed);
	EXPECT_EQ(0, g_live_parsers.load());	// detached once the call returned
	EXPECT_TRUE(sim.registration_ended());	// and unregistered
}

// Each file is handed to the registration as an open regular file under
// the name the parser's map gives it; anything else fails before the
// kernel is called
TEST(Handshake, FilesAreHandedOverAsRegularFiles)
{
	SimKernel sim;
	LoadRequest req;
	req.files = {(sim.dir.path() / "c.addon.efi").string()};
	write_bytes(req.files[0], {1, 2, 3});
	Loaded l = run_load(sim, req);
	EXPECT_EQ(0, l.out.kexec_errno);
	EXPECT_EQ(req.files, sim.handed);

	// in the parser's map as handed over (find_addons() lists a file once)
	EXPECT_EQ(req.files, sim.files);
	EXPECT_TRUE(sim.handed_global.empty());

	// the ESP's credentials are handed over as global, the others not
	SimKernel sim3;
	LoadRequest creds;
	creds.files = {(sim3.dir.path() / "global.cred").string(), (sim3.dir.path() / "own.cred").string()};
	creds.global_credentials = {creds.files[0]};
	for (const std::string &f : creds.files)
		write_bytes(f, {1, 2, 3});
	EXPECT_EQ(0, run_load(sim3, creds).out.kexec_errno);
	EXPECT_EQ(creds.files, sim3.handed);
	EXPECT_EQ(creds.global_credentials, sim3.handed_global);

	SimKernel sim2;
	LoadRequest dir;
	dir.files = {sim2.dir.path().string()};
	try {
		run_load(sim2, dir);
		ADD_FAILURE() << "a directory was handed over";
	} catch (const Error &e) {
		EXPECT_EQ(EINVAL, e.code());
		EXPECT_NE(std::string::npos, std::string(e.what()).find("not a regular file")) << e.what();
	}
	EXPECT_FALSE(sim2.called);
}

// A file the kernel refuses at KEXEC_PE_IOC_ADD_FILE fails the load before
// kexec_file_load(), naming the file and the cause
TEST(Handshake, RefusedFileNamesItAndTheCause)
{
	SimKernel sim;
	LoadRequest req;
	req.files = {(sim.dir.path() / "d.addon.efi").string()};
	write_bytes(req.files[0], {1, 2, 3});
	sim.add_file_errno = ENOKEY;
	try {
		run_load(sim, req);
		ADD_FAILURE() << "a refused file was loaded";
	} catch (const Error &e) {
		EXPECT_EQ(ENOKEY, e.code());
		EXPECT_EQ(req.files[0], e.object());
		EXPECT_NE(std::string::npos, std::string(e.what()).find("signature not trusted")) << e.what();
	}
	EXPECT_FALSE(sim.called);
	EXPECT_TRUE(sim.registration_ended());
}

// What kexec_file_load() gets: the image and initrd opened, the command
// line NUL-terminated with its length counting the NUL, and the flags the
// request means; the same with and without a parser
TEST(Handshake, PassesWhatWasAsked)
{
	auto ino = [](const std::string &p) -> std::optional<ino_t> {
		struct stat st;
		if (stat(p.c_str(), &st))
			return std::nullopt;
		return st.st_ino;
	};
	for (bool parser : {true, false}) {
		SCOPED_TRACE(parser ? "with a parser" : "without");
		SimKernel sim;
		LoadRequest req;
		if (!parser) {
			req.image = (sim.dir.path() / "bzImage").string();
			write_bytes(req.image, tiny_pe({{".text", {1, 2, 3}}}));
		} else {
			req.image = image_with_parser(sim.dir);
		}
		req.initrd = (sim.dir.path() / "initrd.cpio").string();
		write_bytes(*req.initrd, {7, 7, 7});
		req.cmdline = "console=ttyS0 quiet";
		run_load(sim, req);
		ASSERT_TRUE(sim.called);
		EXPECT_EQ(ino(req.image), sim.args.kernel);
		EXPECT_EQ(ino(*req.initrd), sim.args.initrd);
		EXPECT_EQ(std::string("console=ttyS0 quiet") + '\0', sim.args.cmdline);
		EXPECT_EQ(20u, sim.args.cmdline_len);
		EXPECT_EQ(0u, sim.args.flags);

		// kdump, no initrd, no command line
		SimKernel sim2;
		LoadRequest crash;
		crash.image = req.image;
		crash.crash = true;
		run_load(sim2, crash);
		ASSERT_TRUE(sim2.called);
		EXPECT_EQ(ino(req.image), sim2.args.kernel);
		EXPECT_EQ(std::nullopt, sim2.args.initrd);
		EXPECT_EQ(std::nullopt, sim2.args.cmdline);
		EXPECT_EQ(0u, sim2.args.cmdline_len);
		EXPECT_EQ(kFileOnCrash | kFileNoInitramfs, sim2.args.flags);
	}
}

TEST(Handshake, ImageWithoutParserSkipsIt)
{
	SimKernel sim;
	LoadRequest req;
	req.image = (sim.dir.path() / "bzImage").string();
	write_bytes(req.image, tiny_pe({{".text", {1, 2, 3}}}));
	Loaded l = run_load(sim, req);

	EXPECT_FALSE(l.out.has_parser);
	EXPECT_EQ(ESRCH, l.out.kexec_errno);	// the sim saw no registration
	EXPECT_FALSE(sim.registered_seen);
	EXPECT_EQ((std::vector<Step>{Step::Opened, Step::Calling, Step::Returned}), l.steps);
}

TEST(Handshake, RefusedBeforeExposing)
{
	SimKernel sim;
	sim.before_expose = ENOKEY;	// the signature check fails first
	Loaded l = run_load(sim, {});

	EXPECT_EQ(ENOKEY, l.out.kexec_errno);
	EXPECT_FALSE(l.out.notified);
	EXPECT_EQ(0, g_live_parsers.load());
	EXPECT_EQ(Step::Detached, l.steps.back());
}

class LoaderFails : public ::testing::TestWithParam<Step> {};

// The loader failing at each step ends the registration at once: the
// kernel cancels instead of waiting for its timeout, and nothing is left
TEST_P(LoaderFails, CancelsAndLeavesNothing)
{
	SimKernel sim;
	sim.timeout_ms = 60000;
	sim.fault.fail_at = GetParam();
	auto t0 = std::chrono::steady_clock::now();
	Loaded l = run_load(sim, {});

	EXPECT_EQ(ECANCELED, l.out.kexec_errno);
	ASSERT_TRUE(l.out.loader_error);
	EXPECT_EQ(EACCES, l.out.loader_error->code());
	EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
	EXPECT_EQ(0, g_live_parsers.load());
	EXPECT_EQ(Step::Detached, l.steps.back());
	LoadRequest req;
	req.image = "uki.efi";
	std::string msg = load_error(req, l.out).what();
	EXPECT_NE(std::string::npos, msg.find(std::string("injected at ") + step_name(GetParam()))) << msg;
}

INSTANTIATE_TEST_SUITE_P(EachStep, LoaderFails,
			 ::testing::Values(Step::ObjectOpened, Step::Loaded, Step::FilesSet, Step::Attached),
			 step_test_name);

TEST(Handshake, ProcBpfMissing)
{
	SimKernel sim;
	sim.timeout_ms = 60000;
	sim.fault.remove_bpf = true;
	Loaded l = run_load(sim, {});

	EXPECT_EQ(ECANCELED, l.out.kexec_errno);
	ASSERT_TRUE(l.out.loader_error);
	EXPECT_EQ(ENOENT, l.out.loader_error->code());
	EXPECT_NE(std::string::npos, std::string(l.out.loader_error->what()).find("/bpf: open")) << l.out.loader_error->what();
}

TEST(Handshake, NotAnElfObject)
{
	SimKernel sim;
	sim.timeout_ms = 60000;
	sim.parser = {'n', 'o', 't', ' ', 'e', 'l', 'f'};
	Loaded l = run_load(sim, {});

	EXPECT_EQ(ECANCELED, l.out.kexec_errno);
	ASSERT_TRUE(l.out.loader_error);
	EXPECT_EQ(ELIBBAD, l.out.loader_error->code());
	EXPECT_EQ(0, g_live_parsers.load());
}

// A verifier slower than the kernel's timeout: ETIMEDOUT, and the loader
// thread finishes, detaches and is joined before load() returns
TEST(Handshake, TimesOut)
{
	SimKernel sim;
	sim.timeout_ms = 50;
	sim.fault.attach_delay_ms = 400;
	Loaded l = run_load(sim, {});

	EXPECT_EQ(ETIMEDOUT, l.out.kexec_errno);
	EXPECT_EQ(0, g_live_parsers.load());
	EXPECT_EQ(Step::Detached, l.steps.back());
	// the loader saw the stop: it neither attached nor signalled
	EXPECT_FALSE(sim.attached);
	EXPECT_EQ(l.steps.end(), std::find(l.steps.begin(), l.steps.end(), Step::Signalled));
}

// A loader failing after the kernel gave up does not hide the kernel's errno
TEST(Handshake, LateLoaderFailure)
{
	SimKernel sim;
	sim.timeout_ms = 50;
	sim.fault.attach_delay_ms = 300;
	sim.fault.fail_at = Step::Loaded;
	Loaded l = run_load(sim, {});

	EXPECT_EQ(ETIMEDOUT, l.out.kexec_errno);
	ASSERT_TRUE(l.out.loader_error);
	EXPECT_FALSE(l.out.loader_failed_first);
	LoadRequest req;
	req.image = "uki.efi";
	std::string m = load_error(req, l.out).what();
	EXPECT_NE(std::string::npos, m.find("[ETIMEDOUT]")) << m;
}

TEST(Handshake, AddonsNeedAParser)
{
	SimKernel sim;
	LoadRequest req;
	req.image = (sim.dir.path() / "bzImage").string();
	write_bytes(req.image, tiny_pe({{".text", {1, 2, 3}}}));
	req.files = {"/boot/a.addon.efi"};
	KernelInterface k = sim.iface();
	Trace trace;
	try {
		load(req, k, trace);
		FAIL() << "addons passed to an image without a parser";
	} catch (const Error &e) {
		EXPECT_EQ(EINVAL, e.code());
		EXPECT_NE(std::string::npos, std::string(e.what()).find("has none")) << e.what();
	}
	EXPECT_FALSE(sim.registered_seen);
}

// An image the user-space reader refuses but whose section table names
// .bpf still goes through the handshake: the kernel's reader decides
TEST(Handshake, LenientParserDetection)
{
	SimKernel sim;
	LoadRequest req;
	auto img = embed_section(tiny_pe({{".linux", std::vector<std::uint8_t>(100, 1)}}), "u.efi", ".bpf",
				 hook_only_object()).image;
	put_le32(img, kOptOff + 112 + 8 * 4 + 4, 0x7fffffff);	// a certificate table past the end
	req.image = (sim.dir.path() / "odd.efi").string();
	write_bytes(req.image, img);
	Loaded l = run_load(sim, req);
	EXPECT_TRUE(l.out.has_parser);
	EXPECT_TRUE(sim.registered_seen);
}

class SignalAt : public ::testing::TestWithParam<Step> {};

// kexec_file_load() returning EINTR at each step (the kernel's wait is
// killable: with a fatal signal; the simulation ends it with SIGUSR1, which
// only the calling thread may take): everything is cleaned up
TEST_P(SignalAt, InterruptsCleanly)
{
	struct sigaction sa = {}, old;
	sa.sa_handler = noop_handler;	// no SA_RESTART
	sigaction(SIGUSR1, &sa, &old);
	sigset_t usr1, prev;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &prev);

	SimKernel sim;
	sim.timeout_ms = 60000;
	const Step at = GetParam();
	Loaded l = run_load(sim, {}, [at](const std::string &msg) {
		if (msg.find(std::string("] ") + step_name(at)) != std::string::npos)
			kill(getpid(), SIGUSR1);	// to the process: only the caller may take it
	});

	pthread_sigmask(SIG_SETMASK, &prev, nullptr);
	sigaction(SIGUSR1, &old, nullptr);
	EXPECT_EQ(EINTR, l.out.kexec_errno);
	EXPECT_EQ(0, g_live_parsers.load());
	EXPECT_EQ(Step::Detached, l.steps.back());
}

INSTANTIATE_TEST_SUITE_P(EachStep, SignalAt,
			 ::testing::Values(Step::Notified, Step::Read, Step::ObjectOpened, Step::Loaded,
					   Step::FilesSet, Step::Attached),
			 step_test_name);

TEST(Handshake, RegistrationErrors)
{
	TempDir d;
	KernelInterface k;
	k.proc_dir = (d.path() / "missing").string();
	k.kexec_file_load = [](int, int, const char *, unsigned long, unsigned long) -> long { return 0; };
	LoadRequest req;
	req.image = image_with_parser(d);
	Trace trace;
	try {
		load(req, k, trace);
		FAIL() << "loaded without /proc/kexec_pe";
	} catch (const Error &e) {
		EXPECT_EQ(ENOENT, e.code());
		EXPECT_NE(std::string::npos, std::string(e.what()).find("CONFIG_KEXEC_PE_BPF")) << e.what();
	}
}

TEST(Handshake, DebugTraceHasTimes)
{
	SimKernel sim;
	std::vector<std::string> lines;
	std::mutex mu;
	run_load(sim, {}, [&](const std::string &m) {
		std::lock_guard lock(mu);
		lines.push_back(m);
	});
	ASSERT_EQ(kHappy.size(), lines.size());
	for (std::size_t i = 0; i < lines.size(); i++) {
		EXPECT_EQ('[', lines[i][0]) << lines[i];
		EXPECT_NE(std::string::npos, lines[i].find(step_name(kHappy[i]))) << lines[i];
	}
}

// The files map of a parser (addons), checked before anything is written
TEST(FilesMap, Limits)
{
	auto elf = hook_only_object();
	LibbpfLog log;
	BpfObject obj = open_bpf(elf, "p", log);

	auto code = [&](const std::vector<std::string> &files) {
		try {
			fill_files_map(obj.get(), files, "p");
		} catch (const Error &e) {
			return e.code();
		}
		return 0;
	};
	EXPECT_EQ(0, code({}));
	// the map has 4 entries of 256 bytes
	EXPECT_EQ(E2BIG, code({"a", "b", "c", "d", "e"}));
	EXPECT_EQ(ENAMETOOLONG, code({std::string(256, 'x')}));
}

TEST(FilesMap, ParserWithoutTheMap)
{
	auto elf = read_file(KEXECPE_NO_MAP_OBJ, 1 << 20);
	LibbpfLog log;
	BpfObject obj = open_bpf(elf, "uki.efi: section .bpf", log);

	EXPECT_NE(nullptr, find_parser(obj.get(), "p").parse);
	fill_files_map(obj.get(), {}, "p");	// no addons: fine
	try {
		fill_files_map(obj.get(), {"/boot/a.addon.efi"}, "uki.efi: section .bpf");
		FAIL() << "addons given to a parser without the map";
	} catch (const Error &e) {
		EXPECT_EQ(ENOENT, e.code());
		EXPECT_NE(std::string::npos, std::string(e.what()).find("takes no addons")) << e.what();
	}
}

TEST(LibbpfLog, QuotesTheVerifier)
{
	const std::string log =
		"libbpf: prog 'p': BPF program load failed: Argument list too long\n"
		"libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n"
		"0: R1=ctx() R10=fp0\n"
		"BPF program is too large. Processed 1000001 insn\n"
		"processed 1000001 insns (limit 1000000) max_states_per_insn 4\n"
		"-- END PROG LOAD LOG --\n"
		"libbpf: prog 'p': failed to load: -7\n"
		"libbpf: failed to load object 'p'\n";
	EXPECT_EQ("verifier: BPF program is too large. Processed 1000001 insn; processed 1000001 insns "
		  "(limit 1000000) max_states_per_insn 4",
		  log_summary(log));
	EXPECT_EQ("libbpf: failed to open", log_summary("libbpf: one\nlibbpf: failed to open\n"));
}

// What libbpf does with a refused program: the whole verifier log in one
// call of the print callback, the verifier's reason at its end
static void libbpf_says(const char *fmt, ...)
{
	libbpf_print_fn_t fn = libbpf_set_print(nullptr);
	va_list ap;

	libbpf_set_print(fn);
	va_start(ap, fmt);
	fn(LIBBPF_WARN, fmt, ap);
	va_end(ap);
}

TEST(LibbpfLog, KeepsAWholeVerifierLog)
{
	LibbpfLog log;
	std::string states;

	for (int i = 0; i < 200; i++)
		states += std::to_string(i) + ": (85) call bpf_kexec_read#12345 ; R0_w=scalar()\n";
	libbpf_says("libbpf: prog '%s': -- BEGIN PROG LOAD LOG --\n%s%s-- END PROG LOAD LOG --\n",
		    "p", states.c_str(), "R7 unbounded memory access, make sure to bounds check any such access\n");
	libbpf_says("libbpf: prog '%s': failed to load: %d\n", "p", -13);
	EXPECT_EQ("verifier: " + states.substr(states.rfind("199:"), states.size() - states.rfind("199:") - 1) +
		  "; R7 unbounded memory access, make sure to bounds check any such access",
		  log.last_line());
}

// A capture inside another, in one thread, takes the messages until it
// ends, then the outer one again: no lock held for a capture's life
// (which would deadlock here)
TEST(LibbpfLog, NestsInOneThread)
{
	LibbpfLog outer;

	libbpf_says("libbpf: %s\n", "before");
	{
		LibbpfLog inner;
		libbpf_says("libbpf: %s\n", "inside");
		EXPECT_EQ("libbpf: inside", inner.tail());
	}
	libbpf_says("libbpf: %s\n", "after");
	EXPECT_EQ("libbpf: before\nlibbpf: after", outer.tail());
}

// Each thread's capture gets that thread's messages, both live at once
// (the loader thread's while the main thread holds one)
TEST(LibbpfLog, OnePerThread)
{
	std::barrier both(2);
	std::string seen[2];
	auto body = [&](int i) {
		LibbpfLog log;
		both.arrive_and_wait();	// both captures live
		libbpf_says("libbpf: thread %d\n", i);
		both.arrive_and_wait();	// both printed
		seen[i] = log.tail();
	};
	std::thread a(body, 0), b(body, 1);
	a.join();
	b.join();
	EXPECT_EQ("libbpf: thread 0", seen[0]);
	EXPECT_EQ("libbpf: thread 1", seen[1]);
}
