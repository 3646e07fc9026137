package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/pgtest"
	"github.com/flsps/faqbot/internal/testclock"
)

// t0 is when every store test happens: the store's clock stands still there
// (see open), and exchanges are stamped with it. .ci/run moves it to 2001 and
// 2099 through FAQBOT_TEST_EPOCH, so a test that compares it with the wall
// clock fails on any day.
var t0 = testclock.Epoch()

func open(t testing.TB) (*SQL, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "faqbot.db")
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(testclock.New(t0).Now)
	t.Cleanup(func() { s.Close() })
	return s, path
}

// openPG opens a store in a fresh PostgreSQL schema (skips without
// FAQBOT_TEST_DATABASE_URL).
func openPG(t testing.TB) *SQL {
	t.Helper()
	s, err := OpenPostgres(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(testclock.New(t0).Now)
	t.Cleanup(func() { s.Close() })
	return s
}

// eachBackend runs test on SQLite and on PostgreSQL: the store suite is one
// suite for both engines.
func eachBackend(t *testing.T, test func(t *testing.T, s *SQL)) {
	t.Run("sqlite", func(t *testing.T) {
		s, _ := open(t)
		test(t, s)
	})
	t.Run("postgres", func(t *testing.T) { test(t, openPG(t)) })
}

func ptr[T any](v T) *T { return &v }

func bookingExchange(sid string) Exchange {
	return Exchange{
		Channel: ChannelSMS, Address: "+15551230001", ExternalID: sid,
		Body: "I'd like to book a Botox consult", Intent: "booking", Confidence: 0.91, Lang: "en",
		Reply: "Thanks! Our front desk will text you to book.", ReplyStatus: MsgSent,
		Escalate: &NewEscalation{Kind: KindBooking, Priority: PriorityNormal},
		Alerts: []OutboxItem{
			{Kind: OutboxSMS, Target: "+15559990001", Body: "New booking request #{escalation_id}"},
			{Kind: OutboxWebhook, Target: "https://hooks.example/x", Body: `{"text":"escalation {escalation_id}"}`},
		},
		At: t0,
	}
}

func count(t *testing.T, s *SQL, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(s.q(query), args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	if _, err := s.RecordExchange(ctx, bookingExchange("SM1")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for i := 0; i < 2; i++ {
		s2, err := OpenSQLite(ctx, path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		v, err := s2.SchemaVersion(ctx)
		if err != nil || v != len(migrations) {
			t.Fatalf("version = %d, %v; want %d", v, err, len(migrations))
		}
		if n := count(t, s2, `SELECT COUNT(*) FROM schema_version`); n != 1 {
			t.Fatalf("schema_version rows = %d", n)
		}
		if _, err := s2.Conversation(ctx, ChannelSMS, "+15551230001"); err != nil {
			t.Fatalf("data lost on reopen: %v", err)
		}
		var fk int
		if err := s2.w.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Fatalf("foreign_keys = %d, %v", fk, err)
		}
		var mode string
		if err := s2.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode = %q, %v", mode, err)
		}
		if err := s2.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		s2.Close()
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	if _, err := s.w.Exec(`UPDATE schema_version SET version = 999`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := OpenSQLite(ctx, path); err == nil {
		t.Fatal("opened a database from the future")
	}
}

func TestRecordExchangeHappyPath(t *testing.T) { eachBackend(t, testRecordExchangeHappyPath) }

func testRecordExchangeHappyPath(t *testing.T, s *SQL) {
	ctx := context.Background()
	res, err := s.RecordExchange(ctx, bookingExchange("SM100"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.Conversation == nil || res.Inbound == nil || res.Reply == nil || res.Escalation == nil {
		t.Fatalf("result = %+v", res)
	}
	c := res.Conversation
	if c.Channel != ChannelSMS || c.Address != "+15551230001" || c.Lang != "en" || !c.CreatedAt.Equal(t0) || c.CreatedAt.Location() != time.UTC {
		t.Fatalf("conversation = %+v", c)
	}
	got, err := s.Conversation(ctx, ChannelSMS, "+15551230001")
	if err != nil || got.ID != c.ID || got.Lang != "en" || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("Conversation = %+v, %v", got, err)
	}
	if _, err := s.ConversationByID(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConversationByID(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing conversation: %v", err)
	}
	if _, err := s.Conversation(ctx, ChannelWeb, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing conversation: %v", err)
	}

	msgs, err := s.Messages(ctx, c.ID)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("messages = %+v, %v", msgs, err)
	}
	in, out := msgs[0], msgs[1]
	if in.Direction != DirectionIn || in.Author != AuthorPatient || in.ExternalID != "SM100" || in.Status != MsgReceived ||
		in.Intent != "booking" || in.Confidence != 0.91 || !in.CreatedAt.Equal(t0) {
		t.Fatalf("inbound = %+v", in)
	}
	if out.Direction != DirectionOut || out.Author != AuthorBot || out.ReplyTo == nil || *out.ReplyTo != in.ID ||
		out.Status != MsgSent || out.ExternalID != "" {
		t.Fatalf("reply = %+v", out)
	}

	e, err := s.Escalation(ctx, res.Escalation.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != KindBooking || e.Priority != PriorityNormal || e.Status != EscOpen || *e.MessageID != in.ID ||
		e.Channel != ChannelSMS || e.Address != "+15551230001" || e.MessageBody != in.Body {
		t.Fatalf("escalation = %+v", e)
	}
	evs, err := s.Events(ctx, c.ID)
	if err != nil || len(evs) != 1 || evs[0].Kind != EventEscalated || *evs[0].EscalationID != e.ID {
		t.Fatalf("events = %+v, %v", evs, err)
	}

	items, err := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	if err != nil || len(items) != 2 {
		t.Fatalf("outbox = %+v, %v", items, err)
	}
	want := fmt.Sprintf("New booking request #%d", e.ID)
	if items[0].Body != want || *items[0].EscalationID != e.ID || items[0].Attempts != 1 || items[0].Status != OutboxSending ||
		!items[0].NextAttemptAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("alert = %+v", items[0])
	}
	if items[1].Body != fmt.Sprintf(`{"text":"escalation %d"}`, e.ID) {
		t.Fatalf("webhook alert = %+v", items[1])
	}

	recent, err := s.RecentMessages(ctx, c.ID, 1)
	if err != nil || len(recent) != 1 || recent[0].ID != out.ID {
		t.Fatalf("recent = %+v, %v", recent, err)
	}
	active, err := s.ActiveEscalation(ctx, c.ID)
	if err != nil || active.ID != e.ID {
		t.Fatalf("active = %+v, %v", active, err)
	}

	// A second message in the same conversation: no escalation, topic kept.
	res2, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: "+15551230001", ExternalID: "SM101",
		Body: "how long?", Intent: "faq", FAQID: "tmj", LastFAQID: "tmj", Reply: "About an hour.", At: t0.Add(time.Minute)})
	if err != nil || res2.Escalation != nil || res2.Conversation.ID != c.ID || res2.Conversation.LastFAQID != "tmj" ||
		res2.Conversation.Lang != "en" || !res2.Conversation.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("second exchange = %+v, %v", res2, err)
	}
	recent, _ = s.RecentMessages(ctx, c.ID, 3)
	if len(recent) != 3 || recent[2].Body != "About an hour." || recent[0].ID != out.ID {
		t.Fatalf("recent = %+v", recent)
	}
}

func TestRecordExchangeNoReplyNoEscalation(t *testing.T) {
	eachBackend(t, testRecordExchangeNoReplyNoEscalation)
}

func testRecordExchangeNoReplyNoEscalation(t *testing.T, s *SQL) {
	ctx := context.Background()
	res, err := s.RecordExchange(ctx, Exchange{Channel: ChannelWhatsApp, Address: "whatsapp:+15550001111",
		Body: "hi", At: t0})
	if err != nil || res.Reply != nil || res.Escalation != nil || res.Inbound.ExternalID != "" {
		t.Fatalf("%+v, %v", res, err)
	}
	// Messages without an ExternalID never collide.
	if _, err := s.RecordExchange(ctx, Exchange{Channel: ChannelWhatsApp, Address: "whatsapp:+15550001111", Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.Messages(ctx, res.Conversation.ID)
	if len(msgs) != 2 {
		t.Fatalf("messages = %d", len(msgs))
	}
}

func TestRecordExchangeDuplicate(t *testing.T) { eachBackend(t, testRecordExchangeDuplicate) }

func testRecordExchangeDuplicate(t *testing.T, s *SQL) {
	ctx := context.Background()
	first, err := s.RecordExchange(ctx, bookingExchange("SMdup"))
	if err != nil {
		t.Fatal(err)
	}
	ex := bookingExchange("SMdup")
	ex.Reply = "a different reply"
	ex.At = t0.Add(time.Hour)
	ex.OptOut = ptr(true)
	again, err := s.RecordExchange(ctx, ex)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.Reply == nil || again.Reply.Body != first.Reply.Body || again.Reply.ID != first.Reply.ID ||
		again.Inbound.ID != first.Inbound.ID || again.Escalation == nil || again.Escalation.ID != first.Escalation.ID ||
		again.Conversation.OptedOut || !again.Conversation.UpdatedAt.Equal(t0) {
		t.Fatalf("duplicate = %+v", again)
	}
	assertOneExchange(t, s)
}

func assertOneExchange(t *testing.T, s *SQL) {
	t.Helper()
	for q, want := range map[string]int{
		`SELECT COUNT(*) FROM messages WHERE direction = 'in'`:  1,
		`SELECT COUNT(*) FROM messages WHERE direction = 'out'`: 1,
		`SELECT COUNT(*) FROM escalations`:                      1,
		`SELECT COUNT(*) FROM outbox`:                           2,
		`SELECT COUNT(*) FROM events`:                           1,
		`SELECT COUNT(*) FROM conversations`:                    1,
	} {
		if n := count(t, s, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}

func TestRecordExchangeDuplicateConcurrent(t *testing.T) {
	eachBackend(t, testRecordExchangeDuplicateConcurrent)
}

func testRecordExchangeDuplicateConcurrent(t *testing.T, s *SQL) {
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	results := make([]ExchangeResult, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.RecordExchange(ctx, bookingExchange("SMrace"))
		}()
	}
	close(start)
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !results[i].Duplicate {
			fresh++
		}
		if results[i].Reply == nil || results[i].Reply.ID != results[0].Reply.ID ||
			results[i].Reply.Body != "Thanks! Our front desk will text you to book." ||
			results[i].Escalation == nil || results[i].Escalation.ID != results[0].Escalation.ID {
			t.Fatalf("caller %d got %+v", i, results[i])
		}
	}
	if fresh != 1 {
		t.Fatalf("%d callers recorded the exchange, want 1", fresh)
	}
	assertOneExchange(t, s)
}

func TestOptOutOptIn(t *testing.T) { eachBackend(t, testOptOutOptIn) }

func testOptOutOptIn(t *testing.T, s *SQL) {
	ctx := context.Background()
	addr := "+15551230002"
	res, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: addr, ExternalID: "SMa", Body: "STOP",
		Intent: "optout", OptOut: ptr(true), Reply: "You are unsubscribed.", At: t0})
	if err != nil || !res.Conversation.OptedOut || res.Conversation.OptedOutAt == nil || !res.Conversation.OptedOutAt.Equal(t0) {
		t.Fatalf("%+v, %v", res.Conversation, err)
	}
	c, _ := s.Conversation(ctx, ChannelSMS, addr)
	if !c.OptedOut || !c.OptedOutAt.Equal(t0) {
		t.Fatalf("stored = %+v", c)
	}
	// Opting out again changes nothing and adds no event.
	if _, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: addr, ExternalID: "SMb", Body: "stop",
		OptOut: ptr(true), Reply: "x", ReplyStatus: MsgSuppressed, At: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Conversation(ctx, ChannelSMS, addr)
	if !c.OptedOutAt.Equal(t0) {
		t.Fatalf("opted_out_at moved: %v", c.OptedOutAt)
	}
	if _, err := s.QueueOutbound(ctx, c.ID, AuthorBot, "hello?"); !errors.Is(err, ErrOptedOut) {
		t.Fatalf("QueueOutbound to opted-out: %v", err)
	}
	res, err = s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: addr, ExternalID: "SMc", Body: "START",
		OptOut: ptr(false), Reply: "Welcome back.", At: t0.Add(2 * time.Minute)})
	if err != nil || res.Conversation.OptedOut || res.Conversation.OptedOutAt != nil {
		t.Fatalf("%+v, %v", res.Conversation, err)
	}
	c, _ = s.Conversation(ctx, ChannelSMS, addr)
	if c.OptedOut || c.OptedOutAt != nil {
		t.Fatalf("stored = %+v", c)
	}
	evs, _ := s.Events(ctx, c.ID)
	if len(evs) != 2 || evs[0].Kind != EventOptedOut || evs[1].Kind != EventOptedIn {
		t.Fatalf("events = %+v", evs)
	}
	msgs, _ := s.Messages(ctx, c.ID)
	if msgs[3].Status != MsgSuppressed {
		t.Fatalf("suppressed reply = %+v", msgs[3])
	}
	if _, err := s.QueueOutbound(ctx, c.ID, AuthorBot, "hello again"); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateMessageStatusOutOfOrder(t *testing.T) {
	eachBackend(t, testUpdateMessageStatusOutOfOrder)
}

func testUpdateMessageStatusOutOfOrder(t *testing.T, s *SQL) {
	ctx := context.Background()
	res, _ := s.RecordExchange(ctx, bookingExchange("SMin"))
	m, err := s.QueueOutbound(ctx, res.Conversation.ID, AuthorBot, "reminder")
	if err != nil || m.Status != MsgQueued {
		t.Fatalf("%+v, %v", m, err)
	}
	items, _ := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	var item *OutboxItem
	for i := range items {
		if items[i].MessageID != nil && *items[i].MessageID == m.ID {
			item = &items[i]
		}
	}
	if item == nil || item.Target != "+15551230001" || item.Kind != OutboxSMS {
		t.Fatalf("items = %+v", items)
	}
	// "delivered" arrives before we even record the send: unknown SID.
	if err := s.UpdateMessageStatus(ctx, "SMout", MsgDelivered, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown SID: %v", err)
	}
	if err := s.OutboxSent(ctx, item.ID, "SMout"); err != nil {
		t.Fatal(err)
	}
	status := func() string {
		got, err := s.Message(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ExternalID != "SMout" {
			t.Fatalf("external id = %q", got.ExternalID)
		}
		return got.Status
	}
	if st := status(); st != MsgSent {
		t.Fatalf("after send: %s", st)
	}
	for _, step := range []struct{ in, want string }{
		{MsgDelivered, MsgDelivered},
		{MsgSent, MsgDelivered},   // late "sent"
		{MsgQueued, MsgDelivered}, // late "queued"
		{"sending", MsgDelivered},
		{"read", "read"},
	} {
		if err := s.UpdateMessageStatus(ctx, "SMout", step.in, ""); err != nil {
			t.Fatal(err)
		}
		if st := status(); st != step.want {
			t.Fatalf("after %s: %s, want %s", step.in, st, step.want)
		}
	}
	// Failure with an error code.
	m2, _ := s.QueueOutbound(ctx, res.Conversation.ID, AuthorBot, "second")
	items, _ = s.ClaimOutbox(ctx, t0, 10, time.Minute)
	if len(items) != 1 {
		t.Fatalf("items = %+v", items)
	}
	s.OutboxSent(ctx, items[0].ID, "SMout2")
	s.UpdateMessageStatus(ctx, "SMout2", MsgUndelivered, "30003")
	s.UpdateMessageStatus(ctx, "SMout2", MsgSent, "")
	got, _ := s.Message(ctx, m2.ID)
	if got.Status != MsgUndelivered || got.ErrorCode != "30003" {
		t.Fatalf("got %+v", got)
	}
	// A known inbound SID is not an error, and is not changed.
	if err := s.UpdateMessageStatus(ctx, "SMin", MsgDelivered, ""); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.Message(ctx, res.Inbound.ID); in.Status != MsgReceived {
		t.Fatalf("inbound status = %s", in.Status)
	}
}

func TestOutboxLeaseSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	if _, err := s.RecordExchange(ctx, bookingExchange("SMo")); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Second)
	items, err := s.ClaimOutbox(ctx, now, 1, time.Minute)
	if err != nil || len(items) != 1 || items[0].Attempts != 1 {
		t.Fatalf("%+v, %v", items, err)
	}
	id := items[0].ID
	// Leased: another claim does not get it.
	more, _ := s.ClaimOutbox(ctx, now, 10, time.Minute)
	if len(more) != 1 || more[0].ID == id {
		t.Fatalf("second claim = %+v", more)
	}
	// Crash: the process dies before finishing; restart.
	s.Close()
	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(testclock.New(now).Now)
	defer s.Close()
	if got, _ := s.ClaimOutbox(ctx, now.Add(30*time.Second), 10, time.Minute); len(got) != 0 {
		t.Fatalf("claimed before lease expiry: %+v", got)
	}
	got, err := s.ClaimOutbox(ctx, now.Add(61*time.Second), 10, time.Minute)
	if err != nil || len(got) != 2 || got[0].ID != id || got[0].Attempts != 2 {
		t.Fatalf("after lease: %+v, %v", got, err)
	}
	if p, f, _ := s.OutboxStats(ctx); p != 2 || f != 0 {
		t.Fatalf("stats = %d, %d", p, f)
	}
	if err := s.OutboxSent(ctx, got[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	// Retry: back to pending, due later.
	if err := s.OutboxRetry(ctx, id, "503 from Twilio", now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	o, _ := s.OutboxItem(ctx, id)
	if o.Status != OutboxPending || o.LastError != "503 from Twilio" || !o.NextAttemptAt.Equal(now.Add(5*time.Minute)) {
		t.Fatalf("after retry: %+v", o)
	}
	if got, _ := s.ClaimOutbox(ctx, now.Add(4*time.Minute), 10, time.Minute); len(got) != 0 {
		t.Fatalf("claimed before retry time: %+v", got)
	}
	got, _ = s.ClaimOutbox(ctx, now.Add(5*time.Minute), 10, time.Minute)
	if len(got) != 1 || got[0].Attempts != 3 {
		t.Fatalf("retry claim = %+v", got)
	}
	if err := s.OutboxSent(ctx, id, "SMalert"); err != nil {
		t.Fatal(err)
	}
	o, _ = s.OutboxItem(ctx, id)
	if o.Status != OutboxSentSt || o.ExternalID != "SMalert" || o.LastError != "" {
		t.Fatalf("after sent: %+v", o)
	}
	conv, _ := s.Conversation(ctx, ChannelSMS, "+15551230001")
	evs, _ := s.Events(ctx, conv.ID)
	if len(evs) != 3 || evs[1].Kind != EventAlertSent || evs[1].Body != "webhook" || evs[2].Body != "sms to …0001" {
		t.Fatalf("events = %+v", evs)
	}
	if err := s.OutboxSent(ctx, 9999, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing item: %v", err)
	}
}

func TestOutboxPermanentFailure(t *testing.T) { eachBackend(t, testOutboxPermanentFailure) }

func testOutboxPermanentFailure(t *testing.T, s *SQL) {
	ctx := context.Background()
	res, _ := s.RecordExchange(ctx, bookingExchange("SMf"))
	m, err := s.QueueStaffReply(ctx, res.Escalation.ID, 0, "api:crm", "We can see you Tuesday at 3.")
	if err != nil {
		t.Fatal(err)
	}
	items, _ := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	if len(items) != 3 {
		t.Fatalf("items = %d", len(items))
	}
	for _, it := range items {
		if err := s.OutboxFailed(ctx, it.ID, "21610: recipient unsubscribed"); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Message(ctx, m.ID)
	if got.Status != MsgFailed || got.ErrorCode != "21610: recipient unsubscribed" {
		t.Fatalf("message = %+v", got)
	}
	if p, f, _ := s.OutboxStats(ctx); p != 0 || f != 3 {
		t.Fatalf("stats = %d, %d", p, f)
	}
	evs, _ := s.Events(ctx, res.Conversation.ID)
	failed := 0
	for _, e := range evs {
		if e.Kind == EventAlertFailed {
			failed++
		}
	}
	if failed != 2 { // the two alerts; the staff reply shows as a failed message
		t.Fatalf("events = %+v", evs)
	}
	if again, _ := s.ClaimOutbox(ctx, t0.Add(time.Hour), 10, time.Minute); len(again) != 0 {
		t.Fatalf("failed items claimed again: %+v", again)
	}
}

func TestDollarRebind(t *testing.T) {
	if got := dollarRebind(`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`); got != `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)` {
		t.Fatal(got)
	}
}

func TestReplyRecordsItsPhrasing(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	res, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: "+15551230009", ExternalID: "SM900",
		Body: "how long does it last", Intent: "faq", FAQID: "botox-duration", At: t0,
		Reply: "It lasts about 3 to 6 months.", ReplyPhrasing: "llm", ReplyCurated: "Botox usually lasts about 3 to 6 months."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: "+15551230009", ExternalID: "SM901",
		Body: "and after?", Intent: "faq", FAQID: "aftercare", At: t0.Add(time.Minute),
		Reply: "Avoid lying flat for 4 to 6 hours.", ReplyPhrasing: "curated", ReplyFallback: "number"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Messages(ctx, res.Conversation.ID)
	if err != nil || len(msgs) != 4 {
		t.Fatalf("messages = %d, %v", len(msgs), err)
	}
	if m := msgs[1]; m.Phrasing != "llm" || m.Curated != "Botox usually lasts about 3 to 6 months." || m.LLMFallback != "" {
		t.Errorf("phrased reply = %+v", m)
	}
	if m := msgs[3]; m.Phrasing != "curated" || m.LLMFallback != "number" || m.Curated != "" {
		t.Errorf("fallen-back reply = %+v", m)
	}
	if m := msgs[0]; m.Phrasing != "" {
		t.Errorf("the patient's message has no phrasing: %+v", m)
	}
	// A retry returns the stored reply with its record.
	dup, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: "+15551230009", ExternalID: "SM900", Body: "how long does it last", At: t0})
	if err != nil || !dup.Duplicate || dup.Reply == nil || dup.Reply.Phrasing != "llm" {
		t.Fatalf("duplicate = %+v, %v", dup, err)
	}
}
