package cli

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/server"
	"github.com/flsps/faqbot/internal/store"
)

func init() {
	register("load", "load-test the Twilio webhook with signed messages (loopback only): throughput, p50/p95/p99", runLoad)
}

// Limits that keep a load run from becoming a denial-of-service tool.
const (
	loadMaxDuration    = 10 * time.Minute
	loadMaxRequests    = 2_000_000
	loadMaxConcurrency = 1024
	loadMaxRate        = 20_000
	loadMaxInFlight    = 4096
)

// loadMix is the message mix: what patients of a Botox clinic text, in
// rough proportions (weights). The texts are this tool's own.
var loadMix = []struct {
	weight int
	texts  []string
}{
	{40, []string{"how long does botox last", "does botox help with tmj", "how many units do migraine patients get",
		"is there downtime after the injections", "can botox stop my headaches", "when will i see results",
		"cuanto dura el botox", "what does the treatment feel like"}},
	{20, []string{"i need to book an appointment", "can i schedule a consult for friday", "i want to move my appointment",
		"book me in please", "quiero hacer una cita"}},
	{15, []string{"do you take my insurance", "what is the price for forehead lines", "where do i park",
		"my cousin wants to know about fillers"}},
	{10, []string{"thanks!", "hi there", "ok great", "👍"}},
	{8, []string{"can i talk to a person", "please have someone call me"}},
	{4, []string{"i cant breathe after my botox shot", "my eyelid is drooping and my throat feels tight",
		"no puedo tragar desde la inyeccion"}},
	{1, []string{"STOP"}},
}

// loadText picks the i-th message of the mix deterministically.
func loadText(i int) string {
	total := 0
	for _, m := range loadMix {
		total += m.weight
	}
	h := uint32(i)*2654435761 + 12345 // Knuth's multiplicative hash: spread i over the mix
	k := int(h>>8) % total
	for _, m := range loadMix {
		if k < m.weight {
			return m.texts[int(h>>3)%len(m.texts)]
		}
		k -= m.weight
	}
	return loadMix[0].texts[0]
}

type loadOpts struct {
	concurrency int
	rate        float64
	duration    time.Duration
	warmup      time.Duration
	requests    int
	perPatient  int
	token       string
}

type loadResult struct {
	name    string
	n       int
	errors  map[string]int
	lat     []time.Duration
	elapsed time.Duration
	// unfinished counts requests still unanswered when the run ended (an
	// overloaded server at a fixed rate).
	unfinished int
	fixedRate  bool
}

func (r *loadResult) throughput() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r *loadResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
}

func runLoad(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	targets := fs.String("url", "", "webhook URL(s) of running servers, comma-separated, loopback only (e.g. http://127.0.0.1:8080/twilio/sms); default: start servers in this process")
	replicas := fs.Int("replicas", 1, "servers to start in this process when --url is not given (several need --database-url)")
	// --database-url (PostgreSQL for the servers started here; default:
	// SQLite in a temporary directory), --faq and --twilio-auth-token (to
	// sign with; generated for servers started here) follow the settings.
	cfg, cfgErr := config.Bind(fs, env.Getenv, "database-url", "faq", "twilio-auth-token")
	if cfgErr != nil {
		fmt.Fprintln(env.Stderr, "faqbot load:", cfgErr)
		return 2
	}
	fs.StringVar(&cfg.TwilioAuthToken, "auth-token", cfg.TwilioAuthToken, "auth token to sign with (the server's TWILIO_AUTH_TOKEN; same as --twilio-auth-token); generated for servers started here")
	dbURL, faqDir, token := &cfg.DatabaseURL, &cfg.FAQDir, &cfg.TwilioAuthToken
	bare := fs.Bool("bare", false, "also run the same load against a bare net/http handler answering fixed TwiML, and print the ratio")
	conc := fs.Int("concurrency", 32, "requests in flight (closed loop)")
	rate := fs.Float64("rate", 0, "fixed arrival rate in requests/s (open loop; latency counts from each request's scheduled time); 0 = closed loop")
	dur := fs.Duration("duration", 10*time.Second, "how long each run lasts (at most 10m)")
	warm := fs.Duration("warmup", time.Second, "not counted at the start of each run")
	reqs := fs.Int("requests", 0, "stop after this many requests (0 = run for --duration)")
	per := fs.Int("per-patient", 4, "messages each patient sends at once (consecutive requests share a number)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the faqbot run (servers started here and the load) to this file, for go tool pprof")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "faqbot load: "+format+"\n", a...)
		return 2
	}
	switch {
	case *conc < 1 || *conc > loadMaxConcurrency:
		return fail("--concurrency: want 1..%d, got %d", loadMaxConcurrency, *conc)
	case *rate < 0 || *rate > loadMaxRate:
		return fail("--rate: want 0..%d, got %g", loadMaxRate, *rate)
	case *dur <= 0 || *dur > loadMaxDuration:
		return fail("--duration: want up to %v, got %v", loadMaxDuration, *dur)
	case *warm < 0 || *warm >= *dur:
		return fail("--warmup: want less than --duration, got %v", *warm)
	case *reqs < 0 || *reqs > loadMaxRequests:
		return fail("--requests: want 0..%d, got %d", loadMaxRequests, *reqs)
	case *per < 1 || *per > 64:
		return fail("--per-patient: want 1..64, got %d", *per)
	case *replicas < 1 || *replicas > 8:
		return fail("--replicas: want 1..8, got %d", *replicas)
	case *replicas > 1 && *dbURL == "" && *targets == "":
		return fail("--replicas %d needs --database-url (several servers share one PostgreSQL)", *replicas)
	}
	o := loadOpts{concurrency: *conc, rate: *rate, duration: *dur, warmup: *warm, requests: *reqs, perPatient: *per, token: *token}

	var urls []string
	var alerts *alertSink
	var first store.Store // of the servers started here
	if *targets != "" {
		if o.token == "" {
			return fail("--auth-token (or TWILIO_AUTH_TOKEN) is needed to sign requests for --url")
		}
		for _, u := range strings.Split(*targets, ",") {
			if err := loopbackURL(u); err != nil {
				return fail("--url: %v", err)
			}
			urls = append(urls, strings.TrimSpace(u))
		}
	} else {
		if o.token == "" {
			o.token = randomHex(16)
		}
		tuneGC(env.Getenv) // as faqbot serve
		alerts = startAlertSink()
		defer alerts.close()
		stop, us, st, err := startLoadServers(ctx, *replicas, *dbURL, *faqDir, o.token, alerts.url)
		first = st
		if err != nil {
			fmt.Fprintln(env.Stderr, "faqbot load:", err)
			return 1
		}
		defer stop()
		urls = us
	}

	out := env.Stdout
	mode := fmt.Sprintf("closed loop, %d in flight", o.concurrency)
	if o.rate > 0 {
		mode = fmt.Sprintf("fixed rate %g req/s", o.rate)
	}
	fmt.Fprintf(out, "faqbot load: %s, %v per run (%v warm-up), %d messages per patient at once\n", mode, o.duration, o.warmup, o.perPatient)

	var bareRes *loadResult
	if *bare {
		u, stop := startBare()
		bareRes = runLoadPhase(ctx, "bare net/http", []string{u}, o)
		stop()
		printLoad(out, bareRes)
	}
	name := fmt.Sprintf("faqbot (%d server", len(urls))
	if len(urls) > 1 {
		name += "s"
	}
	switch {
	case *targets != "":
		name += ", --url)"
	case *dbURL != "":
		name += ", PostgreSQL)"
	default:
		name += ", SQLite)"
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fail("--cpuprofile: %v", unwrapOp(err))
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail("--cpuprofile: %v", err)
		}
	}
	phaseStart := time.Now()
	res := runLoadPhase(ctx, name, urls, o)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	printLoad(out, res)
	if bareRes != nil && bareRes.n > 0 && o.rate == 0 {
		fmt.Fprintf(out, "ratio: %.3f× the bare handler's throughput\n", res.throughput()/bareRes.throughput())
	}
	if alerts != nil {
		time.Sleep(2 * time.Second) // let the outbox finish what it claimed
		alerts.report(out)
		urgentDelays(context.WithoutCancel(ctx), out, first, phaseStart)
	}
	if ctx.Err() != nil {
		return 1
	}
	return 0
}

// loopbackURL accepts only http(s) URLs on a loopback address: this tool
// never loads a machine it does not run on.
func loopbackURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address (127.0.0.1, ::1, localhost)", host)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// signTwilio is Twilio's X-Twilio-Signature: base64(HMAC-SHA1(token, URL +
// sorted form keys and values)).
func signTwilio(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(token))
	io.WriteString(mac, u)
	for _, k := range keys {
		io.WriteString(mac, k)
		io.WriteString(mac, form.Get(k))
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// startLoadServers starts n faqbot servers in this process on loopback
// ports, sharing dbURL (or one temporary SQLite directory), with staff
// alerts going to alertURL. Their workers run, as in production.
func startLoadServers(ctx context.Context, n int, dbURL, faqDir, token, alertURL string) (func(), []string, store.Store, error) {
	dir, err := os.MkdirTemp("", "faqbot-load-")
	if err != nil {
		return nil, nil, nil, err
	}
	var stops []func()
	stopAll := func() {
		for _, s := range slices.Backward(stops) {
			s()
		}
		os.RemoveAll(dir)
	}
	var urls []string
	var first store.Store
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			stopAll()
			return nil, nil, nil, err
		}
		cfg := config.Defaults()
		cfg.DataDir, cfg.FAQDir, cfg.DatabaseURL = fmt.Sprintf("%s/%d", dir, i), faqDir, dbURL
		if dbURL == "" {
			cfg.DataDir = dir // one SQLite file
		}
		cfg.PublicURL = "http://" + ln.Addr().String()
		cfg.TwilioAuthToken = token
		cfg.StaffWebhookURL = alertURL
		cfg.SenderRatePerMinute, cfg.SenderBurst = 10, 5
		srv, err := server.New(ctx, server.Options{Config: cfg, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			ln.Close()
			stopAll()
			return nil, nil, nil, err
		}
		hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(ln)
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() { srv.Run(wctx); close(done) }()
		stops = append(stops, func() {
			srv.CloseStreams()
			sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
			hs.Shutdown(sctx)
			c()
			cancel()
			<-done
			srv.Close()
		})
		urls = append(urls, cfg.PublicURL+"/twilio/sms")
		if first == nil {
			first = srv.Store()
		}
	}
	return stopAll, urls, first, nil
}

// startBare serves fixed TwiML after reading the form: the ceiling any
// webhook on this machine can reach.
func startBare() (string, func()) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>`)
	}), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String() + "/twilio/sms", func() { hs.Close() }
}

// runLoadPhase sends the load to urls (round robin) and measures it.
func runLoadPhase(ctx context.Context, name string, urls []string, o loadOpts) *loadResult {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: loadMaxInFlight, MaxIdleConnsPerHost: loadMaxInFlight, IdleConnTimeout: 30 * time.Second}}
	defer client.CloseIdleConnections()
	run := randomHex(3) // numbers and SIDs differ between runs on one database
	var rb [2]byte
	rand.Read(rb[:])
	runNum := fmt.Sprintf("%03d", (int(rb[0])<<8|int(rb[1]))%1000)
	var seq, unfinished atomic.Int64
	start := time.Now()
	measureFrom := start.Add(o.warmup)
	end := start.Add(o.duration)
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()

	var mu sync.Mutex
	res := &loadResult{name: name, errors: map[string]int{}}
	one := func(i int, scheduled time.Time) {
		patient := i / o.perPatient
		text := loadText(i)
		form := url.Values{
			"MessageSid": {"SM" + run + fmt.Sprintf("%026d", i)}, "AccountSid": {"AC" + strings.Repeat("0", 32)},
			"From": {fmt.Sprintf("+1555%s%04d", runNum, patient%10000)}, "To": {"+15615550100"},
			"Body": {text}, "NumMedia": {"0"},
		}
		if patient >= 10000 { // more patients than numbers: vary the area code
			form.Set("From", fmt.Sprintf("+1%03d%s%04d", 200+patient/10000%700, runNum, patient%10000))
		}
		u := urls[patient%len(urls)]
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", signTwilio(o.token, u, form))
		resp, err := client.Do(req)
		done := time.Now()
		key := ""
		if err != nil {
			if ctx.Err() != nil {
				if !scheduled.Before(measureFrom) {
					unfinished.Add(1) // still waiting when the run ended
				}
				return
			}
			key = "transport: " + err.Error()
		} else {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				key = fmt.Sprintf("HTTP %d", resp.StatusCode)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if scheduled.Before(measureFrom) {
			return
		}
		res.n++
		if key != "" {
			res.errors[key]++
			return
		}
		res.lat = append(res.lat, done.Sub(scheduled))
	}
	more := func(i int) bool { return ctx.Err() == nil && (o.requests == 0 || i < o.requests) }

	var wg sync.WaitGroup
	if o.rate == 0 {
		for range o.concurrency {
			wg.Go(func() {
				for {
					i := int(seq.Add(1) - 1)
					if !more(i) {
						return
					}
					one(i, time.Now())
				}
			})
		}
	} else {
		sem := make(chan struct{}, loadMaxInFlight)
		interval := time.Duration(float64(time.Second) / o.rate)
		for i := 0; more(i); i++ {
			at := start.Add(time.Duration(i) * interval)
			if d := time.Until(at); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
			if ctx.Err() != nil {
				break
			}
			sem <- struct{}{} // at the bound, waiting counts as latency
			wg.Go(func() {
				defer func() { <-sem }()
				one(i, at)
			})
		}
	}
	wg.Wait()
	res.elapsed = time.Since(measureFrom)
	if e := end.Sub(measureFrom); res.elapsed > e {
		res.elapsed = e
	}
	slices.Sort(res.lat)
	res.unfinished, res.fixedRate = int(unfinished.Load()), o.rate > 0
	return res
}

func printLoad(w io.Writer, r *loadResult) {
	errs := 0
	var kinds []string
	for k, n := range r.errors {
		errs += n
		kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
	}
	if r.unfinished > 0 && r.fixedRate {
		kinds = append(kinds, fmt.Sprintf("unanswered at the end ×%d", r.unfinished))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "%-28s %8d req %9.0f req/s   p50 %7.2fms  p95 %7.2fms  p99 %7.2fms  max %7.2fms  errors %d %s\n",
		r.name, r.n, r.throughput(), ms(r.pct(0.50)), ms(r.pct(0.95)), ms(r.pct(0.99)), ms(r.pct(1)), errs, strings.Join(kinds, ", "))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// alertSink is the staff webhook of the servers a load run starts: it
// counts alerts and notes when urgent ones arrive.
type alertSink struct {
	url    string
	srv    *http.Server
	mu     sync.Mutex
	n      int
	urgent []time.Time
}

func startAlertSink() *alertSink {
	a := &alertSink{}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	a.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		a.mu.Lock()
		a.n++
		if strings.Contains(string(b), `"priority":"urgent"`) {
			a.urgent = append(a.urgent, time.Now())
		}
		a.mu.Unlock()
	}), ReadHeaderTimeout: 5 * time.Second}
	go a.srv.Serve(ln)
	a.url = "http://" + ln.Addr().String() + "/alerts"
	return a
}

func (a *alertSink) close() { a.srv.Close() }

// report prints how many alerts arrived.
func (a *alertSink) report(w io.Writer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(w, "staff alerts received: %d (%d urgent)\n", a.n, len(a.urgent))
}

// urgentDelays prints how long urgent escalations' staff alerts took to
// leave: from the escalation's creation (the commit before the patient's
// 911 reply) to its alert_sent event.
func urgentDelays(ctx context.Context, w io.Writer, st store.Store, since time.Time) {
	escs, err := st.Escalations(ctx, store.EscalationFilter{})
	if err != nil {
		return
	}
	var d []time.Duration
	waiting := 0
	for _, e := range escs {
		if e.Priority != store.PriorityUrgent || e.CreatedAt.Before(since) {
			continue // not urgent, or an earlier run's (a PostgreSQL database is kept)
		}
		evs, err := st.Events(ctx, e.ConversationID)
		if err != nil {
			return
		}
		sent := false
		for _, ev := range evs {
			if ev.Kind == store.EventAlertSent && ev.EscalationID != nil && *ev.EscalationID == e.ID {
				d = append(d, ev.CreatedAt.Sub(e.CreatedAt))
				sent = true
				break
			}
		}
		if !sent {
			waiting++
		}
	}
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	fmt.Fprintf(w, "urgent alerts: %d sent, from escalation to sent p50 %.0fms, p99 %.0fms, max %.0fms; %d not sent by the end\n",
		len(d), ms(d[len(d)/2]), ms(d[min(len(d)-1, len(d)*99/100)]), ms(d[len(d)-1]), waiting)
}
