/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the reporting buffer's KUnit tests.  The buffer helpers only
 * touch page->lru and pfns, so ordinary allocated pages stand in for
 * isolated chunks; tests of the free lists use real free chunks and give
 * them back as they found them.
 */
#ifndef _MM_PAGE_REPORTING_BUFFER_COMMON_KUNIT_H
#define _MM_PAGE_REPORTING_BUFFER_COMMON_KUNIT_H

#include <kunit/test.h>

static inline struct page *prb_test_alloc(struct kunit *test,
					  unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);

	KUNIT_ASSERT_NOT_NULL(test, page);
	return page;
}

/* The zone ordinary kernel allocations come from */
static inline struct zone *prb_test_zone(struct kunit *test)
{
	struct page *probe = prb_test_alloc(test, 0);
	struct zone *zone = page_zone(probe);

	__free_page(probe);
	return zone;
}

/*
 * A free order-@order block of @zone whose buddy is not free, isolated
 * and split in two halves.  Under zone->lock.
 */
static inline struct page *
prb_test_isolate_lone(struct zone *zone, unsigned int order, bool *reported)
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
 * Two isolated free buddies of @order, the low one returned and the high
 * one in *@buddy, cut from the smallest larger free block of @zone's
 * movable lists; the rest of that block goes back.  Boot leaves few free
 * blocks of low orders.  Under zone->lock.
 */
static inline struct page *
prb_test_isolate_pair(struct zone *zone, unsigned int order,
		      struct page **buddy)
{
	struct page *page = NULL, *piece;
	unsigned int k, o;

	for (k = order + 1; !page && k <= MAX_PAGE_ORDER; k++) {
		page = list_first_entry_or_null(&zone->free_area[k].free_list[MIGRATE_MOVABLE],
						struct page, buddy_list);
		if (page && !__isolate_free_page(page, k))
			page = NULL;
	}
	if (!page)
		return NULL;
	for (o = k - 2; o > order; o--) {
		piece = page + (1UL << o);
		__putback_isolated_page(piece, o,
					get_pageblock_migratetype(piece));
	}
	*buddy = page + (1UL << order);
	return page;
}

#endif /* _MM_PAGE_REPORTING_BUFFER_COMMON_KUNIT_H */
