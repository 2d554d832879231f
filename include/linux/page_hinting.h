/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_PAGE_HINTING_H
#define _LINUX_PAGE_HINTING_H

#include <linux/jiffies.h>
#include <linux/page_reporting.h>

#ifdef CONFIG_PAGE_HINTING
unsigned long page_hinting_buffer_resize(struct page_reporting_dev_info *prdev,
					 unsigned long nr_pages);
unsigned long page_hinting_buffer_pages(void);
void page_hinting_set_notify(struct page_reporting_dev_info *prdev,
			     void (*changed)(void *data), void *data);
/*
 * A report callback that gave up waiting for its device returns
 * -ETIMEDOUT: the device still owns the pages, so they stay isolated
 * (stranded) until the driver knows the device let go of them (it
 * completed the report, or was reset) and calls
 * page_hinting_release_stranded().
 */
unsigned long page_hinting_report_timeout(void);
unsigned long page_hinting_release_stranded(void);
unsigned long page_hinting_stranded_pages(void);

/*
 * Hooks for mm/page_reporting.c only.  A reporting pass runs between
 * page_hinting_pass_begin() and page_hinting_pass_end() so that it never
 * reports concurrently with a resize, and reports through
 * page_hinting_report() so that every batch is counted and traced.
 * page_hinting_process_zone() returns a negative errno, 0 when the zone is
 * done, or 1 when its budget ran out and another pass should be requested.
 */
int page_hinting_report(struct page_reporting_dev_info *prdev,
			struct scatterlist *sgl, unsigned int nents);
void page_hinting_pass_begin(void);
void page_hinting_pass_end(void);
bool page_hinting_active(struct page_reporting_dev_info *prdev);
int page_hinting_process_zone(struct page_reporting_dev_info *prdev,
			      struct scatterlist *sgl, struct zone *zone);
void page_hinting_register(struct page_reporting_dev_info *prdev);
void page_hinting_unregister(struct page_reporting_dev_info *prdev);
unsigned long page_hinting_delay(void);
#else
static inline unsigned long
page_hinting_buffer_resize(struct page_reporting_dev_info *prdev,
			   unsigned long nr_pages)
{
	return 0;
}

static inline unsigned long page_hinting_buffer_pages(void)
{
	return 0;
}

static inline void
page_hinting_set_notify(struct page_reporting_dev_info *prdev,
			void (*changed)(void *data), void *data)
{
}

static inline unsigned long page_hinting_report_timeout(void)
{
	return MAX_JIFFY_OFFSET;
}

static inline unsigned long page_hinting_release_stranded(void)
{
	return 0;
}

static inline unsigned long page_hinting_stranded_pages(void)
{
	return 0;
}

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

static inline bool page_hinting_active(struct page_reporting_dev_info *prdev)
{
	return false;
}

static inline int page_hinting_process_zone(struct page_reporting_dev_info *prdev,
					    struct scatterlist *sgl,
					    struct zone *zone)
{
	return 0;
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
#endif /* _LINUX_PAGE_HINTING_H */
