// Command faqbot is the clinic FAQ bot: one binary with subcommands (serve,
// ask, eval, lint, escalations, staff, token, purge).
package main

import (
	"os"

	"github.com/flsps/faqbot/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.OSEnv()))
}
