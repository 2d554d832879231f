/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM page_hinting

#if !defined(_TRACE_PAGE_HINTING_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_PAGE_HINTING_H

#include <linux/types.h>
#include <linux/tracepoint.h>

/*
 * Every event below is emitted exactly where the matching counter in
 * /sys/kernel/mm/page_hinting/ is bumped, so a test can compare event
 * counts with counter deltas for equality.
 */
DECLARE_EVENT_CLASS(page_hinting_batch_template,
		    TP_PROTO(int nid, int zid, unsigned int order,
			     unsigned int nr_chunks,
			     unsigned int nr_compensated, int err),
		    TP_ARGS(nid, zid, order, nr_chunks, nr_compensated, err),
		    TP_STRUCT__entry(__field(int, nid)
				     __field(int, zid)
				     __field(unsigned int, order)
				     __field(unsigned int, nr_chunks)
				     __field(unsigned int, nr_compensated)
				     __field(int, err)),
		    TP_fast_assign(__entry->nid = nid;
				   __entry->zid = zid;
				   __entry->order = order;
				   __entry->nr_chunks = nr_chunks;
				   __entry->nr_compensated = nr_compensated;
				   __entry->err = err;),
		    TP_printk("nid=%d zid=%d order=%u nr_chunks=%u nr_compensated=%u err=%d",
			      __entry->nid, __entry->zid, __entry->order,
			      __entry->nr_chunks, __entry->nr_compensated,
			      __entry->err)
);

DEFINE_EVENT(page_hinting_batch_template, batch_start,
	     TP_PROTO(int nid, int zid, unsigned int order,
		      unsigned int nr_chunks, unsigned int nr_compensated,
		      int err),
	     TP_ARGS(nid, zid, order, nr_chunks, nr_compensated, err)
);

DEFINE_EVENT(page_hinting_batch_template, batch_end,
	     TP_PROTO(int nid, int zid, unsigned int order,
		      unsigned int nr_chunks, unsigned int nr_compensated,
		      int err),
	     TP_ARGS(nid, zid, order, nr_chunks, nr_compensated, err)
);

DECLARE_EVENT_CLASS(page_hinting_chunk_template,
		    TP_PROTO(int nid, int zid, unsigned long pfn,
			     unsigned int order, unsigned long buffer_free,
			     int reason),
		    TP_ARGS(nid, zid, pfn, order, buffer_free, reason),
		    TP_STRUCT__entry(__field(int, nid)
				     __field(int, zid)
				     __field(unsigned long, pfn)
				     __field(unsigned int, order)
				     __field(unsigned long, buffer_free)
				     __field(int, reason)),
		    TP_fast_assign(__entry->nid = nid;
				   __entry->zid = zid;
				   __entry->pfn = pfn;
				   __entry->order = order;
				   __entry->buffer_free = buffer_free;
				   __entry->reason = reason;),
		    TP_printk("nid=%d zid=%d pfn=0x%lx order=%u buffer_free=%lu reason=%d",
			      __entry->nid, __entry->zid, __entry->pfn,
			      __entry->order, __entry->buffer_free,
			      __entry->reason)
);

DEFINE_EVENT(page_hinting_chunk_template, swap,
	     TP_PROTO(int nid, int zid, unsigned long pfn, unsigned int order,
		      unsigned long buffer_free, int reason),
	     TP_ARGS(nid, zid, pfn, order, buffer_free, reason)
);

DEFINE_EVENT(page_hinting_chunk_template, fallback,
	     TP_PROTO(int nid, int zid, unsigned long pfn, unsigned int order,
		      unsigned long buffer_free, int reason),
	     TP_ARGS(nid, zid, pfn, order, buffer_free, reason)
);

TRACE_EVENT(resize,
	    TP_PROTO(unsigned long requested, unsigned long target,
		     unsigned long held),
	    TP_ARGS(requested, target, held),
	    TP_STRUCT__entry(__field(unsigned long, requested)
			     __field(unsigned long, target)
			     __field(unsigned long, held)),
	    TP_fast_assign(__entry->requested = requested;
			   __entry->target = target;
			   __entry->held = held;),
	    TP_printk("requested=%lu target=%lu held=%lu",
		      __entry->requested, __entry->target, __entry->held)
);

#endif /* _TRACE_PAGE_HINTING_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
