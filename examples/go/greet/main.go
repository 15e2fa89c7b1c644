// A Quarry operator in Go: a plain function with declared fields, served over gRPC.
//
//	cd examples/go && go run ./greet --port 50051
package main

import (
	"context"
	"fmt"
	"strings"

	"quarry.local/sdk/operator"
)

func main() {
	reg := operator.NewRegistry()
	reg.MustRegister(operator.Operator{
		Name:    "greet",
		Version: "1.0.0",
		Inputs:  []operator.Field{operator.JSON[string]("name", "who to greet", operator.MaxBytes(1024))},
		Outputs: []operator.Field{operator.JSON[string]("message", "the greeting")},
		Handler: func(ctx context.Context, it *operator.Item) (operator.Outputs, error) {
			name := strings.TrimSpace(it.String("name"))
			if name == "" {
				return nil, operator.Filtered("empty-name")
			}
			it.Log.Info("greeting", "idempotencyKey", it.Trigger.IdempotencyKey())
			return operator.Outputs{"message": fmt.Sprintf("Hello, %s!", name)}, nil
		},
	})
	operator.Main(reg) // --port, --capacity, --tls-cert/--tls-key/--tls-client-ca, --token; SIGTERM drains
}
