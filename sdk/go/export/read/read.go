//go:build wasip1

// Package read exports dataflare_read for the registered Source:
//
//	import _ "github.com/dataflare/dataflare-provider/sdk/go/export/read"
package read

import dataflare "github.com/dataflare/dataflare-provider/sdk/go"

//go:wasmexport dataflare_read
func exportRead(maxRows int32, os, oa uint32) int32 { return dataflare.RunRead(maxRows, os, oa) }
