// Package bot is the channel-agnostic engine: it turns an inbound message
// (and what the conversation knows) into a decision and a reply. The pure
// decision lives in Engine; channels (SMS, web chat) call it and never decide
// anything themselves.
package bot

// Intent is what a message is, as far as the bot is concerned.
type Intent string

// The intents. Only the carrier keywords (optout, optin, help) are built into
// code; the others are data in the FAQ directory.
const (
	IntentFAQ       Intent = "faq"
	IntentBooking   Intent = "booking"
	IntentHuman     Intent = "human"
	IntentEmergency Intent = "emergency"
	IntentOptOut    Intent = "optout"
	IntentOptIn     Intent = "optin"
	IntentHelp      Intent = "help"
	IntentSmalltalk Intent = "smalltalk"
	IntentUnknown   Intent = "unknown"
)

// Escalates reports whether messages of this intent go to staff.
func (i Intent) Escalates() bool {
	switch i {
	case IntentBooking, IntentHuman, IntentUnknown, IntentEmergency:
		return true
	}
	return false
}

// Decision is the engine's verdict on one message.
type Decision struct {
	Intent     Intent  `json:"intent"`
	FAQID      string  `json:"faq_id"`
	Confidence float64 `json:"confidence"`
	Reply      string  `json:"reply"`
	Lang       string  `json:"lang"` // "en" or "es"
	// SelfHarm marks an emergency that mentions self-harm (the reply names 988).
	SelfHarm bool `json:"self_harm,omitempty"`
	// Rule says why, for staff and maintainers: "keyword", "pattern: ...",
	// "blocker: ...", "index", "gate", "follow-up".
	Rule string `json:"rule,omitempty"`

	// Grey marks an unknown whose closest FAQ entries came near the bar
	// (the grey band); Candidates lists them, best first. The optional LLM
	// assist may choose among them and nothing else.
	Grey       bool        `json:"grey,omitempty"`
	Candidates []Candidate `json:"candidates,omitempty"`

	// Set by the conversation layer's optional LLM step (Refine), never by
	// the engine. Phrasing is "llm" or "curated" when a model is
	// configured; Fallback says why a model's answer was refused or
	// failed; Assist is "llm" when the model chose the entry; Curated is
	// the curated text a phrased Reply replaced.
	Phrasing string `json:"phrasing,omitempty"`
	Fallback string `json:"fallback,omitempty"`
	Assist   string `json:"assist,omitempty"`
	Curated  string `json:"curated,omitempty"`
}

// Candidate is an FAQ entry the engine considered for a message, with the
// confidence it would have answered with.
type Candidate struct {
	FAQID string  `json:"faq_id"`
	Score float64 `json:"score"`
}

// Context is what the conversation knows that can change a decision.
type Context struct {
	// LastFAQID is the FAQ entry answered most recently in this conversation,
	// so "and how long does it last?" can resolve against it.
	LastFAQID string
	// Lang is the conversation's language so far ("" if none yet).
	Lang string
	// AfterHours selects the after-hours wording for escalation replies.
	AfterHours bool
}
