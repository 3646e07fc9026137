package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/testclock"
)

func TestStaffCRUD(t *testing.T) { eachBackend(t, testStaffCRUD) }

func testStaffCRUD(t *testing.T, s *SQL) {
	ctx := context.Background()
	u, err := s.CreateStaff(ctx, " Ana@Clinic.example ", "Ana", "$argon2id$x", true)
	if err != nil || u.ID == 0 || u.Email != "ana@clinic.example" || !u.Admin || u.Disabled {
		t.Fatalf("%+v, %v", u, err)
	}
	if _, err := s.CreateStaff(ctx, "ANA@clinic.example", "Other", "h", false); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate email: %v", err)
	}
	b, _ := s.CreateStaff(ctx, "ben@clinic.example", "Ben", "h2", false)
	got, err := s.StaffByEmail(ctx, "ANA@CLINIC.EXAMPLE")
	if err != nil || got.ID != u.ID || got.PasswordHash != "$argon2id$x" {
		t.Fatalf("%+v, %v", got, err)
	}
	if _, err := s.StaffByEmail(ctx, "nobody@x"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := s.StaffByID(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := s.SetStaffPassword(ctx, b.ID, "new"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.StaffByID(ctx, b.ID); got.PasswordHash != "new" {
		t.Fatalf("password = %q", got.PasswordHash)
	}
	if err := s.SetStaffPassword(ctx, 999, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	list, err := s.ListStaff(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "Ana" || list[1].Name != "Ben" {
		t.Fatalf("%+v, %v", list, err)
	}
	j, _ := json.Marshal(list[0])
	if strings.Contains(string(j), "argon2") {
		t.Fatalf("password hash marshalled: %s", j)
	}

	// Sessions.
	raw := "random-token"
	exp := t0.Add(12 * time.Hour)
	ss, err := s.CreateSession(ctx, HashToken(raw), b.ID, "csrf1", exp)
	if err != nil || ss.UserID != b.ID || !ss.ExpiresAt.Equal(exp) {
		t.Fatalf("%+v, %v", ss, err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM sessions WHERE token_hash = ?`, raw); n != 0 {
		t.Fatal("raw token stored")
	}
	got2, user, err := s.SessionByHash(ctx, HashToken(raw))
	if err != nil || got2.ID != ss.ID || got2.CSRFToken != "csrf1" || user.ID != b.ID || user.Email != "ben@clinic.example" {
		t.Fatalf("%+v %+v %v", got2, user, err)
	}
	if _, _, err := s.SessionByHash(ctx, HashToken("wrong")); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, ss.ID, t0.Add(time.Hour), t0.Add(13*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got2, _, _ = s.SessionByHash(ctx, HashToken(raw))
	if !got2.LastSeenAt.Equal(t0.Add(time.Hour)) || !got2.ExpiresAt.Equal(t0.Add(13*time.Hour)) {
		t.Fatalf("touched = %+v", got2)
	}
	if err := s.TouchSession(ctx, 999, t0, t0); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	s2, _ := s.CreateSession(ctx, HashToken("t2"), b.ID, "c", exp)
	s3, _ := s.CreateSession(ctx, HashToken("t3"), u.ID, "c", t0)
	if err := s.DeleteSession(ctx, s2.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByHash(ctx, HashToken("t2")); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, t0.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("expired: %d, %v", n, err)
	}
	if _, _, err := s.SessionByHash(ctx, HashToken("t3")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired session %d kept: %v", s3.ID, err)
	}
	// Disabling signs the user out.
	if err := s.SetStaffDisabled(ctx, b.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByHash(ctx, HashToken(raw)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("disabled user's session kept: %v", err)
	}
	if got, _ := s.StaffByID(ctx, b.ID); !got.Disabled {
		t.Fatal("not disabled")
	}
	s.SetStaffDisabled(ctx, b.ID, false)
	s.CreateSession(ctx, HashToken("t4"), b.ID, "c", exp)
	if err := s.DeleteSessionsForUser(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM sessions`); n != 0 {
		t.Fatalf("sessions left: %d", n)
	}
}

func TestAPITokensAndAudit(t *testing.T) { eachBackend(t, testAPITokensAndAudit) }

func testAPITokensAndAudit(t *testing.T, s *SQL) {
	ctx := context.Background()
	tok, err := s.CreateAPIToken(ctx, "crm", HashToken("secret"))
	if err != nil || tok.LastUsedAt != nil {
		t.Fatalf("%+v, %v", tok, err)
	}
	if _, err := s.CreateAPIToken(ctx, "crm", HashToken("other")); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate name: %v", err)
	}
	got, err := s.APITokenByHash(ctx, HashToken("secret"))
	if err != nil || got.ID != tok.ID || got.Name != "crm" {
		t.Fatalf("%+v, %v", got, err)
	}
	if err := s.TouchAPIToken(ctx, tok.ID, t0); err != nil {
		t.Fatal(err)
	}
	s.CreateAPIToken(ctx, "alerts", HashToken("s2"))
	list, _ := s.ListAPITokens(ctx)
	if len(list) != 2 || list[0].Name != "alerts" || list[1].LastUsedAt == nil || !list[1].LastUsedAt.Equal(t0) {
		t.Fatalf("%+v", list)
	}
	if err := s.DeleteAPIToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAPIToken(ctx, tok.ID); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := s.APITokenByHash(ctx, HashToken("secret")); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if h := HashToken("abc"); h != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashToken = %s", h)
	}

	for i := range 3 {
		if err := s.Audit(ctx, AuditEntry{ActorID: ptr(int64(1)), ActorName: "Ana", Action: "claim",
			EscalationID: ptr(int64(i + 1)), Detail: fmt.Sprint(i), RemoteAddr: "10.0.0.1", CreatedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	s.SetClock(testclock.New(t0.Add(time.Minute)).Now) // an entry without CreatedAt is stamped "now", the newest
	s.Audit(ctx, AuditEntry{ActorName: "?", Action: "login_failed"})
	log, err := s.AuditLog(ctx, 2)
	if err != nil || len(log) != 2 || log[0].Action != "login_failed" || log[0].ActorID != nil || log[1].Detail != "2" ||
		*log[1].EscalationID != 3 || !log[1].CreatedAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("%+v, %v", log, err)
	}
}

// benchBackends runs a benchmark on SQLite and, with
// FAQBOT_TEST_DATABASE_URL, on PostgreSQL.
func benchBackends(b *testing.B, bench func(b *testing.B, s *SQL)) {
	b.Run("sqlite", func(b *testing.B) {
		s, _ := open(b)
		bench(b, s)
	})
	b.Run("postgres", func(b *testing.B) { bench(b, openPG(b)) })
}

func BenchmarkRecordExchange(b *testing.B) { benchBackends(b, benchRecordExchange) }

func benchRecordExchange(b *testing.B, s *SQL) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		ex := Exchange{Channel: ChannelSMS, Address: fmt.Sprintf("+1555%07d", i%500), ExternalID: fmt.Sprintf("SM%032d", i),
			Body: "how long does botox last?", Intent: "faq", FAQID: "botox-duration", Confidence: 0.9, Lang: "en",
			LastFAQID: "botox-duration", Reply: "About 3 to 6 months.", ReplyStatus: MsgSent}
		if i%10 == 0 {
			ex.Escalate = &NewEscalation{Kind: KindBooking, Priority: PriorityNormal}
			ex.Alerts = []OutboxItem{{Kind: OutboxSMS, Target: "+15559990001", Body: "escalation {escalation_id}"}}
		}
		if _, err := s.RecordExchange(ctx, ex); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordExchangeParallel stores exchanges from 16 goroutines per
// CPU, as a burst of webhooks does (SQLite commits them in groups).
func BenchmarkRecordExchangeParallel(b *testing.B) { benchBackends(b, benchRecordExchangeParallel) }

func benchRecordExchangeParallel(b *testing.B, s *SQL) {
	benchExchangesParallel(b, s, func(i int64) Exchange {
		return Exchange{Channel: ChannelSMS, Address: fmt.Sprintf("+1555%07d", i%500), ExternalID: fmt.Sprintf("SM%032d", i),
			Body: "how long does botox last?", Intent: "faq", Reply: "About 3 to 6 months."}
	})
}

// BenchmarkRecordExchangeMix is BenchmarkRecordExchangeParallel with what a
// busy line brings: each patient texts four times, a message a millisecond
// (so every exchange records new activity), topics and language change, and
// every third message escalates with a staff alert (joining its
// conversation's open escalation when there is one).
func BenchmarkRecordExchangeMix(b *testing.B) { benchBackends(b, benchRecordExchangeMix) }

func benchRecordExchangeMix(b *testing.B, s *SQL) {
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	benchExchangesParallel(b, s, func(i int64) Exchange {
		ex := Exchange{Channel: ChannelSMS, Address: fmt.Sprintf("+1556%07d", i/4), ExternalID: fmt.Sprintf("SM%032d", i),
			Body: "how long does botox last?", Intent: "faq", Reply: "About 3 to 6 months.",
			At: base.Add(time.Duration(i) * time.Millisecond), Lang: []string{"en", "es"}[i%2], LastFAQID: fmt.Sprint("faq-", i%3)}
		if i%3 == 0 {
			ex.Escalate = &NewEscalation{Kind: KindBooking, Priority: PriorityNormal}
			ex.Alerts = []OutboxItem{{Kind: OutboxSMS, Target: "+15559990001", Body: "escalation {escalation_id}"}}
		}
		return ex
	})
}

// benchExchangesParallel stores exchange(1), exchange(2)... from 16
// goroutines per CPU.
func benchExchangesParallel(b *testing.B, s *SQL, exchange func(i int64) Exchange) {
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(16)
	var n atomicCounter
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.RecordExchange(ctx, exchange(n.next())); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

type atomicCounter struct{ v atomic.Int64 }

func (c *atomicCounter) next() int64 { return c.v.Add(1) }
