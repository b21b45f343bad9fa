"""Guest toolchains: compile plugin sources to ``.wasm`` (C now; Rust, Go, AssemblyScript, Python)."""
