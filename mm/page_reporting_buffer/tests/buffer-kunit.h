/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the per-zone buffer.  Included at the end of the file so
 * they reach its static helpers.
 */
#ifndef _MM_PAGE_REPORTING_BUFFER_BUFFER_KUNIT_H
#define _MM_PAGE_REPORTING_BUFFER_BUFFER_KUNIT_H

#include <kunit/test.h>

#include "common-kunit.h"

/*
 * The buffer's lists only link head pages by ->lru, so an allocated
 * chunk stands in for held memory.
 */
static void prb_test_blocks(struct kunit *test)
{
	struct page *b1 = prb_test_alloc(test, PRB_BLOCK_ORDER);
	struct page *b2 = prb_test_alloc(test, PRB_BLOCK_ORDER);
	unsigned long pfn = page_to_pfn(b1);
	struct prb_buf b;
	LIST_HEAD(pieces);

	prb_buf_init(&b);
	prb_buf_add(&b, b1, PRB_BLOCK_ORDER);
	prb_buf_add(&b, b2, PRB_BLOCK_ORDER);
	KUNIT_EXPECT_EQ(test, b.nr_held, 2 * PRB_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&b.blocks), 2U);

	/* paying takes blocks first in, whatever their place */
	prb_buf_take_pieces(&b, PRB_BLOCK_PAGES, &pieces);
	KUNIT_EXPECT_EQ(test, b.nr_held, PRB_BLOCK_PAGES);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&pieces, struct page, lru),
			    b1);
	/* freeing it could complete the buddy of the chunk next to it */
	KUNIT_EXPECT_TRUE(test, prb_pieces_near(&pieces,
						pfn ^ PRB_BLOCK_PAGES,
						PRB_BLOCK_ORDER));
	/* ... but not of a chunk whose buddy lies elsewhere */
	KUNIT_EXPECT_FALSE(test, prb_pieces_near(&pieces,
						 pfn ^ (2 * PRB_BLOCK_PAGES),
						 PRB_BLOCK_ORDER));

	prb_pieces_return(&b, &pieces);
	KUNIT_EXPECT_TRUE(test, list_empty(&pieces));
	KUNIT_EXPECT_EQ(test, b.nr_held, 2 * PRB_BLOCK_PAGES);

	/* returned pieces go first again */
	KUNIT_EXPECT_PTR_EQ(test, prb_buf_take(&b), b1);
	KUNIT_EXPECT_PTR_EQ(test, prb_buf_take(&b), b2);
	KUNIT_EXPECT_NULL(test, prb_buf_take(&b));
	KUNIT_EXPECT_EQ(test, b.nr_held, 0UL);

	__free_pages(b1, PRB_BLOCK_ORDER);
	__free_pages(b2, PRB_BLOCK_ORDER);
}

static void prb_test_accounting(struct kunit *test)
{
	struct page *buffer = prb_test_alloc(test, PRB_BLOCK_ORDER);
	struct page *hinted = prb_test_alloc(test, PRB_BLOCK_ORDER);
	struct prb_zone hz = { };
	LIST_HEAD(pieces);

	prb_buf_init(&hz.buf);
	prb_buf_add(&hz.buf, buffer, PRB_BLOCK_ORDER);
	hz.nr_owned = PRB_BLOCK_PAGES;

	/*
	 * A swap hands out as much buffer as the hinted chunk while the
	 * chunk is in flight: owned stays, free drops.
	 */
	prb_buf_take_pieces(&hz.buf, PRB_BLOCK_PAGES, &pieces);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_held, 0UL);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, PRB_BLOCK_PAGES);

	/* the report completes: the hinted chunk joins, owned == free */
	prb_buf_add(&hz.buf, hinted, PRB_BLOCK_ORDER);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_held, hz.nr_owned);

	/* drain without touching the free lists */
	while (prb_buf_take(&hz.buf))
		hz.nr_owned -= PRB_BLOCK_PAGES;
	KUNIT_EXPECT_EQ(test, hz.nr_owned, 0UL);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_held, 0UL);

	__free_pages(buffer, PRB_BLOCK_ORDER);
	__free_pages(hinted, PRB_BLOCK_ORDER);
}

static void prb_test_share(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, prb_share(4096, 3, 4, 9), 3072UL);
	/* rounded down to whole chunks */
	KUNIT_EXPECT_EQ(test, prb_share(1000, 3, 4, 9), 512UL);
	KUNIT_EXPECT_EQ(test, prb_share(1000, 1, 4, 9), 0UL);
	KUNIT_EXPECT_EQ(test, prb_share(1000, 1, 0, 9), 0UL);
	KUNIT_EXPECT_EQ(test, prb_share(1UL << 30, 1UL << 30, 1UL << 31, 0),
			1UL << 29);
}

static void prb_test_resize_unregistered(struct kunit *test)
{
	struct page_reporting_dev_info stale = { };

	/* what a resize racing a stalled device's unregister looks like */
	KUNIT_EXPECT_EQ(test, page_reporting_buffer_resize(&stale, 1024), 0UL);
	KUNIT_EXPECT_PTR_NE(test, READ_ONCE(prb_prdev), &stale);
}

/*
 * A reported chunk given back next to a reported free buddy leaves the
 * merged block reported (else all of it is reported again); next to an
 * unreported one, the merged block is not reported.
 */
static void prb_test_putback_reported(struct kunit *test)
{
	const unsigned int order = 3;
	struct zone *zone = prb_test_zone(test);
	bool half_reported, upper, merged, reported;
	struct page *page, *buddy;
	int i, j;

	if (static_branch_unlikely(&page_reporting_enabled))
		kunit_skip(test, "a reporting device is registered");
	for (i = 0; i < 2; i++) {
		half_reported = i == 0;
		spin_lock_irq(&zone->lock);
		page = prb_test_isolate_pair(zone, order, &buddy);
		if (!page) {
			spin_unlock_irq(&zone->lock);
			kunit_skip(test, "no free block above order %u", order);
		}
		/* its buddy is held here, so the merge stops at order 3 */
		prb_putback(page + (1 << (order - 1)), order - 1,
			    half_reported);
		upper = PageReported(page + (1 << (order - 1)));
		prb_putback(page, order - 1, true);
		merged = PageBuddy(page) && buddy_order(page) == order;
		reported = PageReported(page);
		/*
		 * Leave it as it was.  Until a reporting device registers,
		 * merging does not clear PageReported (page_reported() is
		 * false), so the half merged in keeps it: clear it, or a
		 * later allocation finds the flag (PG_uptodate) set.
		 */
		for (j = 0; j < 1 << order; j++)
			if (PageReported(page + j))
				__ClearPageReported(page + j);
		__putback_isolated_page(buddy, order,
					get_pageblock_migratetype(buddy));
		spin_unlock_irq(&zone->lock);

		KUNIT_EXPECT_EQ(test, upper, half_reported);
		KUNIT_EXPECT_TRUE(test, merged);
		KUNIT_EXPECT_EQ(test, reported, half_reported);
	}
}

static LIST_HEAD(prb_test_kept);
static unsigned long prb_test_pfn[PAGE_REPORTING_CAPACITY];
static unsigned int prb_test_nr;
static bool prb_test_keeps;

/* A device that never answers; the driver keeps the chunks or does not */
static int prb_test_report(struct page_reporting_dev_info *prdev,
			   struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		if (prb_test_nr < PAGE_REPORTING_CAPACITY)
			prb_test_pfn[prb_test_nr++] = page_to_pfn(sg_page(sg));
	if (prb_test_keeps)
		page_reporting_buffer_keep(sgl, nents, &prb_test_kept);
	return -ETIMEDOUT;
}

static unsigned int prb_test_free_chunks(void)
{
	unsigned int i, nr = 0;

	for (i = 0; i < prb_test_nr; i++)
		nr += is_free_buddy_page(pfn_to_page(prb_test_pfn[i]));
	return nr;
}

/*
 * A timed-out report: the error alone gives the chunks back, whatever it
 * is; only a callback that keeps them holds them, until it returns them.
 */
static void prb_test_report_timeout(struct kunit *test)
{
	struct page_reporting_dev_info prdev = { .report = prb_test_report };
	unsigned long kept = prb_count(PRB_KEPT_PAGES);
	struct zone *zone = prb_test_zone(test);
	struct scatterlist *sgl = NULL;
	struct prb_zone hz = { };
	int err;

	prb_buf_init(&hz.buf);
	INIT_LIST_HEAD(&hz.offlining);
	hz.target = PRB_BLOCK_PAGES;

	prb_test_keeps = false;
	prb_test_nr = 0;
	mutex_lock(&prb_mutex);
	err = prb_fill_zone(&prdev, zone, &hz, &sgl);
	mutex_unlock(&prb_mutex);
	if (!prb_test_nr) {
		kfree(sgl);
		kunit_skip(test, "no free pageblock");
	}
	KUNIT_EXPECT_EQ(test, err, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, prb_test_nr, 1U);
	KUNIT_EXPECT_EQ(test, prb_test_free_chunks(), prb_test_nr);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, 0UL);
	KUNIT_EXPECT_EQ(test, prb_count(PRB_KEPT_PAGES), kept);

	prb_test_keeps = true;
	prb_test_nr = 0;
	mutex_lock(&prb_mutex);
	err = prb_fill_zone(&prdev, zone, &hz, &sgl);
	mutex_unlock(&prb_mutex);
	kfree(sgl);
	KUNIT_EXPECT_EQ(test, err, -ETIMEDOUT);
	KUNIT_ASSERT_EQ(test, prb_test_nr, 1U);
	KUNIT_EXPECT_EQ(test, prb_test_free_chunks(), 0U);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&prb_test_kept), 1U);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, 0UL);
	KUNIT_EXPECT_EQ(test, prb_count(PRB_KEPT_PAGES) - kept,
			PRB_BLOCK_PAGES);

	KUNIT_EXPECT_EQ(test, page_reporting_buffer_return_kept(&prb_test_kept),
			PRB_BLOCK_PAGES);
	KUNIT_EXPECT_TRUE(test, list_empty(&prb_test_kept));
	KUNIT_EXPECT_EQ(test, prb_test_free_chunks(), 1U);
	KUNIT_EXPECT_EQ(test, prb_count(PRB_KEPT_PAGES), kept);
}

static struct kunit_case prb_buffer_test_cases[] = {
	KUNIT_CASE(prb_test_blocks),
	KUNIT_CASE(prb_test_accounting),
	KUNIT_CASE(prb_test_share),
	KUNIT_CASE(prb_test_resize_unregistered),
	KUNIT_CASE(prb_test_putback_reported),
	KUNIT_CASE(prb_test_report_timeout),
	{}
};

static struct kunit_suite prb_buffer_test_suite = {
	.name = "page_reporting_buffer",
	.test_cases = prb_buffer_test_cases,
};

kunit_test_suite(prb_buffer_test_suite);

#endif /* _MM_PAGE_REPORTING_BUFFER_BUFFER_KUNIT_H */
