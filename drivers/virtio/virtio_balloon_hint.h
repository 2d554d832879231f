/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VIRTIO_BALLOON_HINT_H
#define _VIRTIO_BALLOON_HINT_H

#include <linux/page_reporting.h>
#include <linux/virtio.h>
#include <linux/workqueue.h>

/* Driver side of VIRTIO_BALLOON_F_HINT_BUFFER, see virtio_balloon_hint.c */
struct virtio_balloon_hint {
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
	/* what the stalled report held, see page_hinting_keep() */
	struct list_head kept;
	unsigned long kept_pages;
	unsigned long stall_start;	/* jiffies when that report was sent */
	struct delayed_work stall_work;
	/* given back under OOM since the device last changed its offer */
	atomic_long_t oom_pages;
};

void virtio_balloon_hint_validate(struct virtio_device *vdev);
void virtio_balloon_hint_init(struct virtio_balloon_hint *hint,
			      struct virtio_device *vdev,
			      struct page_reporting_dev_info *prdev);
void virtio_balloon_hint_start(struct virtio_balloon_hint *hint);
void virtio_balloon_hint_changed(struct virtio_balloon_hint *hint);
void virtio_balloon_hint_stop(struct virtio_balloon_hint *hint);
int virtio_balloon_hint_report(struct virtio_balloon_hint *hint,
			       struct virtqueue *vq, wait_queue_head_t *acked,
			       struct scatterlist *sg, unsigned int nents);
void virtio_balloon_hint_reset(struct virtio_balloon_hint *hint);
unsigned long virtio_balloon_hint_oom(struct virtio_balloon_hint *hint);
#endif /* _VIRTIO_BALLOON_HINT_H */
