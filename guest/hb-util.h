/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the static guest tools.  Each tool is one C file
 * built on its own (make initramfs), so these are static inline.
 */
#ifndef HB_UTIL_H
#define HB_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double hb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A whole number in [min, max], or a message naming @what and exit 2. */
static inline long hb_parse(const char *tool, const char *s, const char *what,
			    long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: %s '%s' is not in [%ld, %ld]\n",
			tool, what, s, min, max);
		exit(2);
	}
	return v;
}

/*
 * Write @adj to /proc/self/oom_score_adj: -1000 keeps a probe or a
 * supervisor out of the OOM killer's reach, 1000 makes a workload its
 * first victim.  Best effort: without /proc the tool still runs.
 */
static inline void hb_oom_score_adj(int adj)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "w");

	if (!f)
		return;
	fprintf(f, "%d\n", adj);
	fclose(f);
}

#endif
