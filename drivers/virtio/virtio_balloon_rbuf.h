/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VIRTIO_BALLOON_RBUF_H
#define _VIRTIO_BALLOON_RBUF_H

#include <linux/page_reporting.h>
#include <linux/virtio.h>
#include <linux/workqueue.h>

/* Driver side of VIRTIO_BALLOON_F_REPORTING_BUFFER (virtio_balloon_rbuf.c) */
struct virtio_balloon_rbuf {
	struct virtio_device *vdev;
	struct page_reporting_dev_info *prdev;
	struct work_struct work;
	bool active;
	bool stopped;
	bool warned;
	/* a report timed out: the device holds it, nothing more is sent */
	bool stalled;
	bool stall_handled;
	struct virtqueue *stalled_vq;
	/* what the stalled report held, see page_reporting_buffer_keep() */
	struct list_head kept;
	unsigned long kept_pages;
	unsigned long stall_start;	/* jiffies when that report went */
	struct delayed_work stall_work;
	/* given back under OOM since the device last changed its offer */
	atomic_long_t oom_pages;
};

void virtio_balloon_rbuf_validate(struct virtio_device *vdev);
void virtio_balloon_rbuf_init(struct virtio_balloon_rbuf *rbuf,
			      struct virtio_device *vdev,
			      struct page_reporting_dev_info *prdev);
void virtio_balloon_rbuf_start(struct virtio_balloon_rbuf *rbuf);
void virtio_balloon_rbuf_changed(struct virtio_balloon_rbuf *rbuf);
void virtio_balloon_rbuf_stop(struct virtio_balloon_rbuf *rbuf);
int virtio_balloon_rbuf_report(struct virtio_balloon_rbuf *rbuf,
			       struct virtqueue *vq, wait_queue_head_t *acked,
			       struct scatterlist *sg, unsigned int nents);
void virtio_balloon_rbuf_reset(struct virtio_balloon_rbuf *rbuf);
unsigned long virtio_balloon_rbuf_oom(struct virtio_balloon_rbuf *rbuf);
#endif /* _VIRTIO_BALLOON_RBUF_H */
