/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of parameter parsing.  Included at the end of the file so
 * they reach its static helpers.
 */
#ifndef _MM_PAGE_HINTING_SYSFS_KUNIT_H
#define _MM_PAGE_HINTING_SYSFS_KUNIT_H

#include <kunit/test.h>

static void hint_test_params(struct kunit *test)
{
	unsigned long v = 7;
	bool b = true;

	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "5", 1, 32, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 5UL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "0x20", 1, 32, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 32UL);
	/* out of range and garbage keep the old value */
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "33", 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "0", 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "-1", 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", "abc", 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, hint_parse_ulong("t", NULL, 1, 32, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, v, 32UL);

	KUNIT_EXPECT_EQ(test, hint_parse_bool("t", "n", &b), 0);
	KUNIT_EXPECT_FALSE(test, b);
	KUNIT_EXPECT_EQ(test, hint_parse_bool("t", "maybe", &b), -EINVAL);
	KUNIT_EXPECT_FALSE(test, b);
}

static struct kunit_case hint_sysfs_test_cases[] = {
	KUNIT_CASE(hint_test_params),
	{}
};

static struct kunit_suite hint_sysfs_test_suite = {
	.name = "page_hinting_sysfs",
	.test_cases = hint_sysfs_test_cases,
};

kunit_test_suite(hint_sysfs_test_suite);

#endif /* _MM_PAGE_HINTING_SYSFS_KUNIT_H */
