package operator

import (
	"context"
	"fmt"
)

// Handler answers one item. ctx carries the item's deadline; return Outputs (JSON values, []byte
// for blob fields) or an error (Filtered, RetryLater, NonRetryable, … or any other: INTERNAL).
type Handler func(ctx context.Context, item *Item) (Outputs, error)

// BatchHandler answers a chunk of up to MaxBatch items at once (a model run): one Result per
// item, in order. A Result with Err fails that item alone.
type BatchHandler func(ctx context.Context, items []*Item) []Result

// Result is one item's answer from a batch handler.
type Result struct {
	Outputs Outputs
	Err     error
}

// Outputs are a handler's declared outputs by name.
type Outputs map[string]any

// Operator is a plain function with declared inputs and outputs.
type Operator struct {
	Name        string
	Version     string
	Description string
	Resource    string // "cpu" (default) or "gpu"
	Inputs      []Field
	Outputs     []Field
	// Exactly one of Handler and BatchHandler.
	Handler      Handler
	BatchHandler BatchHandler
	// Items (Handler) or batches (BatchHandler) worked on at once; default 16, or 1 for a batch handler.
	Concurrency int
	// Items per EchoBatch chunk given to the batch handler; default 64.
	MaxBatch int
}

func (op *Operator) normalise() error {
	if !operatorName.MatchString(op.Name) {
		return fmt.Errorf("operator name %q must be lower-case kebab-case (a-z, 0-9, -), 1-63 characters", op.Name)
	}
	if op.Version == "" {
		return fmt.Errorf("operator %q needs a version", op.Name)
	}
	if (op.Handler == nil) == (op.BatchHandler == nil) {
		return fmt.Errorf("operator %q needs exactly one of Handler and BatchHandler", op.Name)
	}
	if op.Resource == "" {
		op.Resource = "cpu"
	}
	if op.Resource != "cpu" && op.Resource != "gpu" {
		return fmt.Errorf("operator %q resource must be cpu or gpu, not %q", op.Name, op.Resource)
	}
	if op.Concurrency == 0 {
		op.Concurrency = 16
		if op.BatchHandler != nil {
			op.Concurrency = 1
		}
	}
	if op.MaxBatch == 0 {
		op.MaxBatch = 64
	}
	if op.Concurrency < 1 || op.MaxBatch < 1 {
		return fmt.Errorf("operator %q: Concurrency and MaxBatch must be at least 1", op.Name)
	}
	for side, fields := range map[string][]Field{"input": op.Inputs, "output": op.Outputs} {
		seen := map[string]bool{}
		for _, f := range fields {
			if !fieldName.MatchString(f.Name) {
				return fmt.Errorf("operator %q %s field %q must match %s", op.Name, side, f.Name, fieldName)
			}
			if seen[f.Name] {
				return fmt.Errorf("operator %q declares %s field %q twice", op.Name, side, f.Name)
			}
			if f.Kind != KindJSON && f.Kind != KindBlob && f.Kind != KindBlobRef {
				return fmt.Errorf("operator %q %s field %q: declare it with JSON, Blob or BlobRef", op.Name, side, f.Name)
			}
			seen[f.Name] = true
		}
	}
	return nil
}

// Registry holds operators by name; registering a name twice is an error.
type Registry struct {
	ops   map[string]*Operator
	order []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{ops: map[string]*Operator{}} }

// Register checks and adds an operator.
func (r *Registry) Register(op Operator) error {
	if err := op.normalise(); err != nil {
		return err
	}
	if _, dup := r.ops[op.Name]; dup {
		return fmt.Errorf("operator %q is already registered", op.Name)
	}
	r.ops[op.Name] = &op
	r.order = append(r.order, op.Name)
	return nil
}

// MustRegister is Register that panics: for main functions.
func (r *Registry) MustRegister(op Operator) {
	if err := r.Register(op); err != nil {
		panic(err)
	}
}

// Names lists the registered operators in registration order.
func (r *Registry) Names() []string { return append([]string(nil), r.order...) }

// Get returns the operator named name.
func (r *Registry) Get(name string) (*Operator, bool) {
	op, ok := r.ops[name]
	return op, ok
}
