package sms

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/metrics"
	"github.com/flsps/faqbot/internal/store"
)

// MaxRequestBytes bounds a webhook request body; Twilio's are a few KiB.
const MaxRequestBytes = 64 << 10

// Webhook serves Twilio's inbound-message and status-callback webhooks on
// top of the channel-agnostic bot.Service.
type Webhook struct {
	Service    *bot.Service
	Store      store.Store
	Verifier   *Verifier
	SkipVerify bool       // local trials only
	Spool      *bot.Spool // where messages go when the store is down
	Metrics    *metrics.Metrics
	Log        *slog.Logger
	// Timeout bounds the work behind one reply, well inside Twilio's 15 s.
	Timeout time.Duration
	// OnStatus is called after a delivery status was recorded (the staff
	// console refreshes the thread).
	OnStatus func()

	pendingStatuses atomic.Int64
}

// fallbackReply is sent when a message could be neither stored nor
// spooled: honest, and safe for an emergency.
const fallbackReply = "Sorry, we could not process your message right now. Please try again shortly. If this is an emergency, call 911."

// InboundHandler answers POST /twilio/sms with TwiML.
func (h *Webhook) InboundHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer h.observe("sms", start)
		form, ok := h.verified(w, r)
		if !ok {
			return
		}
		// A body that is not UTF-8 is repaired rather than refused: the
		// patient still gets an answer.
		if b := form.Get("Body"); b != "" && !utf8.ValidString(b) {
			form.Set("Body", strings.ToValidUTF8(b, "\uFFFD"))
			h.reject("invalid_utf8")
		}
		msg, err := ParseInbound(form)
		if err != nil {
			h.reject("bad_form")
			h.Log.Warn("twilio: unusable inbound form", "err", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in := bot.Inbound{
			Channel: msg.Channel, Address: msg.From, ExternalID: msg.MessageSID, Body: msg.Body,
			NumMedia: msg.NumMedia, CarrierKeyword: msg.OptOutType, At: time.Now(),
		}
		if msg.MediaOnly() {
			h.reject("media_only")
		}
		timeout := h.Timeout
		if timeout <= 0 {
			timeout = 8 * time.Second
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		out, err := h.Service.Handle(ctx, in)
		if err != nil {
			WriteTwiML(w, h.degrade(in, err))
			return
		}
		h.rememberName(ctx, out.Conversation, msg.ProfileName)
		WriteTwiML(w, out.Reply)
	})
}

// rememberName keeps a WhatsApp profile name as the patient's name for
// staff, unless the conversation already has one (staff may have typed
// it). A failure only costs the name: it is logged, never the reply.
func (h *Webhook) rememberName(ctx context.Context, conv *store.Conversation, profile string) {
	profile = strings.TrimSpace(profile)
	if profile == "" || conv == nil || conv.ID == 0 || conv.Name != "" || h.Store == nil {
		return
	}
	if len(profile) > 100 {
		profile = strings.ToValidUTF8(profile[:100], "")
	}
	if _, err := h.Store.NameConversationIfUnnamed(ctx, conv.ID, profile); err != nil {
		h.Log.Warn("twilio: could not keep the WhatsApp profile name", "err", err)
	}
}

// degrade answers a message the store could not take: it is spooled for a
// later retry and the patient gets the engine's own reply (which is still
// right: "staff will follow up" becomes true when the spool is replayed).
func (h *Webhook) degrade(in bot.Inbound, cause error) string {
	h.reject("store_unavailable")
	h.Log.Error("twilio: could not store inbound message, spooling it", "err", cause, "from", in.Address)
	if h.Spool == nil {
		return fallbackReply
	}
	if err := h.Spool.Put(in); err != nil {
		h.Log.Error("twilio: could not spool inbound message either", "err", err, "from", in.Address, "body", in.Body)
		return fallbackReply
	}
	// Opted-out state is unknown without the store: reply only where the
	// message itself asks for it or is an emergency.
	d := h.Service.Engine().Decide(in.Body, bot.Context{})
	switch d.Intent {
	case bot.IntentOptOut, bot.IntentEmergency, bot.IntentHelp, bot.IntentOptIn:
		return d.Reply
	}
	if in.CarrierKeyword != "" {
		return ""
	}
	return d.Reply
}

// StatusHandler records delivery status callbacks: POST /twilio/status.
func (h *Webhook) StatusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer h.observe("status", start)
		form, ok := h.verified(w, r)
		if !ok {
			return
		}
		st, err := ParseStatus(form)
		if err != nil {
			h.reject("bad_status")
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		err = h.Store.UpdateMessageStatus(r.Context(), st.MessageSID, st.MessageStatus, st.ErrorCode)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Either not ours, or a callback that beat the outbox recording
			// the SID Twilio returned: try again shortly (Twilio never
			// retries status callbacks).
			h.retryStatus(st)
		case err != nil:
			// Twilio does not retry status callbacks; the status is lost, the
			// message is not.
			h.Log.Error("twilio: could not record status", "sid", st.MessageSID, "err", err)
		case h.OnStatus != nil:
			h.OnStatus()
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// statusRetries are the delays after which a status callback for a SID not
// yet stored is tried again.
var statusRetries = []time.Duration{500 * time.Millisecond, 2 * time.Second, 10 * time.Second, 30 * time.Second}

// maxPendingStatuses bounds the callbacks waiting for their SID.
const maxPendingStatuses = 1000

// retryStatus applies st in the background once its message is stored.
func (h *Webhook) retryStatus(st StatusCallback) {
	if h.pendingStatuses.Add(1) > maxPendingStatuses {
		h.pendingStatuses.Add(-1)
		h.Log.Warn("twilio: too many status callbacks for unknown messages; dropping one", "sid", st.MessageSID)
		return
	}
	go func() {
		defer h.pendingStatuses.Add(-1)
		for _, d := range statusRetries {
			time.Sleep(d)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := h.Store.UpdateMessageStatus(ctx, st.MessageSID, st.MessageStatus, st.ErrorCode)
			cancel()
			if err == nil {
				if h.OnStatus != nil {
					h.OnStatus()
				}
				return
			}
			if !errors.Is(err, store.ErrNotFound) {
				h.Log.Error("twilio: could not record status", "sid", st.MessageSID, "err", err)
				return
			}
		}
		h.Log.Info("twilio: status for an unknown message", "sid", st.MessageSID, "status", st.MessageStatus)
	}()
}

// verified bounds, parses and authenticates a webhook request. On failure it
// has written the response.
func (h *Webhook) verified(w http.ResponseWriter, r *http.Request) (form url.Values, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject("too_large")
			http.Error(w, "request body over 64 KiB", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		h.reject("bad_form")
		http.Error(w, "unreadable form: "+err.Error(), http.StatusBadRequest)
		return nil, false
	}
	if !h.SkipVerify {
		if err := h.Verifier.Verify(r); err != nil {
			if errors.Is(err, ErrNoAuthToken) {
				http.Error(w, "webhook signatures cannot be checked: set TWILIO_AUTH_TOKEN (or --insecure-skip-signature for a local trial)", http.StatusServiceUnavailable)
				return nil, false
			}
			if h.Metrics != nil {
				h.Metrics.SignatureFailures.Inc()
			}
			h.Log.Warn("twilio: signature refused", "err", err)
			http.Error(w, "invalid or missing X-Twilio-Signature", http.StatusForbidden)
			return nil, false
		}
	}
	return r.PostForm, true
}

func (h *Webhook) reject(reason string) {
	if h.Metrics != nil {
		h.Metrics.Rejected.WithLabelValues(reason).Inc()
	}
}

func (h *Webhook) observe(route string, start time.Time) {
	if h.Metrics != nil {
		h.Metrics.WebhookLatency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}
}
