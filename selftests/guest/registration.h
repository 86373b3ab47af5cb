/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bed's registration as a loader (KEXEC_PE_IOC_REGISTER on
 * /proc/kexec_pe/loader), for the guest programs that play the loader
 * themselves; kexec-pe and the kselftest have their own.
 */
#ifndef BED_REGISTRATION_H
#define BED_REGISTRATION_H

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kexec_pe.h>

/*
 * Register the calling process with the eventfds @notify_fd and @done_fd
 * and a handshake of @timeout_ms (0: the sysctl's): the registration's fd,
 * which ends it when closed, or -errno
 */
static inline int bed_register_loader(int notify_fd, int done_fd, unsigned int timeout_ms)
{
	struct kexec_pe_register reg = {
		.version = KEXEC_PE_ABI_VERSION,
		.notify_fd = notify_fd,
		.done_fd = done_fd,
		.timeout_ms = timeout_ms,
	};
	int fd = open("/proc/kexec_pe/loader", O_WRONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	if (!ioctl(fd, KEXEC_PE_IOC_REGISTER, &reg))
		return fd;
	err = errno;
	close(fd);
	return -err;
}

#endif
