// SPDX-License-Identifier: GPL-2.0
/*
 * Load every image scripts/mk-malformed made (/boot/malformed, listed with
 * the errnos each may be refused with in expected.tsv) with
 * kexec_file_load() through the handshake, and check that each is refused
 * with one of its errnos, leaves /proc/kexec_pe idle, and nothing loaded.
 * The log is judged too: an oops, a warning or a KASAN report fails the run
 * (scripts/ktap.py). One KTAP result per image; at the end, how many of
 * each category were refused with which errno.
 *
 * The parser is loaded once and kept attached (../guest/keep_loader.h):
 * the first image is a valid one, whose parser every later session runs.
 */
#include "../guest/keep_loader.h"

#define DIR		"/boot/malformed/"
#define MAX_IMAGES	1024
#define MAX_TALLY	256

struct image {
	char name[96], category[16], errnos[160];
};

static struct image images[MAX_IMAGES];
static struct { char category[16], err[48]; int n; } tally[MAX_TALLY];

static void count(const char *category, const char *err)
{
	int i;

	for (i = 0; i < MAX_TALLY && tally[i].n; i++)
		if (!strcmp(tally[i].category, category) && !strcmp(tally[i].err, err))
			break;
	if (i == MAX_TALLY)
		return;
	snprintf(tally[i].category, sizeof(tally[i].category), "%s", category);
	snprintf(tally[i].err, sizeof(tally[i].err), "%s", err);
	tally[i].n++;
}

/* Is @name one of the comma-separated @list? */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static int read_table(void)
{
	FILE *f = fopen(DIR "expected.tsv", "r");
	char line[1024];
	int n = 0;

	if (!f)
		return -1;
	while (n < MAX_IMAGES && fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%95[^\t]\t%15[^\t]\t%159[^\t]", images[n].name,
			   images[n].category, images[n].errnos) == 3)
			n++;
	}
	fclose(f);
	return n;
}

static bool idle(void)
{
	char buf[2048];

	return bed_read_file("/proc/kexec_pe/status", buf, sizeof(buf)) > 0 &&
	       strstr(buf, "state: idle\n");
}

int main(void)
{
	int n = read_table(), i, fd, err, failed = 0;
	char path[160], what[48];
	long long sessions;
	struct keep_loader k;
	const char *where;

	printf("TAP version 13\n");
	if (n <= 0) {
		printf("1..0 # SKIP no " DIR "expected.tsv\n");
		return 4;
	}
	if (keep_loader_start(&k, 300000)) {
		printf("Bail out! cannot register a loader: %s\n", strerror(errno));
		return 1;
	}
	printf("1..%d\n", n);
	for (i = 0; i < n; i++) {
		const struct image *im = &images[i];
		const char *why = NULL;

		snprintf(path, sizeof(path), DIR "%s.efi", im->name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			printf("not ok %d %s # cannot open: %s\n", i + 1, im->name, strerror(errno));
			failed++;
			continue;
		}
		sessions = bed_status_value("sessions");
		err = bed_kexec_file_load(fd, -1, "console=ttyS0", KEXEC_FILE_NO_INITRAMFS) ? errno : 0;
		close(fd);
		/*
		 * Where the refusal came from, for the tally: before any
		 * session (signature, PE reader, probe), in the session
		 * (parser, manifest, limits), or from the architecture's
		 * loader after it: the mutation left the image intact
		 */
		where = bed_status_value("sessions") == sessions ? "before the parser" :
			(err == ENOEXEC || err == EINVAL) && bed_status_value("last_result") == -err ?
			"by the architecture's loader" : "in the session";
		if (!err) {
			why = "loaded";
			bed_kexec_file_load(-1, -1, NULL, KEXEC_FILE_UNLOAD);
		} else if (!listed(im->errnos, bed_errno_name(err))) {
			why = "not an errno expected";
		} else if (!idle()) {
			why = "/proc/kexec_pe/status not idle";
		}
		snprintf(what, sizeof(what), "%s %s", bed_errno_name(err), where);
		count(im->category, what);
		if (why)
			printf("not ok %d %s # %s: %s (expected one of %s)\n", i + 1, im->name,
			       bed_errno_name(err), why, im->errnos);
		else
			printf("ok %d %s # %s\n", i + 1, im->name, bed_errno_name(err));
		failed += !!why;
	}
	keep_loader_stop(&k);
	for (i = 0; i < MAX_TALLY && tally[i].n; i++)
		printf("# %s: %d refused with %s\n", tally[i].category, tally[i].n, tally[i].err);
	printf("# %d images, %d sessions (%d of them exposing another .bpf), loader errors %d%s%s\n",
	       n, k.sessions, k.other, k.errors, k.errors ? ": " : "", k.error);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", n - failed, failed);
	return failed ? 1 : 0;
}
