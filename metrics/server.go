package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultAddr is the address suggested for --metrics-addr: loopback only.
const DefaultAddr = "127.0.0.1:9465"

// ShutdownTimeout bounds the graceful shutdown of the server.
const ShutdownTimeout = 5 * time.Second

// CheckAddr checks that addr has the form host:port (host may be empty:
// every interface) before anything is opened (`kamobot watch` checks its
// flag with it).
func CheckAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. %s, or :9465 for every interface)", addr, DefaultAddr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: the port must be a number from 0 to 65535", addr)
	}
	return nil
}

// Handler serves /metrics, /healthz and /livez.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		Registry:            m.reg,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})))
	mux.Handle("/healthz", statusHandler(m.Health))
	mux.Handle("/livez", statusHandler(m.Live))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprint(w, "kamobot watch\n\n/metrics  Prometheus metrics\n/healthz  200 while passes succeed, 503 when they keep failing\n/livez    200 while the loop moves, 503 when it is stuck\n")
	})
	return mux
}

// Server serves the metrics and health endpoints on a listener opened at
// start, so that a bad address fails before the loop starts.
type Server struct {
	l   net.Listener
	srv *http.Server
}

// Listen opens addr for m's endpoints. It does not serve yet.
func Listen(addr string, m *Metrics, log *slog.Logger) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s for metrics: %w", addr, unwrapOp(err))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{l: l, srv: &http.Server{
		Handler:           m.Handler(log),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}, nil
}

// Addr is the address the server listens on (the port chosen when addr
// asked for port 0).
func (s *Server) Addr() net.Addr { return s.l.Addr() }

// Serve serves until ctx ends, then shuts down gracefully: requests in
// flight get ShutdownTimeout to finish.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// unwrapOp drops the *net.OpError wrapping ("listen tcp 127.0.0.1:9465:"),
// which repeats the address.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
