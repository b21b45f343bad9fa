/*
 * large-plugin: a multi-MB dataflare processor for the load benchmarks (compile vs AOT-cache load).
 *
 * `large_generated.h` is written by benchmarks/plugins/build.py: LARGE_FUNCS generated mixing
 * functions (code size) and a LARGE_TABLE_WORDS-entry constant table (data size). Every function is
 * reachable through `large_funcs`, so the linker keeps them all. The plugin appends
 * `h = large_funcs[mix % LARGE_FUNCS](x) ^ large_table[x % LARGE_TABLE_WORDS]` for an int64 column x.
 * Config: {"mix": <int>} (default 0).
 */
#include "dataflare.h"
#include "large_generated.h"

static int64_t mix;

static int init(const df_json *cfg) {
  const df_json *m = df_json_is_object(cfg) ? df_json_get(cfg, "mix") : NULL;
  if (m && !df_json_int64(m, &mix)) return df_error(DF_STATUS_INVALID_CONFIG, "'mix' must be an integer");
  return DF_STATUS_OK;
}

static int process(const df_batch *in, df_output *out) {
  const df_column *c = df_batch_find(in, "x");
  if (!c || c->type != DF_TYPE_INT64)
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "large-plugin needs an int64 column 'x'");
  df_out_pass_all(out, in);
  uint64_t (*f)(uint64_t) = large_funcs[(uint64_t)mix % LARGE_FUNCS];
  const int64_t *src = df_col_i64(c);
  int64_t *dst = df_builder_i64(df_out_add(out, "h", DF_TYPE_INT64));
  for (int64_t j = 0; j < c->length; j++) {
    uint64_t x = (uint64_t)src[j];
    dst[j] = (int64_t)(f(x) ^ large_table[x % LARGE_TABLE_WORDS]);
  }
  return DF_STATUS_OK;
}

DATAFLARE_PROCESSOR(init, process)
