/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM page_reporting_buffer

#if !defined(_TRACE_PAGE_REPORTING_BUFFER_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_PAGE_REPORTING_BUFFER_H

#include <linux/mmzone.h>
#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

#ifndef __PAGE_REPORTING_BUFFER_TRACE_ENUMS
#define __PAGE_REPORTING_BUFFER_TRACE_ENUMS
/* Why a chunk was reported without being paid for */
enum prb_reason {
	PRB_REASON_SHORT,		/* the zone's buffer is too small */
	PRB_REASON_MIGRATETYPE,	/* highatomic or CMA: never buffered */
	PRB_REASON_ORDER,		/* smaller than a buffer block */
};
#endif

TRACE_DEFINE_ENUM(PRB_REASON_SHORT);
TRACE_DEFINE_ENUM(PRB_REASON_MIGRATETYPE);
TRACE_DEFINE_ENUM(PRB_REASON_ORDER);

#define show_page_reporting_buffer_reason(reason)				\
	__print_symbolic(reason,					\
			 { PRB_REASON_SHORT, "short" },		\
			 { PRB_REASON_MIGRATETYPE, "migratetype" },	\
			 { PRB_REASON_ORDER, "order" })

/*
 * Every event below is emitted exactly where the matching counter in
 * /sys/kernel/mm/page_reporting_buffer/ is bumped, so a test can compare event
 * counts with counter deltas for equality.  A batch is every report of a
 * reporting pass, paid for or not.
 */
TRACE_EVENT(page_reporting_buffer_batch_start,
	    TP_PROTO(struct zone *zone, unsigned int order,
		     unsigned int nr_chunks, unsigned int nr_paid),
	    TP_ARGS(zone, order, nr_chunks, nr_paid),
	    TP_STRUCT__entry(__field(int, nid)
			     __field(enum zone_type, idx)
			     __field(unsigned int, order)
			     __field(unsigned int, nr_chunks)
			     __field(unsigned int, nr_paid)),
	    TP_fast_assign(__entry->nid = zone_to_nid(zone);
			   __entry->idx = zone_idx(zone);
			   __entry->order = order;
			   __entry->nr_chunks = nr_chunks;
			   __entry->nr_paid = nr_paid;),
	    TP_printk("node=%d zone=%-8s order=%u nr_chunks=%u nr_paid=%u",
		      __entry->nid, __print_symbolic(__entry->idx, ZONE_TYPE),
		      __entry->order, __entry->nr_chunks, __entry->nr_paid)
	    );

TRACE_EVENT(page_reporting_buffer_batch_end,
	    TP_PROTO(struct zone *zone, unsigned int order,
		     unsigned int nr_chunks, unsigned int nr_paid, int err),
	    TP_ARGS(zone, order, nr_chunks, nr_paid, err),
	    TP_STRUCT__entry(__field(int, nid)
			     __field(enum zone_type, idx)
			     __field(unsigned int, order)
			     __field(unsigned int, nr_chunks)
			     __field(unsigned int, nr_paid)
			     __field(int, err)),
	    TP_fast_assign(__entry->nid = zone_to_nid(zone);
			   __entry->idx = zone_idx(zone);
			   __entry->order = order;
			   __entry->nr_chunks = nr_chunks;
			   __entry->nr_paid = nr_paid;
			   __entry->err = err;),
	    TP_printk("node=%d zone=%-8s order=%u nr_chunks=%u nr_paid=%u err=%d",
		      __entry->nid, __print_symbolic(__entry->idx, ZONE_TYPE),
		      __entry->order, __entry->nr_chunks, __entry->nr_paid,
		      __entry->err)
	    );

/* A chunk isolated for reporting and paid for with buffer memory */
TRACE_EVENT(page_reporting_buffer_swap,
	    TP_PROTO(struct zone *zone, unsigned long pfn, unsigned int order,
		     unsigned long held),
	    TP_ARGS(zone, pfn, order, held),
	    TP_STRUCT__entry(__field(int, nid)
			     __field(enum zone_type, idx)
			     __field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __field(unsigned long, held)),
	    TP_fast_assign(__entry->nid = zone_to_nid(zone);
			   __entry->idx = zone_idx(zone);
			   __entry->pfn = pfn;
			   __entry->order = order;
			   __entry->held = held;),
	    TP_printk("node=%d zone=%-8s pfn=0x%lx order=%u held=%lu",
		      __entry->nid, __print_symbolic(__entry->idx, ZONE_TYPE),
		      __entry->pfn, __entry->order, __entry->held)
	    );

/* A chunk isolated for reporting without payment, as stock does */
TRACE_EVENT(page_reporting_buffer_fallback,
	    TP_PROTO(struct zone *zone, unsigned long pfn, unsigned int order,
		     unsigned long held, enum prb_reason reason),
	    TP_ARGS(zone, pfn, order, held, reason),
	    TP_STRUCT__entry(__field(int, nid)
			     __field(enum zone_type, idx)
			     __field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __field(unsigned long, held)
			     __field(enum prb_reason, reason)),
	    TP_fast_assign(__entry->nid = zone_to_nid(zone);
			   __entry->idx = zone_idx(zone);
			   __entry->pfn = pfn;
			   __entry->order = order;
			   __entry->held = held;
			   __entry->reason = reason;),
	    TP_printk("node=%d zone=%-8s pfn=0x%lx order=%u held=%lu reason=%s",
		      __entry->nid, __print_symbolic(__entry->idx, ZONE_TYPE),
		      __entry->pfn, __entry->order, __entry->held,
		      show_page_reporting_buffer_reason(__entry->reason))
	    );

/* The buffer after a resize, in pages: asked for, aimed at, owned */
TRACE_EVENT(page_reporting_buffer_resize,
	    TP_PROTO(unsigned long requested, unsigned long target,
		     unsigned long owned),
	    TP_ARGS(requested, target, owned),
	    TP_STRUCT__entry(__field(unsigned long, requested)
			     __field(unsigned long, target)
			     __field(unsigned long, owned)),
	    TP_fast_assign(__entry->requested = requested;
			   __entry->target = target;
			   __entry->owned = owned;),
	    TP_printk("requested=%lu target=%lu owned=%lu",
		      __entry->requested, __entry->target, __entry->owned)
	    );

#endif /* _TRACE_PAGE_REPORTING_BUFFER_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
