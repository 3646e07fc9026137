package bot

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/match"
	"github.com/flsps/faqbot/internal/nlu"
)

// Engine decides what a message is and what to answer, from a loaded FAQ
// set. It is pure (no I/O) and safe for concurrent use; build a new one to
// reload the FAQ.
//
// Order of decision, first match wins:
//  1. carrier keywords, the whole message (STOP, START, HELP...): built in;
//  2. emergency patterns, skipping negated ones ("i don't have trouble
//     breathing"), and self-harm patterns;
//  3. natural-language opt-in (before opt-out: "start texting me again,
//     i unsubscribed by accident"), opt-out, help, booking and human
//     patterns;
//  4. blockers (price, insurance, hours, other treatments...): unknown;
//  5. smalltalk (greeting/thanks/emoji with no question);
//  6. BM25 search over FAQ questions, alternates, keywords and intent
//     examples (search.go, re-readings in readings.go), answered only when
//     the best label is clear on coverage and on margin to the runner-up
//     (gate.go); otherwise the nearest intent example (fallback.go), then
//     the matcher learned from every phrasing (learned.go) when it is sure
//     enough; otherwise the message read once more with its words spelt
//     by ear sounded out (fallback.go), where only patterns and cues
//     decide; otherwise unknown.
type Engine struct {
	set     *faq.Set
	an      *nlu.Analyzer
	ix      *nlu.Index
	entries map[string]*faq.Entry
	// model is the matcher learned from every phrasing (see learned.go);
	// plain are the entries with neither cues nor topics.
	model *match.Model
	plain map[string]bool

	// The stages' patterns, indexed by the words that can start a match.
	emergency, selfHarm, optin, optout, help, booking, human, blockers *nlu.PatternSet
	smalltalk, exceptions                                              []nlu.Pattern
	// fallback decides, by the nearest example, what would be unknown.
	fallback *nlu.NgramClassifier
	// routeExceptions hide words from a routing intent's patterns: "i'm
	// scheduled for thursday" has an appointment, it does not ask for one;
	// "why did you start texting me" asks who is texting, it does not ask
	// to be texted.
	routeExceptions map[Intent][]nlu.Pattern
	// optinBlockers are signs that a message refuses texts (see
	// refusesTexts).
	optinBlockers *nlu.PatternSet
	// cues are the question-type patterns of each entry; topic maps a
	// topic word's stem to the entries it names.
	cues     []nlu.Pattern
	cueOwner []string // the entry of each cue
	cueIx    *nlu.PatternIndex
	topic    map[string][]string
	// hasTopics are the topic entries (migraine, tmj, pain-relief...).
	hasTopics map[string]bool

	// The same by entry number, for search's per-call scratch (no maps
	// per call): entryNum numbers the entries, entryLabel is each one's
	// label in ix (-1 when it has no phrasing), cueEntry and cueSlots the
	// entry and slot count of each cue, topicNum the entries of a topic
	// stem in topic's order, entryTopics hasTopics.
	entryNum    map[string]int32
	entryLabel  []int32
	entryTopics []bool
	cueEntry    []int32
	cueSlots    []int
	topicNum    map[string][]int32
	scratch     sync.Pool // *searchScratch
	// fill puts the clinic's names and phone into reply templates.
	fill *strings.Replacer
}

const intentPrefix = "@"

// maxMessageBytes bounds the text analysed, so cost stays bounded.
const maxMessageBytes = 4096

// correctable are the intents whose pattern words a typo may be corrected
// to (see NewEngine).
var correctable = map[string]bool{"emergency": true, "optin": true, "help": true, "booking": true, "human": true}

// NewEngine compiles a FAQ set. Patterns that do not compile are skipped
// (lint reports them).
func NewEngine(set *faq.Set) *Engine {
	if set == nil {
		set = &faq.Set{Clinic: faq.DefaultClinic(), Intents: map[string]*faq.Intent{}}
	}
	if set.Clinic == nil {
		set.Clinic = faq.DefaultClinic()
	}
	e := &Engine{set: set, an: nlu.NewAnalyzer(set.Synonyms), entries: map[string]*faq.Entry{}}
	cl := set.Clinic
	e.fill = strings.NewReplacer("{clinic}", cl.DisplayName(), "{short_name}", cl.ShortName(), "{phone}", cl.Phone)

	var vocab, known []string
	for _, en := range set.Entries {
		e.entries[en.ID] = en
		vocab = append(vocab, en.Cues...)
		vocab = append(vocab, en.Topics...)
		for _, t := range []faq.Text{en.Text, en.ES} {
			vocab = append(vocab, t.Question)
			vocab = append(vocab, t.Alternates...)
			vocab = append(vocab, t.Keywords...)
		}
	}
	for name, it := range set.Intents {
		// Typos are corrected towards FAQ words and the words of the
		// intents that ask for something (emergency, opt-in, help,
		// booking, a person: "strat texitng me agian", "any openigns
		// thursdy"), never towards a reason to refuse ("slimming" →
		// "swimming") or to opt out: blockers, smalltalk and opt-out
		// words are only kept as typed. Everyday words are never
		// corrected ("cancer" stays, it is not "cancel").
		if correctable[name] {
			vocab = append(vocab, it.Patterns...)
			vocab = append(vocab, it.SelfHarm...)
		} else {
			known = append(known, it.Patterns...)
		}
		known = append(known, it.Blockers...)
		known = append(known, it.Exceptions...)
		known = append(known, it.Examples...)
	}
	e.an.SetVocabulary(vocab, known)

	b := nlu.NewIndexBuilder()
	for _, en := range set.Entries {
		for _, t := range []faq.Text{en.Text, en.ES} {
			b.Add(en.ID, e.an.Terms(t.Question))
			for _, a := range t.Alternates {
				b.Add(en.ID, e.an.Terms(a))
			}
			for _, k := range t.Keywords {
				b.Add(en.ID, e.an.Terms(k))
			}
		}
	}
	for name, it := range set.Intents {
		for _, ex := range it.Examples {
			b.Add(intentPrefix+name, e.an.Terms(ex))
		}
	}
	e.ix = b.Build()
	e.model = e.train()

	compile := func(srcs []string) []nlu.Pattern {
		var out []nlu.Pattern
		for _, s := range srcs {
			if p, err := e.an.CompilePattern(s); err == nil {
				out = append(out, p)
			}
		}
		return out
	}
	if it := set.Intents["emergency"]; it != nil {
		e.emergency, e.selfHarm = nlu.NewPatternSet(compile(it.Patterns)), nlu.NewPatternSet(compile(it.SelfHarm))
	}
	e.routeExceptions = map[Intent][]nlu.Pattern{}
	if it := set.Intents["optin"]; it != nil {
		e.optin = nlu.NewPatternSet(compile(it.Patterns))
		e.routeExceptions[IntentOptIn] = compile(it.Exceptions)
		e.optinBlockers = nlu.NewPatternSet(compile(it.Blockers))
	}
	if it := set.Intents["optout"]; it != nil {
		e.optout = nlu.NewPatternSet(compile(it.Patterns))
		e.routeExceptions[IntentOptOut] = compile(it.Exceptions)
	}
	if it := set.Intents["help"]; it != nil {
		e.help = nlu.NewPatternSet(compile(it.Patterns))
	}
	if it := set.Intents["booking"]; it != nil {
		e.booking = nlu.NewPatternSet(compile(it.Patterns))
		e.routeExceptions[IntentBooking] = compile(it.Exceptions)
	}
	if it := set.Intents["human"]; it != nil {
		e.human = nlu.NewPatternSet(compile(it.Patterns))
	}
	if it := set.Intents["smalltalk"]; it != nil {
		e.smalltalk = compile(it.Patterns)
	}
	if it := set.Intents["unknown"]; it != nil {
		e.blockers = nlu.NewPatternSet(compile(it.Blockers))
		e.exceptions = compile(it.Exceptions)
	}
	e.fallback = newFallback(set)
	e.topic = map[string][]string{}
	e.hasTopics = map[string]bool{}
	e.plain = map[string]bool{}
	for _, en := range set.Entries {
		if len(en.Cues) == 0 && len(en.Topics) == 0 {
			e.plain[en.ID] = true
		}
		for _, p := range compile(en.Cues) {
			e.cues = append(e.cues, p)
			e.cueOwner = append(e.cueOwner, en.ID)
		}
		for _, w := range en.Topics {
			for _, t := range e.an.Terms(w) {
				if !slices.Contains(e.topic[t], en.ID) {
					e.topic[t] = append(e.topic[t], en.ID)
					e.hasTopics[en.ID] = true
				}
			}
		}
	}
	e.cueIx = nlu.NewPatternIndex(e.cues)
	e.numberEntries()
	return e
}

// numberEntries fills the by-number copies of the entries' cues and
// topics that search reads.
func (e *Engine) numberEntries() {
	e.entryNum = map[string]int32{}
	for _, en := range e.set.Entries {
		if _, ok := e.entryNum[en.ID]; !ok {
			e.entryNum[en.ID] = int32(len(e.entryLabel))
			e.entryLabel = append(e.entryLabel, e.ix.LabelIndex(en.ID))
			e.entryTopics = append(e.entryTopics, e.hasTopics[en.ID])
		}
	}
	for i, id := range e.cueOwner {
		e.cueEntry = append(e.cueEntry, e.entryNum[id])
		e.cueSlots = append(e.cueSlots, e.cues[i].Slots())
	}
	e.topicNum = make(map[string][]int32, len(e.topic))
	for t, ids := range e.topic {
		for _, id := range ids {
			e.topicNum[t] = append(e.topicNum[t], e.entryNum[id])
		}
	}
	n := len(e.entryLabel)
	e.scratch.New = func() any { return &searchScratch{mark: make([]uint8, n)} }
}

// PatternErrors lists the intent patterns that do not compile (for lint).
func PatternErrors(set *faq.Set) []faq.Problem {
	an := nlu.NewAnalyzer(set.Synonyms)
	var out []faq.Problem
	for _, it := range set.Intents {
		for key, list := range map[string][]string{"patterns": it.Patterns, "self_harm": it.SelfHarm, "blockers": it.Blockers, "exceptions": it.Exceptions} {
			for i, s := range list {
				if _, err := an.CompilePattern(s); err != nil {
					out = append(out, faq.Problem{File: it.File, Line: it.Lines[fmt.Sprintf("%s.%d", key, i)], Severity: faq.Error, Message: err.Error()})
				}
			}
		}
	}
	for _, en := range set.Entries {
		for i, s := range en.Cues {
			if _, err := an.CompilePattern(s); err != nil {
				out = append(out, faq.Problem{File: en.File, Line: en.Lines[fmt.Sprintf("cues.%d", i)], Severity: faq.Error, Message: err.Error()})
			}
		}
	}
	return out
}

// Set is the FAQ set the engine was built from.
func (e *Engine) Set() *faq.Set { return e.set }

// Clinic is the clinic the engine speaks for.
func (e *Engine) Clinic() *faq.Clinic { return e.set.Clinic }

// carrier keywords: the whole message, any case, punctuation ignored.
var carrier = map[string]Intent{
	"stop": IntentOptOut, "stopall": IntentOptOut, "unsubscribe": IntentOptOut, "cancel": IntentOptOut,
	"end": IntentOptOut, "quit": IntentOptOut, "revoke": IntentOptOut, "optout": IntentOptOut,
	"opt out": IntentOptOut, "stop all": IntentOptOut,
	"start": IntentOptIn, "unstop": IntentOptIn, "yes": IntentOptIn,
	"help": IntentHelp, "info": IntentHelp,
}

// CarrierKeyword returns the intent of a whole-message carrier keyword.
func CarrierKeyword(text string) (Intent, bool) { return carrierKeyword(nlu.Normalize(text)) }

// carrierKeyword is CarrierKeyword for a normalised message.
func carrierKeyword(t nlu.Text) (Intent, bool) {
	if len(t.Words) == 0 || len(t.Words) > 2 {
		return "", false
	}
	k := t.Words[0].W
	if len(t.Words) == 2 {
		k += " " + t.Words[1].W
	}
	in, ok := carrier[k]
	return in, ok
}

// courteousKeywords and courtesy make courteousKeyword: a stop or start
// keyword with nothing but courtesy around it ("stop it", "please stop
// now", "unsubscribe me thanks", "unstop please", "ok start") is as plain
// as the keyword alone. Not "cancel" or "end" ("cancel it" may be an
// appointment), nor "yes" ("yes please" answers anything).
var (
	courteousKeywords = map[string]Intent{"stop": IntentOptOut, "stopall": IntentOptOut, "unsubscribe": IntentOptOut,
		"quit": IntentOptOut, "optout": IntentOptOut, "start": IntentOptIn, "unstop": IntentOptIn}
	courtesy = map[string]bool{"please": true, "pls": true, "plz": true, "it": true, "now": true, "thanks": true,
		"thank": true, "you": true, "thx": true, "ty": true, "ok": true, "okay": true, "already": true, "asap": true,
		"immediately": true, "me": true, "this": true, "that": true, "all": true, "just": true, "seriously": true,
		"por": true, "favor": true, "ya": true, "gracias": true}
)

// courteousKeyword returns the intent of a message of one stop or start
// keyword and at most four courtesy words, and the rule that decided it.
func courteousKeyword(t nlu.Text) (Intent, bool, string) {
	if len(t.Words) < 2 || len(t.Words) > 5 {
		return "", false, ""
	}
	var in Intent
	for _, w := range t.Words {
		k, ok := courteousKeywords[w.W]
		switch {
		case ok && in == "":
			in = k
		case ok || !courtesy[w.W]:
			return "", false, "" // two keywords ("stop start"), or more than courtesy
		}
	}
	return in, in != "", "keyword with courtesy"
}

var questionWords = map[string]bool{
	"what": true, "how": true, "when": true, "where": true, "why": true, "who": true, "which": true,
	"can": true, "could": true, "does": true, "do": true, "is": true, "are": true, "will": true, "should": true,
	"would": true, "wondering": true, "que": true, "como": true, "cuando": true, "donde": true,
	"cuanto": true, "cuanta": true, "puedo": true, "puede": true, "pueden": true, "hacen": true, "sirve": true,
}

// Decide classifies one message and renders the reply.
func (e *Engine) Decide(text string, c Context) Decision { return e.decide(text, c, false) }

// decide is Decide; soundedOut marks soundOut's second reading of the
// message, which the fallbacks do not read.
func (e *Engine) decide(text string, c Context, soundedOut bool) Decision {
	// The message is normalised once: the carrier keywords, the lone "k"
	// and the analysis read the same words.
	t := nlu.Normalize(text)
	in, ok, rule := Intent(""), false, "keyword"
	if in, ok = carrierKeyword(t); !ok {
		in, ok, rule = courteousKeyword(t)
	}
	if ok {
		lang := c.Lang
		if lang != "es" {
			lang = "en"
		}
		return e.decision(in, "", 1, lang, c.AfterHours, false, rule)
	}
	if len(text) > maxMessageBytes {
		text = text[:maxMessageBytes] // web chat pastes; SMS are far shorter
		t = nlu.Normalize(text)
	}
	// A lone "k" is an acknowledgement ("ok"); inside a Spanish message
	// it is texting for "que", which the analyzer expands.
	if len(t.Words) == 1 && t.Words[0].W == "k" {
		lang := c.Lang
		if lang != "es" {
			lang = "en"
		}
		return e.decision(IntentSmalltalk, "", 0.8, lang, c.AfterHours, false, "acknowledgement")
	}
	an := e.an.AnalyzeText(t)
	lang := an.Lang
	if lang == "" {
		lang = c.Lang
	}
	if lang != "es" {
		lang = "en"
	}
	if len(an.Tokens) == 0 {
		// A bare "?" asks something we cannot tell: staff follow up.
		if strings.Contains(text, "?") || strings.Contains(text, "¿") {
			return e.decision(IntentUnknown, "", 0.9, lang, c.AfterHours, false, "bare question mark")
		}
		// Emoji, punctuation or nothing at all.
		return e.decision(IntentSmalltalk, "", 0.9, lang, c.AfterHours, false, "no words")
	}

	if d, ok := e.urgent(an.Tokens, lang, c); ok {
		return d
	}
	if d, ok := e.route(an.Tokens, lang, c); ok {
		return d
	}
	if d, ok := e.blocked(an.Tokens, lang, c); ok {
		return d
	}

	cr := e.readCues(an.Tokens)
	hit, conf := e.search(an.Tokens, cr)
	// A story before the question ("We saw your article. My mother has
	// migraines. Is it safe?"): the question sentences alone decide when
	// they are clear enough; the whole message otherwise.
	if q := an.Text.QSentences; len(q) > 0 && an.Tokens[len(an.Tokens)-1].Sentence > 0 {
		qt := mask(an.Tokens, func(t nlu.Token) bool { return !slices.Contains(q, t.Sentence) })
		if n := len(terms(qt)); n > 0 && n < len(an.Terms) {
			h2, c2 := e.search(qt, cr)
			// "I have had migraines for years. Could Botox help me?": a
			// help question naming no subject asks about the subject the
			// story names.
			keep := conf >= minConfidence && helpForm(qt) && !e.topical(terms(qt), h2.Label) && e.topical(terms(an.Tokens), hit.Label)
			// "I read about hormone replacement. What does it involve?": a
			// question that neither cues nor names its entry leans on the
			// story, which decides when it is clear.
			keep = keep || conf >= minConfidence && h2.Label != hit.Label && !e.cuedFor(qt, cr, h2.Label) && !e.topical(terms(qt), h2.Label)
			if !keep && (c2 >= minConfidence || c2 > conf) {
				hit, conf = h2, c2
			}
		}
	}
	// Words the patient denies ("no me falta el aire, solo quería saber
	// cuánto dura") or names as the baseline ("i thought it was only
	// cosmetic, do you use it for pain?") do not say what is asked: the
	// message without them decides when it is clear enough.
	for k, drop := range [][]bool{e.negatedWords(an.Tokens), e.baselineWords(an.Tokens)} {
		if drop == nil {
			continue
		}
		vt := maskAt(an.Tokens, drop)
		if len(terms(vt)) == 0 {
			continue
		}
		h2, c2 := e.search(vt, cr)
		// A comparison whose baseline is hidden ("does the pain kind work
		// the same way as the cosmetic kind") asks about the topic left,
		// when the whole message had an answer.
		if k == 1 && c2 < minConfidence && conf >= minConfidence && h2.Label != hit.Label && e.hasTopics[h2.Label] && e.topical(terms(vt), h2.Label) && compares(vt) {
			c2 = minConfidence
		}
		if c2 >= minConfidence && (c2 > conf || h2.Label != hit.Label) {
			hit, conf = h2, c2
		}
	}

	// The question alone: a message whose question has an entry's cue but
	// whose other words (a greeting, a sign-off with a name, a story, "on
	// a scale of 1-10", "i forgot") leave it below the bar is read as the
	// clause, then the sentence, that holds the cue.
	if conf < minConfidence {
		if h2, c2 := e.focus(cr); c2 >= minConfidence {
			hit, conf = h2, c2
		}
	}

	if e.isSmalltalk(an) && (conf < 0.8 || len(an.Tokens) <= 4 || thanks[an.Tokens[0].Raw] || thanksStory(an)) {
		return e.decision(IntentSmalltalk, "", 0.8, lang, c.AfterHours, false, "smalltalk")
	}

	bar, rule := minConfidence, "index"
	if c.LastFAQID != "" && followUp(an) {
		bar -= followUpRelax
		rule = "follow-up"
	}
	// A plain entry (no cues, no topics) is not answered on shared words:
	// the learned matcher decides for it.
	if e.plain[hit.Label] {
		conf = 0
	}
	// A second reading of words sounded out (soundOut) trusts only the
	// patterns and the cue index: the nearest example and the learned
	// matcher would answer on resemblance to a guessed word.
	if hit.Label == "" || conf < bar {
		if !soundedOut {
			if d, ok := e.nearestExample(text, an.Tokens, lang, c); ok {
				return d
			}
			// The learned matcher does not bring back a topic entry for a
			// message that asks something topics do not answer (how long,
			// which, where, the best...): the readings above turned it down.
			if id, lc, why, ok := e.learned(an.Tokens); ok && !(e.hasTopics[id] && topicAsksOther(an.Tokens)) {
				return e.decision(IntentFAQ, id, lc, lang, c.AfterHours, false, why)
			}
			if d, ok := e.soundOut(t, c); ok {
				return d
			}
		}
		d := e.decision(IntentUnknown, "", 1-conf, lang, c.AfterHours, false, "gate")
		if conf >= greyFloor {
			d.Candidates = candidates(hit, conf)
			d.Grey = len(d.Candidates) > 0
		}
		return d
	}
	if name, ok := strings.CutPrefix(hit.Label, intentPrefix); ok {
		return e.decision(Intent(name), "", conf, lang, c.AfterHours, false, rule)
	}
	return e.decision(IntentFAQ, hit.Label, conf, lang, c.AfterHours, false, rule)
}

// terms are the index terms of tokens: stems of content words.
func terms(toks []nlu.Token) []string {
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.Stem != "" && !nlu.IsStopword(t.Raw) && !nlu.IsStopword(t.Stem) {
			out = append(out, t.Stem)
		}
	}
	return out
}

// mask returns a copy of toks with the tokens for which drop is true
// hidden (empty raw and stem), so patterns and the index do not see them.
func mask(toks []nlu.Token, drop func(nlu.Token) bool) []nlu.Token {
	out := slices.Clone(toks)
	for k := range out {
		if drop(toks[k]) {
			out[k].Raw, out[k].Stem = "", ""
		}
	}
	return out
}

// maskAt is mask by position: the tokens whose drop entry is true are
// hidden.
func maskAt(toks []nlu.Token, drop []bool) []nlu.Token {
	i := 0
	return mask(toks, func(nlu.Token) bool { i++; return drop[i-1] })
}

// greetings are the words that, alone with a question mark, still greet.
var greetings = wordSet(`hi hello hey hola helo hello buenas oye`)

// thanks open a closing ("Thank you for the information, have a great
// day."): such a message without a question is smalltalk however many
// topic words it repeats.
// wishVerbs follow "que" in a Spanish good wish ("que tenga buen día",
// "que le vaya bien").
var wishVerbs = wordSet(`tenga tengan tengas pase pasen pases le les te este esten dios`)

var thanks = wordSet(`thanks thank thx ty appreciate gracias`)

// asksWords make a message without a question mark ask all the same
// ("just wondering if it helps", "tell me about", "quiero saber").
var asksWords = wordSet(`wondering wonder curious tell explain question questions ask asking saber pregunta preguntas duda dudas`)

// auxiliaries ask only when they open a clause ("can it help", not "i can
// finally chew again"; "is it safe", not "that is all").
var auxiliaries = wordSet(`can could does do is are will should would`)

// asks reports a message that asks something without a question mark: a
// question word (an English auxiliary only at the start of its clause; "que"
// not in a Spanish good wish) or a word of asking ("wondering", "tell me").
func asks(toks []nlu.Token) bool {
	for i, t := range toks {
		switch {
		case asksWords[t.Raw]:
			return true
		case auxiliaries[t.Raw]:
			if i == 0 || toks[i-1].Clause != t.Clause {
				return true
			}
		case t.Raw == "que" && i+1 < len(toks) && wishVerbs[toks[i+1].Raw]:
		case questionWords[t.Raw]:
			return true
		}
	}
	return false
}

// thanksStory reports a thank-you that tells how things went ("the jaw
// pain has eased a lot since my injections, thanks to all of you"): a
// thanks word, no question mark and nothing that asks. Such a message is
// smalltalk however long the story before it.
func thanksStory(an nlu.Analysis) bool {
	if an.Text.Question {
		return false
	}
	if asks(an.Tokens) {
		return false
	}
	for _, t := range an.Tokens {
		if thanks[t.Raw] {
			return true
		}
	}
	return false
}

func (e *Engine) isSmalltalk(an nlu.Analysis) bool {
	// "hello?" / "hola?": a lone greeting with a question mark checks
	// whether anyone is there; it asks nothing else.
	greetingOnly := len(an.Tokens) == 1 && greetings[an.Tokens[0].Raw]
	if an.Text.Question && !greetingOnly || !thanksStory(an) && (len(an.Tokens) > 14 || len(an.Tokens) > 8 && !thanks[an.Tokens[0].Raw]) {
		return false
	}
	if asks(an.Tokens) {
		return false
	}
	for i := range e.smalltalk {
		if e.smalltalk[i].Find(an.Tokens, false) >= 0 {
			return true
		}
	}
	return false
}

func (e *Engine) decision(in Intent, id string, conf float64, lang string, afterHours, selfHarm bool, rule string) Decision {
	d := Decision{Intent: in, FAQID: id, Confidence: math.Round(conf*100) / 100, Lang: lang, SelfHarm: selfHarm, Rule: rule}
	if in == IntentFAQ {
		d.Reply = e.entries[id].AnswerIn(lang)
	} else {
		variant := ""
		if afterHours {
			variant = "after_hours"
		}
		if selfHarm {
			variant = "self_harm"
		}
		d.Reply = e.render(in, lang, variant)
	}
	return d
}

// Reply renders the reply template of a non-FAQ intent in lang ("en" or
// "es"), in its after-hours wording when afterHours is set. Templates come
// from faq/intents; built-in wording is used when the FAQ has none.
func (e *Engine) Reply(in Intent, lang string, afterHours bool) string {
	variant := ""
	if afterHours {
		variant = "after_hours"
	}
	return e.render(in, lang, variant)
}

// SelfHarmReply is the emergency reply for self-harm (names 988).
func (e *Engine) SelfHarmReply(lang string) string {
	return e.render(IntentEmergency, lang, "self_harm")
}

// MediaOnly is the decision for a message with a picture and no text: the
// bot cannot read pictures, so staff will look at it.
func (e *Engine) MediaOnly(lang string, afterHours bool) Decision {
	if lang != "es" {
		lang = "en"
	}
	return e.decision(IntentUnknown, "", 0, lang, afterHours, false, "media")
}

func (e *Engine) render(in Intent, lang, variant string) string {
	r := e.set.Intents[string(in)].Reply(lang, variant)
	if r == "" {
		r = defaultReply(in, lang, variant)
	}
	return e.fill.Replace(r)
}

// defaultReply is the wording used when the FAQ directory has no intent
// files (another clinic's bare FAQ, a benchmark).
func defaultReply(in Intent, lang, variant string) string {
	es := lang == "es"
	switch in {
	case IntentEmergency:
		if variant == "self_harm" {
			if es {
				return "Si está en peligro, llame al 911. Para crisis de suicidio, llame o envíe un texto al 988. Nuestro personal clínico ha sido avisado."
			}
			return "If you are in danger, call 911. For a suicide or mental health crisis, call or text 988. Our clinical staff are being alerted now."
		}
		if es {
			return "Si es una emergencia, llame al 911 ahora. Nuestro personal clínico ha sido avisado."
		}
		return "If this is an emergency, call 911 now. Our clinical staff are being alerted and will contact you."
	case IntentOptOut:
		if es {
			return "Se ha dado de baja y no recibirá más mensajes. Responda START para volver."
		}
		return "You are unsubscribed and will get no more messages. Reply START to resubscribe."
	case IntentOptIn:
		if es {
			return "Se ha suscrito de nuevo. Responda STOP para darse de baja."
		}
		return "You are subscribed again. Reply STOP to opt out."
	case IntentHelp:
		if es {
			return "{clinic}: línea automática de preguntas. Responda STOP para darse de baja."
		}
		return "{clinic}: automated question line. Reply STOP to opt out."
	case IntentBooking, IntentHuman:
		if es {
			return "Gracias. Nuestro personal le enviará un mensaje para ayudarle."
		}
		return "Thanks! Our staff will text you back to help."
	case IntentSmalltalk:
		if es {
			return "¡Hola! Puedo responder preguntas frecuentes de {clinic}."
		}
		return "Hi! I can answer common questions about {clinic}."
	}
	if es {
		return "No tengo una respuesta segura para eso. Nuestro personal le responderá."
	}
	return "I don't have a confident answer to that. Our staff will follow up with you."
}

// LintAlternates is the lint check that runs every entry's question and
// alternates through the engine: one answered with another entry is an
// error; one not answered as an FAQ at all is a warning.
func LintAlternates(set *faq.Set) []faq.Problem {
	e := NewEngine(set)
	out := PatternErrors(set)
	for _, en := range set.Entries {
		check := func(key, text string) {
			if text == "" {
				return
			}
			d := e.Decide(text, Context{})
			line := en.Lines[key]
			if line == 0 {
				line = en.Line
			}
			switch {
			case d.Intent == IntentFAQ && d.FAQID != en.ID:
				out = append(out, faq.Problem{File: en.File, Line: line, Severity: faq.Error,
					Message: fmt.Sprintf("%s %q matches entry %q better than its own", key, text, d.FAQID)})
			case d.Intent != IntentFAQ:
				out = append(out, faq.Problem{File: en.File, Line: line, Severity: faq.Warning,
					Message: fmt.Sprintf("%s %q is answered as %s (%s), not by this entry", key, text, d.Intent, d.Rule)})
			}
		}
		for _, p := range []string{"", "es."} {
			t := en.Text
			if p != "" {
				t = en.ES
			}
			check(p+"question", t.Question)
			for i, a := range t.Alternates {
				check(fmt.Sprintf("%salternates.%d", p, i), a)
			}
		}
	}
	return out
}
