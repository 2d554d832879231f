// SPDX-License-Identifier: GPL-2.0
/*
 * hb-mem: memory workloads and samplers for hintbuf guest tests.
 *
 *   hb-mem hold MIB SECONDS
 *	Map MIB MiB of anonymous memory, write every page, keep it for
 *	SECONDS, then unmap it.  Prints "touched MIB" once all is written.
 *	With HB_TRACE_MARK set, writes its value to the ftrace marker right
 *	after the unmap, so a trace shows when the memory was freed.
 *   hb-mem cycle MIB COUNT DELAY_MS
 *	COUNT times: map and write MIB MiB, unmap, sleep DELAY_MS.
 *   hb-mem churn MIB CYCLES IDLE_MS
 *	CYCLES times: map and write MIB MiB, unmap it, then busy-sample
 *	MemFree for IDLE_MS while the kernel hints what was freed.  Within
 *	each idle window MemFree should only rise; prints the largest drop
 *	below the window's running maximum ("max_dip_kib N") over all
 *	windows, so the workload's own allocations never count as a dip.
 *   hb-mem dip SECONDS
 *	Busy-read MemFree from /proc/meminfo for SECONDS and print the
 *	largest drop below its running maximum ("max_dip_kib N"), the
 *	number of samples, and the lowest value seen.
 *   hb-mem offline BLOCK_PAGES
 *	Count the pages /proc/kpageflags marks offline (KPF_OFFLINE):
 *	prints "offline N blocks B partial P", where B is the number of
 *	aligned runs of BLOCK_PAGES pages that are all offline and P the
 *	number of such runs that are only partly offline.
 *
 * Exit status is 0 on success, 1 on an allocation failure, 2 on bad use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hb-util.h"

#define MIB (1UL << 20)

static double now(void)
{
	return hb_now();
}

static long parse(const char *s, const char *what, long min, long max)
{
	return hb_parse("hb-mem", s, what, min, max);
}

static char *fill(unsigned long mib)
{
	size_t len = mib * MIB, off;
	long page = sysconf(_SC_PAGESIZE);
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("hb-mem: mmap");
		return NULL;
	}
	/* Non-zero bytes: a zero-filled page could be deduplicated. */
	for (off = 0; off < len; off += page)
		memset(p + off, 0x5a, 64);
	return p;
}

static long memfree_kib(FILE *f)
{
	char line[128];
	long v = -1;

	rewind(f);
	fflush(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemFree: %ld kB", &v) == 1)
			break;
	}
	return v;
}

struct dip_stats {
	long worst, min, max, samples;
};

/* Sample MemFree until @end; the running maximum starts afresh. */
static void sample_window(FILE *f, double end, struct dip_stats *st)
{
	long max = -1, v;

	while (now() < end) {
		v = memfree_kib(f);
		if (v < 0)
			continue;
		st->samples++;
		if (v > max)
			max = v;
		if (v > st->max)
			st->max = v;
		if (st->min < 0 || v < st->min)
			st->min = v;
		if (max - v > st->worst)
			st->worst = max - v;
	}
}

static FILE *open_meminfo(void)
{
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		perror("hb-mem: /proc/meminfo");
	else
		setvbuf(f, NULL, _IONBF, 0);
	return f;
}

static void print_dip(const struct dip_stats *st)
{
	printf("max_dip_kib %ld\nsamples %ld\nmin_kib %ld\nmax_kib %ld\n",
	       st->worst, st->samples, st->min, st->max);
}

static int churn(long mib, long cycles, long idle_ms)
{
	struct dip_stats st = { .min = -1, .max = -1 };
	FILE *f = open_meminfo();
	long i;
	char *p;

	if (!f)
		return 1;
	for (i = 0; i < cycles; i++) {
		p = fill(mib);
		if (!p)
			return 1;
		munmap(p, mib * MIB);
		sample_window(f, now() + idle_ms / 1000.0, &st);
	}
	print_dip(&st);
	fclose(f);
	return 0;
}

static int dip(double seconds)
{
	struct dip_stats st = { .min = -1, .max = -1 };
	FILE *f = open_meminfo();

	if (!f)
		return 1;
	sample_window(f, now() + seconds, &st);
	print_dip(&st);
	fclose(f);
	return 0;
}

static void trace_mark(const char *mark)
{
	FILE *f;

	if (!mark)
		return;
	f = fopen("/sys/kernel/tracing/trace_marker", "w");
	if (!f) {
		perror("trace_marker");
		return;
	}
	fputs(mark, f);
	fclose(f);
}

#define KPF_OFFLINE 23

static int offline(long block)
{
	FILE *f = fopen("/proc/kpageflags", "r");
	unsigned long long flags[512];
	long n = 0, in_block = 0, blocks = 0, partial = 0, pfn = 0;
	size_t got, i;

	if (!f) {
		perror("/proc/kpageflags");
		return 1;
	}
	while ((got = fread(flags, sizeof(flags[0]), 512, f)) > 0) {
		for (i = 0; i < got; i++, pfn++) {
			int off = (flags[i] >> KPF_OFFLINE) & 1;

			n += off;
			in_block += off;
			if ((pfn + 1) % block)
				continue;
			if (in_block == block)
				blocks++;
			else if (in_block)
				partial++;
			in_block = 0;
		}
	}
	fclose(f);
	printf("offline %ld blocks %ld partial %ld\n", n, blocks,
	       partial + (in_block != 0));
	return 0;
}

int main(int argc, char **argv)
{
	long mib, count, i, delay, secs;
	char *p;

	if (argc == 4 && !strcmp(argv[1], "hold")) {
		mib = parse(argv[2], "MIB", 1, 1L << 24);
		secs = parse(argv[3], "SECONDS", 0, 1L << 30);
		p = fill(mib);
		if (!p)
			return 1;
		printf("touched %ld\n", mib);
		fflush(stdout);
		sleep(secs);
		munmap(p, mib * MIB);
		trace_mark(getenv("HB_TRACE_MARK"));
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "cycle")) {
		mib = parse(argv[2], "MIB", 1, 1L << 24);
		count = parse(argv[3], "COUNT", 1, 1L << 30);
		delay = parse(argv[4], "DELAY_MS", 0, 1L << 30);
		for (i = 0; i < count; i++) {
			p = fill(mib);
			if (!p)
				return 1;
			munmap(p, mib * MIB);
			usleep(delay * 1000);
		}
		printf("cycles %ld\n", count);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "churn")) {
		mib = parse(argv[2], "MIB", 1, 1L << 24);
		count = parse(argv[3], "CYCLES", 1, 1L << 30);
		delay = parse(argv[4], "IDLE_MS", 1, 1L << 30);
		return churn(mib, count, delay);
	}
	if (argc == 3 && !strcmp(argv[1], "dip")) {
		secs = parse(argv[2], "SECONDS", 1, 1L << 20);
		return dip(secs);
	}
	if (argc == 3 && !strcmp(argv[1], "offline"))
		return offline(parse(argv[2], "BLOCK_PAGES", 1, 1L << 30));
	fprintf(stderr,
		"usage: hb-mem hold MIB SECONDS | cycle MIB COUNT DELAY_MS |\n"
		"       churn MIB CYCLES IDLE_MS | dip SECONDS |\n"
		"       offline BLOCK_PAGES\n");
	return 2;
}
