// SPDX-License-Identifier: GPL-2.0
/*
 * Reporting buffer for free page reporting: memory hotplug.
 *
 * Held blocks are PageOffline, so memory offlining can skip them as it
 * skips a balloon's pages, and a resize after any change of a zone's
 * managed pages spreads the buffer over the zones as they are now.
 */
#define pr_fmt(fmt) "page_reporting_buffer: " fmt

#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>

#include "../internal.h"
#include "internal.h"

#include <trace/events/page_reporting_buffer.h>

/*
 * Held blocks are PageOffline, so memory offlining can skip them as it
 * skips a balloon's pages: drop our reference, and offline_pages() leaves
 * them out of the managed pages it takes away, which they already are.
 * Until offlining ends they wait on hz->offlining: a cancelled offlining
 * hands them back to the buffer, a completed one forgets them.
 */
static unsigned long prb_offline_begin(struct zone *zone, struct prb_zone *hz,
				       unsigned long start, unsigned long end)
{
	unsigned long moved = 0, i;
	struct page *page, *next;

	spin_lock_irq(&zone->lock);
	list_for_each_entry_safe(page, next, &hz->buf.blocks, lru) {
		unsigned long pfn = page_to_pfn(page);

		if (pfn + PRB_BLOCK_PAGES <= start || pfn >= end)
			continue;
		list_move_tail(&page->lru, &hz->offlining);
		for (i = 0; i < PRB_BLOCK_PAGES; i++)
			page_ref_dec(page + i);
		moved += PRB_BLOCK_PAGES;
	}
	hz->buf.nr_held -= moved;
	hz->nr_owned -= moved;
	atomic_long_sub(moved, &prb_owned_total);
	spin_unlock_irq(&zone->lock);
	return moved;
}

static void prb_offline_end(struct zone *zone, struct prb_zone *hz,
			    bool cancelled)
{
	unsigned long moved = 0, i;
	struct page *page, *next;

	spin_lock_irq(&zone->lock);
	list_for_each_entry_safe(page, next, &hz->offlining, lru) {
		list_del(&page->lru);
		if (!cancelled)
			continue;
		for (i = 0; i < PRB_BLOCK_PAGES; i++)
			page_ref_inc(page + i);
		prb_buf_add(&hz->buf, page, PRB_BLOCK_ORDER);
		moved += PRB_BLOCK_PAGES;
	}
	hz->nr_owned += moved;
	atomic_long_add(moved, &prb_owned_total);
	spin_unlock_irq(&zone->lock);
	/* the device may have gone meanwhile: then nothing may stay held */
	if (moved)
		prb_shrink_zone(zone, hz);
}

static int prb_memory_callback(struct notifier_block *nb,
			       unsigned long action, void *arg)
{
	struct memory_notify *mn = arg;
	/* offline_pages() only takes ranges within one zone */
	struct zone *zone = page_zone(pfn_to_page(mn->start_pfn));
	struct prb_zone *hz;
	unsigned long moved;

	switch (action) {
	case MEM_GOING_OFFLINE:
		/* no chunk is out being reported while we hold the mutex */
		mutex_lock(&prb_mutex);
		hz = prb_zone_of(zone);
		moved = hz ? prb_offline_begin(zone, hz, mn->start_pfn,
						 mn->start_pfn + mn->nr_pages) : 0;
		if (moved) {
			pr_info("offlining takes %lu buffer pages in pfn %#lx-%#lx\n",
				moved, mn->start_pfn,
				mn->start_pfn + mn->nr_pages - 1);
			trace_page_reporting_buffer_resize(prb_requested,
							   prb_target,
							   prb_owned());
		}
		mutex_unlock(&prb_mutex);
		break;
	case MEM_OFFLINE:
	case MEM_CANCEL_OFFLINE:
		mutex_lock(&prb_mutex);
		hz = prb_zone_of(zone);
		if (hz)
			prb_offline_end(zone, hz, action == MEM_CANCEL_OFFLINE);
		mutex_unlock(&prb_mutex);
		fallthrough;
	case MEM_ONLINE:
		/*
		 * Managed pages changed: the owner resizes again, which
		 * spreads the buffer over the zones as they are now and
		 * refills what offlining took from it.
		 */
		mutex_lock(&prb_mutex);
		prb_notify_owner();
		mutex_unlock(&prb_mutex);
		break;
	}
	return NOTIFY_OK;
}

static int __init prb_hotplug_init(void)
{
	return hotplug_memory_notifier(prb_memory_callback,
				       DEFAULT_CALLBACK_PRI);
}
subsys_initcall(prb_hotplug_init);

#ifdef CONFIG_PAGE_REPORTING_BUFFER_KUNIT_TEST
#include "tests/hotplug-kunit.h"
#endif
