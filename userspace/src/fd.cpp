// SPDX-License-Identifier: GPL-2.0
#include "fd.hpp"

#include "error.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace kexecpe {

void UniqueFd::reset(int fd) noexcept
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = fd;
}

UniqueFd open_file(const std::string &path, int flags, const std::string &what)
{
	int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);

	if (fd < 0)
		throw_errno(path, what);
	return UniqueFd(fd);
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

UniqueFd open_regular(const std::string &path, const std::string &what, const std::string &hint)
{
	// O_NONBLOCK: opening a FIFO for reading would wait for a writer
	UniqueFd fd = open_file(path, O_RDONLY | O_NONBLOCK, what);
	struct stat st;
	int fl;

	if (fstat(fd.get(), &st) < 0)
		throw_errno(path, "stat");
	if (!S_ISREG(st.st_mode))
		throw Error(EINVAL, path, std::string("not a regular file: ") + file_kind(st.st_mode),
			    hint);
	fl = fcntl(fd.get(), F_GETFL);
	if (fl < 0 || fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) < 0)
		throw_errno(path, "fcntl");
	return fd;
}

Mapping Mapping::of(const std::string &path)
{
	UniqueFd fd = open_regular(path);

	return of_fd(fd.get(), path);
}

Mapping Mapping::of_fd(int fd, const std::string &path)
{
	struct stat st;
	Mapping m;

	if (fstat(fd, &st) < 0)
		throw_errno(path, "stat");
	if (!S_ISREG(st.st_mode))
		throw Error(EINVAL, path, "not a regular file");
	if (st.st_size == 0)
		return m;
	void *p = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		throw_errno(path, "mmap");
	m.addr_ = p;
	m.size_ = st.st_size;
	return m;
}

Mapping &Mapping::operator=(Mapping &&o) noexcept
{
	if (this != &o) {
		if (addr_)
			munmap(addr_, size_);
		addr_ = std::exchange(o.addr_, nullptr);
		size_ = std::exchange(o.size_, 0);
	}
	return *this;
}

Mapping::~Mapping()
{
	if (addr_)
		munmap(addr_, size_);
}

std::vector<std::uint8_t> read_all(int fd, const std::string &path, std::size_t limit)
{
	std::vector<std::uint8_t> buf;
	std::size_t got = 0;

	for (;;) {
		if (buf.size() - got < 65536)
			buf.resize(got + 65536 < limit + 1 ? got + 65536 : limit + 1);
		if (got == buf.size())
			throw Error(EFBIG, path, "larger than " + std::to_string(limit) + " bytes");
		ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno(path, "read");
		if (n == 0)
			break;
		got += n;
	}
	buf.resize(got);
	return buf;
}

std::vector<std::uint8_t> read_file(const std::string &path, std::size_t limit)
{
	UniqueFd fd = open_regular(path);

	return read_all(fd.get(), path, limit);
}

void write_all(int fd, const std::string &path, std::span<const std::uint8_t> data)
{
	std::size_t done = 0;

	while (done < data.size()) {
		ssize_t n = ::write(fd, data.data() + done, data.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno(path, "write");
		done += n;
	}
	if (::fsync(fd) < 0 && errno != EINVAL)
		throw_errno(path, "fsync");
}

void write_file(const std::string &path, std::span<const std::uint8_t> data)
{
	UniqueFd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC, "create");

	write_all(fd.get(), path, data);
}

UniqueFd make_eventfd(const std::string &what)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd < 0)
		throw_errno("eventfd", what);
	return UniqueFd(fd);
}

void signal_eventfd(int fd, const std::string &what)
{
	std::uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		throw_errno(what, "signal");
}

} // namespace kexecpe
