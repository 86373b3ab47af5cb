/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A loader for many kexec_file_load() sessions in a row, for the guest
 * programs that load hundreds of images (kexec_pe_soak, kexec_pe_malformed):
 * it registers once and loads the parser of the first session only, then
 * keeps it loaded and registers it again at every later session (a parser
 * serves the one session that waited for it): no second verifier run. A
 * parser registered outside a session does nothing, and the kernel checks
 * the results of every session against its image's manifest whichever
 * program ran, so a kept program is as safe as a fresh one; the sessions
 * then cost the kernel's work, not the verifier's.
 *
 * When a session exposes another .bpf than the first (a malformed image
 * whose section table points .bpf elsewhere), the kept program runs on it
 * anyway: what it produces from that image is refused or not by the kernel,
 * as a compromised loader's would be. keep->other counts such sessions.
 */
#ifndef KEEP_LOADER_H
#define KEEP_LOADER_H

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <bpf/libbpf.h>
#include <linux/kexec_pe.h>

#include "bed.h"
#include "parser_ops.h"
#include "registration.h"

struct keep_loader {
	int notify_fd, done_fd, stop_fd, reg_fd;
	pthread_t thread;
	char *bpf;
	size_t bpf_len;
	struct bpf_object *obj;
	struct bpf_link *link;
	int sessions, other, errors;
	char error[256];
};

static inline ssize_t keep_read_all(int fd, char **out)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap), *bigger;
	ssize_t n = 0;

	while (buf && (n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			bigger = realloc(buf, cap *= 2);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	if (!buf || n < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return len;
}

static inline void *keep_loader_thread(void *arg)
{
	struct keep_loader *k = arg;
	struct pollfd pfd[2] = {
		{ .fd = k->notify_fd, .events = POLLIN },
		{ .fd = k->stop_fd, .events = POLLIN },
	};
	uint64_t cnt, one = 1;
	char *buf;
	ssize_t n;
	int fd;

	for (;;) {
		if (poll(pfd, 2, -1) < 0 || !(pfd[0].revents & POLLIN))
			return NULL;
		if (read(k->notify_fd, &cnt, sizeof(cnt)) != sizeof(cnt))
			return NULL;
		fd = open("/proc/kexec_pe/bpf", O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : keep_read_all(fd, &buf);
		if (fd >= 0)
			close(fd);
		if (n < 0) {
			snprintf(k->error, sizeof(k->error), "read /proc/kexec_pe/bpf: %s",
				 strerror(errno));
			k->errors++;
			buf = NULL;
		} else if (!k->obj) {
			k->link = bed_parser_attach(buf, n, &k->obj);
			if (!k->link) {
				snprintf(k->error, sizeof(k->error), "load and register the parser: %s",
					 strerror(errno));
				k->errors++;
				bpf_object__close(k->obj);
				k->obj = NULL;
				free(buf);
				buf = NULL;
			} else {
				k->bpf = buf;
				k->bpf_len = n;
				buf = NULL;
			}
		} else {
			if ((size_t)n != k->bpf_len || memcmp(buf, k->bpf, n))
				k->other++;
			/* a parser serves one session: register it again */
			bpf_link__destroy(k->link);
			k->link = bed_parser_register(k->obj);
			if (!k->link) {
				snprintf(k->error, sizeof(k->error), "register the parser again: %s",
					 strerror(errno));
				k->errors++;
			}
		}
		free(buf);
		k->sessions++;
		if (write(k->done_fd, &one, sizeof(one)) != sizeof(one))
			k->errors++;
	}
}

/* Register and start the loader thread; 0 or -errno */
static inline int keep_loader_start(struct keep_loader *k, unsigned int timeout_ms)
{
	memset(k, 0, sizeof(*k));
	k->notify_fd = eventfd(0, EFD_CLOEXEC);
	k->done_fd = eventfd(0, EFD_CLOEXEC);
	k->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (k->notify_fd < 0 || k->done_fd < 0 || k->stop_fd < 0)
		return -errno;
	k->reg_fd = bed_register_loader(k->notify_fd, k->done_fd, timeout_ms);
	if (k->reg_fd < 0)
		return k->reg_fd;
	return -pthread_create(&k->thread, NULL, keep_loader_thread, k);
}

static inline void keep_loader_stop(struct keep_loader *k)
{
	uint64_t one = 1;

	if (write(k->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(k->thread, NULL);
	bpf_link__destroy(k->link);
	bpf_object__close(k->obj);
	free(k->bpf);
	close(k->reg_fd);
	close(k->notify_fd);
	close(k->done_fd);
	close(k->stop_fd);
}

#endif /* KEEP_LOADER_H */
