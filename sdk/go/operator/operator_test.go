package operator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"quarry.local/sdk/internal/pb"
)

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

type box struct {
	Text  string  `json:"text"`
	Score float64 `json:"score"`
}

type fixture struct {
	client pb.OperatorClient
	server *Server
	ctx    context.Context
	seen   chan string
	spans  *tracetest.SpanRecorder
}

func start(t *testing.T) *fixture {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	seen := make(chan string, 100)
	reg := NewRegistry()
	reg.MustRegister(Operator{
		Name: "greet", Version: "1.0.0", Concurrency: 2,
		Inputs:  []Field{JSON[string]("name", "who"), Blob("photo", "bytes", Optional(), MaxBytes(8))},
		Outputs: []Field{JSON[string]("greeting", ""), JSON[[]box]("boxes", "", Optional())},
		Handler: func(ctx context.Context, it *Item) (Outputs, error) {
			seen <- it.Trigger.IdempotencyKey()
			switch name := it.String("name"); name {
			case "slow":
				select {
				case <-time.After(500 * time.Millisecond):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			case "filter":
				return nil, Filtered("not-wanted")
			case "later":
				return nil, RetryLater("busy", 250*time.Millisecond)
			case "never":
				return nil, WithCode("NEVER", "cannot")
			case "crash":
				return nil, errors.New("boom")
			case "bad-output":
				return Outputs{"greeting": 5}, nil
			case "extra":
				return Outputs{"greeting": "hi", "secret": 1}, nil
			case "fan":
				it.Emit(Child{ItemKey: "child-1", DAG: "other-dag", Source: map[string]string{"n": "1"}})
			}
			return Outputs{"greeting": "hello " + it.String("name"), "boxes": []box{{Text: "a", Score: 1}}}, nil
		},
	})
	reg.MustRegister(Operator{
		Name: "count", Version: "1.0.0", MaxBatch: 2,
		Inputs:  []Field{JSON[int]("n", "")},
		Outputs: []Field{JSON[int]("double", "")},
		BatchHandler: func(ctx context.Context, items []*Item) []Result {
			seen <- "batch"
			out := make([]Result, len(items))
			for i, it := range items {
				var n int
				_ = it.Decode("n", &n)
				if n%2 == 1 {
					out[i] = Result{Err: errors.New("odd")}
				} else {
					out[i] = Result{Outputs: Outputs{"double": 2 * n}}
				}
			}
			return out
		},
	})
	s, err := NewServer(reg, ServeOptions{Capacity: 2, Token: "sesame", MetricsAddr: "127.0.0.1:0", Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve() }()
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer sesame")
	return &fixture{client: pb.NewOperatorClient(conn), server: s, ctx: ctx, seen: seen, spans: rec}
}

func item(op string, fields map[string]any, blobs map[string][]byte) *pb.EchoRequest {
	f := map[string][]byte{}
	for k, v := range fields {
		f[k], _ = json.Marshal(v)
	}
	return &pb.EchoRequest{Operator: op, Fields: f, Blobs: blobs, Trigger: &pb.Trigger{MessageId: "m-1", ItemKey: "k", Dag: "d", Node: "n", TupleRef: "t", Traceparent: traceparent}}
}

func (f *fixture) echo(t *testing.T, req *pb.EchoRequest) *pb.EchoResponse {
	t.Helper()
	res, err := f.client.Echo(f.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestOutcomesMapToTheDocumentedCodes(t *testing.T) {
	f := start(t)
	cases := map[string][3]string{
		"filter": {"FILTERED", "FILTERED", "not-wanted"}, "later": {"RETRY", "RETRY_LATER", "busy"}, "never": {"FAILED", "NEVER", "cannot"},
		"crash": {"FAILED", "INTERNAL", "boom"}, "bad-output": {"FAILED", "OUTPUT_INVALID", "greeting"}, "extra": {"FAILED", "OUTPUT_INVALID", "undeclared output `secret`"},
	}
	for name, want := range cases {
		res := f.echo(t, item("greet", map[string]any{"name": name}, nil))
		if res.Status.String() != want[0] || res.ErrorCode != want[1] || !strings.Contains(res.Message, want[2]) {
			t.Errorf("%s: got %s/%s %q, want %v", name, res.Status, res.ErrorCode, res.Message, want)
		}
	}
	if res := f.echo(t, item("greet", map[string]any{"name": "later"}, nil)); res.RetryAfterMs != 250 {
		t.Errorf("retry_after_ms = %d", res.RetryAfterMs)
	}
}

func TestInputsAreChecked(t *testing.T) {
	f := start(t)
	for _, c := range []struct {
		req        *pb.EchoRequest
		code, text string
	}{
		{item("greet", nil, nil), "INPUT_INVALID", "missing required input `name`"},
		{item("greet", map[string]any{"name": 3}, nil), "INPUT_INVALID", "input `name`: value must be a string"},
		{&pb.EchoRequest{Operator: "greet", Fields: map[string][]byte{"name": []byte("{no")}}, "INPUT_INVALID", "not valid JSON"},
		{item("greet", map[string]any{"name": "x"}, map[string][]byte{"photo": []byte("123456789")}), "INPUT_TOO_LARGE", "over its limit of 8"},
	} {
		res := f.echo(t, c.req)
		if res.Status != pb.Status_FAILED || res.ErrorCode != c.code || !strings.Contains(res.Message, c.text) {
			t.Errorf("got %s/%s %q, want %s %q", res.Status, res.ErrorCode, res.Message, c.code, c.text)
		}
	}
}

func TestOKAnswersCarryOutputsChildrenAndTheIdempotencyKey(t *testing.T) {
	f := start(t)
	req := item("greet", map[string]any{"name": "fan"}, nil)
	req.Trigger.OriginId = "first-id"
	res := f.echo(t, req)
	if res.Status != pb.Status_OK || string(res.Fields["greeting"]) != `"hello fan"` || len(res.Children) != 1 || res.Children[0].Dag != "other-dag" {
		t.Fatalf("got %v", res)
	}
	f.echo(t, item("greet", map[string]any{"name": "plain"}, nil))
	if a, b := <-f.seen, <-f.seen; a != "first-id" || b != "m-1" {
		t.Errorf("idempotency keys %q, %q", a, b)
	}
}

func TestTheItemSpanContinuesTheCallersTrace(t *testing.T) {
	f := start(t)
	req := item("greet", map[string]any{"name": "traced"}, nil)
	req.Traceparent = "00-11112222333344445555666677778888-1111222233334444-01"
	f.echo(t, req)
	spans := f.spans.Ended()
	if len(spans) == 0 {
		t.Fatal("no span")
	}
	s := spans[len(spans)-1]
	if s.Name() != "operator greet" || s.SpanContext().TraceID().String() != "11112222333344445555666677778888" || s.Parent().SpanID().String() != "1111222233334444" {
		t.Errorf("span %s trace %s parent %s", s.Name(), s.SpanContext().TraceID(), s.Parent().SpanID())
	}
	f.echo(t, item("greet", map[string]any{"name": "from-trigger"}, nil))
	if s := f.spans.Ended()[len(f.spans.Ended())-1]; s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("without a caller span the trigger's trace continues, got %s", s.SpanContext().TraceID())
	}
}

func TestDeadlinesPerItem(t *testing.T) {
	f := start(t)
	req := item("greet", map[string]any{"name": "slow"}, nil)
	req.DeadlineMs = time.Now().Add(100 * time.Millisecond).UnixMilli()
	t0 := time.Now()
	res := f.echo(t, req)
	if res.Status != pb.Status_RETRY || res.ErrorCode != "DEADLINE_EXCEEDED" {
		t.Fatalf("got %s/%s", res.Status, res.ErrorCode)
	}
	if time.Since(t0) > 450*time.Millisecond {
		t.Errorf("answered after %s, not at the item's deadline", time.Since(t0))
	}
	past := item("greet", map[string]any{"name": "x"}, nil)
	past.DeadlineMs = time.Now().Add(-time.Second).UnixMilli()
	if res := f.echo(t, past); res.ErrorCode != "DEADLINE_EXCEEDED" {
		t.Errorf("a passed deadline: got %s", res.ErrorCode)
	}
}

func TestABatchAnswersEachItemInChunksOfMaxBatch(t *testing.T) {
	f := start(t)
	items := []*pb.EchoRequest{item("", map[string]any{"n": 2}, nil), item("", map[string]any{"n": 3}, nil), item("", nil, nil), item("", map[string]any{"n": 4}, nil)}
	res, err := f.client.EchoBatch(f.ctx, &pb.EchoBatchRequest{Operator: "count", Items: items})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Items {
		got = append(got, r.Status.String()+"/"+r.ErrorCode)
	}
	if strings.Join(got, " ") != "OK/ FAILED/INTERNAL FAILED/INPUT_INVALID OK/" || string(res.Items[3].Fields["double"]) != "8" {
		t.Errorf("got %v", got)
	}
	if n := len(f.seen); n != 2 {
		t.Errorf("3 valid items in chunks of 2: %d batch calls", n)
	}
}

func TestBackpressureHealthAndMetrics(t *testing.T) {
	f := start(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.client.Echo(f.ctx, item("greet", map[string]any{"name": "slow"}, nil))
			errs <- err
		}()
	}
	time.Sleep(200 * time.Millisecond)
	h, err := f.client.Health(f.ctx, &pb.HealthRequest{})
	if err != nil || !h.Serving || h.InFlight != 2 || h.Capacity != 2 {
		t.Errorf("health %v %v", h, err)
	}
	wg.Wait()
	close(errs)
	refused := 0
	for err := range errs {
		if status.Code(err) == codes.ResourceExhausted {
			refused++
		} else if err != nil {
			t.Error(err)
		}
	}
	if refused != 2 {
		t.Errorf("%d refused, want 2", refused)
	}
	resp, err := http.Get(f.server.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`quarry_operator_calls_total{method="Echo",outcome="resource-exhausted"} 2`, `quarry_operator_items_total{code="OK",operator="greet",status="OK"} 2`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestCallsWithoutTheTokenAreUnauthenticated(t *testing.T) {
	f := start(t)
	for _, ctx := range []context.Context{context.Background(), metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer wrong")} {
		if _, err := f.client.Health(ctx, &pb.HealthRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("got %v", err)
		}
	}
}

func TestUnknownOperatorsAreUnimplemented(t *testing.T) {
	f := start(t)
	if _, err := f.client.Echo(f.ctx, item("nope", nil, nil)); status.Code(err) != codes.Unimplemented {
		t.Errorf("got %v", err)
	}
}

func TestShutdownFinishesCallsInFlightAndRefusesNewOnes(t *testing.T) {
	f := start(t)
	done := make(chan *pb.EchoResponse)
	go func() {
		res, _ := f.client.Echo(f.ctx, item("greet", map[string]any{"name": "slow"}, nil))
		done <- res
	}()
	time.Sleep(100 * time.Millisecond)
	stopped := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.server.Shutdown(ctx)
		close(stopped)
	}()
	if res := <-done; res == nil || res.Status != pb.Status_OK {
		t.Fatalf("the call in flight was not finished: %v", res)
	}
	<-stopped
	if _, err := f.client.Echo(f.ctx, item("greet", map[string]any{"name": "late"}, nil)); err == nil {
		t.Error("a call after shutdown was served")
	}
}

func TestRegistryRefusesDuplicatesAndBadDeclarations(t *testing.T) {
	reg := NewRegistry()
	h := func(context.Context, *Item) (Outputs, error) { return nil, nil }
	if err := reg.Register(Operator{Name: "a", Version: "1", Handler: h}); err != nil {
		t.Fatal(err)
	}
	for want, op := range map[string]Operator{
		"already registered": {Name: "a", Version: "1", Handler: h},
		"kebab-case":         {Name: "Bad_Name", Version: "1", Handler: h},
		"resource":           {Name: "b", Version: "1", Resource: "tpu", Handler: h},
		"exactly one":        {Name: "c", Version: "1"},
		"twice":              {Name: "d", Version: "1", Handler: h, Inputs: []Field{JSON[string]("x", ""), JSON[string]("x", "")}},
	} {
		if err := reg.Register(op); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
}
