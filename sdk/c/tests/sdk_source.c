/* A source built with DATAFLARE_SOURCE: config {"rows": N} -> batches of id (int64) and label
 * (utf8, "id-<i>", null every 7th row), at most max_rows each, then end of stream. */
#include "dataflare.h"

static int64_t total, next_id;

static int init(const df_json *cfg) {
  if (!df_json_int64(df_json_get(cfg, "rows"), &total) || total < 0)
    return df_error(DF_STATUS_INVALID_CONFIG, "'rows' must be a non-negative integer");
  return DF_STATUS_OK;
}

static int read_batch(int64_t max_rows, df_output *out) {
  if (next_id >= total) return DF_STATUS_NO_OUTPUT;
  int64_t n = total - next_id < max_rows ? total - next_id : max_rows;
  df_out_begin(out, n);
  int64_t *id = df_builder_i64(df_out_add(out, "id", DF_TYPE_INT64));
  df_builder *label = df_out_add(out, "label", DF_TYPE_UTF8);
  for (int64_t i = 0; i < n; i++) {
    id[i] = next_id + i;
    if ((next_id + i) % 7 == 0) df_builder_append_null(label);
    else df_builder_appendf(label, "id-%lld", (long long)(next_id + i));
  }
  next_id += n;
  return DF_STATUS_OK;
}

DATAFLARE_SOURCE(init, read_batch)
