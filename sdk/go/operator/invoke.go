package operator

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"quarry.local/sdk/internal/pb"
)

var contextDeadline = context.DeadlineExceeded

var priorities = map[pb.Priority]string{pb.Priority_HIGH: "high", pb.Priority_NORMAL: "normal", pb.Priority_LOW: "low"}

func triggerOf(req *pb.EchoRequest) Trigger {
	t := req.GetTrigger()
	tp, ts := req.GetTraceparent(), req.GetTracestate()
	if tp == "" {
		tp, ts = t.GetTraceparent(), t.GetTracestate()
	}
	p, ok := priorities[t.GetPriority()]
	if !ok {
		p = "normal"
	}
	return Trigger{MessageID: t.GetMessageId(), ItemKey: t.GetItemKey(), DAG: t.GetDag(), Node: t.GetNode(), Tenant: t.GetTenant(), Priority: p, Attempt: t.GetAttempt(), Source: t.GetSource(), OriginID: t.GetOriginId(), Traceparent: tp, Tracestate: ts}
}

func describe(op *Operator) *pb.OperatorDescription {
	specs := func(fields []Field) []*pb.FieldSpec {
		out := make([]*pb.FieldSpec, 0, len(fields))
		for _, f := range fields {
			out = append(out, &pb.FieldSpec{Name: f.Name, Kind: string(f.Kind), Description: f.Description, Optional: f.Optional, MaxBytes: f.MaxBytes})
		}
		return out
	}
	return &pb.OperatorDescription{Name: op.Name, Version: op.Version, Inputs: specs(op.Inputs), Outputs: specs(op.Outputs), Resource: op.Resource,
		MaxBatch: uint32(op.MaxBatch), BatchNative: op.BatchHandler != nil, Concurrency: uint32(op.Concurrency)}
}

func response(e *Error) *pb.EchoResponse {
	status := map[Status]pb.Status{StatusOK: pb.Status_OK, StatusFiltered: pb.Status_FILTERED, StatusRetry: pb.Status_RETRY, StatusFailed: pb.Status_FAILED}[e.Status]
	if status == pb.Status_STATUS_UNSPECIFIED {
		status = pb.Status_FAILED
	}
	return &pb.EchoResponse{Status: status, ErrorCode: e.Code, Message: e.Message, RetryAfterMs: uint32(e.RetryAfter / time.Millisecond)}
}

// decodeInputs checks the wire inputs against the declaration: INPUT_TOO_LARGE or INPUT_INVALID naming the fields.
func decodeInputs(op *Operator, req *pb.EchoRequest, item *Item) *Error {
	var problems, tooLarge []string
	item.fields, item.blobs = map[string][]byte{}, map[string][]byte{}
	for _, f := range op.Inputs {
		wire := req.GetFields()
		if f.Kind == KindBlob {
			wire = req.GetBlobs()
		}
		raw, ok := wire[f.Name]
		if !ok {
			if !f.Optional {
				problems = append(problems, fmt.Sprintf("missing required input `%s`", f.Name))
			}
			continue
		}
		if f.MaxBytes > 0 && uint64(len(raw)) > f.MaxBytes {
			tooLarge = append(tooLarge, fmt.Sprintf("input `%s` is %d bytes, over its limit of %d", f.Name, len(raw), f.MaxBytes))
			continue
		}
		if f.Kind == KindBlob {
			item.blobs[f.Name] = raw
			continue
		}
		if !json.Valid(raw) {
			problems = append(problems, fmt.Sprintf("input `%s` is not valid JSON", f.Name))
			continue
		}
		if f.check != nil {
			if err := f.check(raw); err != nil {
				problems = append(problems, fmt.Sprintf("input `%s`: %v", f.Name, err))
				continue
			}
		}
		item.fields[f.Name] = raw
	}
	if len(tooLarge) > 0 {
		return &Error{Status: StatusFailed, Code: "INPUT_TOO_LARGE", Message: fmt.Sprintf("operator `%s`: %s", op.Name, strings.Join(tooLarge, ", "))}
	}
	if len(problems) > 0 {
		return inputInvalid("operator `%s`: %s", op.Name, strings.Join(problems, ", "))
	}
	return nil
}

// okResponse checks the handler's outputs against the declaration (OUTPUT_INVALID otherwise).
func okResponse(op *Operator, out Outputs, item *Item) *pb.EchoResponse {
	res := &pb.EchoResponse{Status: pb.Status_OK, Fields: map[string][]byte{}, Blobs: map[string][]byte{}}
	var problems []string
	declared := map[string]bool{}
	for _, f := range op.Outputs {
		declared[f.Name] = true
		v, ok := out[f.Name]
		if !ok || v == nil {
			if !f.Optional {
				problems = append(problems, fmt.Sprintf("missing output `%s`", f.Name))
			}
			continue
		}
		if f.Kind == KindBlob {
			b, isBytes := v.([]byte)
			if !isBytes {
				problems = append(problems, fmt.Sprintf("output `%s` must be []byte", f.Name))
				continue
			}
			res.Blobs[f.Name] = b
			continue
		}
		raw, err := json.Marshal(v)
		if err == nil && f.check != nil {
			err = f.check(raw)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("output `%s`: %v", f.Name, err))
			continue
		}
		res.Fields[f.Name] = raw
	}
	var undeclared []string
	for name := range out {
		if !declared[name] {
			undeclared = append(undeclared, fmt.Sprintf("undeclared output `%s`", name))
		}
	}
	sort.Strings(undeclared)
	problems = append(problems, undeclared...)
	if len(problems) > 0 {
		return response(&Error{Status: StatusFailed, Code: "OUTPUT_INVALID", Message: fmt.Sprintf("operator `%s`: %s", op.Name, strings.Join(problems, ", "))})
	}
	for _, c := range item.children {
		res.Children = append(res.Children, &pb.Child{ItemKey: c.ItemKey, Dag: c.DAG, Source: c.Source})
	}
	return res
}

// itemDeadline is the item's own deadline when it has one, never later than the call's.
func itemDeadline(req *pb.EchoRequest, call time.Time) time.Time {
	if ms := req.GetDeadlineMs(); ms > 0 {
		if d := time.UnixMilli(ms); d.Before(call) {
			return d
		}
	}
	return call
}

var propagator = propagation.TraceContext{}

func startSpan(ctx context.Context, op *Operator, t Trigger, extra ...attribute.KeyValue) (context.Context, trace.Span) {
	carrier := propagation.MapCarrier{"traceparent": t.Traceparent, "tracestate": t.Tracestate}
	ctx = propagator.Extract(ctx, carrier)
	attrs := append([]attribute.KeyValue{attribute.String("quarry.operator", op.Name), attribute.String("quarry.node", t.Node), attribute.String("quarry.item_key", t.ItemKey)}, extra...)
	return otel.Tracer("quarry-operator").Start(ctx, "operator "+op.Name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
}

func endSpan(span trace.Span, res *pb.EchoResponse) {
	span.SetAttributes(attribute.String("quarry.status", res.GetStatus().String()))
	if s := res.GetStatus(); s == pb.Status_FAILED || s == pb.Status_RETRY {
		span.SetStatus(codes.Error, res.GetMessage())
	} else {
		span.SetStatus(codes.Ok, "")
	}
	span.End()
}

func newItem(op *Operator, req *pb.EchoRequest, deadline time.Time, log *slog.Logger, span trace.Span) *Item {
	t := triggerOf(req)
	parts := strings.Split(t.Traceparent, "-")
	parent := ""
	if len(parts) >= 4 {
		parent = parts[2]
	}
	attrs := []any{"operator", op.Name, "itemKey", t.ItemKey, "idempotencyKey", t.IdempotencyKey(), "traceId", t.TraceID(), "parentSpanId", parent}
	if sc := span.SpanContext(); sc.IsValid() && sc.SpanID().String() != parent {
		attrs = append(attrs, "spanId", sc.SpanID().String())
	}
	return &Item{Trigger: t, Deadline: deadline, Log: log.With(attrs...)}
}
