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
};

void virtio_balloon_hint_validate(struct virtio_device *vdev);
void virtio_balloon_hint_init(struct virtio_balloon_hint *hint,
			      struct virtio_device *vdev,
			      struct page_reporting_dev_info *prdev);
void virtio_balloon_hint_start(struct virtio_balloon_hint *hint);
void virtio_balloon_hint_changed(struct virtio_balloon_hint *hint);
void virtio_balloon_hint_stop(struct virtio_balloon_hint *hint);
#endif /* _VIRTIO_BALLOON_HINT_H */
