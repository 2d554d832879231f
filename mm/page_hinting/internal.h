/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the parts of the hinting buffer: the per-zone buffer
 * (buffer.c), its step in free page reporting (report.c), memory
 * offlining (hotplug.c) and the admin interface (sysfs.c).  What drivers
 * call is in <linux/page_hinting.h>, the hooks of mm/page_reporting.c in
 * mm/page_hinting.h.
 */
#ifndef _MM_PAGE_HINTING_INTERNAL_H
#define _MM_PAGE_HINTING_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/page_reporting.h>

#define HINT_DELAY_MIN_MS	10UL
#define HINT_DELAY_MAX_MS	60000UL
/*
 * delay_ms=0, the default, picks the delay by state.  Without a buffer it
 * is stock reporting's 2 s, which keeps memory freed and soon reused from
 * being hinted and refaulted, and keeps isolated batches rare.  With a
 * buffer held a batch in flight costs no free memory, so a short delay
 * gives memory back sooner without the fake OOM; 50 ms measured best:
 * shorter delays return memory no faster, longer ones give up most of
 * what the buffer makes safe.
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

/* page_private() of an isolated chunk the buffer paid for */
#define HINT_PAID	1UL

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

/*
 * Per node, allocated when one of its zones first gets a share: a static
 * array for every possible zone would take 40 KiB with MAXSMP.
 */
struct hint_node {
	struct hint_zone zones[MAX_NR_ZONES];
};

/* nr_node_ids entries */
extern struct hint_node **hint_nodes;

/* NULL until the zone's node first held buffer */
static inline struct hint_zone *hint_zone_of(struct zone *zone)
{
	struct hint_node *hn;

	if (!hint_nodes)
		return NULL;
	hn = READ_ONCE(hint_nodes[zone_to_nid(zone)]);
	return hn ? &hn->zones[zone_idx(zone)] : NULL;
}

/* Counters of /sys/kernel/mm/page_hinting/, named in sysfs.c */
enum hint_counter {
	HINT_BATCHES,
	HINT_SWAPS,
	HINT_FALLBACKS,
	HINT_HINTED_CHUNKS,
	HINT_HINTED_BYTES,
	HINT_FAILED_CHUNKS,
	HINT_IN_FLIGHT_BYTES,
	HINT_IN_FLIGHT_PEAK_BYTES,
	/* pages report callbacks kept from the drain, page_hinting_keep() */
	HINT_KEPT_PAGES,
	HINT_COUNTERS,
};

extern atomic_long_t hint_counters[HINT_COUNTERS];

/* Serialises passes, resizes and tunable changes: one reporter at a time */
extern struct mutex hint_mutex;
extern struct page_reporting_dev_info *hint_prdev;
extern unsigned long hint_requested;
extern unsigned long hint_target;
/* managed pages changed (a resize, a failed pass); under hint_mutex */
extern bool hint_wmarks_stale;
/*
 * Sum of every zone's nr_owned, kept by hint_owned_add(): page_hinting_delay()
 * reads it when a free asks for a pass, under zone->lock, where a walk of
 * every node's zones would not belong.
 */
extern atomic_long_t hint_owned_total;

/* Tunables (sysfs.c); written under hint_mutex, read locklessly */
extern bool hint_enabled;
extern unsigned long hint_max_mib;
extern unsigned long hint_capacity;
extern unsigned long hint_delay_ms;
extern unsigned long hint_timeout_ms;

/* buffer.c */
void hint_buf_init(struct hint_buf *b);
struct hint_zone *hint_zone_get(struct zone *zone);
void hint_hold(struct page *page, unsigned int order);
void hint_unhold(struct page *page, unsigned int order);
void hint_owned_add(struct zone *zone, struct hint_zone *hz, long nr);
void hint_buf_add(struct hint_buf *b, struct page *page, unsigned int order);
struct page *hint_buf_take(struct hint_buf *b);
void hint_buf_take_pieces(struct hint_buf *b, unsigned long nr_pages,
			  struct list_head *pieces);
void hint_pieces_release(struct list_head *pieces);
void hint_pieces_return(struct hint_buf *b, struct list_head *pieces);
bool hint_pieces_near(struct list_head *pieces, unsigned long pfn,
		      unsigned int order);
void hint_putback(struct page *page, unsigned int order, bool reported);
void hint_shrink_zone(struct zone *zone, struct hint_zone *hz);
unsigned long hint_held(void);
unsigned long hint_held_free(void);
unsigned long hint_apply(struct page_reporting_dev_info *prdev);
void hint_notify_owner(void);
void hint_unlock(void);

static inline unsigned long hint_count(enum hint_counter c)
{
	return atomic_long_read(&hint_counters[c]);
}

static inline void hint_count_add(enum hint_counter c, long n)
{
	atomic_long_add(n, &hint_counters[c]);
}

#endif /* _MM_PAGE_HINTING_INTERNAL_H */
