package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/llm"
)

func init() {
	register("ask", "decide one message (or each line of stdin) and print the reply", runAsk)
}

func loadEngine(env *Env, dir string) (*bot.Engine, bool) {
	set, err := faq.Load(dir)
	if err != nil {
		var le *faq.LoadError
		if errors.As(err, &le) {
			fmt.Fprintf(env.Stderr, "faqbot: the FAQ in %s does not load:\n%v\n", dir, err)
		} else {
			fmt.Fprintf(env.Stderr, "faqbot: %v\n", err)
		}
		return nil, false
	}
	return bot.NewEngine(set), true
}

func runAsk(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "ask")
	cfg, err := config.Bind(fs, env.Getenv, "faq")
	asJSON := fs.Bool("json", false, "print one JSON object a message")
	last := fs.String("last", "", "the conversation's last FAQ id (follow-up context)")
	lang := fs.String("lang", "", "the conversation's language so far (en, es)")
	after := fs.Bool("after-hours", false, "use the after-hours wording")
	follow := fs.Bool("follow", false, "stdin mode: treat the lines as one conversation (carry the last FAQ id and language)")
	// The server's LLM settings (flags too), so phrasing can be tried here
	// first; with them --json adds "phrasing", "fallback" and "assist".
	llmCfg, llmErr := config.Bind(fs, env.Getenv, "llm-base-url", "llm-api-key", "llm-model", "llm-timeout", "llm-phrasing", "llm-assist")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: faqbot ask [--faq DIR] [--json] [--last ID] [--lang en|es] [--after-hours] [--follow] [TEXT]\nWith no TEXT, decides each line of standard input (--follow: as one conversation).")
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(env, fs, args)
	if !ok {
		return code
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot ask:", err)
		return 2
	}
	e, ok := loadEngine(env, cfg.FAQDir)
	if !ok {
		return 1
	}
	c := bot.Context{LastFAQID: *last, Lang: *lang, AfterHours: *after}
	if err := errors.Join(llmErr, llmCfg.CheckLLM()); err != nil {
		fmt.Fprintln(env.Stderr, "faqbot ask:", err)
		return 2
	}
	model := llm.FromSettings(llmCfg, slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelError})), nil)
	decide := func(text string, c bot.Context) bot.Decision {
		return bot.Refine(ctx, model, e, text, e.Decide(text, c))
	}
	out := bufio.NewWriter(env.Stdout)
	defer out.Flush()
	if len(pos) > 0 {
		printDecision(out, decide(strings.Join(pos, " "), c), *asJSON)
		return 0
	}
	sc := bufio.NewScanner(env.Stdin)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if ctx.Err() != nil {
			return 1
		}
		d := decide(sc.Text(), c)
		printDecision(out, d, *asJSON)
		out.Flush()
		if *follow {
			c = followContext(c, d)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(env.Stderr, "faqbot: read stdin: %v\n", err)
		return 1
	}
	return 0
}

func printDecision(w io.Writer, d bot.Decision, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(d)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	label := string(d.Intent)
	if d.FAQID != "" {
		label += ":" + d.FAQID
	}
	reply := strings.Join(strings.Fields(d.Reply), " ")
	fmt.Fprintf(w, "%s\t%.2f\t%s\t%s\n", label, d.Confidence, d.Lang, reply)
}
