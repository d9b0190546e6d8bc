package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newTestWatchdog builds a watchdog for upstream (no fprocess is forked) and
// serves it with httptest. Unless env says otherwise, suppress_lock is true
// and the upstream is marked as seen, so the proxy is usable immediately.
func newTestWatchdog(t *testing.T, upstream string, env map[string]string) (*watchdog, *httptest.Server) {
	t.Helper()
	vars := map[string]string{"mode": "http", "upstream_url": upstream, "suppress_lock": "true"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := loadConfig(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, false)
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	wd := newWatchdog(cfg, log.New(io.Discard, "", 0))
	if cfg.suppressLock {
		wd.upstreamSeen.Store(true)
	}
	srv := httptest.NewServer(wd)
	t.Cleanup(srv.Close)
	return wd, srv
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body := readAll(t, resp)
	return resp.StatusCode, body
}

const bigSize = 5 << 20

func bigPayload() []byte {
	b := make([]byte, bigSize)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// hashingUpstream reads the body, signalling on first once the first 64 KiB
// have arrived, and answers "<bytes> <sha256> <content-length> <te>".
func hashingUpstream(first chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		head := make([]byte, 64<<10)
		n, err := io.ReadFull(r.Body, head)
		if err != nil {
			http.Error(w, "short body: "+err.Error(), 500)
			return
		}
		h.Write(head[:n])
		if first != nil {
			close(first)
		}
		m, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%d %s %d %s", int64(n)+m, hex.EncodeToString(h.Sum(nil)),
			r.ContentLength, strings.Join(r.TransferEncoding, ","))
	}
}

// postStreaming sends payload through a pipe. The second half is only
// written after the upstream has seen the beginning, which proves the body
// is streamed rather than buffered by the watchdog.
func postStreaming(t *testing.T, url string, payload []byte, length int64, first <-chan struct{}) *http.Response {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		half := len(payload) / 2
		if _, err := pw.Write(payload[:half]); err != nil {
			return
		}
		if first != nil {
			select {
			case <-first:
			case <-time.After(10 * time.Second):
				pw.CloseWithError(fmt.Errorf("upstream saw nothing before the body was complete: not streamed"))
				return
			}
		}
		pw.Write(payload[half:])
		pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	return resp
}

func TestProxiesLargeBodyStreamed(t *testing.T) {
	payload := bigPayload()
	sum := sha256.Sum256(payload)
	want := hex.EncodeToString(sum[:])

	for _, tc := range []struct {
		name   string
		length int64
		wantCL string
		wantTE string
	}{
		{"content-length", bigSize, strconv.Itoa(bigSize), ""},
		{"chunked", -1, "-1", "chunked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := make(chan struct{})
			up := httptest.NewServer(hashingUpstream(first))
			defer up.Close()
			_, wd := newTestWatchdog(t, up.URL, nil)

			resp := postStreaming(t, wd.URL+"/fn", payload, tc.length, first)
			body := readAll(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			got := strings.Split(body, " ")
			if len(got) != 4 || got[0] != strconv.Itoa(bigSize) || got[1] != want || got[2] != tc.wantCL || got[3] != tc.wantTE {
				t.Fatalf("upstream saw %q, want %d bytes, sha %s, content-length %s, te %q", body, bigSize, want, tc.wantCL, tc.wantTE)
			}
		})
	}
}

func TestBufferHTTPSendsContentLength(t *testing.T) {
	payload := bigPayload()
	up := httptest.NewServer(hashingUpstream(nil))
	defer up.Close()
	_, wd := newTestWatchdog(t, up.URL, map[string]string{"buffer_http": "true"})

	resp := postStreaming(t, wd.URL+"/", payload, -1, nil)
	body := readAll(t, resp)
	got := strings.Split(body, " ")
	if resp.StatusCode != 200 || len(got) != 4 || got[2] != strconv.Itoa(bigSize) || got[3] != "" {
		t.Fatalf("status %d, upstream saw %q; want a Content-Length of %d and no chunking", resp.StatusCode, body, bigSize)
	}
}

func TestStreamsResponse(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		io.WriteString(w, "second\n")
	}))
	defer up.Close()
	_, wd := newTestWatchdog(t, up.URL, nil)

	resp, err := http.Get(wd.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 2)
	go func() {
		br := bufio.NewReader(resp.Body)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- l
		}
	}()
	select {
	case l := <-lines:
		if l != "first\n" {
			t.Fatalf("first line %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("first chunk not delivered before the upstream finished: response is buffered")
	}
	close(release)
	if l := <-lines; l != "second\n" {
		t.Fatalf("second line %q", l)
	}
}

func TestExecTimeoutGives504(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Consume the body so the server notices when the watchdog hangs up.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer up.Close()
	_, wd := newTestWatchdog(t, up.URL, map[string]string{"exec_timeout": "200ms"})

	began := time.Now()
	resp, err := http.Post(wd.URL+"/slow", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusGatewayTimeout || body != "Function timed out after 200ms" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("timeout took %s", took)
	}
	if resp.Header.Get("X-Duration-Seconds") == "" {
		t.Error("X-Duration-Seconds missing on 504")
	}
}

func TestMaxInflightGives429(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			entered <- struct{}{}
			<-release
		}
		io.WriteString(w, "done")
	}))
	defer up.Close()
	wdog, wd := newTestWatchdog(t, up.URL, map[string]string{"max_inflight": "1"})

	firstDone := make(chan error, 1)
	go func() {
		resp, err := http.Post(wd.URL+"/block", "text/plain", nil)
		if err == nil {
			if resp.StatusCode != 200 {
				err = fmt.Errorf("first request got %d", resp.StatusCode)
			}
			resp.Body.Close()
		}
		firstDone <- err
	}()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("first request never reached the upstream")
	}

	resp, err := http.Post(wd.URL+"/other", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusTooManyRequests || body != "Concurrent request limit exceeded. Max concurrent requests: 1" {
		t.Fatalf("second request: %d %q", resp.StatusCode, body)
	}
	if code, body := get(t, wd.URL+"/_/ready"); code != http.StatusTooManyRequests {
		t.Fatalf("/_/ready at the limit: %d %q", code, body)
	}
	if code, _ := get(t, wd.URL+"/_/health"); code != 200 {
		t.Fatalf("/_/health should ignore the limit, got %d", code)
	}
	if got := wdog.inflight.Load(); got != 1 {
		t.Fatalf("in flight %d, want 1", got)
	}

	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	// The slot is released just after the response is sent; wait for it.
	deadline := time.Now().Add(5 * time.Second)
	for wdog.inflight.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("in-flight slot never released")
		}
		time.Sleep(time.Millisecond)
	}
	if code, body := get(t, wd.URL+"/after"); code != 200 || body != "done" {
		t.Fatalf("after release: %d %q", code, body)
	}
}

func TestForwardingAndDurationHeader(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Upstream", "yes")
		w.WriteHeader(201)
		fmt.Fprintf(w, "%s %s %s custom=%s xff=%s keepalive=%q",
			r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Custom"),
			r.Header.Get("X-Forwarded-For"), r.Header.Get("Keep-Alive"))
	}))
	defer up.Close()
	_, wd := newTestWatchdog(t, up.URL, nil)

	req, _ := http.NewRequest(http.MethodPut, wd.URL+"/a/b?x=1&y=two%20words", strings.NewReader("body"))
	req.Header.Set("X-Custom", "kept")
	req.Header.Set("X-Forwarded-For", "10.1.2.3")
	req.Header.Set("Connection", "Keep-Alive")
	req.Header.Set("Keep-Alive", "timeout=5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	want := `PUT /a/b x=1&y=two%20words custom=kept xff=10.1.2.3 keepalive=""`
	if resp.StatusCode != 201 || body != want {
		t.Fatalf("got %d %q, want 201 %q", resp.StatusCode, body, want)
	}
	if resp.Header.Get("X-Upstream") != "yes" {
		t.Error("upstream response header lost")
	}
	d := resp.Header.Get("X-Duration-Seconds")
	f, err := strconv.ParseFloat(d, 64)
	if err != nil || f < 0 || !strings.Contains(d, ".") || len(d[strings.Index(d, ".")+1:]) != 6 {
		t.Fatalf("X-Duration-Seconds = %q, want a %%f float", d)
	}
}

func TestUnreachableUpstreamGives502(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upstream := "http://" + ln.Addr().String()
	ln.Close()
	_, wd := newTestWatchdog(t, upstream, nil)

	resp, err := http.Get(wd.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusBadGateway || body != "Can't reach service for: "+upstream+"." {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}

func TestHealthNotReadyUntilUpstreamAndLock(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	// Reserve a port, free it, and only start the upstream there later.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	wdog, wd := newTestWatchdog(t, "http://"+addr, map[string]string{"suppress_lock": "false"})
	lock := filepath.Join(tmp, ".lock")
	if wdog.lockPath != lock {
		t.Fatalf("lock path %s, want %s", wdog.lockPath, lock)
	}

	for _, p := range []string{"/_/health", "/_/ready"} {
		if code, body := get(t, wd.URL+p); code != 503 || body != "Not ready" {
			t.Fatalf("%s before start: %d %q", p, code, body)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	probeErr := make(chan error, 1)
	go func() { probeErr <- wdog.awaitUpstream(ctx) }()

	if code, _ := get(t, wd.URL+"/_/health"); code != 503 {
		t.Fatalf("health while upstream is down: %d", code)
	}
	if _, err := os.Stat(lock); err == nil {
		t.Fatal("lock file written before the upstream accepted connections")
	}

	upLn, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("could not re-bind %s: %v", addr, err)
	}
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	up.Listener.Close()
	up.Listener = upLn
	up.Start()
	defer up.Close()

	select {
	case err := <-probeErr:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("probe did not notice the upstream")
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("lock file missing: %v", err)
	}
	for _, p := range []string{"/_/health", "/_/ready"} {
		if code, body := get(t, wd.URL+p); code != 200 || body != "OK" {
			t.Fatalf("%s once ready: %d %q", p, code, body)
		}
	}

	wdog.removeLock()
	if code, _ := get(t, wd.URL+"/_/health"); code != 503 {
		t.Fatalf("health without lock file: %d", code)
	}
}

func TestReadyPath(t *testing.T) {
	var status atomic.Int32
	status.Store(500)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" && r.Method == http.MethodGet {
			w.WriteHeader(int(status.Load()))
			return
		}
		w.WriteHeader(404)
	}))
	defer up.Close()
	_, wd := newTestWatchdog(t, up.URL, map[string]string{"ready_path": "/ready"})

	if code, _ := get(t, wd.URL+"/_/ready"); code != 503 {
		t.Fatalf("ready with upstream 500: %d", code)
	}
	if code, _ := get(t, wd.URL+"/_/health"); code != 200 {
		t.Fatalf("health does not consult ready_path, got %d", code)
	}
	status.Store(204)
	if code, body := get(t, wd.URL+"/_/ready"); code != 200 || body != "OK" {
		t.Fatalf("ready with upstream 204: %d %q", code, body)
	}
}

func TestMetrics(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			w.WriteHeader(404)
		}
	}))
	defer up.Close()
	wdog, wd := newTestWatchdog(t, up.URL, nil)
	ms := httptest.NewServer(wdog.metricsHandler())
	defer ms.Close()

	for i := 0; i < 2; i++ {
		resp, err := http.Post(wd.URL+"/", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
	}
	get(t, wd.URL+"/missing")
	get(t, wd.URL+"/_/health") // not counted

	code, body := get(t, ms.URL+"/metrics")
	if code != 200 {
		t.Fatalf("metrics status %d", code)
	}
	for _, want := range []string{
		"# TYPE http_requests_total counter\n",
		`http_requests_total{code="200",method="POST"} 2` + "\n",
		`http_requests_total{code="404",method="GET"} 1` + "\n",
		`http_request_duration_seconds_count{code="200",method="POST"} 2` + "\n",
		`http_request_duration_seconds_bucket{code="200",method="POST",le="+Inf"} 2` + "\n",
		"# TYPE http_requests_in_flight gauge\n",
		"http_requests_in_flight 0\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	// /_/health answers 200 to a GET: a counted health check would show as
	// a series of its own (matching "GET\"} 2" would also match a duration
	// sum that happens to start with 2, as 2.8792e-05 once did).
	if strings.Contains(body, `http_requests_total{code="200",method="GET"}`) {
		t.Errorf("health checks were counted:\n%s", body)
	}
	if code, _ := get(t, ms.URL+"/other"); code != 404 {
		t.Errorf("metrics port /other: %d", code)
	}
}

func TestConfig(t *testing.T) {
	load := func(env map[string]string) (config, error) {
		return loadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, true)
	}
	c, err := load(map[string]string{
		"mode": "http", "function_process": "python3  index.py", "http_upstream_url": "http://127.0.0.1:5000",
		"read_timeout": "15", "write_timeout": "1m30s", "exec_timeout": "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.processArgs, "|") != "python3|index.py" || c.upstreamRaw != "http://127.0.0.1:5000" {
		t.Fatalf("aliases: %+v", c)
	}
	if c.readTimeout != 15*time.Second || c.writeTimeout != 90*time.Second || c.execTimeout != 0 || c.healthcheckInterval != 90*time.Second {
		t.Fatalf("timeouts: %+v", c)
	}
	if c.port != 8080 || c.metricsPort != 8081 || !c.prefixLogs || c.suppressLock || c.bufferHTTP || c.maxInflight != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	if c.upstreamHostPort() != "127.0.0.1:5000" {
		t.Fatalf("hostport %s", c.upstreamHostPort())
	}

	c, err = load(map[string]string{"mode": "http", "fprocess": "a", "function_process": "b", "upstream_url": "http://h", "ready_path": "ready"})
	if err != nil || c.processArgs[0] != "a" || c.readTimeout != 10*time.Second || c.upstreamHostPort() != "h:80" || c.readyURL() != "http://h/ready" {
		t.Fatalf("%v %+v", err, c)
	}

	for env, want := range map[string]string{
		"mode=streaming":        "watchdog-standin supports only mode=http, found streaming",
		"upstream_url=":         "upstream_url",
		"fprocess=":             "fprocess",
		"read_timeout=soon":     "read_timeout",
		"max_inflight=-1":       "max_inflight",
		"port=70000":            "port",
		"upstream_url=ftp://x":  "upstream_url",
		"suppress_lock=perhaps": "suppress_lock",
	} {
		base := map[string]string{"mode": "http", "fprocess": "cat", "upstream_url": "http://127.0.0.1:5000"}
		k, v, _ := strings.Cut(env, "=")
		base[k] = v
		if _, err := load(base); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to mention %q", env, err, want)
		}
	}
}

func TestProcessStopAndExit(t *testing.T) {
	p, err := startProcess([]string{"sleep", "30"}, true)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	p.stop(5 * time.Second)
	if took := time.Since(began); took > 4*time.Second {
		t.Fatalf("stop took %s", took)
	}
	select {
	case err := <-p.done:
		if err == nil {
			t.Fatal("sleep should have died from SIGTERM")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit reported")
	}

	p, err = startProcess([]string{"false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err == nil || !strings.Contains(err.Error(), "exit status 1") {
			t.Fatalf("exit error %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("exit of upstream not noticed")
	}
}

func TestCopyLinesPrefix(t *testing.T) {
	var buf bytes.Buffer
	r, w := io.Pipe()
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Add(1)
		copyLines(&wg, r, log.New(&buf, "", log.LstdFlags), true, "stdout: ")
		close(done)
	}()
	io.WriteString(w, "hello\npartial")
	w.Close()
	<-done
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	for i, want := range []string{"stdout: hello", "stdout: partial"} {
		if _, err := time.Parse("2006/01/02 15:04:05", lines[i][:19]); err != nil || lines[i][20:] != want {
			t.Errorf("line %q, want timestamp then %q", lines[i], want)
		}
	}
}
