"""Guest toolchains: compile plugin sources to ``.wasm`` (C, Rust, Go, AssemblyScript, Python)
and the plugin projects of ``dataflare plugin new/build/test`` (:mod:`.project`)."""
