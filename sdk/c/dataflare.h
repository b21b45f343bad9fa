/*
 * dataflare.h -- DataFlare C guest SDK for `dataflare-abi 1` (docs/abi.md).
 *
 * Single header, no dependencies beyond wasi-libc. Include it in your plugin's .c file, write
 *
 *     static int my_init(const df_json *config);
 *     static int my_process(const df_batch *in, df_output *out);
 *     DATAFLARE_PROCESSOR(my_init, my_process)
 *
 * or, for a stateful plugin that emits what it holds at the end of the stream,
 *
 *     static int my_finish(df_output *out);
 *     DATAFLARE_STATEFUL_PROCESSOR(my_init, my_process, my_finish)
 *
 * or, for a source plugin,
 *
 *     static int my_read(int64_t max_rows, df_output *out);
 *     DATAFLARE_SOURCE(my_init, my_read)
 *
 * and build with
 *
 *     clang-19 --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -flto \
 *         -mbulk-memory -msimd128 -I sdk/c -Wl,--strip-all -o plugin.wasm plugin.c
 *
 * (docs/sdk-c.md explains the flags). Native builds work too, for sanitizer runs of plugin code:
 * define DATAFLARE_ARENA_DEBUG and see sdk/c/tests/native_driver.c.
 *
 * Concepts (the Rust/Go/AssemblyScript SDKs mirror them):
 *   Processor   init(config) / process(batch, output) / finish(output); Source: init / read.
 *   df_json     the parsed config (persistent for the instance's lifetime).
 *   df_batch    read-only view of the input batch; df_column: read-only view of one column.
 *   df_output   the output batch under construction: pass (zero-copy), add (new), copy
 *               (mutable copy), take (compact by a df_selection), error column.
 *   df_builder  one output column being built (fixed width: random access; var width: append).
 *   df_error    store a message for dataflare_last_error and return a status code.
 *   arena       everything handed to the host lives in a per-call arena, reset at the start of
 *               each init/process/finish/read; it stays valid until the next call (abi.md §2).
 *
 * Memory rules for plugin authors: arena memory (df_arena_*) dies at the next call; keep state
 * across calls in malloc'd memory. Allocation failure (memory limit reached) logs an error and
 * traps: plugin code never checks for NULL from the SDK.
 *
 * Several translation units may include this header; the SDK's global state is a weak symbol, so
 * it exists once. Use one DATAFLARE_PROCESSOR / DATAFLARE_STATEFUL_PROCESSOR / DATAFLARE_SOURCE
 * in exactly one of them.
 *
 * Licensed under the Apache License, Version 2.0.
 */
#ifndef DATAFLARE_H
#define DATAFLARE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATAFLARE_ABI_VERSION 1
#define DATAFLARE_SDK_VERSION "1.0.0"

#define DF_API static __attribute__((unused))
#define DF_INLINE static inline __attribute__((unused))
#define DF_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ------------------------------------------------------------------------------------------ */
/* Arrow C Data Interface (https://arrow.apache.org/docs/format/CDataInterface.html).           */
/* On wasm32 pointers are 32-bit, so the standard definitions give exactly abi.md's layouts.   */
/* ------------------------------------------------------------------------------------------ */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#if defined(__wasm32__)
_Static_assert(sizeof(void *) == 4, "wasm32 pointers are 32-bit");
_Static_assert(sizeof(struct ArrowSchema) == 48, "ArrowSchema is 48 bytes (abi.md §1)");
_Static_assert(_Alignof(struct ArrowSchema) == 8, "ArrowSchema is 8-byte aligned");
_Static_assert(offsetof(struct ArrowSchema, format) == 0, "ArrowSchema.format");
_Static_assert(offsetof(struct ArrowSchema, name) == 4, "ArrowSchema.name");
_Static_assert(offsetof(struct ArrowSchema, metadata) == 8, "ArrowSchema.metadata");
_Static_assert(offsetof(struct ArrowSchema, flags) == 16, "ArrowSchema.flags");
_Static_assert(offsetof(struct ArrowSchema, n_children) == 24, "ArrowSchema.n_children");
_Static_assert(offsetof(struct ArrowSchema, children) == 32, "ArrowSchema.children");
_Static_assert(offsetof(struct ArrowSchema, dictionary) == 36, "ArrowSchema.dictionary");
_Static_assert(offsetof(struct ArrowSchema, release) == 40, "ArrowSchema.release");
_Static_assert(offsetof(struct ArrowSchema, private_data) == 44, "ArrowSchema.private_data");
_Static_assert(sizeof(struct ArrowArray) == 64, "ArrowArray is 64 bytes (abi.md §1)");
_Static_assert(_Alignof(struct ArrowArray) == 8, "ArrowArray is 8-byte aligned");
_Static_assert(offsetof(struct ArrowArray, length) == 0, "ArrowArray.length");
_Static_assert(offsetof(struct ArrowArray, null_count) == 8, "ArrowArray.null_count");
_Static_assert(offsetof(struct ArrowArray, offset) == 16, "ArrowArray.offset");
_Static_assert(offsetof(struct ArrowArray, n_buffers) == 24, "ArrowArray.n_buffers");
_Static_assert(offsetof(struct ArrowArray, n_children) == 32, "ArrowArray.n_children");
_Static_assert(offsetof(struct ArrowArray, buffers) == 40, "ArrowArray.buffers");
_Static_assert(offsetof(struct ArrowArray, children) == 44, "ArrowArray.children");
_Static_assert(offsetof(struct ArrowArray, dictionary) == 48, "ArrowArray.dictionary");
_Static_assert(offsetof(struct ArrowArray, release) == 52, "ArrowArray.release");
_Static_assert(offsetof(struct ArrowArray, private_data) == 56, "ArrowArray.private_data");
#endif

/* ------------------------------------------------------------------------------------------ */
/* Status codes, log levels, types                                                             */
/* ------------------------------------------------------------------------------------------ */

enum {
  DF_STATUS_OK = 0,                  /* output produced */
  DF_STATUS_NO_OUTPUT = 1,           /* filtered out / nothing to flush / end of stream */
  DF_STATUS_ERROR = -1,              /* plugin error */
  DF_STATUS_INVALID_CONFIG = -2,     /* invalid config */
  DF_STATUS_UNSUPPORTED_SCHEMA = -3  /* unsupported input schema */
};

enum { DF_LOG_TRACE = 0, DF_LOG_DEBUG = 1, DF_LOG_INFO = 2, DF_LOG_WARN = 3, DF_LOG_ERROR = 4 };

/* Column types of abi 1. */
typedef enum df_type {
  DF_TYPE_UNSUPPORTED = 0, /* anything else (the column is visible, can be passed through) */
  DF_TYPE_NULL,
  DF_TYPE_BOOL,
  DF_TYPE_INT8,
  DF_TYPE_INT16,
  DF_TYPE_INT32,
  DF_TYPE_INT64,
  DF_TYPE_UINT8,
  DF_TYPE_UINT16,
  DF_TYPE_UINT32,
  DF_TYPE_UINT64,
  DF_TYPE_FLOAT32,
  DF_TYPE_FLOAT64,
  DF_TYPE_UTF8,
  DF_TYPE_LARGE_UTF8,
  DF_TYPE_BINARY,
  DF_TYPE_LARGE_BINARY,
  DF_TYPE_DATE32,   /* int32 days since the epoch */
  DF_TYPE_TIMESTAMP /* int64 in `unit` since the epoch, optional `timezone` */
} df_type;

typedef enum df_time_unit {
  DF_TIME_SECOND = 0,
  DF_TIME_MILLI = 1,
  DF_TIME_MICRO = 2,
  DF_TIME_NANO = 3
} df_time_unit;

/* pyarrow-style type name, for messages ("int64", "large_utf8", "timestamp", ...). */
DF_API const char *df_type_name(df_type t) {
  switch (t) {
    case DF_TYPE_NULL: return "null";
    case DF_TYPE_BOOL: return "bool";
    case DF_TYPE_INT8: return "int8";
    case DF_TYPE_INT16: return "int16";
    case DF_TYPE_INT32: return "int32";
    case DF_TYPE_INT64: return "int64";
    case DF_TYPE_UINT8: return "uint8";
    case DF_TYPE_UINT16: return "uint16";
    case DF_TYPE_UINT32: return "uint32";
    case DF_TYPE_UINT64: return "uint64";
    case DF_TYPE_FLOAT32: return "float";
    case DF_TYPE_FLOAT64: return "double";
    case DF_TYPE_UTF8: return "string";
    case DF_TYPE_LARGE_UTF8: return "large_string";
    case DF_TYPE_BINARY: return "binary";
    case DF_TYPE_LARGE_BINARY: return "large_binary";
    case DF_TYPE_DATE32: return "date32";
    case DF_TYPE_TIMESTAMP: return "timestamp";
    default: return "unsupported";
  }
}

DF_INLINE int df_type_is_signed_int(df_type t) { return t >= DF_TYPE_INT8 && t <= DF_TYPE_INT64; }
DF_INLINE int df_type_is_unsigned_int(df_type t) { return t >= DF_TYPE_UINT8 && t <= DF_TYPE_UINT64; }
DF_INLINE int df_type_is_int(df_type t) { return t >= DF_TYPE_INT8 && t <= DF_TYPE_UINT64; }
DF_INLINE int df_type_is_float(df_type t) { return t == DF_TYPE_FLOAT32 || t == DF_TYPE_FLOAT64; }
DF_INLINE int df_type_is_numeric(df_type t) { return t >= DF_TYPE_INT8 && t <= DF_TYPE_FLOAT64; }
DF_INLINE int df_type_is_string(df_type t) { return t == DF_TYPE_UTF8 || t == DF_TYPE_LARGE_UTF8; }
DF_INLINE int df_type_is_binary(df_type t) { return t == DF_TYPE_BINARY || t == DF_TYPE_LARGE_BINARY; }
DF_INLINE int df_type_is_var_width(df_type t) { return t >= DF_TYPE_UTF8 && t <= DF_TYPE_LARGE_BINARY; }
DF_INLINE int df_type_is_large(df_type t) { return t == DF_TYPE_LARGE_UTF8 || t == DF_TYPE_LARGE_BINARY; }

/* Byte width of one value of a fixed-width type; 0 for null, bool (bits) and var-width types. */
DF_INLINE int df_type_width(df_type t) {
  switch (t) {
    case DF_TYPE_INT8: case DF_TYPE_UINT8: return 1;
    case DF_TYPE_INT16: case DF_TYPE_UINT16: return 2;
    case DF_TYPE_INT32: case DF_TYPE_UINT32: case DF_TYPE_FLOAT32: case DF_TYPE_DATE32: return 4;
    case DF_TYPE_INT64: case DF_TYPE_UINT64: case DF_TYPE_FLOAT64: case DF_TYPE_TIMESTAMP: return 8;
    default: return 0;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Host imports (module `dataflare`, abi.md §3)                                                */
/* ------------------------------------------------------------------------------------------ */

#if defined(__wasm__)
__attribute__((import_module("dataflare"), import_name("log")))
void df__host_log(int32_t level, const char *ptr, int32_t len);
__attribute__((import_module("dataflare"), import_name("counter_add")))
void df__host_counter_add(const char *name, int32_t name_len, int64_t value);
__attribute__((import_module("dataflare"), import_name("histogram_record")))
void df__host_histogram_record(const char *name, int32_t name_len, double value);
#else
/* Native builds (unit tests of plugin logic): log to stderr, drop metrics. */
DF_API void df__host_log(int32_t level, const char *ptr, int32_t len) {
  fprintf(stderr, "[%d] %.*s\n", (int)level, (int)len, ptr);
}
DF_API void df__host_counter_add(const char *n, int32_t l, int64_t v) { (void)n; (void)l; (void)v; }
DF_API void df__host_histogram_record(const char *n, int32_t l, double v) { (void)n; (void)l; (void)v; }
#endif

/* ------------------------------------------------------------------------------------------ */
/* Global state and the per-call arena                                                         */
/* ------------------------------------------------------------------------------------------ */

typedef struct df__chunk {
  struct df__chunk *next; /* older chunk */
  size_t cap;             /* usable bytes after the header */
  size_t used;
  size_t _pad;
} df__chunk;

typedef struct df__arena {
  df__chunk *cur;  /* newest chunk; older ones linked through next */
  void *last;      /* most recent allocation (for in-place realloc) */
} df__arena;

struct df_json;

typedef struct df__state {
  df__arena call;       /* reset at the start of each init/process/finish/read */
  df__arena perm;       /* the parsed config: lives as long as the instance */
  const char *error;    /* message for dataflare_last_error (in the call arena) */
  size_t error_len;
  struct df_json *config;
} df__state;

/* One definition across translation units (weak). */
__attribute__((weak)) df__state df__g;

#define DF__ALIGN 16u
#define DF__MIN_CHUNK (64u * 1024u)

DF_API void df__oom(size_t size) {
  char msg[96];
  int n = snprintf(msg, sizeof msg, "dataflare: out of memory allocating %zu bytes", size);
  df__host_log(DF_LOG_ERROR, msg, n);
  __builtin_trap();
}

#ifdef DATAFLARE_ARENA_DEBUG
/* Debug arena (native sanitizer builds of plugin code): one malloc per allocation, so that
 * AddressSanitizer sees every overflow; the chunk list doubles as the allocation list. */
DF_API void *df__arena_alloc(df__arena *a, size_t size) {
  df__chunk *n = (df__chunk *)malloc(sizeof(df__chunk) + (size ? size : 1));
  if (n == NULL) df__oom(size);
  n->next = a->cur;
  n->cap = n->used = size;
  a->cur = n;
  a->last = n + 1;
  return n + 1;
}
DF_API void df__arena_free_all(df__arena *a) {
  df__chunk *c = a->cur;
  while (c) {
    df__chunk *next = c->next;
    free(c);
    c = next;
  }
  a->cur = NULL;
  a->last = NULL;
}
DF_API void df__arena_reset(df__arena *a) { df__arena_free_all(a); }
DF_API void *df__arena_realloc(df__arena *a, void *p, size_t old_size, size_t new_size) {
  if (p != NULL && new_size <= old_size) return p;
  void *q = df__arena_alloc(a, new_size);
  if (p) memcpy(q, p, old_size);
  return q;
}
#else
DF_API void *df__arena_alloc(df__arena *a, size_t size) {
  size_t need = (size + (DF__ALIGN - 1)) & ~(size_t)(DF__ALIGN - 1);
  if (need < size) df__oom(size);
  df__chunk *c = a->cur;
  if (c == NULL || c->cap - c->used < need) {
    size_t cap = c ? c->cap * 2 : DF__MIN_CHUNK;
    if (cap < need) cap = need;
    if (cap > SIZE_MAX - sizeof(df__chunk)) df__oom(size);
    df__chunk *n = (df__chunk *)malloc(sizeof(df__chunk) + cap);
    if (n == NULL && cap > need) { /* doubling failed: try exactly what is needed */
      cap = need;
      n = (df__chunk *)malloc(sizeof(df__chunk) + cap);
    }
    if (n == NULL) df__oom(size);
    n->next = c;
    n->cap = cap;
    n->used = 0;
    a->cur = c = n;
  }
  void *p = (char *)(c + 1) + c->used;
  c->used += need;
  a->last = p;
  return p;
}

/* Rewind; several chunks are merged into one of their total size so the next call fits in one. */
DF_API void df__arena_reset(df__arena *a) {
  df__chunk *c = a->cur;
  a->last = NULL;
  if (c == NULL) return;
  if (c->next == NULL) {
    c->used = 0;
    return;
  }
  size_t total = 0;
  while (c) {
    df__chunk *next = c->next;
    total += c->cap;
    free(c);
    c = next;
  }
  a->cur = NULL;
  df__chunk *n = (df__chunk *)malloc(sizeof(df__chunk) + total);
  if (n) {
    n->next = NULL;
    n->cap = total;
    n->used = 0;
    a->cur = n;
  }
}

DF_API void df__arena_free_all(df__arena *a) {
  df__chunk *c = a->cur;
  while (c) {
    df__chunk *next = c->next;
    free(c);
    c = next;
  }
  a->cur = NULL;
  a->last = NULL;
}

DF_API void *df__arena_realloc(df__arena *a, void *p, size_t old_size, size_t new_size) {
  if (p == NULL) return df__arena_alloc(a, new_size);
  if (new_size <= old_size) return p;
  df__chunk *c = a->cur;
  if (p == a->last && c != NULL) { /* grow in place when it is the newest allocation */
    size_t start = (size_t)((char *)p - (char *)(c + 1));
    size_t need = (new_size + (DF__ALIGN - 1)) & ~(size_t)(DF__ALIGN - 1);
    if (need >= new_size && need <= c->cap - start) {
      c->used = start + need;
      return p;
    }
  }
  void *q = df__arena_alloc(a, new_size);
  memcpy(q, p, old_size);
  return q;
}
#endif /* DATAFLARE_ARENA_DEBUG */

/* Per-call arena: valid until the next call into the instance. Never returns NULL. */
DF_API void *df_arena_alloc(size_t size) { return df__arena_alloc(&df__g.call, size); }
DF_API void *df_arena_calloc(size_t n, size_t size) {
  if (size != 0 && n > SIZE_MAX / size) df__oom(SIZE_MAX);
  void *p = df__arena_alloc(&df__g.call, n * size);
  memset(p, 0, n * size);
  return p;
}
DF_API void *df_arena_realloc(void *p, size_t old_size, size_t new_size) {
  return df__arena_realloc(&df__g.call, p, old_size, new_size);
}
DF_API char *df_arena_strndup(const char *s, size_t n) {
  char *p = (char *)df__arena_alloc(&df__g.call, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}
DF_API char *df_arena_strdup(const char *s) { return df_arena_strndup(s, strlen(s)); }
DF_API char *df_arena_vsprintf(size_t *len_out, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) n = 0;
  char *p = (char *)df__arena_alloc(&df__g.call, (size_t)n + 1);
  if ((size_t)n < sizeof small) memcpy(p, small, (size_t)n + 1);
  else vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  if (len_out) *len_out = (size_t)n;
  return p;
}
DF_API DF_PRINTF(1, 2) char *df_arena_sprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *p = df_arena_vsprintf(NULL, fmt, ap);
  va_end(ap);
  return p;
}

/* ------------------------------------------------------------------------------------------ */
/* Errors, logging, metrics                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Store a message for dataflare_last_error and return `code` (use: return df_error(...);). */
DF_API DF_PRINTF(2, 3) int df_error(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = 0;
  df__g.error = df_arena_vsprintf(&n, fmt, ap);
  df__g.error_len = n;
  va_end(ap);
  return code;
}

DF_API DF_PRINTF(2, 3) void df_log(int level, const char *fmt, ...) {
  char small[512];
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) n = 0;
  if ((size_t)n < sizeof small) {
    df__host_log(level, small, n);
  } else {
    char *p = (char *)malloc((size_t)n + 1);
    if (p) {
      vsnprintf(p, (size_t)n + 1, fmt, ap2);
      df__host_log(level, p, n);
      free(p);
    } else {
      df__host_log(level, small, (int32_t)sizeof small - 1);
    }
  }
  va_end(ap2);
  va_end(ap);
}
#define df_log_trace(...) df_log(DF_LOG_TRACE, __VA_ARGS__)
#define df_log_debug(...) df_log(DF_LOG_DEBUG, __VA_ARGS__)
#define df_log_info(...) df_log(DF_LOG_INFO, __VA_ARGS__)
#define df_log_warn(...) df_log(DF_LOG_WARN, __VA_ARGS__)
#define df_log_error(...) df_log(DF_LOG_ERROR, __VA_ARGS__)

DF_INLINE void df_counter_add(const char *name, int64_t value) {
  df__host_counter_add(name, (int32_t)strlen(name), value);
}
DF_INLINE void df_histogram_record(const char *name, double value) {
  df__host_histogram_record(name, (int32_t)strlen(name), value);
}

/* ------------------------------------------------------------------------------------------ */
/* JSON reader (config)                                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef enum df_json_type {
  DF_JSON_NULL = 0,
  DF_JSON_BOOL,
  DF_JSON_NUMBER,
  DF_JSON_STRING,
  DF_JSON_ARRAY,
  DF_JSON_OBJECT
} df_json_type;

typedef struct df_json {
  df_json_type type;
  int boolean;             /* DF_JSON_BOOL */
  double number;           /* DF_JSON_NUMBER (strtod of the literal) */
  int is_int;              /* number literal without fraction/exponent, in [-2^63, 2^64-1] */
  int fits_int64;          /* is_int and in int64 range: int64_value valid */
  int fits_uint64;         /* is_int and >= 0: uint64_value valid */
  int64_t int64_value;
  uint64_t uint64_value;
  const char *string;      /* DF_JSON_STRING: unescaped, NUL-terminated (may hold \u0000) */
  size_t string_len;
  size_t count;            /* DF_JSON_ARRAY / DF_JSON_OBJECT: number of items / members */
  struct df_json *items;   /* array items / object member values */
  const char **keys;       /* object member names (unescaped, NUL-terminated) */
  size_t *key_lens;
} df_json;

DF_INLINE const char *df_json_type_name(const df_json *v) {
  static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
  return v ? names[v->type] : "missing";
}
DF_INLINE int df_json_is_object(const df_json *v) { return v && v->type == DF_JSON_OBJECT; }
DF_INLINE int df_json_is_array(const df_json *v) { return v && v->type == DF_JSON_ARRAY; }
DF_INLINE int df_json_is_string(const df_json *v) { return v && v->type == DF_JSON_STRING; }
DF_INLINE int df_json_is_number(const df_json *v) { return v && v->type == DF_JSON_NUMBER; }
DF_INLINE int df_json_is_bool(const df_json *v) { return v && v->type == DF_JSON_BOOL; }
DF_INLINE int df_json_is_null(const df_json *v) { return v && v->type == DF_JSON_NULL; }
DF_INLINE size_t df_json_len(const df_json *v) {
  return (v && (v->type == DF_JSON_ARRAY || v->type == DF_JSON_OBJECT)) ? v->count : 0;
}
/* Array item i, or NULL. */
DF_INLINE const df_json *df_json_at(const df_json *v, size_t i) {
  return (df_json_is_array(v) && i < v->count) ? &v->items[i] : NULL;
}
/* Object member by name (the last one if repeated), or NULL if v is no object or lacks it. */
DF_API const df_json *df_json_get(const df_json *v, const char *key) {
  if (!df_json_is_object(v)) return NULL;
  size_t kl = strlen(key);
  for (size_t i = v->count; i-- > 0;)
    if (v->key_lens[i] == kl && memcmp(v->keys[i], key, kl) == 0) return &v->items[i];
  return NULL;
}
/* The string, or NULL if v is not a string. */
DF_INLINE const char *df_json_string(const df_json *v) {
  return df_json_is_string(v) ? v->string : NULL;
}
/* 1 and *out set if v is an integer literal in int64 range; else 0. */
DF_INLINE int df_json_int64(const df_json *v, int64_t *out) {
  if (!df_json_is_number(v) || !v->fits_int64) return 0;
  *out = v->int64_value;
  return 1;
}
/* 1 and *out set if v is an integer literal in uint64 range; else 0. */
DF_INLINE int df_json_uint64(const df_json *v, uint64_t *out) {
  if (!df_json_is_number(v) || !v->fits_uint64) return 0;
  *out = v->uint64_value;
  return 1;
}
/* 1 and *out set if v is a number; else 0. */
DF_INLINE int df_json_double(const df_json *v, double *out) {
  if (!df_json_is_number(v)) return 0;
  *out = v->number;
  return 1;
}
/* The first member name of object v that is not in the NULL-terminated list `allowed`, or NULL.
 * For strict configs: const char *k = df_json_unknown_key(cfg, (const char*[]){"a","b",NULL}); */
DF_API const char *df_json_unknown_key(const df_json *v, const char *const *allowed) {
  if (!df_json_is_object(v)) return NULL;
  for (size_t i = 0; i < v->count; i++) {
    int ok = 0;
    for (const char *const *a = allowed; *a; a++)
      if (strlen(*a) == v->key_lens[i] && memcmp(*a, v->keys[i], v->key_lens[i]) == 0) { ok = 1; break; }
    if (!ok) return v->keys[i];
  }
  return NULL;
}

typedef struct df__jp {
  const char *start, *p, *end;
  df__arena *arena;
  char *err;
  size_t err_size;
  int depth;
} df__jp;

#define DF__JSON_MAX_DEPTH 64

DF_API int df__jp_fail(df__jp *jp, const char *what) {
  if (jp->err && jp->err[0] == 0)
    snprintf(jp->err, jp->err_size, "%s at byte %ld", what, (long)(jp->p - jp->start));
  return -1;
}

DF_INLINE void df__jp_ws(df__jp *jp) {
  while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
    jp->p++;
}

DF_API int df__jp_hex4(df__jp *jp, uint32_t *out) {
  if (jp->end - jp->p < 4) return df__jp_fail(jp, "truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = jp->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return df__jp_fail(jp, "bad \\u escape");
  }
  jp->p += 4;
  *out = v;
  return 0;
}

/* At the opening quote. Decodes into the arena (decoded length <= raw length). */
DF_API int df__jp_string(df__jp *jp, const char **out, size_t *out_len) {
  jp->p++; /* opening quote */
  const char *q = jp->p;
  while (q < jp->end && *q != '"') q += (*q == '\\') ? 2 : 1;
  if (q >= jp->end) return df__jp_fail(jp, "unterminated string");
  char *dst = (char *)df__arena_alloc(jp->arena, (size_t)(q - jp->p) + 1);
  size_t n = 0;
  while (jp->p < jp->end) {
    unsigned char c = (unsigned char)*jp->p;
    if (c == '"') {
      jp->p++;
      dst[n] = 0;
      *out = dst;
      *out_len = n;
      return 0;
    }
    if (c < 0x20) return df__jp_fail(jp, "control character in string");
    if (c != '\\') {
      dst[n++] = (char)c;
      jp->p++;
      continue;
    }
    jp->p++;
    if (jp->p >= jp->end) break;
    char e = *jp->p++;
    switch (e) {
      case '"': dst[n++] = '"'; break;
      case '\\': dst[n++] = '\\'; break;
      case '/': dst[n++] = '/'; break;
      case 'b': dst[n++] = '\b'; break;
      case 'f': dst[n++] = '\f'; break;
      case 'n': dst[n++] = '\n'; break;
      case 'r': dst[n++] = '\r'; break;
      case 't': dst[n++] = '\t'; break;
      case 'u': {
        uint32_t cp;
        if (df__jp_hex4(jp, &cp)) return -1;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (jp->end - jp->p < 2 || jp->p[0] != '\\' || jp->p[1] != 'u')
            return df__jp_fail(jp, "unpaired surrogate in \\u escape");
          jp->p += 2;
          if (df__jp_hex4(jp, &lo)) return -1;
          if (lo < 0xDC00 || lo > 0xDFFF) return df__jp_fail(jp, "unpaired surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return df__jp_fail(jp, "unpaired surrogate in \\u escape");
        }
        /* UTF-8 never needs more bytes than the escape it replaces (6 or 12). */
        if (cp < 0x80) {
          dst[n++] = (char)cp;
        } else if (cp < 0x800) {
          dst[n++] = (char)(0xC0 | (cp >> 6));
          dst[n++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
          dst[n++] = (char)(0xE0 | (cp >> 12));
          dst[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
          dst[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
          dst[n++] = (char)(0xF0 | (cp >> 18));
          dst[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
          dst[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
          dst[n++] = (char)(0x80 | (cp & 0x3F));
        }
        break;
      }
      default: jp->p--; return df__jp_fail(jp, "bad escape in string");
    }
  }
  return df__jp_fail(jp, "unterminated string");
}

DF_API int df__jp_number(df__jp *jp, df_json *v) {
  const char *s = jp->p;
  const char *q = s;
  int neg = 0, integral = 1;
  if (q < jp->end && *q == '-') { neg = 1; q++; }
  if (q >= jp->end || *q < '0' || *q > '9') return df__jp_fail(jp, "bad number");
  if (*q == '0') {
    q++;
  } else {
    while (q < jp->end && *q >= '0' && *q <= '9') q++;
  }
  const char *int_end = q;
  if (q < jp->end && *q == '.') {
    integral = 0;
    q++;
    if (q >= jp->end || *q < '0' || *q > '9') { jp->p = q; return df__jp_fail(jp, "bad number"); }
    while (q < jp->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < jp->end && (*q == 'e' || *q == 'E')) {
    integral = 0;
    q++;
    if (q < jp->end && (*q == '+' || *q == '-')) q++;
    if (q >= jp->end || *q < '0' || *q > '9') { jp->p = q; return df__jp_fail(jp, "bad number"); }
    while (q < jp->end && *q >= '0' && *q <= '9') q++;
  }
  size_t len = (size_t)(q - s);
  char small[64];
  char *buf = len < sizeof small ? small : (char *)df__arena_alloc(jp->arena, len + 1);
  memcpy(buf, s, len);
  buf[len] = 0;
  v->type = DF_JSON_NUMBER;
  v->number = strtod(buf, NULL);
  if (integral) {
    uint64_t mag = 0;
    int overflow = 0;
    for (const char *d = s + neg; d < int_end; d++) {
      uint64_t digit = (uint64_t)(*d - '0');
      if (mag > (UINT64_MAX - digit) / 10) { overflow = 1; break; }
      mag = mag * 10 + digit;
    }
    if (!overflow) {
      if (neg) {
        if (mag <= (uint64_t)INT64_MAX + 1) {
          v->is_int = v->fits_int64 = 1;
          v->int64_value = (int64_t)(0 - mag);
          if (mag == 0) v->fits_uint64 = 1; /* -0 */
        }
      } else {
        v->is_int = v->fits_uint64 = 1;
        v->uint64_value = mag;
        if (mag <= (uint64_t)INT64_MAX) {
          v->fits_int64 = 1;
          v->int64_value = (int64_t)mag;
        }
      }
    }
  }
  jp->p = q;
  return 0;
}

DF_API int df__jp_value(df__jp *jp, df_json *v);

/* Array or object (at '[' or '{'). Children are collected in a malloc'd vector, then copied. */
DF_API int df__jp_container(df__jp *jp, df_json *v, int is_object) {
  char close = is_object ? '}' : ']';
  if (++jp->depth > DF__JSON_MAX_DEPTH) return df__jp_fail(jp, "nesting too deep");
  jp->p++;
  size_t n = 0, cap = 0;
  df_json *items = NULL;
  const char **keys = NULL;
  size_t *key_lens = NULL;
  int rc = 0;
  df__jp_ws(jp);
  if (jp->p < jp->end && *jp->p == close) {
    jp->p++;
  } else {
    for (;;) {
      if (n == cap) {
        cap = cap ? cap * 2 : 8;
        df_json *ni = (df_json *)realloc(items, cap * sizeof *items);
        const char **nk = (const char **)realloc(keys, cap * sizeof *keys);
        size_t *nl = (size_t *)realloc(key_lens, cap * sizeof *key_lens);
        if (ni) items = ni;
        if (nk) keys = nk;
        if (nl) key_lens = nl;
        if (!ni || !nk || !nl) df__oom(cap * sizeof *items);
      }
      df__jp_ws(jp);
      if (is_object) {
        if (jp->p >= jp->end || *jp->p != '"') { rc = df__jp_fail(jp, "expected a member name"); break; }
        if ((rc = df__jp_string(jp, &keys[n], &key_lens[n])) != 0) break;
        df__jp_ws(jp);
        if (jp->p >= jp->end || *jp->p != ':') { rc = df__jp_fail(jp, "expected ':'"); break; }
        jp->p++;
      }
      memset(&items[n], 0, sizeof items[n]);
      if ((rc = df__jp_value(jp, &items[n])) != 0) break;
      n++;
      df__jp_ws(jp);
      if (jp->p < jp->end && *jp->p == ',') { jp->p++; continue; }
      if (jp->p < jp->end && *jp->p == close) { jp->p++; break; }
      rc = df__jp_fail(jp, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
      break;
    }
  }
  if (rc == 0) {
    v->type = is_object ? DF_JSON_OBJECT : DF_JSON_ARRAY;
    v->count = n;
    v->items = (df_json *)df__arena_alloc(jp->arena, n * sizeof *items + 1);
    if (n) memcpy(v->items, items, n * sizeof *items);
    if (is_object) {
      v->keys = (const char **)df__arena_alloc(jp->arena, n * sizeof *keys + 1);
      v->key_lens = (size_t *)df__arena_alloc(jp->arena, n * sizeof *key_lens + 1);
      if (n) {
        memcpy(v->keys, keys, n * sizeof *keys);
        memcpy(v->key_lens, key_lens, n * sizeof *key_lens);
      }
    }
  }
  free(items);
  free(keys);
  free(key_lens);
  jp->depth--;
  return rc;
}

DF_API int df__jp_value(df__jp *jp, df_json *v) {
  df__jp_ws(jp);
  if (jp->p >= jp->end) return df__jp_fail(jp, "unexpected end of input");
  switch (*jp->p) {
    case '{': return df__jp_container(jp, v, 1);
    case '[': return df__jp_container(jp, v, 0);
    case '"':
      v->type = DF_JSON_STRING;
      return df__jp_string(jp, &v->string, &v->string_len);
    case 't':
      if (jp->end - jp->p >= 4 && memcmp(jp->p, "true", 4) == 0) {
        jp->p += 4; v->type = DF_JSON_BOOL; v->boolean = 1; return 0;
      }
      break;
    case 'f':
      if (jp->end - jp->p >= 5 && memcmp(jp->p, "false", 5) == 0) {
        jp->p += 5; v->type = DF_JSON_BOOL; v->boolean = 0; return 0;
      }
      break;
    case 'n':
      if (jp->end - jp->p >= 4 && memcmp(jp->p, "null", 4) == 0) {
        jp->p += 4; v->type = DF_JSON_NULL; return 0;
      }
      break;
    default:
      if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')) return df__jp_number(jp, v);
  }
  return df__jp_fail(jp, "unexpected character");
}

/* Parse `len` bytes of JSON into the persistent config arena. Returns NULL and fills `err`
 * (if given) on a syntax error. Plugins normally get the parsed config from init. */
DF_API df_json *df_json_parse(const char *text, size_t len, char *err, size_t err_size) {
  if (err && err_size) err[0] = 0;
  df__jp jp = {text, text, text + len, &df__g.perm, err, err_size, 0};
  df_json *root = (df_json *)df__arena_alloc(&df__g.perm, sizeof(df_json));
  memset(root, 0, sizeof *root);
  if (df__jp_value(&jp, root) != 0) return NULL;
  df__jp_ws(&jp);
  if (jp.p != jp.end) {
    df__jp_fail(&jp, "trailing characters after the JSON value");
    return NULL;
  }
  return root;
}

/* ------------------------------------------------------------------------------------------ */
/* Input: batch and column views                                                               */
/* ------------------------------------------------------------------------------------------ */

typedef struct df_column {
  const char *name;
  const char *format;        /* Arrow format string */
  df_type type;
  df_time_unit unit;         /* DF_TYPE_TIMESTAMP */
  const char *timezone;      /* DF_TYPE_TIMESTAMP: "" when none */
  int64_t length;
  int64_t null_count;        /* exact for host input; -1 = unknown */
  int64_t offset;            /* element j is element offset + j of every buffer */
  const uint8_t *validity;   /* NULL = no nulls */
  const void *values;        /* buffers[1] (values, bits or offsets), NOT offset-adjusted */
  const uint8_t *data;       /* buffers[2] of var-width types */
  const struct ArrowSchema *schema;
  const struct ArrowArray *array;
} df_column;

typedef struct df_batch {
  int64_t num_rows;
  int64_t num_columns;
  const df_column *columns;
  const struct ArrowSchema *schema;
  const struct ArrowArray *array;
} df_batch;

DF_INLINE int df_bit(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }
DF_INLINE void df_bit_set(uint8_t *bits, int64_t i) { bits[i >> 3] |= (uint8_t)(1u << (i & 7)); }
DF_INLINE void df_bit_clear(uint8_t *bits, int64_t i) { bits[i >> 3] &= (uint8_t)~(1u << (i & 7)); }

/* Column i (0-based), or NULL if out of range. */
DF_INLINE const df_column *df_batch_column(const df_batch *b, int64_t i) {
  return (i >= 0 && i < b->num_columns) ? &b->columns[i] : NULL;
}
/* First column named `name`, or NULL. */
DF_API const df_column *df_batch_find(const df_batch *b, const char *name) {
  for (int64_t i = 0; i < b->num_columns; i++)
    if (b->columns[i].name && strcmp(b->columns[i].name, name) == 0) return &b->columns[i];
  return NULL;
}

DF_INLINE int df_col_is_valid(const df_column *c, int64_t i) {
  return c->type != DF_TYPE_NULL && (c->validity == NULL || df_bit(c->validity, c->offset + i));
}
DF_INLINE int df_col_is_null(const df_column *c, int64_t i) { return !df_col_is_valid(c, i); }
DF_INLINE int df_col_has_nulls(const df_column *c) {
  return c->type == DF_TYPE_NULL ? c->length > 0 : (c->validity != NULL && c->null_count != 0);
}

/* Typed value pointers: element j is p[j] (the column's offset is already applied). */
#define DF__COL_VALUES(c, T) ((const T *)(c)->values + (c)->offset)
DF_INLINE const int8_t *df_col_i8(const df_column *c) { return DF__COL_VALUES(c, int8_t); }
DF_INLINE const int16_t *df_col_i16(const df_column *c) { return DF__COL_VALUES(c, int16_t); }
DF_INLINE const int32_t *df_col_i32(const df_column *c) { return DF__COL_VALUES(c, int32_t); }
DF_INLINE const int64_t *df_col_i64(const df_column *c) { return DF__COL_VALUES(c, int64_t); }
DF_INLINE const uint8_t *df_col_u8(const df_column *c) { return DF__COL_VALUES(c, uint8_t); }
DF_INLINE const uint16_t *df_col_u16(const df_column *c) { return DF__COL_VALUES(c, uint16_t); }
DF_INLINE const uint32_t *df_col_u32(const df_column *c) { return DF__COL_VALUES(c, uint32_t); }
DF_INLINE const uint64_t *df_col_u64(const df_column *c) { return DF__COL_VALUES(c, uint64_t); }
DF_INLINE const float *df_col_f32(const df_column *c) { return DF__COL_VALUES(c, float); }
DF_INLINE const double *df_col_f64(const df_column *c) { return DF__COL_VALUES(c, double); }
DF_INLINE const int32_t *df_col_date32(const df_column *c) { return DF__COL_VALUES(c, int32_t); }
DF_INLINE const int64_t *df_col_timestamp(const df_column *c) { return DF__COL_VALUES(c, int64_t); }

/* Bool column: value of element i (0/1). */
DF_INLINE int df_col_bool(const df_column *c, int64_t i) {
  return df_bit((const uint8_t *)c->values, c->offset + i);
}

/* Var-width columns (utf8, large_utf8, binary, large_binary): bytes of element i and its length.
 * Not NUL-terminated. A null element has length 0. */
DF_INLINE const uint8_t *df_col_bytes(const df_column *c, int64_t i, size_t *len) {
  int64_t k = c->offset + i;
  int64_t a, b;
  if (df_type_is_large(c->type)) {
    a = ((const int64_t *)c->values)[k];
    b = ((const int64_t *)c->values)[k + 1];
  } else {
    a = ((const int32_t *)c->values)[k];
    b = ((const int32_t *)c->values)[k + 1];
  }
  *len = (size_t)(b - a);
  return c->data + a;
}
DF_INLINE const char *df_col_str(const df_column *c, int64_t i, size_t *len) {
  return (const char *)df_col_bytes(c, i, len);
}
/* Var-width columns: the byte range [*start, *end) of the data buffer this column references. */
DF_INLINE void df_col_data_range(const df_column *c, int64_t *start, int64_t *end) {
  if (df_type_is_large(c->type)) {
    *start = ((const int64_t *)c->values)[c->offset];
    *end = ((const int64_t *)c->values)[c->offset + c->length];
  } else {
    *start = ((const int32_t *)c->values)[c->offset];
    *end = ((const int32_t *)c->values)[c->offset + c->length];
  }
}

/* double -> int64 saturating like Rust's `as`: NaN -> 0, out of range -> INT64_MIN/INT64_MAX. */
DF_INLINE int64_t df_f64_to_i64(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775808.0) return INT64_MAX;
  if (v < -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}

/* Element i of any integer, bool, date32 or timestamp column as int64 (uint64 wraps; floats
 * truncate toward zero, saturating, see df_f64_to_i64). */
DF_API int64_t df_col_get_i64(const df_column *c, int64_t i) {
  int64_t k = c->offset + i;
  switch (c->type) {
    case DF_TYPE_BOOL: return df_col_bool(c, i);
    case DF_TYPE_INT8: return ((const int8_t *)c->values)[k];
    case DF_TYPE_INT16: return ((const int16_t *)c->values)[k];
    case DF_TYPE_INT32: case DF_TYPE_DATE32: return ((const int32_t *)c->values)[k];
    case DF_TYPE_INT64: case DF_TYPE_TIMESTAMP: return ((const int64_t *)c->values)[k];
    case DF_TYPE_UINT8: return ((const uint8_t *)c->values)[k];
    case DF_TYPE_UINT16: return ((const uint16_t *)c->values)[k];
    case DF_TYPE_UINT32: return ((const uint32_t *)c->values)[k];
    case DF_TYPE_UINT64: return (int64_t)((const uint64_t *)c->values)[k];
    case DF_TYPE_FLOAT32: return df_f64_to_i64(((const float *)c->values)[k]);
    case DF_TYPE_FLOAT64: return df_f64_to_i64(((const double *)c->values)[k]);
    default: return 0;
  }
}
/* Element i of any numeric (or bool/date32/timestamp) column as double. */
DF_API double df_col_get_f64(const df_column *c, int64_t i) {
  int64_t k = c->offset + i;
  switch (c->type) {
    case DF_TYPE_FLOAT32: return ((const float *)c->values)[k];
    case DF_TYPE_FLOAT64: return ((const double *)c->values)[k];
    case DF_TYPE_UINT64: return (double)((const uint64_t *)c->values)[k];
    default: return (double)df_col_get_i64(c, i);
  }
}

/* Parse an Arrow format string into type (+ unit and timezone for timestamps). */
DF_API df_type df_parse_format(const char *f, df_time_unit *unit, const char **tz) {
  if (f == NULL || f[0] == 0) return DF_TYPE_UNSUPPORTED;
  if (f[1] == 0) {
    switch (f[0]) {
      case 'n': return DF_TYPE_NULL;
      case 'b': return DF_TYPE_BOOL;
      case 'c': return DF_TYPE_INT8;
      case 's': return DF_TYPE_INT16;
      case 'i': return DF_TYPE_INT32;
      case 'l': return DF_TYPE_INT64;
      case 'C': return DF_TYPE_UINT8;
      case 'S': return DF_TYPE_UINT16;
      case 'I': return DF_TYPE_UINT32;
      case 'L': return DF_TYPE_UINT64;
      case 'f': return DF_TYPE_FLOAT32;
      case 'g': return DF_TYPE_FLOAT64;
      case 'u': return DF_TYPE_UTF8;
      case 'U': return DF_TYPE_LARGE_UTF8;
      case 'z': return DF_TYPE_BINARY;
      case 'Z': return DF_TYPE_LARGE_BINARY;
      default: return DF_TYPE_UNSUPPORTED;
    }
  }
  if (strcmp(f, "tdD") == 0) return DF_TYPE_DATE32;
  if (f[0] == 't' && f[1] == 's' && f[2] != 0 && f[3] == ':') {
    df_time_unit u;
    switch (f[2]) {
      case 's': u = DF_TIME_SECOND; break;
      case 'm': u = DF_TIME_MILLI; break;
      case 'u': u = DF_TIME_MICRO; break;
      case 'n': u = DF_TIME_NANO; break;
      default: return DF_TYPE_UNSUPPORTED;
    }
    if (unit) *unit = u;
    if (tz) *tz = f + 4;
    return DF_TYPE_TIMESTAMP;
  }
  return DF_TYPE_UNSUPPORTED;
}

/* Number of buffers an array of type t has in the C Data Interface. */
DF_INLINE int df__n_buffers(df_type t) {
  if (t == DF_TYPE_NULL) return 0;
  if (df_type_is_var_width(t)) return 3;
  return 2;
}

/* Build the column views of a host batch (in the call arena). 0 or a negative status. */
DF_API int df__import_batch(const struct ArrowSchema *s, const struct ArrowArray *a, df_batch *b) {
  memset(b, 0, sizeof *b);
  b->schema = s;
  b->array = a;
  if (s == NULL || a == NULL)
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "input batch is missing");
  if (s->format == NULL || strcmp(s->format, "+s") != 0)
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "input batch format is '%s', expected '+s'",
                    s->format ? s->format : "(null)");
  if (s->n_children != a->n_children || s->n_children < 0)
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA,
                    "input batch has %lld schema children but %lld array children",
                    (long long)s->n_children, (long long)a->n_children);
  b->num_rows = a->length;
  b->num_columns = s->n_children;
  df_column *cols = (df_column *)df_arena_calloc((size_t)s->n_children + 1, sizeof(df_column));
  for (int64_t i = 0; i < s->n_children; i++) {
    const struct ArrowSchema *cs = s->children[i];
    const struct ArrowArray *ca = a->children[i];
    df_column *c = &cols[i];
    c->schema = cs;
    c->array = ca;
    c->name = cs->name ? cs->name : "";
    c->format = cs->format ? cs->format : "";
    c->timezone = "";
    c->type = df_parse_format(cs->format, &c->unit, &c->timezone);
    c->length = ca->length;
    c->null_count = ca->null_count;
    c->offset = ca->offset;
    if (ca->length != a->length)
      return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "input column '%s' has %lld rows, batch %lld",
                      c->name, (long long)ca->length, (long long)a->length);
    if (c->type != DF_TYPE_UNSUPPORTED && ca->n_buffers != df__n_buffers(c->type))
      return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "input column '%s' (%s) has %lld buffers",
                      c->name, df_type_name(c->type), (long long)ca->n_buffers);
    if (c->type == DF_TYPE_NULL) {
      c->null_count = c->length;
    } else if (ca->n_buffers >= 1) {
      c->validity = (const uint8_t *)ca->buffers[0];
      if (c->null_count == 0) c->validity = NULL;
    }
    if (ca->n_buffers >= 2) c->values = ca->buffers[1];
    if (ca->n_buffers >= 3) c->data = (const uint8_t *)ca->buffers[2];
  }
  b->columns = cols;
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Output: batch under construction and column builders                                        */
/* ------------------------------------------------------------------------------------------ */

/* Row indices into the input (a "selection vector"), e.g. the rows a filter keeps. */
typedef struct df_selection {
  uint32_t *indices;
  int64_t length;
  int64_t capacity;
} df_selection;

/* A selection with room for `capacity` indices (grows if needed), in the call arena. */
DF_API df_selection *df_selection_new(int64_t capacity) {
  df_selection *s = (df_selection *)df_arena_alloc(sizeof *s);
  if (capacity < 8) capacity = 8;
  s->indices = (uint32_t *)df_arena_alloc((size_t)capacity * sizeof(uint32_t));
  s->length = 0;
  s->capacity = capacity;
  return s;
}
DF_INLINE void df_selection_push(df_selection *s, int64_t row) {
  if (s->length == s->capacity) {
    s->indices = (uint32_t *)df_arena_realloc(s->indices, (size_t)s->capacity * sizeof(uint32_t),
                                              (size_t)s->capacity * 2 * sizeof(uint32_t));
    s->capacity *= 2;
  }
  s->indices[s->length++] = (uint32_t)row;
}

enum { DF__B_PASS = 1, DF__B_FIXED, DF__B_APPEND, DF__B_NULL, DF__B_INVALID };

typedef struct df_builder {
  const char *name;
  df_type type;
  df_time_unit unit;        /* DF_TYPE_TIMESTAMP */
  const char *timezone;     /* DF_TYPE_TIMESTAMP */
  const char *format;
  int kind;                 /* DF__B_* */
  int64_t length;           /* fixed width: rows; var width: values appended so far */
  int64_t offset;           /* logical offset into the buffers (0 unless copied/passed) */
  int64_t null_count;       /* -1 = unknown */
  uint8_t *validity;        /* NULL = all valid */
  int validity_shared;      /* validity points at input memory: copied before a write */
  void *values;             /* fixed width: values / bits; var width: offsets (i32 or i64) */
  uint8_t *data;            /* var width: bytes */
  int64_t data_len, data_cap, rows_cap;
  int64_t pending_start;    /* var width: -1, or start of the value being built (extend/commit) */
  const df_column *source;  /* DF__B_PASS */
  struct df_output *out;
} df_builder;

typedef struct df_output {
  int64_t num_rows;
  int64_t num_columns;
  df_builder **columns;
  int64_t capacity;
  const char *error;        /* first misuse, reported when the call returns */
} df_output;

DF_API DF_PRINTF(2, 3) void df__out_fail(df_output *o, const char *fmt, ...) {
  if (o->error) return;
  va_list ap;
  va_start(ap, fmt);
  o->error = df_arena_vsprintf(NULL, fmt, ap);
  va_end(ap);
}

/* (Re)start the output batch with `num_rows` rows and no columns. process() starts with the
 * input's row count, finish()/read() with 0: call this when the output has another length. */
DF_API void df_out_begin(df_output *o, int64_t num_rows) {
  o->num_rows = num_rows < 0 ? 0 : num_rows;
  o->num_columns = 0;
  o->error = NULL;
}

DF_API df_builder *df__out_push(df_output *o, const char *name, df_type type, int kind) {
  if (o->num_columns == o->capacity) {
    int64_t cap = o->capacity ? o->capacity * 2 : 16;
    o->columns = (df_builder **)df_arena_realloc(o->columns, (size_t)o->capacity * sizeof(df_builder *),
                                                 (size_t)cap * sizeof(df_builder *));
    o->capacity = cap;
  }
  df_builder *b = (df_builder *)df_arena_calloc(1, sizeof *b);
  b->name = df_arena_strdup(name ? name : "");
  b->type = type;
  b->kind = kind;
  b->timezone = "";
  b->pending_start = -1;
  b->out = o;
  o->columns[o->num_columns++] = b;
  return b;
}

DF_INLINE size_t df__bitmap_bytes(int64_t bits) { return (size_t)((bits + 7) >> 3); }

/* Copy n bits from src (starting at bit src_off) to dst (starting at bit dst_off). */
DF_API void df_copy_bits(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off, int64_t n) {
  if (n <= 0) return;
  if (((dst_off | src_off) & 7) == 0) {
    int64_t full = n >> 3;
    memcpy(dst + (dst_off >> 3), src + (src_off >> 3), (size_t)full);
    for (int64_t i = full << 3; i < n; i++) {
      if (df_bit(src, src_off + i)) df_bit_set(dst, dst_off + i);
      else df_bit_clear(dst, dst_off + i);
    }
    return;
  }
  if ((dst_off & 7) == 0) { /* byte-aligned destination: shift source bytes */
    const uint8_t *s = src + (src_off >> 3);
    int sh = (int)(src_off & 7);
    uint8_t *d = dst + (dst_off >> 3);
    int64_t full = n >> 3;
    /* byte k needs source bits [8k+sh, 8k+sh+8): the high ones lie in s[k+1], which holds a
     * bit of the range (8k+7+sh < n+sh since 8k+8 <= n), so it is inside the buffer */
    for (int64_t k = 0; k < full; k++) d[k] = (uint8_t)((s[k] >> sh) | (s[k + 1] << (8 - sh)));
    for (int64_t i = full << 3; i < n; i++) {
      if (df_bit(src, src_off + i)) df_bit_set(dst, dst_off + i);
      else df_bit_clear(dst, dst_off + i);
    }
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    if (df_bit(src, src_off + i)) df_bit_set(dst, dst_off + i);
    else df_bit_clear(dst, dst_off + i);
  }
}

/* memcpy for the many short values of var-width columns: below 32 bytes, fixed-size (possibly
 * overlapping) loads and stores; a variable-length memcpy becomes a memory.copy, which wasmtime
 * runs as a call out of wasm, far slower for a few bytes. */
DF_INLINE void df__copy_bytes(uint8_t *dst, const uint8_t *src, size_t n) {
  if (n >= 32) {
    memcpy(dst, src, n);
  } else if (n >= 16) {
    uint64_t a, b, c, d;
    __builtin_memcpy(&a, src, 8);
    __builtin_memcpy(&b, src + 8, 8);
    __builtin_memcpy(&c, src + n - 16, 8);
    __builtin_memcpy(&d, src + n - 8, 8);
    __builtin_memcpy(dst, &a, 8);
    __builtin_memcpy(dst + 8, &b, 8);
    __builtin_memcpy(dst + n - 16, &c, 8);
    __builtin_memcpy(dst + n - 8, &d, 8);
  } else if (n >= 8) {
    uint64_t a, b;
    __builtin_memcpy(&a, src, 8);
    __builtin_memcpy(&b, src + n - 8, 8);
    __builtin_memcpy(dst, &a, 8);
    __builtin_memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    __builtin_memcpy(&a, src, 4);
    __builtin_memcpy(&b, src + n - 4, 4);
    __builtin_memcpy(dst, &a, 4);
    __builtin_memcpy(dst + n - 4, &b, 4);
  } else if (n > 0) {
    dst[0] = src[0];
    dst[n >> 1] = src[n >> 1];
    dst[n - 1] = src[n - 1];
  }
}

/* Count of zero bits in bits[off, off+n). */
DF_API int64_t df_count_zero_bits(const uint8_t *bits, int64_t off, int64_t n) {
  int64_t ones = 0, i = 0;
  while (i < n && ((off + i) & 7)) ones += df_bit(bits, off + i), i++;
  const uint8_t *p = bits + ((off + i) >> 3);
  for (; i + 64 <= n; i += 64, p += 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    ones += __builtin_popcountll(w);
  }
  for (; i + 8 <= n; i += 8, p++) ones += __builtin_popcount(*p);
  for (; i < n; i++) ones += df_bit(bits, off + i);
  return n - ones;
}

/* Pass an input column through unchanged and zero-copy (the host copies nothing for it). */
DF_API df_builder *df_out_pass_as(df_output *o, const df_column *c, const char *name) {
  df_builder *b = df__out_push(o, name, c->type, DF__B_PASS);
  b->source = c;
  b->format = c->format;
  b->unit = c->unit;
  b->timezone = c->timezone;
  b->length = c->length;
  b->offset = c->offset;
  b->null_count = c->null_count;
  if (c->length != o->num_rows)
    df__out_fail(o, "column '%s': passed through with %lld rows, output has %lld", b->name,
                 (long long)c->length, (long long)o->num_rows);
  return b;
}
DF_API df_builder *df_out_pass(df_output *o, const df_column *c) { return df_out_pass_as(o, c, c->name); }
/* Pass every input column through (the output must have the input's row count). */
DF_API void df_out_pass_all(df_output *o, const df_batch *in) {
  for (int64_t i = 0; i < in->num_columns; i++) df_out_pass(o, &in->columns[i]);
}

DF_API void df__builder_alloc_append(df_builder *b, int64_t rows) {
  int w = df_type_is_large(b->type) ? 8 : 4;
  b->rows_cap = rows < 16 ? 16 : rows;
  b->values = df_arena_alloc((size_t)(b->rows_cap + 1) * (size_t)w);
  if (w == 8) ((int64_t *)b->values)[0] = 0;
  else ((int32_t *)b->values)[0] = 0;
  b->data_cap = rows * 8 < 256 ? 256 : rows * 8;
  b->data = (uint8_t *)df_arena_alloc((size_t)b->data_cap);
}

static const char *const df__simple_formats[] = {
    [DF_TYPE_NULL] = "n",  [DF_TYPE_BOOL] = "b",    [DF_TYPE_INT8] = "c",    [DF_TYPE_INT16] = "s",
    [DF_TYPE_INT32] = "i", [DF_TYPE_INT64] = "l",   [DF_TYPE_UINT8] = "C",   [DF_TYPE_UINT16] = "S",
    [DF_TYPE_UINT32] = "I", [DF_TYPE_UINT64] = "L", [DF_TYPE_FLOAT32] = "f", [DF_TYPE_FLOAT64] = "g",
    [DF_TYPE_UTF8] = "u",  [DF_TYPE_LARGE_UTF8] = "U", [DF_TYPE_BINARY] = "z",
    [DF_TYPE_LARGE_BINARY] = "Z", [DF_TYPE_DATE32] = "tdD",
};

DF_API df_builder *df__out_new(df_output *o, const char *name, df_type type, df_time_unit unit,
                               const char *tz) {
  if (type == DF_TYPE_UNSUPPORTED || type > DF_TYPE_TIMESTAMP) {
    df_builder *b = df__out_push(o, name, DF_TYPE_NULL, DF__B_INVALID);
    df__out_fail(o, "column '%s': cannot build a column of an unsupported type", b->name);
    return b;
  }
  df_builder *b;
  if (type == DF_TYPE_NULL) {
    b = df__out_push(o, name, type, DF__B_NULL);
    b->length = o->num_rows;
    b->null_count = o->num_rows;
  } else if (df_type_is_var_width(type)) {
    b = df__out_push(o, name, type, DF__B_APPEND);
    df__builder_alloc_append(b, o->num_rows);
  } else {
    b = df__out_push(o, name, type, DF__B_FIXED);
    b->length = o->num_rows;
    size_t bytes = type == DF_TYPE_BOOL ? df__bitmap_bytes(o->num_rows)
                                        : (size_t)o->num_rows * (size_t)df_type_width(type);
    b->values = df_arena_calloc(bytes ? bytes : 1, 1);
  }
  if (type == DF_TYPE_TIMESTAMP) {
    static const char units[] = {'s', 'm', 'u', 'n'};
    b->unit = unit;
    b->timezone = df_arena_strdup(tz ? tz : "");
    b->format = df_arena_sprintf("ts%c:%s", units[unit & 3], b->timezone);
  } else {
    b->format = df__simple_formats[type];
  }
  return b;
}

/* New column of type `type` (not timestamp: see df_out_add_timestamp). Fixed-width columns
 * (numbers, bool, date32) have num_rows zeroed, valid values to write at random; var-width
 * columns (utf8, binary, large_*) start empty: append exactly num_rows values; null columns are
 * complete. */
DF_API df_builder *df_out_add(df_output *o, const char *name, df_type type) {
  return df__out_new(o, name, type, DF_TIME_MICRO, "");
}
DF_API df_builder *df_out_add_timestamp(df_output *o, const char *name, df_time_unit unit, const char *tz) {
  return df__out_new(o, name, DF_TYPE_TIMESTAMP, unit, tz);
}
/* New empty column with the same type (unit, timezone) as input column c. */
DF_API df_builder *df_out_add_like(df_output *o, const char *name, const df_column *c) {
  return df__out_new(o, name, c->type, c->unit, c->timezone);
}
/* The per-record error column `_dataflare_error` (utf8): append one value per output row, null
 * for good rows, the message for bad rows (the host routes those to the dead-letter output). */
DF_API df_builder *df_out_error_column(df_output *o) {
  return df_out_add(o, "_dataflare_error", DF_TYPE_UTF8);
}

/* A modifiable copy of input column c named `name`: values (fixed width, bool) or data bytes
 * (var width) are copied into the arena and may be changed in place through b->values / b->data;
 * validity and var-width offsets are shared with the input (zero-copy). */
DF_API df_builder *df_out_copy(df_output *o, const df_column *c, const char *name) {
  if (c->type == DF_TYPE_UNSUPPORTED) {
    df_builder *b = df__out_push(o, name, DF_TYPE_NULL, DF__B_INVALID);
    df__out_fail(o, "column '%s': cannot copy a column of type '%s'", b->name, c->format);
    return b;
  }
  df_builder *b = df__out_push(o, name, c->type, DF__B_FIXED);
  b->format = c->format;
  b->unit = c->unit;
  b->timezone = c->timezone;
  b->length = c->length;
  b->offset = c->offset;
  b->null_count = c->null_count;
  b->validity = (uint8_t *)c->validity;
  b->validity_shared = 1;
  if (c->length != o->num_rows)
    df__out_fail(o, "column '%s': copied with %lld rows, output has %lld", b->name,
                 (long long)c->length, (long long)o->num_rows);
  if (c->type == DF_TYPE_NULL) {
    b->kind = DF__B_NULL;
  } else if (df_type_is_var_width(c->type)) {
    int64_t start, end;
    df_col_data_range(c, &start, &end);
    b->values = (void *)c->values; /* shared offsets */
    b->data = (uint8_t *)df_arena_alloc(end > 0 ? (size_t)end : 1);
    if (end > 0) memcpy(b->data, c->data, (size_t)end);
    b->data_len = b->data_cap = end;
    b->kind = DF__B_FIXED; /* complete: no appends */
  } else {
    size_t bytes = c->type == DF_TYPE_BOOL ? df__bitmap_bytes(c->offset + c->length)
                                           : (size_t)(c->offset + c->length) * (size_t)df_type_width(c->type);
    b->values = df_arena_alloc(bytes ? bytes : 1);
    if (bytes) memcpy(b->values, c->values, bytes);
  }
  return b;
}

/* Typed pointers to a fixed-width builder's values: element j is p[j]. */
#define DF__B_VALUES(b, T) ((T *)(b)->values + (b)->offset)
DF_INLINE int8_t *df_builder_i8(df_builder *b) { return DF__B_VALUES(b, int8_t); }
DF_INLINE int16_t *df_builder_i16(df_builder *b) { return DF__B_VALUES(b, int16_t); }
DF_INLINE int32_t *df_builder_i32(df_builder *b) { return DF__B_VALUES(b, int32_t); }
DF_INLINE int64_t *df_builder_i64(df_builder *b) { return DF__B_VALUES(b, int64_t); }
DF_INLINE uint8_t *df_builder_u8(df_builder *b) { return DF__B_VALUES(b, uint8_t); }
DF_INLINE uint16_t *df_builder_u16(df_builder *b) { return DF__B_VALUES(b, uint16_t); }
DF_INLINE uint32_t *df_builder_u32(df_builder *b) { return DF__B_VALUES(b, uint32_t); }
DF_INLINE uint64_t *df_builder_u64(df_builder *b) { return DF__B_VALUES(b, uint64_t); }
DF_INLINE float *df_builder_f32(df_builder *b) { return DF__B_VALUES(b, float); }
DF_INLINE double *df_builder_f64(df_builder *b) { return DF__B_VALUES(b, double); }
DF_INLINE int32_t *df_builder_date32(df_builder *b) { return DF__B_VALUES(b, int32_t); }
DF_INLINE int64_t *df_builder_timestamp(df_builder *b) { return DF__B_VALUES(b, int64_t); }

DF_INLINE void df_builder_set_bool(df_builder *b, int64_t i, int v) {
  if (v) df_bit_set((uint8_t *)b->values, b->offset + i);
  else df_bit_clear((uint8_t *)b->values, b->offset + i);
}

/* Make the validity bitmap writable (allocating an all-valid one for `rows` rows if absent). */
DF_API uint8_t *df__builder_validity(df_builder *b, int64_t rows) {
  size_t bytes = df__bitmap_bytes(b->offset + rows);
  if (b->validity == NULL) {
    b->validity = (uint8_t *)df_arena_alloc(bytes ? bytes : 1);
    memset(b->validity, 0xFF, bytes ? bytes : 1);
    b->null_count = 0;
  } else if (b->validity_shared) {
    uint8_t *v = (uint8_t *)df_arena_alloc(bytes ? bytes : 1);
    memcpy(v, b->validity, bytes);
    b->validity = v;
  }
  b->validity_shared = 0;
  return b->validity;
}

/* Fixed-width builders: mark element i null / valid. */
DF_API void df_builder_set_null(df_builder *b, int64_t i) {
  if (b->kind != DF__B_FIXED || i < 0 || i >= b->length) {
    df__out_fail(b->out, "column '%s': set_null(%lld) out of range or on an append column", b->name,
                 (long long)i);
    return;
  }
  uint8_t *v = df__builder_validity(b, b->length);
  df_bit_clear(v, b->offset + i);
  b->null_count = -1;
}
DF_API void df_builder_set_valid(df_builder *b, int64_t i) {
  if (b->kind != DF__B_FIXED || i < 0 || i >= b->length || b->validity == NULL) return;
  df_bit_set(df__builder_validity(b, b->length), b->offset + i);
  b->null_count = -1;
}
/* Fixed-width builders: take validity from input column src (same length): nulls propagate. */
DF_API void df_builder_copy_validity(df_builder *b, const df_column *src) {
  if (b->kind != DF__B_FIXED || src->length != b->length) {
    df__out_fail(b->out, "column '%s': copy_validity needs a fixed-width column of %lld rows",
                 b->name, (long long)src->length);
    return;
  }
  if (!df_col_has_nulls(src)) {
    b->validity = NULL;
    b->validity_shared = 0;
    b->null_count = 0;
    return;
  }
  size_t bytes = df__bitmap_bytes(b->offset + b->length);
  b->validity = (uint8_t *)df_arena_alloc(bytes ? bytes : 1);
  b->validity_shared = 0;
  if (src->type == DF_TYPE_NULL) {
    memset(b->validity, 0, bytes);
    b->null_count = b->length;
    return;
  }
  df_copy_bits(b->validity, b->offset, src->validity, src->offset, b->length);
  b->null_count = src->null_count;
}

/* Var-width builders (append). */
DF_API void df__builder_grow_rows(df_builder *b) {
  int w = df_type_is_large(b->type) ? 8 : 4;
  int64_t cap = b->rows_cap * 2;
  b->values = df_arena_realloc(b->values, (size_t)(b->rows_cap + 1) * (size_t)w, (size_t)(cap + 1) * (size_t)w);
  if (b->validity)
    b->validity = (uint8_t *)df_arena_realloc(b->validity, df__bitmap_bytes(b->rows_cap), df__bitmap_bytes(cap));
  b->rows_cap = cap;
}
DF_API uint8_t *df__builder_reserve(df_builder *b, size_t n) {
  if ((int64_t)n > b->data_cap - b->data_len) {
    int64_t cap = b->data_cap * 2;
    while (cap - b->data_len < (int64_t)n) cap *= 2;
    b->data = (uint8_t *)df_arena_realloc(b->data, (size_t)b->data_cap, (size_t)cap);
    b->data_cap = cap;
  }
  uint8_t *p = b->data + b->data_len;
  b->data_len += (int64_t)n;
  return p;
}
DF_API int df__builder_check_append(df_builder *b) {
  if (b->kind != DF__B_APPEND) {
    df__out_fail(b->out, "column '%s': append on a column that is not an appendable utf8/binary column", b->name);
    return 0;
  }
  return 1;
}
DF_API void df__builder_end_value(df_builder *b, int valid) {
  if (b->length == b->rows_cap) df__builder_grow_rows(b);
  if (!df_type_is_large(b->type) && b->data_len > INT32_MAX) {
    df__out_fail(b->out, "column '%s': more than 2 GiB of data in a non-large column", b->name);
    b->data_len = 0;
  }
  if (df_type_is_large(b->type)) ((int64_t *)b->values)[b->length + 1] = b->data_len;
  else ((int32_t *)b->values)[b->length + 1] = (int32_t)b->data_len;
  if (!valid) {
    uint8_t *v = b->validity;
    if (v == NULL) {
      size_t bytes = df__bitmap_bytes(b->rows_cap);
      v = b->validity = (uint8_t *)df_arena_alloc(bytes);
      memset(v, 0xFF, bytes);
    }
    df_bit_clear(v, b->length);
    b->null_count++;
  } else if (b->validity) {
    df_bit_set(b->validity, b->length);
  }
  b->length++;
  b->pending_start = -1;
}
/* Append one value of n bytes. */
DF_API void df_builder_append(df_builder *b, const void *p, size_t n) {
  if (!df__builder_check_append(b)) return;
  if (b->pending_start < 0) b->pending_start = b->data_len;
  df__copy_bytes(df__builder_reserve(b, n), (const uint8_t *)p, n);
  df__builder_end_value(b, 1);
}
/* Append a NUL-terminated string. */
DF_API void df_builder_append_str(df_builder *b, const char *s) { df_builder_append(b, s, strlen(s)); }
/* Append a null. */
DF_API void df_builder_append_null(df_builder *b) {
  if (!df__builder_check_append(b)) return;
  b->data_len = b->pending_start >= 0 ? b->pending_start : b->data_len;
  df__builder_end_value(b, 0);
}
/* Append n nulls (bulk). */
DF_API void df_builder_append_nulls(df_builder *b, int64_t n) {
  if (!df__builder_check_append(b) || n <= 0) return;
  if (b->pending_start >= 0) {
    b->data_len = b->pending_start;
    b->pending_start = -1;
  }
  while (b->rows_cap - b->length < n) df__builder_grow_rows(b);
  if (b->validity == NULL) {
    size_t bytes = df__bitmap_bytes(b->rows_cap);
    b->validity = (uint8_t *)df_arena_alloc(bytes);
    memset(b->validity, 0xFF, bytes);
  }
  int64_t i = b->length, end = b->length + n;
  for (; i < end && (i & 7); i++) df_bit_clear(b->validity, i);
  if (end - i >= 8) {
    memset(b->validity + (i >> 3), 0, (size_t)((end - i) >> 3));
    i += ((end - i) >> 3) << 3;
  }
  for (; i < end; i++) df_bit_clear(b->validity, i);
  if (df_type_is_large(b->type)) {
    int64_t *o = (int64_t *)b->values + b->length + 1;
    for (int64_t k = 0; k < n; k++) o[k] = b->data_len;
  } else {
    int32_t *o = (int32_t *)b->values + b->length + 1;
    for (int64_t k = 0; k < n; k++) o[k] = (int32_t)b->data_len;
  }
  b->length = end;
  b->null_count += n;
}
/* Append a printf-formatted string. */
DF_API DF_PRINTF(2, 3) void df_builder_appendf(df_builder *b, const char *fmt, ...) {
  if (!df__builder_check_append(b)) return;
  char small[256];
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) n = 0;
  if (b->pending_start < 0) b->pending_start = b->data_len;
  uint8_t *dst = df__builder_reserve(b, (size_t)n + 1); /* +1: vsnprintf writes a NUL */
  if ((size_t)n < sizeof small) memcpy(dst, small, (size_t)n);
  else vsnprintf((char *)dst, (size_t)n + 1, fmt, ap2);
  b->data_len -= 1;
  va_end(ap2);
  va_end(ap);
  df__builder_end_value(b, 1);
}
/* Build one value piecewise: extend() adds bytes (or reserve() returns room for n bytes to fill),
 * commit() ends the value. */
DF_API void df_builder_extend(df_builder *b, const void *p, size_t n) {
  if (!df__builder_check_append(b)) return;
  if (b->pending_start < 0) b->pending_start = b->data_len;
  if (n) memcpy(df__builder_reserve(b, n), p, n);
}
DF_API uint8_t *df_builder_reserve(df_builder *b, size_t n) {
  if (!df__builder_check_append(b)) return (uint8_t *)df_arena_alloc(n ? n : 1);
  if (b->pending_start < 0) b->pending_start = b->data_len;
  return df__builder_reserve(b, n);
}
DF_API void df_builder_commit(df_builder *b) {
  if (!df__builder_check_append(b)) return;
  df__builder_end_value(b, 1);
}

/* Take: a new column with the rows `sel` selects from input column c, in selection order
 * (compacts any supported type; the selection's length must be the output's row count). */
DF_API df_builder *df_out_take_as(df_output *o, const df_column *c, const df_selection *sel, const char *name) {
  int64_t n = sel->length;
  const uint32_t *idx = sel->indices;
  if (c->type == DF_TYPE_UNSUPPORTED) {
    df_builder *b = df__out_push(o, name, DF_TYPE_NULL, DF__B_INVALID);
    df__out_fail(o, "column '%s': cannot take from a column of type '%s'", b->name, c->format);
    return b;
  }
  if (n != o->num_rows) {
    df_builder *b = df__out_push(o, name, DF_TYPE_NULL, DF__B_INVALID);
    df__out_fail(o, "column '%s': selection has %lld rows, output has %lld", b->name, (long long)n,
                 (long long)o->num_rows);
    return b;
  }
  df_builder *b = df__out_push(o, name, c->type, DF__B_FIXED);
  b->format = c->format;
  b->unit = c->unit;
  b->timezone = c->timezone;
  b->length = n;
  if (c->type == DF_TYPE_NULL) {
    b->kind = DF__B_NULL;
    b->null_count = n;
    return b;
  }
  /* validity */
  if (df_col_has_nulls(c)) {
    size_t vb = df__bitmap_bytes(n);
    uint8_t *v = (uint8_t *)df_arena_calloc(vb ? vb : 1, 1);
    int64_t nulls = 0;
    for (int64_t j = 0; j < n; j++) {
      if (df_bit(c->validity, c->offset + idx[j])) v[j >> 3] |= (uint8_t)(1u << (j & 7));
      else nulls++;
    }
    b->validity = v;
    b->null_count = nulls;
  }
  int64_t off = c->offset;
  switch (c->type) {
    case DF_TYPE_BOOL: {
      size_t vb = df__bitmap_bytes(n);
      uint8_t *v = (uint8_t *)df_arena_calloc(vb ? vb : 1, 1);
      const uint8_t *src = (const uint8_t *)c->values;
      for (int64_t j = 0; j < n; j++)
        if (df_bit(src, off + idx[j])) v[j >> 3] |= (uint8_t)(1u << (j & 7));
      b->values = v;
      break;
    }
#define DF__TAKE_CASE(W, T)                                             \
  case W: {                                                             \
    T *dst = (T *)df_arena_alloc((size_t)(n ? n : 1) * sizeof(T));      \
    const T *src = (const T *)c->values + off;                          \
    for (int64_t j = 0; j < n; j++) dst[j] = src[idx[j]];               \
    b->values = dst;                                                    \
    break;                                                              \
  }
    default: {
      int w = df_type_width(c->type);
      if (w == 0) { /* var width */
        int large = df_type_is_large(c->type);
        int64_t total = 0;
        for (int64_t j = 0; j < n; j++) {
          int64_t k = off + idx[j];
          total += large ? ((const int64_t *)c->values)[k + 1] - ((const int64_t *)c->values)[k]
                         : (int64_t)((const int32_t *)c->values)[k + 1] - ((const int32_t *)c->values)[k];
        }
        if (!large && total > INT32_MAX) {
          df__out_fail(o, "column '%s': more than 2 GiB of data in a non-large column", b->name);
          total = 0;
          n = 0;
        }
        uint8_t *data = (uint8_t *)df_arena_alloc(total ? (size_t)total : 1);
        int64_t pos = 0;
        if (large) {
          int64_t *offs = (int64_t *)df_arena_alloc((size_t)(n + 1) * 8);
          const int64_t *so = (const int64_t *)c->values;
          offs[0] = 0;
          for (int64_t j = 0; j < n; j++) {
            int64_t k = off + idx[j], a = so[k], len = so[k + 1] - a;
            df__copy_bytes(data + pos, c->data + a, (size_t)len);
            pos += len;
            offs[j + 1] = pos;
          }
          b->values = offs;
        } else {
          int32_t *offs = (int32_t *)df_arena_alloc((size_t)(n + 1) * 4);
          const int32_t *so = (const int32_t *)c->values;
          offs[0] = 0;
          for (int64_t j = 0; j < n; j++) {
            int64_t k = off + idx[j];
            int32_t a = so[k], len = so[k + 1] - a;
            df__copy_bytes(data + pos, c->data + a, (size_t)len);
            pos += len;
            offs[j + 1] = (int32_t)pos;
          }
          b->values = offs;
        }
        b->data = data;
        b->data_len = b->data_cap = total;
        break;
      }
      switch (w) {
        DF__TAKE_CASE(1, uint8_t)
        DF__TAKE_CASE(2, uint16_t)
        DF__TAKE_CASE(4, uint32_t)
        DF__TAKE_CASE(8, uint64_t)
      }
      break;
    }
#undef DF__TAKE_CASE
  }
  return b;
}
DF_API df_builder *df_out_take(df_output *o, const df_column *c, const df_selection *sel) {
  return df_out_take_as(o, c, sel, c->name);
}
/* Take every input column by `sel` (see df_out_take). */
DF_API void df_out_take_all(df_output *o, const df_batch *in, const df_selection *sel) {
  for (int64_t i = 0; i < in->num_columns; i++) df_out_take(o, &in->columns[i], sel);
}

/* Write the output batch into the host's structs. 0 or a negative status. */
DF_API int df__export_output(df_output *o, struct ArrowSchema *os, struct ArrowArray *oa) {
  if (o->error) return df_error(DF_STATUS_ERROR, "%s", o->error);
  int64_t n = o->num_columns;
  struct ArrowSchema **sch = (struct ArrowSchema **)df_arena_alloc((size_t)(n + 1) * sizeof(void *));
  struct ArrowArray **arr = (struct ArrowArray **)df_arena_alloc((size_t)(n + 1) * sizeof(void *));
  struct ArrowSchema *cs = (struct ArrowSchema *)df_arena_calloc((size_t)(n ? n : 1), sizeof(struct ArrowSchema));
  struct ArrowArray *ca = (struct ArrowArray *)df_arena_calloc((size_t)(n ? n : 1), sizeof(struct ArrowArray));
  for (int64_t i = 0; i < n; i++) {
    df_builder *b = o->columns[i];
    struct ArrowSchema *s = &cs[i];
    struct ArrowArray *a = &ca[i];
    sch[i] = s;
    arr[i] = a;
    s->format = b->format;
    s->name = b->name;
    s->flags = ARROW_FLAG_NULLABLE;
    a->length = b->length;
    a->offset = b->offset;
    if (b->pending_start >= 0)
      return df_error(DF_STATUS_ERROR, "column '%s': a value was extended but never committed", b->name);
    if (b->length != o->num_rows)
      return df_error(DF_STATUS_ERROR, "column '%s' has %lld rows, the output batch %lld", b->name,
                      (long long)b->length, (long long)o->num_rows);
    switch (b->kind) {
      case DF__B_PASS: {
        const struct ArrowArray *src = b->source->array;
        a->null_count = src->null_count;
        a->n_buffers = src->n_buffers;
        a->buffers = src->buffers;
        a->n_children = 0;
        break;
      }
      case DF__B_NULL:
        a->null_count = b->length;
        a->n_buffers = 0;
        a->buffers = (const void **)df_arena_calloc(1, sizeof(void *));
        break;
      case DF__B_FIXED:
      case DF__B_APPEND: {
        int nb = df__n_buffers(b->type);
        const void **bufs = (const void **)df_arena_calloc(3, sizeof(void *));
        bufs[0] = b->validity;
        bufs[1] = b->values;
        if (nb == 3) bufs[2] = b->data;
        a->n_buffers = nb;
        a->buffers = bufs;
        if (b->validity == NULL) a->null_count = 0;
        else if (b->null_count >= 0) a->null_count = b->null_count;
        else a->null_count = df_count_zero_bits(b->validity, b->offset, b->length);
        break;
      }
      default:
        return df_error(DF_STATUS_ERROR, "column '%s' is invalid", b->name);
    }
  }
  static const char top_name[] = "";
  os->format = "+s";
  os->name = top_name;
  os->metadata = NULL;
  os->flags = 0;
  os->n_children = n;
  os->children = sch;
  os->dictionary = NULL;
  os->release = NULL;
  os->private_data = NULL;
  const void **top_bufs = (const void **)df_arena_calloc(1, sizeof(void *));
  oa->length = o->num_rows;
  oa->null_count = 0;
  oa->offset = 0;
  oa->n_buffers = 1;
  oa->n_children = n;
  oa->buffers = top_bufs;
  oa->children = arr;
  oa->dictionary = NULL;
  oa->release = NULL;
  oa->private_data = NULL;
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Export glue                                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef int (*df_init_fn)(const df_json *config);
typedef int (*df_process_fn)(const df_batch *in, df_output *out);
typedef int (*df_finish_fn)(df_output *out);
typedef int (*df_read_fn)(int64_t max_rows, df_output *out);

/* The parsed config (also passed to init); NULL before init. */
DF_INLINE const df_json *df_config(void) { return df__g.config; }

DF_INLINE void df__begin_call(void) {
  df__arena_reset(&df__g.call);
  df__g.error = NULL;
  df__g.error_len = 0;
}
DF_API int32_t df__end_call(int rc, const char *what) {
  if (rc < 0 && df__g.error == NULL) df_error(rc, "%s returned status %d", what, rc);
  return rc;
}

DF_API void *df__export_alloc(uint32_t size, uint32_t align) {
  if (size == 0) size = 1;
  if (align <= 16) return malloc(size);
  if (align & (align - 1)) return NULL;
  return aligned_alloc(align, ((size_t)size + align - 1) & ~((size_t)align - 1));
}

DF_API int32_t df__run_init(df_init_fn fn, const char *cfg, uint32_t len) {
  df__begin_call();
  df__arena_free_all(&df__g.perm);
  df__g.config = NULL;
  char err[160];
  df_json *root = df_json_parse(len ? cfg : "{}", len ? len : 2, err, sizeof err);
  if (root == NULL) return df__end_call(df_error(DF_STATUS_INVALID_CONFIG, "invalid config JSON: %s", err), "dataflare_init");
  df__g.config = root;
  int rc = fn ? fn(root) : 0;
  return df__end_call(rc, "dataflare_init");
}

DF_API int32_t df__run_process(df_process_fn fn, const struct ArrowSchema *is, const struct ArrowArray *ia,
                               struct ArrowSchema *os, struct ArrowArray *oa) {
  df__begin_call();
  df_batch in;
  int rc = df__import_batch(is, ia, &in);
  if (rc != 0) return df__end_call(rc, "dataflare_process");
  df_output out;
  memset(&out, 0, sizeof out);
  df_out_begin(&out, in.num_rows);
  rc = fn(&in, &out);
  if (rc == DF_STATUS_OK) rc = df__export_output(&out, os, oa);
  return df__end_call(rc, "dataflare_process");
}

DF_API int32_t df__run_finish(df_finish_fn fn, struct ArrowSchema *os, struct ArrowArray *oa) {
  df__begin_call();
  if (fn == NULL) return DF_STATUS_NO_OUTPUT;
  df_output out;
  memset(&out, 0, sizeof out);
  df_out_begin(&out, 0);
  int rc = fn(&out);
  if (rc == DF_STATUS_OK) rc = df__export_output(&out, os, oa);
  return df__end_call(rc, "dataflare_finish");
}

DF_API int32_t df__run_read(df_read_fn fn, int32_t max_rows, struct ArrowSchema *os, struct ArrowArray *oa) {
  df__begin_call();
  df_output out;
  memset(&out, 0, sizeof out);
  df_out_begin(&out, 0);
  int rc = fn(max_rows, &out);
  if (rc == DF_STATUS_OK) rc = df__export_output(&out, os, oa);
  return df__end_call(rc, "dataflare_read");
}

DF_API void df__last_error(uint32_t *out) {
  const char *m = df__g.error ? df__g.error : "";
  out[0] = (uint32_t)(uintptr_t)m;
  out[1] = (uint32_t)(df__g.error ? df__g.error_len : 0);
}

#if defined(__wasm__)
#define DF__EXPORT(name) __attribute__((export_name(#name), visibility("default")))
#else /* native builds (sanitizer tests of plugin code): plain global functions */
#define DF__EXPORT(name) __attribute__((visibility("default")))
#endif

#define DF__COMMON_EXPORTS(INIT)                                                              \
  DF__EXPORT(dataflare_abi_version) int32_t dataflare_abi_version(void) {                     \
    return DATAFLARE_ABI_VERSION;                                                             \
  }                                                                                           \
  DF__EXPORT(dataflare_alloc) void *dataflare_alloc(uint32_t size, uint32_t align) {          \
    return df__export_alloc(size, align);                                                     \
  }                                                                                           \
  DF__EXPORT(dataflare_free) void dataflare_free(void *ptr, uint32_t size, uint32_t align) {  \
    (void)size;                                                                               \
    (void)align;                                                                              \
    free(ptr);                                                                                \
  }                                                                                           \
  DF__EXPORT(dataflare_init) int32_t dataflare_init(const char *cfg, uint32_t len) {          \
    return df__run_init(INIT, cfg, len);                                                      \
  }                                                                                           \
  DF__EXPORT(dataflare_last_error) void dataflare_last_error(uint32_t *out) { df__last_error(out); }

/* A stateless processor (or sink): INIT(const df_json*), PROCESS(const df_batch*, df_output*),
 * each returning a DF_STATUS_* code. It does not export dataflare_finish, which tells the host it
 * may run several instances in parallel and resume a failed run mid-stream. */
#define DATAFLARE_PROCESSOR(INIT, PROCESS)                                                      \
  DF__COMMON_EXPORTS(INIT)                                                                      \
  DF__EXPORT(dataflare_process)                                                                 \
  int32_t dataflare_process(const struct ArrowSchema *is, const struct ArrowArray *ia,          \
                            struct ArrowSchema *os, struct ArrowArray *oa) {                    \
    return df__run_process(PROCESS, is, ia, os, oa);                                            \
  }

/* A stateful processor: as DATAFLARE_PROCESSOR plus FINISH(df_output*), called once at the end of
 * the stream to emit what the plugin holds. The host runs it on one instance and does not resume it
 * mid-stream (its state would be lost). */
#define DATAFLARE_STATEFUL_PROCESSOR(INIT, PROCESS, FINISH)                                     \
  DATAFLARE_PROCESSOR(INIT, PROCESS)                                                            \
  DF__EXPORT(dataflare_finish)                                                                  \
  int32_t dataflare_finish(struct ArrowSchema *os, struct ArrowArray *oa) {                     \
    return df__run_finish(FINISH, os, oa);                                                      \
  }

/* A source: INIT(const df_json*), READ(int64_t max_rows, df_output*) -> DF_STATUS_OK with a
 * batch, or DF_STATUS_NO_OUTPUT at the end of the stream. */
#define DATAFLARE_SOURCE(INIT, READ)                                                            \
  DF__COMMON_EXPORTS(INIT)                                                                      \
  DF__EXPORT(dataflare_read)                                                                    \
  int32_t dataflare_read(int32_t max_rows, struct ArrowSchema *os, struct ArrowArray *oa) {     \
    return df__run_read(READ, max_rows, os, oa);                                                \
  }

#endif /* DATAFLARE_H */
