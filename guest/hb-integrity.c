// SPDX-License-Identifier: GPL-2.0
/*
 * hb-integrity: does free page hinting ever lose or leak a byte?
 *
 *   hb-integrity WORK_MIB CHURN_MIB CYCLES [SEED]
 *
 * Keeps a working set of WORK_MIB whose every page holds a pattern
 * derived from (seed, page, generation), so a page that reads back zero
 * (discarded by the host while in use), another page's bytes, or an older
 * generation is caught.  Every cycle it:
 *
 *   - replaces a quarter of the working set with fresh mappings,
 *   - maps CHURN_MIB more (base pages), touches and fills it, and
 *     unmaps it,
 *   - waits until reporting has settled (sysfs reported_bytes stops moving),
 *   - verifies every live page of the working set.
 *
 * Fresh anonymous memory is mostly pages the guest freed and the host
 * discarded in earlier cycles (including reporting-buffer chunks swapped
 * into the free lists): every byte of it must read zero before we write
 * it.  Exit status 1 when any page was bad, 2 on usage or setup errors.
 * The last line is a summary the tests parse.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hb-util.h"

#define TOOL		"hb-integrity"
#define PAGE		4096UL
#define WORDS		(PAGE / sizeof(uint64_t))
#define REGION		(1UL << 20)	/* working set is replaced in 1 MiB units */
#define PAGES_PER_REGION (REGION / PAGE)
#define REPORTED	"/sys/kernel/mm/page_reporting_buffer/reported_bytes"
#define DELAY		"/sys/module/page_reporting/parameters/delay_ms"
#define REPORT_MAX	8		/* bad pages described in detail */

struct region {
	uint64_t *mem;
	uint32_t gen;
};

static uint64_t seed;
static unsigned long bad_pages, zero_pages, fresh_bad, reported;

/* splitmix64 finaliser: distinct inputs give unrelated words */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * One mix per page keeps filling cheap under TCG; the per-word step makes
 * a page shifted by any number of words fail too.
 */
static uint64_t page_base(uint64_t tag, uint64_t page, uint64_t gen)
{
	return mix(seed ^ mix(tag ^ (page << 20) ^ (gen << 48)));
}

#define STEP 0xd6e8feb86659fd93ULL

static void fill_page(uint64_t *p, uint64_t base)
{
	unsigned long i;

	for (i = 0; i < WORDS; i++)
		p[i] = base + i * STEP;
}

static int page_is_zero(const uint64_t *p)
{
	uint64_t acc = 0;
	unsigned long i;

	for (i = 0; i < WORDS; i++)
		acc |= p[i];
	return acc == 0;
}

/* @step 0: the page should be all zero */
static void describe(const char *what, unsigned long page, const uint64_t *p,
		     uint64_t base, uint64_t step)
{
	unsigned long i, wrong = 0, first = WORDS;

	if (reported++ >= REPORT_MAX)
		return;
	for (i = 0; i < WORDS; i++) {
		if (p[i] != base + i * step) {
			wrong++;
			if (first == WORDS)
				first = i;
		}
	}
	printf("BAD %s page %lu at %p: %lu of %lu words wrong, first at %lu: %#llx (want %#llx)%s\n",
	       what, page, (const void *)p, wrong, WORDS, first,
	       (unsigned long long)p[first],
	       (unsigned long long)(base + first * step),
	       page_is_zero(p) ? ", page all zero" : "");
}

static void *map(unsigned long bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror(TOOL ": mmap");
		exit(2);
	}
	return p;
}

/* Fresh memory must be zero before we write our pattern into it */
static unsigned long fill_fresh(uint64_t *mem, unsigned long pages,
				uint64_t tag, uint64_t first_page, uint64_t gen)
{
	unsigned long i;

	for (i = 0; i < pages; i++) {
		uint64_t *p = mem + i * WORDS;

		if (!page_is_zero(p)) {
			fresh_bad++;
			bad_pages++;
			describe("fresh", first_page + i, p, 0, 0);
		}
		fill_page(p, page_base(tag, first_page + i, gen));
	}
	return pages;
}

static unsigned long verify_region(struct region *r, unsigned long idx)
{
	unsigned long i;

	for (i = 0; i < PAGES_PER_REGION; i++) {
		unsigned long page = idx * PAGES_PER_REGION + i;
		uint64_t base = page_base(0, page, r->gen);
		uint64_t *p = r->mem + i * WORDS;
		unsigned long w;

		for (w = 0; w < WORDS; w++)
			if (p[w] != base + w * STEP)
				break;
		if (w == WORDS)
			continue;
		bad_pages++;
		if (page_is_zero(p))
			zero_pages++;
		describe("live", page, p, base, STEP);
	}
	return PAGES_PER_REGION;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * Let reporting catch up so the next cycle reuses hinted memory: wait
 * until reported_bytes has not moved for three reporting delays (a fixed
 * second without the sysfs files).
 */
static void settle(void)
{
	long delay = read_long(DELAY), last = read_long(REPORTED), now;
	double quiet = delay > 0 ? 3 * delay / 1000.0 : 1.0;
	double start = hb_now(), since = start;

	if (quiet < 0.2)
		quiet = 0.2;
	if (last < 0) {
		usleep(1000000);
		return;
	}
	while (hb_now() - since < quiet && hb_now() - start < 20) {
		usleep(20000);
		now = read_long(REPORTED);
		if (now != last) {
			last = now;
			since = hb_now();
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long work_mib, churn_mib, cycles, c, i, verified = 0;
	unsigned long fresh = 0, nregions;
	struct region *regions;
	double t0 = hb_now();

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s WORK_MIB CHURN_MIB CYCLES [SEED]\n",
			TOOL);
		return 2;
	}
	work_mib = hb_parse(TOOL, argv[1], "WORK_MIB", 4, 1L << 20);
	churn_mib = hb_parse(TOOL, argv[2], "CHURN_MIB", 1, 1L << 20);
	cycles = hb_parse(TOOL, argv[3], "CYCLES", 1, 1000000);
	seed = argc > 4 ? (uint64_t)hb_parse(TOOL, argv[4], "SEED", 0,
					     0x7fffffffL) : 0x6869;
	seed = mix(seed);
	setvbuf(stdout, NULL, _IOLBF, 0);

	nregions = work_mib * (1UL << 20) / REGION;
	regions = calloc(nregions, sizeof(*regions));
	if (!regions)
		return 2;
	for (i = 0; i < nregions; i++) {
		regions[i].mem = map(REGION);
		fresh += fill_fresh(regions[i].mem, PAGES_PER_REGION, 0,
				    i * PAGES_PER_REGION, 0);
	}

	for (c = 1; c <= cycles; c++) {
		unsigned long churn_pages = churn_mib * (1UL << 20) / PAGE;
		uint64_t *churn;

		/* a quarter of the working set goes back and comes fresh */
		for (i = c % 4; i < nregions; i += 4) {
			munmap(regions[i].mem, REGION);
			regions[i].mem = map(REGION);
			regions[i].gen = c;
			fresh += fill_fresh(regions[i].mem, PAGES_PER_REGION, 0,
					    i * PAGES_PER_REGION, c);
		}
		/* churn: tagged so a live page holding it names the culprit */
		churn = map(churn_pages * PAGE);
		/*
		 * Base pages: the fault path clears huge pages itself but
		 * takes base pages zeroed from the allocator, which with
		 * init_on_free trusts free memory to be zero already.
		 */
		madvise(churn, churn_pages * PAGE, MADV_NOHUGEPAGE);
		fresh += fill_fresh(churn, churn_pages, 1, 0, c);
		munmap(churn, churn_pages * PAGE);

		settle();
		for (i = 0; i < nregions; i++)
			verified += verify_region(&regions[i], i);
		printf("cycle %lu: verified %lu pages, %lu bad, %.1f s\n", c,
		       nregions * PAGES_PER_REGION, bad_pages, hb_now() - t0);
	}

	printf("hb-integrity: cycles=%lu pages_verified=%lu fresh_pages=%lu bad_pages=%lu zero_pages=%lu fresh_bad=%lu freed_mib_per_cycle=%lu seconds=%.1f\n",
	       cycles, verified, fresh, bad_pages, zero_pages, fresh_bad,
	       churn_mib + nregions / 4 * REGION / (1UL << 20),
	       hb_now() - t0);
	return bad_pages ? 1 : 0;
}
