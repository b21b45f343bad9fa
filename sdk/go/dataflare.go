// Package dataflare is the DataFlare Go guest SDK for dataflare-abi 1 (docs/abi.md,
// docs/sdk-go.md): write a Processor (or Source) over Arrow column views and builders, register
// it in an init function, and build with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared.
//
//	type Echo struct{}
//	func (*Echo) Init(cfg *dataflare.JSON) error { return nil }
//	func (*Echo) Process(in *dataflare.Batch, out *dataflare.Output) (dataflare.Status, error) {
//		out.PassAll(in)
//		return dataflare.OK, nil
//	}
//	func init() { dataflare.RegisterProcessor(&Echo{}) }
//	func main() {}
//
// and import the export glue for what the plugin is:
//
//	import _ "github.com/dataflare/dataflare-provider/sdk/go/export/process" // processors
//	import _ "github.com/dataflare/dataflare-provider/sdk/go/export/finish"  // + Finish (stateful)
//	import _ "github.com/dataflare/dataflare-provider/sdk/go/export/read"    // sources
//
// Concepts mirror the C SDK (sdk/c/dataflare.h): Init(config) / Process(batch, output) /
// optional Finish(output); Source: Init / Read(maxRows, output); JSON config; Batch and Column
// read-only views; Output and Builder (pass zero-copy, add, copy, take, error column); errors
// with status codes; logging and metrics; a per-call arena keeping everything handed to the host
// alive until the next call.
package dataflare

import (
	"errors"
	"fmt"
)

// ABIVersion is the dataflare-abi version this SDK speaks.
const ABIVersion = 1

// Status is what Process, Finish and Read return with a nil error.
type Status int32

const (
	OK       Status = 0 // output produced
	NoOutput Status = 1 // everything filtered / nothing to flush / end of stream
)

// Error status codes.
const (
	StatusError             int32 = -1 // plugin error
	StatusInvalidConfig     int32 = -2 // invalid config
	StatusUnsupportedSchema int32 = -3 // unsupported input schema
)

// Error is an error with its status code; the message goes to dataflare_last_error.
type Error struct {
	Status  int32
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with status code and a formatted message.
func Errorf(status int32, format string, args ...any) error {
	return &Error{status, fmt.Sprintf(format, args...)}
}

// ConfigError is Errorf(StatusInvalidConfig, ...).
func ConfigError(format string, args ...any) error {
	return Errorf(StatusInvalidConfig, format, args...)
}

// SchemaError is Errorf(StatusUnsupportedSchema, ...).
func SchemaError(format string, args ...any) error {
	return Errorf(StatusUnsupportedSchema, format, args...)
}

// PluginError is Errorf(StatusError, ...).
func PluginError(format string, args ...any) error {
	return Errorf(StatusError, format, args...)
}

// Processor is a processor (or sink) plugin.
type Processor interface {
	// Init is called once with the parsed config before any data.
	Init(config *JSON) error
	// Process turns one input batch into the output batch (NoOutput if everything is filtered).
	Process(in *Batch, out *Output) (Status, error)
}

// Finisher is a Processor with end-of-stream output (stateful plugins). Its Finish is exported
// only when the plugin imports the export/finish package.
type Finisher interface {
	Finish(out *Output) (Status, error)
}

// Source is a source plugin.
type Source interface {
	Init(config *JSON) error
	// Read produces the next batch of at most maxRows rows, or NoOutput at the end.
	Read(maxRows int, out *Output) (Status, error)
}

var (
	processor Processor
	source    Source
)

// RegisterProcessor makes p the plugin (call it from an init function).
func RegisterProcessor(p Processor) { processor = p }

// RegisterSource makes s the plugin (call it from an init function).
func RegisterSource(s Source) { source = s }

// Log levels of dataflare.log.
const (
	LevelTrace int32 = 0
	LevelDebug int32 = 1
	LevelInfo  int32 = 2
	LevelWarn  int32 = 3
	LevelError int32 = 4
)

// Log sends a message to the task log (the host prefixes the plugin name).
func Log(level int32, format string, args ...any) { logRaw(level, fmt.Sprintf(format, args...)) }

func LogTrace(format string, args ...any) { Log(LevelTrace, format, args...) }
func LogDebug(format string, args ...any) { Log(LevelDebug, format, args...) }
func LogInfo(format string, args ...any)  { Log(LevelInfo, format, args...) }
func LogWarn(format string, args ...any)  { Log(LevelWarn, format, args...) }
func LogError(format string, args ...any) { Log(LevelError, format, args...) }

// -- runtime: what the export glue calls ----------------------------------------------------------

var (
	lastError []byte
	// arena keeps everything handed to the host alive (and out of the GC's reach) until the
	// next call; reset at the start of each init/process/finish/read.
	arena []any
	// hostAllocs pins the memory dataflare_alloc hands out until dataflare_free.
	hostAllocs = map[uint32][]byte{}
)

func beginCall() {
	for i := range arena {
		arena[i] = nil
	}
	arena = arena[:0]
	lastError = lastError[:0]
}

// keep puts v in the per-call arena.
func keep(v any) { arena = append(arena, v) }

func fail(err error, what string) int32 {
	status := StatusError
	var e *Error
	if errors.As(err, &e) && e.Status < 0 {
		status = e.Status
	}
	msg := err.Error()
	if msg == "" {
		msg = fmt.Sprintf("%s returned status %d", what, status)
	}
	lastError = append(lastError[:0], msg...)
	return status
}

func finishOutput(st Status, err error, out *Output, os, oa uint32, what string) int32 {
	if err != nil {
		return fail(err, what)
	}
	if st == NoOutput {
		return int32(NoOutput)
	}
	if err := out.export(os, oa); err != nil {
		return fail(err, what)
	}
	return int32(OK)
}

// RunAlloc implements dataflare_alloc.
func RunAlloc(size, align uint32) uint32 {
	if size == 0 {
		size = 1
	}
	if align < 8 {
		align = 8
	}
	buf := make([]byte, size+align)
	a := (addr(ptrOf(buf)) + align - 1) &^ (align - 1)
	hostAllocs[a] = buf
	return a
}

// RunFree implements dataflare_free.
func RunFree(p, size, align uint32) { delete(hostAllocs, p) }

// RunLastError implements dataflare_last_error.
func RunLastError(out uint32) {
	slot := (*[2]uint32)(ptr(out))
	keep(lastError)
	if len(lastError) == 0 {
		slot[0], slot[1] = 0, 0
		return
	}
	slot[0] = addr(ptrOf(lastError))
	slot[1] = uint32(len(lastError))
}

// RunInit implements dataflare_init.
func RunInit(cfgPtr, cfgLen uint32) int32 {
	beginCall()
	text := []byte("{}")
	if cfgLen > 0 {
		text = append([]byte(nil), bytesAt(cfgPtr, int(cfgLen))...)
	}
	cfg, err := ParseJSON(text)
	if err != nil {
		return fail(ConfigError("invalid config JSON: %v", err), "dataflare_init")
	}
	switch {
	case processor != nil:
		err = processor.Init(cfg)
	case source != nil:
		err = source.Init(cfg)
	default:
		err = PluginError("no plugin registered: call dataflare.RegisterProcessor or RegisterSource in an init function")
	}
	if err != nil {
		return fail(err, "dataflare_init")
	}
	return 0
}

// RunProcess implements dataflare_process.
func RunProcess(is, ia, os, oa uint32) int32 {
	beginCall()
	if processor == nil {
		return fail(PluginError("no processor registered"), "dataflare_process")
	}
	in, err := importBatch(is, ia)
	if err != nil {
		return fail(err, "dataflare_process")
	}
	out := newOutput(in.NumRows)
	st, err := processor.Process(in, out)
	return finishOutput(st, err, out, os, oa, "dataflare_process")
}

// RunFinish implements dataflare_finish.
func RunFinish(os, oa uint32) int32 {
	beginCall()
	f, ok := processor.(Finisher)
	if !ok {
		return int32(NoOutput)
	}
	out := newOutput(0)
	st, err := f.Finish(out)
	return finishOutput(st, err, out, os, oa, "dataflare_finish")
}

// RunRead implements dataflare_read.
func RunRead(maxRows int32, os, oa uint32) int32 {
	beginCall()
	if source == nil {
		return fail(PluginError("no source registered"), "dataflare_read")
	}
	out := newOutput(0)
	st, err := source.Read(int(max(maxRows, 0)), out)
	return finishOutput(st, err, out, os, oa, "dataflare_read")
}
