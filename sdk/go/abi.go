package dataflare

import "unsafe"

// The Arrow C Data Interface structs of dataflare-abi 1 as they lie in wasm32 linear memory:
// pointers are 32-bit guest addresses (docs/abi.md §1). Go's own pointers are 64-bit on
// GOARCH=wasm, so these structs spell the addresses as uint32.

// ArrowSchema is the C Data Interface schema struct (48 bytes).
type ArrowSchema struct {
	Format, Name, Metadata, pad uint32
	Flags, NChildren            int64
	Children, Dictionary        uint32
	Release, PrivateData        uint32
}

// ArrowArray is the C Data Interface array struct (64 bytes).
type ArrowArray struct {
	Length, NullCount, Offset, NBuffers, NChildren int64
	Buffers, Children, Dictionary                  uint32
	Release, PrivateData, pad                      uint32
}

const flagNullable = 2

var _ [48]byte = [unsafe.Sizeof(ArrowSchema{})]byte{}
var _ [64]byte = [unsafe.Sizeof(ArrowArray{})]byte{}

// addr is the guest address of p.
func addr(p unsafe.Pointer) uint32 { return uint32(uintptr(p)) }

// ptr is a Go pointer to guest address a.
func ptr(a uint32) unsafe.Pointer { return unsafe.Add(nil, uintptr(a)) }

// cstr reads the NUL-terminated string at guest address a ("" for 0).
func cstr(a uint32) string {
	if a == 0 {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(ptr(a), n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(ptr(a)), n))
}
