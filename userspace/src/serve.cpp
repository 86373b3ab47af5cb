// SPDX-License-Identifier: GPL-2.0
#include "serve.hpp"

#include "bpf.hpp"
#include "explain.hpp"
#include "fd.hpp"

#include <linux/kexec_pe.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace kexecpe {

namespace {

const std::string kService = "kexec-pe serve";

// The parser of the last session: its bytes, the object libbpf loaded from
// them (pointing into them) and, while a session uses it, its link.
// Destroyed in reverse: the link, the object, the bytes.
struct Kept {
	std::vector<std::uint8_t> elf;
	LoadedParser parser;
	ParserLink link;
};

// SIGTERM, SIGINT and SIGHUP as a file descriptor: they end the service
UniqueFd stop_signals()
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, nullptr))
		throw_errno(kService, "block SIGTERM, SIGINT, SIGHUP");
	int fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0)
		throw_errno(kService, "signalfd");
	return UniqueFd(fd);
}

class Service {
public:
	Service(const ServeOptions &o, KernelInterface &k, const ServeLog &log)
		: o_(o), k_(k), log_(log), notify_(make_eventfd("notify")),
		  done_(make_eventfd("done")), stop_(stop_signals())
	{
		register_();
	}

	int run()
	{
		pollfd p[2] = {{notify_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};

		notify_systemd("READY=1\nSTATUS=serving kexec_file_load()");
		for (;;) {
			while (poll(p, 2, -1) < 0)
				if (errno != EINTR)
					throw_errno(kService, "poll");
			if (p[1].revents & POLLIN) {
				signalfd_siginfo si;

				if (read(stop_.get(), &si, sizeof(si)) == sizeof(si))
					log_(std::string("stopping on ") + sigabbrev(si.ssi_signo) +
					     " after " + std::to_string(sessions_) +
					     (sessions_ == 1 ? " session" : " sessions"));
				notify_systemd("STOPPING=1");
				return 0;
			}
			std::uint64_t cnt;
			if (read(notify_.get(), &cnt, sizeof(cnt)) != sizeof(cnt))
				throw_errno(kService, "read the notify eventfd");
			session();
		}
	}

private:
	void register_()
	{
		reg_ = register_loader(k_, kService, notify_.get(), done_.get(), o_.timeout_ms,
				       KEXEC_PE_REGISTER_SERVE);
	}

	static std::string sigabbrev(unsigned sig)
	{
		switch (sig) {
		case SIGTERM: return "SIGTERM";
		case SIGINT: return "SIGINT";
		case SIGHUP: return "SIGHUP";
		}
		return "signal " + std::to_string(sig);
	}

	// One session: read its parser, attach it (the kept one when the
	// bytes are the same), signal. A session that is over before that
	// (its caller killed, its time out) is let go; on any other failure
	// the registration ends, so that the kernel cancels the session at
	// once, and is made again.
	void session()
	{
		const std::string object = k_.proc_dir + "/bpf";
		const std::string name = "session " + std::to_string(++sessions_) + ": ";
		std::string how;

		// the kernel forgot the last session's parser when it ended
		kept_.link = {};
		try {
			LibbpfLog lg(o_.debug);
			std::vector<std::uint8_t> elf;

			try {
				elf = read_file(object, KEXEC_PE_BPF_MAX);
			} catch (const Error &e) {
				if (e.code() != ENODATA && e.code() != ESTALE)
					throw;
				log_(name + "over before its parser was read [" + errno_name(e.code()) + "]");
				return;
			}
			if (!kept_.parser.obj || elf != kept_.elf) {
				kept_.parser = {};
				kept_.elf = std::move(elf);
				kept_.parser = load_parser(kept_.elf, object, lg);
				how = " loaded" + (kept_.parser.verified.empty() ? std::string() :
						   " (" + kept_.parser.verified + ")") + " and attached";
				kept_.link = attach_parser(kept_.parser.parts, object, lg);
			} else {
				how = ", the last session's: attached again without the verifier";
				reset_globals(kept_.parser, object);
				kept_.link = attach_parser_again(kept_.parser.parts, object, lg);
			}
			signal_eventfd(done_.get(), "done eventfd");
			log_(name + "parser of " + std::to_string(kept_.elf.size()) + " bytes" + how);
			notify_systemd("STATUS=served " + std::to_string(++served_) + " loads");
			return;
		} catch (const Error &e) {
			log_(name + e.what());
			// the session it was read for gave up meanwhile
			if (e.code() == ESTALE)
				return;
		} catch (const std::exception &e) {
			log_(name + e.what());
		}
		kept_.link = {};
		kept_.parser = {};
		kept_.elf.clear();
		reg_.reset();
		register_();
		log_(name + "failed; registration ended (the kernel cancels the load: ECANCELED) and made again");
	}

	const ServeOptions &o_;
	KernelInterface &k_;
	const ServeLog &log_;
	UniqueFd notify_, done_, stop_, reg_;
	Kept kept_;
	unsigned long sessions_ = 0, served_ = 0;
};

} // namespace

void notify_systemd(const std::string &state)
{
	const char *path = std::getenv("NOTIFY_SOCKET");
	sockaddr_un sa = {};

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    std::strlen(path) >= sizeof(sa.sun_path))
		return;
	sa.sun_family = AF_UNIX;
	std::strcpy(sa.sun_path, path);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!fd)
		return;
	socklen_t len = offsetof(sockaddr_un, sun_path) + std::strlen(path);
	// best effort, as sd_notify(): a service manager that is gone
	// changes nothing here
	(void)sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
		     reinterpret_cast<const sockaddr *>(&sa), len);
}

int serve(const ServeOptions &opts, KernelInterface &k, const ServeLog &log)
{
	Service s(opts, k, log);

	log("serving kexec_file_load() of images with a parser, for processes that "
	    "registered no loader (pid " + std::to_string(getpid()) + ")");
	return s.run();
}

} // namespace kexecpe
