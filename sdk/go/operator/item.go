package operator

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Trigger is what a handler knows of its item: references, never transport types.
type Trigger struct {
	MessageID   string
	ItemKey     string
	DAG         string
	Node        string
	Tenant      string
	Priority    string // high, normal, low
	Attempt     uint32
	Source      map[string]string
	OriginID    string
	Traceparent string // the caller's span for this item, else the item's own trace
	Tracestate  string
}

// IdempotencyKey is the item's first message id, unchanged across re-drives and replays: what an
// operator with effects dedupes by.
func (t Trigger) IdempotencyKey() string {
	if t.OriginID != "" {
		return t.OriginID
	}
	return t.MessageID
}

// TraceID is the W3C trace id of the item ("" when it has none).
func (t Trigger) TraceID() string {
	parts := strings.Split(t.Traceparent, "-")
	if len(parts) >= 4 {
		return parts[1]
	}
	return ""
}

// Child is a fan-out item for another DAG (it enters through the gate).
type Child struct {
	ItemKey string
	DAG     string
	Source  map[string]string
}

// Item is one item a handler works on: its decoded inputs, trigger, deadline and a logger whose
// lines carry the trace context.
type Item struct {
	Trigger  Trigger
	Deadline time.Time
	Log      *slog.Logger
	fields   map[string][]byte
	blobs    map[string][]byte
	children []Child
}

// Has tells whether an (optional) input is present.
func (it *Item) Has(name string) bool {
	_, inFields := it.fields[name]
	_, inBlobs := it.blobs[name]
	return inFields || inBlobs
}

// Blob is a blob input's bytes (nil when absent).
func (it *Item) Blob(name string) []byte { return it.blobs[name] }

// Decode decodes a JSON (or blob-ref) input into v.
func (it *Item) Decode(name string, v any) error {
	raw, ok := it.fields[name]
	if !ok {
		return fmt.Errorf("input %q is absent", name)
	}
	return json.Unmarshal(raw, v)
}

// String is a JSON string or blob-ref input ("" when absent or not a string).
func (it *Item) String(name string) string {
	var s string
	_ = it.Decode(name, &s)
	return s
}

// Emit adds a fan-out child item.
func (it *Item) Emit(c Child) { it.children = append(it.children, c) }
