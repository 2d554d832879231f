// SPDX-License-Identifier: GPL-2.0
/*
 * Reporting buffer for free page reporting: its step in reporting.
 *
 * page_reporting_cycle() isolates each chunk through
 * page_reporting_buffer_isolate(), which pays for it with buffer memory
 * of its zone when it can; page_reporting_drain() lets
 * page_reporting_buffer_drain_page() settle the paid chunks; every report
 * goes through page_reporting_buffer_report() for counters and events.
 * Reports the device never completed are the report callback's to keep
 * (page_reporting_buffer_keep()).
 */
#define pr_fmt(fmt) "page_reporting_buffer: " fmt

#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page_reporting_buffer.h>
#include <linux/scatterlist.h>

#include "../internal.h"
#include "../page_reporting.h"
#include "../page_reporting_buffer.h"
#include "internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/page_reporting_buffer.h>

enum prb_action {
	PRB_SWAP,
	PRB_FALLBACK,
	PRB_STOP,
};

atomic_long_t prb_counters[PRB_COUNTERS];
/* what the buffer owned when the running pass began */
static unsigned long prb_pass_owned;
/* chunks of the batch being filled that the buffer paid for */
static unsigned int prb_batch_paid;

static bool prb_mt_bufferable(int mt)
{
	/*
	 * Highatomic reserves and CMA must stay available to their users;
	 * a buffer chunk stays isolated for as long as the host lends it.
	 */
	return mt < MIGRATE_PCPTYPES;
}

static enum prb_reason
prb_fallback_reason(unsigned int order, int mt)
{
	if (!prb_mt_bufferable(mt))
		return PRB_REASON_MIGRATETYPE;
	return order < PRB_BLOCK_ORDER ? PRB_REASON_ORDER : PRB_REASON_SHORT;
}

/*
 * Only chunks of at least a pageblock are paid for: the buffer pays in
 * whole blocks.  That is every chunk at the default page_reporting_order;
 * a lower order set by the user reports its smaller chunks as stock does.
 */
static enum prb_action prb_decide(unsigned long buf_free, unsigned int order,
				  int mt, bool stock_gate_ok)
{
	if (prb_mt_bufferable(mt) && order >= PRB_BLOCK_ORDER &&
	    buf_free >= (1UL << order))
		return PRB_SWAP;
	return stock_gate_ok ? PRB_FALLBACK : PRB_STOP;
}

static bool prb_stock_gate_ok(struct zone *zone)
{
	unsigned long wmark = low_wmark_pages(zone) +
		(READ_ONCE(prb_capacity) << page_reporting_order);

	return zone_watermark_ok(zone, 0, wmark, 0, ALLOC_CMA);
}

/* enabled, the registered device, a non-zero target */
static bool page_reporting_buffer_active(struct page_reporting_dev_info *prdev)
{
	return READ_ONCE(prb_enabled) && READ_ONCE(prb_prdev) == prdev &&
	       READ_ONCE(prb_target);
}

/* --- reporting -------------------------------------------------------- */

static void prb_inflight_add(long bytes)
{
	long now = atomic_long_add_return(bytes, &prb_counters[PRB_IN_FLIGHT_BYTES]);
	long peak = prb_count(PRB_IN_FLIGHT_PEAK_BYTES);

	while (now > peak &&
	       !atomic_long_try_cmpxchg(&prb_counters[PRB_IN_FLIGHT_PEAK_BYTES], &peak, now))
		;
}

/**
 * page_reporting_buffer_keep() - Keep a report the device still holds.
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
 * of them and calls page_reporting_buffer_return_kept().  A paid
 * chunk's payment stays in the free lists.  Context: the report callback only.
 *
 * Return: the pages taken.
 */
unsigned long page_reporting_buffer_keep(struct scatterlist *sgl,
					 unsigned int nents,
					 struct list_head *kept)
{
	unsigned long pages = 0;
	struct scatterlist *sg;
	int i;

	lockdep_assert_held(&prb_mutex);
	for_each_sg(sgl, sg, nents, i) {
		struct page *page = sg_page(sg);
		unsigned int order = get_order(sg->length);

		if (!page)
			continue;
		if (page_private(page) == PRB_PAID) {
			struct zone *zone = page_zone(page);

			spin_lock_irq(&zone->lock);
			prb_owned_add(zone, prb_zone_of(zone), -(1L << order));
			spin_unlock_irq(&zone->lock);
		}
		set_page_private(page, order);
		list_add_tail(&page->lru, kept);
		sg_assign_page(sg, NULL);
		pages += 1UL << order;
	}
	prb_count_add(PRB_KEPT_PAGES, pages);
	return pages;
}
EXPORT_SYMBOL_GPL(page_reporting_buffer_keep);

/**
 * page_reporting_buffer_return_kept() - Free what was kept.
 * @kept: the list page_reporting_buffer_keep() filled.
 *
 * For when the device let go of the chunks (it completed the report, or
 * was reset): they go back to the free lists.  Context: process.
 *
 * Return: the pages given back.
 */
unsigned long page_reporting_buffer_return_kept(struct list_head *kept)
{
	struct page *page, *next;
	unsigned long pages = 0;

	mutex_lock(&prb_mutex);
	list_for_each_entry_safe(page, next, kept, lru) {
		unsigned int order = page_private(page);
		struct zone *zone = page_zone(page);

		list_del(&page->lru);
		set_page_private(page, 0);
		spin_lock_irq(&zone->lock);
		prb_putback(page, order, false);
		spin_unlock_irq(&zone->lock);
		pages += 1UL << order;
	}
	prb_count_add(PRB_KEPT_PAGES, -(long)pages);
	mutex_unlock(&prb_mutex);
	return pages;
}
EXPORT_SYMBOL_GPL(page_reporting_buffer_return_kept);

/*
 * Every report of the reporting pass, stock or compensated, goes through
 * here so that counters and events cover all of free page reporting.
 */
static int prb_report_sg(struct page_reporting_dev_info *prdev,
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

	prb_count_add(PRB_BATCHES, 1);
	trace_page_reporting_buffer_batch_start(zone, order, nents, npaid);
	prb_inflight_add(bytes);

	err = prdev->report(prdev, sgl, nents);

	prb_count_add(PRB_IN_FLIGHT_BYTES, -bytes);
	if (err) {
		prb_count_add(PRB_FAILED_CHUNKS, nents);
	} else {
		prb_count_add(PRB_REPORTED_CHUNKS, nents);
		prb_count_add(PRB_REPORTED_BYTES, bytes);
	}
	trace_page_reporting_buffer_batch_end(zone, order, nents, npaid, err);
	return err;
}

int page_reporting_buffer_report(struct page_reporting_dev_info *prdev,
				 struct scatterlist *sgl, unsigned int nents)
{
	unsigned int paid = prb_batch_paid;

	prb_batch_paid = 0;
	return prb_report_sg(prdev, sgl, nents, paid);
}

/*
 * The compensation step of page_reporting_cycle().  While a buffer is
 * active, each chunk the walk would isolate is first decided on: a chunk
 * of at least a pageblock on a bufferable list is paid for with as much
 * buffer of its zone (a swap), anything else is isolated as stock does if
 * the stock gate allows (a fallback) or left alone.  Paid chunks carry
 * PRB_PAID in page_private() until the drain settles them.
 */

/* The zone may be walked though below the stock gate: swaps cost nothing */
bool page_reporting_buffer_zone_ok(struct page_reporting_dev_info *prdev,
				   struct zone *zone)
{
	struct prb_zone *hz = prb_zone_of(zone);

	return page_reporting_buffer_active(prdev) && hz &&
	       hz->buf.nr_held >= PRB_BLOCK_PAGES;
}

/**
 * page_reporting_buffer_isolate() - Decide on, and isolate, a chunk.
 * @prdev: the reporting device
 * @zone: the zone of @page, locked
 * @page: a free chunk not yet reported
 * @order: its order
 * @mt: the migratetype of its free list
 * @room: entries left in the batch, 0 when it is full
 *
 * One decision per chunk, as it takes a watermark check under zone->lock.
 * The batch is reported before @page when it is full, when it holds
 * capacity chunks, or when the buffer is out with it and @page would not
 * be paid for: better to let the reported chunks refill the buffer than
 * to isolate memory nobody pays for.  Otherwise @page is paid for first when the buffer
 * can (a swap), else isolated as stock does if the stock gate allows (a
 * fallback), else left.  Pay before isolating so free memory never dips,
 * unless the payment could merge with @page or the zone is so low that
 * the isolation might still fail after paying.  A payment may merge with
 * any free chunk of the list, so @page goes to the head first and the
 * walk goes on from there.
 *
 * Return: what page_reporting_cycle() does next.
 */
enum page_reporting_buffer_step
page_reporting_buffer_isolate(struct page_reporting_dev_info *prdev,
			      struct zone *zone, struct page *page,
			      unsigned int order, int mt, unsigned int room)
{
	struct list_head *list = &zone->free_area[order].free_list[mt];
	struct prb_zone *hz = prb_zone_of(zone);
	enum prb_action action;
	enum prb_reason why;
	LIST_HEAD(pieces);
	bool early;

	if (!room)
		return PRB_STEP_REPORT;
	if (!page_reporting_buffer_active(prdev))
		return __isolate_free_page(page, order) ? PRB_STEP_ISOLATED :
							   PRB_STEP_STOP;
	if (PAGE_REPORTING_CAPACITY - room >= READ_ONCE(prb_capacity))
		return PRB_STEP_REPORT;

	action = prb_decide(hz ? hz->buf.nr_held : 0, order, mt,
			    prb_stock_gate_ok(zone));
	if (action != PRB_SWAP && prb_batch_paid)
		return PRB_STEP_REPORT;
	if (action == PRB_STOP)
		return PRB_STEP_STOP;
	if (action == PRB_FALLBACK) {
		if (!__isolate_free_page(page, order))
			return PRB_STEP_STOP;
		why = prb_fallback_reason(order, mt);
		prb_count_add(PRB_FALLBACKS, 1);
		trace_page_reporting_buffer_fallback(zone, page_to_pfn(page),
						     order,
						     hz ? hz->buf.nr_held : 0,
						     why);
		return PRB_STEP_ISOLATED;
	}

	if (!list_is_first(&page->lru, list))
		list_rotate_to_front(&page->lru, list);
	prb_buf_take_pieces(&hz->buf, 1UL << order, &pieces);
	early = !prb_pieces_near(&pieces, page_to_pfn(page), order) &&
		zone_watermark_ok(zone, 0, min_wmark_pages(zone), 0, ALLOC_CMA);
	if (early)
		prb_pieces_release(&pieces);

	if (!__isolate_free_page(page, order)) {
		/* paid for nothing: that much buffer is gone */
		if (early)
			prb_owned_add(zone, hz, -(1L << order));
		else
			prb_pieces_return(&hz->buf, &pieces);
		return PRB_STEP_STOP;
	}
	if (!early)
		prb_pieces_release(&pieces);
	set_page_private(page, PRB_PAID);
	prb_batch_paid++;
	prb_count_add(PRB_SWAPS, 1);
	trace_page_reporting_buffer_swap(zone, page_to_pfn(page), order,
					 hz->buf.nr_held);
	return PRB_STEP_RESTART;
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
bool page_reporting_buffer_drain_page(struct page *page, unsigned int order,
				      bool reported)
{
	struct zone *zone = page_zone(page);
	struct prb_zone *hz;

	if (page_private(page) != PRB_PAID)
		return false;
	set_page_private(page, 0);
	hz = prb_zone_of(zone);
	if (!reported) {
		prb_owned_add(zone, hz, -(1L << order));
		return false;
	}
	prb_hold(page, order);
	prb_buf_add(&hz->buf, page, order);
	return true;
}

/* Reports of a pass and of a resize share one device queue: never overlap */
void page_reporting_buffer_pass_begin(void)
{
	mutex_lock(&prb_mutex);
	prb_pass_owned = prb_owned();
	prb_batch_paid = 0;
}

/*
 * A swap leaves the buffer's size alone; a failed report, or a failed
 * isolation after paying, leaves the payment in the free lists and so
 * shrinks it.  The device must hear of that, as of any resize it did not
 * ask for.
 */
void page_reporting_buffer_pass_end(void)
{
	/* only a failure changes the buffer's size, and managed pages too */
	if (prb_owned() != prb_pass_owned) {
		prb_wmarks_stale = true;
		prb_notify_owner();
	}
	prb_unlock();
}

unsigned long page_reporting_buffer_delay(void)
{
	unsigned long ms = READ_ONCE(prb_delay_ms);

	if (!ms)
		ms = prb_owned() ? PRB_DELAY_BUFFER_MS : PRB_DELAY_STOCK_MS;
	return msecs_to_jiffies(ms);
}

/**
 * page_reporting_buffer_report_timeout() - How long a report callback may wait.
 *
 * Return: the page_reporting_buffer.report_timeout_ms tunable, in jiffies.  A
 * callback that gives up after it keeps the report, see
 * page_reporting_buffer_keep().
 */
unsigned long page_reporting_buffer_report_timeout(void)
{
	return msecs_to_jiffies(READ_ONCE(prb_timeout_ms));
}
EXPORT_SYMBOL_GPL(page_reporting_buffer_report_timeout);

#ifdef CONFIG_PAGE_REPORTING_BUFFER_KUNIT_TEST
#include "tests/report-kunit.h"
#endif
