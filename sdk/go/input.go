package dataflare

import (
	"fmt"
	"unsafe"
)

// Type is a column type of abi 1.
type Type int

const (
	TypeUnsupported Type = iota // anything else: visible, can be passed through
	TypeNull
	TypeBool
	TypeInt8
	TypeInt16
	TypeInt32
	TypeInt64
	TypeUint8
	TypeUint16
	TypeUint32
	TypeUint64
	TypeFloat32
	TypeFloat64
	TypeUtf8
	TypeLargeUtf8
	TypeBinary
	TypeLargeBinary
	TypeDate32    // int32 days since the epoch
	TypeTimestamp // int64 in Unit since the epoch, optional Timezone
)

// TimeUnit is the unit of a timestamp column.
type TimeUnit int

const (
	Second TimeUnit = iota
	Milli
	Micro
	Nano
)

var typeNames = [...]string{"unsupported", "null", "bool", "int8", "int16", "int32", "int64",
	"uint8", "uint16", "uint32", "uint64", "float", "double", "string", "large_string", "binary",
	"large_binary", "date32", "timestamp"}

var typeFormats = [...]string{"", "n", "b", "c", "s", "i", "l", "C", "S", "I", "L", "f", "g",
	"u", "U", "z", "Z", "tdD", ""}

// Name is the pyarrow-style type name, for messages ("int64", "large_string", ...).
func (t Type) Name() string        { return typeNames[t] }
func (t Type) String() string      { return typeNames[t] }
func (t Type) IsSignedInt() bool   { return t >= TypeInt8 && t <= TypeInt64 }
func (t Type) IsUnsignedInt() bool { return t >= TypeUint8 && t <= TypeUint64 }
func (t Type) IsInt() bool         { return t >= TypeInt8 && t <= TypeUint64 }
func (t Type) IsFloat() bool       { return t == TypeFloat32 || t == TypeFloat64 }
func (t Type) IsNumeric() bool     { return t >= TypeInt8 && t <= TypeFloat64 }
func (t Type) IsString() bool      { return t == TypeUtf8 || t == TypeLargeUtf8 }
func (t Type) IsBinary() bool      { return t == TypeBinary || t == TypeLargeBinary }
func (t Type) IsVarWidth() bool    { return t >= TypeUtf8 && t <= TypeLargeBinary }
func (t Type) IsLarge() bool       { return t == TypeLargeUtf8 || t == TypeLargeBinary }

// Width is the byte width of a fixed-width type; 0 for null, bool (bits) and var-width types.
func (t Type) Width() int {
	switch t {
	case TypeInt8, TypeUint8:
		return 1
	case TypeInt16, TypeUint16:
		return 2
	case TypeInt32, TypeUint32, TypeFloat32, TypeDate32:
		return 4
	case TypeInt64, TypeUint64, TypeFloat64, TypeTimestamp:
		return 8
	}
	return 0
}

func (t Type) nBuffers() int64 {
	switch {
	case t == TypeNull:
		return 0
	case t.IsVarWidth():
		return 3
	}
	return 2
}

// ParseFormat parses an Arrow format string into type, unit and timezone.
func ParseFormat(f string) (Type, TimeUnit, string) {
	for t, s := range typeFormats {
		if s != "" && s == f {
			return Type(t), Micro, ""
		}
	}
	if len(f) >= 4 && f[0] == 't' && f[1] == 's' && f[3] == ':' {
		units := map[byte]TimeUnit{'s': Second, 'm': Milli, 'u': Micro, 'n': Nano}
		if u, ok := units[f[2]]; ok {
			return TypeTimestamp, u, f[4:]
		}
	}
	return TypeUnsupported, Micro, ""
}

// Native is a fixed-width value type.
type Native interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// Bit is bit i of a bitmap (validity or bool values) at guest address a.
func Bit(bits uint32, i int) bool {
	return (*(*byte)(ptr(bits + uint32(i>>3)))>>(i&7))&1 != 0
}

// Column is a read-only view of one input column. Element j is element Offset+j of every
// buffer; the accessors apply the offset.
type Column struct {
	Name      string
	Format    string // Arrow format string
	Type      Type
	Unit      TimeUnit // timestamps
	Timezone  string   // timestamps: "" when none
	Len       int
	NullCount int64 // exact for host input; -1 = unknown
	Offset    int
	validity  uint32 // 0 = no nulls
	values    uint32
	data      uint32
	array     uint32
}

// IsValid reports whether element i is not null.
func (c *Column) IsValid(i int) bool {
	return c.Type != TypeNull && (c.validity == 0 || Bit(c.validity, c.Offset+i))
}

// IsNull reports whether element i is null.
func (c *Column) IsNull(i int) bool { return !c.IsValid(i) }

// HasNulls reports whether any element is null.
func (c *Column) HasNulls() bool {
	if c.Type == TypeNull {
		return c.Len > 0
	}
	return c.validity != 0 && c.NullCount != 0
}

// Values is the values of a fixed-width column as []T (offset applied: element j is s[j]).
// It panics if T's width is not the column's.
func Values[T Native](c *Column) []T {
	var zero T
	if int(unsafe.Sizeof(zero)) != c.Type.Width() {
		panic(fmt.Sprintf("column '%s' is %s, not a %d-byte type", c.Name, c.Type, unsafe.Sizeof(zero)))
	}
	if c.Len == 0 || c.values == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Add(ptr(c.values), c.Offset*int(unsafe.Sizeof(zero)))), c.Len)
}

func (c *Column) Int8() []int8       { return Values[int8](c) }
func (c *Column) Int16() []int16     { return Values[int16](c) }
func (c *Column) Int32() []int32     { return Values[int32](c) }
func (c *Column) Int64() []int64     { return Values[int64](c) }
func (c *Column) Uint8() []uint8     { return Values[uint8](c) }
func (c *Column) Uint16() []uint16   { return Values[uint16](c) }
func (c *Column) Uint32() []uint32   { return Values[uint32](c) }
func (c *Column) Uint64() []uint64   { return Values[uint64](c) }
func (c *Column) Float32() []float32 { return Values[float32](c) }
func (c *Column) Float64() []float64 { return Values[float64](c) }
func (c *Column) Date32() []int32    { return Values[int32](c) }
func (c *Column) Timestamp() []int64 { return Values[int64](c) }

// Bool is the value of element i of a bool column.
func (c *Column) Bool(i int) bool { return Bit(c.values, c.Offset+i) }

func (c *Column) offsetAt(k int) int {
	if c.Type.IsLarge() {
		return int(*(*int64)(ptr(c.values + uint32(k)*8)))
	}
	return int(*(*int32)(ptr(c.values + uint32(k)*4)))
}

// Bytes is element i of a var-width column (utf8, binary, large_*), empty for a null. It points
// into the input: valid during the call only.
func (c *Column) Bytes(i int) []byte {
	k := c.Offset + i
	a, b := c.offsetAt(k), c.offsetAt(k+1)
	if b <= a {
		return nil
	}
	return bytesAt(c.data+uint32(a), b-a)
}

// Str is element i of a utf8 column as a string (copied).
func (c *Column) Str(i int) string { return string(c.Bytes(i)) }

// DataRange is the byte range [start, end) of the data buffer this var-width column references.
func (c *Column) DataRange() (int, int) {
	if c.values == 0 {
		return 0, 0
	}
	return c.offsetAt(c.Offset), c.offsetAt(c.Offset + c.Len)
}

// GetInt64 is element i of any integer, bool, date32, timestamp or float column as int64
// (uint64 wraps, floats truncate).
func (c *Column) GetInt64(i int) int64 {
	switch c.Type {
	case TypeBool:
		if c.Bool(i) {
			return 1
		}
		return 0
	case TypeInt8:
		return int64(c.Int8()[i])
	case TypeInt16:
		return int64(c.Int16()[i])
	case TypeInt32, TypeDate32:
		return int64(c.Int32()[i])
	case TypeInt64, TypeTimestamp:
		return c.Int64()[i]
	case TypeUint8:
		return int64(c.Uint8()[i])
	case TypeUint16:
		return int64(c.Uint16()[i])
	case TypeUint32:
		return int64(c.Uint32()[i])
	case TypeUint64:
		return int64(c.Uint64()[i])
	case TypeFloat32:
		return int64(c.Float32()[i])
	case TypeFloat64:
		return int64(c.Float64()[i])
	}
	return 0
}

// GetFloat64 is element i of any numeric (or bool, date32, timestamp) column as float64.
func (c *Column) GetFloat64(i int) float64 {
	switch c.Type {
	case TypeFloat32:
		return float64(c.Float32()[i])
	case TypeFloat64:
		return c.Float64()[i]
	case TypeUint64:
		return float64(c.Uint64()[i])
	}
	return float64(c.GetInt64(i))
}

// Batch is a read-only view of the input batch.
type Batch struct {
	NumRows int
	Columns []*Column
}

// NumColumns is the number of columns.
func (b *Batch) NumColumns() int { return len(b.Columns) }

// Column is column i.
func (b *Batch) Column(i int) *Column { return b.Columns[i] }

// Find is the first column named name, or nil.
func (b *Batch) Find(name string) *Column {
	for _, c := range b.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func ptrOf(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

func bytesAt(a uint32, n int) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(ptr(a)), n)
}

func u32At(a uint32, i int) uint32 { return *(*uint32)(ptr(a + uint32(i)*4)) }

func importBatch(sAddr, aAddr uint32) (*Batch, error) {
	if sAddr == 0 || aAddr == 0 {
		return nil, SchemaError("input batch is missing")
	}
	s, a := (*ArrowSchema)(ptr(sAddr)), (*ArrowArray)(ptr(aAddr))
	if f := cstr(s.Format); f != "+s" {
		return nil, SchemaError("input batch format is '%s', expected '+s'", f)
	}
	if s.NChildren != a.NChildren || s.NChildren < 0 {
		return nil, SchemaError("input batch has %d schema children but %d array children", s.NChildren, a.NChildren)
	}
	b := &Batch{NumRows: int(a.Length), Columns: make([]*Column, s.NChildren)}
	for i := range b.Columns {
		cs := (*ArrowSchema)(ptr(u32At(s.Children, i)))
		caAddr := u32At(a.Children, i)
		ca := (*ArrowArray)(ptr(caAddr))
		c := &Column{Name: cstr(cs.Name), Format: cstr(cs.Format), Len: int(ca.Length),
			NullCount: ca.NullCount, Offset: int(ca.Offset), array: caAddr}
		c.Type, c.Unit, c.Timezone = ParseFormat(c.Format)
		if ca.Length != a.Length {
			return nil, SchemaError("input column '%s' has %d rows, batch %d", c.Name, ca.Length, a.Length)
		}
		if c.Type != TypeUnsupported && ca.NBuffers != c.Type.nBuffers() {
			return nil, SchemaError("input column '%s' (%s) has %d buffers", c.Name, c.Type, ca.NBuffers)
		}
		buf := func(k int) uint32 {
			if int64(k) < ca.NBuffers {
				return u32At(ca.Buffers, k)
			}
			return 0
		}
		c.values, c.data = buf(1), buf(2)
		if c.Type == TypeNull {
			c.NullCount = int64(c.Len)
		} else if c.NullCount != 0 {
			c.validity = buf(0)
		}
		b.Columns[i] = c
	}
	return b, nil
}
