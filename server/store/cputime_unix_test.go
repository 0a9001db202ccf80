//go:build unix

package store

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used: unlike
// the time on the clock, it hardly moves with what else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
