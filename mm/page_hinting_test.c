// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the hinting buffer.  Included from page_hinting.c so the
 * tests reach its static helpers; the buffer helpers only touch page->lru
 * and pfns, so ordinary allocated pages stand in for isolated chunks.
 */
#include <kunit/test.h>

static unsigned int hint_test_list_len(struct hint_buf *b, unsigned int order)
{
	struct page *page;
	unsigned int n = 0;

	list_for_each_entry(page, &b->free[order], lru)
		n++;
	return n;
}

static struct page *hint_test_alloc(struct kunit *test, unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);

	KUNIT_ASSERT_NOT_NULL(test, page);
	return page;
}

static void hint_test_merge_split(struct kunit *test)
{
	struct page *base = hint_test_alloc(test, 3);
	struct hint_buf b;
	unsigned int got, i;
	struct page *page;

	hint_buf_init(&b);
	/* eight order-0 buddies must fold into one order-3 chunk */
	for (i = 0; i < 8; i++)
		hint_buf_add(&b, base + i, 0);
	KUNIT_EXPECT_EQ(test, b.nr_free, 8UL);
	KUNIT_EXPECT_EQ(test, hint_test_list_len(&b, 3), 1U);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, hint_test_list_len(&b, i), 0U);

	/* taking one page splits 8 into 4 + 2 + 1 + the page taken */
	page = hint_buf_take(&b, 0, &got);
	KUNIT_EXPECT_PTR_EQ(test, page, base);
	KUNIT_EXPECT_EQ(test, got, 0U);
	KUNIT_EXPECT_EQ(test, b.nr_free, 7UL);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, hint_test_list_len(&b, i), 1U);

	/* giving it back merges all the way up again */
	hint_buf_add(&b, page, 0);
	KUNIT_EXPECT_EQ(test, hint_test_list_len(&b, 3), 1U);

	page = hint_buf_take(&b, 3, &got);
	KUNIT_EXPECT_PTR_EQ(test, page, base);
	KUNIT_EXPECT_EQ(test, got, 3U);
	KUNIT_EXPECT_EQ(test, b.nr_free, 0UL);
	KUNIT_EXPECT_NULL(test, hint_buf_take(&b, 0, &got));

	__free_pages(base, 3);
}

static void hint_test_no_false_merge(struct kunit *test)
{
	struct page *base = hint_test_alloc(test, 3);
	struct hint_buf b;
	unsigned int got;
	struct page *p1, *p2;

	hint_buf_init(&b);
	/* pfn 0-1 and 4-5 are not buddies at order 1 */
	hint_buf_add(&b, base, 1);
	hint_buf_add(&b, base + 4, 1);
	KUNIT_EXPECT_EQ(test, hint_test_list_len(&b, 1), 2U);
	KUNIT_EXPECT_EQ(test, hint_test_list_len(&b, 2), 0U);

	/* an order-2 request is served from two smaller chunks */
	p1 = hint_buf_take(&b, 2, &got);
	KUNIT_EXPECT_NOT_NULL(test, p1);
	KUNIT_EXPECT_EQ(test, got, 1U);
	p2 = hint_buf_take(&b, 1, &got);
	KUNIT_EXPECT_NOT_NULL(test, p2);
	KUNIT_EXPECT_EQ(test, got, 1U);
	KUNIT_EXPECT_EQ(test, b.nr_free, 0UL);

	__free_pages(base, 3);
}

static void hint_test_pieces(struct kunit *test)
{
	struct page *base = hint_test_alloc(test, 3);
	struct hint_buf b;
	LIST_HEAD(pieces);
	unsigned long pfn = page_to_pfn(base);

	hint_buf_init(&b);
	hint_buf_add(&b, base + 4, 1);
	hint_buf_add(&b, base + 6, 0);
	hint_buf_add(&b, base + 7, 0);

	/* the three chunks merged: paying 4 pages takes the whole buffer */
	hint_buf_take_pieces(&b, 4, &pieces);
	KUNIT_EXPECT_EQ(test, b.nr_free, 0UL);
	/* pages 4-7 are the order-2 buddy of pages 0-3, not of page 0 */
	KUNIT_EXPECT_TRUE(test, hint_pieces_near(&pieces, pfn, 2));
	KUNIT_EXPECT_FALSE(test, hint_pieces_near(&pieces, pfn, 0));
	KUNIT_EXPECT_FALSE(test, hint_pieces_near(&pieces, pfn, 1));

	/* handing them back merges them into one order-2 chunk */
	hint_pieces_return(&b, &pieces);
	KUNIT_EXPECT_TRUE(test, list_empty(&pieces));
	KUNIT_EXPECT_EQ(test, b.nr_free, 4UL);
	KUNIT_EXPECT_EQ(test, hint_test_list_len(&b, 2), 1U);
	KUNIT_EXPECT_EQ(test, page_private(base + 4), 0UL);

	__free_pages(base, 3);
}

static void hint_test_accounting(struct kunit *test)
{
	struct page *buffer = hint_test_alloc(test, 2);
	struct page *hinted = hint_test_alloc(test, 1);
	struct hint_zone hz = { };
	unsigned int got, i;
	struct page *page;

	hint_buf_init(&hz.buf);
	hint_buf_add(&hz.buf, buffer, 2);
	hz.nr_owned = 4;

	/*
	 * A swap hands out as much buffer as the hinted chunk while the
	 * chunk is in flight: owned stays, free drops.
	 */
	page = hint_buf_take(&hz.buf, 1, &got);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, got, 1U);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_free, 2UL);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, 4UL);

	/* the report completes: the hinted chunk joins, owned == free */
	hint_buf_add(&hz.buf, hinted, 1);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_free, hz.nr_owned);

	/* drain without touching the free lists */
	while ((page = hint_buf_take(&hz.buf, 2, &got)))
		hz.nr_owned -= 1UL << got;
	KUNIT_EXPECT_EQ(test, hz.nr_owned, 0UL);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_free, 0UL);
	for (i = 0; i < NR_PAGE_ORDERS; i++)
		KUNIT_EXPECT_TRUE(test, list_empty(&hz.buf.free[i]));

	__free_pages(buffer, 2);
	__free_pages(hinted, 1);
}

static void hint_test_decide(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, hint_decide(512, 9, MIGRATE_MOVABLE, false),
			HINT_SWAP);
	KUNIT_EXPECT_EQ(test, hint_decide(1024, 9, MIGRATE_UNMOVABLE, true),
			HINT_SWAP);
	/* one page short: stock behaviour if its gate allows, else stop */
	KUNIT_EXPECT_EQ(test, hint_decide(511, 9, MIGRATE_MOVABLE, true),
			HINT_FALLBACK);
	KUNIT_EXPECT_EQ(test, hint_decide(511, 9, MIGRATE_MOVABLE, false),
			HINT_STOP);
	KUNIT_EXPECT_EQ(test, hint_decide(0, 9, MIGRATE_MOVABLE, false),
			HINT_STOP);
	/* highatomic is never buffered, however large the buffer */
	KUNIT_EXPECT_EQ(test, hint_decide(1UL << 20, 9, MIGRATE_HIGHATOMIC,
					  true), HINT_FALLBACK);
	KUNIT_EXPECT_EQ(test, hint_decide(1UL << 20, 9, MIGRATE_HIGHATOMIC,
					  false), HINT_STOP);
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

static struct kunit_case page_hinting_test_cases[] = {
	KUNIT_CASE(hint_test_merge_split),
	KUNIT_CASE(hint_test_no_false_merge),
	KUNIT_CASE(hint_test_pieces),
	KUNIT_CASE(hint_test_accounting),
	KUNIT_CASE(hint_test_decide),
	KUNIT_CASE(hint_test_share),
	KUNIT_CASE(hint_test_params),
	KUNIT_CASE(hint_test_resize_unregistered),
	KUNIT_CASE(hint_test_putback_reported),
	{}
};

static struct kunit_suite page_hinting_test_suite = {
	.name = "page_hinting",
	.test_cases = page_hinting_test_cases,
};

kunit_test_suite(page_hinting_test_suite);
