package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// config holds the watchdog settings read from the environment. The variable
// names follow of-watchdog; watchdog_listen_host and metrics_port are
// additions of this stand-in.
type config struct {
	processArgs         []string // fprocess split on whitespace
	upstreamRaw         string   // upstream_url as given
	upstreamURL         *url.URL
	listenHost          string // "" means all interfaces (0.0.0.0)
	port                int
	metricsPort         int
	readTimeout         time.Duration
	writeTimeout        time.Duration
	execTimeout         time.Duration // 0 means no limit
	healthcheckInterval time.Duration
	maxInflight         int // 0 means unlimited
	bufferHTTP          bool
	readyPath           string
	suppressLock        bool
	prefixLogs          bool
}

const (
	defaultPort        = 8080
	defaultMetricsPort = 8081
	defaultTimeout     = 10 * time.Second
)

// lookupFunc has the shape of os.LookupEnv so tests can pass a map instead.
type lookupFunc func(string) (string, bool)

// firstSet returns the value of the first of names that is set.
func firstSet(lookup lookupFunc, names ...string) (string, bool) {
	for _, n := range names {
		if v, ok := lookup(n); ok {
			return v, true
		}
	}
	return "", false
}

// seconds parses either a Go duration ("10s", "1m30s") or a plain integer
// that counts seconds. An unset or empty value yields def.
func seconds(lookup lookupFunc, name string, def time.Duration) (time.Duration, error) {
	raw, ok := lookup(name)
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return def, nil
	}
	if n, err := strconv.Atoi(raw); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%s must not be negative, found %q", name, raw)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("%s must be a duration such as 10s or a number of seconds, found %q", name, raw)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s must not be negative, found %q", name, raw)
	}
	return d, nil
}

func flag(lookup lookupFunc, name string, def bool) (bool, error) {
	raw, ok := lookup(name)
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, found %q", name, raw)
	}
	return b, nil
}

func integer(lookup lookupFunc, name string, def, min, max int) (int, error) {
	raw, ok := lookup(name)
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("%s must be an integer between %d and %d, found %q", name, min, max, raw)
	}
	return n, nil
}

// loadConfig reads and validates the settings. needProcess is false only in
// tests, which drive the HTTP side without forking anything.
func loadConfig(lookup lookupFunc, needProcess bool) (config, error) {
	var c config
	var err error

	mode, _ := lookup("mode")
	if strings.TrimSpace(mode) != "http" {
		shown := mode
		if strings.TrimSpace(mode) == "" {
			shown = `"" (unset; of-watchdog would default to streaming)`
		}
		return c, fmt.Errorf("watchdog-standin supports only mode=http, found %s", shown)
	}

	proc, _ := firstSet(lookup, "fprocess", "function_process")
	c.processArgs = strings.Fields(proc)
	if needProcess && len(c.processArgs) == 0 {
		return c, errors.New(`provide a "fprocess" or "function_process" environment variable with the upstream command line`)
	}

	c.upstreamRaw, _ = firstSet(lookup, "upstream_url", "http_upstream_url")
	c.upstreamRaw = strings.TrimSpace(c.upstreamRaw)
	if c.upstreamRaw == "" {
		return c, errors.New(`provide an "upstream_url" (or "http_upstream_url") environment variable, e.g. http://127.0.0.1:5000; it is required in http mode`)
	}
	u, perr := url.Parse(c.upstreamRaw)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("upstream_url must be an absolute http:// or https:// URL, found %q", c.upstreamRaw)
	}
	c.upstreamURL = u

	c.listenHost, _ = lookup("watchdog_listen_host")
	c.listenHost = strings.TrimSpace(c.listenHost)

	if c.port, err = integer(lookup, "port", defaultPort, 1, 65535); err != nil {
		return c, err
	}
	if c.metricsPort, err = integer(lookup, "metrics_port", defaultMetricsPort, 1, 65535); err != nil {
		return c, err
	}
	if c.readTimeout, err = seconds(lookup, "read_timeout", defaultTimeout); err != nil {
		return c, err
	}
	if c.writeTimeout, err = seconds(lookup, "write_timeout", defaultTimeout); err != nil {
		return c, err
	}
	if c.execTimeout, err = seconds(lookup, "exec_timeout", defaultTimeout); err != nil {
		return c, err
	}
	if c.healthcheckInterval, err = seconds(lookup, "healthcheck_interval", c.writeTimeout); err != nil {
		return c, err
	}
	if c.maxInflight, err = integer(lookup, "max_inflight", 0, 0, 1<<30); err != nil {
		return c, err
	}
	if c.bufferHTTP, err = flag(lookup, "buffer_http", false); err != nil {
		return c, err
	}
	if c.suppressLock, err = flag(lookup, "suppress_lock", false); err != nil {
		return c, err
	}
	if c.prefixLogs, err = flag(lookup, "prefix_logs", true); err != nil {
		return c, err
	}

	c.readyPath, _ = lookup("ready_path")
	c.readyPath = strings.TrimSpace(c.readyPath)
	if c.readyPath != "" && !strings.HasPrefix(c.readyPath, "/") {
		c.readyPath = "/" + c.readyPath
	}
	return c, nil
}

// upstreamHostPort is the TCP address probed at start-up.
func (c config) upstreamHostPort() string {
	if c.upstreamURL.Port() != "" {
		return c.upstreamURL.Host
	}
	port := "80"
	if c.upstreamURL.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(c.upstreamURL.Hostname(), port)
}

// readyURL is the upstream address probed by /_/ready, or "" when ready_path
// is not configured.
func (c config) readyURL() string {
	if c.readyPath == "" {
		return ""
	}
	return strings.TrimRight(c.upstreamRaw, "/") + c.readyPath
}
