package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/flsps/faqbot/internal/llm"
	"github.com/flsps/faqbot/internal/metrics"
	"github.com/flsps/faqbot/internal/ratelimit"
	"github.com/flsps/faqbot/internal/store"
)

// Inbound is one patient message from any channel.
type Inbound struct {
	Channel    string // store.ChannelSMS, ChannelWhatsApp, ChannelWeb
	Address    string // the patient's number or web session id
	ExternalID string // the channel's message id (Twilio MessageSid): retries with the same id change nothing
	Body       string
	NumMedia   int
	// CarrierKeyword is set when the carrier or Twilio's Advanced Opt-Out
	// already handled a keyword (Twilio's OptOutType: STOP, START, HELP):
	// the bot records it and sends nothing itself.
	CarrierKeyword string
	At             time.Time
	// Curated skips the optional LLM step: the reply to record is the
	// curated one (a spooled message, whose reply has already gone).
	Curated bool
}

// Silence reasons: why an outcome has no reply.
const (
	SilentOptedOut = "opted_out"
	SilentHandoff  = "handoff"
	SilentFlood    = "rate_limited"
	SilentLoop     = "loop_guard"
	SilentCarrier  = "carrier_handled"
	SilentOptOut   = "" // the opt-out confirmation is a reply
)

// Outcome is what the service decided and stored for one inbound message.
type Outcome struct {
	Decision     Decision
	Reply        string // "" = send nothing
	Silent       string // why Reply is empty, if it is
	Duplicate    bool   // a retry of a message already handled
	Conversation *store.Conversation
	Escalation   *store.Escalation // created by this message, if any
	Joined       *store.Escalation // the active escalation this message joined, if any
}

// Alerting says where staff alerts go.
type Alerting struct {
	StaffNumbers   []string
	WebhookURL     string
	IncludeMessage bool   // put the patient's text into alerts
	InboxURL       string // base URL of the staff console, for links
}

// Service is the stateful half of the engine: it loads what the
// conversation knows, asks the Engine for a decision, applies the rules that
// depend on history (opt-out, staff handoff, floods, bot loops, follow-ups)
// and stores the exchange, its escalation and its staff alerts in one
// transaction before the reply goes out. Every channel calls Handle.
type Service struct {
	Store          store.Store
	Alerting       Alerting
	HandoffTimeout time.Duration
	Limiter        *ratelimit.Limiter // per-sender flood guard; nil = none
	Log            *slog.Logger
	Metrics        *metrics.Metrics
	// LLM, when set, may rephrase FAQ answers and help with grey-band
	// unknowns (see Refine); nil sends curated answers verbatim.
	LLM *llm.Client
	Now func() time.Time
	// Notify is called after every stored exchange (tells open inboxes so
	// threads refresh); may be nil.
	Notify func()
	// Enqueued is called after an exchange queued staff alerts (wakes the
	// outbox worker); may be nil.
	Enqueued func()

	engine atomic.Pointer[Engine]
}

// NewService returns a service answering with e.
func NewService(st store.Store, e *Engine) *Service {
	s := &Service{Store: st, Now: time.Now, Log: slog.Default(), HandoffTimeout: 4 * time.Hour}
	s.engine.Store(e)
	return s
}

// Engine returns the engine in use.
func (s *Service) Engine() *Engine { return s.engine.Load() }

// SetEngine swaps the engine (a reloaded FAQ) for the messages that follow.
func (s *Service) SetEngine(e *Engine) { s.engine.Store(e) }

// loopWindow and loopReplies bound how many automatic replies one
// conversation gets in a short time: more than that is another bot (an
// auto-responder) answering us, and the bot goes quiet.
const (
	loopWindow  = 10 * time.Minute
	loopReplies = 15
)

// Handle decides and stores one inbound message. An error means nothing was
// stored; the caller answers with a safe fallback (SafeReply) and the channel
// retries.
func (s *Service) Handle(ctx context.Context, in Inbound) (Outcome, error) {
	now := in.At
	if now.IsZero() {
		now = s.Now()
	}
	e := s.engine.Load()
	// What the decision needs of the conversation, in one read: the
	// escalation staff already have for this patient decides handoff
	// silence and whether a new escalation is needed; loopReplies replies
	// among the last messages within loopWindow mean another bot (an
	// auto-responder) is answering us, and the bot goes quiet.
	state, err := s.Store.InboundState(ctx, in.Channel, in.Address, 2*loopReplies, now.Add(-loopWindow))
	if err != nil {
		return Outcome{}, fmt.Errorf("load conversation: %w", err)
	}
	conv, active := state.Conversation, state.Active
	if conv == nil {
		conv = &store.Conversation{Channel: in.Channel, Address: in.Address}
	}
	afterHours := !e.Clinic().IsOpen(now)

	var d Decision
	switch {
	case strings.TrimSpace(in.Body) == "" && in.NumMedia > 0:
		d = e.MediaOnly(conv.Lang, afterHours)
	default:
		d = e.Decide(in.Body, Context{LastFAQID: conv.LastFAQID, Lang: conv.Lang, AfterHours: afterHours})
	}

	ex := store.Exchange{
		Channel: in.Channel, Address: in.Address, ExternalID: in.ExternalID, Body: in.Body,
		Intent: string(d.Intent), FAQID: d.FAQID, Confidence: d.Confidence, Lang: d.Lang, At: now,
		FAQVersion: e.Set().Version,
	}
	if d.Intent == IntentFAQ {
		ex.LastFAQID = d.FAQID
	}
	out := Outcome{Decision: d, Reply: d.Reply}
	optIn, optOut := true, false
	switch d.Intent {
	case IntentOptOut:
		ex.OptOut = &optIn
	case IntentOptIn:
		ex.OptOut = &optOut
	}

	// Twilio's Advanced Opt-Out has answered the keyword already.
	switch strings.ToUpper(in.CarrierKeyword) {
	case "STOP":
		ex.OptOut, out.Reply, out.Silent = &optIn, "", SilentCarrier
	case "START":
		ex.OptOut, out.Reply, out.Silent = &optOut, "", SilentCarrier
	case "HELP":
		out.Reply, out.Silent = "", SilentCarrier
	}

	escalate := d.Intent.Escalates()
	switch {
	case conv.OptedOut && ex.OptOut == nil:
		// Opted out: never text them. Staff still hear of an emergency.
		out.Reply, out.Silent = "", SilentOptedOut
		escalate = d.Intent == IntentEmergency
	case d.Intent == IntentEmergency || d.Intent == IntentOptOut || d.Intent == IntentOptIn || d.Intent == IntentHelp:
		// Always answered, whatever else is going on.
	default:
		if s.inHandoff(active, now) {
			out.Reply, out.Silent, escalate = "", SilentHandoff, false
		} else if s.Limiter != nil && !s.Limiter.Allow(in.Channel+":"+in.Address) {
			out.Reply, out.Silent, escalate = "", SilentFlood, false
		} else if state.RecentReplies >= loopReplies {
			out.Reply, out.Silent, escalate = "", SilentLoop, false
		}
	}

	// The optional LLM step, only for a reply that will go out: never for
	// an opted-out patient, a silenced reply or fixed text (Refine passes
	// those by). Assist can turn an unknown into an answer; then staff
	// need not follow up.
	if out.Reply != "" && s.LLM != nil && !in.Curated {
		before := d.Intent
		d = Refine(ctx, s.LLM, e, in.Body, d)
		out.Decision, out.Reply = d, d.Reply
		ex.Intent, ex.FAQID, ex.Confidence = string(d.Intent), d.FAQID, d.Confidence
		if d.Intent == IntentFAQ {
			ex.LastFAQID = d.FAQID
		}
		if d.Intent != before {
			escalate = escalate && d.Intent.Escalates()
		}
	}

	// One open escalation a conversation: the store decides, inside its
	// write transaction, whether this joins the thread staff already have
	// (no second alert) or, being more urgent, opens an urgent one beside it.
	if escalate {
		prio := store.PriorityNormal
		if d.Intent == IntentEmergency {
			prio = store.PriorityUrgent
		}
		ex.Escalate = &store.NewEscalation{Kind: string(d.Intent), Priority: prio}
		ex.Alerts = s.alerts(e, d, prio, in.Body)
	}
	if out.Reply != "" {
		ex.Reply, ex.ReplyStatus = out.Reply, store.MsgSent
		ex.ReplyPhrasing, ex.ReplyFallback, ex.ReplyCurated = d.Phrasing, d.Fallback, d.Curated
		if ex.ReplyPhrasing == "" {
			ex.ReplyPhrasing = PhrasingCurated
		}
	}

	res, err := s.Store.RecordExchange(ctx, ex)
	if err != nil {
		return Outcome{}, fmt.Errorf("record exchange: %w", err)
	}
	out.Conversation, out.Escalation, out.Joined, out.Duplicate = res.Conversation, res.Escalation, res.Joined, res.Duplicate
	if res.Duplicate {
		// A retry: answer exactly as the first time, do nothing new.
		out.Reply, out.Escalation = "", nil
		if res.Reply != nil {
			out.Reply = res.Reply.Body
		}
		return out, nil
	}
	if s.Metrics != nil {
		s.Metrics.Messages.WithLabelValues(in.Channel, string(d.Intent)).Inc()
		if res.Escalation != nil {
			s.Metrics.Escalations.WithLabelValues(res.Escalation.Kind).Inc()
		}
		if out.Silent != "" {
			s.Metrics.Rejected.WithLabelValues(out.Silent).Inc()
		}
	}
	s.Log.Info("inbound", "channel", in.Channel, "from", in.Address, "intent", d.Intent, "faq_id", d.FAQID,
		"confidence", d.Confidence, "lang", d.Lang, "silent", out.Silent, "escalation", escID(res.Escalation), "body", in.Body,
		"phrasing", d.Phrasing, "llm_fallback", d.Fallback, "assist", d.Assist)
	if s.Notify != nil {
		s.Notify()
	}
	if s.Enqueued != nil && res.Escalation != nil && len(ex.Alerts) > 0 {
		s.Enqueued()
	}
	return out, nil
}

// inHandoff reports whether staff have claimed this patient recently enough
// that the bot should stay quiet.
func (s *Service) inHandoff(active *store.Escalation, now time.Time) bool {
	if active == nil || active.Status != store.EscClaimed || active.ClaimedAt == nil {
		return false
	}
	return s.HandoffTimeout <= 0 || now.Before(active.ClaimedAt.Add(s.HandoffTimeout))
}

// alerts builds the staff alerts for a new escalation: the minimum (kind,
// priority, number, link), the patient's words only when allowed.
func (s *Service) alerts(e *Engine, d Decision, prio, body string) []store.OutboxItem {
	a := s.Alerting
	if len(a.StaffNumbers) == 0 && a.WebhookURL == "" {
		return nil
	}
	link := ""
	if a.InboxURL != "" {
		link = strings.TrimRight(a.InboxURL, "/") + "/staff/escalations/{escalation_id}"
	}
	label := "New"
	if prio == store.PriorityUrgent {
		label = "URGENT"
	}
	text := fmt.Sprintf("[%s] %s %s escalation #{escalation_id}", e.Clinic().ShortName(), label, d.Intent)
	if a.IncludeMessage {
		text += ": \"" + truncate(body, 200) + "\""
	}
	if link != "" {
		text += " " + link
	}
	var items []store.OutboxItem
	for _, n := range a.StaffNumbers {
		items = append(items, store.OutboxItem{Kind: store.OutboxSMS, Target: n, Body: text})
	}
	if a.WebhookURL != "" {
		items = append(items, store.OutboxItem{Kind: store.OutboxWebhook, Target: a.WebhookURL, Body: webhookJSON(text, string(d.Intent), prio, link)})
	}
	return items
}

func escID(e *store.Escalation) int64 {
	if e == nil {
		return 0
	}
	return e.ID
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func webhookJSON(text, kind, prio, link string) string {
	b, _ := json.Marshal(map[string]string{"text": text, "kind": kind, "priority": prio, "link": link})
	// The escalation number is filled in by the store when it exists.
	return strings.Replace(string(b), "{", `{"escalation_id":{escalation_id},`, 1)
}
