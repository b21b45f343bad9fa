//go:build wasip1

// Package process exports dataflare_process for the registered Processor:
//
//	import _ "github.com/dataflare/dataflare-provider/sdk/go/export/process"
package process

import dataflare "github.com/dataflare/dataflare-provider/sdk/go"

//go:wasmexport dataflare_process
func exportProcess(is, ia, os, oa uint32) int32 { return dataflare.RunProcess(is, ia, os, oa) }
