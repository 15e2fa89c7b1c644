package operator

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Main is the few lines an operator's main needs: flags (or QUARRY_* env) --host --port
// --capacity --metrics-addr --tls-cert --tls-key --tls-client-ca --token; one JSON line
// `{"listening": "host:port", …}` on stdout once up; SIGTERM/SIGINT stop accepting calls and
// finish those in flight (at most --grace).
func Main(reg *Registry) {
	if err := run(reg, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(reg *Registry, args []string) error {
	fs := flag.NewFlagSet(os.Args[0], flag.ContinueOnError)
	var o ServeOptions
	fs.StringVar(&o.Host, "host", envOr("HOST", "127.0.0.1"), "address to bind")
	fs.IntVar(&o.Port, "port", envInt("PORT", 0), "port (0 = any free one)")
	fs.IntVar(&o.Capacity, "capacity", envInt("QUARRY_CAPACITY", 16), "calls served at once before RESOURCE_EXHAUSTED")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", os.Getenv("QUARRY_METRICS_ADDR"), "serve Prometheus metrics on host:port")
	fs.StringVar(&o.TLSCert, "tls-cert", os.Getenv("QUARRY_TLS_CERT"), "PEM certificate of this server")
	fs.StringVar(&o.TLSKey, "tls-key", os.Getenv("QUARRY_TLS_KEY"), "PEM key of this server")
	fs.StringVar(&o.TLSClientCA, "tls-client-ca", os.Getenv("QUARRY_TLS_CLIENT_CA"), "PEM CA: require client certificates it signed (mTLS)")
	fs.StringVar(&o.Token, "token", "", "require `authorization: Bearer <token>` (env QUARRY_OPERATOR_TOKEN)")
	grace := fs.Duration("grace", 30*time.Second, "how long shutdown waits for calls in flight")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := NewServer(reg, o)
	if err != nil {
		return err
	}
	// Signals are caught before the address is announced: whoever reads it may stop us at once.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	summary := map[string]any{"listening": s.Addr(), "operators": reg.Names(), "tls": s.TLS()}
	if u := s.MetricsURL(); u != "" {
		summary["metrics"] = u
	}
	line, _ := json.Marshal(summary)
	fmt.Println(string(line))
	go func() {
		<-sigs
		ctx, cancel := context.WithTimeout(context.Background(), *grace)
		defer cancel()
		s.Shutdown(ctx)
	}()
	return s.Serve()
}
