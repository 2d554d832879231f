/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_PAGE_HINTING_H
#define _LINUX_PAGE_HINTING_H

#include <linux/jiffies.h>
#include <linux/page_reporting.h>

#ifdef CONFIG_PAGE_HINTING
unsigned long page_hinting_buffer_resize(struct page_reporting_dev_info *prdev,
					 unsigned long nr_pages);
unsigned long page_hinting_buffer_pages(void);
unsigned long page_hinting_buffer_release(struct page_reporting_dev_info *prdev,
					  unsigned long nr_pages);
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

static inline unsigned long
page_hinting_buffer_release(struct page_reporting_dev_info *prdev,
			    unsigned long nr_pages)
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
#endif /* CONFIG_PAGE_HINTING */
#endif /* _LINUX_PAGE_HINTING_H */
