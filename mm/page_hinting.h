/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hooks of the hinting buffer for mm/page_reporting.c only; what drivers
 * call is in <linux/page_hinting.h>.  Include after "internal.h".
 */
#ifndef _MM_PAGE_HINTING_H
#define _MM_PAGE_HINTING_H

#include <linux/jiffies.h>
#include <linux/page_reporting.h>

#ifdef CONFIG_PAGE_HINTING
/*
 * Hooks for mm/page_reporting.c only.  A reporting pass runs between
 * page_hinting_pass_begin() and page_hinting_pass_end() so that it never
 * reports concurrently with a resize, and reports through
 * page_hinting_report() so that every batch is counted and traced.
 * page_reporting_cycle() isolates through page_hinting_isolate(), which
 * pays for a chunk with buffer memory when it can, closes a batch early
 * when page_hinting_batch_full() says so, and its drain lets
 * page_hinting_drain_page() settle paid chunks.  Without an active buffer
 * they behave as the stock code.
 */
int page_hinting_report(struct page_reporting_dev_info *prdev,
			struct scatterlist *sgl, unsigned int nents);
void page_hinting_pass_begin(void);
void page_hinting_pass_end(void);
bool page_hinting_zone_ok(struct page_reporting_dev_info *prdev,
			  struct zone *zone);
bool page_hinting_batch_full(struct page_reporting_dev_info *prdev,
			     struct zone *zone, unsigned int order, int mt,
			     unsigned int nents);
bool page_hinting_isolate(struct page_reporting_dev_info *prdev,
			  struct zone *zone, struct page *page,
			  unsigned int order, int mt, bool *restart);
bool page_hinting_drain_page(struct page *page, unsigned int order,
			     bool reported);
void page_hinting_register(struct page_reporting_dev_info *prdev);
void page_hinting_unregister(struct page_reporting_dev_info *prdev);
unsigned long page_hinting_delay(void);
#else
static inline int page_hinting_report(struct page_reporting_dev_info *prdev,
				      struct scatterlist *sgl,
				      unsigned int nents)
{
	return prdev->report(prdev, sgl, nents);
}

static inline void page_hinting_pass_begin(void)
{
}

static inline void page_hinting_pass_end(void)
{
}

static inline bool page_hinting_zone_ok(struct page_reporting_dev_info *prdev,
					struct zone *zone)
{
	return false;
}

static inline bool
page_hinting_batch_full(struct page_reporting_dev_info *prdev,
			struct zone *zone, unsigned int order, int mt,
			unsigned int nents)
{
	return false;
}

static inline bool page_hinting_isolate(struct page_reporting_dev_info *prdev,
					struct zone *zone, struct page *page,
					unsigned int order, int mt,
					bool *restart)
{
	*restart = false;
	return __isolate_free_page(page, order);
}

static inline bool page_hinting_drain_page(struct page *page,
					   unsigned int order, bool reported)
{
	return false;
}

static inline void page_hinting_register(struct page_reporting_dev_info *prdev)
{
}

static inline void page_hinting_unregister(struct page_reporting_dev_info *prdev)
{
}

static inline unsigned long page_hinting_delay(void)
{
	return 2 * HZ;
}
#endif /* CONFIG_PAGE_HINTING */
#endif /* _MM_PAGE_HINTING_H */
