/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of how the knobs parse values.  Included at the end of
 * the file so that they reach its static helpers.
 */
#ifndef _MM_PAGE_REPORTING_BUFFER_SYSFS_KUNIT_H
#define _MM_PAGE_REPORTING_BUFFER_SYSFS_KUNIT_H

#include <kunit/test.h>

static void prb_test_params(struct kunit *test)
{
	unsigned long v = 7;
	struct prb_knob knob = {
		.name = "t", .val = &v, .min = 1, .max = 32,
	};
	struct kernel_param kp = { .name = "t", .arg = &knob };

	KUNIT_EXPECT_EQ(test, prb_knob_set("5", &kp), 0);
	KUNIT_EXPECT_EQ(test, v, 5UL);
	/* a sysfs write ends in a newline */
	KUNIT_EXPECT_EQ(test, prb_knob_set("0x20\n", &kp), 0);
	KUNIT_EXPECT_EQ(test, v, 32UL);
	/* out of range and garbage keep the old value */
	KUNIT_EXPECT_EQ(test, prb_knob_set("33", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, prb_knob_set("0", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, prb_knob_set("-1", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, prb_knob_set("abc", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, prb_knob_set("12x", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, prb_knob_set("", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, v, 32UL);

	/* "automatic" admits 0 and nothing else below the range */
	knob.min = 10;
	knob.zero_auto = true;
	KUNIT_EXPECT_EQ(test, prb_knob_set("0", &kp), 0);
	KUNIT_EXPECT_EQ(test, v, 0UL);
	KUNIT_EXPECT_EQ(test, prb_knob_set("9", &kp), -EINVAL);
	KUNIT_EXPECT_EQ(test, v, 0UL);
}

static struct kunit_case prb_sysfs_test_cases[] = {
	KUNIT_CASE(prb_test_params),
	{}
};

static struct kunit_suite prb_sysfs_test_suite = {
	.name = "page_reporting_buffer_sysfs",
	.test_cases = prb_sysfs_test_cases,
};

kunit_test_suite(prb_sysfs_test_suite);

#endif /* _MM_PAGE_REPORTING_BUFFER_SYSFS_KUNIT_H */
