//go:build wasip1

package dataflare

import "unsafe"

//go:wasmimport dataflare log
func hostLog(level int32, msg unsafe.Pointer, n int32)

//go:wasmimport dataflare counter_add
func hostCounterAdd(name unsafe.Pointer, n int32, value int64)

//go:wasmimport dataflare histogram_record
func hostHistogramRecord(name unsafe.Pointer, n int32, value float64)

func strPtr(s string) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.StringData(s))
}

func logRaw(level int32, msg string) { hostLog(level, strPtr(msg), int32(len(msg))) }

// CounterAdd adds value to the plugin counter name (merged into the run's metrics).
func CounterAdd(name string, value int64) { hostCounterAdd(strPtr(name), int32(len(name)), value) }

// HistogramRecord records value in the plugin histogram name.
func HistogramRecord(name string, value float64) {
	hostHistogramRecord(strPtr(name), int32(len(name)), value)
}
