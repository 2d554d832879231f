// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the hinting buffer.  Included from page_hinting.c so the
 * tests reach its static helpers; the buffer helpers only touch page->lru
 * and pfns, so ordinary allocated pages stand in for isolated chunks.
 */
#include <kunit/test.h>

static struct page *hint_test_alloc(struct kunit *test, unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);

	KUNIT_ASSERT_NOT_NULL(test, page);
	return page;
}

/*
 * The buffer's lists only link head pages by ->lru, so an allocated
 * chunk stands in for held memory.
 */
static void hint_test_blocks(struct kunit *test)
{
	struct page *b1 = hint_test_alloc(test, HINT_BLOCK_ORDER);
	struct page *b2 = hint_test_alloc(test, HINT_BLOCK_ORDER);
	unsigned long pfn = page_to_pfn(b1);
	struct hint_buf b;
	LIST_HEAD(pieces);

	hint_buf_init(&b);
	hint_buf_add(&b, b1, HINT_BLOCK_ORDER);
	hint_buf_add(&b, b2, HINT_BLOCK_ORDER);
	KUNIT_EXPECT_EQ(test, b.nr_free, 2 * HINT_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&b.blocks), 2U);

	/* paying takes blocks first in, whatever their place */
	hint_buf_take_pieces(&b, HINT_BLOCK_PAGES, &pieces);
	KUNIT_EXPECT_EQ(test, b.nr_free, HINT_BLOCK_PAGES);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&pieces, struct page, lru),
			    b1);
	/* freeing it could complete the buddy of the chunk next to it */
	KUNIT_EXPECT_TRUE(test, hint_pieces_near(&pieces,
						 pfn ^ HINT_BLOCK_PAGES,
						 HINT_BLOCK_ORDER));
	/* ... but not of a chunk whose buddy lies elsewhere */
	KUNIT_EXPECT_FALSE(test, hint_pieces_near(&pieces,
						  pfn ^ (2 * HINT_BLOCK_PAGES),
						  HINT_BLOCK_ORDER));

	hint_pieces_return(&b, &pieces);
	KUNIT_EXPECT_TRUE(test, list_empty(&pieces));
	KUNIT_EXPECT_EQ(test, b.nr_free, 2 * HINT_BLOCK_PAGES);

	/* returned pieces go first again */
	KUNIT_EXPECT_PTR_EQ(test, hint_buf_take(&b), b1);
	KUNIT_EXPECT_PTR_EQ(test, hint_buf_take(&b), b2);
	KUNIT_EXPECT_NULL(test, hint_buf_take(&b));
	KUNIT_EXPECT_EQ(test, b.nr_free, 0UL);

	__free_pages(b1, HINT_BLOCK_ORDER);
	__free_pages(b2, HINT_BLOCK_ORDER);
}

static void hint_test_accounting(struct kunit *test)
{
	struct page *buffer = hint_test_alloc(test, HINT_BLOCK_ORDER);
	struct page *hinted = hint_test_alloc(test, HINT_BLOCK_ORDER);
	struct hint_zone hz = { };
	LIST_HEAD(pieces);

	hint_buf_init(&hz.buf);
	hint_buf_add(&hz.buf, buffer, HINT_BLOCK_ORDER);
	hz.nr_owned = HINT_BLOCK_PAGES;

	/*
	 * A swap hands out as much buffer as the hinted chunk while the
	 * chunk is in flight: owned stays, free drops.
	 */
	hint_buf_take_pieces(&hz.buf, HINT_BLOCK_PAGES, &pieces);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_free, 0UL);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, HINT_BLOCK_PAGES);

	/* the report completes: the hinted chunk joins, owned == free */
	hint_buf_add(&hz.buf, hinted, HINT_BLOCK_ORDER);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_free, hz.nr_owned);

	/* drain without touching the free lists */
	while (hint_buf_take(&hz.buf))
		hz.nr_owned -= HINT_BLOCK_PAGES;
	KUNIT_EXPECT_EQ(test, hz.nr_owned, 0UL);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_free, 0UL);

	__free_pages(buffer, HINT_BLOCK_ORDER);
	__free_pages(hinted, HINT_BLOCK_ORDER);
}

static void hint_test_decide(struct kunit *test)
{
	const unsigned int o = HINT_BLOCK_ORDER;
	const unsigned long n = 1UL << o;

	KUNIT_EXPECT_EQ(test, hint_decide(n, o, MIGRATE_MOVABLE, false),
			HINT_SWAP);
	KUNIT_EXPECT_EQ(test, hint_decide(2 * n, o, MIGRATE_UNMOVABLE, true),
			HINT_SWAP);
	/* one page short: stock behaviour if its gate allows, else stop */
	KUNIT_EXPECT_EQ(test, hint_decide(n - 1, o, MIGRATE_MOVABLE, true),
			HINT_FALLBACK);
	KUNIT_EXPECT_EQ(test, hint_decide(n - 1, o, MIGRATE_MOVABLE, false),
			HINT_STOP);
	KUNIT_EXPECT_EQ(test, hint_decide(0, o, MIGRATE_MOVABLE, false),
			HINT_STOP);
	/* highatomic is never buffered, however large the buffer */
	KUNIT_EXPECT_EQ(test, hint_decide(1UL << 20, o, MIGRATE_HIGHATOMIC,
					  true), HINT_FALLBACK);
	KUNIT_EXPECT_EQ(test, hint_decide(1UL << 20, o, MIGRATE_HIGHATOMIC,
					  false), HINT_STOP);
	/* the buffer pays in whole pageblocks only */
	KUNIT_EXPECT_EQ(test, hint_decide(1UL << 20, o - 1, MIGRATE_MOVABLE,
					  true), HINT_FALLBACK);
	KUNIT_EXPECT_EQ(test, hint_fallback_reason(o - 1, MIGRATE_MOVABLE),
			HINT_REASON_ORDER);
}

static void hint_test_share(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, hint_share(4096, 3, 4, 9), 3072UL);
	/* rounded down to whole chunks */
	KUNIT_EXPECT_EQ(test, hint_share(1000, 3, 4, 9), 512UL);
	KUNIT_EXPECT_EQ(test, hint_share(1000, 1, 4, 9), 0UL);
	KUNIT_EXPECT_EQ(test, hint_share(1000, 1, 0, 9), 0UL);
	KUNIT_EXPECT_EQ(test, hint_share(1UL << 30, 1UL << 30, 1UL << 31, 0),
			1UL << 29);
}

static void hint_test_params(struct kunit *test)
{
	unsigned long v = 7;
	bool b = true;

	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "5", 1, 32, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 5UL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "0x20", 1, 32, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 32UL);
	/* out of range and garbage keep the old value */
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "33", 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "0", 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "-1", 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "abc", 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", NULL, 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, v, 32UL);

	KUNIT_EXPECT_EQ(test, hint_parse_bool("t", "n", &b), 0);
	KUNIT_EXPECT_FALSE(test, b);
	KUNIT_EXPECT_EQ(test, hint_parse_bool("t", "maybe", &b), -EINVAL);
	KUNIT_EXPECT_FALSE(test, b);
}

static void hint_test_resize_unregistered(struct kunit *test)
{
	struct page_reporting_dev_info stale = { };

	/* what a resize racing a stalled device's unregister looks like */
	KUNIT_EXPECT_EQ(test, page_hinting_buffer_resize(&stale, 1024), 0UL);
	KUNIT_EXPECT_PTR_NE(test, READ_ONCE(hint_prdev), &stale);
}

/*
 * A free order-@order block of @zone whose buddy is not free, isolated
 * and split in two halves.  Under zone->lock.
 */
static struct page *hint_test_isolate_lone(struct zone *zone,
					   unsigned int order, bool *reported)
{
	struct free_area *area = &zone->free_area[order];
	struct page *page;

	list_for_each_entry(page, &area->free_list[MIGRATE_MOVABLE],
			    buddy_list) {
		*reported = PageReported(page);
		if (__isolate_free_page(page, order))
			return page;
	}
	return NULL;
}

/*
 * A reported chunk given back next to a reported free buddy leaves the
 * merged block reported (else all of it is reported again); next to an
 * unreported one, the merged block is not reported.
 */
static void hint_test_putback_reported(struct kunit *test)
{
	const unsigned int order = 3;
	struct page *probe = hint_test_alloc(test, 0);
	struct zone *zone = page_zone(probe);
	bool was_reported, half_reported;
	struct page *page;
	int i, j;

	__free_page(probe);
	for (i = 0; i < 2; i++) {
		half_reported = i == 0;
		spin_lock_irq(&zone->lock);
		page = hint_test_isolate_lone(zone, order, &was_reported);
		if (!page) {
			spin_unlock_irq(&zone->lock);
			kunit_skip(test, "no free order-%u block", order);
		}
		/*
		 * Its order-3 buddy was not free (it would have merged) and
		 * cannot become free under the lock: the merge stops at 3.
		 */
		hint_putback(page + (1 << (order - 1)), order - 1,
			     half_reported);
		KUNIT_EXPECT_EQ(test,
				PageReported(page + (1 << (order - 1))),
				half_reported);
		hint_putback(page, order - 1, true);
		KUNIT_EXPECT_TRUE(test, PageBuddy(page));
		KUNIT_EXPECT_EQ(test, buddy_order(page), order);
		KUNIT_EXPECT_EQ(test, PageReported(page), half_reported);
		/*
		 * Leave it as it was.  Until a reporting device registers,
		 * merging does not clear PageReported (page_reported() is
		 * false), so the half merged in keeps it: clear it, or a
		 * later allocation finds the flag (PG_uptodate) set.
		 */
		for (j = 1; j < 1 << order; j++)
			if (PageReported(page + j))
				__ClearPageReported(page + j);
		if (!was_reported && PageReported(page))
			__ClearPageReported(page);
		spin_unlock_irq(&zone->lock);
	}
}

/*
 * Held memory is PageOffline with a reference; memory offlining gets it
 * without the reference and a cancelled offlining gives it back, with
 * the buffer's accounting following.  Uses a real free chunk of the
 * zone, given back as it was found.
 */
static void hint_test_offline(struct kunit *test)
{
	long total = atomic_long_read(&hint_owned_total);
	struct page *probe = hint_test_alloc(test, 0);
	struct zone *zone = page_zone(probe);
	unsigned long pfn, nr, i, bad = 0;
	struct hint_zone hz = { };
	struct page *page = NULL;
	bool was_reported;
	unsigned int order;

	__free_page(probe);
	hint_buf_init(&hz.buf);
	INIT_LIST_HEAD(&hz.offlining);

	spin_lock_irq(&zone->lock);
	for (order = HINT_BLOCK_ORDER; !page && order <= MAX_PAGE_ORDER; order++)
		page = hint_test_isolate_lone(zone, order, &was_reported);
	if (!page) {
		spin_unlock_irq(&zone->lock);
		kunit_skip(test, "no free pageblock");
	}
	order--;
	nr = 1UL << order;
	hint_hold(page, order);
	hint_buf_add(&hz.buf, page, order);
	hz.nr_owned = nr;
	hz.target = nr;
	spin_unlock_irq(&zone->lock);
	pfn = page_to_pfn(page);

	for (i = 0; i < nr; i++)
		bad += !PageOffline(page + i) || page_count(page + i) != 1;
	KUNIT_EXPECT_EQ(test, bad, 0UL);

	/* a range next to the chunk takes nothing */
	KUNIT_EXPECT_EQ(test, hint_offline_begin(zone, &hz, pfn + nr,
						 pfn + 2 * nr), 0UL);
	/* a range overlapping its first block takes that block */
	KUNIT_EXPECT_EQ(test, hint_offline_begin(zone, &hz, pfn, pfn + 1),
			HINT_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_free, nr - HINT_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, nr - HINT_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&hz.offlining), 1U);
	for (i = 0, bad = 0; i < HINT_BLOCK_PAGES; i++)
		bad += !PageOffline(page + i) || page_count(page + i);
	KUNIT_EXPECT_EQ(test, bad, 0UL);

	/* cancelled: the block is held again */
	hint_offline_end(zone, &hz, true);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_free, nr);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, nr);
	KUNIT_EXPECT_TRUE(test, list_empty(&hz.offlining));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&hint_owned_total), total);
	for (i = 0, bad = 0; i < nr; i++)
		bad += !PageOffline(page + i) || page_count(page + i) != 1;
	KUNIT_EXPECT_EQ(test, bad, 0UL);

	spin_lock_irq(&zone->lock);
	while ((page = hint_buf_take(&hz.buf))) {
		hint_unhold(page, HINT_BLOCK_ORDER);
		hint_putback(page, HINT_BLOCK_ORDER, was_reported);
	}
	page = pfn_to_page(pfn);
	KUNIT_EXPECT_TRUE(test, PageBuddy(page));
	KUNIT_EXPECT_EQ(test, buddy_order(page), order);
	spin_unlock_irq(&zone->lock);
}

static LIST_HEAD(hint_test_kept);
static unsigned long hint_test_pfn[PAGE_REPORTING_CAPACITY];
static unsigned int hint_test_nr;
static bool hint_test_keeps;

/* A device that never answers; the driver keeps the chunks or does not */
static int hint_test_report(struct page_reporting_dev_info *prdev,
			    struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		if (hint_test_nr < PAGE_REPORTING_CAPACITY)
			hint_test_pfn[hint_test_nr++] = page_to_pfn(sg_page(sg));
	if (hint_test_keeps)
		page_hinting_keep(sgl, nents, &hint_test_kept);
	return -ETIMEDOUT;
}

static unsigned int hint_test_free_chunks(void)
{
	unsigned int i, nr = 0;

	for (i = 0; i < hint_test_nr; i++)
		nr += is_free_buddy_page(pfn_to_page(hint_test_pfn[i]));
	return nr;
}

/*
 * A timed-out report: the error alone gives the chunks back, whatever it
 * is; only a callback that keeps them holds them, until it returns them.
 */
static void hint_test_report_timeout(struct kunit *test)
{
	struct page_reporting_dev_info prdev = { .report = hint_test_report };
	long kept = atomic_long_read(&hint_kept_pages);
	struct page *probe = hint_test_alloc(test, 0);
	struct zone *zone = page_zone(probe);
	struct scatterlist *sgl = NULL;
	struct hint_zone hz = { };
	int err;

	__free_page(probe);
	hint_buf_init(&hz.buf);
	INIT_LIST_HEAD(&hz.offlining);
	hz.target = HINT_BLOCK_PAGES;

	hint_test_keeps = false;
	hint_test_nr = 0;
	mutex_lock(&hint_mutex);
	err = hint_fill_zone(&prdev, zone, &hz, &sgl);
	mutex_unlock(&hint_mutex);
	if (!hint_test_nr) {
		kfree(sgl);
		kunit_skip(test, "no free pageblock");
	}
	KUNIT_EXPECT_EQ(test, err, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, hint_test_nr, 1U);
	KUNIT_EXPECT_EQ(test, hint_test_free_chunks(), hint_test_nr);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&hint_kept_pages), kept);

	hint_test_keeps = true;
	hint_test_nr = 0;
	mutex_lock(&hint_mutex);
	err = hint_fill_zone(&prdev, zone, &hz, &sgl);
	mutex_unlock(&hint_mutex);
	kfree(sgl);
	KUNIT_EXPECT_EQ(test, err, -ETIMEDOUT);
	KUNIT_ASSERT_EQ(test, hint_test_nr, 1U);
	KUNIT_EXPECT_EQ(test, hint_test_free_chunks(), 0U);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&hint_test_kept), 1U);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&hint_kept_pages) - kept,
			(long)HINT_BLOCK_PAGES);

	KUNIT_EXPECT_EQ(test, page_hinting_return_kept(&hint_test_kept),
			HINT_BLOCK_PAGES);
	KUNIT_EXPECT_TRUE(test, list_empty(&hint_test_kept));
	KUNIT_EXPECT_EQ(test, hint_test_free_chunks(), 1U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&hint_kept_pages), kept);
}

static struct kunit_case page_hinting_test_cases[] = {
	KUNIT_CASE(hint_test_blocks),
	KUNIT_CASE(hint_test_accounting),
	KUNIT_CASE(hint_test_decide),
	KUNIT_CASE(hint_test_share),
	KUNIT_CASE(hint_test_params),
	KUNIT_CASE(hint_test_resize_unregistered),
	KUNIT_CASE(hint_test_putback_reported),
	KUNIT_CASE(hint_test_offline),
	KUNIT_CASE(hint_test_report_timeout),
	{}
};

static struct kunit_suite page_hinting_test_suite = {
	.name = "page_hinting",
	.test_cases = page_hinting_test_cases,
};

kunit_test_suite(page_hinting_test_suite);
