//go:build unix

package main

import "syscall"

// settle writes back what the sections before left in the page cache: the
// issue section leaves tens of megabytes dirty, and the kernel writing them
// back fell on the fan-out's durable calls (p99 1.6–1.8× in a full run,
// 1.1–1.25× in a run of the fan-out alone).
func settle() { syscall.Sync() }
