// SPDX-License-Identifier: GPL-2.0
// kexec-pe serve's readiness notification, to a real AF_UNIX datagram
// socket as systemd's manager listens on (the serving itself is tested in
// the guest: kexec_pe_serve, kexec_pe_demo)
#include "fd.hpp"
#include "serve.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace kexecpe;

namespace {

// A datagram socket bound at @name (a path, or @name: abstract)
UniqueFd listen_at(const std::string &name)
{
	sockaddr_un sa = {};
	sa.sun_family = AF_UNIX;
	name.copy(sa.sun_path, sizeof(sa.sun_path) - 1);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	EXPECT_TRUE(fd);
	socklen_t len = offsetof(sockaddr_un, sun_path) + name.size();
	EXPECT_EQ(0, bind(fd.get(), reinterpret_cast<const sockaddr *>(&sa), len)) << name;
	return fd;
}

std::string received(int fd)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	return n < 0 ? std::string() : std::string(buf, n);
}

} // namespace

TEST(Serve, NotifiesSystemdAtAPath)
{
	std::string path = testing::TempDir() + "notify-" + std::to_string(getpid());
	unlink(path.c_str());
	UniqueFd fd = listen_at(path);

	setenv("NOTIFY_SOCKET", path.c_str(), 1);
	notify_systemd("READY=1\nSTATUS=serving");
	EXPECT_EQ("READY=1\nSTATUS=serving", received(fd.get()));
	unsetenv("NOTIFY_SOCKET");
	unlink(path.c_str());
}

TEST(Serve, NotifiesSystemdInTheAbstractNamespace)
{
	std::string name = "@kexec-pe-test-" + std::to_string(getpid());
	UniqueFd fd = listen_at(name);

	setenv("NOTIFY_SOCKET", name.c_str(), 1);
	notify_systemd("READY=1");
	EXPECT_EQ("READY=1", received(fd.get()));
	unsetenv("NOTIFY_SOCKET");
}

TEST(Serve, NoNotifySocketNoMessageAndNoError)
{
	unsetenv("NOTIFY_SOCKET");
	notify_systemd("READY=1");	// nothing to send to
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	notify_systemd("READY=1");	// not a socket systemd would give
	setenv("NOTIFY_SOCKET", (testing::TempDir() + "nobody-listens").c_str(), 1);
	notify_systemd("READY=1");	// the manager is gone
	unsetenv("NOTIFY_SOCKET");
}
