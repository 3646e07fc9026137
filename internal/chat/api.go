package chat

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/phone"
	"github.com/flsps/faqbot/internal/store"
)

// Bounds on what a widget may send: a request body, a message (as long as
// the longest SMS Twilio delivers) and a name.
const (
	maxBodyBytes = 16 << 10
	maxTextChars = 1600
	maxNameChars = 80
)

// messageRequest is POST /chat/v1/messages. ClientID, optional, is the
// widget's id for this message: a retry with the same id is answered as
// the first time and stores nothing new.
type messageRequest struct {
	Session  string `json:"session"`
	Text     string `json:"text"`
	ClientID string `json:"client_id"`
}

// messageResponse answers it. Reply is "" when the bot stays quiet, with
// Silent saying why (staff are handling the conversation, the patient opted
// out, too many messages); AskContact asks the widget to offer the hand-off
// form (the patient wants a booking or a person, or staff are to follow up
// on a question, and no number was left).
type messageResponse struct {
	Session    string `json:"session"`
	Reply      string `json:"reply"`
	Intent     string `json:"intent"`
	FAQID      string `json:"faq_id"`
	Lang       string `json:"lang"`
	Silent     string `json:"silent,omitempty"`
	Escalated  bool   `json:"escalated"`
	AskContact bool   `json:"ask_contact"`
}

// postMessage runs one patient message through bot.Service.
func (c *Chat) postMessage(w http.ResponseWriter, r *http.Request) {
	var req messageRequest
	if !c.decode(w, r, &req) {
		return
	}
	text, problem := cleanText(req.Text)
	if problem != "" {
		c.reject("bad_text")
		writeError(w, http.StatusUnprocessableEntity, problem)
		return
	}
	session := req.Session
	switch {
	case session == "":
		session = newSession()
	case !validSession(session):
		c.reject("bad_session")
		writeError(w, http.StatusBadRequest, `"session" is not a session id this server issued (leave it out to start a new one)`)
		return
	}
	if req.ClientID != "" && !validToken(req.ClientID, 1, 64) {
		c.reject("bad_client_id")
		writeError(w, http.StatusBadRequest, `"client_id" must be 1 to 64 letters, digits, '-' or '_'`)
		return
	}
	addr := address(session)
	// Limits never hold back an emergency: the engine's verdict on the text
	// alone decides whether a limited message still goes through.
	sessionOK := c.o.SessionLimiter.Allow(addr)
	addressOK := c.o.AddressLimiter.Allow(c.clientAddr(r))
	if (!sessionOK || !addressOK) && c.o.Service.Engine().Decide(text, bot.Context{}).Intent != bot.IntentEmergency {
		c.reject("rate_limited")
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusTooManyRequests, "too many messages: please wait a minute and try again. If this is an emergency, call 911.")
		return
	}

	ext := req.ClientID
	if ext == "" {
		ext = newSession()
	}
	in := bot.Inbound{Channel: store.ChannelWeb, Address: addr, ExternalID: "web:" + addr + ":" + ext, Body: text, At: c.o.Now()}
	ctx, cancel := context.WithTimeout(r.Context(), c.o.Timeout)
	defer cancel()
	out, err := c.o.Service.Handle(ctx, in)
	if err != nil {
		c.degrade(w, session, in, err)
		return
	}
	d := out.Decision
	resp := messageResponse{Session: session, Reply: out.Reply, Intent: string(d.Intent), FAQID: d.FAQID,
		Lang: d.Lang, Silent: out.Silent, Escalated: out.Escalation != nil}
	if out.Duplicate {
		resp.Silent = ""
	}
	// Staff can only follow up with a patient who may leave the page if
	// they have a number: ask when the patient wants a booking or a person,
	// was told staff will follow up on a question, or reported an
	// emergency (after the 911 advice, so the urgent escalation has a number
	// staff can call).
	switch d.Intent {
	case bot.IntentBooking, bot.IntentHuman, bot.IntentUnknown, bot.IntentEmergency:
		resp.AskContact = out.Conversation == nil || out.Conversation.TextConsentAt == nil
	}
	writeJSON(w, http.StatusOK, resp)
}

// degrade answers a message the store could not take, as the SMS webhook
// does: it is spooled and replayed later (so its escalation is not lost),
// and the patient gets the engine's own reply. Without a spool the widget
// is told to try again, and the text stays in its input.
func (c *Chat) degrade(w http.ResponseWriter, session string, in bot.Inbound, cause error) {
	c.reject("store_unavailable")
	c.o.Log.Error("chat: could not store inbound message, spooling it", "err", cause, "address", in.Address)
	if c.o.Spool == nil || c.o.Spool.Put(in) != nil {
		c.o.Log.Error("chat: could not spool inbound message either", "address", in.Address)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the chat cannot take messages right now: please try again in a moment. If this is an emergency, call 911.")
		return
	}
	d := c.o.Service.Engine().Decide(in.Body, bot.Context{})
	writeJSON(w, http.StatusOK, messageResponse{Session: session, Reply: d.Reply, Intent: string(d.Intent),
		FAQID: d.FAQID, Lang: d.Lang, Escalated: d.Intent.Escalates()})
}

// chatMessage is one message of a session's history.
type chatMessage struct {
	ID   int64     `json:"id"`
	From string    `json:"from"` // patient, bot or staff
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// historyResponse is GET /chat/v1/messages?session=…[&after=ID].
type historyResponse struct {
	Session  string        `json:"session"`
	Lang     string        `json:"lang"`
	Contact  bool          `json:"contact"` // the patient left a number for staff
	Messages []chatMessage `json:"messages"`
}

// history returns a session's messages, oldest first (after an id, if
// given). A session with no messages yet has an empty history.
func (c *Chat) history(w http.ResponseWriter, r *http.Request) {
	session, after, ok := c.readQuery(w, r)
	if !ok {
		return
	}
	resp := historyResponse{Session: session, Messages: []chatMessage{}}
	conv, msgs, err := c.messages(r.Context(), address(session), after, false)
	if err != nil {
		c.o.Log.Error("chat: history", "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the chat history cannot be read right now: please try again in a moment")
		return
	}
	if conv != nil {
		resp.Lang, resp.Contact = conv.Lang, conv.TextConsentAt != nil
		resp.Messages = append(resp.Messages, msgs...)
	}
	writeJSON(w, http.StatusOK, resp)
}

// readQuery validates ?session=…&after=… and the read rate limit. On
// failure it has written the response.
func (c *Chat) readQuery(w http.ResponseWriter, r *http.Request) (session string, after int64, ok bool) {
	q := r.URL.Query()
	session = q.Get("session")
	if !validSession(session) {
		c.reject("bad_session")
		writeError(w, http.StatusBadRequest, `"session" is missing or not a session id this server issued`)
		return "", 0, false
	}
	if a := q.Get("after"); a != "" {
		if err := json.Unmarshal([]byte(a), &after); err != nil || after < 0 {
			writeError(w, http.StatusBadRequest, `"after" must be a message id`)
			return "", 0, false
		}
	}
	if !c.o.ReadLimiter.Allow(c.clientAddr(r)) {
		c.reject("rate_limited")
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusTooManyRequests, "too many requests: please wait a minute and try again")
		return "", 0, false
	}
	return session, after, true
}

// messages loads a session's conversation (nil if it has none yet) and its
// messages after an id: all of them, or only staff replies. Internal notes
// and events are never part of it.
func (c *Chat) messages(ctx context.Context, addr string, after int64, staffOnly bool) (*store.Conversation, []chatMessage, error) {
	conv, err := c.o.Store.Conversation(ctx, store.ChannelWeb, addr)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	msgs, err := c.o.Store.Messages(ctx, conv.ID)
	if err != nil {
		return nil, nil, err
	}
	var out []chatMessage
	for _, m := range msgs {
		if m.ID <= after || m.Status == store.MsgSuppressed || (staffOnly && m.Author != store.AuthorStaff) {
			continue
		}
		from := m.Author
		switch {
		case m.Direction == store.DirectionIn:
			from = "patient"
		case m.Author != store.AuthorStaff:
			from = "bot"
		}
		out = append(out, chatMessage{ID: m.ID, From: from, Text: m.Body, At: m.CreatedAt})
	}
	return conv, out, nil
}

// contactRequest is POST /chat/v1/contact: the hand-off form.
type contactRequest struct {
	Session string `json:"session"`
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Consent bool   `json:"consent"`
	Lang    string `json:"lang"` // the language the consent was shown in
}

// contactResponse confirms it, with the number masked.
type contactResponse struct {
	Session string `json:"session"`
	Name    string `json:"name"`
	Phone   string `json:"phone"`
}

// postContact records the name and mobile number a patient leaves for
// staff, with their consent to be texted (the words shown, in their
// language, are stored with the time). Staff see them on the escalation,
// and their replies are then texted as well as shown in the chat.
func (c *Chat) postContact(w http.ResponseWriter, r *http.Request) {
	var req contactRequest
	if !c.decode(w, r, &req) {
		return
	}
	if !validSession(req.Session) {
		c.reject("bad_session")
		writeError(w, http.StatusBadRequest, `"session" is missing or not a session id this server issued`)
		return
	}
	if !c.o.AddressLimiter.Allow(c.clientAddr(r)) {
		c.reject("rate_limited")
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusTooManyRequests, "too many requests: please wait a minute and try again")
		return
	}
	name, problem := cleanName(req.Name)
	if problem == "" {
		var ok bool
		if req.Phone, ok = normalizePhone(req.Phone); !ok {
			problem = `"phone" is not a mobile number: write it like (561) 555-0142 or +1 561 555 0142`
		}
	}
	if problem == "" && !req.Consent {
		problem = `"consent" must be true: staff text you only if you agree`
	}
	if problem != "" {
		c.reject("bad_contact")
		writeError(w, http.StatusUnprocessableEntity, problem)
		return
	}
	conv, err := c.o.Store.Conversation(r.Context(), store.ChannelWeb, address(req.Session))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such session: send a message first")
		return
	}
	if err == nil {
		_, err = c.o.Store.SetChatContact(r.Context(), conv.ID, name, req.Phone, ConsentText(req.Lang, c.o.ClinicName))
	}
	if err != nil {
		c.o.Log.Error("chat: could not record contact", "err", err, "address", address(req.Session))
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "your details could not be saved right now: please try again in a moment")
		return
	}
	c.o.Log.Info("chat: contact left", "address", address(req.Session), "phone", req.Phone)
	if c.o.Service.Notify != nil {
		c.o.Service.Notify() // open staff pages show it
	}
	writeJSON(w, http.StatusOK, contactResponse{Session: req.Session, Name: name, Phone: phone.Mask(req.Phone)})
}

// ConsentText is the consent to be texted the widget shows next to its
// checkbox, in "en" or "es"; the words the patient agreed to are stored.
func ConsentText(lang, clinic string) string {
	if lang == "es" {
		return "Acepto que " + clinic + " me envíe mensajes de texto a este número sobre mi solicitud. Pueden aplicarse tarifas de mensajes y datos. Responda STOP para no recibir más."
	}
	return "I agree that " + clinic + " may text me at this number about my request. Message and data rates may apply. Reply STOP to opt out."
}

// decode reads a bounded JSON body into v. On failure it has written the
// response: 415 for another content type, 413 for a body over the bound,
// 400 for anything that is not one JSON object.
func (c *Chat) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		c.reject("bad_content_type")
		writeError(w, http.StatusUnsupportedMediaType, "send JSON with Content-Type: application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.reject("too_large")
			writeError(w, http.StatusRequestEntityTooLarge, "request body over 16 KiB")
			return false
		}
		c.reject("bad_json")
		writeError(w, http.StatusBadRequest, "request body is not a JSON object of the expected shape: "+err.Error())
		return false
	}
	return true
}

// cleanText trims a message and checks it, as the SMS webhook's messages
// are: not empty, not over maxTextChars, no control characters besides
// line breaks and tabs (removed). It returns the problem, if any.
func cleanText(s string) (string, string) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", `"text" is empty`
	case utf8.RuneCountInString(s) > maxTextChars:
		return "", `"text" is too long (at most 1600 characters)`
	}
	return s, ""
}

// cleanName trims a name and collapses its spaces; it must be 1 to
// maxNameChars printable characters.
func cleanName(s string) (string, string) {
	s = strings.Join(strings.Fields(s), " ")
	switch {
	case s == "":
		return "", `"name" is empty`
	case utf8.RuneCountInString(s) > maxNameChars:
		return "", `"name" is too long (at most 80 characters)`
	case strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return "", `"name" has characters that are not printable`
	}
	return s, ""
}

// normalizePhone turns what a patient types into E.164: "+" and digits as
// given, or a 10-digit US number (with or without a leading 1). Spaces,
// dashes, dots and parentheses are ignored; anything else is refused.
func normalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	plus := strings.HasPrefix(s, "+")
	if plus {
		s = s[1:]
	}
	var d strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	n := d.String()
	switch {
	case plus:
		n = "+" + n
	case len(n) == 10 && n[0] >= '2':
		n = "+1" + n
	case len(n) == 11 && n[0] == '1' && n[1] >= '2':
		n = "+" + n
	default:
		return "", false
	}
	return n, phone.IsE164(n)
}
