package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/logging"
	"github.com/flsps/faqbot/internal/server"
)

func init() {
	register("serve", "run the service: Twilio webhook, staff console, API", runServe)
	register("healthcheck", "exit 0 if the local server answers /healthz (for container HEALTHCHECK)", runHealthcheck)
}

// AddrFile is the file in the data directory where serve writes the address
// it listens on, so healthcheck finds the server even when serve was given
// --addr (as a container's command may be).
const AddrFile = "faqbot.addr"

func runServe(ctx context.Context, env *Env, args []string) int {
	if wantsHelp(args) {
		config.Parse("serve", args, env.Getenv, env.Stdout) // prints the usage
		return 0
	}
	cfg, pos, err := config.Parse("serve", args, env.Getenv, env.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(env.Stderr, "faqbot serve:", err)
		}
		return 2
	}
	if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "faqbot serve: unexpected argument %q (settings are flags like --addr :8080)\n", pos[0])
		return 2
	}
	log := logging.New(env.Stderr, cfg.LogFormat, cfg.LogLevel, cfg.LogBodies)
	tuneGC(env.Getenv)
	warnings, infos := cfg.Notes()
	for _, w := range warnings {
		log.Warn(w)
	}
	for _, i := range infos {
		log.Info(i)
	}

	// Listen first: a port in use fails before the store is touched.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "faqbot serve: cannot listen on FAQBOT_ADDR %s: %v\n", cfg.Addr, unwrapOp(err))
		return 1
	}
	defer ln.Close()
	srv, err := server.New(ctx, server.Options{Config: cfg, Log: log})
	if err != nil {
		fmt.Fprintf(env.Stderr, "faqbot serve: %v%s\n", err, permissionHint(err, cfg.DataDir))
		return 1
	}
	defer srv.Close()
	addrFile := filepath.Join(cfg.DataDir, AddrFile)
	if err := os.WriteFile(addrFile, []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
		log.Warn("cannot write the listen address for healthcheck", "file", addrFile, "err", err)
	}
	defer os.Remove(addrFile)
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	workers, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { srv.Run(workers) })

	log.Info("faqbot listening", "addr", ln.Addr().String(), "faq", cfg.FAQDir, "data", cfg.DataDir,
		"staff_console", "http://"+displayAddr(ln.Addr())+"/staff", "chat_demo", "http://"+displayAddr(ln.Addr())+"/")
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		stopWorkers()
		wg.Wait()
		log.Error("server stopped", "err", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests and the outbox", "grace", cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	srv.CloseStreams()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("shutdown: requests still running", "err", err)
	}
	stopWorkers()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		log.Warn("shutdown: outbox still busy; unsent items stay queued for the next start")
	}
	log.Info("stopped")
	return 0
}

func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelp(a) {
			return true
		}
	}
	return false
}

// unwrapOp drops a *net.OpError's repetition of the address the caller's
// message already names.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// permissionHint adds what to do when the data directory is not writable,
// the usual trouble with a host folder mounted into the container.
func permissionHint(err error, dataDir string) string {
	if !errors.Is(err, fs.ErrPermission) {
		return ""
	}
	return fmt.Sprintf(" (the user running faqbot, uid %d, must be able to write %s; the Docker image runs as uid 65532: chown -R 65532:65532 the host folder, or use a named volume)", os.Getuid(), dataDir)
}

func runHealthcheck(ctx context.Context, env *Env, args []string) int {
	if wantsHelp(args) {
		fmt.Fprintf(env.Stdout, "Usage: faqbot healthcheck [--addr ADDR] [--data-dir DIR]\nExits 0 if the local server answers /healthz. Without --addr it asks the address\nthe running serve wrote to DIR/%s (so serve --addr works), else FAQBOT_ADDR.\n\n", AddrFile)
		config.Parse("healthcheck", args, env.Getenv, env.Stdout, "addr", "data-dir")
		return 0
	}
	fset := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fset.SetOutput(env.Stderr)
	cfg, err := config.Bind(fset, env.Getenv, "addr", "data-dir")
	if perr := fset.Parse(args); perr != nil {
		return 2
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "healthcheck:", err)
		return 2
	}
	addr := cfg.Addr
	if !flagSet(fset, "addr") {
		if b, err := os.ReadFile(filepath.Join(cfg.DataDir, AddrFile)); err == nil && strings.TrimSpace(string(b)) != "" {
			addr = strings.TrimSpace(string(b))
		}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintln(env.Stderr, "healthcheck:", err)
		return 1
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		fmt.Fprintln(env.Stderr, "healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(env.Stderr, "healthcheck: status", resp.StatusCode)
		return 1
	}
	return 0
}

// serveGCPercent is the server's garbage-collection target when GOGC is not
// set: the live heap is small (tens of MB) and each message allocates a
// few KB, so collecting at 4× the live heap instead of 2× saves a few
// per cent of CPU under load (measured with faqbot load --cpuprofile: GC
// work fell from ~6 % to ~2 % of the process) for a few more MB of memory.
// serveMemoryLimit (when GOMEMLIMIT is not set) makes the collector work
// harder before the heap could grow past it.
const (
	serveGCPercent   = 300
	serveMemoryLimit = 512 << 20
)

// tuneGC applies serveGCPercent and serveMemoryLimit unless GOGC or
// GOMEMLIMIT say otherwise.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
