package faq

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // the clinic's time zone must resolve on minimal images
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/flsps/faqbot/internal/phone"
)

// Severity of a lint or load problem.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Problem is one finding, reported as "file:line: message".
type Problem struct {
	File     string
	Line     int
	Severity Severity
	Message  string
	// UnknownKey marks an error that lint reports but that does not stop
	// the FAQ from loading (a key this version does not know).
	UnknownKey bool
}

func (p Problem) String() string {
	if p.File == "" {
		return p.Message
	}
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Severity == Warning || p.Severity == Info {
		return loc + ": " + string(p.Severity) + ": " + p.Message
	}
	return loc + ": " + p.Message
}

// LoadError is a load that failed; it lists every fatal problem.
type LoadError struct{ Problems []Problem }

func (e *LoadError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Known keys, for lint's unknown-key check.
var (
	entryKeys  = set("id", "question", "alternates", "keywords", "answer", "es", "tags", "cues", "topics", "source")
	textKeys   = set("question", "alternates", "keywords", "answer")
	intentKeys = set("intent", "patterns", "self_harm", "blockers", "exceptions", "examples", "fallback_examples", "replies", "synonyms", "description")
	replyKeys  = set("en", "es", "en_after_hours", "es_after_hours", "en_self_harm", "es_self_harm")
	clinicKeys = set("name", "short_name", "time_zone", "phone", "hours", "staff")
	staffKeys  = set("name", "role", "phone", "email")
	dayKeySet  = set(dayKeys[:]...)
)

func set(ks ...string) map[string]bool {
	m := make(map[string]bool, len(ks))
	for _, k := range ks {
		m[k] = true
	}
	return m
}

// loader accumulates a Set and every problem found on the way.
type loader struct {
	set      *Set
	problems []Problem // all: errors and warnings, including unknown keys
	seen     map[string]*Entry
}

func (l *loader) add(file string, line int, sev Severity, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: file, Line: line, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

// Load reads a FAQ directory: every *.yaml, *.yml and *.json file at the top
// is an entry (or a list of entries), except clinic.yaml; files under
// intents/ describe the other intents and synonyms. Fatal problems (bad
// syntax, an entry without id or answer, duplicate ids) fail the load;
// everything else is in Set.Warnings.
func Load(dir string) (*Set, error) {
	l, err := load(dir)
	if err != nil {
		return nil, err
	}
	var fatal []Problem
	for _, p := range l.problems {
		if p.Severity == Error && !p.UnknownKey {
			fatal = append(fatal, p)
		} else if p.Severity == Warning {
			l.set.Warnings = append(l.set.Warnings, p)
		}
	}
	if len(fatal) > 0 {
		return nil, &LoadError{Problems: fatal}
	}
	return l.set, nil
}

func load(dir string) (*loader, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no FAQ directory at %s (set FAQBOT_FAQ_DIR or --faq)", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the FAQ directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("the FAQ directory %s is not a directory", dir)
	}
	l := &loader{
		set:  &Set{Dir: dir, Intents: map[string]*Intent{}, Synonyms: map[string]string{}},
		seen: map[string]*Entry{},
	}
	h := sha256.New()
	files, err := dataFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, rel := range files {
		path := filepath.Join(dir, rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read FAQ file: %w", err)
		}
		h.Write([]byte(rel))
		h.Write([]byte{0})
		h.Write(data)
		h.Write([]byte{0})
		if line, ok := firstNonUTF8Line(data); !ok {
			l.add(path, line, Error, "not UTF-8 text; save it as UTF-8")
			continue
		}
		docs, err := parseDocs(data)
		if err != nil {
			line, msg := yamlProblem(data, err)
			l.add(path, line, Error, "%s", msg)
			continue
		}
		base := filepath.Base(rel)
		switch {
		case strings.HasPrefix(filepath.ToSlash(rel), "intents/"):
			for _, d := range docs {
				l.intentDoc(path, d)
			}
		case strings.TrimSuffix(base, filepath.Ext(base)) == "clinic" && !strings.Contains(rel, string(filepath.Separator)):
			for _, d := range docs {
				l.clinicDoc(path, d)
			}
		default:
			for _, d := range docs {
				if d.Kind == yaml.SequenceNode {
					for _, item := range d.Content {
						l.entryDoc(path, item, false)
					}
				} else {
					l.entryDoc(path, d, len(docs) == 1)
				}
			}
		}
	}
	if l.set.Clinic == nil {
		l.set.Clinic = DefaultClinic()
	}
	l.set.Version = hex.EncodeToString(h.Sum(nil))[:12]
	return l, nil
}

// dataFiles lists the YAML/JSON files of dir (top level) and dir/intents,
// sorted, relative to dir.
func dataFiles(dir string) ([]string, error) {
	var out []string
	for _, sub := range []string{"", "intents"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			if sub != "" && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("cannot read the FAQ directory: %w", err)
		}
		for _, e := range ents {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".yaml", ".yml", ".json":
				out = append(out, filepath.Join(sub, e.Name()))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// parseDocs parses every YAML document of a file (JSON is YAML).
func parseDocs(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			if n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null" {
				continue
			}
			docs = append(docs, n.Content[0])
		}
	}
	return docs, nil
}

// firstNonUTF8Line is the 1-based line of data's first byte that is not
// UTF-8, and ok when there is none. A file with a UTF-16 byte order mark is
// left to the YAML parser, which reads UTF-16.
func firstNonUTF8Line(data []byte) (line int, ok bool) {
	if utf8.Valid(data) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return 0, true
	}
	for i, l := range bytes.Split(data, []byte("\n")) {
		if !utf8.Valid(l) {
			return i + 1, false
		}
	}
	return 1, false
}

// yamlProblem is the line and message for a YAML syntax error. The parser
// often names the line where the enclosing block starts (an unclosed quote
// on line 10 is reported at line 4, where the list begins), so the trouble
// line is found by parsing growing prefixes of the file: the line after the
// longest prefix that still parses, beyond which no prefix does. When that
// differs from the parser's line, the message names both.
func yamlProblem(data []byte, err error) (int, string) {
	reported, msg := yamlErrLine(err), cleanYAMLErr(err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 5000 {
		return reported, msg
	}
	trouble := 0
	for m := len(lines) - 1; m >= 0; m-- {
		if _, perr := parseDocs(bytes.Join(lines[:m], nil)); perr == nil {
			trouble = m + 1
			break
		}
	}
	if trouble == 0 || trouble > len(lines) || trouble == reported {
		return reported, msg
	}
	if reported == 0 {
		return trouble, msg
	}
	return trouble, fmt.Sprintf("%s (the YAML parser names line %d, where the enclosing block starts; often an unclosed quote or bracket)", msg, reported)
}

func yamlErrLine(err error) int {
	var line int
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i+5:], "%d", &line)
	}
	return line
}

func cleanYAMLErr(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	if i := strings.Index(msg, "line "); i == 0 {
		if j := strings.Index(msg, ": "); j > 0 {
			msg = msg[j+2:]
		}
	}
	return msg
}

// fields walks a mapping node: it reports unknown keys and returns the
// value nodes by key.
func (l *loader) fields(file string, n *yaml.Node, known map[string]bool, what string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		l.add(file, n.Line, Error, "%s must be a mapping", what)
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if known != nil && !known[k.Value] {
			l.add(file, k.Line, Error, "unknown key %q in %s", k.Value, what)
			l.problems[len(l.problems)-1].UnknownKey = true
			continue
		}
		if _, dup := out[k.Value]; dup {
			l.add(file, k.Line, Error, "key %q given twice in %s", k.Value, what)
		}
		out[k.Value] = v
	}
	return out
}

func (l *loader) str(file string, n *yaml.Node, key string) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		l.add(file, n.Line, Error, "%s must be text", key)
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (l *loader) strs(file string, n *yaml.Node, key string, lines map[string]int) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Value != "" && n.Tag != "!!null" {
		lines[key+".0"] = n.Line
		return []string{strings.TrimSpace(n.Value)}
	}
	if n.Kind != yaml.SequenceNode {
		if n.Tag != "!!null" {
			l.add(file, n.Line, Error, "%s must be a list", key)
		}
		return nil
	}
	var out []string
	for _, it := range n.Content {
		if it.Kind != yaml.ScalarNode {
			l.add(file, it.Line, Error, "%s: each item must be text", key)
			continue
		}
		v := strings.TrimSpace(it.Value)
		if v == "" {
			l.add(file, it.Line, Warning, "%s: empty item", key)
			continue
		}
		lines[fmt.Sprintf("%s.%d", key, len(out))] = it.Line
		out = append(out, v)
	}
	return out
}

func (l *loader) text(file string, f map[string]*yaml.Node, prefix string, lines map[string]int) Text {
	var t Text
	t.Question = l.str(file, f["question"], prefix+"question")
	t.Alternates = l.strs(file, f["alternates"], prefix+"alternates", lines)
	t.Keywords = l.strs(file, f["keywords"], prefix+"keywords", lines)
	t.Answer = l.str(file, f["answer"], prefix+"answer")
	for _, k := range []string{"question", "answer"} {
		if n := f[k]; n != nil {
			lines[prefix+k] = n.Line
		}
	}
	return t
}

// entryDoc reads one entry; alone says it is the file's only entry, whose
// file name should then be its id.
func (l *loader) entryDoc(file string, n *yaml.Node, alone bool) {
	f := l.fields(file, n, entryKeys, "entry")
	if n.Kind != yaml.MappingNode {
		return
	}
	e := &Entry{File: file, Line: n.Line, Lines: map[string]int{}}
	e.ID = l.str(file, f["id"], "id")
	if f["id"] != nil {
		e.Lines["id"] = f["id"].Line
	}
	e.Text = l.text(file, f, "", e.Lines)
	if es := f["es"]; es != nil {
		ef := l.fields(file, es, textKeys, "es")
		e.ES = l.text(file, ef, "es.", e.Lines)
	}
	e.Tags = l.strs(file, f["tags"], "tags", e.Lines)
	e.Cues = l.strs(file, f["cues"], "cues", e.Lines)
	e.Topics = l.strs(file, f["topics"], "topics", e.Lines)
	e.Source = l.str(file, f["source"], "source")

	switch {
	case e.ID == "":
		l.add(file, n.Line, Error, "entry has no id")
		return
	case !validID(e.ID):
		l.add(file, e.Lines["id"], Error, "id %q: use lower-case letters, digits and dashes", e.ID)
	}
	if prev, dup := l.seen[e.ID]; dup {
		l.add(file, e.Lines["id"], Error, "duplicate id %q (also %s:%d)", e.ID, prev.File, prev.Lines["id"])
		return
	}
	if e.Answer == "" {
		l.add(file, lineOr(e.Lines["answer"], n.Line), Error, "entry %q has an empty answer", e.ID)
	}
	if e.Question == "" && len(e.Alternates) == 0 {
		l.add(file, n.Line, Error, "entry %q has no question and no alternates", e.ID)
	}
	if e.ES.Answer == "" {
		l.add(file, n.Line, Warning, "entry %q has no Spanish answer (es.answer); Spanish speakers get English", e.ID)
	}
	if e.ES.Answer != "" && e.ES.Question == "" && len(e.ES.Alternates) == 0 {
		l.add(file, lineOr(e.Lines["es.answer"], n.Line), Warning, "entry %q has a Spanish answer but no Spanish question or alternates", e.ID)
	}
	if len(e.Alternates) == 0 {
		l.add(file, n.Line, Warning, "entry %q has no alternates: add other phrasings patients use", e.ID)
	}
	if base := filepath.Base(file); alone && strings.TrimSuffix(base, filepath.Ext(base)) != e.ID {
		l.add(file, e.Lines["id"], Warning, "the file name differs from the id %q: rename the file %s%s so maintainers find the entry", e.ID, e.ID, filepath.Ext(base))
	}
	l.seen[e.ID] = e
	l.set.Entries = append(l.set.Entries, e)
}

func lineOr(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

func validID(id string) bool {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return id != ""
}

func (l *loader) intentDoc(file string, n *yaml.Node) {
	f := l.fields(file, n, intentKeys, "intent file")
	if n.Kind != yaml.MappingNode {
		return
	}
	lines := map[string]int{}
	if syn := f["synonyms"]; syn != nil {
		l.synonyms(file, syn)
	}
	name := l.str(file, f["intent"], "intent")
	if name == "" {
		if f["synonyms"] == nil {
			l.add(file, n.Line, Error, "intent file has neither \"intent\" nor \"synonyms\"")
		}
		return
	}
	if !knownIntent[name] {
		l.add(file, f["intent"].Line, Error, "unknown intent %q (want one of booking, human, emergency, smalltalk, optout, optin, help, unknown)", name)
		return
	}
	it := l.set.Intents[name]
	if it == nil {
		it = &Intent{Name: name, File: file, Replies: map[string]string{}, Lines: lines}
		l.set.Intents[name] = it
	}
	it.Patterns = append(it.Patterns, l.strs(file, f["patterns"], "patterns", lines)...)
	it.SelfHarm = append(it.SelfHarm, l.strs(file, f["self_harm"], "self_harm", lines)...)
	it.Blockers = append(it.Blockers, l.strs(file, f["blockers"], "blockers", lines)...)
	it.Exceptions = append(it.Exceptions, l.strs(file, f["exceptions"], "exceptions", lines)...)
	it.Examples = append(it.Examples, l.strs(file, f["examples"], "examples", lines)...)
	it.FallbackExamples = append(it.FallbackExamples, l.strs(file, f["fallback_examples"], "fallback_examples", lines)...)
	if r := f["replies"]; r != nil {
		rf := l.fields(file, r, replyKeys, "replies")
		for k, v := range rf {
			it.Replies[k] = l.str(file, v, "replies."+k)
			lines["replies."+k] = v.Line
			if it.Replies[k] == "" {
				l.add(file, v.Line, Error, "intent %s: empty reply %s", name, k)
			}
		}
	}
}

var knownIntent = set("booking", "human", "emergency", "smalltalk", "optout", "optin", "help", "unknown")

func (l *loader) synonyms(file string, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		l.add(file, n.Line, Error, "synonyms must map a canonical word to its variants")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		canon := strings.TrimSpace(n.Content[i].Value)
		for _, v := range l.strs(file, n.Content[i+1], "synonyms."+canon, map[string]int{}) {
			if prev, ok := l.set.Synonyms[v]; ok && prev != canon {
				l.add(file, n.Content[i+1].Line, Warning, "synonym %q maps to both %q and %q", v, prev, canon)
			}
			l.set.Synonyms[v] = canon
		}
	}
}

func (l *loader) clinicDoc(file string, n *yaml.Node) {
	f := l.fields(file, n, clinicKeys, "clinic")
	c := &Clinic{}
	c.Name = l.str(file, f["name"], "name")
	c.Short = l.str(file, f["short_name"], "short_name")
	c.TimeZone = l.str(file, f["time_zone"], "time_zone")
	c.Phone = l.str(file, f["phone"], "phone")
	if c.Name == "" {
		c.Name = "the clinic"
	}
	c.loc = time.UTC
	if c.TimeZone != "" {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			l.add(file, f["time_zone"].Line, Error, "time_zone %q: %v", c.TimeZone, err)
		} else {
			c.loc = loc
		}
	}
	if h := f["hours"]; h != nil {
		hf := l.fields(file, h, dayKeySet, "hours")
		c.Hours = Hours{}
		for day, v := range hf {
			s := strings.ToLower(l.str(file, v, "hours."+day))
			if s == "closed" || s == "" {
				continue
			}
			if _, _, ok := parseSpan(s); !ok {
				l.add(file, v.Line, Error, "hours.%s: %q is not HH:MM-HH:MM or closed", day, s)
				continue
			}
			c.Hours[day] = s
		}
	}
	if s := f["staff"]; s != nil {
		if s.Kind != yaml.SequenceNode {
			l.add(file, s.Line, Error, "staff must be a list")
		} else {
			for _, item := range s.Content {
				sf := l.fields(file, item, staffKeys, "staff")
				st := Staff{
					Name:  l.str(file, sf["name"], "name"),
					Role:  l.str(file, sf["role"], "role"),
					Phone: l.str(file, sf["phone"], "phone"),
					Email: l.str(file, sf["email"], "email"),
				}
				if st.Phone != "" && !phone.IsE164(st.Phone) {
					l.add(file, sf["phone"].Line, Error, "staff phone %q is not E.164 (+15555550100)", st.Phone)
				}
				c.Staff = append(c.Staff, st)
			}
		}
	}
	l.set.Clinic = c
}

func sscanSpan(s string, h1, m1, h2, m2 *int) (int, error) {
	s = strings.ReplaceAll(s, " ", "")
	return fmt.Sscanf(s, "%d:%d-%d:%d", h1, m1, h2, m2)
}
