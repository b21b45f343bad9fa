//go:build wasip1

package dataflare

// The exports every plugin has; dataflare_process, dataflare_finish and dataflare_read come from
// the export/process, export/finish and export/read packages, so a module exports exactly what
// the plugin implements (a module exporting dataflare_finish is stateful for the host).

//go:wasmexport dataflare_abi_version
func exportABIVersion() int32 { return ABIVersion }

//go:wasmexport dataflare_alloc
func exportAlloc(size, align uint32) uint32 { return RunAlloc(size, align) }

//go:wasmexport dataflare_free
func exportFree(p, size, align uint32) { RunFree(p, size, align) }

//go:wasmexport dataflare_init
func exportInit(cfg, n uint32) int32 { return RunInit(cfg, n) }

//go:wasmexport dataflare_last_error
func exportLastError(out uint32) { RunLastError(out) }
