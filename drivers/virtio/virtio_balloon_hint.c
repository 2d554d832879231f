// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-balloon hinting buffer (VIRTIO_BALLOON_F_HINT_BUFFER).
 *
 * The device lends hint_buffer_pages 4 KiB pages to the guest.  The driver
 * hands that size to the mm core, which isolates and reports that much
 * free memory and uses it to keep free memory constant while reporting.
 * The driver writes back in hint_buffer_actual what the guest really
 * holds, which is less when the guest is short of memory or the buffer is
 * capped or disabled by page_hinting.* parameters.
 */
#include <linux/module.h>
#include <linux/page_hinting.h>
#include <linux/virtio_balloon.h>
#include <linux/virtio_config.h>

#include "virtio_balloon_hint.h"

/* Config space counts in 4 KiB units whatever the guest page size */
#define HINT_UNIT_SHIFT	(PAGE_SHIFT - VIRTIO_BALLOON_PFN_SHIFT)

void virtio_balloon_hint_validate(struct virtio_device *vdev)
{
	/*
	 * The buffer is filled and used through the reporting queue, and is
	 * useless to a kernel without the mm side.
	 */
	if (!IS_ENABLED(CONFIG_PAGE_HINTING) ||
	    !virtio_has_feature(vdev, VIRTIO_BALLOON_F_REPORTING))
		__virtio_clear_bit(vdev, VIRTIO_BALLOON_F_HINT_BUFFER);
}
EXPORT_SYMBOL_GPL(virtio_balloon_hint_validate);

static void virtio_balloon_hint_work(struct work_struct *work)
{
	struct virtio_balloon_hint *hint =
		container_of(work, struct virtio_balloon_hint, work);
	unsigned long want, held;
	u32 offered, actual;

	if (READ_ONCE(hint->stopped))
		return;

	virtio_cread_le(hint->vdev, struct virtio_balloon_config,
			hint_buffer_pages, &offered);
	want = (unsigned long)offered >> HINT_UNIT_SHIFT;
	held = page_hinting_buffer_resize(hint->prdev, want);

	if (held < want && !hint->warned) {
		dev_info(&hint->vdev->dev,
			 "hinting buffer: offered %lu pages, holding %lu (capped, disabled, rounded to chunks or memory short)\n",
			 want, held);
		hint->warned = true;
	}

	actual = min_t(unsigned long, held << HINT_UNIT_SHIFT, U32_MAX);
	virtio_cwrite_le(hint->vdev, struct virtio_balloon_config,
			 hint_buffer_actual, &actual);
}

void virtio_balloon_hint_init(struct virtio_balloon_hint *hint,
			      struct virtio_device *vdev,
			      struct page_reporting_dev_info *prdev)
{
	hint->vdev = vdev;
	hint->prdev = prdev;
	hint->active = virtio_has_feature(vdev, VIRTIO_BALLOON_F_HINT_BUFFER);
	hint->stopped = true;
	hint->warned = false;
	INIT_WORK(&hint->work, virtio_balloon_hint_work);
}
EXPORT_SYMBOL_GPL(virtio_balloon_hint_init);

/*
 * Filling reports through the reporting queue, which needs DRIVER_OK and
 * may take many host round trips: do it from the freezable workqueue.
 */
void virtio_balloon_hint_start(struct virtio_balloon_hint *hint)
{
	if (!hint->active)
		return;
	WRITE_ONCE(hint->stopped, false);
	queue_work(system_freezable_wq, &hint->work);
}
EXPORT_SYMBOL_GPL(virtio_balloon_hint_start);

/* Called from the config-change interrupt under the driver's lock */
void virtio_balloon_hint_changed(struct virtio_balloon_hint *hint)
{
	if (hint->active && !READ_ONCE(hint->stopped))
		queue_work(system_freezable_wq, &hint->work);
}
EXPORT_SYMBOL_GPL(virtio_balloon_hint_changed);

/* Give the whole buffer back to the guest: nothing stays isolated */
void virtio_balloon_hint_stop(struct virtio_balloon_hint *hint)
{
	u32 actual = 0;

	if (!hint->active)
		return;
	WRITE_ONCE(hint->stopped, true);
	cancel_work_sync(&hint->work);
	page_hinting_buffer_resize(hint->prdev, 0);
	virtio_cwrite_le(hint->vdev, struct virtio_balloon_config,
			 hint_buffer_actual, &actual);
}
EXPORT_SYMBOL_GPL(virtio_balloon_hint_stop);

MODULE_DESCRIPTION("Virtio balloon hinting buffer");
MODULE_LICENSE("GPL");
