package operator

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"quarry.local/sdk/internal/pb"
)

const messageLimit = 64 << 20

// ServeOptions configure a Server. Zero values take the defaults noted.
type ServeOptions struct {
	Host           string        // default 127.0.0.1
	Port           int           // 0 picks a free port
	Capacity       int           // calls served at once before RESOURCE_EXHAUSTED; default 16
	DefaultTimeout time.Duration // an item's deadline when neither it nor the call has one; default 60 s
	MetricsAddr    string        // serve Prometheus metrics here (host:port; port 0 = any); "" = off
	TLSCert        string        // PEM files: the server's certificate and key
	TLSKey         string
	TLSClientCA    string // PEM: require client certificates signed by this CA (mTLS)
	Token          string // require `authorization: Bearer <token>` on every call
	Logger         *slog.Logger
}

// Server serves a Registry as the quarry.v1.Operator gRPC service.
type Server struct {
	pb.UnimplementedOperatorServer
	opts     ServeOptions
	runners  map[string]*runner
	order    []string
	m        *metrics
	inFlight atomic.Int64
	closing  atomic.Bool
	grpc     *grpc.Server
	lis      net.Listener
	metrics  *http.Server
	mlis     net.Listener
}

// NewServer checks the options and binds the listeners (Addr is known after it returns).
func NewServer(reg *Registry, opts ServeOptions) (*Server, error) {
	if len(reg.order) == 0 {
		return nil, errors.New("an operator server needs at least one operator")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Capacity == 0 {
		opts.Capacity = 16
	}
	if opts.Capacity < 0 {
		return nil, fmt.Errorf("capacity must be at least 1, got %d", opts.Capacity)
	}
	if opts.DefaultTimeout == 0 {
		opts.DefaultTimeout = 60 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if opts.Token == "" {
		opts.Token = os.Getenv("QUARRY_OPERATOR_TOKEN")
	}
	s := &Server{opts: opts, runners: map[string]*runner{}, order: reg.Names(), m: newMetrics()}
	for _, name := range s.order {
		op, _ := reg.Get(name)
		s.runners[name] = newRunner(op, s.m, opts.Logger)
	}
	s.m.capacity.Set(float64(opts.Capacity))
	serverOpts := []grpc.ServerOption{grpc.MaxRecvMsgSize(messageLimit), grpc.MaxSendMsgSize(messageLimit)}
	creds, err := tlsCredentials(opts)
	if err != nil {
		return nil, err
	}
	if creds != nil {
		serverOpts = append(serverOpts, grpc.Creds(creds))
	}
	if opts.Token != "" {
		serverOpts = append(serverOpts, grpc.UnaryInterceptor(tokenCheck(opts.Token)))
	}
	s.grpc = grpc.NewServer(serverOpts...)
	pb.RegisterOperatorServer(s.grpc, s)
	if s.lis, err = net.Listen("tcp", net.JoinHostPort(opts.Host, fmt.Sprint(opts.Port))); err != nil {
		return nil, err
	}
	if opts.MetricsAddr != "" {
		if s.mlis, err = net.Listen("tcp", opts.MetricsAddr); err != nil {
			s.lis.Close()
			return nil, err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", s.m.handler())
		s.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	}
	return s, nil
}

func tlsCredentials(o ServeOptions) (credentials.TransportCredentials, error) {
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("TLS needs both a certificate and its key")
	}
	if o.TLSCert == "" {
		if o.TLSClientCA != "" {
			return nil, errors.New("client certificates (TLSClientCA) need the server's own certificate and key")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if o.TLSClientCA != "" {
		pem, err := os.ReadFile(o.TLSClientCA)
		if err != nil {
			return nil, fmt.Errorf("reading the client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in the client CA file %s", o.TLSClientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return credentials.NewTLS(cfg), nil
}

func tokenCheck(token string) grpc.UnaryServerInterceptor {
	want := []byte("Bearer " + token)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		got := ""
		if v := md.Get("authorization"); len(v) > 0 {
			got = v[0]
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			return nil, status.Error(codes.Unauthenticated, "missing or wrong bearer token (metadata `authorization: Bearer …`)")
		}
		return next(ctx, req)
	}
}

// Addr is host:port of the gRPC listener.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// MetricsURL is where Prometheus scrapes ("" when metrics are off).
func (s *Server) MetricsURL() string {
	if s.mlis == nil {
		return ""
	}
	return "http://" + s.mlis.Addr().String() + "/metrics"
}

// TLS tells whether the server requires TLS.
func (s *Server) TLS() bool { return s.opts.TLSCert != "" }

// Serve blocks until Shutdown.
func (s *Server) Serve() error {
	if s.metrics != nil {
		go func() { _ = s.metrics.Serve(s.mlis) }()
	}
	err := s.grpc.Serve(s.lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Shutdown stops accepting calls and waits for those in flight, until ctx ends (then it stops hard).
func (s *Server) Shutdown(ctx context.Context) {
	s.closing.Store(true)
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.grpc.Stop()
	}
	if s.metrics != nil {
		_ = s.metrics.Shutdown(ctx)
	}
}

func (s *Server) admit(method, name string) (*runner, error) {
	r, ok := s.runners[name]
	if name == "" && len(s.order) == 1 {
		r, ok = s.runners[s.order[0]], true
	}
	if !ok {
		s.m.calls.WithLabelValues(method, "unknown-operator").Inc()
		return nil, status.Errorf(codes.Unimplemented, "no operator `%s` here (serving: %s)", name, strings.Join(s.order, ", "))
	}
	if s.closing.Load() {
		s.m.calls.WithLabelValues(method, "closing").Inc()
		return nil, status.Error(codes.Unavailable, "operator server is shutting down")
	}
	if n := s.inFlight.Add(1); n > int64(s.opts.Capacity) {
		s.inFlight.Add(-1)
		s.m.calls.WithLabelValues(method, "resource-exhausted").Inc()
		return nil, status.Errorf(codes.ResourceExhausted, "operator `%s` is at capacity (%d calls in flight)", r.op.Name, s.opts.Capacity)
	}
	s.m.inFlight.Set(float64(s.inFlight.Load()))
	return r, nil
}

func (s *Server) release() { s.m.inFlight.Set(float64(s.inFlight.Add(-1))) }

func (s *Server) callDeadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(s.opts.DefaultTimeout)
}

// Echo answers one item.
func (s *Server) Echo(ctx context.Context, req *pb.EchoRequest) (*pb.EchoResponse, error) {
	r, err := s.admit("Echo", req.GetOperator())
	if err != nil {
		return nil, err
	}
	defer s.release()
	s.m.calls.WithLabelValues("Echo", "ok").Inc()
	return r.run(ctx, []*pb.EchoRequest{req}, s.callDeadline(ctx))[0], nil
}

// EchoBatch answers each item with its own status, in order.
func (s *Server) EchoBatch(ctx context.Context, req *pb.EchoBatchRequest) (*pb.EchoBatchResponse, error) {
	r, err := s.admit("EchoBatch", req.GetOperator())
	if err != nil {
		return nil, err
	}
	defer s.release()
	s.m.calls.WithLabelValues("EchoBatch", "ok").Inc()
	return &pb.EchoBatchResponse{Items: r.run(ctx, req.GetItems(), s.callDeadline(ctx))}, nil
}

// Describe lists the operators served here.
func (s *Server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	out := &pb.DescribeResponse{}
	for _, name := range s.order {
		out.Operators = append(out.Operators, describe(s.runners[name].op))
	}
	return out, nil
}

// Health reports whether the server takes calls, and its load.
func (s *Server) Health(context.Context, *pb.HealthRequest) (*pb.HealthResponse, error) {
	return &pb.HealthResponse{Serving: !s.closing.Load(), InFlight: uint32(s.inFlight.Load()), Capacity: uint32(s.opts.Capacity)}, nil
}
