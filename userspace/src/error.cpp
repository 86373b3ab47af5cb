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

Error Error::with_detail(std::string_view detail) const
{
	std::string w = what_;

	if (!detail.empty())
		w.append(" (").append(detail).append(")");
	return Error(err_, object_, std::move(w), hint_);
}

void throw_errno(std::string object, std::string what, std::string hint)
{
	int err = errno;

	throw Error(err, std::move(object), what + ": " + std::strerror(err), std::move(hint));
}

std::string errno_name(int err)
{
	switch (err) {
#define N(e) case e: return #e
	N(EPERM); N(ENOENT); N(ESRCH); N(EINTR); N(EIO); N(ENXIO); N(E2BIG);
	N(ENOEXEC); N(EBADF); N(ECHILD); N(EAGAIN); N(ENOMEM); N(EACCES);
	N(EFAULT); N(EBUSY); N(EEXIST); N(ENODEV); N(ENOTDIR); N(EISDIR);
	N(EINVAL); N(ENFILE); N(EMFILE); N(ETXTBSY); N(EFBIG); N(ENOSPC);
	N(ESPIPE); N(EROFS); N(ERANGE); N(ENOSYS); N(ENOMSG); N(ENODATA);
	N(ETIME); N(ENOLINK); N(EBADMSG); N(EOVERFLOW); N(ELIBBAD);
	N(EOPNOTSUPP); N(ETIMEDOUT); N(ECANCELED); N(ENOKEY); N(EKEYEXPIRED);
	N(EKEYREVOKED); N(EKEYREJECTED); N(ENAMETOOLONG);
	N(EADDRNOTAVAIL); N(EPROTO); N(ESTALE); N(EHWPOISON);
#undef N
	default:
		return "E" + std::to_string(err);
	}
}

} // namespace kexecpe
