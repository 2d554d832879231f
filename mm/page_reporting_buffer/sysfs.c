// SPDX-License-Identifier: GPL-2.0
/*
 * Reporting buffer for free page reporting: its parameters and its
 * counters in sysfs.
 *
 * See Documentation/admin-guide/mm/page_reporting_buffer.rst.
 */
#define pr_fmt(fmt) "page_reporting_buffer: " fmt

#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "internal.h"

/* sysfs.o would name them "sysfs." */
#ifdef MODULE_PARAM_PREFIX
#undef MODULE_PARAM_PREFIX
#endif
#define MODULE_PARAM_PREFIX "page_reporting_buffer."

bool prb_enabled = true;
unsigned long prb_max_mib;
unsigned long prb_capacity = PAGE_REPORTING_CAPACITY;
unsigned long prb_delay_ms;
unsigned long prb_timeout_ms = PRB_TIMEOUT_DEF_MS;

/*
 * Every knob is a module parameter, given at boot or written under
 * /sys/module/.../parameters/ at run time, and /sys/kernel/mm/ only shows
 * state: one place per knob.  The set ops know the parameter only by
 * kp->arg, so each numeric knob carries its full name for the message a
 * refused value gets.
 */
struct prb_knob {
	const char *name;
	unsigned long *val;
	bool *flag;		/* instead of val, for a bool */
	unsigned long min, max;
	/* 0 is accepted besides min..max: "pick automatically" */
	bool zero_auto;
	/* the buffer's size depends on it: resize when it changes */
	bool resize;
};

/*
 * Resize the buffer to the knobs just written under prb_mutex, and drop
 * the mutex.  Synchronous, so that a write returns once the buffer has
 * its new size, as writing kfence.sample_interval enables KFENCE from
 * its set op.  The mutex also keeps a reporting walk on one capacity.
 */
static void prb_resize_unlock(void)
{
	prb_apply(prb_prdev);
	prb_notify_owner();
	prb_unlock();
}

/*
 * At boot no buffer exists yet and prb_nodes is not allocated: the
 * driver applies the knobs when it first sizes the buffer.
 */
static void prb_knob_store(const struct prb_knob *k, unsigned long v)
{
	bool resize = k->resize && system_state != SYSTEM_BOOTING;

	if (resize)
		mutex_lock(&prb_mutex);
	if (k->flag)
		WRITE_ONCE(*k->flag, !!v);
	else
		WRITE_ONCE(*k->val, v);
	if (resize)
		prb_resize_unlock();
}

static int prb_knob_set(const char *val, const struct kernel_param *kp)
{
	const struct prb_knob *k = kp->arg;
	unsigned long v;

	if (kstrtoul(val, 0, &v) || (v < k->min && !(k->zero_auto && !v)) ||
	    v > k->max) {
		/* a sysfs write ends in a newline: keep it out of the line */
		pr_err("invalid %s=%.*s, accepted %srange %lu..%lu, keeping %lu\n",
		       k->name, (int)strcspn(val, "\n"), val,
		       k->zero_auto ? "0 (automatic) or " : "", k->min, k->max,
		       READ_ONCE(*k->val));
		return -EINVAL;
	}
	prb_knob_store(k, v);
	return 0;
}

static int prb_knob_get(char *buffer, const struct kernel_param *kp)
{
	const struct prb_knob *k = kp->arg;

	return sysfs_emit(buffer, "%lu\n", READ_ONCE(*k->val));
}

static const struct kernel_param_ops prb_knob_ops = {
	.set = prb_knob_set,
	.get = prb_knob_get,
};

static const struct prb_knob prb_enable_knob = {
	.name = "page_reporting_buffer.enable",
	.flag = &prb_enabled,
	.resize = true,
};

/* kstrtobool() as for any bool parameter, with a message on refusal */
static int prb_enable_set(const char *val, const struct kernel_param *kp)
{
	bool v;

	/* a bare "page_reporting_buffer.enable" means on */
	if (!val)
		val = "1";
	if (kstrtobool(val, &v)) {
		pr_err("invalid %s=%.*s, accepted y/n, 1/0, on/off, true/false, keeping %d\n",
		       prb_enable_knob.name, (int)strcspn(val, "\n"), val,
		       READ_ONCE(prb_enabled));
		return -EINVAL;
	}
	prb_knob_store(&prb_enable_knob, v);
	return 0;
}

static const struct kernel_param_ops prb_enable_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = prb_enable_set,
	.get = param_get_bool,
};

static struct prb_knob prb_max_mib_knob = {
	.name = "page_reporting_buffer.max_mib",
	.val = &prb_max_mib,
	.max = PRB_MAX_MIB_LIMIT,
	.resize = true,
};

static struct prb_knob prb_capacity_knob = {
	.name = "page_reporting_buffer.capacity",
	.val = &prb_capacity,
	.min = 1,
	.max = PAGE_REPORTING_CAPACITY,
	.resize = true,
};

static struct prb_knob prb_timeout_knob = {
	.name = "page_reporting_buffer.report_timeout_ms",
	.val = &prb_timeout_ms,
	.min = PRB_TIMEOUT_MIN_MS,
	.max = PRB_TIMEOUT_MAX_MS,
};

module_param_cb(enable, &prb_enable_ops, &prb_enabled, 0644);
MODULE_PARM_DESC(enable, "Use the reporting buffer the device offers");
module_param_cb(max_mib, &prb_knob_ops, &prb_max_mib_knob, 0644);
MODULE_PARM_DESC(max_mib, "Cap on the reporting buffer in MiB, 0 = no cap");
module_param_cb(capacity, &prb_knob_ops, &prb_capacity_knob, 0644);
MODULE_PARM_DESC(capacity, "Chunks per report, 1..32");
module_param_cb(report_timeout_ms, &prb_knob_ops, &prb_timeout_knob, 0644);
MODULE_PARM_DESC(report_timeout_ms,
		 "Longest wait for the device to complete a report in ms, 100..3600000");

static struct prb_knob prb_delay_knob = {
	.name = "page_reporting.delay_ms",
	.val = &prb_delay_ms,
	.min = PRB_DELAY_MIN_MS,
	.max = PRB_DELAY_MAX_MS,
	.zero_auto = true,
};

/*
 * The delay is free page reporting's own, with or without a buffer, so
 * it sits beside page_reporting.page_reporting_order: its name says
 * what it changes.
 */
#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "page_reporting."
module_param_cb(delay_ms, &prb_knob_ops, &prb_delay_knob, 0644);
MODULE_PARM_DESC(delay_ms,
		 "Delay before a reporting pass in ms, 10..60000; 0: 50 while a reporting buffer is held, else 2000");

#define PRB_ATTR_RO(_name, _expr)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lu\n", (unsigned long)(_expr));	\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

PRB_ATTR_RO(owned_pages, prb_owned());
PRB_ATTR_RO(held_pages, prb_held());
PRB_ATTR_RO(requested_pages, READ_ONCE(prb_requested));
PRB_ATTR_RO(target_pages, READ_ONCE(prb_target));

static const char * const prb_counter_names[] = {
	[PRB_BATCHES]			= "batches",
	[PRB_SWAPS]			= "swaps",
	[PRB_FALLBACKS]		= "fallbacks",
	[PRB_REPORTED_CHUNKS]		= "reported_chunks",
	[PRB_REPORTED_BYTES]		= "reported_bytes",
	[PRB_FAILED_CHUNKS]		= "failed_chunks",
	[PRB_IN_FLIGHT_BYTES]		= "in_flight_bytes",
	[PRB_IN_FLIGHT_PEAK_BYTES]	= "in_flight_peak_bytes",
	[PRB_KEPT_PAGES]		= "kept_pages",
};

static_assert(ARRAY_SIZE(prb_counter_names) == PRB_COUNTERS);

static struct kobj_attribute prb_counter_attrs[PRB_COUNTERS];
static struct attribute *prb_counter_attr_list[PRB_COUNTERS + 1];

static ssize_t prb_counter_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", prb_count(attr - prb_counter_attrs));
}

static const struct attribute_group prb_counter_group = {
	.attrs = prb_counter_attr_list,
};

static struct attribute *prb_attrs[] = {
	&owned_pages_attr.attr,
	&held_pages_attr.attr,
	&requested_pages_attr.attr,
	&target_pages_attr.attr,
	NULL,
};

static const struct attribute_group prb_attr_group = {
	.attrs = prb_attrs,
};

static const struct attribute_group *prb_attr_groups[] = {
	&prb_attr_group,
	&prb_counter_group,
	NULL,
};

static int __init prb_sysfs_init(void)
{
	struct kobject *kobj;
	int i, err;

	for (i = 0; i < PRB_COUNTERS; i++) {
		struct kobj_attribute *ka = &prb_counter_attrs[i];

		sysfs_attr_init(&ka->attr);
		ka->attr.name = prb_counter_names[i];
		ka->attr.mode = 0444;
		ka->show = prb_counter_show;
		prb_counter_attr_list[i] = &ka->attr;
	}
	kobj = kobject_create_and_add("page_reporting_buffer", mm_kobj);
	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_groups(kobj, prb_attr_groups);
	if (err)
		kobject_put(kobj);
	return err;
}
subsys_initcall(prb_sysfs_init);

#ifdef CONFIG_PAGE_REPORTING_BUFFER_KUNIT_TEST
#include "tests/sysfs-kunit.h"
#endif
