package faq

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// The JSON Schemas in faq/schema/ let editors complete keys and flag
// mistakes while typing; `faqbot lint` must apply the same rules. These
// tests keep the schemas and the loader's known keys in step, and check
// that both accept the repository's files and reject the same mistakes.

var schemaDir = filepath.Join("..", "..", "faq", "schema")

func readSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(schemaDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// at walks a decoded JSON document by keys.
func at(t *testing.T, m map[string]any, path ...string) map[string]any {
	t.Helper()
	cur := m
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("schema has no object at %s", strings.Join(path, "."))
		}
		cur = next
	}
	return cur
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func setKeys(s map[string]bool) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSchemaMatchesLoader(t *testing.T) {
	entry := readSchema(t, "entry.schema.json")
	intent := readSchema(t, "intent.schema.json")
	clinic := readSchema(t, "clinic.schema.json")
	var intents []string
	for _, v := range at(t, intent, "properties", "intent")["enum"].([]any) {
		intents = append(intents, v.(string))
	}
	sort.Strings(intents)
	for _, c := range []struct {
		name          string
		schema, known []string
	}{
		{"entry keys", keysOf(at(t, entry, "definitions", "entry", "properties")), setKeys(entryKeys)},
		{"es keys", keysOf(at(t, entry, "definitions", "entry", "properties", "es", "properties")), setKeys(textKeys)},
		{"intent keys", keysOf(at(t, intent, "properties")), setKeys(intentKeys)},
		{"intent names", intents, setKeys(knownIntent)},
		{"reply keys", keysOf(at(t, intent, "properties", "replies", "properties")), setKeys(replyKeys)},
		{"clinic keys", keysOf(at(t, clinic, "properties")), setKeys(clinicKeys)},
		{"hours keys", keysOf(at(t, clinic, "properties", "hours", "properties")), setKeys(dayKeySet)},
		{"staff keys", keysOf(at(t, clinic, "properties", "staff", "items", "properties")), setKeys(staffKeys)},
	} {
		if !slices.Equal(c.schema, c.known) {
			t.Errorf("%s: schema has %v, the loader knows %v", c.name, c.schema, c.known)
		}
	}
}

// schemaFor is the schema a FAQ file must name, relative to the file.
func schemaFor(rel string) string {
	switch {
	case strings.HasPrefix(filepath.ToSlash(rel), "intents/"):
		return "../schema/intent.schema.json"
	case rel == "clinic.yaml":
		return "./schema/clinic.schema.json"
	}
	return "./schema/entry.schema.json"
}

func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	out := map[string]*jsonschema.Schema{}
	for _, n := range []string{"entry", "intent", "clinic"} {
		abs, _ := filepath.Abs(filepath.Join(schemaDir, n+".schema.json"))
		s, err := c.Compile(abs)
		if err != nil {
			t.Fatalf("compile %s: %v", n, err)
		}
		out[n] = s
	}
	return out
}

// validateYAML checks a YAML document against a schema.
func validateYAML(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

func TestRepositoryFilesNameAndMatchTheirSchema(t *testing.T) {
	dir := filepath.Join("..", "..", "faq")
	files, err := dataFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	schemas := compileSchemas(t)
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		want := "# yaml-language-server: $schema=" + schemaFor(rel)
		if first, _, _ := strings.Cut(string(b), "\n"); first != want {
			t.Errorf("%s: first line is %q, want %q", rel, first, want)
		}
		name := strings.TrimSuffix(filepath.Base(schemaFor(rel)), ".schema.json")
		if err := validateYAML(t, schemas[name], b); err != nil {
			t.Errorf("%s does not match %s.schema.json: %v", rel, name, err)
		}
	}
}

// TestSchemaAndLintRejectTheSameMistakes: each broken file is an error for
// lint and invalid for the schema.
func TestSchemaAndLintRejectTheSameMistakes(t *testing.T) {
	schemas := compileSchemas(t)
	const good = "id: x\nquestion: q?\nalternates: [a]\nanswer: An answer.\n"
	for _, c := range []struct {
		name, schema, file, body string
	}{
		{"unknown key", "entry", "x.yaml", good + "anwser: typo\n"},
		{"bad id", "entry", "x.yaml", "id: Has Spaces\nquestion: q?\nalternates: [a]\nanswer: An answer.\n"},
		{"no answer", "entry", "x.yaml", "id: x\nquestion: q?\nalternates: [a]\n"},
		{"unknown es key", "entry", "x.yaml", good + "es:\n  respuesta: hola\n"},
		{"unknown intent", "intent", "intents/x.yaml", "intent: refill\npatterns: [refill]\n"},
		{"unknown reply key", "intent", "intents/x.yaml", "intent: booking\nreplies:\n  fr: Bonjour\n"},
		{"unknown clinic key", "clinic", "clinic.yaml", "name: C\nopening: 9\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "intents"), 0o755); err != nil {
				t.Fatal(err)
			}
			if c.file != "x.yaml" {
				if err := os.WriteFile(filepath.Join(dir, "ok.yaml"), []byte(strings.Replace(good, "id: x", "id: ok", 1)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			if validateYAML(t, schemas[c.schema], []byte(c.body)) == nil {
				t.Error("the schema accepts it")
			}
			lintErr := false
			for _, p := range Lint(dir) {
				if p.Severity == Error {
					lintErr = true
				}
			}
			if !lintErr {
				t.Error("lint accepts it")
			}
		})
	}
}
