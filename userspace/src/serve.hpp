// SPDX-License-Identifier: GPL-2.0
// kexec-pe serve: the resident loader. It registers once with
// KEXEC_PE_REGISTER_SERVE and answers the handshake of every
// kexec_file_load() whose caller registered no loader of its own
// (systemctl kexec, kexec -s, any program): for each session it reads the
// image's parser from /proc/kexec_pe/bpf, loads and attaches it, and
// signals the kernel, which runs it and checks what it produced against
// the image's manifest, as for kexec-pe -l. The parser of the last session
// stays loaded: a session that exposes the same bytes gets it attached
// again without a second verifier run.
#pragma once

#include "session.hpp"

#include <functional>
#include <string>

namespace kexecpe {

struct ServeOptions {
	unsigned timeout_ms = 0;	// the registration's; 0: the sysctl's
	bool debug = false;		// libbpf's messages too
};

// What serve() reports: one line each, without a trailing newline
using ServeLog = std::function<void(const std::string &)>;

// Serve until SIGTERM, SIGINT or SIGHUP (then 0). Throws Error when the
// service cannot register (another one serves: EBUSY; a kernel without
// the series or without serving: ENOENT, EINVAL) or its eventfds fail; a
// session whose parser cannot be attached is failed (the registration is
// ended, the kernel cancels that session, and a new one is made) and
// serving goes on. Tells systemd READY=1 once registered ($NOTIFY_SOCKET).
int serve(const ServeOptions &opts, KernelInterface &k, const ServeLog &log);

// sd_notify(3)'s datagram of @state ("READY=1") to $NOTIFY_SOCKET (a path,
// or @ for the abstract namespace), as the protocol documents it, so that
// the static guest build needs no libsystemd; nothing without the variable
// or when the manager is gone
void notify_systemd(const std::string &state);

} // namespace kexecpe
