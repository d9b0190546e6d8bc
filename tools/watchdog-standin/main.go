// watchdog-standin: a stand-in for OpenFaaS of-watchdog in http mode, used
// only because the real of-watchdog cannot be installed from the Go module
// proxy reachable here. It implements the subset of of-watchdog's http-mode
// contract that this project relies on.
//
// It is configured through the same environment variables as of-watchdog
// (fprocess, mode, upstream_url, port, read_timeout, write_timeout,
// exec_timeout, healthcheck_interval, max_inflight, buffer_http, ready_path,
// suppress_lock, prefix_logs) plus two additions: watchdog_listen_host (the
// address to bind, default all interfaces) and metrics_port (default 8081).
//
// Behaviour in short: the upstream process is forked once at start-up and its
// output is copied to stderr; every request other than /_/health and
// /_/ready is reverse-proxied, streamed in both directions, to upstream_url;
// Prometheus text metrics are served on the metrics port at /metrics; on
// SIGTERM or SIGINT the server drains for up to write_timeout and then the
// upstream's process group is terminated. If the upstream exits on its own,
// the watchdog exits with status 1 so that the orchestrator restarts it.
//
// This program is written from scratch for this project; it contains no code
// from of-watchdog.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const textPlain = "text/plain; charset=utf-8"

func main() {
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags)
	os.Exit(run())
}

// run starts everything and returns the process exit status.
func run() int {
	cfg, err := loadConfig(os.LookupEnv, true)
	if err != nil {
		log.Print(err)
		return 1
	}
	log.Print("watchdog-standin: not the real of-watchdog (see package doc)")

	// Bind both ports before forking so that a bind failure leaves no
	// orphaned upstream behind.
	ln, err := net.Listen("tcp", listenAddr(cfg.listenHost, cfg.port))
	if err != nil {
		log.Printf("Error listening on port %d: %v", cfg.port, err)
		return 1
	}
	metricsLn, err := net.Listen("tcp", listenAddr(cfg.listenHost, cfg.metricsPort))
	if err != nil {
		log.Printf("Error listening on metrics port %d: %v", cfg.metricsPort, err)
		ln.Close()
		return 1
	}

	wd := newWatchdog(cfg, log.Default())

	log.Printf("Forking - %s %v", cfg.processArgs[0], cfg.processArgs[1:])
	child, err := startProcess(cfg.processArgs, cfg.prefixLogs)
	if err != nil {
		log.Printf("Error starting process %q: %v", cfg.processArgs[0], err)
		ln.Close()
		metricsLn.Close()
		return 1
	}

	log.Print("Watchdog mode: http")
	log.Printf("Timeouts: read: %s write: %s hard: %s health: %s",
		cfg.readTimeout, cfg.writeTimeout, cfg.execTimeout, cfg.healthcheckInterval)
	if cfg.maxInflight > 0 {
		log.Printf("Max in-flight requests: %d", cfg.maxInflight)
	}

	srv := &http.Server{
		Handler:      wd,
		ReadTimeout:  cfg.readTimeout,
		WriteTimeout: cfg.writeTimeout,
		ErrorLog:     log.Default(),
	}
	metricsSrv := &http.Server{
		Handler:      wd.metricsHandler(),
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 5 * time.Second,
		ErrorLog:     log.Default(),
	}

	serveErr := make(chan error, 2)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("function server: %w", err)
		}
	}()
	go func() {
		if err := metricsSrv.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("metrics server: %w", err)
		}
	}()
	log.Printf("Listening on port: %d", cfg.port)
	log.Printf("Metrics listening on port: %d", cfg.metricsPort)

	probeCtx, stopProbe := context.WithCancel(context.Background())
	defer stopProbe()
	go func() {
		if err := wd.awaitUpstream(probeCtx); err != nil && probeCtx.Err() == nil {
			serveErr <- err
		}
	}()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	select {
	case err := <-child.done:
		if err == nil {
			err = errors.New("exit status 0")
		}
		log.Printf("Forked process exited: %v", err)
		wd.removeLock()
		return 1

	case err := <-serveErr:
		log.Print(err)
		child.stop(5 * time.Second)
		wd.removeLock()
		return 1

	case sig := <-sigs:
		name := "SIGTERM"
		if sig == syscall.SIGINT {
			name = "SIGINT"
		}
		log.Printf("%s received: no new connections, draining in-flight requests for up to %s", name, cfg.writeTimeout)
		wd.stopping.Store(true)
		stopProbe()
		ctx := context.Background()
		if cfg.writeTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, cfg.writeTimeout)
			defer cancel()
		}
		if err := srv.Shutdown(ctx); err != nil {
			log.Printf("Drain incomplete (%v); closing remaining connections", err)
			srv.Close()
		}
		metricsSrv.Close()
		child.stop(5 * time.Second)
		wd.removeLock()
		log.Print("Exiting")
		return 0
	}
}

func listenAddr(host string, port int) string {
	if host == "" {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// ---------------------------------------------------------------------------
// Upstream process

type process struct {
	cmd  *exec.Cmd
	done chan error // receives the Wait result once
	// exited is closed once the process has been reaped.
	exited chan struct{}
}

// startProcess forks args (no shell) in its own process group with the
// watchdog's environment, and copies its stdout and stderr to our stderr.
func startProcess(args []string, prefix bool) (*process, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = os.Environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	// Plain os pipes (rather than cmd.StdoutPipe) so that Wait does not
	// depend on the readers, and a grandchild keeping a pipe open cannot
	// block the exit path.
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	if err := cmd.Start(); err != nil {
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		return nil, err
	}
	outW.Close()
	errW.Close()

	sink := log.New(os.Stderr, "", 0)
	if prefix {
		sink = log.New(os.Stderr, "", log.LstdFlags)
	}
	var copying sync.WaitGroup
	copying.Add(2)
	go copyLines(&copying, outR, sink, prefix, "stdout: ")
	go copyLines(&copying, errR, sink, prefix, "stderr: ")

	p := &process{cmd: cmd, done: make(chan error, 1), exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		// Give the copiers a moment to flush the last lines.
		drained := make(chan struct{})
		go func() { copying.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(time.Second):
		}
		close(p.exited)
		p.done <- err
	}()
	return p, nil
}

func copyLines(wg *sync.WaitGroup, r io.ReadCloser, sink *log.Logger, prefix bool, label string) {
	defer wg.Done()
	defer r.Close()
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.TrimSuffix(line, "\n")
			if prefix {
				sink.Print(label + line)
			} else {
				sink.Print(line)
			}
		}
		if err != nil {
			return
		}
	}
}

// stop sends SIGTERM to the process group, waits up to grace for the
// process to exit, and then sends SIGKILL to the group.
func (p *process) stop(grace time.Duration) {
	pgid := p.cmd.Process.Pid
	select {
	case <-p.exited:
		return
	default:
	}
	log.Printf("Sending SIGTERM to upstream process group %d", pgid)
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		log.Printf("SIGTERM to upstream failed: %v", err)
	}
	select {
	case <-p.exited:
		log.Print("Upstream process exited")
	case <-time.After(grace):
		log.Printf("Upstream still running after %s; sending SIGKILL", grace)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-p.exited:
		case <-time.After(2 * time.Second):
		}
	}
}

// ---------------------------------------------------------------------------
// HTTP side

type watchdog struct {
	cfg         config
	logger      *log.Logger
	proxy       *httputil.ReverseProxy
	readyClient *http.Client
	lockPath    string
	metrics     *metrics

	inflight     atomic.Int64
	upstreamSeen atomic.Bool // upstream accepted a TCP connection and lock written
	stopping     atomic.Bool
}

type startKey struct{}

func newWatchdog(cfg config, logger *log.Logger) *watchdog {
	w := &watchdog{
		cfg:      cfg,
		logger:   logger,
		lockPath: filepath.Join(os.TempDir(), ".lock"),
		metrics:  newMetrics(),
	}
	transport := &http.Transport{
		Proxy: nil, // never route the local upstream through HTTP_PROXY
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // pass bodies through untouched
	}
	w.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(cfg.upstreamURL)
			// Pass the query through byte for byte. (ReverseProxy may
			// re-encode it, e.g. %20 to +, depending on GODEBUG defaults.)
			pr.Out.URL.RawQuery = joinQuery(cfg.upstreamURL.RawQuery, pr.In.URL.RawQuery)
			// Rewrite drops incoming forwarding headers; keep the ones the
			// gateway set, as all non-hop-by-hop headers are forwarded.
			for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := pr.In.Header[h]; ok {
					pr.Out.Header[h] = v
				}
			}
		},
		Transport:     transport,
		FlushInterval: -1,
		ErrorLog:      logger,
		ModifyResponse: func(resp *http.Response) error {
			setDuration(resp.Header, resp.Request.Context())
			return nil
		},
		ErrorHandler: w.proxyError,
	}
	readyTimeout := cfg.healthcheckInterval
	if readyTimeout <= 0 || readyTimeout > 10*time.Second {
		readyTimeout = 10 * time.Second
	}
	w.readyClient = &http.Client{Transport: transport, Timeout: readyTimeout}
	return w
}

func joinQuery(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "&" + b
}

func setDuration(h http.Header, ctx context.Context) {
	if start, ok := ctx.Value(startKey{}).(time.Time); ok {
		h.Set("X-Duration-Seconds", fmt.Sprintf("%f", time.Since(start).Seconds()))
	}
}

func writeText(rw http.ResponseWriter, code int, body string) {
	rw.Header().Set("Content-Type", textPlain)
	rw.WriteHeader(code)
	io.WriteString(rw, body)
}

// ServeHTTP routes the watchdog's own endpoints and proxies everything else.
// A plain switch is used instead of http.ServeMux so that paths reach the
// upstream exactly as sent (ServeMux would redirect unclean paths).
func (w *watchdog) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_/health":
		w.serveHealth(rw, r)
	case "/_/ready":
		w.serveReady(rw, r)
	default:
		w.serveFunction(rw, r)
	}
}

// healthy reports whether the upstream has accepted a connection since
// start-up and, unless suppress_lock is set, the lock file exists.
func (w *watchdog) healthy() bool {
	if !w.upstreamSeen.Load() || w.stopping.Load() {
		return false
	}
	if w.cfg.suppressLock {
		return true
	}
	_, err := os.Stat(w.lockPath)
	return err == nil
}

func getOnly(rw http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	rw.Header().Set("Allow", "GET, HEAD")
	writeText(rw, http.StatusMethodNotAllowed, "Method not allowed")
	return false
}

func (w *watchdog) serveHealth(rw http.ResponseWriter, r *http.Request) {
	if !getOnly(rw, r) {
		return
	}
	if !w.healthy() {
		writeText(rw, http.StatusServiceUnavailable, "Not ready")
		return
	}
	writeText(rw, http.StatusOK, "OK")
}

func (w *watchdog) limitMessage() string {
	return fmt.Sprintf("Concurrent request limit exceeded. Max concurrent requests: %d", w.cfg.maxInflight)
}

func (w *watchdog) serveReady(rw http.ResponseWriter, r *http.Request) {
	if !getOnly(rw, r) {
		return
	}
	if !w.healthy() {
		writeText(rw, http.StatusServiceUnavailable, "Not ready")
		return
	}
	if max := int64(w.cfg.maxInflight); max > 0 && w.inflight.Load() >= max {
		writeText(rw, http.StatusTooManyRequests, w.limitMessage())
		return
	}
	if u := w.cfg.readyURL(); u != "" {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
		if err != nil {
			writeText(rw, http.StatusServiceUnavailable, "Not ready")
			return
		}
		resp, err := w.readyClient.Do(req)
		if err != nil {
			w.logger.Printf("Readiness check %s failed: %v", u, err)
			writeText(rw, http.StatusServiceUnavailable, "Not ready")
			return
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64*1024))
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			writeText(rw, http.StatusServiceUnavailable, "Not ready")
			return
		}
	}
	writeText(rw, http.StatusOK, "OK")
}

// acquire takes an in-flight slot, or reports false when max_inflight
// slots are already taken.
func (w *watchdog) acquire() bool {
	max := int64(w.cfg.maxInflight)
	for {
		cur := w.inflight.Load()
		if max > 0 && cur >= max {
			return false
		}
		if w.inflight.CompareAndSwap(cur, cur+1) {
			return true
		}
	}
}

func (w *watchdog) serveFunction(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: rw}
	defer func() { w.metrics.observe(r.Method, rec.statusCode(), time.Since(start)) }()

	if !w.acquire() {
		writeText(rec, http.StatusTooManyRequests, w.limitMessage())
		return
	}
	defer w.inflight.Add(-1)

	if w.cfg.bufferHTTP && r.Body != nil && r.Body != http.NoBody {
		data, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			w.logger.Printf("Error reading request body: %v", err)
			writeText(rec, http.StatusBadRequest, "Error reading request body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		r.ContentLength = int64(len(data))
		r.TransferEncoding = nil
		r.Header.Del("Transfer-Encoding")
	}

	ctx := context.WithValue(r.Context(), startKey{}, start)
	if w.cfg.execTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.cfg.execTimeout)
		defer cancel()
	}
	w.proxy.ServeHTTP(rec, r.WithContext(ctx))
}

// proxyError runs when the upstream round trip failed before any response
// header was written to the client.
func (w *watchdog) proxyError(rw http.ResponseWriter, r *http.Request, err error) {
	setDuration(rw.Header(), r.Context())
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		w.logger.Printf("Upstream request timed out after %s: %s %s", w.cfg.execTimeout, r.Method, r.URL.Path)
		writeText(rw, http.StatusGatewayTimeout, fmt.Sprintf("Function timed out after %s", w.cfg.execTimeout))
		return
	}
	w.logger.Printf("Upstream HTTP request error: %v", err)
	writeText(rw, http.StatusBadGateway, fmt.Sprintf("Can't reach service for: %s.", w.cfg.upstreamRaw))
}

// awaitUpstream polls the upstream's TCP address every 25ms until it
// accepts a connection, then writes the lock file (unless suppressed) and
// marks the watchdog healthy.
func (w *watchdog) awaitUpstream(ctx context.Context) error {
	addr := w.cfg.upstreamHostPort()
	began := time.Now()
	dialer := net.Dialer{Timeout: time.Second}
	for {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
	w.logger.Printf("Upstream %s accepting connections after %s", addr, time.Since(began).Round(time.Millisecond))
	if !w.cfg.suppressLock {
		w.logger.Printf("Writing lock-file to: %s", w.lockPath)
		if err := os.WriteFile(w.lockPath, nil, 0o660); err != nil {
			return fmt.Errorf("cannot write lock file %s: %w", w.lockPath, err)
		}
	}
	w.upstreamSeen.Store(true)
	return nil
}

func (w *watchdog) removeLock() {
	if w.cfg.suppressLock {
		return
	}
	if err := os.Remove(w.lockPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		w.logger.Printf("Cannot remove lock file %s: %v", w.lockPath, err)
	}
}

// statusRecorder remembers the final status code for metrics and passes
// flushes through (ReverseProxy flushes via http.ResponseController, which
// uses Unwrap).
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) statusCode() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// ---------------------------------------------------------------------------
// Metrics, written by hand in the Prometheus text exposition format.

var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

type seriesKey struct {
	code   string
	method string
}

type series struct {
	count   uint64
	sum     float64
	buckets []uint64 // cumulative counts are computed at render time
}

type metrics struct {
	mu     sync.Mutex
	series map[seriesKey]*series
}

func newMetrics() *metrics {
	return &metrics{series: map[seriesKey]*series{}}
}

func (m *metrics) observe(method string, code int, d time.Duration) {
	k := seriesKey{code: strconv.Itoa(code), method: method}
	secs := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[k]
	if s == nil {
		s = &series{buckets: make([]uint64, len(durationBuckets))}
		m.series[k] = s
	}
	s.count++
	s.sum += secs
	for i, le := range durationBuckets {
		if secs <= le {
			s.buckets[i]++
			break
		}
	}
}

func escapeLabel(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// render writes the exposition text.
func (m *metrics) render(out io.Writer, inflight int64) {
	m.mu.Lock()
	keys := make([]seriesKey, 0, len(m.series))
	snap := make(map[seriesKey]series, len(m.series))
	for k, s := range m.series {
		keys = append(keys, k)
		snap[k] = series{count: s.count, sum: s.sum, buckets: append([]uint64(nil), s.buckets...)}
	}
	m.mu.Unlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].code != keys[j].code {
			return keys[i].code < keys[j].code
		}
		return keys[i].method < keys[j].method
	})

	var b strings.Builder
	b.WriteString("# HELP http_requests_total Total number of function requests, by status code and method.\n")
	b.WriteString("# TYPE http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "http_requests_total{code=\"%s\",method=\"%s\"} %d\n",
			escapeLabel(k.code), escapeLabel(k.method), snap[k].count)
	}
	b.WriteString("# HELP http_request_duration_seconds Duration of function requests in seconds.\n")
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	for _, k := range keys {
		s := snap[k]
		labels := fmt.Sprintf("code=\"%s\",method=\"%s\"", escapeLabel(k.code), escapeLabel(k.method))
		var cum uint64
		for i, le := range durationBuckets {
			cum += s.buckets[i]
			fmt.Fprintf(&b, "http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", labels, formatFloat(le), cum)
		}
		fmt.Fprintf(&b, "http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, s.count)
		fmt.Fprintf(&b, "http_request_duration_seconds_sum{%s} %s\n", labels, formatFloat(s.sum))
		fmt.Fprintf(&b, "http_request_duration_seconds_count{%s} %d\n", labels, s.count)
	}
	b.WriteString("# HELP http_requests_in_flight Number of function requests currently being served.\n")
	b.WriteString("# TYPE http_requests_in_flight gauge\n")
	fmt.Fprintf(&b, "http_requests_in_flight %d\n", inflight)
	io.WriteString(out, b.String())
}

func (w *watchdog) metricsHandler() http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(rw, r)
			return
		}
		if !getOnly(rw, r) {
			return
		}
		rw.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.metrics.render(rw, w.inflight.Load())
	})
}
