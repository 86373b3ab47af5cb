/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kexec-pe serve in the guest, as systemd runs it (Type=notify): started
 * with a $NOTIFY_SOCKET of the bed's, ready once it says READY=1, stopped
 * with SIGTERM. Include after bed.h.
 */
#ifndef BED_SERVE_H
#define BED_SERVE_H

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

struct bed_service {
	pid_t pid;
	char log[64];
};

/*
 * Start "kexec-pe serve" (and @arg, unless NULL), its output in /tmp/serve-@n.log,
 * and wait for its READY=1 on a $NOTIFY_SOCKET of ours, as systemd would:
 * 0, or -1 with @why filled in
 */
static inline int bed_serve_start(struct bed_service *sv, int n, const char *arg, char *why, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char env[128], buf[256];
	struct pollfd p;
	ssize_t got;
	int s;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/serve-notify-%d", n);
	snprintf(sv->log, sizeof(sv->log), "/tmp/serve-%d.log", n);
	snprintf(env, sizeof(env), "NOTIFY_SOCKET=%s", sa.sun_path);
	unlink(sa.sun_path);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(why, size, "notify socket: %s", strerror(errno));
		return -1;
	}
	sv->pid = fork();
	if (sv->pid < 0) {
		snprintf(why, size, "fork: %s", strerror(errno));
		close(s);
		return -1;
	}
	if (!sv->pid) {
		char *envp[] = { "PATH=/bin:/tests", env, NULL };
		int fd = open(sv->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		execve(BED_KEXEC_PE, (char *const[]){ "kexec-pe", "serve", (char *)arg, NULL },
		       envp);
		_exit(127);
	}
	p = (struct pollfd){ .fd = s, .events = POLLIN };
	got = poll(&p, 1, 60000) == 1 ? recv(s, buf, sizeof(buf) - 1, 0) : -1;
	close(s);
	unlink(sa.sun_path);
	if (got <= 0) {
		snprintf(why, size, "no READY=1 from kexec-pe serve in 60 s");
		return -1;
	}
	buf[got] = '\0';
	if (!strstr(buf, "READY=1")) {
		snprintf(why, size, "kexec-pe serve sent '%s'", buf);
		return -1;
	}
	return 0;
}

/* SIGTERM it: its exit status (0 when it stopped as asked), or -1 */
static inline int bed_serve_stop(struct bed_service *sv)
{
	int status;

	if (kill(sv->pid, SIGTERM) || waitpid(sv->pid, &status, 0) != sv->pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline bool bed_serve_log_has(const struct bed_service *sv, const char *what)
{
	char buf[8192];

	return bed_read_file(sv->log, buf, sizeof(buf)) >= 0 && strstr(buf, what);
}

#endif /* BED_SERVE_H */
