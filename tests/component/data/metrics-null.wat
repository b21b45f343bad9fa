(component
  (core module $m
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
    (func (export "inc") (param i32 i32 i64))
    (func (export "hist") (param i32 i32 f64)))
  (core instance $i (instantiate $m))
  (func $inc (param "name" string) (param "value" u64)
    (canon lift (core func $i "inc") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (func $hist (param "name" string) (param "value" f64)
    (canon lift (core func $i "hist") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (instance $metrics
    (export "increment-counter" (func $inc))
    (export "record-histogram" (func $hist)))
  (export "dataflare:core/metrics@1.0.0" (instance $metrics)))
