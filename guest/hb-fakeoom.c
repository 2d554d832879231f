// SPDX-License-Identifier: GPL-2.0
/*
 * hb-fakeoom: rounds of a workload that fits in memory with reporting off,
 * to catch OOM kills and failed allocations that only free page reporting
 * causes (chunks out being reported cannot be allocated).
 *
 *   hb-fakeoom MARGIN_MIB ROUNDS HOLD_MS GAP_MIN_MS GAP_MAX_MS SEED CALIB_MS
 *
 *	Calibration: for CALIB_MS, sample MemAvailable and
 *	/sys/kernel/mm/page_reporting_buffer/in_flight_bytes; the workload
 *	size is the largest MemAvailable seen while no report was in flight
 *	(a kernel without the file never has one out, as far as we can tell)
 *	minus MARGIN_MIB.  Then ROUNDS times: sleep a gap drawn from
 *	[GAP_MIN_MS, GAP_MAX_MS] by a generator seeded with SEED, and in a
 *	child process map the size, write every page, keep it HOLD_MS, exit.
 *
 *	Prints "calib_avail_kib", "calib_samples", "calib_idle_samples",
 *	"size_mib", then one line per round:
 *	"round N gap_ms G fill_ms F status ok|killed|failed" (fill_ms -1
 *	when the child died before it had touched everything), and
 *	"rounds R ok O killed K failed F".
 *
 * A child per round, because the OOM killer takes a whole process: the
 * parent makes itself unkillable and so still reports the rounds after a
 * kill, and the child asks to be the victim so that a kill lands on the
 * workload and not on the guest agent.  The same seed gives every arm the
 * same gaps: only the kernel's behaviour differs between them.
 *
 * Exit status is 0 when the rounds ran (whatever their outcome), 1 when
 * calibration found no moment without a report in flight or left nothing
 * to allocate, 2 on bad use.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb-util.h"

#define IN_FLIGHT "/sys/kernel/mm/page_reporting_buffer/in_flight_bytes"
#define SAMPLE_US 10000

static long parse(const char *s, const char *what, long min, long max)
{
	return hb_parse("hb-fakeoom", s, what, min, max);
}

/* A field of /proc/meminfo in KiB, -1 when it cannot be read. */
static long meminfo_kib(const char *field)
{
	size_t n = strlen(field);
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* Bytes out being reported; 0 without the file (no hinting sysfs). */
static long in_flight(void)
{
	FILE *f = fopen(IN_FLIGHT, "r");
	long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* splitmix64: a fixed sequence per seed on every build and libc. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void child(size_t len, long hold_ms, int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	double t0 = hb_now(), ms;
	size_t off;
	char *p;

	hb_oom_score_adj(1000);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	/* Non-zero bytes: a zero-filled page could be deduplicated. */
	for (off = 0; off < len; off += page)
		p[off] = 0x5a;
	ms = (hb_now() - t0) * 1000;
	if (write(fd, &ms, sizeof(ms)) != sizeof(ms))
		_exit(1);
	usleep(hold_ms * 1000);
	_exit(0);
}

/* "ok", "killed" or "failed" for one round; *fill_ms -1 if unknown. */
static const char *round_once(size_t len, long hold_ms, double *fill_ms)
{
	int fds[2], st;
	pid_t pid;

	*fill_ms = -1;
	if (pipe(fds))
		return "failed";
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return "failed";
	}
	if (pid == 0) {
		close(fds[0]);
		child(len, hold_ms, fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], fill_ms, sizeof(*fill_ms)) != sizeof(*fill_ms))
		*fill_ms = -1;
	close(fds[0]);
	if (waitpid(pid, &st, 0) < 0)
		return "failed";
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		return "killed";
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "failed";
}

int main(int argc, char **argv)
{
	long margin, rounds, hold_ms, gmin, gmax, calib_ms, avail, best = -1;
	long samples = 0, idle = 0, i, gap, size_mib;
	long counts[3] = { 0 };
	const char *status;
	double end, fill_ms;
	uint64_t seed;

	if (argc != 8) {
		fprintf(stderr, "usage: hb-fakeoom MARGIN_MIB ROUNDS HOLD_MS "
			"GAP_MIN_MS GAP_MAX_MS SEED CALIB_MS\n");
		return 2;
	}
	margin = parse(argv[1], "MARGIN_MIB", 0, 1L << 24);
	rounds = parse(argv[2], "ROUNDS", 1, 1L << 20);
	hold_ms = parse(argv[3], "HOLD_MS", 0, 1L << 24);
	gmin = parse(argv[4], "GAP_MIN_MS", 0, 1L << 24);
	gmax = parse(argv[5], "GAP_MAX_MS", gmin, 1L << 24);
	seed = parse(argv[6], "SEED", 0, 1L << 40);
	calib_ms = parse(argv[7], "CALIB_MS", 1, 1L << 24);

	hb_oom_score_adj(-1000);
	end = hb_now() + calib_ms / 1000.0;
	while (hb_now() < end) {
		/* in_flight read on both sides: MemAvailable counts only if
		 * no report started or ended while it was being read. */
		long before = in_flight();

		avail = meminfo_kib("MemAvailable");
		samples++;
		if (!before && !in_flight() && avail >= 0) {
			idle++;
			if (avail > best)
				best = avail;
		}
		usleep(SAMPLE_US);
	}
	size_mib = best / 1024 - margin;
	printf("calib_avail_kib %ld\ncalib_samples %ld\ncalib_idle_samples "
	       "%ld\nsize_mib %ld\n", best, samples, idle, size_mib);
	fflush(stdout);
	if (best < 0 || size_mib <= 0) {
		fprintf(stderr, "hb-fakeoom: calibration left nothing to "
			"allocate\n");
		return 1;
	}

	for (i = 0; i < rounds; i++) {
		gap = gmin + (long)(next_rand(&seed) % (gmax - gmin + 1));
		usleep(gap * 1000);
		status = round_once((size_t)size_mib << 20, hold_ms, &fill_ms);
		counts[status[0] == 'o' ? 0 : status[0] == 'k' ? 1 : 2]++;
		printf("round %ld gap_ms %ld fill_ms %.1f status %s\n",
		       i, gap, fill_ms, status);
		fflush(stdout);
	}
	printf("rounds %ld ok %ld killed %ld failed %ld\n",
	       rounds, counts[0], counts[1], counts[2]);
	return 0;
}
