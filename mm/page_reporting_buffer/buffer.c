// SPDX-License-Identifier: GPL-2.0
/*
 * Reporting buffer for free page reporting: the per-zone buffer.
 *
 * While a batch of free chunks is out being reported the guest cannot
 * allocate them, which can push a guest into reclaim or OOM with plenty
 * of memory "free".  The host therefore lends the guest extra memory that
 * is reported (discarded) up front and held here per zone.  Every chunk
 * isolated for reporting is paid for by releasing the same amount of
 * buffer memory of the same zone into the free lists (report.c), and the
 * chunk joins the buffer once the host has discarded it.  Free memory
 * stays constant.  This file holds, fills, shrinks and splits the buffer.
 *
 * See Documentation/mm/page_reporting_buffer.rst for the design.
 */
#define pr_fmt(fmt) "page_reporting_buffer: " fmt

#include <linux/fault-inject.h>
#include <linux/khugepaged.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page_reporting_buffer.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "../internal.h"
#include "../page_reporting.h"
#include "../page_reporting_buffer.h"
#include "internal.h"

#include <trace/events/page_reporting_buffer.h>

/* see internal.h */
DEFINE_MUTEX(prb_mutex);
struct prb_node **prb_nodes;
struct page_reporting_dev_info *prb_prdev;
unsigned long prb_requested;
unsigned long prb_target;
bool prb_wmarks_stale;
atomic_long_t prb_owned_total;
/*
 * The device owner tells its device what the guest holds after every
 * resize it asks for; resizes the mm core makes on its own (sysfs, memory
 * offlining) call this back so that the owner can resync.
 */
static void (*prb_changed)(void *data);
static void *prb_changed_data;
/* the last per-zone limit logged as capping an offer; under prb_mutex */
static unsigned long prb_logged_useful;

/* --- the per-zone buffer ---------------------------------------------- */

void prb_buf_init(struct prb_buf *b)
{
	INIT_LIST_HEAD(&b->blocks);
	b->nr_held = 0;
}

/*
 * Mark an isolated free chunk as held, or the reverse.  The chunk's pages
 * have refcount 0 and no type after __isolate_free_page() and must be so
 * again before __putback_isolated_page().
 */
void prb_hold(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		__SetPageOffline(page + i);
		set_page_count(page + i, 1);
	}
}

void prb_unhold(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		set_page_count(page + i, 0);
		__ClearPageOffline(page + i);
	}
}

/*
 * Buffer memory is the host's, lent to the guest to stand in for chunks
 * out being reported.  Like inflated balloon pages it stays out of the
 * zone's managed pages, so MemTotal, and everything sized from it
 * (stress-ng's percentages, watermarks recomputed on hotplug), sees only
 * memory the guest can use.  What is out is hz->nr_owned, not the chunks
 * on the lists: a swap releases buffer pages into the free lists and the
 * hinted chunk takes their place in the buffer a report later, and
 * counting the chunks on the lists would move MemTotal up and down with
 * every batch.  So managed pages change only where nr_owned does, through
 * prb_owned_add().
 */
void prb_owned_add(struct zone *zone, struct prb_zone *hz, long nr)
{
	hz->nr_owned += nr;
	atomic_long_add(nr, &prb_owned_total);
	atomic_long_add(-nr, &zone->managed_pages);
	totalram_pages_add(-nr);
}

/* Add a chunk of order >= PRB_BLOCK_ORDER as whole pageblocks */
void prb_buf_add(struct prb_buf *b, struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i += PRB_BLOCK_PAGES)
		list_add_tail(&page[i].lru, &b->blocks);
	b->nr_held += 1UL << order;
}

struct page *prb_buf_take(struct prb_buf *b)
{
	struct page *page;

	page = list_first_entry_or_null(&b->blocks, struct page, lru);
	if (page) {
		list_del(&page->lru);
		b->nr_held -= PRB_BLOCK_PAGES;
	}
	return page;
}

/*
 * Give a chunk back to the free lists.  The buddy allocator clears
 * PageReported on every free block it merges, so a reported chunk that
 * merges with a reported neighbour would be reported again as a whole
 * (buffer pieces released next to hinted memory: 720 MiB reported for
 * 640 MiB of page cache dropped).  The block it ends up in is reported
 * if every part was: note which free buddies at each order were reported
 * before the merge, then mark the result.  Called under zone->lock.
 */
void prb_putback(struct page *page, unsigned int order, bool reported)
{
	unsigned long pfn = page_to_pfn(page), head;
	unsigned long buddies_reported = 0;
	unsigned int o;

	for (o = order; reported && o < MAX_PAGE_ORDER; o++) {
		struct page *buddy;

		buddy = pfn_to_page(__find_buddy_pfn(pfn & ~((1UL << o) - 1), o));
		if (!page_is_buddy(page, buddy, o) || !PageReported(buddy))
			break;
		buddies_reported |= 1UL << o;
	}

	__putback_isolated_page(page, order, get_pageblock_migratetype(page));
	if (!reported)
		return;

	/* the free block that now holds the chunk: order..MAX_PAGE_ORDER */
	for (o = order; o <= MAX_PAGE_ORDER; o++) {
		head = pfn & ~((1UL << o) - 1);
		if (PageBuddy(pfn_to_page(head)) &&
		    buddy_order(pfn_to_page(head)) == o)
			break;
		/* merged past o: the part at o must have been reported */
		if (!(buddies_reported & (1UL << o)))
			return;
	}
	if (o <= MAX_PAGE_ORDER)
		__SetPageReported(pfn_to_page(head));
}

/* Move @nr_pages, a multiple of PRB_BLOCK_PAGES, to @pieces */
void prb_buf_take_pieces(struct prb_buf *b, unsigned long nr_pages,
			 struct list_head *pieces)
{
	for (; nr_pages; nr_pages -= PRB_BLOCK_PAGES) {
		struct page *page = prb_buf_take(b);

		if (WARN_ON_ONCE(!page))
			return;
		list_add_tail(&page->lru, pieces);
	}
}

void prb_pieces_release(struct list_head *pieces)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, pieces, lru) {
		list_del(&page->lru);
		prb_unhold(page, PRB_BLOCK_ORDER);
		/* the host discarded it when it joined the buffer */
		prb_putback(page, PRB_BLOCK_ORDER, true);
	}
}

void prb_pieces_return(struct prb_buf *b, struct list_head *pieces)
{
	b->nr_held += list_count_nodes(pieces) * PRB_BLOCK_PAGES;
	list_splice_init(pieces, &b->blocks);
}

/*
 * Freeing a piece inside the buddy of the order-@order chunk at @pfn could
 * complete that buddy and merge it with the chunk.  Pieces elsewhere
 * cannot: the chunk already failed to merge with everything else.
 */
bool prb_pieces_near(struct list_head *pieces, unsigned long pfn,
		     unsigned int order)
{
	unsigned long lo = pfn ^ (1UL << order), hi = lo + (1UL << order);
	struct page *page;

	list_for_each_entry(page, pieces, lru) {
		unsigned long start = page_to_pfn(page);
		unsigned long end = start + PRB_BLOCK_PAGES;

		if (start < hi && end > lo)
			return true;
	}
	return false;
}

/* Share of @target for a zone, in whole chunks of 2^@order pages */
static unsigned long prb_share(unsigned long target, unsigned long managed,
			       unsigned long total, unsigned int order)
{
	u64 share;

	if (!total)
		return 0;
	share = div64_u64((u64)target * managed, total);
	return (unsigned long)share & ~((1UL << order) - 1);
}

/*
 * The buffers of a node's zones, allocated the first time one of them
 * gets a share, on the node.  prb_nodes has nr_node_ids entries.
 */
struct prb_zone *prb_zone_get(struct zone *zone)
{
	int nid = zone_to_nid(zone), i;
	struct prb_node *hn;

	lockdep_assert_held(&prb_mutex);
	if (!prb_nodes)
		return NULL;
	hn = prb_nodes[nid];
	if (!hn) {
		hn = kzalloc_node(sizeof(*hn), GFP_KERNEL, nid);
		if (!hn)
			return NULL;
		for (i = 0; i < MAX_NR_ZONES; i++) {
			prb_buf_init(&hn->zones[i].buf);
			INIT_LIST_HEAD(&hn->zones[i].offlining);
		}
		WRITE_ONCE(prb_nodes[nid], hn);
	}
	return &hn->zones[zone_idx(zone)];
}

/* --- filling and shrinking -------------------------------------------- */

/*
 * Isolate free chunks of this zone into @sgl, largest first so a fresh
 * zone gives up few, large blocks.  Keeps the zone above its high
 * watermark: the buffer is lent memory and must not cause reclaim.
 */
static unsigned int prb_fill_isolate(struct zone *zone, struct scatterlist *sgl,
				     unsigned long want, unsigned long *pending,
				     bool *shortage)
{
	unsigned int floor = PAGE_REPORTING_CAPACITY - READ_ONCE(prb_capacity);
	unsigned int offset = PAGE_REPORTING_CAPACITY;
	int order, mt;

	spin_lock_irq(&zone->lock);
	for (order = MAX_PAGE_ORDER; order >= (int)PRB_BLOCK_ORDER; order--) {
		for (mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
			struct list_head *list = &zone->free_area[order].free_list[mt];

			while (offset > floor && !list_empty(list) &&
			       *pending + (1UL << order) <= want) {
				struct page *page;

				if (!zone_watermark_ok(zone, 0,
						       high_wmark_pages(zone) +
						       (1UL << order), 0,
						       ALLOC_CMA)) {
					*shortage = true;
					goto out;
				}
				page = list_first_entry(list, struct page, lru);
				/*
				 * Filling allocates memory without reclaim, so
				 * fail_page_alloc may fail it like any such
				 * allocation (logged: no __GFP_NOWARN).
				 */
				if (should_fail_alloc_page(GFP_NOWAIT & ~__GFP_NOWARN,
							   order) ||
				    !__isolate_free_page(page, order)) {
					*shortage = true;
					goto out;
				}
				sg_set_page(&sgl[--offset], page,
					    PAGE_SIZE << order, 0);
				*pending += 1UL << order;
			}
		}
	}
out:
	spin_unlock_irq(&zone->lock);
	return offset;
}

/* *@sgl is allocated on first use; the caller frees it */
static int prb_fill_zone(struct page_reporting_dev_info *prdev,
			 struct zone *zone, struct prb_zone *hz,
			 struct scatterlist **sglp)
{
	struct scatterlist *sgl = *sglp;
	bool shortage = false;
	int err = 0;

	if (!sgl) {
		sgl = kmalloc_array(PAGE_REPORTING_CAPACITY, sizeof(*sgl),
				    GFP_KERNEL);
		if (!sgl)
			return -ENOMEM;
		sg_init_table(sgl, PAGE_REPORTING_CAPACITY);
		*sglp = sgl;
	}

	while (!shortage && hz->nr_owned < hz->target) {
		unsigned long want = hz->target - hz->nr_owned, pending = 0;
		unsigned int offset, i;

		offset = prb_fill_isolate(zone, sgl, want, &pending, &shortage);
		if (offset == PAGE_REPORTING_CAPACITY)
			break;

		err = prdev->report(prdev, &sgl[offset],
				    PAGE_REPORTING_CAPACITY - offset);

		spin_lock_irq(&zone->lock);
		for (i = offset; i < PAGE_REPORTING_CAPACITY; i++) {
			struct page *page = sg_page(&sgl[i]);
			unsigned int order = get_order(sgl[i].length);

			/* the callback kept it: page_reporting_buffer_keep() */
			if (!page)
				continue;
			if (err) {
				prb_putback(page, order, false);
				continue;
			}
			prb_hold(page, order);
			prb_buf_add(&hz->buf, page, order);
			prb_owned_add(zone, hz, 1L << order);
		}
		spin_unlock_irq(&zone->lock);
		sg_init_table(sgl, PAGE_REPORTING_CAPACITY);
		if (err)
			break;
		cond_resched();
	}
	return err;
}

void prb_shrink_zone(struct zone *zone, struct prb_zone *hz)
{
	while (hz->nr_owned > hz->target && hz->buf.nr_held) {
		struct page *page;

		spin_lock_irq(&zone->lock);
		page = prb_buf_take(&hz->buf);
		if (page) {
			prb_owned_add(zone, hz, -(long)PRB_BLOCK_PAGES);
			prb_unhold(page, PRB_BLOCK_ORDER);
			prb_putback(page, PRB_BLOCK_ORDER, true);
		}
		spin_unlock_irq(&zone->lock);
		if (WARN_ON_ONCE(!page))
			break;
		cond_resched();
	}
}

unsigned long prb_owned(void)
{
	return atomic_long_read(&prb_owned_total);
}

unsigned long prb_held(void)
{
	unsigned long held = 0;
	int nid, i;

	for (nid = 0; prb_nodes && nid < nr_node_ids; nid++) {
		struct prb_node *hn = READ_ONCE(prb_nodes[nid]);

		for (i = 0; hn && i < MAX_NR_ZONES; i++)
			held += READ_ONCE(hn->zones[i].buf.nr_held);
	}
	return held;
}

/**
 * page_reporting_buffer_pages() - Size of the reporting buffer.
 *
 * The buffer is not in totalram_pages(): a device sizing the buffer by
 * the guest's memory adds this back, or the size it allows would shrink
 * each time the buffer grows.
 *
 * Return: the pages the buffer holds, including those standing in for
 * chunks now out being reported.
 */
unsigned long page_reporting_buffer_pages(void)
{
	return prb_owned();
}
EXPORT_SYMBOL_GPL(page_reporting_buffer_pages);

static unsigned long prb_cap(unsigned long nr_pages)
{
	unsigned long max_mib = READ_ONCE(prb_max_mib);

	if (!READ_ONCE(prb_enabled))
		return 0;
	if (max_mib && nr_pages > (max_mib << (20 - PAGE_SHIFT)))
		nr_pages = max_mib << (20 - PAGE_SHIFT);
	return nr_pages;
}

/*
 * ZONE_MOVABLE promises that its memory can be migrated away, for
 * offlining and unplug; held blocks cannot be.  Its chunks are reported
 * as stock does.
 */
static bool prb_zone_eligible(struct zone *zone)
{
	return zone_idx(zone) != ZONE_MOVABLE;
}

static int prb_nr_zones(void)
{
	struct zone *zone;
	int n = 0;

	for_each_populated_zone(zone)
		n += prb_zone_eligible(zone);
	return n;
}

/*
 * What the split goes by: the zone's managed pages with its own buffer
 * put back, so a share does not move just because the buffer is held.
 * Stable under prb_mutex, which every buffer change holds.
 */
static unsigned long prb_zone_pages(struct zone *zone)
{
	struct prb_zone *hz = prb_zone_of(zone);

	if (!prb_zone_eligible(zone))
		return 0;
	return zone_managed_pages(zone) + (hz ? hz->nr_owned : 0);
}

/*
 * Watermarks and min_free_kbytes were sized at boot from RAM that still
 * included the buffer, so a guest given RAM plus a buffer would reclaim
 * earlier than one given only the RAM.  Recompute what depends on managed
 * pages, as memory hotplug does after onlining, except a min_free_kbytes
 * the user chose.  lowmem_reserve keeps its boot values: its setup is
 * private to page_alloc.c and only reachable from __meminit code.
 */
static void prb_managed_changed(void)
{
	if (user_min_free_kbytes < 0)
		calculate_min_free_kbytes();
	setup_per_zone_wmarks();
	refresh_zone_stat_thresholds();
	khugepaged_min_free_kbytes_update();
}

/*
 * Drop prb_mutex after a resize or a pass, then recompute the watermarks
 * if managed pages changed.  Not under the mutex: setup_per_zone_wmarks()
 * takes pcp_batch_high_lock, which offline_pages() holds while our
 * MEM_GOING_OFFLINE callback waits for prb_mutex.
 */
void prb_unlock(void)
{
	bool stale = prb_wmarks_stale;

	prb_wmarks_stale = false;
	mutex_unlock(&prb_mutex);
	if (stale)
		prb_managed_changed();
}

/*
 * The most buffer a zone can use.  A pass reports one batch at a time,
 * of at most prb_capacity chunks of at most MAX_PAGE_ORDER, and a swap
 * only uses the buffer of the chunk's own zone: that is all a zone can
 * ever lend at once (128 MiB with 4 KiB pages), and more buys nothing.
 * A small zone is held to half its size, as the driver holds the whole
 * buffer to half of the guest.
 */
static unsigned long prb_zone_useful(struct zone *zone)
{
	unsigned long most = READ_ONCE(prb_capacity) << MAX_PAGE_ORDER;

	return min(most, prb_zone_pages(zone) / 2) & ~(PRB_BLOCK_PAGES - 1);
}

/*
 * Bring every zone to its share of prb_target; shrink first, then fill.
 * The offer is a cap: the target is at most what the zones can use, and
 * is split in proportion to that, so a small zone gets what it can use
 * rather than a sliver by size.
 */
unsigned long prb_apply(struct page_reporting_dev_info *prdev)
{
	unsigned long total = 0, given = 0, owned, share;
	unsigned long managed = totalram_pages();
	struct zone *zone, *largest = NULL;
	struct scatterlist *sgl = NULL;
	int err = 0;

	lockdep_assert_held(&prb_mutex);
	for_each_populated_zone(zone) {
		share = prb_zone_useful(zone);
		total += share;
		if (share && (!largest || share > prb_zone_useful(largest)))
			largest = zone;
	}
	prb_target = min(prb_cap(prb_requested), total);
	if (prb_cap(prb_requested) > total && total != prb_logged_useful)
		pr_info("owning at most %lu of %lu pages offered: all %d zones can lend at once with capacity %lu\n",
			total, prb_cap(prb_requested), prb_nr_zones(),
			READ_ONCE(prb_capacity));
	prb_logged_useful = total;
	for_each_populated_zone(zone)
		given += prb_share(prb_target, prb_zone_useful(zone),
				   total, PRB_BLOCK_ORDER);

	for_each_populated_zone(zone) {
		struct prb_zone *hz = prb_zone_of(zone);

		share = prb_share(prb_target, prb_zone_useful(zone),
				  total, PRB_BLOCK_ORDER);
		/*
		 * Rounding every share down to whole chunks loses up to a
		 * chunk per zone; the largest zone takes the whole chunks of
		 * that remainder so the device gets close to what it asked.
		 */
		if (zone == largest)
			share += prb_share(prb_target - given, 1, 1,
					   PRB_BLOCK_ORDER);
		if (!hz && !share)
			continue;
		hz = prb_zone_get(zone);
		if (!hz)
			continue;
		hz->target = share;
		prb_shrink_zone(zone, hz);
	}

	for_each_populated_zone(zone) {
		struct prb_zone *hz = prb_zone_of(zone);

		if (!prdev || !hz || hz->nr_owned >= hz->target)
			continue;
		err = prb_fill_zone(prdev, zone, hz, &sgl);
		if (err)
			break;
	}

	/*
	 * A zone that came up short (little of it above the high watermark,
	 * as at boot while the initramfs is still reserved) leaves the rest
	 * of its share to zones that can use more.  The next resize splits
	 * the target afresh.
	 */
	for_each_populated_zone(zone) {
		struct prb_zone *hz = prb_zone_of(zone);
		unsigned long lack, room;

		owned = prb_owned();
		if (err || !prdev || owned >= prb_target)
			break;
		if (!hz || hz->nr_owned < hz->target ||
		    prb_zone_useful(zone) <= hz->target)
			continue;
		lack = prb_target - owned;
		room = prb_zone_useful(zone) - hz->target;
		hz->target += min(lack, room);
		err = prb_fill_zone(prdev, zone, hz, &sgl);
	}
	kfree(sgl);

	owned = prb_owned();
	if (err)
		pr_warn("filling the buffer failed (%d), it owns %lu of %lu pages\n",
			err, owned, prb_target);
	else if (owned + PRB_BLOCK_PAGES * prb_nr_zones() < prb_target)
		pr_info("memory short: the buffer owns %lu of %lu pages\n", owned,
			prb_target);
	trace_page_reporting_buffer_resize(prb_requested, prb_target, owned);
	if (totalram_pages() != managed)
		prb_wmarks_stale = true;
	return owned;
}

/**
 * page_reporting_buffer_resize() - Ask for a reporting buffer of a given size.
 * @prdev: the registered reporting device that lends the buffer.
 * @nr_pages: the size the device offers, in pages; 0 gives it all back.
 *
 * Shrinks at once; grows by reporting free chunks through @prdev, which
 * must have been registered with page_reporting_register().  The offer
 * is a cap: each zone holds at most what it can lend at once (see
 * Documentation/mm/page_reporting_buffer.rst), and the
 * page_reporting_buffer parameters cap it further.  Context: process,
 * may sleep for host round trips.
 *
 * Return: the pages the buffer holds afterwards; 0 if @prdev is not the
 * registered device.
 */
unsigned long page_reporting_buffer_resize(struct page_reporting_dev_info *prdev,
					   unsigned long nr_pages)
{
	unsigned long owned;

	might_sleep();
	if ((int)page_reporting_order < 0)
		return 0;

	mutex_lock(&prb_mutex);
	/*
	 * Only a registered device may hold a buffer: a resize that lost a
	 * race with unregistering (a stalled device unregisters from a work
	 * item) would otherwise fill a buffer nobody drains and leave
	 * prb_prdev pointing at a device about to be freed.
	 */
	if (prb_prdev == prdev) {
		prb_requested = nr_pages;
		owned = prb_apply(prdev);
	} else {
		owned = 0;
	}
	prb_unlock();
	return owned;
}
EXPORT_SYMBOL_GPL(page_reporting_buffer_resize);

/**
 * page_reporting_buffer_release() - Give part of the buffer back under OOM.
 * @prdev: the registered reporting device that lends the buffer.
 * @nr_pages: how much to give back, in pages.
 *
 * For a device that lends the buffer under OOM.  From the OOM notifier:
 * no prb_mutex, which a pass holds through a host round trip and a fill
 * holds while it allocates, only zone locks, so only held blocks, not
 * those out with a batch, are released.  The owner must ask for a smaller
 * buffer from now on, or the next resize takes them again.
 *
 * Return: the pages given back to the free lists.
 */
unsigned long page_reporting_buffer_release(struct page_reporting_dev_info *prdev,
					    unsigned long nr_pages)
{
	unsigned long released = 0;
	struct zone *zone;

	if (READ_ONCE(prb_prdev) != prdev)
		return 0;
	for_each_populated_zone(zone) {
		struct prb_zone *hz = prb_zone_of(zone);
		struct page *page;

		if (!hz || !READ_ONCE(hz->buf.nr_held))
			continue;
		spin_lock_irq(&zone->lock);
		while (released < nr_pages && (page = prb_buf_take(&hz->buf))) {
			prb_owned_add(zone, hz, -(long)PRB_BLOCK_PAGES);
			prb_unhold(page, PRB_BLOCK_ORDER);
			prb_putback(page, PRB_BLOCK_ORDER, true);
			released += PRB_BLOCK_PAGES;
		}
		spin_unlock_irq(&zone->lock);
		if (released >= nr_pages)
			break;
	}
	/* the owner's resize recomputes the watermarks */
	if (released)
		WRITE_ONCE(prb_wmarks_stale, true);
	return released;
}
EXPORT_SYMBOL_GPL(page_reporting_buffer_release);

/*
 * prb_prdev follows page_reporting's own registration: it is set here
 * and cleared in page_reporting_buffer_unregister(), both under
 * page_reporting_mutex, and nowhere else.
 */
void page_reporting_buffer_register(struct page_reporting_dev_info *prdev)
{
	mutex_lock(&prb_mutex);
	WRITE_ONCE(prb_prdev, prdev);
	mutex_unlock(&prb_mutex);
}

void page_reporting_buffer_unregister(struct page_reporting_dev_info *prdev)
{
	mutex_lock(&prb_mutex);
	if (prb_prdev == prdev) {
		prb_requested = 0;
		prb_apply(NULL);
		WRITE_ONCE(prb_prdev, NULL);
		prb_changed = NULL;
		prb_changed_data = NULL;
	}
	prb_unlock();
}

/**
 * page_reporting_buffer_set_notify() - Hear of resizes nobody asked for.
 * @prdev: the registered reporting device that lends the buffer.
 * @changed: called, under prb_mutex and in process context, after every
 *	resize of the buffer (a parameter, memory hotplug, a failed report)
 *	that the owner did not ask for; NULL stops it.
 * @data: passed to @changed.
 *
 * Once this returns with @changed NULL, no call is running or will run.
 */
void page_reporting_buffer_set_notify(struct page_reporting_dev_info *prdev,
				      void (*changed)(void *data), void *data)
{
	mutex_lock(&prb_mutex);
	if (!changed || !prb_prdev || prb_prdev == prdev) {
		prb_changed = changed;
		prb_changed_data = data;
	}
	mutex_unlock(&prb_mutex);
}
EXPORT_SYMBOL_GPL(page_reporting_buffer_set_notify);

void prb_notify_owner(void)
{
	lockdep_assert_held(&prb_mutex);
	if (prb_changed && prb_prdev)
		prb_changed(prb_changed_data);
}

static int __init prb_buffer_init(void)
{
	prb_nodes = kcalloc(nr_node_ids, sizeof(*prb_nodes), GFP_KERNEL);
	return prb_nodes ? 0 : -ENOMEM;
}
subsys_initcall(prb_buffer_init);

#ifdef CONFIG_PAGE_REPORTING_BUFFER_KUNIT_TEST
#include "tests/buffer-kunit.h"
#endif
