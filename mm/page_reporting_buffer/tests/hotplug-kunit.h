/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of memory offlining.  Included at the end of the file so
 * they reach its static helpers.
 */
#ifndef _MM_PAGE_REPORTING_BUFFER_HOTPLUG_KUNIT_H
#define _MM_PAGE_REPORTING_BUFFER_HOTPLUG_KUNIT_H

#include <kunit/test.h>

#include "common-kunit.h"

/*
 * Held memory is PageOffline with a reference; memory offlining gets it
 * without the reference and a cancelled offlining gives it back, with
 * the buffer's accounting following.  Uses a real free chunk of the
 * zone, given back as it was found.
 */
static void prb_test_offline(struct kunit *test)
{
	long total = atomic_long_read(&prb_owned_total);
	struct zone *zone = prb_test_zone(test);
	unsigned long pfn, nr, i, bad = 0;
	struct prb_zone hz = { };
	struct page *page = NULL;
	bool was_reported;
	unsigned int order;

	prb_buf_init(&hz.buf);
	INIT_LIST_HEAD(&hz.offlining);

	spin_lock_irq(&zone->lock);
	for (order = PRB_BLOCK_ORDER; !page && order <= MAX_PAGE_ORDER; order++)
		page = prb_test_isolate_lone(zone, order, &was_reported);
	if (!page) {
		spin_unlock_irq(&zone->lock);
		kunit_skip(test, "no free pageblock");
	}
	order--;
	nr = 1UL << order;
	prb_hold(page, order);
	prb_buf_add(&hz.buf, page, order);
	hz.nr_owned = nr;
	hz.target = nr;
	spin_unlock_irq(&zone->lock);
	pfn = page_to_pfn(page);

	for (i = 0; i < nr; i++)
		bad += !PageOffline(page + i) || page_count(page + i) != 1;
	KUNIT_EXPECT_EQ(test, bad, 0UL);

	/* a range next to the chunk takes nothing */
	KUNIT_EXPECT_EQ(test, prb_offline_begin(zone, &hz, pfn + nr,
						pfn + 2 * nr), 0UL);
	/* a range overlapping its first block takes that block */
	KUNIT_EXPECT_EQ(test, prb_offline_begin(zone, &hz, pfn, pfn + 1),
			PRB_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_held, nr - PRB_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, nr - PRB_BLOCK_PAGES);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&hz.offlining), 1U);
	for (i = 0, bad = 0; i < PRB_BLOCK_PAGES; i++)
		bad += !PageOffline(page + i) || page_count(page + i);
	KUNIT_EXPECT_EQ(test, bad, 0UL);

	/* cancelled: the block is held again */
	prb_offline_end(zone, &hz, true);
	KUNIT_EXPECT_EQ(test, hz.buf.nr_held, nr);
	KUNIT_EXPECT_EQ(test, hz.nr_owned, nr);
	KUNIT_EXPECT_TRUE(test, list_empty(&hz.offlining));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&prb_owned_total), total);
	for (i = 0, bad = 0; i < nr; i++)
		bad += !PageOffline(page + i) || page_count(page + i) != 1;
	KUNIT_EXPECT_EQ(test, bad, 0UL);

	spin_lock_irq(&zone->lock);
	while ((page = prb_buf_take(&hz.buf))) {
		prb_unhold(page, PRB_BLOCK_ORDER);
		prb_putback(page, PRB_BLOCK_ORDER, was_reported);
	}
	page = pfn_to_page(pfn);
	KUNIT_EXPECT_TRUE(test, PageBuddy(page));
	KUNIT_EXPECT_EQ(test, buddy_order(page), order);
	spin_unlock_irq(&zone->lock);
}

static struct kunit_case prb_hotplug_test_cases[] = {
	KUNIT_CASE(prb_test_offline),
	{}
};

static struct kunit_suite prb_hotplug_test_suite = {
	.name = "page_reporting_buffer_hotplug",
	.test_cases = prb_hotplug_test_cases,
};

kunit_test_suite(prb_hotplug_test_suite);

#endif /* _MM_PAGE_REPORTING_BUFFER_HOTPLUG_KUNIT_H */
