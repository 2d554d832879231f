// SPDX-License-Identifier: GPL-2.0
/*
 * Hinting buffer for free page reporting: its step in reporting.
 *
 * page_reporting_cycle() isolates each chunk through
 * page_hinting_isolate(), which pays for it with buffer memory of its
 * zone when it can; page_reporting_drain() lets page_hinting_drain_page()
 * settle the paid chunks; every report goes through page_hinting_report()
 * for counters and events.  Reports the device never completed are the
 * report callback's to keep (page_hinting_keep()).
 */
#define pr_fmt(fmt) "page_hinting: " fmt

#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page_hinting.h>
#include <linux/scatterlist.h>

#include "../internal.h"
#include "../page_reporting.h"
#include "../page_hinting.h"
#include "internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/page_hinting.h>

enum hint_action {
	HINT_SWAP,
	HINT_FALLBACK,
	HINT_STOP,
};

atomic_long_t hint_counters[HINT_COUNTERS];
/* what the buffer held when the running pass began */
static unsigned long hint_pass_held;
/* chunks of the batch being filled that the buffer paid for */
static unsigned int hint_batch_paid;

static bool hint_mt_bufferable(int mt)
{
	/*
	 * Highatomic reserves and CMA must stay available to their users;
	 * a buffer chunk stays isolated for as long as the host lends it.
	 */
	return mt < MIGRATE_PCPTYPES;
}

static enum page_hinting_reason
hint_fallback_reason(unsigned int order, int mt)
{
	if (!hint_mt_bufferable(mt))
		return PAGE_HINTING_MIGRATETYPE;
	return order < HINT_BLOCK_ORDER ? PAGE_HINTING_ORDER : PAGE_HINTING_SHORT;
}

/*
 * Only chunks of at least a pageblock are paid for: the buffer pays in
 * whole blocks.  That is every chunk at the default page_reporting_order;
 * a lower order set by the user reports its smaller chunks as stock does.
 */
static enum hint_action hint_decide(unsigned long buf_free, unsigned int order,
				    int mt, bool stock_gate_ok)
{
	if (hint_mt_bufferable(mt) && order >= HINT_BLOCK_ORDER &&
	    buf_free >= (1UL << order))
		return HINT_SWAP;
	return stock_gate_ok ? HINT_FALLBACK : HINT_STOP;
}

static bool hint_stock_gate_ok(struct zone *zone)
{
	unsigned long wmark = low_wmark_pages(zone) +
		(READ_ONCE(hint_capacity) << page_reporting_order);

	return zone_watermark_ok(zone, 0, wmark, 0, ALLOC_CMA);
}

/* enabled, the registered device, a non-zero target */
static bool page_hinting_active(struct page_reporting_dev_info *prdev)
{
	return READ_ONCE(hint_enabled) && READ_ONCE(hint_prdev) == prdev &&
	       READ_ONCE(hint_target);
}

/* --- reporting -------------------------------------------------------- */

static void hint_inflight_add(long bytes)
{
	long now = atomic_long_add_return(bytes, &hint_counters[HINT_IN_FLIGHT_BYTES]);
	long peak = hint_count(HINT_IN_FLIGHT_PEAK_BYTES);

	while (now > peak &&
	       !atomic_long_try_cmpxchg(&hint_counters[HINT_IN_FLIGHT_PEAK_BYTES], &peak, now))
		;
}

/**
 * page_hinting_keep() - Keep the chunks of a report the device still holds.
 * @sgl: the report, as passed to the report callback.
 * @nents: its entries.
 * @kept: the caller's list to move the chunks to.
 *
 * A report callback whose device may still use the pages after the
 * callback gave up waiting for it (a stuck device) takes the chunks out
 * of the report before it returns: the drain then puts back nothing the
 * host may yet discard.  Ownership is explicit, so a callback that only
 * returns an error, whatever the error, gets its chunks put back as stock
 * reporting does.  The chunks stay on @kept (order in page_private()),
 * neither free nor in a buffer, until the caller knows the device let go
 * of them and calls page_hinting_return_kept().  A paid chunk's payment
 * stays in the free lists.  Context: the report callback only.
 *
 * Return: the pages taken.
 */
unsigned long page_hinting_keep(struct scatterlist *sgl, unsigned int nents,
				struct list_head *kept)
{
	unsigned long pages = 0;
	struct scatterlist *sg;
	int i;

	lockdep_assert_held(&hint_mutex);
	for_each_sg(sgl, sg, nents, i) {
		struct page *page = sg_page(sg);
		unsigned int order = get_order(sg->length);

		if (!page)
			continue;
		if (page_private(page) == HINT_PAID) {
			struct zone *zone = page_zone(page);

			spin_lock_irq(&zone->lock);
			hint_owned_add(zone, hint_zone_of(zone), -(1L << order));
			spin_unlock_irq(&zone->lock);
		}
		set_page_private(page, order);
		list_add_tail(&page->lru, kept);
		sg_assign_page(sg, NULL);
		pages += 1UL << order;
	}
	hint_count_add(HINT_KEPT_PAGES, pages);
	return pages;
}
EXPORT_SYMBOL_GPL(page_hinting_keep);

/**
 * page_hinting_return_kept() - Free what page_hinting_keep() kept.
 * @kept: the list page_hinting_keep() filled.
 *
 * For when the device let go of the chunks (it completed the report, or
 * was reset): they go back to the free lists.  Context: process.
 *
 * Return: the pages given back.
 */
unsigned long page_hinting_return_kept(struct list_head *kept)
{
	struct page *page, *next;
	unsigned long pages = 0;

	mutex_lock(&hint_mutex);
	list_for_each_entry_safe(page, next, kept, lru) {
		unsigned int order = page_private(page);
		struct zone *zone = page_zone(page);

		list_del(&page->lru);
		set_page_private(page, 0);
		spin_lock_irq(&zone->lock);
		hint_putback(page, order, false);
		spin_unlock_irq(&zone->lock);
		pages += 1UL << order;
	}
	hint_count_add(HINT_KEPT_PAGES, -(long)pages);
	mutex_unlock(&hint_mutex);
	return pages;
}
EXPORT_SYMBOL_GPL(page_hinting_return_kept);

/*
 * Every report of the reporting pass, stock or compensated, goes through
 * here so that counters and events cover all of free page reporting.
 */
static int hint_report_sg(struct page_reporting_dev_info *prdev,
			  struct scatterlist *sgl, unsigned int nents,
			  unsigned int npaid)
{
	struct zone *zone = page_zone(sg_page(sgl));
	unsigned int order = get_order(sgl->length);
	struct scatterlist *sg;
	long bytes = 0;
	int err, i;

	for_each_sg(sgl, sg, nents, i)
		bytes += sg->length;

	hint_count_add(HINT_BATCHES, 1);
	trace_page_hinting_batch_start(zone, order, nents, npaid);
	hint_inflight_add(bytes);

	err = prdev->report(prdev, sgl, nents);

	hint_count_add(HINT_IN_FLIGHT_BYTES, -bytes);
	if (err) {
		hint_count_add(HINT_FAILED_CHUNKS, nents);
	} else {
		hint_count_add(HINT_HINTED_CHUNKS, nents);
		hint_count_add(HINT_HINTED_BYTES, bytes);
	}
	trace_page_hinting_batch_end(zone, order, nents, npaid, err);
	return err;
}

int page_hinting_report(struct page_reporting_dev_info *prdev,
			struct scatterlist *sgl, unsigned int nents)
{
	unsigned int paid = hint_batch_paid;

	hint_batch_paid = 0;
	return hint_report_sg(prdev, sgl, nents, paid);
}

/*
 * The compensation step of page_reporting_cycle().  While a buffer is
 * active, each chunk the walk would isolate is first decided on: a chunk
 * of at least a pageblock on a bufferable list is paid for with as much
 * buffer of its zone (a swap), anything else is isolated as stock does if
 * the stock gate allows (a fallback) or left alone.  Paid chunks carry
 * HINT_PAID in page_private() until the drain settles them.
 */

/* The zone may be walked though below the stock gate: swaps cost nothing */
bool page_hinting_zone_ok(struct page_reporting_dev_info *prdev,
			  struct zone *zone)
{
	struct hint_zone *hz = hint_zone_of(zone);

	return page_hinting_active(prdev) && hz &&
	       hz->buf.nr_free >= HINT_BLOCK_PAGES;
}

/*
 * Report the batch before the next chunk: it holds capacity chunks, or
 * the buffer is out with it and the next chunk would not be paid for.
 * Better to let the hinted chunks refill the buffer than to isolate
 * memory nobody pays for.
 */
bool page_hinting_batch_full(struct page_reporting_dev_info *prdev,
			     struct zone *zone, unsigned int order, int mt,
			     unsigned int nents)
{
	struct hint_zone *hz = hint_zone_of(zone);

	if (!page_hinting_active(prdev))
		return false;
	if (nents >= READ_ONCE(hint_capacity))
		return true;
	return hint_batch_paid &&
	       hint_decide(hz ? hz->buf.nr_free : 0, order, mt,
			   hint_stock_gate_ok(zone)) != HINT_SWAP;
}

/*
 * Isolate @page for reporting, paying for it first when the buffer can.
 * Pay before isolating so free memory never dips, unless the payment
 * could merge with @page or the zone is so low that the isolation might
 * still fail after paying.  A payment may merge with any free chunk of
 * the list, so @page goes to the head first and *@restart tells the walk
 * to go on from the head.  Called under zone->lock.
 */
bool page_hinting_isolate(struct page_reporting_dev_info *prdev,
			  struct zone *zone, struct page *page,
			  unsigned int order, int mt, bool *restart)
{
	struct list_head *list = &zone->free_area[order].free_list[mt];
	struct hint_zone *hz = hint_zone_of(zone);
	enum hint_action action;
	LIST_HEAD(pieces);
	bool early;

	*restart = false;
	if (!page_hinting_active(prdev))
		return __isolate_free_page(page, order);

	action = hint_decide(hz ? hz->buf.nr_free : 0, order, mt,
			     hint_stock_gate_ok(zone));
	if (action == HINT_STOP)
		return false;
	if (action == HINT_FALLBACK) {
		if (!__isolate_free_page(page, order))
			return false;
		hint_count_add(HINT_FALLBACKS, 1);
		trace_page_hinting_fallback(zone, page_to_pfn(page), order,
					    hz ? hz->buf.nr_free : 0,
					    hint_fallback_reason(order, mt));
		return true;
	}

	if (!list_is_first(&page->lru, list))
		list_rotate_to_front(&page->lru, list);
	*restart = true;
	hint_buf_take_pieces(&hz->buf, 1UL << order, &pieces);
	early = !hint_pieces_near(&pieces, page_to_pfn(page), order) &&
		zone_watermark_ok(zone, 0, min_wmark_pages(zone), 0, ALLOC_CMA);
	if (early)
		hint_pieces_release(&pieces);

	if (!__isolate_free_page(page, order)) {
		/* paid for nothing: that much buffer is gone */
		if (early)
			hint_owned_add(zone, hz, -(1L << order));
		else
			hint_pieces_return(&hz->buf, &pieces);
		return false;
	}
	if (!early)
		hint_pieces_release(&pieces);
	set_page_private(page, HINT_PAID);
	hint_batch_paid++;
	hint_count_add(HINT_SWAPS, 1);
	trace_page_hinting_swap(zone, page_to_pfn(page), order,
				hz->buf.nr_free);
	return true;
}

/*
 * Settle a reported chunk in page_reporting_drain(): a chunk the buffer
 * paid for joins it if the device discarded it (true: the drain must not
 * put it back); if the report failed, its payment stays in the free
 * lists and the buffer is that much smaller.  No page_offline_begin()
 * for the type change: the host discarded the chunk while it was free,
 * and a reader may read a reported free page (it gets zeroes or the old
 * data), so a reader racing the change reads nothing it must not.
 * Called under zone->lock.
 */
bool page_hinting_drain_page(struct page *page, unsigned int order,
			     bool reported)
{
	struct zone *zone = page_zone(page);
	struct hint_zone *hz;

	if (page_private(page) != HINT_PAID)
		return false;
	set_page_private(page, 0);
	hz = hint_zone_of(zone);
	if (!reported) {
		hint_owned_add(zone, hz, -(1L << order));
		return false;
	}
	hint_hold(page, order);
	hint_buf_add(&hz->buf, page, order);
	return true;
}

/* Reports of a pass and of a resize share one device queue: never overlap */
void page_hinting_pass_begin(void)
{
	mutex_lock(&hint_mutex);
	hint_pass_held = hint_held();
	hint_batch_paid = 0;
}

/*
 * A swap leaves the buffer's size alone; a failed report, or a failed
 * isolation after paying, leaves the payment in the free lists and so
 * shrinks it.  The device must hear of that, as of any resize it did not
 * ask for.
 */
void page_hinting_pass_end(void)
{
	/* only a failure changes the buffer's size, and managed pages with it */
	if (hint_held() != hint_pass_held) {
		hint_wmarks_stale = true;
		hint_notify_owner();
	}
	hint_unlock();
}

unsigned long page_hinting_delay(void)
{
	unsigned long ms = READ_ONCE(hint_delay_ms);

	if (!ms)
		ms = hint_held() ? HINT_DELAY_BUFFER_MS : HINT_DELAY_STOCK_MS;
	return msecs_to_jiffies(ms);
}

/**
 * page_hinting_report_timeout() - How long a report callback may wait.
 *
 * Return: the page_hinting.report_timeout_ms tunable, in jiffies.  A
 * callback that gives up after it keeps the report, see
 * page_hinting_keep().
 */
unsigned long page_hinting_report_timeout(void)
{
	return msecs_to_jiffies(READ_ONCE(hint_timeout_ms));
}
EXPORT_SYMBOL_GPL(page_hinting_report_timeout);

#ifdef CONFIG_PAGE_HINTING_KUNIT_TEST
#include "tests/report-kunit.h"
#endif
