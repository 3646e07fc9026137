package server_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/llmtest"
	"github.com/flsps/faqbot/internal/store"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// startLLM starts the server with the model at a local chat-completions
// server and a short call timeout.
func startLLM(t *testing.T, reply func(llmtest.Request) llmtest.Response) (*env, *llmtest.Server) {
	t.Helper()
	llm := llmtest.NewServer(t, reply)
	e := start(t, "", func(c *config.Config) {
		c.LLMBaseURL, c.LLMModel, c.LLMTimeout = llm.URL(), "test-model", 300*time.Millisecond
		c.LLMPhrasing, c.LLMAssist = "auto", "auto"
	})
	return e, llm
}

// botReplies returns the bot's stored replies to a number, oldest first.
func (e *env) botReplies(channel, address string) []store.Message {
	e.t.Helper()
	ctx := context.Background()
	conv, err := e.srv.Store().Conversation(ctx, channel, address)
	if err != nil {
		e.t.Fatal(err)
	}
	msgs, err := e.srv.Store().Messages(ctx, conv.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.Message
	for _, m := range msgs {
		if m.Author == store.AuthorBot {
			out = append(out, m)
		}
	}
	return out
}

const rewrite = "Botox usually lasts about 3 to 6 months, depending on the patient, and is repeated about every 3 to 6 months."

func TestPhrasedReplyIsSentAndRecorded(t *testing.T) {
	e, llm := startLLM(t, llmtest.Reply(rewrite))
	from := "+15615550142"
	code, reply := e.sms(from, "how long does botox last? text me at 561 555 0142")
	if code != 200 || reply != rewrite {
		t.Fatalf("%d %q, want the rewrite", code, reply)
	}
	// Neither the sender's number nor one typed into the message leaves.
	for _, r := range llm.Requests() {
		if strings.Contains(r.Body, "5550142") || strings.Contains(r.Body, "555 0142") || strings.Contains(r.Body, `"user":`) {
			t.Fatalf("request body carries the patient's number: %s", r.Body)
		}
	}
	m := e.botReplies(store.ChannelSMS, from)
	if len(m) != 1 || m[0].Body != rewrite || m[0].Phrasing != "llm" || !strings.Contains(m[0].Curated, "3 to 6 months") {
		t.Fatalf("stored reply = %+v", m)
	}
	if len(e.escalations()) != 0 {
		t.Fatal("an answered question must not escalate")
	}
}

func TestRefusedRewriteSendsTheCuratedAnswer(t *testing.T) {
	for _, bad := range []string{
		"Botox lasts 8 months.",
		"Botox lasts about 3 to 6 months. Take ibuprofen for any soreness.",
		"Botox lasts about 3 to 6 months, see https://botox.example.com",
		"Botox lasts about 3 to 6 months. Call 1-800-555-0199.",
	} {
		e, _ := startLLM(t, llmtest.Reply(bad))
		from := "+15615550143"
		_, reply := e.sms(from, "how long does botox last")
		if reply == bad || !strings.Contains(reply, "3 to 6 months") {
			t.Fatalf("model said %q; sent %q, want the curated answer", bad, reply)
		}
		m := e.botReplies(store.ChannelSMS, from)
		if len(m) != 1 || m[0].Phrasing != "curated" || m[0].LLMFallback == "" || m[0].Curated != "" {
			t.Fatalf("stored reply = %+v", m)
		}
	}
}

func TestFailingModelGivesTheCuratedAnswerInTime(t *testing.T) {
	for name, resp := range map[string]llmtest.Response{
		"slow":      {Content: rewrite, Delay: 10 * time.Second},
		"500":       {Status: 500},
		"malformed": {Raw: `{"choices": [`},
	} {
		t.Run(name, func(t *testing.T) {
			e, _ := startLLM(t, func(llmtest.Request) llmtest.Response { return resp })
			start := time.Now()
			code, reply := e.sms("+15615550144", "how long does botox last")
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("answered in %v; the call timeout is 300ms", took)
			}
			if code != 200 || !strings.Contains(reply, "3 to 6 months") || reply == rewrite {
				t.Fatalf("%d %q, want the curated answer", code, reply)
			}
			if n := testutil.ToFloat64(e.srv.Metrics().LLMFallbacks); n < 1 {
				t.Errorf("fallbacks counted: %v", n)
			}
		})
	}
}

func TestEmergencyAndOptedOutNeverReachTheModel(t *testing.T) {
	e, llm := startLLM(t, llmtest.Reply("Please take a deep breath, it lasts 3 to 6 months."))
	_, reply := e.sms("+15615550145", "right after the injections i cant breathe")
	if !strings.Contains(reply, "911") {
		t.Fatalf("%q", reply)
	}
	e.sms("+15615550146", "STOP")
	if _, reply := e.sms("+15615550146", "how long does botox last"); reply != "" {
		t.Fatalf("opted out, yet %q", reply)
	}
	e.sms("+15615550147", "i want to book an appointment for friday")
	if n := llm.Calls(); n != 0 {
		t.Fatalf("the model was called %d times", n)
	}
	if m := e.botReplies(store.ChannelSMS, "+15615550145"); len(m) != 1 || m[0].Phrasing != "curated" {
		t.Fatalf("emergency reply record = %+v", m)
	}
}

// greyMessage returns a message the engine leaves unknown in the grey band
// (close to an FAQ entry), with its candidates.
func greyMessage(t *testing.T, e *env) (string, []string) {
	t.Helper()
	for _, msg := range []string{
		"does botox help the worst migraines",
		"could the jaw injections make my bite feel weird at first",
		"is it ok to take my migraine pills the same day as my botox",
		"which headache pill works fastest",
	} {
		d := e.srv.Service().Engine().Decide(msg, bot.Context{})
		if d.Grey && d.Intent == bot.IntentUnknown {
			var ids []string
			for _, c := range d.Candidates {
				ids = append(ids, c.FAQID)
			}
			return msg, ids
		}
	}
	t.Fatal("none of the messages is in the engine's grey band any more; add one that is (ask --json shows \"grey\": true)")
	return "", nil
}

func TestAssistAnswersOnlyWithACandidate(t *testing.T) {
	var choice atomic.Value
	e, llm := startLLM(t, func(r llmtest.Request) llmtest.Response {
		if strings.Contains(r.System, "route") {
			return llmtest.Response{Content: choice.Load().(string)}
		}
		return llmtest.Response{Status: 503} // phrasing fails: the curated answer goes
	})
	msg, ids := greyMessage(t, e)

	// The model names an entry that is not a candidate: unknown, staff follow up.
	choice.Store(`{"id": "safety"}`)
	if slices.Contains(ids, "safety") {
		choice.Store(`{"id": "hormone-therapy"}`)
	}
	_, reply := e.sms("+15615550150", msg)
	if !strings.Contains(reply, "follow up") || len(e.escalations()) != 1 {
		t.Fatalf("a non-candidate choice was used: %q, %d escalations", reply, len(e.escalations()))
	}

	// The model picks a candidate: its curated answer goes, no escalation.
	choice.Store(`{"id": "` + ids[0] + `"}`)
	_, reply = e.sms("+15615550151", msg)
	want := e.srv.Service().Engine().Set().Entry(ids[0]).Answer
	if reply != want {
		t.Fatalf("assist chose %s: sent %q, want its curated answer", ids[0], reply)
	}
	if n := len(e.escalations()); n != 1 {
		t.Fatalf("%d escalations; the answered message must not add one", n)
	}
	m := e.botReplies(store.ChannelSMS, "+15615550151")
	if len(m) != 1 || m[0].Phrasing != "curated" || m[0].LLMFallback != "error" {
		t.Fatalf("stored reply = %+v", m)
	}
	if llm.Calls() != 3 { // assist, assist, phrasing
		t.Errorf("%d calls", llm.Calls())
	}
}
