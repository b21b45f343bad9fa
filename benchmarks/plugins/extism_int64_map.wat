;; The int64 map kernel (y = x * 3 + 1, wrapping) as an Extism plug-in, written against the Extism
;; kernel ABI (imports from "extism:host/env", offsets and lengths are i64). The input is the raw
;; little-endian int64 values; the output is the same number of int64 values.
;;
;; This is the fastest shape the kernel ABI allows: one fused loop that reads each value from the
;; kernel's input with input_load_u64 and writes the result straight into kernel memory with
;; store_u64 (a PDK would first copy the input into its own memory, then copy the output back).
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "int64_map") (result i32)
    (local $len i64) (local $out i64) (local $i i64)
    (local.set $len (i64.and (call $input_length) (i64.const -8)))
    (local.set $out (call $alloc (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $len)))
        (call $store_u64
          (i64.add (local.get $out) (local.get $i))
          (i64.add (i64.mul (call $input_load_u64 (local.get $i)) (i64.const 3)) (i64.const 1)))
        (local.set $i (i64.add (local.get $i) (i64.const 8)))
        (br $next)))
    (call $output_set (local.get $out) (local.get $len))
    (i32.const 0)))
