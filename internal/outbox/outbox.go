// Package outbox delivers what the store's durable outbox holds (staff alert
// SMS and webhooks, staff replies to patients): it claims due items with a
// lease, sends them, and records success, a retry with backoff, or a
// permanent failure. Items survive restarts: a crash mid-send leaves the
// lease to expire and the item is sent again.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/flsps/faqbot/internal/metrics"
	"github.com/flsps/faqbot/internal/store"
)

// ErrNotConfigured is a permanent failure: the channel an item needs has no
// credentials.
var ErrNotConfigured = errors.New("not configured")

// DefaultParallel is Worker.Parallel's default.
const DefaultParallel = 4

// Worker sends outbox items.
type Worker struct {
	Store store.Store
	// SendSMS sends a text and returns the provider's message id; nil means
	// SMS sending is not configured.
	SendSMS func(ctx context.Context, to, body string) (string, error)
	// PostWebhook posts a JSON body to a URL; nil means webhooks are off.
	PostWebhook func(ctx context.Context, url, body string) error
	// Permanent reports whether an error will never succeed on retry.
	Permanent func(error) bool
	// Unsubscribed reports a refusal because the recipient opted out with
	// the carrier (Twilio 21610): the patient a stored message was for is
	// then marked opted out, so nobody texts them again. nil = never.
	Unsubscribed func(error) bool

	Log     *slog.Logger
	Metrics *metrics.Metrics // optional
	// OnChange is called after a batch changed items' states (sent,
	// retried, failed), so open staff inboxes refresh; may be nil.
	OnChange func()

	Interval    time.Duration // poll interval; default 2s
	Lease       time.Duration // how long a claimed item is ours; default 1m
	MaxAttempts int           // then failed for good; default 12
	BaseBackoff time.Duration // first retry delay, doubling; default 5s
	MaxBackoff  time.Duration // default 30m
	// Parallel is how many of a batch's items are delivered at once
	// (default DefaultParallel): a slow send or a slow database write for
	// one does not hold up the rest, an urgent alert among them included.
	Parallel int
	Now      func() time.Time

	wake chan struct{}
	once sync.Once
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Interval <= 0 {
			w.Interval = 2 * time.Second
		}
		if w.Lease <= 0 {
			w.Lease = time.Minute
		}
		if w.MaxAttempts <= 0 {
			w.MaxAttempts = 12
		}
		if w.BaseBackoff <= 0 {
			w.BaseBackoff = 5 * time.Second
		}
		if w.MaxBackoff <= 0 {
			w.MaxBackoff = 30 * time.Minute
		}
		if w.Parallel <= 0 {
			w.Parallel = DefaultParallel
		}
		if w.Now == nil {
			w.Now = time.Now
		}
		if w.Log == nil {
			w.Log = slog.Default()
		}
		if w.Permanent == nil {
			w.Permanent = func(error) bool { return false }
		}
	})
}

// Wake asks the worker to look at the outbox now (after something was
// enqueued) instead of at its next tick. It never blocks.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx is done. The batch in flight when ctx ends is finished
// (each send has its own timeout), so shutdown drains rather than abandons.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		for w.RunOnce(context.WithoutCancel(ctx)) > 0 && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// RunOnce claims one batch of due items, sends them and returns how many it
// handled.
func (w *Worker) RunOnce(ctx context.Context) int {
	w.init()
	items, err := w.Store.ClaimOutbox(ctx, w.Now(), 16, w.Lease)
	if err != nil {
		w.Log.Error("outbox: claim failed", "err", err)
		return 0
	}
	// The batch is claimed urgent first: its urgent items leave before any
	// other starts, then the rest go Parallel at a time.
	n := 0
	for n < len(items) && items[n].Urgent {
		n++
	}
	w.deliverAll(ctx, items[:n])
	w.deliverAll(ctx, items[n:])
	if len(items) > 0 && w.OnChange != nil {
		w.OnChange()
	}
	return len(items)
}

// deliverAll delivers items, Parallel at a time, and returns when all are
// done.
func (w *Worker) deliverAll(ctx context.Context, items []store.OutboxItem) {
	sem := make(chan struct{}, w.Parallel)
	var wg sync.WaitGroup
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			w.deliver(ctx, it)
		})
	}
	wg.Wait()
}

func (w *Worker) deliver(ctx context.Context, it store.OutboxItem) {
	sendCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var ext string
	var err error
	switch it.Kind {
	case store.OutboxSMS:
		if w.SendSMS == nil {
			err = ErrNotConfigured
		} else {
			ext, err = w.SendSMS(sendCtx, it.Target, it.Body)
		}
	case store.OutboxWebhook:
		if w.PostWebhook == nil {
			err = ErrNotConfigured
		} else {
			err = w.PostWebhook(sendCtx, it.Target, it.Body)
		}
	default:
		err = errors.New("unknown outbox kind " + it.Kind)
	}
	log := w.Log.With("outbox_id", it.ID, "kind", it.Kind, "attempt", it.Attempts)
	if err == nil {
		if e := w.Store.OutboxSent(ctx, it.ID, ext); e != nil {
			log.Error("outbox: sent but not recorded", "err", e)
		}
		if w.Metrics != nil {
			w.Metrics.OutboxSent.WithLabelValues(it.Kind).Inc()
		}
		log.Info("outbox: sent")
		return
	}
	permanent := errors.Is(err, ErrNotConfigured) || w.Permanent(err) || it.Attempts >= w.MaxAttempts
	if permanent {
		msg := err.Error()
		if errors.Is(err, ErrNotConfigured) {
			msg = it.Kind + " sending is not configured (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and FAQBOT_TWILIO_FROM)"
		} else if it.Attempts >= w.MaxAttempts && !w.Permanent(err) {
			msg = fmt.Sprintf("gave up after %d attempts: ", it.Attempts) + msg
		}
		if e := w.Store.OutboxFailed(ctx, it.ID, msg); e != nil {
			log.Error("outbox: failure not recorded", "err", e)
		}
		if it.MessageID != nil && w.Unsubscribed != nil && w.Unsubscribed(err) {
			if e := w.Store.OptOutRecipient(ctx, *it.MessageID, "the carrier reports the patient unsubscribed (Twilio 21610)"); e != nil {
				log.Error("outbox: opt-out not recorded", "err", e)
			} else {
				log.Warn("outbox: recipient unsubscribed; patient marked opted out")
			}
		}
		if w.Metrics != nil {
			w.Metrics.OutboxFailures.WithLabelValues(it.Kind, "permanent").Inc()
		}
		log.Error("outbox: failed for good", "err", msg)
		return
	}
	next := w.Now().Add(w.backoff(it.Attempts))
	if e := w.Store.OutboxRetry(ctx, it.ID, err.Error(), next); e != nil {
		log.Error("outbox: retry not recorded", "err", e)
	}
	if w.Metrics != nil {
		w.Metrics.OutboxFailures.WithLabelValues(it.Kind, "retry").Inc()
	}
	log.Warn("outbox: will retry", "err", err, "next", next)
}

// backoff is BaseBackoff doubling with each attempt, capped at MaxBackoff.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.BaseBackoff
	for i := 1; i < attempts && d < w.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.MaxBackoff)
}
