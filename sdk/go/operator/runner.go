package operator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"quarry.local/sdk/internal/pb"
)

// runner works one operator's items within its concurrency.
type runner struct {
	op  *Operator
	sem chan struct{}
	m   *metrics
	log *slog.Logger
}

func newRunner(op *Operator, m *metrics, log *slog.Logger) *runner {
	return &runner{op: op, sem: make(chan struct{}, op.Concurrency), m: m, log: log}
}

func (r *runner) run(ctx context.Context, reqs []*pb.EchoRequest, call time.Time) []*pb.EchoResponse {
	if r.op.BatchHandler != nil {
		return r.runBatches(ctx, reqs, call)
	}
	out := make([]*pb.EchoResponse, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = r.runItem(ctx, req, call)
		}()
	}
	wg.Wait()
	return out
}

func (r *runner) runItem(ctx context.Context, req *pb.EchoRequest, call time.Time) *pb.EchoResponse {
	started := time.Now()
	deadline := itemDeadline(req, call)
	sctx, span := startSpan(ctx, r.op, triggerOf(req))
	item := newItem(r.op, req, deadline, r.log, span)
	res := r.answer(sctx, req, item, deadline)
	r.record(res, item, started)
	endSpan(span, res)
	return res
}

type outcome struct {
	out Outputs
	err error
}

func (r *runner) answer(ctx context.Context, req *pb.EchoRequest, item *Item, deadline time.Time) *pb.EchoResponse {
	if e := decodeInputs(r.op, req, item); e != nil {
		return response(e)
	}
	if !time.Now().Before(deadline) {
		return response(deadlineExceeded("operator `%s`: the item's deadline passed before it started", r.op.Name))
	}
	ictx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	select {
	case r.sem <- struct{}{}:
	case <-ictx.Done():
		return response(r.late(ctx, "while waiting for a free slot"))
	}
	done := make(chan outcome, 1)
	go func() {
		// The slot is held until the handler really returns: concurrency stays bounded even when
		// an answer was already sent for a handler that ignored its context.
		defer func() { <-r.sem }()
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{err: fmt.Errorf("handler panicked: %v", p)}
			}
		}()
		out, err := r.op.Handler(ictx, item)
		done <- outcome{out, err}
	}()
	select {
	case o := <-done:
		if o.err != nil {
			if errors.Is(o.err, context.DeadlineExceeded) || (ictx.Err() != nil && errors.Is(o.err, context.Canceled)) {
				return response(r.late(ctx, ""))
			}
			return response(toError(o.err))
		}
		return okResponse(r.op, o.out, item)
	case <-ictx.Done():
		return response(r.late(ctx, ""))
	}
}

func (r *runner) late(callCtx context.Context, when string) *Error {
	if errors.Is(callCtx.Err(), context.Canceled) {
		return &Error{Status: StatusRetry, Code: "CANCELLED", Message: "the caller cancelled the call"}
	}
	msg := fmt.Sprintf("operator `%s` exceeded the item's deadline", r.op.Name)
	if when != "" {
		msg += " " + when
	}
	return deadlineExceeded("%s", msg)
}

type ready struct {
	index    int
	item     *Item
	deadline time.Time
	span     trace.Span
}

func (r *runner) runBatches(ctx context.Context, reqs []*pb.EchoRequest, call time.Time) []*pb.EchoResponse {
	started := time.Now()
	out := make([]*pb.EchoResponse, len(reqs))
	var todo []ready
	for i, req := range reqs {
		deadline := itemDeadline(req, call)
		_, span := startSpan(ctx, r.op, triggerOf(req), attribute.Int("quarry.batch_size", len(reqs)))
		item := newItem(r.op, req, deadline, r.log, span)
		if e := decodeInputs(r.op, req, item); e != nil {
			out[i] = r.finish(response(e), item, span, started)
			continue
		}
		if !time.Now().Before(deadline) {
			out[i] = r.finish(response(deadlineExceeded("operator `%s`: the item's deadline passed before it started", r.op.Name)), item, span, started)
			continue
		}
		todo = append(todo, ready{i, item, deadline, span})
	}
	var wg sync.WaitGroup
	for k := 0; k < len(todo); k += r.op.MaxBatch {
		chunk := todo[k:min(k+r.op.MaxBatch, len(todo))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runChunk(ctx, chunk, out, started)
		}()
	}
	wg.Wait()
	return out
}

func (r *runner) runChunk(ctx context.Context, chunk []ready, out []*pb.EchoResponse, started time.Time) {
	latest := chunk[0].deadline
	items := make([]*Item, len(chunk))
	for i, c := range chunk {
		items[i] = c.item
		if c.deadline.After(latest) {
			latest = c.deadline
		}
	}
	bctx, cancel := context.WithDeadline(ctx, latest)
	defer cancel()
	results := make([]Result, len(chunk))
	fail := func(err error) {
		for i := range results {
			results[i] = Result{Err: err}
		}
	}
	select {
	case r.sem <- struct{}{}:
		done := make(chan []Result, 1)
		go func() {
			defer func() { <-r.sem }()
			defer func() {
				if p := recover(); p != nil {
					done <- nil
				}
			}()
			done <- r.op.BatchHandler(bctx, items)
		}()
		select {
		case got := <-done:
			switch {
			case got == nil:
				fail(fmt.Errorf("operator `%s`: the batch handler panicked or returned nothing", r.op.Name))
			case len(got) != len(chunk):
				fail(fmt.Errorf("operator `%s`: the batch handler returned %d results for %d items", r.op.Name, len(got), len(chunk)))
			default:
				results = got
			}
		case <-bctx.Done():
			fail(r.late(ctx, ""))
		}
	case <-bctx.Done():
		fail(r.late(ctx, "while waiting for a free slot"))
	}
	r.m.batchSize.WithLabelValues(r.op.Name).Observe(float64(len(chunk)))
	now := time.Now()
	for i, c := range chunk {
		var res *pb.EchoResponse
		switch {
		case now.After(c.deadline):
			res = response(r.late(ctx, ""))
		case results[i].Err != nil:
			res = response(toError(results[i].Err))
		default:
			res = okResponse(r.op, results[i].Outputs, c.item)
		}
		out[c.index] = r.finish(res, c.item, c.span, started)
	}
}

func (r *runner) finish(res *pb.EchoResponse, item *Item, span trace.Span, started time.Time) *pb.EchoResponse {
	r.record(res, item, started)
	endSpan(span, res)
	return res
}

func (r *runner) record(res *pb.EchoResponse, item *Item, started time.Time) {
	code := res.GetErrorCode()
	if code == "" {
		code = "OK"
	}
	r.m.items.WithLabelValues(r.op.Name, res.GetStatus().String(), code).Inc()
	r.m.itemSeconds.WithLabelValues(r.op.Name).Observe(time.Since(started).Seconds())
	if s := res.GetStatus(); s == pb.Status_FAILED || s == pb.Status_RETRY {
		item.Log.Warn("item not done", "status", s.String(), "code", code, "detail", res.GetMessage())
	} else {
		item.Log.Debug("item done", "status", res.GetStatus().String(), "reason", res.GetMessage())
	}
}
