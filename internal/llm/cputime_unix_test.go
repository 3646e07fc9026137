//go:build unix

package llm

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user + system), so a
// benchmark can report its cost on a machine busy with other work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
