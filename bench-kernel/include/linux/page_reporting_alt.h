/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Benchmark-only: guest-only alternatives to the reporting buffer, so that
 * they can be measured against it.  Not part of the upstream series.
 */
#ifndef _LINUX_PAGE_REPORTING_ALT_H
#define _LINUX_PAGE_REPORTING_ALT_H

#include <linux/gfp.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/scatterlist.h>

#ifdef CONFIG_PAGE_REPORTING_BUFFER
bool page_reporting_alt_batch_full(struct zone *zone, unsigned int order,
				 struct scatterlist *sgl, unsigned int nents);
void page_reporting_alt_reporting(struct zone *zone, struct scatterlist *sgl,
				unsigned int nents);
void page_reporting_alt_drained(void);
bool page_reporting_alt_retry(gfp_t gfp_mask, unsigned int order,
			    struct zonelist *zonelist, int highest_zoneidx,
			    nodemask_t *nodemask, unsigned int alloc_flags);
bool page_reporting_alt_oom_wait(struct zonelist *zonelist, int highest_zoneidx,
			       nodemask_t *nodemask, unsigned int waits);
#else
static inline bool page_reporting_alt_batch_full(struct zone *zone,
					       unsigned int order,
					       struct scatterlist *sgl,
					       unsigned int nents)
{
	return false;
}

static inline void page_reporting_alt_reporting(struct zone *zone,
					      struct scatterlist *sgl,
					      unsigned int nents)
{
}

static inline void page_reporting_alt_drained(void)
{
}

static inline bool page_reporting_alt_retry(gfp_t gfp_mask, unsigned int order,
					  struct zonelist *zonelist,
					  int highest_zoneidx,
					  nodemask_t *nodemask,
					  unsigned int alloc_flags)
{
	return false;
}

static inline bool page_reporting_alt_oom_wait(struct zonelist *zonelist,
					     int highest_zoneidx,
					     nodemask_t *nodemask,
					     unsigned int waits)
{
	return false;
}
#endif

#endif /* _LINUX_PAGE_REPORTING_ALT_H */
