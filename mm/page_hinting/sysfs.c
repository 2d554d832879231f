// SPDX-License-Identifier: GPL-2.0
/*
 * Hinting buffer for free page reporting: boot parameters and sysfs.
 *
 * See Documentation/admin-guide/mm/page_hinting.rst.
 */
#define pr_fmt(fmt) "page_hinting: " fmt

#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "../page_reporting.h"
#include "internal.h"

/* sysfs.o would name them "sysfs." */
#ifdef MODULE_PARAM_PREFIX
#undef MODULE_PARAM_PREFIX
#endif
#define MODULE_PARAM_PREFIX "page_hinting."

bool hint_enabled = true;
unsigned long hint_max_mib;
unsigned long hint_capacity = PAGE_REPORTING_CAPACITY;
unsigned long hint_delay_ms;
unsigned long hint_timeout_ms = HINT_TIMEOUT_DEF_MS;

static int hint_parse_ulong(const char *name, const char *val,
			    unsigned long min, unsigned long max,
			    unsigned long *out)
{
	unsigned long v;

	if (!val)
		val = "(null)";
	if (kstrtoul(val, 0, &v) || v < min || v > max) {
		/* sysfs writes end in a newline the message should not split on */
		/* signed: the unset reporting order is kept as -1 */
		pr_err("invalid %s=%.*s, accepted range %lu..%lu, keeping %ld\n",
		       name, (int)strcspn(val, "\n"), val, min, max,
		       (long)*out);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * Stricter than kstrtobool(), which reads only the first character and so
 * takes "nonsense" for 0 and "12" for 1.
 */
static int hint_strtobool(const char *val, bool *out)
{
	static const char * const words[] = {
		"0", "n", "no", "off", "false", "1", "y", "yes", "on", "true",
	};
	size_t len = strcspn(val, "\n");
	int i;

	for (i = 0; i < ARRAY_SIZE(words); i++) {
		if (len == strlen(words[i]) && !strncasecmp(val, words[i], len)) {
			*out = i >= ARRAY_SIZE(words) / 2;
			return 0;
		}
	}
	return -EINVAL;
}

static int hint_parse_bool(const char *name, const char *val, bool *out)
{
	bool v;

	if (!val)
		val = "(null)";
	if (hint_strtobool(val, &v)) {
		pr_err("invalid %s=%.*s, accepted 0/1, y/n, yes/no, on/off, true/false, keeping %d\n",
		       name, (int)strcspn(val, "\n"), val, *out);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int hint_enable_set(const char *val, const struct kernel_param *kp)
{
	/* a bare "page_hinting.enable" means on, as for any bool param */
	return hint_parse_bool("page_hinting.enable", val ?: "1", kp->arg);
}

static int hint_max_mib_set(const char *val, const struct kernel_param *kp)
{
	return hint_parse_ulong("page_hinting.max_mib", val, 0,
				HINT_MAX_MIB_LIMIT, kp->arg);
}

static int hint_capacity_set(const char *val, const struct kernel_param *kp)
{
	return hint_parse_ulong("page_hinting.capacity", val, 1,
				PAGE_REPORTING_CAPACITY, kp->arg);
}

/* 0 (automatic) or HINT_DELAY_MIN_MS..HINT_DELAY_MAX_MS */
static int hint_parse_delay(const char *name, const char *val,
			    unsigned long *out)
{
	unsigned long v;

	if (!val)
		val = "(null)";
	if (kstrtoul(val, 0, &v) || (v && v < HINT_DELAY_MIN_MS) ||
	    v > HINT_DELAY_MAX_MS) {
		pr_err("invalid %s=%.*s, accepted 0 (automatic) or range %lu..%lu, keeping %lu\n",
		       name, (int)strcspn(val, "\n"), val, HINT_DELAY_MIN_MS,
		       HINT_DELAY_MAX_MS, READ_ONCE(*out));
		return -EINVAL;
	}
	WRITE_ONCE(*out, v);
	return 0;
}

static int hint_delay_set(const char *val, const struct kernel_param *kp)
{
	return hint_parse_delay("page_hinting.delay_ms", val, kp->arg);
}

static int hint_timeout_set(const char *val, const struct kernel_param *kp)
{
	return hint_parse_ulong("page_hinting.report_timeout_ms", val,
				HINT_TIMEOUT_MIN_MS, HINT_TIMEOUT_MAX_MS,
				kp->arg);
}

static int hint_order_set(const char *val, const struct kernel_param *kp)
{
	/* unset is -1: sign-extend it so a refusal says "keeping -1" */
	unsigned long order = (int)page_reporting_order;
	int err;

	err = hint_parse_ulong("page_hinting.order", val, 0, MAX_PAGE_ORDER,
			       &order);
	if (!err)
		page_reporting_order = order;
	return err;
}

static int hint_order_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%d\n", (int)page_reporting_order);
}

static const struct kernel_param_ops hint_enable_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = hint_enable_set,
	.get = param_get_bool,
};

static const struct kernel_param_ops hint_max_mib_ops = {
	.set = hint_max_mib_set,
	.get = param_get_ulong,
};

static const struct kernel_param_ops hint_capacity_ops = {
	.set = hint_capacity_set,
	.get = param_get_ulong,
};

static const struct kernel_param_ops hint_delay_ops = {
	.set = hint_delay_set,
	.get = param_get_ulong,
};

static const struct kernel_param_ops hint_timeout_ops = {
	.set = hint_timeout_set,
	.get = param_get_ulong,
};

static const struct kernel_param_ops hint_order_ops = {
	.set = hint_order_set,
	.get = hint_order_get,
};

/*
 * Read-only under /sys/module: runtime changes go through
 * /sys/kernel/mm/page_hinting/ so that they take hint_mutex.
 */
module_param_cb(enable, &hint_enable_ops, &hint_enabled, 0444);
MODULE_PARM_DESC(enable, "Use the hinting buffer offered by the device");
module_param_cb(max_mib, &hint_max_mib_ops, &hint_max_mib, 0444);
MODULE_PARM_DESC(max_mib, "Cap on the hinting buffer in MiB, 0 = no cap");
module_param_cb(capacity, &hint_capacity_ops, &hint_capacity, 0444);
MODULE_PARM_DESC(capacity, "Chunks per report, 1..32");
module_param_cb(delay_ms, &hint_delay_ops, &hint_delay_ms, 0444);
MODULE_PARM_DESC(delay_ms,
		 "Delay before a reporting pass in ms, 10..60000; 0: 50 with a buffer held, else 2000");
module_param_cb(report_timeout_ms, &hint_timeout_ops, &hint_timeout_ms, 0444);
MODULE_PARM_DESC(report_timeout_ms,
		 "Longest wait for the device to complete a report in ms, 100..3600000");
module_param_cb(order, &hint_order_ops, NULL, 0444);
MODULE_PARM_DESC(order, "Reporting order, 0..MAX_PAGE_ORDER");

#define HINT_ATTR_RO(_name, _expr)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lu\n", (unsigned long)(_expr));	\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

HINT_ATTR_RO(buffer_pages, hint_held());
HINT_ATTR_RO(buffer_free_pages, hint_held_free());
HINT_ATTR_RO(requested_pages, READ_ONCE(hint_requested));
HINT_ATTR_RO(target_pages, READ_ONCE(hint_target));

static const char * const hint_counter_names[] = {
	[HINT_BATCHES]			= "batches",
	[HINT_SWAPS]			= "swaps",
	[HINT_FALLBACKS]		= "fallbacks",
	[HINT_HINTED_CHUNKS]		= "hinted_chunks",
	[HINT_HINTED_BYTES]		= "hinted_bytes",
	[HINT_FAILED_CHUNKS]		= "failed_chunks",
	[HINT_IN_FLIGHT_BYTES]		= "in_flight_bytes",
	[HINT_IN_FLIGHT_PEAK_BYTES]	= "in_flight_peak_bytes",
	[HINT_KEPT_PAGES]		= "stranded_pages",
};

static_assert(ARRAY_SIZE(hint_counter_names) == HINT_COUNTERS);

static struct kobj_attribute hint_counter_attrs[HINT_COUNTERS];
static struct attribute *hint_counter_attr_list[HINT_COUNTERS + 1];

static ssize_t hint_counter_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", hint_count(attr - hint_counter_attrs));
}

static const struct attribute_group hint_counter_group = {
	.attrs = hint_counter_attr_list,
};

static ssize_t order_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", (int)page_reporting_order);
}

static struct kobj_attribute order_attr = __ATTR_RO(order);

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(hint_enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool val = READ_ONCE(hint_enabled);
	int err;

	err = hint_parse_bool("enabled", buf, &val);
	if (err)
		return err;
	mutex_lock(&hint_mutex);
	WRITE_ONCE(hint_enabled, val);
	hint_apply(hint_prdev);
	hint_notify_owner();
	hint_unlock();
	return count;
}

static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);

static ssize_t max_mib_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(hint_max_mib));
}

static ssize_t max_mib_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	unsigned long val = READ_ONCE(hint_max_mib);
	int err;

	err = hint_parse_ulong("max_mib", buf, 0, HINT_MAX_MIB_LIMIT, &val);
	if (err)
		return err;
	mutex_lock(&hint_mutex);
	WRITE_ONCE(hint_max_mib, val);
	hint_apply(hint_prdev);
	hint_notify_owner();
	hint_unlock();
	return count;
}

static struct kobj_attribute max_mib_attr = __ATTR_RW(max_mib);

static ssize_t capacity_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(hint_capacity));
}

static ssize_t capacity_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	unsigned long val = READ_ONCE(hint_capacity);
	int err;

	err = hint_parse_ulong("capacity", buf, 1, PAGE_REPORTING_CAPACITY,
			       &val);
	if (err)
		return err;
	/*
	 * Batches read it once per list walk; the mutex keeps walks whole.
	 * It bounds what each zone can use, so the buffer is resized.
	 */
	mutex_lock(&hint_mutex);
	WRITE_ONCE(hint_capacity, val);
	hint_apply(hint_prdev);
	hint_notify_owner();
	hint_unlock();
	return count;
}

static struct kobj_attribute capacity_attr = __ATTR_RW(capacity);

static ssize_t delay_ms_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(hint_delay_ms));
}

/* A tunable read locklessly, at its next use */
static ssize_t hint_store_ulong(const char *name, const char *buf,
				size_t count, unsigned long min,
				unsigned long max, unsigned long *var)
{
	unsigned long val = READ_ONCE(*var);
	int err;

	err = hint_parse_ulong(name, buf, min, max, &val);
	if (err)
		return err;
	WRITE_ONCE(*var, val);
	return count;
}

static ssize_t delay_ms_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	int err = hint_parse_delay("delay_ms", buf, &hint_delay_ms);

	return err ? err : count;
}

static struct kobj_attribute delay_ms_attr = __ATTR_RW(delay_ms);

static ssize_t report_timeout_ms_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(hint_timeout_ms));
}

static ssize_t report_timeout_ms_store(struct kobject *kobj,
				       struct kobj_attribute *attr,
				       const char *buf, size_t count)
{
	return hint_store_ulong("report_timeout_ms", buf, count,
				HINT_TIMEOUT_MIN_MS, HINT_TIMEOUT_MAX_MS,
				&hint_timeout_ms);
}

static struct kobj_attribute report_timeout_ms_attr =
	__ATTR_RW(report_timeout_ms);

static struct attribute *hint_attrs[] = {
	&buffer_pages_attr.attr,
	&buffer_free_pages_attr.attr,
	&requested_pages_attr.attr,
	&target_pages_attr.attr,
	&order_attr.attr,
	&enabled_attr.attr,
	&max_mib_attr.attr,
	&capacity_attr.attr,
	&delay_ms_attr.attr,
	&report_timeout_ms_attr.attr,
	NULL,
};

static const struct attribute_group hint_attr_group = {
	.attrs = hint_attrs,
};

static const struct attribute_group *hint_attr_groups[] = {
	&hint_attr_group,
	&hint_counter_group,
	NULL,
};

static int __init hint_sysfs_init(void)
{
	struct kobject *kobj;
	int i, err;

	for (i = 0; i < HINT_COUNTERS; i++) {
		struct kobj_attribute *ka = &hint_counter_attrs[i];

		sysfs_attr_init(&ka->attr);
		ka->attr.name = hint_counter_names[i];
		ka->attr.mode = 0444;
		ka->show = hint_counter_show;
		hint_counter_attr_list[i] = &ka->attr;
	}
	kobj = kobject_create_and_add("page_hinting", mm_kobj);
	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_groups(kobj, hint_attr_groups);
	if (err)
		kobject_put(kobj);
	return err;
}
subsys_initcall(hint_sysfs_init);

#ifdef CONFIG_PAGE_HINTING_KUNIT_TEST
#include "tests/sysfs-kunit.h"
#endif
