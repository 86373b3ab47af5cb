/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kexec-pe serve in the guest: started, ready once the kernel names it as
 * the serving process, stopped with SIGTERM. Include after bed.h.
 */
#ifndef BED_SERVE_H
#define BED_SERVE_H

struct bed_service {
	pid_t pid;
	char log[64];
};

/*
 * Start "kexec-pe serve" (and @arg, unless NULL), its output in
 * /tmp/serve-@n.log, and wait until the kernel's status names it as the
 * serving process (the guest kernel has no AF_UNIX for systemd's
 * $NOTIFY_SOCKET, which the host tests cover): 0, or -1 with @why filled in
 */
static inline int bed_serve_start(struct bed_service *sv, int n, const char *arg, char *why,
				  size_t size)
{
	int i, st;

	snprintf(sv->log, sizeof(sv->log), "/tmp/serve-%d.log", n);
	sv->pid = fork();
	if (sv->pid < 0) {
		snprintf(why, size, "fork: %s", strerror(errno));
		return -1;
	}
	if (!sv->pid) {
		char *envp[] = { "PATH=/bin:/tests", NULL };
		int fd = open(sv->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		execve(BED_KEXEC_PE, (char *const[]){ "kexec-pe", "serve", (char *)arg, NULL },
		       envp);
		_exit(127);
	}
	for (i = 0; i < 6000; i++) {
		if (bed_status_value("server_pid") == sv->pid)
			return 0;
		if (waitpid(sv->pid, &st, WNOHANG) == sv->pid) {
			snprintf(why, size, "kexec-pe serve exited (status %d) before it served", st);
			return -1;
		}
		usleep(10000);
	}
	snprintf(why, size, "kexec-pe serve (pid %d) did not register in 60 s", sv->pid);
	return -1;
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
