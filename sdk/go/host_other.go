//go:build !wasip1

package dataflare

import (
	"fmt"
	"os"
)

// Native builds (go vet, unit tests of plugin logic): log to stderr, drop metrics.

func logRaw(level int32, msg string) { fmt.Fprintf(os.Stderr, "[%d] %s\n", level, msg) }

// CounterAdd adds value to the plugin counter name (merged into the run's metrics).
func CounterAdd(name string, value int64) {}

// HistogramRecord records value in the plugin histogram name.
func HistogramRecord(name string, value float64) {}
