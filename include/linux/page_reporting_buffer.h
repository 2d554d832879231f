/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_PAGE_REPORTING_BUFFER_H
#define _LINUX_PAGE_REPORTING_BUFFER_H

#include <linux/jiffies.h>
#include <linux/page_reporting.h>

#ifdef CONFIG_PAGE_REPORTING_BUFFER
unsigned long page_reporting_buffer_resize(struct page_reporting_dev_info *prdev,
					   unsigned long nr_pages);
unsigned long page_reporting_buffer_pages(void);
unsigned long page_reporting_buffer_release(struct page_reporting_dev_info *prdev,
					    unsigned long nr_pages);
void page_reporting_buffer_set_notify(struct page_reporting_dev_info *prdev,
				      void (*changed)(void *data), void *data);
/*
 * Whatever a report callback returns, the chunks of the report go back to
 * the free lists, unless the callback keeps them: one that gives up
 * waiting for a device that may still use the pages calls
 * page_reporting_buffer_keep() on the report before returning, and
 * page_reporting_buffer_return_kept() once the device let go of them.
 */
unsigned long page_reporting_buffer_report_timeout(void);
unsigned long page_reporting_buffer_keep(struct scatterlist *sgl,
					 unsigned int nents,
					 struct list_head *kept);
unsigned long page_reporting_buffer_return_kept(struct list_head *kept);
#else
static inline unsigned long
page_reporting_buffer_resize(struct page_reporting_dev_info *prdev,
			     unsigned long nr_pages)
{
	return 0;
}

static inline unsigned long page_reporting_buffer_pages(void)
{
	return 0;
}

static inline unsigned long
page_reporting_buffer_release(struct page_reporting_dev_info *prdev,
			      unsigned long nr_pages)
{
	return 0;
}

static inline void
page_reporting_buffer_set_notify(struct page_reporting_dev_info *prdev,
				 void (*changed)(void *data), void *data)
{
}

static inline unsigned long page_reporting_buffer_report_timeout(void)
{
	return MAX_JIFFY_OFFSET;
}

/* not reached: without the buffer, reports wait for their device */
static inline unsigned long
page_reporting_buffer_keep(struct scatterlist *sgl, unsigned int nents,
			   struct list_head *kept)
{
	return 0;
}

static inline unsigned long
page_reporting_buffer_return_kept(struct list_head *kept)
{
	return 0;
}
#endif /* CONFIG_PAGE_REPORTING_BUFFER */
#endif /* _LINUX_PAGE_REPORTING_BUFFER_H */
