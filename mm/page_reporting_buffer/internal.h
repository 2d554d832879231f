/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the parts of the reporting buffer: the per-zone buffer
 * (buffer.c), its step in free page reporting (report.c), memory
 * offlining (hotplug.c) and the admin interface (sysfs.c).  What drivers
 * call is in <linux/page_reporting_buffer.h>, the hooks of
 * mm/page_reporting.c in mm/page_reporting_buffer.h.
 */
#ifndef _MM_PAGE_REPORTING_BUFFER_INTERNAL_H
#define _MM_PAGE_REPORTING_BUFFER_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/page_reporting.h>

#define PRB_DELAY_MIN_MS	10UL
#define PRB_DELAY_MAX_MS	60000UL
/*
 * delay_ms=0, the default, picks the delay by state.  Without a buffer it
 * is stock reporting's 2 s, which keeps memory freed and soon reused from
 * being hinted and refaulted, and keeps isolated batches rare.  With a
 * buffer held a batch in flight costs no free memory, so a short delay
 * gives memory back sooner without the fake OOM; 50 ms measured best:
 * shorter delays return memory no faster, longer ones give up most of
 * what the buffer makes safe.
 */
#define PRB_DELAY_STOCK_MS	2000UL
#define PRB_DELAY_BUFFER_MS	50UL
/*
 * Longest wait for a report to complete.  The default is well above the
 * 60 s a host may take on purpose (QEMU's x-report-latency ceiling).
 */
#define PRB_TIMEOUT_MIN_MS	100UL
#define PRB_TIMEOUT_MAX_MS	3600000UL
#define PRB_TIMEOUT_DEF_MS	100000UL
/* 4 TiB: large enough to mean "no cap" on any guest we expect */
#define PRB_MAX_MIB_LIMIT	4194304UL

/* page_private() of an isolated chunk the buffer paid for */
#define PRB_PAID	1UL

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
#define PRB_BLOCK_ORDER	pageblock_order
#define PRB_BLOCK_PAGES	pageblock_nr_pages

struct prb_buf {
	struct list_head blocks;	/* head pages, linked by ->lru */
	unsigned long nr_held;
};

struct prb_zone {
	struct prb_buf buf;
	/* buf.nr_held plus compensated chunks now being reported */
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
struct prb_node {
	struct prb_zone zones[MAX_NR_ZONES];
};

/* nr_node_ids entries */
extern struct prb_node **prb_nodes;

/* NULL until the zone's node first held buffer */
static inline struct prb_zone *prb_zone_of(struct zone *zone)
{
	struct prb_node *hn;

	if (!prb_nodes)
		return NULL;
	hn = READ_ONCE(prb_nodes[zone_to_nid(zone)]);
	return hn ? &hn->zones[zone_idx(zone)] : NULL;
}

/* Counters of /sys/kernel/mm/page_reporting_buffer/, named in sysfs.c */
enum prb_counter {
	PRB_BATCHES,
	PRB_SWAPS,
	PRB_FALLBACKS,
	PRB_REPORTED_CHUNKS,
	PRB_REPORTED_BYTES,
	PRB_FAILED_CHUNKS,
	PRB_IN_FLIGHT_BYTES,
	PRB_IN_FLIGHT_PEAK_BYTES,
	/* kept from the drain by callbacks: page_reporting_buffer_keep() */
	PRB_KEPT_PAGES,
	PRB_COUNTERS,
};

extern atomic_long_t prb_counters[PRB_COUNTERS];

/* Serialises passes, resizes and tunable changes: one reporter at a time */
extern struct mutex prb_mutex;
extern struct page_reporting_dev_info *prb_prdev;
extern unsigned long prb_requested;
extern unsigned long prb_target;
/* managed pages changed (a resize, a failed pass); under prb_mutex */
extern bool prb_wmarks_stale;
/*
 * Sum of every zone's nr_owned, kept by prb_owned_add():
 * page_reporting_buffer_delay() reads it when a free asks for a pass,
 * under zone->lock, where a walk of every node's zones would not belong.
 */
extern atomic_long_t prb_owned_total;

/* Tunables (sysfs.c); written under prb_mutex, read locklessly */
extern bool prb_enabled;
extern unsigned long prb_max_mib;
extern unsigned long prb_capacity;
extern unsigned long prb_delay_ms;
extern unsigned long prb_timeout_ms;

/* buffer.c */
void prb_buf_init(struct prb_buf *b);
struct prb_zone *prb_zone_get(struct zone *zone);
void prb_hold(struct page *page, unsigned int order);
void prb_unhold(struct page *page, unsigned int order);
void prb_owned_add(struct zone *zone, struct prb_zone *hz, long nr);
void prb_buf_add(struct prb_buf *b, struct page *page, unsigned int order);
struct page *prb_buf_take(struct prb_buf *b);
void prb_buf_take_pieces(struct prb_buf *b, unsigned long nr_pages,
			 struct list_head *pieces);
void prb_pieces_release(struct list_head *pieces);
void prb_pieces_return(struct prb_buf *b, struct list_head *pieces);
bool prb_pieces_near(struct list_head *pieces, unsigned long pfn,
		     unsigned int order);
void prb_putback(struct page *page, unsigned int order, bool reported);
void prb_shrink_zone(struct zone *zone, struct prb_zone *hz);
unsigned long prb_owned(void);
unsigned long prb_held(void);
unsigned long prb_apply(struct page_reporting_dev_info *prdev);
void prb_notify_owner(void);
void prb_unlock(void);

static inline unsigned long prb_count(enum prb_counter c)
{
	return atomic_long_read(&prb_counters[c]);
}

static inline void prb_count_add(enum prb_counter c, long n)
{
	atomic_long_add(n, &prb_counters[c]);
}

#endif /* _MM_PAGE_REPORTING_BUFFER_INTERNAL_H */
