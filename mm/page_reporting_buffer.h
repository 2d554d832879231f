/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hooks of the reporting buffer for mm/page_reporting.c only; what drivers
 * call is in <linux/page_reporting_buffer.h>.  Include after "internal.h".
 */
#ifndef _MM_PAGE_REPORTING_BUFFER_H
#define _MM_PAGE_REPORTING_BUFFER_H

#include <linux/jiffies.h>
#include <linux/page_reporting.h>

/* What page_reporting_cycle() does with the free chunk it is at */
enum page_reporting_buffer_step {
	PRB_STEP_ISOLATED,	/* the chunk is in the batch */
	PRB_STEP_RESTART,	/* in the batch; the list changed before it */
	PRB_STEP_REPORT,	/* report the batch first */
	PRB_STEP_STOP,		/* leave it and the rest of the list */
};

#ifdef CONFIG_PAGE_REPORTING_BUFFER
/*
 * Hooks for mm/page_reporting.c only.  A reporting pass runs between
 * page_reporting_buffer_pass_begin() and page_reporting_buffer_pass_end()
 * so that it never reports concurrently with a resize, and reports
 * through page_reporting_buffer_report() so that every batch is counted
 * and traced.  page_reporting_cycle() asks page_reporting_buffer_isolate()
 * what to do with each chunk: it pays for the chunk with buffer memory
 * when it can, or says to report the batch first when the buffer is out
 * with it; the drain lets page_reporting_buffer_drain_page() settle paid
 * chunks.  Without an active buffer they behave as the stock code.
 */
int page_reporting_buffer_report(struct page_reporting_dev_info *prdev,
				 struct scatterlist *sgl, unsigned int nents);
void page_reporting_buffer_pass_begin(void);
void page_reporting_buffer_pass_end(void);
bool page_reporting_buffer_zone_ok(struct page_reporting_dev_info *prdev,
				   struct zone *zone);
enum page_reporting_buffer_step
page_reporting_buffer_isolate(struct page_reporting_dev_info *prdev,
			      struct zone *zone, struct page *page,
			      unsigned int order, int mt, unsigned int room);
bool page_reporting_buffer_drain_page(struct page *page, unsigned int order,
				      bool reported);
void page_reporting_buffer_register(struct page_reporting_dev_info *prdev);
void page_reporting_buffer_unregister(struct page_reporting_dev_info *prdev);
unsigned long page_reporting_buffer_delay(void);
#else
static inline int page_reporting_buffer_report(struct page_reporting_dev_info *prdev,
					       struct scatterlist *sgl,
					       unsigned int nents)
{
	return prdev->report(prdev, sgl, nents);
}

static inline void page_reporting_buffer_pass_begin(void)
{
}

static inline void page_reporting_buffer_pass_end(void)
{
}

static inline bool page_reporting_buffer_zone_ok(struct page_reporting_dev_info *prdev,
						 struct zone *zone)
{
	return false;
}

static inline enum page_reporting_buffer_step
page_reporting_buffer_isolate(struct page_reporting_dev_info *prdev,
			      struct zone *zone, struct page *page,
			      unsigned int order, int mt, unsigned int room)
{
	if (!room)
		return PRB_STEP_REPORT;
	return __isolate_free_page(page, order) ? PRB_STEP_ISOLATED :
						   PRB_STEP_STOP;
}

static inline bool page_reporting_buffer_drain_page(struct page *page,
						    unsigned int order,
						    bool reported)
{
	return false;
}

static inline void page_reporting_buffer_register(struct page_reporting_dev_info *prdev)
{
}

static inline void page_reporting_buffer_unregister(struct page_reporting_dev_info *prdev)
{
}

static inline unsigned long page_reporting_buffer_delay(void)
{
	return 2 * HZ;
}
#endif /* CONFIG_PAGE_REPORTING_BUFFER */
#endif /* _MM_PAGE_REPORTING_BUFFER_H */
