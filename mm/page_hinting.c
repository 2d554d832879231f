// SPDX-License-Identifier: GPL-2.0
/*
 * Hinting buffer for free page reporting.
 *
 * While a batch of free chunks is out being reported the guest cannot
 * allocate them, which can push a guest into reclaim or OOM with plenty
 * of memory "free".  The host therefore lends the guest extra memory that
 * is reported (discarded) up front and held here per zone.  Every chunk
 * isolated for reporting is paid for by releasing the same amount of
 * buffer memory of the same zone into the free lists, and the chunk joins
 * the buffer once the host has discarded it.  Free memory stays constant.
 *
 * See Documentation/mm/page_hinting.rst for the design.
 */
#define pr_fmt(fmt) "page_hinting: " fmt

#include <linux/fault-inject.h>
#include <linux/khugepaged.h>
#include <linux/kobject.h>
#include <linux/log2.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/page_hinting.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/vmstat.h>

#include "internal.h"
#include "page_reporting.h"
#include "page_hinting.h"

#define CREATE_TRACE_POINTS
#include <trace/events/page_hinting.h>

#define HINT_DELAY_MIN_MS	10UL
#define HINT_DELAY_MAX_MS	60000UL
/*
 * delay_ms=0, the default, picks the delay by state.  Without a buffer it
 * is stock reporting's 2 s, which keeps memory freed and soon reused from
 * being hinted and refaulted, and keeps isolated batches rare.  With a
 * buffer held a batch in flight costs no free memory, so a short delay
 * gives memory back sooner without the fake OOM; 50 ms is the sweet spot
 * measured in docs/benchmarks.rst ("The reporting delay with a
 * buffer").
 */
#define HINT_DELAY_STOCK_MS	2000UL
#define HINT_DELAY_BUFFER_MS	50UL
/*
 * Longest wait for a report to complete.  The default is well above the
 * 60 s a host may take on purpose (QEMU's x-report-latency ceiling).
 */
#define HINT_TIMEOUT_MIN_MS	100UL
#define HINT_TIMEOUT_MAX_MS	3600000UL
#define HINT_TIMEOUT_DEF_MS	100000UL
/* 4 TiB: large enough to mean "no cap" on any guest we expect */
#define HINT_MAX_MIB_LIMIT	4194304UL

/* Why a chunk was hinted without compensation (trace "reason") */
enum hint_reason {
	HINT_REASON_SHORT = 0,		/* buffer of the zone too small */
	HINT_REASON_MIGRATETYPE = 1,	/* highatomic/CMA: never buffered */
	HINT_REASON_ORDER = 2,		/* smaller than a buffer block */
};

/* page_private() of an isolated chunk the buffer paid for */
#define HINT_PAID	1UL

enum hint_action {
	HINT_SWAP,
	HINT_FALLBACK,
	HINT_STOP,
};

/*
 * The buffer of a zone: whole pageblocks, each held the way the balloon
 * and virtio-mem hold memory the host took back: every page allocated
 * (refcount 1) and PageOffline, so dump tools, /proc/kcore and
 * hibernation skip it, memory offlining can skip it with exact
 * accounting, and compaction and contiguous allocation see unmovable
 * pageblocks instead of stray free-looking chunks.  Whole pageblocks
 * make every operation O(1): a chunk of order o >= pageblock_order is
 * paid for with 2^(o - pageblock_order) blocks from the list, wherever
 * they are, and joins the buffer as that many blocks.  The list is
 * protected by the zone lock of the owning zone.
 */
#define HINT_BLOCK_ORDER	pageblock_order
#define HINT_BLOCK_PAGES	pageblock_nr_pages

struct hint_buf {
	struct list_head blocks;	/* head pages, linked by ->lru */
	unsigned long nr_free;
};

struct hint_zone {
	struct hint_buf buf;
	/* buf.nr_free plus compensated chunks now being reported */
	unsigned long nr_owned;
	/* this zone's share of the buffer target */
	unsigned long target;
	/* blocks handed to memory offlining, until it ends or is cancelled */
	struct list_head offlining;
};

/* Serialises passes, resizes and tunable changes: one reporter at a time */
static DEFINE_MUTEX(hint_mutex);
static struct hint_zone *hint_zones[MAX_NUMNODES * MAX_NR_ZONES];
static struct page_reporting_dev_info *hint_prdev;
static unsigned long hint_requested;
static unsigned long hint_target;
/* what the buffer held when the running pass began */
static unsigned long hint_pass_held;
/* chunks of the batch being filled that the buffer paid for */
static unsigned int hint_batch_paid;
/*
 * The device owner tells its device what the guest holds after every
 * resize it asks for; resizes the mm core makes on its own (sysfs, memory
 * offlining) call this back so that the owner can resync.
 */
static void (*hint_changed)(void *data);
static void *hint_changed_data;

static bool hint_enabled = true;
static unsigned long hint_max_mib;
static unsigned long hint_capacity = PAGE_REPORTING_CAPACITY;
static unsigned long hint_delay_ms;
static unsigned long hint_timeout_ms = HINT_TIMEOUT_DEF_MS;

/*
 * Chunks a device took in a report it never completed.  The host may
 * still discard them, so they must never be freed while it holds them;
 * order in page_private().  Protected by hint_mutex.
 */
static LIST_HEAD(hint_stranded);
static unsigned long hint_stranded_pages;
/* the last per-zone limit logged as capping an offer; under hint_mutex */
static unsigned long hint_logged_useful;
/* managed pages changed (a resize, a failed pass); under hint_mutex */
static bool hint_wmarks_stale;
static void hint_unlock(void);
static unsigned long hint_held(void);

/*
 * Sum of every zone's nr_owned, kept by hint_owned_add(): page_hinting_delay()
 * reads it when a free asks for a pass, under zone->lock, where a walk of
 * hint_zones[] (MAX_NUMNODES * MAX_NR_ZONES) would not belong.
 */
static atomic_long_t hint_owned_total;
static atomic_long_t hint_batches;
static atomic_long_t hint_swaps;
static atomic_long_t hint_fallbacks;
static atomic_long_t hint_hinted_chunks;
static atomic_long_t hint_hinted_bytes;
static atomic_long_t hint_failed_chunks;
static atomic_long_t hint_inflight_bytes;
static atomic_long_t hint_inflight_peak;

/* --- parameters ------------------------------------------------------- */

static int hint_parse_ulong(const char *name, const char *val,
			    unsigned long min, unsigned long max,
			    unsigned long *out)
{
	unsigned long v;

	if (!val)
		val = "(null)";
	if (kstrtoul(val, 0, &v) || v < min || v > max) {
		/* sysfs writes end in a newline the message should not split on */
		/* signed: the unset reporting order is kept as -1 */
		pr_err("invalid %s=%.*s, accepted range %lu..%lu, keeping %ld\n",
		       name, (int)strcspn(val, "\n"), val, min, max,
		       (long)*out);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * Stricter than kstrtobool(), which reads only the first character and so
 * takes "nonsense" for 0 and "12" for 1.
 */
static int hint_strtobool(const char *val, bool *out)
{
	static const char * const words[] = {
		"0", "n", "no", "off", "false", "1", "y", "yes", "on", "true",
	};
	size_t len = strcspn(val, "\n");
	int i;

	for (i = 0; i < ARRAY_SIZE(words); i++) {
		if (len == strlen(words[i]) && !strncasecmp(val, words[i], len)) {
			*out = i >= ARRAY_SIZE(words) / 2;
			return 0;
		}
	}
	return -EINVAL;
}

static int hint_parse_bool(const char *name, const char *val, bool *out)
{
	bool v;

	if (!val)
		val = "(null)";
	if (hint_strtobool(val, &v)) {
		pr_err("invalid %s=%.*s, accepted 0/1, y/n, yes/no, on/off, true/false, keeping %d\n",
		       name, (int)strcspn(val, "\n"), val, *out);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int hint_enable_set(const char *val, const struct kernel_param *kp)
{
	/* a bare "page_hinting.enable" means on, as for any bool param */
	return hint_parse_bool("page_hinting.enable", val ?: "1", kp->arg);
}

static int hint_max_mib_set(const char *val, const struct kernel_param *kp)
{
	return hint_parse_ulong("page_hinting.max_mib", val, 0,
				HINT_MAX_MIB_LIMIT, kp->arg);
}

static int hint_capacity_set(const char *val, const struct kernel_param *kp)
{
	return hint_parse_ulong("page_hinting.capacity", val, 1,
				PAGE_REPORTING_CAPACITY, kp->arg);
}

/* 0 (automatic) or HINT_DELAY_MIN_MS..HINT_DELAY_MAX_MS */
static int hint_parse_delay(const char *name, const char *val,
			    unsigned long *out)
{
	unsigned long v;

	if (!val)
		val = "(null)";
	if (kstrtoul(val, 0, &v) || (v && v < HINT_DELAY_MIN_MS) ||
	    v > HINT_DELAY_MAX_MS) {
		pr_err("invalid %s=%.*s, accepted 0 (automatic) or range %lu..%lu, keeping %lu\n",
		       name, (int)strcspn(val, "\n"), val, HINT_DELAY_MIN_MS,
		       HINT_DELAY_MAX_MS, READ_ONCE(*out));
		return -EINVAL;
	}
	WRITE_ONCE(*out, v);
	return 0;
}

static int hint_delay_set(const char *val, const struct kernel_param *kp)
{
	return hint_parse_delay("page_hinting.delay_ms", val, kp->arg);
}

static int hint_timeout_set(const char *val, const struct kernel_param *kp)
{
	return hint_parse_ulong("page_hinting.report_timeout_ms", val,
				HINT_TIMEOUT_MIN_MS, HINT_TIMEOUT_MAX_MS,
				kp->arg);
}

static int hint_order_set(const char *val, const struct kernel_param *kp)
{
	/* unset is -1: sign-extend it so a refusal says "keeping -1" */
	unsigned long order = (int)page_reporting_order;
	int err;

	err = hint_parse_ulong("page_hinting.order", val, 0, MAX_PAGE_ORDER,
			       &order);
	if (!err)
		page_reporting_order = order;
	return err;
}

static int hint_order_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%d\n", (int)page_reporting_order);
}

static const struct kernel_param_ops hint_enable_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = hint_enable_set,
	.get = param_get_bool,
};

static const struct kernel_param_ops hint_max_mib_ops = {
	.set = hint_max_mib_set,
	.get = param_get_ulong,
};

static const struct kernel_param_ops hint_capacity_ops = {
	.set = hint_capacity_set,
	.get = param_get_ulong,
};

static const struct kernel_param_ops hint_delay_ops = {
	.set = hint_delay_set,
	.get = param_get_ulong,
};

static const struct kernel_param_ops hint_timeout_ops = {
	.set = hint_timeout_set,
	.get = param_get_ulong,
};

static const struct kernel_param_ops hint_order_ops = {
	.set = hint_order_set,
	.get = hint_order_get,
};

/*
 * Read-only under /sys/module: runtime changes go through
 * /sys/kernel/mm/page_hinting/ so that they take hint_mutex.
 */
module_param_cb(enable, &hint_enable_ops, &hint_enabled, 0444);
MODULE_PARM_DESC(enable, "Use the hinting buffer offered by the device");
module_param_cb(max_mib, &hint_max_mib_ops, &hint_max_mib, 0444);
MODULE_PARM_DESC(max_mib, "Cap on the hinting buffer in MiB, 0 = no cap");
module_param_cb(capacity, &hint_capacity_ops, &hint_capacity, 0444);
MODULE_PARM_DESC(capacity, "Chunks per report, 1..32");
module_param_cb(delay_ms, &hint_delay_ops, &hint_delay_ms, 0444);
MODULE_PARM_DESC(delay_ms,
		 "Delay before a reporting pass in ms, 10..60000; 0: 50 with a buffer held, else 2000");
module_param_cb(report_timeout_ms, &hint_timeout_ops, &hint_timeout_ms, 0444);
MODULE_PARM_DESC(report_timeout_ms,
		 "Longest wait for the device to complete a report in ms, 100..3600000");
module_param_cb(order, &hint_order_ops, NULL, 0444);
MODULE_PARM_DESC(order, "Reporting order, 0..MAX_PAGE_ORDER");

unsigned long page_hinting_delay(void)
{
	unsigned long ms = READ_ONCE(hint_delay_ms);

	if (!ms)
		ms = hint_held() ? HINT_DELAY_BUFFER_MS : HINT_DELAY_STOCK_MS;
	return msecs_to_jiffies(ms);
}

unsigned long page_hinting_report_timeout(void)
{
	return msecs_to_jiffies(READ_ONCE(hint_timeout_ms));
}
EXPORT_SYMBOL_GPL(page_hinting_report_timeout);

/* --- the per-zone buffer ---------------------------------------------- */

static void hint_buf_init(struct hint_buf *b)
{
	INIT_LIST_HEAD(&b->blocks);
	b->nr_free = 0;
}

/*
 * Mark an isolated free chunk as held, or the reverse.  The chunk's pages
 * have refcount 0 and no type after __isolate_free_page() and must be so
 * again before __putback_isolated_page().
 */
static void hint_hold(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		__SetPageOffline(page + i);
		set_page_count(page + i, 1);
	}
}

static void hint_unhold(struct page *page, unsigned int order)
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
 * hint_owned_add().
 */
static void hint_owned_add(struct zone *zone, struct hint_zone *hz, long nr)
{
	hz->nr_owned += nr;
	atomic_long_add(nr, &hint_owned_total);
	atomic_long_add(-nr, &zone->managed_pages);
	totalram_pages_add(-nr);
}

/* Add a chunk of order >= HINT_BLOCK_ORDER as whole pageblocks */
static void hint_buf_add(struct hint_buf *b, struct page *page,
			 unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i += HINT_BLOCK_PAGES)
		list_add_tail(&page[i].lru, &b->blocks);
	b->nr_free += 1UL << order;
}

static struct page *hint_buf_take(struct hint_buf *b)
{
	struct page *page;

	page = list_first_entry_or_null(&b->blocks, struct page, lru);
	if (page) {
		list_del(&page->lru);
		b->nr_free -= HINT_BLOCK_PAGES;
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
static void hint_putback(struct page *page, unsigned int order, bool reported)
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

/* Move @nr_pages, a multiple of HINT_BLOCK_PAGES, to @pieces */
static void hint_buf_take_pieces(struct hint_buf *b, unsigned long nr_pages,
				 struct list_head *pieces)
{
	for (; nr_pages; nr_pages -= HINT_BLOCK_PAGES) {
		struct page *page = hint_buf_take(b);

		if (WARN_ON_ONCE(!page))
			return;
		list_add_tail(&page->lru, pieces);
	}
}

static void hint_pieces_release(struct list_head *pieces)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, pieces, lru) {
		list_del(&page->lru);
		hint_unhold(page, HINT_BLOCK_ORDER);
		/* the host discarded it when it joined the buffer */
		hint_putback(page, HINT_BLOCK_ORDER, true);
	}
}

static void hint_pieces_return(struct hint_buf *b, struct list_head *pieces)
{
	b->nr_free += list_count_nodes(pieces) * HINT_BLOCK_PAGES;
	list_splice_init(pieces, &b->blocks);
}

/*
 * Freeing a piece inside the buddy of the order-@order chunk at @pfn could
 * complete that buddy and merge it with the chunk.  Pieces elsewhere
 * cannot: the chunk already failed to merge with everything else.
 */
static bool hint_pieces_near(struct list_head *pieces, unsigned long pfn,
			     unsigned int order)
{
	unsigned long lo = pfn ^ (1UL << order), hi = lo + (1UL << order);
	struct page *page;

	list_for_each_entry(page, pieces, lru) {
		unsigned long start = page_to_pfn(page);
		unsigned long end = start + HINT_BLOCK_PAGES;

		if (start < hi && end > lo)
			return true;
	}
	return false;
}

static bool hint_mt_bufferable(int mt)
{
	/*
	 * Highatomic reserves and CMA must stay available to their users;
	 * a buffer chunk stays isolated for as long as the host lends it.
	 */
	return mt < MIGRATE_PCPTYPES;
}

static int hint_fallback_reason(unsigned int order, int mt)
{
	if (!hint_mt_bufferable(mt))
		return HINT_REASON_MIGRATETYPE;
	return order < HINT_BLOCK_ORDER ? HINT_REASON_ORDER : HINT_REASON_SHORT;
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

/* Share of @target for a zone, in whole chunks of 2^@order pages */
static unsigned long hint_share(unsigned long target, unsigned long managed,
				unsigned long total, unsigned int order)
{
	u64 share;

	if (!total)
		return 0;
	share = div64_u64((u64)target * managed, total);
	return (unsigned long)share & ~((1UL << order) - 1);
}

static struct hint_zone *hint_zone_of(struct zone *zone)
{
	return hint_zones[zone_to_nid(zone) * MAX_NR_ZONES + zone_idx(zone)];
}

static struct hint_zone *hint_zone_get(struct zone *zone)
{
	int i = zone_to_nid(zone) * MAX_NR_ZONES + zone_idx(zone);
	struct hint_zone *hz = hint_zones[i];

	lockdep_assert_held(&hint_mutex);
	if (hz)
		return hz;
	hz = kzalloc(sizeof(*hz), GFP_KERNEL);
	if (!hz)
		return NULL;
	hint_buf_init(&hz->buf);
	INIT_LIST_HEAD(&hz->offlining);
	WRITE_ONCE(hint_zones[i], hz);
	return hz;
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
	long now = atomic_long_add_return(bytes, &hint_inflight_bytes);
	long peak = atomic_long_read(&hint_inflight_peak);

	while (now > peak &&
	       !atomic_long_try_cmpxchg(&hint_inflight_peak, &peak, now))
		;
}

/*
 * The device did not complete the report of @sgl and still owns its
 * chunks: keep them isolated, out of every free list and buffer, until
 * page_hinting_release_stranded().  Clearing @sgl tells the stock drain
 * in page_reporting.c that nothing is left to put back.
 */
static void hint_strand(struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	int i;

	lockdep_assert_held(&hint_mutex);
	for_each_sg(sgl, sg, nents, i) {
		struct page *page = sg_page(sg);
		unsigned int order = get_order(sg->length);

		/* the payment for it stays in the free lists */
		if (page_private(page) == HINT_PAID) {
			struct zone *zone = page_zone(page);

			spin_lock_irq(&zone->lock);
			hint_owned_add(zone, hint_zone_of(zone), -(1L << order));
			spin_unlock_irq(&zone->lock);
		}
		set_page_private(page, order);
		list_add_tail(&page->lru, &hint_stranded);
		WRITE_ONCE(hint_stranded_pages,
			   hint_stranded_pages + (1UL << order));
	}
	sg_init_table(sgl, nents);
}

/*
 * The device gave the stranded chunks back (it completed the report, or
 * was reset): they are ordinary isolated free chunks again.
 */
unsigned long page_hinting_release_stranded(void)
{
	struct page *page, *next;
	unsigned long released;

	mutex_lock(&hint_mutex);
	list_for_each_entry_safe(page, next, &hint_stranded, lru) {
		unsigned int order = page_private(page);
		struct zone *zone = page_zone(page);

		list_del(&page->lru);
		set_page_private(page, 0);
		spin_lock_irq(&zone->lock);
		hint_putback(page, order, false);
		spin_unlock_irq(&zone->lock);
	}
	released = hint_stranded_pages;
	WRITE_ONCE(hint_stranded_pages, 0);
	mutex_unlock(&hint_mutex);
	return released;
}
EXPORT_SYMBOL_GPL(page_hinting_release_stranded);

unsigned long page_hinting_stranded_pages(void)
{
	return READ_ONCE(hint_stranded_pages);
}
EXPORT_SYMBOL_GPL(page_hinting_stranded_pages);

/*
 * Every report of the reporting pass, stock or compensated, goes through
 * here so that counters and events cover all of free page reporting.
 */
static int hint_report_sg(struct page_reporting_dev_info *prdev,
			  struct scatterlist *sgl, unsigned int nents,
			  unsigned int ncomp)
{
	struct zone *zone = page_zone(sg_page(sgl));
	unsigned int order = get_order(sgl->length);
	int nid = zone_to_nid(zone), zid = zone_idx(zone);
	struct scatterlist *sg;
	long bytes = 0;
	int err, i;

	for_each_sg(sgl, sg, nents, i)
		bytes += sg->length;

	atomic_long_inc(&hint_batches);
	trace_batch_start(nid, zid, order, nents, ncomp, 0);
	hint_inflight_add(bytes);

	err = prdev->report(prdev, sgl, nents);

	atomic_long_sub(bytes, &hint_inflight_bytes);
	if (err == -ETIMEDOUT)
		hint_strand(sgl, nents);
	if (err) {
		atomic_long_add(nents, &hint_failed_chunks);
	} else {
		atomic_long_add(nents, &hint_hinted_chunks);
		atomic_long_add(bytes, &hint_hinted_bytes);
	}
	trace_batch_end(nid, zid, order, nents, ncomp, err);
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
	int nid = zone_to_nid(zone), zid = zone_idx(zone);
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
		atomic_long_inc(&hint_fallbacks);
		trace_fallback(nid, zid, page_to_pfn(page), order,
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
	atomic_long_inc(&hint_swaps);
	trace_swap(nid, zid, page_to_pfn(page), order, hz->buf.nr_free, 0);
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

static void hint_notify_owner(void);

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

/* --- filling and shrinking -------------------------------------------- */

/*
 * Isolate free chunks of this zone into @sgl, largest first so a fresh
 * zone gives up few, large blocks.  Keeps the zone above its high
 * watermark: the buffer is lent memory and must not cause reclaim.
 */
static unsigned int hint_fill_isolate(struct zone *zone, struct scatterlist *sgl,
				      unsigned long want, unsigned long *pending,
				      bool *shortage)
{
	unsigned int floor = PAGE_REPORTING_CAPACITY - READ_ONCE(hint_capacity);
	unsigned int offset = PAGE_REPORTING_CAPACITY;
	int order, mt;

	spin_lock_irq(&zone->lock);
	for (order = MAX_PAGE_ORDER; order >= (int)HINT_BLOCK_ORDER; order--) {
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
static int hint_fill_zone(struct page_reporting_dev_info *prdev,
			  struct zone *zone, struct hint_zone *hz,
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

		offset = hint_fill_isolate(zone, sgl, want, &pending, &shortage);
		if (offset == PAGE_REPORTING_CAPACITY)
			break;

		err = prdev->report(prdev, &sgl[offset],
				    PAGE_REPORTING_CAPACITY - offset);
		if (err == -ETIMEDOUT) {
			hint_strand(&sgl[offset], PAGE_REPORTING_CAPACITY - offset);
			break;
		}

		spin_lock_irq(&zone->lock);
		for (i = offset; i < PAGE_REPORTING_CAPACITY; i++) {
			struct page *page = sg_page(&sgl[i]);
			unsigned int order = get_order(sgl[i].length);

			if (err) {
				hint_putback(page, order, false);
				continue;
			}
			hint_hold(page, order);
			hint_buf_add(&hz->buf, page, order);
			hint_owned_add(zone, hz, 1L << order);
		}
		spin_unlock_irq(&zone->lock);
		sg_init_table(sgl, PAGE_REPORTING_CAPACITY);
		if (err)
			break;
		cond_resched();
	}
	return err;
}

static void hint_shrink_zone(struct zone *zone, struct hint_zone *hz)
{
	while (hz->nr_owned > hz->target && hz->buf.nr_free) {
		struct page *page;

		spin_lock_irq(&zone->lock);
		page = hint_buf_take(&hz->buf);
		if (page) {
			hint_owned_add(zone, hz, -(long)HINT_BLOCK_PAGES);
			hint_unhold(page, HINT_BLOCK_ORDER);
			hint_putback(page, HINT_BLOCK_ORDER, true);
		}
		spin_unlock_irq(&zone->lock);
		if (WARN_ON_ONCE(!page))
			break;
		cond_resched();
	}
}

static unsigned long hint_held(void)
{
	return atomic_long_read(&hint_owned_total);
}

static unsigned long hint_held_free(void)
{
	unsigned long held = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(hint_zones); i++) {
		struct hint_zone *hz = READ_ONCE(hint_zones[i]);

		if (hz)
			held += READ_ONCE(hz->buf.nr_free);
	}
	return held;
}

/*
 * The buffer is not in totalram_pages(): a device sizing the buffer by
 * the guest's memory adds this back, or the size it allows would shrink
 * each time the buffer grows.
 */
unsigned long page_hinting_buffer_pages(void)
{
	return hint_held();
}
EXPORT_SYMBOL_GPL(page_hinting_buffer_pages);

static unsigned long hint_cap(unsigned long nr_pages)
{
	unsigned long max_mib = READ_ONCE(hint_max_mib);

	if (!READ_ONCE(hint_enabled))
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
static bool hint_zone_eligible(struct zone *zone)
{
	return zone_idx(zone) != ZONE_MOVABLE;
}

static int hint_nr_zones(void)
{
	struct zone *zone;
	int n = 0;

	for_each_populated_zone(zone)
		n += hint_zone_eligible(zone);
	return n;
}

/*
 * What the split goes by: the zone's managed pages with its own buffer
 * put back, so a share does not move just because the buffer is held.
 * Stable under hint_mutex, which every buffer change holds.
 */
static unsigned long hint_zone_pages(struct zone *zone)
{
	struct hint_zone *hz = hint_zone_of(zone);

	if (!hint_zone_eligible(zone))
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
static void hint_managed_changed(void)
{
	if (user_min_free_kbytes < 0)
		calculate_min_free_kbytes();
	setup_per_zone_wmarks();
	refresh_zone_stat_thresholds();
	khugepaged_min_free_kbytes_update();
}

/*
 * Drop hint_mutex after a resize or a pass, then recompute the watermarks
 * if managed pages changed.  Not under the mutex: setup_per_zone_wmarks()
 * takes pcp_batch_high_lock, which offline_pages() holds while our
 * MEM_GOING_OFFLINE callback waits for hint_mutex.
 */
static void hint_unlock(void)
{
	bool stale = hint_wmarks_stale;

	hint_wmarks_stale = false;
	mutex_unlock(&hint_mutex);
	if (stale)
		hint_managed_changed();
}

/*
 * The most buffer a zone can use.  A pass reports one batch at a time,
 * of at most hint_capacity chunks of at most MAX_PAGE_ORDER, and a swap
 * only uses the buffer of the chunk's own zone: that is all a zone can
 * ever lend at once (128 MiB with 4 KiB pages), and more buys nothing.
 * A small zone is held to half its size, as the driver holds the whole
 * buffer to half of the guest.
 */
static unsigned long hint_zone_useful(struct zone *zone)
{
	unsigned long most = READ_ONCE(hint_capacity) << MAX_PAGE_ORDER;

	return min(most, hint_zone_pages(zone) / 2) & ~(HINT_BLOCK_PAGES - 1);
}

/*
 * Bring every zone to its share of hint_target; shrink first, then fill.
 * The offer is a cap: the target is at most what the zones can use, and
 * is split in proportion to that, so a small zone gets what it can use
 * rather than a sliver by size.
 */
static unsigned long hint_apply(struct page_reporting_dev_info *prdev)
{
	unsigned long total = 0, given = 0, held, share;
	unsigned long managed = totalram_pages();
	struct zone *zone, *largest = NULL;
	struct scatterlist *sgl = NULL;
	int err = 0;

	lockdep_assert_held(&hint_mutex);
	for_each_populated_zone(zone) {
		share = hint_zone_useful(zone);
		total += share;
		if (share && (!largest || share > hint_zone_useful(largest)))
			largest = zone;
	}
	hint_target = min(hint_cap(hint_requested), total);
	if (hint_cap(hint_requested) > total && total != hint_logged_useful)
		pr_info("holding at most %lu of %lu pages offered: all %d zones can lend at once with capacity %lu\n",
			total, hint_cap(hint_requested), hint_nr_zones(),
			READ_ONCE(hint_capacity));
	hint_logged_useful = total;
	for_each_populated_zone(zone)
		given += hint_share(hint_target, hint_zone_useful(zone),
				    total, HINT_BLOCK_ORDER);

	for_each_populated_zone(zone) {
		struct hint_zone *hz = hint_zone_of(zone);

		share = hint_share(hint_target, hint_zone_useful(zone),
				   total, HINT_BLOCK_ORDER);
		/*
		 * Rounding every share down to whole chunks loses up to a
		 * chunk per zone; the largest zone takes the whole chunks of
		 * that remainder so the device gets close to what it asked.
		 */
		if (zone == largest)
			share += hint_share(hint_target - given, 1, 1,
					    HINT_BLOCK_ORDER);
		if (!hz && !share)
			continue;
		hz = hint_zone_get(zone);
		if (!hz)
			continue;
		hz->target = share;
		hint_shrink_zone(zone, hz);
	}

	for_each_populated_zone(zone) {
		struct hint_zone *hz = hint_zone_of(zone);

		if (!prdev || !hz || hz->nr_owned >= hz->target)
			continue;
		err = hint_fill_zone(prdev, zone, hz, &sgl);
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
		struct hint_zone *hz = hint_zone_of(zone);
		unsigned long lack, room;

		held = hint_held();
		if (err || !prdev || held >= hint_target)
			break;
		if (!hz || hz->nr_owned < hz->target ||
		    hint_zone_useful(zone) <= hz->target)
			continue;
		lack = hint_target - held;
		room = hint_zone_useful(zone) - hz->target;
		hz->target += min(lack, room);
		err = hint_fill_zone(prdev, zone, hz, &sgl);
	}
	kfree(sgl);

	held = hint_held();
	if (err)
		pr_warn("filling the buffer failed (%d), holding %lu of %lu pages\n",
			err, held, hint_target);
	else if (held + HINT_BLOCK_PAGES * hint_nr_zones() < hint_target)
		pr_info("memory short: holding %lu of %lu pages\n", held,
			hint_target);
	trace_resize(hint_requested, hint_target, held);
	if (totalram_pages() != managed)
		hint_wmarks_stale = true;
	return held;
}

unsigned long page_hinting_buffer_resize(struct page_reporting_dev_info *prdev,
					 unsigned long nr_pages)
{
	unsigned long held;

	might_sleep();
	if ((int)page_reporting_order < 0)
		return 0;

	mutex_lock(&hint_mutex);
	/*
	 * Only a registered device may hold a buffer: a resize that lost a
	 * race with unregistering (a stalled device unregisters from a work
	 * item) would otherwise fill a buffer nobody drains and leave
	 * hint_prdev pointing at a device about to be freed.
	 */
	if (hint_prdev == prdev) {
		hint_requested = nr_pages;
		held = hint_apply(prdev);
	} else {
		held = 0;
	}
	hint_unlock();
	return held;
}
EXPORT_SYMBOL_GPL(page_hinting_buffer_resize);

/*
 * Give up to @nr_pages of the buffer of @prdev back to the free lists now,
 * for a device that lends the buffer under OOM.  From the OOM notifier:
 * no hint_mutex, which a pass holds through a host round trip and a fill
 * holds while it allocates, only zone locks, so only held blocks, not
 * those out with a batch, are released.  Returns the pages released.  The
 * owner must ask for a smaller buffer from now on, or the next resize
 * takes them again.
 */
unsigned long page_hinting_buffer_release(struct page_reporting_dev_info *prdev,
					  unsigned long nr_pages)
{
	unsigned long released = 0;
	struct zone *zone;

	if (READ_ONCE(hint_prdev) != prdev)
		return 0;
	for_each_populated_zone(zone) {
		struct hint_zone *hz = hint_zone_of(zone);
		struct page *page;

		if (!hz || !READ_ONCE(hz->buf.nr_free))
			continue;
		spin_lock_irq(&zone->lock);
		while (released < nr_pages && (page = hint_buf_take(&hz->buf))) {
			hint_owned_add(zone, hz, -(long)HINT_BLOCK_PAGES);
			hint_unhold(page, HINT_BLOCK_ORDER);
			hint_putback(page, HINT_BLOCK_ORDER, true);
			released += HINT_BLOCK_PAGES;
		}
		spin_unlock_irq(&zone->lock);
		if (released >= nr_pages)
			break;
	}
	/* the owner's resize recomputes the watermarks */
	if (released)
		WRITE_ONCE(hint_wmarks_stale, true);
	return released;
}
EXPORT_SYMBOL_GPL(page_hinting_buffer_release);

/*
 * hint_prdev follows page_reporting's own registration: it is set here
 * and cleared in page_hinting_unregister(), both under
 * page_reporting_mutex, and nowhere else.
 */
void page_hinting_register(struct page_reporting_dev_info *prdev)
{
	mutex_lock(&hint_mutex);
	WRITE_ONCE(hint_prdev, prdev);
	mutex_unlock(&hint_mutex);
}

void page_hinting_unregister(struct page_reporting_dev_info *prdev)
{
	mutex_lock(&hint_mutex);
	if (hint_prdev == prdev) {
		hint_requested = 0;
		hint_apply(NULL);
		WRITE_ONCE(hint_prdev, NULL);
		hint_changed = NULL;
		hint_changed_data = NULL;
	}
	hint_unlock();
}

/*
 * @changed runs, under hint_mutex and in process context, after every
 * resize of the buffer of @prdev that its owner did not ask for; NULL
 * stops it.  Once this returns with NULL no call is running or will run.
 */
void page_hinting_set_notify(struct page_reporting_dev_info *prdev,
			     void (*changed)(void *data), void *data)
{
	mutex_lock(&hint_mutex);
	if (!changed || !hint_prdev || hint_prdev == prdev) {
		hint_changed = changed;
		hint_changed_data = data;
	}
	mutex_unlock(&hint_mutex);
}
EXPORT_SYMBOL_GPL(page_hinting_set_notify);

static void hint_notify_owner(void)
{
	lockdep_assert_held(&hint_mutex);
	if (hint_changed && hint_prdev)
		hint_changed(hint_changed_data);
}

/* --- memory offlining ------------------------------------------------- */

/*
 * Held blocks are PageOffline, so memory offlining can skip them as it
 * skips a balloon's pages: drop our reference, and offline_pages() leaves
 * them out of the managed pages it takes away, which they already are.
 * Until offlining ends they wait on hz->offlining: a cancelled offlining
 * hands them back to the buffer, a completed one forgets them.
 */
static unsigned long hint_offline_begin(struct zone *zone, struct hint_zone *hz,
					unsigned long start, unsigned long end)
{
	unsigned long moved = 0, i;
	struct page *page, *next;

	spin_lock_irq(&zone->lock);
	list_for_each_entry_safe(page, next, &hz->buf.blocks, lru) {
		unsigned long pfn = page_to_pfn(page);

		if (pfn + HINT_BLOCK_PAGES <= start || pfn >= end)
			continue;
		list_move_tail(&page->lru, &hz->offlining);
		for (i = 0; i < HINT_BLOCK_PAGES; i++)
			page_ref_dec(page + i);
		moved += HINT_BLOCK_PAGES;
	}
	hz->buf.nr_free -= moved;
	hz->nr_owned -= moved;
	atomic_long_sub(moved, &hint_owned_total);
	spin_unlock_irq(&zone->lock);
	return moved;
}

static void hint_offline_end(struct zone *zone, struct hint_zone *hz,
			     bool cancelled)
{
	unsigned long moved = 0, i;
	struct page *page, *next;

	spin_lock_irq(&zone->lock);
	list_for_each_entry_safe(page, next, &hz->offlining, lru) {
		list_del(&page->lru);
		if (!cancelled)
			continue;
		for (i = 0; i < HINT_BLOCK_PAGES; i++)
			page_ref_inc(page + i);
		hint_buf_add(&hz->buf, page, HINT_BLOCK_ORDER);
		moved += HINT_BLOCK_PAGES;
	}
	hz->nr_owned += moved;
	atomic_long_add(moved, &hint_owned_total);
	spin_unlock_irq(&zone->lock);
	/* the device may have gone meanwhile: then nothing may stay held */
	if (moved)
		hint_shrink_zone(zone, hz);
}

static int hint_memory_callback(struct notifier_block *nb,
				unsigned long action, void *arg)
{
	struct memory_notify *mn = arg;
	/* offline_pages() only takes ranges within one zone */
	struct zone *zone = page_zone(pfn_to_page(mn->start_pfn));
	struct hint_zone *hz;
	unsigned long moved;

	switch (action) {
	case MEM_GOING_OFFLINE:
		/* no chunk is out being reported while we hold the mutex */
		mutex_lock(&hint_mutex);
		hz = hint_zone_of(zone);
		moved = hz ? hint_offline_begin(zone, hz, mn->start_pfn,
						 mn->start_pfn + mn->nr_pages) : 0;
		if (moved) {
			pr_info("offlining takes %lu buffer pages in pfn %#lx-%#lx\n",
				moved, mn->start_pfn,
				mn->start_pfn + mn->nr_pages - 1);
			trace_resize(hint_requested, hint_target, hint_held());
		}
		mutex_unlock(&hint_mutex);
		break;
	case MEM_OFFLINE:
	case MEM_CANCEL_OFFLINE:
		mutex_lock(&hint_mutex);
		hz = hint_zone_of(zone);
		if (hz)
			hint_offline_end(zone, hz, action == MEM_CANCEL_OFFLINE);
		mutex_unlock(&hint_mutex);
		fallthrough;
	case MEM_ONLINE:
		/*
		 * Managed pages changed: the owner resizes again, which
		 * spreads the buffer over the zones as they are now and
		 * refills what offlining took from it.
		 */
		mutex_lock(&hint_mutex);
		hint_notify_owner();
		mutex_unlock(&hint_mutex);
		break;
	}
	return NOTIFY_OK;
}

/* --- sysfs ------------------------------------------------------------ */

#define HINT_ATTR_RO(_name, _expr)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lu\n", (unsigned long)(_expr));	\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

HINT_ATTR_RO(buffer_pages, hint_held());
HINT_ATTR_RO(buffer_free_pages, hint_held_free());
HINT_ATTR_RO(requested_pages, READ_ONCE(hint_requested));
HINT_ATTR_RO(target_pages, READ_ONCE(hint_target));
HINT_ATTR_RO(batches, atomic_long_read(&hint_batches));
HINT_ATTR_RO(swaps, atomic_long_read(&hint_swaps));
HINT_ATTR_RO(fallbacks, atomic_long_read(&hint_fallbacks));
HINT_ATTR_RO(hinted_chunks, atomic_long_read(&hint_hinted_chunks));
HINT_ATTR_RO(hinted_bytes, atomic_long_read(&hint_hinted_bytes));
HINT_ATTR_RO(failed_chunks, atomic_long_read(&hint_failed_chunks));
HINT_ATTR_RO(in_flight_bytes, atomic_long_read(&hint_inflight_bytes));
HINT_ATTR_RO(in_flight_peak_bytes, atomic_long_read(&hint_inflight_peak));
HINT_ATTR_RO(stranded_pages, READ_ONCE(hint_stranded_pages));

static ssize_t order_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", (int)page_reporting_order);
}

static struct kobj_attribute order_attr = __ATTR_RO(order);

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(hint_enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool val = READ_ONCE(hint_enabled);
	int err;

	err = hint_parse_bool("enabled", buf, &val);
	if (err)
		return err;
	mutex_lock(&hint_mutex);
	WRITE_ONCE(hint_enabled, val);
	hint_apply(hint_prdev);
	hint_notify_owner();
	hint_unlock();
	return count;
}

static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);

static ssize_t max_mib_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(hint_max_mib));
}

static ssize_t max_mib_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	unsigned long val = READ_ONCE(hint_max_mib);
	int err;

	err = hint_parse_ulong("max_mib", buf, 0, HINT_MAX_MIB_LIMIT, &val);
	if (err)
		return err;
	mutex_lock(&hint_mutex);
	WRITE_ONCE(hint_max_mib, val);
	hint_apply(hint_prdev);
	hint_notify_owner();
	hint_unlock();
	return count;
}

static struct kobj_attribute max_mib_attr = __ATTR_RW(max_mib);

static ssize_t capacity_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(hint_capacity));
}

static ssize_t capacity_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	unsigned long val = READ_ONCE(hint_capacity);
	int err;

	err = hint_parse_ulong("capacity", buf, 1, PAGE_REPORTING_CAPACITY,
			       &val);
	if (err)
		return err;
	/*
	 * Batches read it once per list walk; the mutex keeps walks whole.
	 * It bounds what each zone can use, so the buffer is resized.
	 */
	mutex_lock(&hint_mutex);
	WRITE_ONCE(hint_capacity, val);
	hint_apply(hint_prdev);
	hint_notify_owner();
	hint_unlock();
	return count;
}

static struct kobj_attribute capacity_attr = __ATTR_RW(capacity);

static ssize_t delay_ms_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(hint_delay_ms));
}

/* A tunable read locklessly, at its next use */
static ssize_t hint_store_ulong(const char *name, const char *buf,
				size_t count, unsigned long min,
				unsigned long max, unsigned long *var)
{
	unsigned long val = READ_ONCE(*var);
	int err;

	err = hint_parse_ulong(name, buf, min, max, &val);
	if (err)
		return err;
	WRITE_ONCE(*var, val);
	return count;
}

static ssize_t delay_ms_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	int err = hint_parse_delay("delay_ms", buf, &hint_delay_ms);

	return err ? err : count;
}

static struct kobj_attribute delay_ms_attr = __ATTR_RW(delay_ms);

static ssize_t report_timeout_ms_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(hint_timeout_ms));
}

static ssize_t report_timeout_ms_store(struct kobject *kobj,
				       struct kobj_attribute *attr,
				       const char *buf, size_t count)
{
	return hint_store_ulong("report_timeout_ms", buf, count,
				HINT_TIMEOUT_MIN_MS, HINT_TIMEOUT_MAX_MS,
				&hint_timeout_ms);
}

static struct kobj_attribute report_timeout_ms_attr =
	__ATTR_RW(report_timeout_ms);

static struct attribute *hint_attrs[] = {
	&buffer_pages_attr.attr,
	&buffer_free_pages_attr.attr,
	&requested_pages_attr.attr,
	&target_pages_attr.attr,
	&batches_attr.attr,
	&swaps_attr.attr,
	&fallbacks_attr.attr,
	&hinted_chunks_attr.attr,
	&hinted_bytes_attr.attr,
	&failed_chunks_attr.attr,
	&in_flight_bytes_attr.attr,
	&in_flight_peak_bytes_attr.attr,
	&stranded_pages_attr.attr,
	&order_attr.attr,
	&enabled_attr.attr,
	&max_mib_attr.attr,
	&capacity_attr.attr,
	&delay_ms_attr.attr,
	&report_timeout_ms_attr.attr,
	NULL,
};

static const struct attribute_group hint_attr_group = {
	.attrs = hint_attrs,
};

static int __init page_hinting_init(void)
{
	struct kobject *kobj;
	int err;

	kobj = kobject_create_and_add("page_hinting", mm_kobj);
	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_group(kobj, &hint_attr_group);
	if (!err)
		err = hotplug_memory_notifier(hint_memory_callback,
					      DEFAULT_CALLBACK_PRI);
	if (err)
		kobject_put(kobj);
	return err;
}
subsys_initcall(page_hinting_init);

#ifdef CONFIG_PAGE_HINTING_KUNIT_TEST
#include "page_hinting_test.c"
#endif
