// Package operator writes Quarry operators in Go: a plain function with declared fields, served
// as the quarry.v1.Operator gRPC service (Describe, Health, Echo, EchoBatch).
//
//	reg := operator.NewRegistry()
//	reg.MustRegister(operator.Operator{
//		Name: "upper", Version: "1.0.0",
//		Inputs:  []operator.Field{operator.JSON[string]("text", "any text")},
//		Outputs: []operator.Field{operator.JSON[string]("upper", "the text in capitals")},
//		Handler: func(ctx context.Context, it *operator.Item) (operator.Outputs, error) {
//			return operator.Outputs{"upper": strings.ToUpper(it.String("text"))}, nil
//		},
//	})
//	operator.Main(reg) // --port, --capacity, --tls-*, --token; SIGTERM drains
//
// The SDK checks inputs (INPUT_INVALID, INPUT_TOO_LARGE) and outputs (OUTPUT_INVALID), gives the
// handler a context with the item's deadline (answering DEADLINE_EXCEEDED when it passes), maps
// errors to statuses, bounds concurrency, refuses calls past capacity with RESOURCE_EXHAUSTED,
// continues the caller's W3C trace in an OpenTelemetry span, and exposes Prometheus metrics.
package operator
