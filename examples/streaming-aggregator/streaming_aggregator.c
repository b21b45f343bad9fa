/*
 * streaming-aggregator: group-by count/sum across every batch of the stream, emitted by
 * dataflare_finish. Groups keep their order of first appearance. Semantics: README.md.
 *
 * State lives in malloc'd memory (it outlives the per-call arena): one record per group, the
 * key bytes in one growing pool, and an open-addressing hash table of group indices that doubles
 * when half full.
 */
#include "dataflare.h"

typedef struct group { /* 32 bytes */
  uint64_t hash;
  uint32_t key_off; /* into key_pool (wasm32: linear memory is below 4 GiB) */
  uint32_t key_len;
  int64_t count;
  union {
    int64_t isum;   /* integer sums (wrapping) */
    double fsum;    /* float sums */
  };
} group;

static const char *group_by, *sum_col;

static group *groups;
static int64_t n_groups, groups_cap;
static uint8_t *key_pool;
static uint32_t pool_len, pool_cap;
static uint32_t *table; /* group index + 1; 0 = empty */
static uint64_t table_cap;  /* power of two */
static int64_t null_group = -1;
static int sum_kind;        /* 0 = not seen yet, 1 = integer, 2 = float */

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    df_log_error("streaming-aggregator: out of memory (%zu bytes)", n);
    __builtin_trap();
  }
  return q;
}

static void reset_state(void) {
  free(groups);
  free(key_pool);
  free(table);
  groups = NULL;
  key_pool = NULL;
  table = NULL;
  n_groups = groups_cap = 0;
  pool_len = pool_cap = 0;
  table_cap = 0;
  null_group = -1;
  sum_kind = 0;
}

static int init(const df_json *cfg) {
  if (!df_json_is_object(cfg))
    return df_error(DF_STATUS_INVALID_CONFIG, "config must be an object, got %s", df_json_type_name(cfg));
  const char *bad = df_json_unknown_key(cfg, (const char *[]){"group_by", "sum", NULL});
  if (bad) return df_error(DF_STATUS_INVALID_CONFIG, "unknown config key '%s'", bad);
  group_by = df_json_string(df_json_get(cfg, "group_by"));
  if (!group_by) return df_error(DF_STATUS_INVALID_CONFIG, "'group_by' is required and must be a string");
  sum_col = df_json_string(df_json_get(cfg, "sum"));
  if (!sum_col) return df_error(DF_STATUS_INVALID_CONFIG, "'sum' is required and must be a string");
  reset_state();
  return DF_STATUS_OK;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
  /* fixed-size loads only: a variable-length memcpy would be a memory.copy call per key */
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
  uint64_t w;
  while (n >= 8) {
    __builtin_memcpy(&w, p, 8);
    h = (h ^ w) * 0x100000001B3ull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  w = 0;
  if (n >= 4) {
    uint32_t a, b;
    __builtin_memcpy(&a, p, 4);
    __builtin_memcpy(&b, p + n - 4, 4);
    w = ((uint64_t)a << 32) | b;
  } else if (n > 0) {
    w = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
  }
  h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 32;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 29;
  return h;
}

/* memcmp(a, b, n) == 0 with fixed-size loads for short keys (wasi-libc's memcmp is a byte loop) */
static inline int keys_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  uint64_t x, y, u, v;
  if (n > 16) return memcmp(a, b, n) == 0;
  if (n >= 8) {
    __builtin_memcpy(&x, a, 8);
    __builtin_memcpy(&y, b, 8);
    __builtin_memcpy(&u, a + n - 8, 8);
    __builtin_memcpy(&v, b + n - 8, 8);
    return ((x ^ y) | (u ^ v)) == 0;
  }
  if (n >= 4) {
    uint32_t p, q, r, t;
    __builtin_memcpy(&p, a, 4);
    __builtin_memcpy(&q, b, 4);
    __builtin_memcpy(&r, a + n - 4, 4);
    __builtin_memcpy(&t, b + n - 4, 4);
    return ((p ^ q) | (r ^ t)) == 0;
  }
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

static void table_insert(uint64_t hash, uint32_t gi) {
  uint64_t mask = table_cap - 1;
  uint64_t i = hash & mask;
  while (table[i]) i = (i + 1) & mask;
  table[i] = gi + 1;
}

static void table_grow(void) {
  uint64_t cap = table_cap ? table_cap * 2 : 1024;
  free(table);
  table = (uint32_t *)xrealloc(NULL, cap * sizeof *table);
  memset(table, 0, cap * sizeof *table);
  table_cap = cap;
  for (int64_t g = 0; g < n_groups; g++)
    if (g != null_group) table_insert(groups[g].hash, (uint32_t)g);
}

static int64_t new_group(uint64_t hash, const uint8_t *key, size_t len) {
  if (n_groups == groups_cap) {
    groups_cap = groups_cap ? groups_cap * 2 : 256;
    groups = (group *)xrealloc(groups, (size_t)groups_cap * sizeof *groups);
  }
  if (pool_cap - pool_len < len) {
    size_t cap = pool_cap ? pool_cap : 4096;
    while (cap - pool_len < len) cap *= 2;
    if (cap > UINT32_MAX) {
      df_log_error("streaming-aggregator: more than 4 GiB of group keys");
      __builtin_trap();
    }
    key_pool = (uint8_t *)xrealloc(key_pool, cap);
    pool_cap = (uint32_t)cap;
  }
  if (len) memcpy(key_pool + pool_len, key, len);
  group *g = &groups[n_groups];
  g->hash = hash;
  g->key_off = pool_len;
  g->key_len = (uint32_t)len;
  g->count = 0;
  if (sum_kind == 2) g->fsum = 0.0;
  else g->isum = 0;
  pool_len += (uint32_t)len;
  return n_groups++;
}

static int64_t find_or_add(const uint8_t *key, size_t len) {
  if ((uint64_t)(n_groups + 1) * 2 > table_cap) table_grow();
  uint64_t h = hash_bytes(key, len);
  uint64_t mask = table_cap - 1;
  for (uint64_t i = h & mask;; i = (i + 1) & mask) {
    uint32_t e = table[i];
    if (e == 0) {
      int64_t g = new_group(h, key, len);
      table[i] = (uint32_t)g + 1;
      return g;
    }
    group *g = &groups[e - 1];
    if (g->hash == h && g->key_len == len && keys_equal(key_pool + g->key_off, key, len)) return e - 1;
  }
}

#define ACCUMULATE(T, GETTER, FIELD, CAST)                         \
  do {                                                             \
    const T *v = GETTER(s);                                        \
    for (int64_t j = 0; j < n; j++)                                \
      if (!sum_nulls || df_col_is_valid(s, j)) groups[gi[j]].FIELD += CAST v[j]; \
  } while (0)

/* pass 1: the group of every row (offsets of type OFF: int32 for utf8, int64 for large_utf8) */
#define GROUP_ROWS(OFF)                                                                  \
  do {                                                                                   \
    const OFF *offs = (const OFF *)k->values + k->offset;                                \
    for (int64_t j = 0; j < n; j++) {                                                    \
      int64_t g;                                                                         \
      if (key_nulls && df_col_is_null(k, j)) {                                           \
        if (null_group < 0) null_group = new_group(0, NULL, 0); /* never in the table */ \
        g = null_group;                                                                  \
      } else {                                                                           \
        g = find_or_add(k->data + offs[j], (size_t)(offs[j + 1] - offs[j]));             \
      }                                                                                  \
      gi[j] = (uint32_t)g;                                                               \
      groups[g].count++;                                                                 \
    }                                                                                    \
  } while (0)

static int process(const df_batch *in, df_output *out) {
  (void)out;
  const df_column *k = df_batch_find(in, group_by);
  if (!k) return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "group_by column '%s' not found", group_by);
  if (!df_type_is_string(k->type))
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "group_by column '%s' is %s, expected string or large_string",
                    group_by, df_type_name(k->type));
  const df_column *s = df_batch_find(in, sum_col);
  if (!s) return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "sum column '%s' not found", sum_col);
  int kind = df_type_is_int(s->type) ? 1 : df_type_is_float(s->type) ? 2 : 0;
  if (!kind)
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "sum column '%s' is %s, expected a numeric column",
                    sum_col, df_type_name(s->type));
  if (sum_kind && kind != sum_kind)
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA,
                    "sum column '%s' changed from %s to %s between batches", sum_col,
                    sum_kind == 1 ? "integer" : "floating point", kind == 1 ? "integer" : "floating point");
  sum_kind = kind;

  int64_t n = in->num_rows;
  /* pass 1: group index of every row (in the arena) */
  uint32_t *gi = (uint32_t *)df_arena_alloc((size_t)(n ? n : 1) * sizeof *gi);
  int key_nulls = df_col_has_nulls(k);
  if (df_type_is_large(k->type)) GROUP_ROWS(int64_t);
  else GROUP_ROWS(int32_t);
  /* pass 2: sums (nulls skipped) */
  int sum_nulls = df_col_has_nulls(s);
  switch (s->type) {
    case DF_TYPE_INT8: ACCUMULATE(int8_t, df_col_i8, isum, (int64_t)); break;
    case DF_TYPE_INT16: ACCUMULATE(int16_t, df_col_i16, isum, (int64_t)); break;
    case DF_TYPE_INT32: ACCUMULATE(int32_t, df_col_i32, isum, (int64_t)); break;
    case DF_TYPE_UINT8: ACCUMULATE(uint8_t, df_col_u8, isum, (int64_t)); break;
    case DF_TYPE_UINT16: ACCUMULATE(uint16_t, df_col_u16, isum, (int64_t)); break;
    case DF_TYPE_UINT32: ACCUMULATE(uint32_t, df_col_u32, isum, (int64_t)); break;
    case DF_TYPE_INT64:
    case DF_TYPE_UINT64: { /* wrapping add */
      const uint64_t *v = (const uint64_t *)s->values + s->offset;
      for (int64_t j = 0; j < n; j++)
        if (!sum_nulls || df_col_is_valid(s, j))
          groups[gi[j]].isum = (int64_t)((uint64_t)groups[gi[j]].isum + v[j]);
      break;
    }
    case DF_TYPE_FLOAT32: ACCUMULATE(float, df_col_f32, fsum, (double)); break;
    default: ACCUMULATE(double, df_col_f64, fsum, ); break;
  }
  return DF_STATUS_NO_OUTPUT;
}

static int finish(df_output *out) {
  if (n_groups == 0) {
    reset_state();
    return DF_STATUS_NO_OUTPUT;
  }
  df_out_begin(out, n_groups);
  df_builder *keys = df_out_add(out, group_by, DF_TYPE_UTF8);
  df_builder *counts = df_out_add(out, "count", DF_TYPE_INT64);
  df_builder *sums = df_out_add(out, "sum", sum_kind == 1 ? DF_TYPE_INT64 : DF_TYPE_FLOAT64);
  int64_t *c = df_builder_i64(counts);
  for (int64_t g = 0; g < n_groups; g++) {
    if (g == null_group) df_builder_append_null(keys);
    else df_builder_append(keys, key_pool + groups[g].key_off, (size_t)groups[g].key_len);
    c[g] = groups[g].count;
  }
  if (sum_kind == 1) {
    int64_t *sv = df_builder_i64(sums);
    for (int64_t g = 0; g < n_groups; g++) sv[g] = groups[g].isum;
  } else {
    double *sv = df_builder_f64(sums);
    for (int64_t g = 0; g < n_groups; g++) sv[g] = groups[g].fsum;
  }
  reset_state(); /* the output was copied into the arena: the instance can take a new stream */
  return DF_STATUS_OK;
}

DATAFLARE_STATEFUL_PROCESSOR(init, process, finish)
