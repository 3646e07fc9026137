package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
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

func runServe(ctx context.Context, env *Env, args []string) int {
	cfg, _, err := config.Parse("serve", args, env.Getenv, env.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot serve:", err)
		return 2
	}
	log := logging.New(env.Stderr, cfg.LogFormat, cfg.LogLevel, cfg.LogBodies)
	srv, err := server.New(ctx, server.Options{Config: cfg, Log: log})
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot serve:", err)
		return 1
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot serve:", err)
		return 1
	}
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

func runHealthcheck(ctx context.Context, env *Env, args []string) int {
	cfg, _, err := config.Parse("healthcheck", args, env.Getenv, env.Stderr, "addr")
	if err != nil {
		return 2
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
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
