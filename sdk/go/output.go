package dataflare

import (
	"fmt"
	"unsafe"
)

// ErrorColumn is the per-record error column: rows where it is non-null go to the dead-letter
// output.
const ErrorColumn = "_dataflare_error"

// Selection holds row indices into the input (a "selection vector"), e.g. the rows a filter
// keeps.
type Selection struct{ Indices []uint32 }

// NewSelection is an empty selection with room for capacity rows.
func NewSelection(capacity int) *Selection {
	return &Selection{Indices: make([]uint32, 0, capacity)}
}

// Push appends row.
func (s *Selection) Push(row int) { s.Indices = append(s.Indices, uint32(row)) }

// Len is the number of rows selected.
func (s *Selection) Len() int { return len(s.Indices) }

type builderKind int

const (
	kindPass    builderKind = iota // an input column, zero-copy
	kindFixed                      // every row exists (fixed width, or a complete copy)
	kindAppend                     // var width: values are appended
	kindNull                       // all-null column
	kindInvalid                    // misuse: the call fails with err
)

// alloc8 is n zeroed bytes, 8-byte aligned.
func alloc8(n int) []byte {
	if n == 0 {
		n = 1
	}
	w := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w))), n)
}

func bitmapBytes(bits int) int { return (bits + 7) / 8 }

func setBit(bits []byte, i int, v bool) {
	if v {
		bits[i>>3] |= 1 << (i & 7)
	} else {
		bits[i>>3] &^= 1 << (i & 7)
	}
}

// copyBits copies n bits from guest address src (from bit srcOff) into dst (from bit dstOff,
// bits zero): whole bytes at a time when dstOff is byte aligned.
func copyBits(dst []byte, dstOff int, src uint32, srcOff, n int) {
	i := 0
	if dstOff%8 == 0 {
		full := n / 8
		s := bytesAt(src+uint32(srcOff/8), full+1)
		d := dst[dstOff/8:]
		if sh := uint(srcOff % 8); sh == 0 {
			copy(d[:full], s[:full])
		} else { // the next byte holds bits of the range when sh > 0 (8k + 7 + sh < n + sh)
			for k := 0; k < full; k++ {
				d[k] = s[k]>>sh | s[k+1]<<(8-sh)
			}
		}
		i = full * 8
	}
	for ; i < n; i++ {
		if Bit(src, srcOff+i) {
			setBit(dst, dstOff+i, true)
		}
	}
}

// Builder is one output column being built: fixed width (numbers, bool, date32, timestamp:
// every row exists, zero and valid; write at random) or var width (utf8, binary, large_*:
// append exactly the output's row count of values).
type Builder struct {
	name      string
	typ       Type
	format    string
	kind      builderKind
	length    int
	offset    int
	nullCount int64
	validity  []byte // nil: none (or shared)
	validityA uint32 // shared input validity (copy), 0 = none
	values    []byte
	valuesA   uint32 // shared input offsets (copy of a var-width column)
	off32     []int32
	off64     []int64
	data      []byte
	pending   int // var width: -1, or start of the value being built
	source    uint32
	err       string
}

func newBuilder(name string, t Type, kind builderKind) *Builder {
	return &Builder{name: name, typ: t, format: typeFormats[t], kind: kind, pending: -1}
}

func (b *Builder) fail(format string, args ...any) {
	if b.err == "" {
		b.err = fmt.Sprintf(format, args...)
	}
}

func (b *Builder) Name() string { return b.name }
func (b *Builder) Type() Type   { return b.typ }

// Len is the number of rows so far (fixed width: all of them).
func (b *Builder) Len() int { return b.length }

// BuilderValues is the values of a fixed-width builder as []T (element j is s[j]). A wrong width
// or a non-fixed column fails the call and gives nil.
func BuilderValues[T Native](b *Builder) []T {
	var zero T
	w := int(unsafe.Sizeof(zero))
	if b.kind != kindFixed || b.typ.Width() != w {
		b.fail("column '%s' (%s): no %d-byte values to write", b.name, b.typ, w)
		return nil
	}
	if b.length == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.values)), b.offset*w)), b.length)
}

func (b *Builder) Int8() []int8       { return BuilderValues[int8](b) }
func (b *Builder) Int16() []int16     { return BuilderValues[int16](b) }
func (b *Builder) Int32() []int32     { return BuilderValues[int32](b) }
func (b *Builder) Int64() []int64     { return BuilderValues[int64](b) }
func (b *Builder) Uint8() []uint8     { return BuilderValues[uint8](b) }
func (b *Builder) Uint16() []uint16   { return BuilderValues[uint16](b) }
func (b *Builder) Uint32() []uint32   { return BuilderValues[uint32](b) }
func (b *Builder) Uint64() []uint64   { return BuilderValues[uint64](b) }
func (b *Builder) Float32() []float32 { return BuilderValues[float32](b) }
func (b *Builder) Float64() []float64 { return BuilderValues[float64](b) }
func (b *Builder) Date32() []int32    { return BuilderValues[int32](b) }
func (b *Builder) Timestamp() []int64 { return BuilderValues[int64](b) }

// Data is a copied var-width column's data bytes, to change in place (see Output.Copy).
func (b *Builder) Data() []byte { return b.data }

func (b *Builder) checkFixed(what string, i int) bool {
	if b.kind != kindFixed || i < 0 || i >= b.length {
		b.fail("column '%s': %s(%d) out of range or on a column that is not fixed width", b.name, what, i)
		return false
	}
	return true
}

// SetBool sets element i of a bool builder.
func (b *Builder) SetBool(i int, v bool) {
	if b.checkFixed("SetBool", i) {
		setBit(b.values, b.offset+i, v)
	}
}

func (b *Builder) ownValidity() []byte {
	if b.validity == nil {
		n := bitmapBytes(b.offset + b.length)
		v := alloc8(n)
		if b.validityA != 0 {
			copy(v, bytesAt(b.validityA, n))
		} else {
			for k := range v {
				v[k] = 0xFF
			}
		}
		b.validity, b.validityA = v, 0
	}
	return b.validity
}

// SetNull marks element i of a fixed-width builder null.
func (b *Builder) SetNull(i int) {
	if b.checkFixed("SetNull", i) {
		setBit(b.ownValidity(), b.offset+i, false)
		b.nullCount = -1
	}
}

// SetValid marks element i of a fixed-width builder valid.
func (b *Builder) SetValid(i int) {
	if b.checkFixed("SetValid", i) && (b.validity != nil || b.validityA != 0) {
		setBit(b.ownValidity(), b.offset+i, true)
		b.nullCount = -1
	}
}

// CopyValidity takes the validity of input column src (same length): nulls propagate.
func (b *Builder) CopyValidity(src *Column) {
	if b.kind != kindFixed || src.Len != b.length {
		b.fail("column '%s': CopyValidity needs a fixed-width column of %d rows", b.name, src.Len)
		return
	}
	b.validityA = 0
	if !src.HasNulls() {
		b.validity, b.nullCount = nil, 0
		return
	}
	v := alloc8(bitmapBytes(b.offset + b.length))
	copyBits(v, b.offset, src.validity, src.Offset, b.length)
	b.validity, b.nullCount = v, src.NullCount
}

func (b *Builder) checkAppend() bool {
	if b.kind != kindAppend {
		b.fail("column '%s': append on a column that is not an appendable utf8/binary column", b.name)
		return false
	}
	return true
}

func (b *Builder) endValue(valid bool) {
	end := len(b.data)
	if b.typ.IsLarge() {
		b.off64 = append(b.off64, int64(end))
	} else {
		if end > 1<<31-1 {
			b.fail("column '%s': more than 2 GiB of data in a non-large column", b.name)
		}
		b.off32 = append(b.off32, int32(end))
	}
	i := b.length
	if !valid && b.validity == nil {
		b.validity = alloc8(max(bitmapBytes(i+1), 64))
		for k := range b.validity {
			b.validity[k] = 0xFF
		}
	}
	if b.validity != nil {
		if bitmapBytes(i+1) > len(b.validity) {
			grown := alloc8(2 * len(b.validity))
			copy(grown, b.validity)
			for k := len(b.validity); k < len(grown); k++ {
				grown[k] = 0xFF
			}
			b.validity = grown
		}
		setBit(b.validity, i, valid)
	}
	if !valid {
		b.nullCount++
	}
	b.length++
	b.pending = -1
}

// Append appends one value to a var-width builder.
func (b *Builder) Append(v []byte) {
	if b.checkAppend() {
		b.data = append(b.data, v...)
		b.endValue(true)
	}
}

// AppendStr appends one string.
func (b *Builder) AppendStr(s string) {
	if b.checkAppend() {
		b.data = append(b.data, s...)
		b.endValue(true)
	}
}

// AppendNull appends a null.
func (b *Builder) AppendNull() {
	if b.checkAppend() {
		if b.pending >= 0 {
			b.data = b.data[:b.pending]
		}
		b.endValue(false)
	}
}

// AppendNulls appends n nulls.
func (b *Builder) AppendNulls(n int) {
	for k := 0; k < n; k++ {
		b.AppendNull()
	}
}

// Appendf appends a formatted value.
func (b *Builder) Appendf(format string, args ...any) {
	if b.checkAppend() {
		b.data = fmt.Appendf(b.data, format, args...)
		b.endValue(true)
	}
}

// Extend adds bytes to the value being built; Commit ends it.
func (b *Builder) Extend(v []byte) {
	if b.checkAppend() {
		if b.pending < 0 {
			b.pending = len(b.data)
		}
		b.data = append(b.data, v...)
	}
}

// Commit ends the value built with Extend.
func (b *Builder) Commit() {
	if b.checkAppend() {
		b.endValue(true)
	}
}

// Output is the output batch under construction. Process starts it with the input's row
// count, Finish/Read with 0 (call Begin for another length); add columns in output order.
type Output struct {
	numRows int
	columns []*Builder
}

func newOutput(rows int) *Output { return &Output{numRows: rows} }

// Begin (re)starts the output with numRows rows and no columns.
func (o *Output) Begin(numRows int) {
	o.numRows = max(numRows, 0)
	o.columns = o.columns[:0]
}

func (o *Output) NumRows() int    { return o.numRows }
func (o *Output) NumColumns() int { return len(o.columns) }

// Column is output column i added so far.
func (o *Output) Column(i int) *Builder { return o.columns[i] }

func (o *Output) push(b *Builder) *Builder {
	o.columns = append(o.columns, b)
	return b
}

// Pass passes input column c through unchanged and zero-copy.
func (o *Output) Pass(c *Column) *Builder { return o.PassAs(c, c.Name) }

// PassAs passes input column c through zero-copy under another name.
func (o *Output) PassAs(c *Column, name string) *Builder {
	b := newBuilder(name, c.Type, kindPass)
	b.format, b.length, b.offset, b.nullCount, b.source = c.Format, c.Len, c.Offset, c.NullCount, c.array
	if c.Len != o.numRows {
		b.fail("column '%s': passed through with %d rows, output has %d", name, c.Len, o.numRows)
	}
	return o.push(b)
}

// PassAll passes every input column through.
func (o *Output) PassAll(in *Batch) {
	for _, c := range in.Columns {
		o.Pass(c)
	}
}

func (o *Output) newColumn(name string, t Type, format string) *Builder {
	rows := o.numRows
	b := newBuilder(name, t, kindFixed)
	b.format = format
	switch {
	case t == TypeUnsupported || t > TypeTimestamp:
		b.kind = kindInvalid
		b.fail("column '%s': cannot build a column of an unsupported type", name)
	case t == TypeNull:
		b.kind, b.length, b.nullCount = kindNull, rows, int64(rows)
	case t.IsVarWidth():
		b.kind = kindAppend
		if t.IsLarge() {
			b.off64 = append(make([]int64, 0, rows+1), 0)
		} else {
			b.off32 = append(make([]int32, 0, rows+1), 0)
		}
		b.data = make([]byte, 0, max(rows*8, 256))
	default:
		b.length = rows
		if t == TypeBool {
			b.values = alloc8(bitmapBytes(rows))
		} else {
			b.values = alloc8(rows * t.Width())
		}
	}
	return o.push(b)
}

// Add adds a new column of type t (not timestamp: see AddTimestamp). Fixed-width columns have
// every row, zero and valid; var-width columns start empty: append exactly NumRows values; null
// columns are complete.
func (o *Output) Add(name string, t Type) *Builder { return o.newColumn(name, t, typeFormats[t]) }

// AddTimestamp adds a new timestamp column.
func (o *Output) AddTimestamp(name string, unit TimeUnit, tz string) *Builder {
	return o.newColumn(name, TypeTimestamp, fmt.Sprintf("ts%c:%s", "smun"[unit], tz))
}

// AddLike adds a new empty column with the type (unit, timezone) of input column c.
func (o *Output) AddLike(name string, c *Column) *Builder {
	if c.Type == TypeTimestamp {
		return o.AddTimestamp(name, c.Unit, c.Timezone)
	}
	return o.Add(name, c.Type)
}

// ErrorColumn adds the per-record error column _dataflare_error (utf8): append one value per
// output row, null for good rows, the message for bad rows (they go to the dead-letter output).
func (o *Output) ErrorColumn() *Builder { return o.Add(ErrorColumn, TypeUtf8) }

// Copy adds a modifiable copy of input column c named name: values (fixed width, bool) or data
// bytes (var width, via Data) are copied and may be changed in place; validity and var-width
// offsets are shared with the input (zero-copy).
func (o *Output) Copy(c *Column, name string) *Builder {
	b := newBuilder(name, c.Type, kindFixed)
	b.format, b.length, b.offset, b.nullCount, b.validityA = c.Format, c.Len, c.Offset, c.NullCount, c.validity
	if c.Len != o.numRows {
		b.fail("column '%s': copied with %d rows, output has %d", name, c.Len, o.numRows)
	}
	switch {
	case c.Type == TypeUnsupported:
		b.kind = kindInvalid
		b.fail("column '%s': cannot copy a column of type '%s'", name, c.Format)
	case c.Type == TypeNull:
		b.kind = kindNull
	case c.Type.IsVarWidth():
		_, end := c.DataRange()
		b.valuesA = c.values
		b.data = append(make([]byte, 0, end), bytesAt(c.data, end)...)
	default:
		n := (c.Offset + c.Len) * c.Type.Width()
		if c.Type == TypeBool {
			n = bitmapBytes(c.Offset + c.Len)
		}
		b.values = alloc8(n)
		copy(b.values, bytesAt(c.values, n))
	}
	return o.push(b)
}

// Take adds a column of the rows sel selects from input column c (any type).
func (o *Output) Take(c *Column, sel *Selection) *Builder { return o.TakeAs(c, sel, c.Name) }

// TakeAll takes every input column by sel.
func (o *Output) TakeAll(in *Batch, sel *Selection) {
	for _, c := range in.Columns {
		o.Take(c, sel)
	}
}

// TakeAs is Take under another name.
func (o *Output) TakeAs(c *Column, sel *Selection, name string) *Builder {
	n := sel.Len()
	b := newBuilder(name, c.Type, kindFixed)
	b.format, b.length = c.Format, n
	if c.Type == TypeUnsupported {
		b.kind = kindInvalid
		b.fail("column '%s': cannot take from a column of type '%s'", name, c.Format)
		return o.push(b)
	}
	if n != o.numRows {
		b.fail("column '%s': selection has %d rows, output has %d", name, n, o.numRows)
	}
	if c.Type == TypeNull {
		b.kind, b.nullCount = kindNull, int64(n)
		return o.push(b)
	}
	if c.HasNulls() {
		v := alloc8(bitmapBytes(n))
		nulls := int64(0)
		for j, k := range sel.Indices {
			if c.IsValid(int(k)) {
				setBit(v, j, true)
			} else {
				nulls++
			}
		}
		b.validity, b.nullCount = v, nulls
	}
	switch {
	case c.Type == TypeBool:
		v := alloc8(bitmapBytes(n))
		for j, k := range sel.Indices {
			if c.Bool(int(k)) {
				setBit(v, j, true)
			}
		}
		b.values = v
	case c.Type.IsVarWidth():
		total := 0
		for _, k := range sel.Indices {
			total += len(c.Bytes(int(k)))
		}
		b.data = make([]byte, 0, total)
		if c.Type.IsLarge() {
			b.off64 = append(make([]int64, 0, n+1), 0)
		} else {
			b.off32 = append(make([]int32, 0, n+1), 0)
		}
		for _, k := range sel.Indices {
			b.data = append(b.data, c.Bytes(int(k))...)
			if c.Type.IsLarge() {
				b.off64 = append(b.off64, int64(len(b.data)))
			} else {
				b.off32 = append(b.off32, int32(len(b.data)))
			}
		}
		if !c.Type.IsLarge() && total > 1<<31-1 {
			b.fail("column '%s': more than 2 GiB of data in a non-large column", name)
		}
	default:
		w := c.Type.Width()
		v := alloc8(n * w)
		src := bytesAt(c.values, (c.Offset+c.Len)*w)
		for j, k := range sel.Indices {
			s := (c.Offset + int(k)) * w
			copy(v[j*w:j*w+w], src[s:s+w])
		}
		b.values = v
	}
	return o.push(b)
}

func sliceAddr[T any](s []T) uint32 {
	if cap(s) == 0 {
		return 0
	}
	return addr(unsafe.Pointer(unsafe.SliceData(s)))
}

var emptyData = alloc8(8)

// export writes the batch into the host's structs; everything it hands out goes into the arena.
func (o *Output) export(osAddr, oaAddr uint32) error {
	n := len(o.columns)
	for _, b := range o.columns {
		if b.err != "" {
			return PluginError("%s", b.err)
		}
		if b.pending >= 0 {
			return PluginError("column '%s': a value was extended but never committed", b.name)
		}
		if b.length != o.numRows {
			return PluginError("column '%s' has %d rows, the output batch %d", b.name, b.length, o.numRows)
		}
	}
	schemas := make([]ArrowSchema, n)
	arrays := make([]ArrowArray, n)
	ptrs := make([]uint32, 2*n+1) // schema pointers, then array pointers (+1: never empty)
	bufs := make([]uint32, 3*n+1)
	strs := make([][]byte, 0, 2*n)
	cString := func(s string) uint32 {
		b := append(alloc8(len(s) + 1)[:0], s...)
		b = append(b, 0)
		strs = append(strs, b)
		return sliceAddr(b)
	}
	for i, b := range o.columns {
		s, a := &schemas[i], &arrays[i]
		s.Format, s.Name, s.Flags = cString(b.format), cString(b.name), flagNullable
		a.Length, a.NullCount, a.Offset = int64(b.length), b.nullCount, int64(b.offset)
		bb := bufs[3*i : 3*i+3]
		switch b.kind {
		case kindPass:
			src := (*ArrowArray)(ptr(b.source))
			a.NullCount, a.NBuffers = src.NullCount, src.NBuffers
			for k := 0; k < int(min(src.NBuffers, 3)); k++ {
				bb[k] = u32At(src.Buffers, k)
			}
		case kindNull:
			a.NullCount = int64(b.length)
		default:
			a.NBuffers = b.typ.nBuffers()
			switch {
			case b.validity != nil:
				bb[0] = sliceAddr(b.validity)
			case b.validityA != 0:
				bb[0] = b.validityA
			default:
				a.NullCount = 0
			}
			switch {
			case b.off64 != nil:
				bb[1] = sliceAddr(b.off64)
			case b.off32 != nil:
				bb[1] = sliceAddr(b.off32)
			case b.valuesA != 0:
				bb[1] = b.valuesA
			default:
				bb[1] = sliceAddr(b.values)
			}
			if b.typ.IsVarWidth() {
				bb[2] = sliceAddr(b.data)
				if bb[2] == 0 {
					bb[2] = sliceAddr(emptyData)
				}
			}
		}
		a.Buffers = addr(unsafe.Pointer(&bufs[3*i]))
		ptrs[i] = addr(unsafe.Pointer(s))
		ptrs[n+i] = addr(unsafe.Pointer(a))
	}
	top := make([]uint32, 2)
	keep(o)
	keep(schemas)
	keep(arrays)
	keep(ptrs)
	keep(bufs)
	keep(strs)
	keep(top)
	os := (*ArrowSchema)(ptr(osAddr))
	*os = ArrowSchema{Format: cString("+s"), Name: cString(""), NChildren: int64(n),
		Children: addr(unsafe.Pointer(&ptrs[0]))}
	keep(strs)
	oa := (*ArrowArray)(ptr(oaAddr))
	*oa = ArrowArray{Length: int64(o.numRows), NBuffers: 1, NChildren: int64(n),
		Buffers: addr(unsafe.Pointer(&top[0])), Children: addr(unsafe.Pointer(&ptrs[n]))}
	return nil
}
