package cli

import (
	"context"
	"path/filepath"

	"github.com/flsps/faqbot/internal/store"
)

// DBFile is the SQLite file's name inside the data directory.
const DBFile = "faqbot.db"

// openStore opens the store every command shares: SQLite in dataDir.
func openStore(ctx context.Context, dataDir string) (*store.SQL, error) {
	return store.OpenSQLite(ctx, filepath.Join(dataDir, DBFile))
}
