package staff_test

import (
	"testing"

	"github.com/flsps/faqbot/internal/browsertest"
)

func TestMain(m *testing.M) {
	browsertest.Main(m) // says so when the browser tests skip
}
