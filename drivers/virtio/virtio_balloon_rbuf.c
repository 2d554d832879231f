// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-balloon reporting buffer (VIRTIO_BALLOON_F_REPORTING_BUFFER).
 *
 * The feature is bit 9, not 6, the next one after REPORTING: bits 6 to 8
 * are taken by other proposals and by crosvm, and a device offering one
 * of them has no reporting_buffer_pages at offset 16 for us to read.
 *
 * The device lends reporting_buffer_pages 4 KiB pages to the guest.  The driver
 * hands that size to the mm core, which isolates and reports that much
 * free memory and uses it to keep free memory constant while reporting.
 * The driver writes back in reporting_buffer_actual what the guest really
 * holds, which is less when the guest is short of memory or the buffer is
 * capped or disabled by page_reporting_buffer.* parameters.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/page_reporting_buffer.h>
#include <linux/sizes.h>
#include <linux/virtio_balloon.h>
#include <linux/virtio_config.h>

#include "virtio_balloon_rbuf.h"

/*
 * Given back per OOM notification: 4 MiB, a few pageblocks, so a task
 * that needs a little more memory is not killed and a buffer of hundreds
 * of MiB is not dropped at the first OOM.
 */
#define VIRTIO_BALLOON_RBUF_OOM_PAGES	(SZ_4M >> PAGE_SHIFT)

/* Config space counts in 4 KiB units whatever the guest page size */
#define RBUF_UNIT_SHIFT	(PAGE_SHIFT - VIRTIO_BALLOON_PFN_SHIFT)
#define RBUF_UNIT_MIB_SHIFT	(20 - VIRTIO_BALLOON_PFN_SHIFT)

/*
 * The largest buffer the driver takes: half of the guest's memory, buffer
 * included.  The device means the buffer to come on top of the memory the
 * guest needs, so a bigger offer is a device bug or a device giving bit 9
 * and offset 16 another meaning; in the worst case the field reads as
 * 0xffffffff, 16 TiB, and filling that would take all free memory.
 */
static unsigned long virtio_balloon_rbuf_limit(void)
{
	return (totalram_pages() + page_reporting_buffer_pages()) / 2;
}

void virtio_balloon_rbuf_validate(struct virtio_device *vdev)
{
	/*
	 * The buffer is filled and used through the reporting queue, and is
	 * useless to a kernel without the mm side.
	 */
	if (!IS_ENABLED(CONFIG_PAGE_REPORTING_BUFFER) ||
	    !virtio_has_feature(vdev, VIRTIO_BALLOON_F_REPORTING)) {
		__virtio_clear_bit(vdev, VIRTIO_BALLOON_F_REPORTING_BUFFER);
		return;
	}
	/*
	 * Poisoned free pages must keep the pattern, so the device may not
	 * discard what it is told about (poison_val is then nonzero, see
	 * virtballoon_validate()): a buffer would pin its whole size on the
	 * host and save nothing.  init_on_free alone is fine, discarded
	 * pages read zero.
	 */
	if (virtio_has_feature(vdev, VIRTIO_BALLOON_F_REPORTING_BUFFER) &&
	    page_poisoning_enabled_static() && !want_init_on_free()) {
		dev_info(&vdev->dev, "no reporting buffer with page poisoning: the host cannot discard poisoned pages\n");
		__virtio_clear_bit(vdev, VIRTIO_BALLOON_F_REPORTING_BUFFER);
	}
}
EXPORT_SYMBOL_GPL(virtio_balloon_rbuf_validate);

static void virtio_balloon_rbuf_work(struct work_struct *work)
{
	struct virtio_balloon_rbuf *rbuf =
		container_of(work, struct virtio_balloon_rbuf, work);
	unsigned long want, held, limit;
	u32 offered, actual;
	bool capped;

	if (READ_ONCE(rbuf->stopped))
		return;
	if (READ_ONCE(rbuf->stalled)) {
		/* the stall handler gave the buffer back for good */
		actual = 0;
		virtio_cwrite_le(rbuf->vdev, struct virtio_balloon_config,
				 reporting_buffer_actual, &actual);
		return;
	}

	virtio_cread_le(rbuf->vdev, struct virtio_balloon_config,
			reporting_buffer_pages, &offered);
	want = (unsigned long)offered >> RBUF_UNIT_SHIFT;
	want -= min_t(unsigned long, want, atomic_long_read(&rbuf->oom_pages));
	limit = virtio_balloon_rbuf_limit();
	capped = want > limit;
	if (capped)
		want = limit;
	held = page_reporting_buffer_resize(rbuf->prdev, want);

	if (capped && !rbuf->warned) {
		dev_warn(&rbuf->vdev->dev,
			 "reporting buffer: device offers %u MiB, more than half of the guest's memory: using %lu MiB\n",
			 offered >> RBUF_UNIT_MIB_SHIFT,
			 held >> (20 - PAGE_SHIFT));
		rbuf->warned = true;
	} else if (held < want && !rbuf->warned) {
		dev_info(&rbuf->vdev->dev,
			 "reporting buffer: offered %lu pages, holding %lu (capped, disabled, rounded to chunks or memory short)\n",
			 want, held);
		rbuf->warned = true;
	}

	actual = min_t(unsigned long, held << RBUF_UNIT_SHIFT, U32_MAX);
	virtio_cwrite_le(rbuf->vdev, struct virtio_balloon_config,
			 reporting_buffer_actual, &actual);
}

/*
 * After a report timed out: stop reporting on this device (which gives
 * the reporting buffer back to the free lists, the host discarded it long
 * ago), then watch for the device completing the report, which is when
 * the chunks it held may be freed.  Until then they stay isolated.
 */
static void virtio_balloon_rbuf_stall_work(struct work_struct *work)
{
	struct virtio_balloon_rbuf *rbuf =
		container_of(to_delayed_work(work), struct virtio_balloon_rbuf,
			     stall_work);
	unsigned int unused;
	u32 actual = 0;

	if (!rbuf->stall_handled) {
		rbuf->stall_handled = true;
		page_reporting_unregister(rbuf->prdev);
		virtio_cwrite_le(rbuf->vdev, struct virtio_balloon_config,
				 reporting_buffer_actual, &actual);
		dev_err(&rbuf->vdev->dev,
			"free page report not completed within %u ms: reporting stopped, reporting buffer freed, %lu pages the device holds stay isolated until it completes the report or is reset\n",
			jiffies_to_msecs(page_reporting_buffer_report_timeout()),
			rbuf->kept_pages);
	}

	if (!virtqueue_get_buf(rbuf->stalled_vq, &unused)) {
		queue_delayed_work(system_freezable_wq, &rbuf->stall_work, HZ);
		return;
	}
	dev_info(&rbuf->vdev->dev,
		 "the device completed the stalled free page report after %u ms: freed %lu isolated pages, reporting stays off until the driver is bound again or the device is reset\n",
		 jiffies_to_msecs(jiffies - rbuf->stall_start),
		 page_reporting_buffer_return_kept(&rbuf->kept));
}

/*
 * The report callback when the reporting buffer is negotiated: the stock
 * one waits for the device for ever, which a stuck host turns into a hung
 * reporting worker, a hung resize and a driver that cannot be unbound.
 */
int virtio_balloon_rbuf_report(struct virtio_balloon_rbuf *rbuf,
			       struct virtqueue *vq, wait_queue_head_t *acked,
			       struct scatterlist *sg, unsigned int nents)
{
	unsigned long start = jiffies;
	unsigned int unused;
	int err;

	/* the queue still holds the stalled report */
	if (READ_ONCE(rbuf->stalled))
		return -EIO;

	err = virtqueue_add_inbuf(vq, sg, nents, rbuf,
				  GFP_NOWAIT | __GFP_NOWARN);
	if (WARN_ON_ONCE(err))
		return err;
	virtqueue_kick(vq);

	if (wait_event_timeout(*acked, virtqueue_get_buf(vq, &unused),
			       page_reporting_buffer_report_timeout()))
		return 0;

	/* the device may still discard them: they must not be freed yet */
	rbuf->kept_pages = page_reporting_buffer_keep(sg, nents, &rbuf->kept);
	rbuf->stalled_vq = vq;
	rbuf->stall_start = start;
	WRITE_ONCE(rbuf->stalled, true);
	queue_delayed_work(system_freezable_wq, &rbuf->stall_work, 0);
	return -ETIMEDOUT;
}
EXPORT_SYMBOL_GPL(virtio_balloon_rbuf_report);

/*
 * After a device reset: the device let go of every report, so the stall
 * is over.  Left set, it would fail every report after a restore and keep
 * reporting_buffer_actual at 0 for good.  Reporting, if the stall handler
 * unregistered it, comes back in virtio_balloon_rbuf_start(): a reset on
 * the way to removal must not register it again.
 */
void virtio_balloon_rbuf_reset(struct virtio_balloon_rbuf *rbuf)
{
	unsigned long released;

	if (!rbuf->active)
		return;
	/* a pass that timed out after virtio_balloon_rbuf_stop() queued it */
	cancel_delayed_work_sync(&rbuf->stall_work);
	if (!READ_ONCE(rbuf->stalled))
		return;
	released = page_reporting_buffer_return_kept(&rbuf->kept);
	if (released)
		dev_info(&rbuf->vdev->dev,
			 "device reset: freed %lu pages of the stalled free page report\n",
			 released);
	rbuf->stalled_vq = NULL;
	WRITE_ONCE(rbuf->stalled, false);
}
EXPORT_SYMBOL_GPL(virtio_balloon_rbuf_reset);

/*
 * The guest changed the buffer itself (page_reporting_buffer sysfs, memory
 * offlining): resize again so that reporting_buffer_actual follows.
 */
static void virtio_balloon_rbuf_resync(void *data)
{
	struct virtio_balloon_rbuf *rbuf = data;

	if (!READ_ONCE(rbuf->stopped))
		queue_work(system_freezable_wq, &rbuf->work);
}

void virtio_balloon_rbuf_init(struct virtio_balloon_rbuf *rbuf,
			      struct virtio_device *vdev,
			      struct page_reporting_dev_info *prdev)
{
	rbuf->vdev = vdev;
	rbuf->prdev = prdev;
	rbuf->active = virtio_has_feature(vdev,
					  VIRTIO_BALLOON_F_REPORTING_BUFFER);
	rbuf->stopped = true;
	rbuf->warned = false;
	rbuf->stalled = false;
	rbuf->stall_handled = false;
	INIT_LIST_HEAD(&rbuf->kept);
	rbuf->kept_pages = 0;
	atomic_long_set(&rbuf->oom_pages, 0);
	INIT_WORK(&rbuf->work, virtio_balloon_rbuf_work);
	INIT_DELAYED_WORK(&rbuf->stall_work, virtio_balloon_rbuf_stall_work);
}
EXPORT_SYMBOL_GPL(virtio_balloon_rbuf_init);

/*
 * Filling reports through the reporting queue, which needs DRIVER_OK and
 * may take many host round trips: do it from the freezable workqueue.
 */
void virtio_balloon_rbuf_start(struct virtio_balloon_rbuf *rbuf)
{
	int err;

	if (!rbuf->active)
		return;
	/* a restore after a stall: the reset gave the device a clean slate */
	if (rbuf->stall_handled) {
		err = page_reporting_register(rbuf->prdev);
		if (err) {
			dev_err(&rbuf->vdev->dev,
				"free page reporting not resumed after the stall: %d\n",
				err);
			return;
		}
		rbuf->stall_handled = false;
		dev_info(&rbuf->vdev->dev,
			 "free page reporting resumed after the stall\n");
	}
	WRITE_ONCE(rbuf->stopped, false);
	page_reporting_buffer_set_notify(rbuf->prdev, virtio_balloon_rbuf_resync,
					 rbuf);
	queue_work(system_freezable_wq, &rbuf->work);
}
EXPORT_SYMBOL_GPL(virtio_balloon_rbuf_start);

/*
 * Called from the config-change interrupt under the driver's lock.  A new
 * offer is the device's word on the buffer again, OOM or not.
 */
void virtio_balloon_rbuf_changed(struct virtio_balloon_rbuf *rbuf)
{
	if (rbuf->active && !READ_ONCE(rbuf->stopped)) {
		atomic_long_set(&rbuf->oom_pages, 0);
		queue_work(system_freezable_wq, &rbuf->work);
	}
}
EXPORT_SYMBOL_GPL(virtio_balloon_rbuf_changed);

/*
 * From the balloon's OOM notifier, registered when the device offers
 * VIRTIO_BALLOON_F_DEFLATE_ON_OOM: the device consents to the guest using
 * memory it lent rather than killing a task, so give back part of the
 * buffer, as the balloon deflates part of itself, and tell the device.
 * The buffer stays that much smaller until the device changes its offer.
 * Returns the pages given back.
 */
unsigned long virtio_balloon_rbuf_oom(struct virtio_balloon_rbuf *rbuf)
{
	unsigned long released;

	if (!rbuf->active || READ_ONCE(rbuf->stopped) ||
	    READ_ONCE(rbuf->stalled))
		return 0;
	released = page_reporting_buffer_release(rbuf->prdev,
						 VIRTIO_BALLOON_RBUF_OOM_PAGES);
	if (released) {
		atomic_long_add(released, &rbuf->oom_pages);
		queue_work(system_freezable_wq, &rbuf->work);
		dev_info_ratelimited(&rbuf->vdev->dev,
				     "reporting buffer: gave %lu pages back under OOM (deflate-on-oom)\n",
				     released);
	}
	return released;
}
EXPORT_SYMBOL_GPL(virtio_balloon_rbuf_oom);

/* Give the whole buffer back to the guest: nothing stays isolated */
void virtio_balloon_rbuf_stop(struct virtio_balloon_rbuf *rbuf)
{
	u32 actual = 0;

	if (!rbuf->active)
		return;
	WRITE_ONCE(rbuf->stopped, true);
	page_reporting_buffer_set_notify(rbuf->prdev, NULL, NULL);
	cancel_work_sync(&rbuf->work);
	/* the device is about to be reset, which ends any stall */
	cancel_delayed_work_sync(&rbuf->stall_work);
	/* after a stall, unregistering already gave the buffer back */
	if (!rbuf->stall_handled)
		page_reporting_buffer_resize(rbuf->prdev, 0);
	virtio_cwrite_le(rbuf->vdev, struct virtio_balloon_config,
			 reporting_buffer_actual, &actual);
}
EXPORT_SYMBOL_GPL(virtio_balloon_rbuf_stop);

MODULE_DESCRIPTION("Virtio balloon reporting buffer");
MODULE_LICENSE("GPL");
