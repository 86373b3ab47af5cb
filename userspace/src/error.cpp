// SPDX-License-Identifier: GPL-2.0
#include "error.hpp"

#include <cstring>

namespace kexecpe {

std::string format_error(int err, std::string_view object, std::string_view what,
			 std::string_view hint)
{
	std::string s(object);

	if (!what.empty())
		s.append(s.empty() ? "" : ": ").append(what);
	if (err)
		s.append(" [").append(errno_name(err)).append("]");
	if (!hint.empty())
		s.append(" (").append(hint).append(")");
	return s;
}

Error::Error(int err, std::string object, std::string what, std::string hint)
	: std::runtime_error(format_error(err, object, what, hint)), err_(err),
	  object_(std::move(object)), what_(std::move(what)), hint_(std::move(hint))
{
}

void throw_errno(std::string object, std::string what, std::string hint)
{
	int err = errno;

	throw Error(err, std::move(object), what + ": " + std::strerror(err), std::move(hint));
}

std::string errno_name(int err)
{
	// glibc's names ("EKEYREJECTED"); E<n> for one it does not know
	if (const char *n = strerrorname_np(err))
		return n;
	return "E" + std::to_string(err);
}

} // namespace kexecpe
