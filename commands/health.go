package commands

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"
)

const (
	// DefaultHealthURL is what `kamobot health` asks unless told otherwise:
	// /healthz of `watch --metrics-addr 127.0.0.1:9465`.
	DefaultHealthURL = "http://127.0.0.1:9465/healthz"
	healthBodyMax    = 200 // how much of a failed answer's body is quoted
)

func newHealthCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "health",
		Usage:     "ask a running `kamobot watch` whether it is healthy (a container's HEALTHCHECK)",
		UsageText: "kamobot health [--url " + DefaultHealthURL + "] [--timeout 2s]",
		Description: `GETs the URL, a path of the server 'kamobot watch --metrics-addr' runs
(/healthz or /livez), and exits 0 when it answers 2xx, 69 otherwise,
printing one line saying what answered. It reads no config and talks to
nothing else: it is meant for a container's HEALTHCHECK, the image having
no shell or curl.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Value: DefaultHealthURL, Usage: "the `URL` to ask"},
			&cli.DurationFlag{Name: "timeout", Value: 2 * time.Second, Usage: "give up after `D`"},
		},
		Action: func(c *cli.Context) error { return health(c, d) },
	}
}

// health asks --url once. It follows no redirect (a 3xx is not healthy)
// and uses no proxy: the server asked is kamobot's own, next to it.
func health(c *cli.Context, d *Deps) error {
	u, err := url.Parse(c.String("url"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--url %q: want an http:// or https:// address, e.g. %s", c.String("url"), DefaultHealthURL)
	}
	timeout := c.Duration("timeout")
	if timeout <= 0 {
		return usageErrorf("--timeout %s: want a positive duration, e.g. 2s", timeout)
	}
	client := &http.Client{
		Timeout:       timeout,
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	shown := u.Redacted()
	req, err := http.NewRequestWithContext(c.Context, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("health: %s: %w", shown, err)
	}
	req.Header.Set("User-Agent", d.Build.UserAgent())
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, said once below
		}
		if ue != nil && ue.Timeout() {
			err = fmt.Errorf("no answer within %s", timeout)
		}
		return &ExitError{Code: ExitUnavailable, Err: fmt.Errorf("%s did not answer: %w", shown, err)}
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4*healthBodyMax))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, err := fmt.Fprintf(d.Stdout, "%s answered %s\n", shown, resp.Status)
		return err
	}
	what := fmt.Sprintf("%s answered %s", shown, resp.Status)
	if s := oneLine(body); s != "" {
		what += ": " + s
	}
	return &ExitError{Code: ExitUnavailable, Err: errors.New(what)}
}

// oneLine is body as one short line of printable text.
func oneLine(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > healthBodyMax {
		s = string(r[:healthBodyMax]) + "…"
	}
	return s
}
