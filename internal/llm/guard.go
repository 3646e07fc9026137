package llm

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/nlu"
)

// This file is the fact-check guard: a pure, fast test of a rephrased reply
// against the curated answer it replaces. It never asks a model anything.

// Guard reasons: why a rephrased reply was refused. They are Prometheus
// label values and are stored with the reply.
const (
	ReasonEmpty      = "empty"
	ReasonTooLong    = "too_long"
	ReasonRefusal    = "refusal"
	ReasonEcho       = "echo"
	ReasonURL        = "url"
	ReasonPhone      = "phone"
	ReasonEmail      = "email"
	ReasonNumber     = "number"
	ReasonUnit       = "unit"
	ReasonDrug       = "drug"
	ReasonName       = "name"
	ReasonClaim      = "claim"
	ReasonLanguage   = "language"
	ReasonUnfaithful = "unfaithful"
)

// GuardInput is what a rephrased reply is checked against.
type GuardInput struct {
	Curated string // the curated answer: the only source of facts
	Lang    string // the patient's language, "en" or "es"
	Patient string // the patient's message (its words may not be parroted)
	Clinic  string // the clinic's name (may be named)
}

// Check reports why out may not be sent in place of the curated answer, or
// "" when every check passes: within the SMS budget, not a refusal or an
// echo of instructions, no URL, phone number, e-mail, number, unit, drug or
// product name that the curated answer does not have, no new medical claim,
// in the patient's language and mostly the curated answer's own words.
func Check(out string, in GuardInput) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return ReasonEmpty
	}
	lang := in.Lang
	if lang != "es" {
		lang = "en"
	}
	if faq.MeasureSMS(out).Segments > faq.SMSBudget(lang) {
		return ReasonTooLong
	}
	lo := fold(out)
	f := factsOf(in.Curated, in.Clinic)
	cur := f.text
	for _, p := range refusals {
		if strings.Contains(lo, p) && !strings.Contains(cur, p) {
			return ReasonRefusal
		}
	}
	for _, p := range echoes {
		if strings.Contains(lo, p) && !strings.Contains(cur, p) {
			return ReasonEcho
		}
	}
	ow, cw := words(lo), f.words
	if parrots(ow, words(fold(in.Patient)), f.joined) {
		return ReasonEcho
	}
	if l := nlu.DetectLang(nlu.Normalize(out)); l != "" && l != lang {
		return ReasonLanguage
	}
	hasAt := strings.IndexByte(lo, '@') >= 0
	for _, m := range emailRE.FindAllString(when(hasAt, lo), -1) {
		if !strings.Contains(cur, m) {
			return ReasonEmail
		}
	}
	for _, u := range urlRE.FindAllString(when(dotted(lo), lo), -1) {
		if hasAt && emailRE.MatchString(u) {
			continue // an e-mail address, checked above
		}
		if !strings.Contains(cur, strings.TrimRight(u, ".,;:!?)")) {
			return ReasonURL
		}
	}
	curDigits := f.digits
	phoneText := lo
	if len(digitsOnly(lo)) < 7 {
		phoneText = "" // no room for a phone number: skip the regexp
	}
	for _, m := range phoneRE.FindAllString(phoneText, -1) {
		if d := digitsOnly(m); len(d) >= 7 && !strings.Contains(curDigits, d) {
			return ReasonPhone
		}
	}
	cnums, cset := f.numbers, f.set
	for _, n := range numbers(ow) {
		if !contains(cnums, n) {
			return ReasonNumber
		}
	}
	for i, w := range ow {
		if u, ok := units[w]; ok && (!counted[u] || i > 0 && isNumber(ow[i-1])) && !hasUnit(cw, u) {
			return ReasonUnit
		}
		if drugs[w] && !cset[w] {
			return ReasonDrug
		}
		if c, ok := claims[w]; ok && !hasClaim(cw, c) {
			return ReasonClaim
		}
	}
	for _, p := range claimPhrases {
		if strings.Contains(lo, p) && !strings.Contains(cur, p) {
			return ReasonClaim
		}
	}
	if newName(out, cset, f.clinic) {
		return ReasonName
	}
	if unfaithful(ow, f.prefixes) {
		return ReasonUnfaithful
	}
	return ""
}

var (
	urlRE   = regexp.MustCompile(`(?:https?://|www\.)[^\s]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|net|gov|edu|io|co|us|info|health|care|ly|me|app)\b(?:/[^\s]*)?`)
	emailRE = regexp.MustCompile(`[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}`)
	phoneRE = regexp.MustCompile(`\+?\d[\d\s().-]{5,}\d`)
)

// refusals are what a model says when it declines or talks about itself.
var refusals = []string{
	"i can't help", "i cannot help", "i can't assist", "i cannot assist", "i'm unable", "i am unable", "i'm not able to",
	"as an ai", "language model", "i'm sorry, but", "i am sorry, but", "i cannot provide", "i can't provide",
	"no puedo ayudar", "no puedo proporcionar", "como modelo de lenguaje", "como una ia", "lo siento, pero",
}

// echoes are words of the prompt itself: a reply that has them is talking
// about its instructions instead of answering.
var echoes = []string{
	"curated", "approved answer", "instruction", "system prompt", "prompt", "the patient's message", "patient message",
	"<<<", ">>>", "respuesta aprobada", "instrucciones", "as instructed", "ignore previous", "ignore all",
}

// claimPhrases are medical promises no curated answer makes lightly.
var claimPhrases = []string{
	"side effect", "no side effects", "risk free", "risk-free", "100%", "completely safe", "totally safe", "safe for everyone",
	"works for everyone", "no pain", "pain free", "pain-free", "doesn't hurt", "does not hurt", "won't hurt", "will not hurt",
	"efectos secundarios", "sin riesgo", "totalmente seguro", "sin dolor", "no duele", "no le va a doler",
}

// claims maps a claim word to its family (so "cures" is fine when the
// curated answer says "cure").
var claims = func() map[string]string {
	m := map[string]string{}
	for fam, ws := range map[string]string{
		"guarantee": "guarantee guarantees guaranteed guaranteeing garantiza garantizado garantizamos garantia",
		"cure":      "cure cures cured curing curative cura curan curar",
		"permanent": "permanent permanently permanente permanentemente",
		"dose":      "dose doses dosage dosing dosis",
		"diagnose":  "diagnose diagnosed diagnosis diagnosing diagnostico diagnosticar",
		"prescribe": "prescribe prescribed prescription prescribes receta recetar",
		"proven":    "proven clinically comprobado",
		"eliminate": "eliminate eliminates eliminated elimina eliminar",
		"never":     "never nunca",
		"always":    "always siempre",
		"instantly": "instantly instant immediately inmediatamente",
		"fda":       "fda",
		"approved":  "approved aprobado",
		// Subjects the clinic's page leaves to staff: a rewrite that
		// brings one up states a fact the curated answer does not.
		"pregnancy": "pregnancy pregnant breastfeeding nursing embarazo embarazada embarazadas lactancia amamantando",
		"children":  "child children kid kids teen teens teenager teenagers minors pediatric nino ninos nina ninas menores adolescentes",
		"risk":      "risk risks risky complication complications riesgo riesgos complicacion complicaciones",
		"symptom":   "bruise bruises bruising swelling swollen redness infection infections allergic allergy allergies nausea droop drooping moreton moretones hinchazon alergia alergias infeccion",
		"price":     "free cost costs price prices priced pricing discount discounts insurance covered coverage copay dollars gratis precio precios costo costos descuento seguro",
	} {
		for _, w := range strings.Fields(ws) {
			m[w] = fam
		}
	}
	return m
}()

func hasClaim(cw []string, fam string) bool {
	for _, w := range cw {
		if claims[w] == fam {
			return true
		}
	}
	return false
}

// units maps a unit or duration word to its singular form.
var units = func() map[string]string {
	m := map[string]string{}
	for _, ws := range []string{
		"second seconds", "minute minutes min mins", "hour hours hr hrs", "day days", "week weeks wk wks",
		"month months", "year years yr yrs", "unit units", "mg milligram milligrams", "ml milliliter milliliters",
		"cc", "percent", "session sessions", "injection injections shot shots", "treatment treatments",
		"segundo segundos", "minuto minutos", "hora horas", "dia dias", "semana semanas", "mes meses",
		"ano anos", "unidad unidades", "sesion sesiones", "inyeccion inyecciones",
	} {
		f := strings.Fields(ws)
		for _, w := range f {
			m[w] = f[0]
		}
	}
	return m
}()

// counted are units that are also plain nouns ("after your injections"):
// they are checked only after a number ("3 injections").
var counted = map[string]bool{"injection": true, "treatment": true, "session": true, "inyeccion": true, "sesion": true}

func isNumber(w string) bool {
	_, ok := numberWords[w]
	return ok || isDigits(w)
}

// hasUnit reports whether the curated words name a unit of the same kind.
func hasUnit(cw []string, u string) bool {
	for _, w := range cw {
		if units[w] == u {
			return true
		}
	}
	return false
}

// drugs are medicines and products a model might add; any of them in a
// reply must be in the curated answer.
var drugs = set(strings.Fields(`botox dysport xeomin jeuveau daxxify myobloc onabotulinumtoxina botulinum toxin
ibuprofen advil motrin aleve naproxen tylenol acetaminophen paracetamol aspirin excedrin nsaid nsaids
imitrex sumatriptan triptan triptans rizatriptan maxalt aimovig ajovy emgality vyepti nurtec ubrelvy qulipta
topiramate topamax propranolol amitriptyline gabapentin lyrica pregabalin prednisone steroid steroids cortisone
opioid opioids oxycodone hydrocodone tramadol codeine morphine benadryl antihistamine arnica ice
filler fillers juvederm restylane hyaluronic kybella lidocaine numbing antibiotic antibiotics
estrogen testosterone progesterone hormone hormones pellets muscle relaxant cyclobenzaprine flexeril
ibuprofeno naproxeno paracetamol aspirina acetaminofen antibiotico antibioticos esteroides hormonas`))

// numberWords maps spelled numbers to digits so "three" and "3" are one.
var numberWords = map[string]string{
	"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
	"eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20",
	"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "dozen": "12", "half": "0.5", "once": "1",
	"twice": "2", "single": "1", "double": "2", "few": "few", "several": "several",
	"cero": "0", "uno": "1", "una": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6",
	"siete": "7", "ocho": "8", "nueve": "9", "diez": "10", "doce": "12", "quince": "15",
	"veinte": "20", "treinta": "30", "cien": "100", "medio": "0.5", "media": "0.5",
}

// numbers returns the numbers among words, as digits. "one"/"una" are
// also articles; they count only next to a unit ("one month").
func numbers(ws []string) []string {
	var out []string
	for i, w := range ws {
		if hasDigit(w) {
			// Every run of digits counts: "3", "2pm", "20min", "14th".
			for _, run := range strings.FieldsFunc(w, func(r rune) bool { return r < '0' || r > '9' }) {
				out = append(out, strings.TrimLeft(run, "0"))
			}
			continue
		}
		n, ok := numberWords[w]
		if !ok {
			continue
		}
		// "one", "una", "once" are also articles and adverbs ("one of
		// the", "once a day" = "a day"): one of anything is no new fact.
		// "half" counts only as a quantity ("half an hour", "media hora").
		if n == "1" || n == "0.5" && (i+1 >= len(ws) || units[ws[i+1]] == "" && ws[i+1] != "an" && ws[i+1] != "a") {
			continue
		}
		out = append(out, strings.TrimLeft(n, "0"))
	}
	return out
}

// newName reports a capitalised word inside a sentence (a name: a
// product, a drug, a place, a person) that is neither in the curated answer
// nor in the clinic's name.
func newName(out string, cur, clinic map[string]bool) bool {
	start := true
	for _, f := range strings.FieldsFunc(out, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '(' || r == ')' }) {
		w := strings.TrimRight(f, ".,;:!?")
		if w == "" {
			continue
		}
		r := []rune(w)
		if !start && unicode.IsUpper(r[0]) && len(r) > 1 && w != "I" && !strings.HasPrefix(w, "I'") && !strings.HasPrefix(w, "I’") {
			for _, p := range words(fold(w)) {
				if !cur[p] && !clinic[p] && p != "i" {
					return true
				}
			}
		}
		start = strings.ContainsAny(f[len(f)-1:], ".!?:") || strings.HasPrefix(f, "¿") || strings.HasPrefix(f, "¡")
	}
	return false
}

// parrots reports a reply that repeats six or more consecutive words of the
// patient's message that the curated answer does not have: an injected
// "say exactly: ..." obeyed.
func parrots(ow, pw []string, c string) bool {
	const n = 6
	if len(pw) < n {
		return false
	}
	o := " " + strings.Join(ow, " ") + " "
	for i := 0; i+n <= len(pw); i++ {
		g := " " + strings.Join(pw[i:i+n], " ") + " "
		if strings.Contains(o, g) && !strings.Contains(c, g) {
			return true
		}
	}
	return false
}

// unfaithful reports a reply most of whose content words are not the
// curated answer's: a rewrite that says something else. Word families
// are compared by their first five letters ("lasts", "lasting").
func unfaithful(ow []string, prefixes map[string]bool) bool {
	content, novel := 0, 0
	for _, w := range ow {
		if len(w) < 4 || nlu.IsStopword(w) || nlu.IsCommon(w) || isDigits(w) {
			continue
		}
		content++
		if !prefixes[prefix(w)] {
			novel++
		}
	}
	return novel >= 5 && novel*10 > content*6
}

func prefix(w string) string {
	if len(w) > 5 {
		return w[:5]
	}
	return w
}

// facts is what the guard needs of one curated answer, computed once per
// answer (the curated answers are a small fixed set).
type facts struct {
	text     string // folded
	words    []string
	joined   string // " w1 w2 … " for phrase lookups
	set      map[string]bool
	prefixes map[string]bool // each word's first five letters
	numbers  []string
	digits   string
	clinic   map[string]bool // the clinic's name's words
}

var (
	factsMu    sync.RWMutex
	factsCache = map[[2]string]*facts{}
)

// maxFacts bounds the cache; a reloaded FAQ adds a few answers at most.
const maxFacts = 4096

func factsOf(curated, clinic string) *facts {
	k := [2]string{curated, clinic}
	factsMu.RLock()
	f := factsCache[k]
	factsMu.RUnlock()
	if f != nil {
		return f
	}
	cur := fold(curated)
	cw := words(cur)
	f = &facts{text: cur, words: cw, joined: " " + strings.Join(cw, " ") + " ", set: set(cw),
		prefixes: map[string]bool{}, numbers: numbers(cw), digits: digitsOnly(cur), clinic: set(words(fold(clinic)))}
	for _, w := range cw {
		f.prefixes[prefix(w)] = true
	}
	factsMu.Lock()
	if len(factsCache) < maxFacts {
		factsCache[k] = f
	}
	factsMu.Unlock()
	return f
}

// fold lowercases s and strips Spanish accents, so "Días" and "dias" match.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return accents.Replace(strings.ToLower(s))
		}
	}
	return strings.ToLower(s)
}

var accents = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ü", "u", "ñ", "n",
	"’", "'", "‘", "'", "“", `"`, "”", `"`, "–", "-", "—", "-")

// words splits folded text into runs of letters and digits ("3.5" and
// "3-6" split into numbers; "%" is "percent"; apostrophes vanish: "don't"
// → "dont"). Words are slices of s unless they held an apostrophe.
func words(s string) []string {
	out := make([]string, 0, len(s)/5+1)
	start, apos := -1, false
	flush := func(end int) {
		if start >= 0 {
			w := s[start:end]
			if apos {
				w = strings.ReplaceAll(w, "'", "")
			}
			out = append(out, w)
		}
		start, apos = -1, false
	}
	for i, r := range s {
		switch {
		case r == '%':
			flush(i)
			out = append(out, "percent")
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if start < 0 {
				start = i
			}
		case r == '\'' && start >= 0:
			apos = true
		default:
			flush(i)
		}
	}
	flush(len(s))
	return out
}

// when returns s if ok and "" otherwise: it skips a regexp that a cheap
// test shows cannot match.
func when(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

// dotted reports a dot followed by a letter or digit ("example.com"), the
// least a URL needs.
func dotted(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && (s[i+1] >= 'a' && s[i+1] <= 'z' || s[i+1] >= '0' && s[i+1] <= '9') {
			return true
		}
	}
	return false
}

func set(ws []string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

func contains(a []string, s string) bool {
	for _, x := range a {
		if x == s {
			return true
		}
	}
	return false
}

func isDigits(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func hasDigit(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= '0' && w[i] <= '9' {
			return true
		}
	}
	return false
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
