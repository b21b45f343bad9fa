//go:build wasip1

// Package finish exports dataflare_finish for a registered Processor that implements
// dataflare.Finisher (a stateful plugin: the host runs it on one worker and does not resume it):
//
//	import _ "github.com/dataflare/dataflare-provider/sdk/go/export/finish"
package finish

import (
	dataflare "github.com/dataflare/dataflare-provider/sdk/go"
	_ "github.com/dataflare/dataflare-provider/sdk/go/export/process"
)

//go:wasmexport dataflare_finish
func exportFinish(os, oa uint32) int32 { return dataflare.RunFinish(os, oa) }
