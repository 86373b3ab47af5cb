// SPDX-License-Identifier: GPL-2.0
// RAII owners for file descriptors and read-only file mappings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace kexecpe {

class UniqueFd {
public:
	UniqueFd() = default;
	explicit UniqueFd(int fd) noexcept : fd_(fd) {}
	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;
	UniqueFd(UniqueFd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
	UniqueFd &operator=(UniqueFd &&o) noexcept
	{
		if (this != &o)
			reset(std::exchange(o.fd_, -1));
		return *this;
	}
	~UniqueFd() { reset(); }

	int get() const noexcept { return fd_; }
	explicit operator bool() const noexcept { return fd_ >= 0; }
	void reset(int fd = -1) noexcept;

private:
	int fd_ = -1;
};

// open(2) with O_CLOEXEC; throws Error naming @path
UniqueFd open_file(const std::string &path, int flags, const std::string &what = "open");

// @path opened for reading, when it is a regular file: a FIFO, device,
// socket or directory is refused with EINVAL (@hint says what to give
// instead) without blocking in open(2)
UniqueFd open_regular(const std::string &path, const std::string &what = "open",
		      const std::string &hint = "give a regular file");

// A whole file, mapped read-only (an empty file maps to an empty span)
class Mapping {
public:
	Mapping() = default;
	static Mapping of(const std::string &path);
	static Mapping of_fd(int fd, const std::string &path);
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;
	Mapping(Mapping &&o) noexcept
		: addr_(std::exchange(o.addr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
	Mapping &operator=(Mapping &&o) noexcept;
	~Mapping();

	std::span<const std::uint8_t> bytes() const noexcept
	{
		return {static_cast<const std::uint8_t *>(addr_), size_};
	}

private:
	void *addr_ = nullptr;
	std::size_t size_ = 0;
};

// Read all of @fd (a procfs file, a pipe) up to @limit bytes; throws
// Error(EFBIG) beyond it
std::vector<std::uint8_t> read_all(int fd, const std::string &path, std::size_t limit);
std::vector<std::uint8_t> read_file(const std::string &path, std::size_t limit);

// An eventfd (EFD_CLOEXEC) at 0, named @what in errors
UniqueFd make_eventfd(const std::string &what);
// Add 1 to the eventfd @fd; throws Error naming @what
void signal_eventfd(int fd, const std::string &what);

// Write all of @data to @path (created 0644, truncated); throws Error
void write_file(const std::string &path, std::span<const std::uint8_t> data);
// Write all of @data to @fd (named @path in errors) and fsync it
void write_all(int fd, const std::string &path, std::span<const std::uint8_t> data);

} // namespace kexecpe
