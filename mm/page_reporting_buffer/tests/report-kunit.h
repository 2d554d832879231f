/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the reporting step.  Included at the end of the file so
 * they reach its static helpers.
 */
#ifndef _MM_PAGE_REPORTING_BUFFER_REPORT_KUNIT_H
#define _MM_PAGE_REPORTING_BUFFER_REPORT_KUNIT_H

#include <kunit/test.h>
#include <linux/initrd.h>

#include "common-kunit.h"

static void prb_test_decide(struct kunit *test)
{
	const unsigned int o = PRB_BLOCK_ORDER;
	const unsigned long n = 1UL << o;

	KUNIT_EXPECT_EQ(test, prb_decide(n, o, MIGRATE_MOVABLE, false),
			PRB_SWAP);
	KUNIT_EXPECT_EQ(test, prb_decide(2 * n, o, MIGRATE_UNMOVABLE, true),
			PRB_SWAP);
	/* one page short: stock behaviour if its gate allows, else stop */
	KUNIT_EXPECT_EQ(test, prb_decide(n - 1, o, MIGRATE_MOVABLE, true),
			PRB_FALLBACK);
	KUNIT_EXPECT_EQ(test, prb_decide(n - 1, o, MIGRATE_MOVABLE, false),
			PRB_STOP);
	KUNIT_EXPECT_EQ(test, prb_decide(0, o, MIGRATE_MOVABLE, false),
			PRB_STOP);
	/* highatomic is never buffered, however large the buffer */
	KUNIT_EXPECT_EQ(test, prb_decide(1UL << 20, o, MIGRATE_HIGHATOMIC,
					 true), PRB_FALLBACK);
	KUNIT_EXPECT_EQ(test, prb_decide(1UL << 20, o, MIGRATE_HIGHATOMIC,
					 false), PRB_STOP);
	/* the buffer pays in whole pageblocks only */
	KUNIT_EXPECT_EQ(test, prb_decide(1UL << 20, o - 1, MIGRATE_MOVABLE,
					 true), PRB_FALLBACK);
	KUNIT_EXPECT_EQ(test, prb_fallback_reason(o - 1, MIGRATE_MOVABLE),
			PRB_REASON_ORDER);
}

/* Clear PageReported on the free block holding @pfn; under zone->lock */
static void prb_test_unreport(unsigned long pfn)
{
	unsigned int o;

	for (o = 0; o <= MAX_PAGE_ORDER; o++) {
		struct page *head = pfn_to_page(pfn & ~((1UL << o) - 1));

		if (PageBuddy(head) && buddy_order(head) == o) {
			if (PageReported(head))
				__ClearPageReported(head);
			return;
		}
	}
}

/*
 * The walk's step on a real free block of a zone: with one pageblock held
 * as buffer, isolating another free chunk pays with it (the block goes
 * back to the free lists); a completed report settles the chunk into the
 * buffer, a failed one leaves the payment in the free lists and the
 * buffer that much smaller.  Runs only where no reporting device ever
 * registered (so nothing is legitimately PageReported), and leaves the
 * zone's managed pages and the global state as it found them.
 */
static void prb_test_walk(struct kunit *test)
{
	struct page_reporting_dev_info prdev = { };
	struct zone *zone = prb_test_zone(test);
	unsigned long managed;
	unsigned long swaps = prb_count(PRB_SWAPS), done = 0;
	struct list_head *list;
	struct page *block, *chunk, *page;
	struct prb_zone *hz;
	unsigned long buf_free, owned, settled_free, settled_owned, private;
	enum page_reporting_buffer_step step, full, out;
	bool isolated, paid, block_free, chunk_free, settled;
	bool offline, merged;
	int pass, mt;

	/*
	 * Built in, this runs while the initramfs is still being unpacked
	 * asynchronously, and freeing the initrd raises managed pages under
	 * the test's feet.  Let it finish, so only this test can move them.
	 */
	wait_for_initramfs();
	managed = zone_managed_pages(zone);

	mutex_lock(&prb_mutex);
	if (prb_prdev || static_branch_unlikely(&page_reporting_enabled)) {
		mutex_unlock(&prb_mutex);
		kunit_skip(test, "a reporting device is registered");
	}
	hz = prb_zone_get(zone);
	if (!hz) {
		mutex_unlock(&prb_mutex);
		kunit_skip(test, "no memory for the zone's buffer");
	}
	WRITE_ONCE(prb_prdev, &prdev);
	WRITE_ONCE(prb_target, PRB_BLOCK_PAGES);
	list = &zone->free_area[MAX_PAGE_ORDER].free_list[MIGRATE_MOVABLE];

	for (pass = 0; pass < 2; pass++) {
		bool completed = pass == 0;

		/*
		 * A free block of the largest order split in two: the low
		 * pageblock is held as the buffer, the high one goes back to
		 * the free lists as the chunk to report (its buddy held, it
		 * stays a pageblock).  Boot leaves few free pageblocks.
		 */
		spin_lock_irq(&zone->lock);
		block = list_first_entry_or_null(list, struct page, buddy_list);
		if (!block || !__isolate_free_page(block, MAX_PAGE_ORDER)) {
			spin_unlock_irq(&zone->lock);
			break;
		}
		chunk = block + PRB_BLOCK_PAGES;
		mt = get_pageblock_migratetype(chunk);
		__putback_isolated_page(chunk, PRB_BLOCK_ORDER, mt);
		prb_hold(block, PRB_BLOCK_ORDER);
		prb_buf_add(&hz->buf, block, PRB_BLOCK_ORDER);
		prb_owned_add(zone, hz, PRB_BLOCK_PAGES);

		/* checked after the lock: a failing check may sleep */
		full = page_reporting_buffer_isolate(&prdev, zone, chunk,
						     PRB_BLOCK_ORDER, mt, 0);
		step = page_reporting_buffer_isolate(&prdev, zone, chunk,
						     PRB_BLOCK_ORDER, mt,
						     PAGE_REPORTING_CAPACITY);
		isolated = step == PRB_STEP_ISOLATED ||
			   step == PRB_STEP_RESTART;
		/* the buffer is out with the batch: report it first */
		out = page_reporting_buffer_isolate(&prdev, zone, chunk,
						    PRB_BLOCK_ORDER, mt,
						    PAGE_REPORTING_CAPACITY - 1);
		paid = page_private(chunk) == PRB_PAID;
		buf_free = hz->buf.nr_held;
		owned = hz->nr_owned;
		block_free = is_free_buddy_page(block);
		chunk_free = is_free_buddy_page(chunk);
		settled = isolated &&
			  page_reporting_buffer_drain_page(chunk, PRB_BLOCK_ORDER,
							   completed);
		settled_free = hz->buf.nr_held;
		settled_owned = hz->nr_owned;
		offline = PageOffline(chunk);
		if (isolated && !settled)
			__putback_isolated_page(chunk, PRB_BLOCK_ORDER, mt);
		private = page_private(chunk);

		while ((page = prb_buf_take(&hz->buf))) {
			prb_owned_add(zone, hz, -(long)PRB_BLOCK_PAGES);
			prb_unhold(page, PRB_BLOCK_ORDER);
			prb_putback(page, PRB_BLOCK_ORDER, false);
		}
		/* the halves merged again: no trace of the test is left */
		prb_test_unreport(page_to_pfn(block));
		merged = PageBuddy(block) && buddy_order(block) == MAX_PAGE_ORDER;
		spin_unlock_irq(&zone->lock);

		KUNIT_EXPECT_EQ(test, full, PRB_STEP_REPORT);
		KUNIT_EXPECT_EQ(test, step, PRB_STEP_RESTART);
		KUNIT_EXPECT_EQ(test, out, PRB_STEP_REPORT);
		KUNIT_EXPECT_TRUE(test, paid);
		KUNIT_EXPECT_EQ(test, buf_free, 0UL);
		KUNIT_EXPECT_EQ(test, owned, PRB_BLOCK_PAGES);
		KUNIT_EXPECT_TRUE(test, block_free);
		KUNIT_EXPECT_FALSE(test, chunk_free);
		/* completed: the chunk joins the buffer; failed: it shrinks */
		KUNIT_EXPECT_EQ(test, settled, completed);
		KUNIT_EXPECT_EQ(test, offline, completed);
		KUNIT_EXPECT_EQ(test, settled_free,
				completed ? PRB_BLOCK_PAGES : 0UL);
		KUNIT_EXPECT_EQ(test, settled_owned,
				completed ? PRB_BLOCK_PAGES : 0UL);
		KUNIT_EXPECT_EQ(test, private, 0UL);
		KUNIT_EXPECT_TRUE(test, merged);
		KUNIT_EXPECT_EQ(test, hz->nr_owned, 0UL);
		KUNIT_EXPECT_EQ(test, zone_managed_pages(zone), managed);
		done++;
	}

	WRITE_ONCE(prb_target, 0);
	WRITE_ONCE(prb_prdev, NULL);
	prb_batch_paid = 0;
	mutex_unlock(&prb_mutex);
	if (!done)
		kunit_skip(test, "no free block of the largest order");
	KUNIT_EXPECT_EQ(test, prb_count(PRB_SWAPS) - swaps, done);
}

static struct kunit_case prb_report_test_cases[] = {
	KUNIT_CASE(prb_test_decide),
	KUNIT_CASE(prb_test_walk),
	{}
};

static struct kunit_suite prb_report_test_suite = {
	.name = "page_reporting_buffer_report",
	.test_cases = prb_report_test_cases,
};

kunit_test_suite(prb_report_test_suite);

#endif /* _MM_PAGE_REPORTING_BUFFER_REPORT_KUNIT_H */
