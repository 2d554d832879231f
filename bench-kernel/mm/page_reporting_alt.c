// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark-only guest-side alternatives to the reporting buffer.
 *
 * A reviewer of the reporting buffer will ask whether the fake OOM (memory
 * that is out being reported looks used) could not be avoided in the
 * guest alone.  These are the three answers usually given, implemented
 * just well enough to measure them against the buffer:
 *
 *  scale_batch     cap a reporting batch by the zone's free memory above
 *                  the low watermark (Xunlei Pang, 2021) and at the bytes
 *                  of a full batch of the reporting order (Alexander
 *                  Duyck's reply), so a batch never takes more than half
 *                  of the headroom;
 *  retry_inflight  let should_reclaim_retry() count chunks out being
 *                  reported as progress, so the allocator keeps retrying
 *                  instead of declaring OOM;
 *  oom_wait_ms     before the OOM killer, sleep (bounded) until reports
 *                  in flight in the allocation's zones have completed.
 *
 * All are off by default; this file and its hooks are not part of the
 * upstream series.  Only stock (uncompensated) reports are tracked: with
 * the reporting buffer nothing has to be waited for.
 */

#define pr_fmt(fmt) "page_reporting_alt: " fmt

#include <linux/atomic.h>
#include <linux/cpuset.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/page_reporting_alt.h>
#include <linux/page_reporting.h>
#include <linux/sched.h>
#include <linux/swap.h>
#include <linux/sysfs.h>
#include <linux/wait.h>

#include "internal.h"
#include "page_reporting.h"

/* an allocation waits at most this many times before it may go OOM */
#define ALT_OOM_WAITS_MAX	3
#define ALT_OOM_WAIT_MAX_MS	60000

static bool alt_scale_batch;
static bool alt_retry_inflight;
static unsigned int alt_oom_wait_ms;

static int alt_oom_wait_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int err = kstrtouint(val, 0, &ms);

	if (err || ms > ALT_OOM_WAIT_MAX_MS) {
		pr_warn("oom_wait_ms=%s refused: 0..%u, keeping %u\n", val,
			ALT_OOM_WAIT_MAX_MS, alt_oom_wait_ms);
		return -EINVAL;
	}
	WRITE_ONCE(alt_oom_wait_ms, ms);
	return 0;
}

static const struct kernel_param_ops alt_oom_wait_ops = {
	.set = alt_oom_wait_set,
	.get = param_get_uint,
};

module_param_named(scale_batch, alt_scale_batch, bool, 0444);
MODULE_PARM_DESC(scale_batch, "Cap reporting batches by free memory above the low watermark");
module_param_named(retry_inflight, alt_retry_inflight, bool, 0444);
MODULE_PARM_DESC(retry_inflight, "Count chunks being reported as reclaim progress");
module_param_cb(oom_wait_ms, &alt_oom_wait_ops, &alt_oom_wait_ms, 0444);
MODULE_PARM_DESC(oom_wait_ms, "Wait this long for reports in flight before the OOM killer (0: off)");

static atomic_long_t alt_batch_cuts;
static atomic_long_t alt_retries;
static atomic_long_t alt_oom_waits;
static atomic_long_t alt_oom_wait_timeouts;
static atomic_long_t alt_inflight_peak;

/* uncompensated pages out being reported, per (node, zone) */
static atomic_long_t alt_inflight[MAX_NUMNODES * MAX_NR_ZONES];
static DECLARE_WAIT_QUEUE_HEAD(alt_wq);

/*
 * page_reporting_process() is a single work item, so one report is out at
 * a time: what it took is remembered here until its chunks are back.
 */
static struct zone *alt_report_zone;
static unsigned long alt_report_pages;

static atomic_long_t *alt_zone_counter(struct zone *zone)
{
	return &alt_inflight[zone_to_nid(zone) * MAX_NR_ZONES +
			     zone_idx(zone)];
}

static unsigned long alt_sg_pages(struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	unsigned long pages = 0;
	int i;

	for_each_sg(sgl, sg, nents, i)
		pages += sg->length >> PAGE_SHIFT;
	return pages;
}

/*
 * Called under zone->lock before a chunk of @order would join the batch
 * @sgl[0..nents-1].  The free count already lacks the batch, so it is
 * added back to get the headroom the batch started from; re-reading it
 * for every chunk keeps the cap from going stale during a pass.
 */
bool page_reporting_alt_batch_full(struct zone *zone, unsigned int order,
				 struct scatterlist *sgl, unsigned int nents)
{
	unsigned long batch, free, low, cap;

	if (!READ_ONCE(alt_scale_batch) || !nents)
		return false;

	batch = alt_sg_pages(sgl, nents);
	free = zone_page_state(zone, NR_FREE_PAGES) + batch;
	low = low_wmark_pages(zone);
	cap = (unsigned long)PAGE_REPORTING_CAPACITY << page_reporting_order;
	cap = min(cap, free > low ? (free - low) / 2 : 0);
	if (batch + (1UL << order) <= cap)
		return false;
	atomic_long_inc(&alt_batch_cuts);
	return true;
}

void page_reporting_alt_reporting(struct zone *zone, struct scatterlist *sgl,
				unsigned int nents)
{
	unsigned long pages = alt_sg_pages(sgl, nents);
	long now = atomic_long_add_return(pages, alt_zone_counter(zone));
	long peak = atomic_long_read(&alt_inflight_peak);

	while (now > peak &&
	       !atomic_long_try_cmpxchg(&alt_inflight_peak, &peak, now))
		;
	alt_report_zone = zone;
	alt_report_pages = pages;
}

/*
 * The chunks are back in the free lists (or stranded on a stuck device,
 * which no amount of waiting brings back).
 */
void page_reporting_alt_drained(void)
{
	if (!alt_report_zone)
		return;
	atomic_long_sub(alt_report_pages, alt_zone_counter(alt_report_zone));
	alt_report_zone = NULL;
	alt_report_pages = 0;
	if (wq_has_sleeper(&alt_wq))
		wake_up_all(&alt_wq);
}

static unsigned long alt_inflight_in(struct zonelist *zonelist,
				     int highest_zoneidx, nodemask_t *nodemask)
{
	unsigned long pages = 0;
	struct zoneref *z;
	struct zone *zone;

	for_each_zone_zonelist_nodemask(zone, z, zonelist, highest_zoneidx,
					nodemask)
		pages += atomic_long_read(alt_zone_counter(zone));
	return pages;
}

/*
 * should_reclaim_retry() gave up: retry anyway if some zone would pass
 * its min watermark once its chunks out being reported are back.  Stock
 * reclaim does not see them because they are neither free nor on an LRU.
 */
bool page_reporting_alt_retry(gfp_t gfp_mask, unsigned int order,
			    struct zonelist *zonelist, int highest_zoneidx,
			    nodemask_t *nodemask, unsigned int alloc_flags)
{
	unsigned int wmark_order;
	struct zoneref *z;
	struct zone *zone;

	if (!READ_ONCE(alt_retry_inflight))
		return false;

	for_each_zone_zonelist_nodemask(zone, z, zonelist, highest_zoneidx,
					nodemask) {
		long inflight = atomic_long_read(alt_zone_counter(zone));
		long avail;

		if (inflight <= 0)
			continue;
		if (cpusets_enabled() && (alloc_flags & ALLOC_CPUSET) &&
		    !__cpuset_zone_allowed(zone, gfp_mask))
			continue;
		avail = zone_reclaimable_pages(zone) +
			zone_page_state_snapshot(zone, NR_FREE_PAGES) +
			inflight;
		/*
		 * The chunks come back whole, at the reporting order or
		 * above, so any one of them serves an order up to that;
		 * the free lists as they are now, without them, may hold
		 * no block of that order at all (a fork's order-2 stack).
		 */
		if (order <= page_reporting_order && inflight >= 1L << order)
			wmark_order = 0;
		else
			wmark_order = order;
		if (__zone_watermark_ok(zone, wmark_order,
					min_wmark_pages(zone), highest_zoneidx,
					alloc_flags, avail)) {
			atomic_long_inc(&alt_retries);
			return true;
		}
	}
	return false;
}

/*
 * Last stop before the OOM killer.  @waits is how often this allocation
 * already waited: a pass may start new reports while we sleep, so the
 * number of waits is bounded as well as each wait.
 */
bool page_reporting_alt_oom_wait(struct zonelist *zonelist, int highest_zoneidx,
			       nodemask_t *nodemask, unsigned int waits)
{
	unsigned int ms = READ_ONCE(alt_oom_wait_ms);
	long left;

	if (!ms || waits >= ALT_OOM_WAITS_MAX ||
	    !alt_inflight_in(zonelist, highest_zoneidx, nodemask))
		return false;

	atomic_long_inc(&alt_oom_waits);
	left = wait_event_timeout(alt_wq,
				  !alt_inflight_in(zonelist, highest_zoneidx,
						   nodemask),
				  msecs_to_jiffies(ms));
	if (!left) {
		atomic_long_inc(&alt_oom_wait_timeouts);
		return false;
	}
	return true;
}

static unsigned long alt_inflight_total(void)
{
	unsigned long pages = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(alt_inflight); i++)
		pages += atomic_long_read(&alt_inflight[i]);
	return pages;
}

#define ALT_COUNTER(_name, _expr)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lu\n", (unsigned long)(_expr));	\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

ALT_COUNTER(batch_cuts, atomic_long_read(&alt_batch_cuts));
ALT_COUNTER(retries, atomic_long_read(&alt_retries));
ALT_COUNTER(oom_waits, atomic_long_read(&alt_oom_waits));
ALT_COUNTER(oom_wait_timeouts, atomic_long_read(&alt_oom_wait_timeouts));
ALT_COUNTER(in_flight_pages, alt_inflight_total());
ALT_COUNTER(in_flight_peak_pages, atomic_long_read(&alt_inflight_peak));

static struct attribute *alt_attrs[] = {
	&batch_cuts_attr.attr,
	&retries_attr.attr,
	&oom_waits_attr.attr,
	&oom_wait_timeouts_attr.attr,
	&in_flight_pages_attr.attr,
	&in_flight_peak_pages_attr.attr,
	NULL,
};

static const struct attribute_group alt_attr_group = {
	.attrs = alt_attrs,
};

static int __init page_reporting_alt_init(void)
{
	struct kobject *kobj;
	int err;

	kobj = kobject_create_and_add("page_reporting_alt", mm_kobj);
	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_group(kobj, &alt_attr_group);
	if (err)
		kobject_put(kobj);
	return err;
}
subsys_initcall(page_reporting_alt_init);
