// SPDX-License-Identifier: GPL-2.0
/*
 * hb-lat: latency of allocating and touching fixed-size chunks.
 *
 *   hb-lat CHUNK_KIB SECONDS INTERVAL_MS
 *	For SECONDS: map CHUNK_KIB KiB of anonymous memory, write one byte
 *	in every page, unmap it, sleep INTERVAL_MS.  The time from mmap to
 *	the last write is one sample: it includes the page faults, so it
 *	grows when the guest must reclaim or compact to find free pages.
 *	Prints "samples", "failures", "ops_per_s" and the latency
 *	percentiles "p50_us", "p90_us", "p99_us", "max_us", one per line.
 *
 * With INTERVAL_MS 0 it is a page_fault1-like throughput loop.  It makes
 * itself unkillable by the OOM killer (oom_score_adj -1000) so that under
 * pressure the stressors, not the probe, are killed and the probe reports
 * how long allocations took.
 *
 * Exit status is 0 on success, 2 on bad use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hb-util.h"

#define MAX_SAMPLES (1 << 20)

static double now(void)
{
	return hb_now();
}

static long parse(const char *s, const char *what, long min, long max)
{
	return hb_parse("hb-lat", s, what, min, max);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(const double *sorted, long n, double p)
{
	long i = (long)(p * (n - 1) + 0.5);

	return n ? sorted[i] : 0;
}

int main(int argc, char **argv)
{
	long chunk_kib, seconds, interval_ms, n = 0, failures = 0;
	long page = sysconf(_SC_PAGESIZE);
	double *lat, start, end, t0;
	size_t len, off;
	char *p;

	if (argc != 4) {
		fprintf(stderr, "usage: hb-lat CHUNK_KIB SECONDS INTERVAL_MS\n");
		return 2;
	}
	chunk_kib = parse(argv[1], "CHUNK_KIB", 4, 1L << 24);
	seconds = parse(argv[2], "SECONDS", 1, 1L << 20);
	interval_ms = parse(argv[3], "INTERVAL_MS", 0, 1L << 20);
	len = chunk_kib * 1024;
	lat = malloc(MAX_SAMPLES * sizeof(*lat));
	if (!lat) {
		perror("hb-lat: malloc");
		return 1;
	}
	hb_oom_score_adj(-1000);
	start = now();
	end = start + seconds;
	while (now() < end && n < MAX_SAMPLES) {
		t0 = now();
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			failures++;
		} else {
			/* Non-zero writes: each page must really be allocated. */
			for (off = 0; off < len; off += page)
				p[off] = 0x5a;
			lat[n++] = (now() - t0) * 1e6;
			munmap(p, len);
		}
		if (interval_ms)
			usleep(interval_ms * 1000);
	}
	end = now();
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("samples %ld\nfailures %ld\nops_per_s %.2f\n", n, failures,
	       n / (end - start));
	printf("p50_us %.0f\np90_us %.0f\np99_us %.0f\nmax_us %.0f\n",
	       percentile(lat, n, 0.50), percentile(lat, n, 0.90),
	       percentile(lat, n, 0.99), n ? lat[n - 1] : 0);
	free(lat);
	return 0;
}
