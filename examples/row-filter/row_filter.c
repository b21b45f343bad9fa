/*
 * row-filter: keeps the rows whose numeric column satisfies `column op value`, drops the others,
 * and sends rows where the column is null to the dead-letter output. Semantics: README.md.
 */
#include <math.h>

#include "dataflare.h"

static const char *column;
static const char *null_message; /* "<column> is null" */
static const df_json *value;
/* keep[c] for c = sign(x - value) + 1 (0: less, 1: equal, 2: greater), keep[3]: unordered (NaN) */
static uint8_t keep_table[4];

static int init(const df_json *cfg) {
  if (!df_json_is_object(cfg))
    return df_error(DF_STATUS_INVALID_CONFIG, "config must be an object, got %s", df_json_type_name(cfg));
  const char *bad = df_json_unknown_key(cfg, (const char *[]){"column", "op", "value", NULL});
  if (bad) return df_error(DF_STATUS_INVALID_CONFIG, "unknown config key '%s'", bad);
  column = df_json_string(df_json_get(cfg, "column"));
  if (!column) return df_error(DF_STATUS_INVALID_CONFIG, "'column' is required and must be a string");
  const char *op = df_json_string(df_json_get(cfg, "op"));
  if (!op) return df_error(DF_STATUS_INVALID_CONFIG, "'op' is required and must be a string");
  static const struct { const char *op; uint8_t keep[4]; } ops[] = {
      {">", {0, 0, 1, 0}},  {">=", {0, 1, 1, 0}}, {"<", {1, 0, 0, 0}},
      {"<=", {1, 1, 0, 0}}, {"==", {0, 1, 0, 0}}, {"!=", {1, 0, 1, 1}},
  };
  size_t i;
  for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp(op, ops[i].op) == 0) break;
  if (i == sizeof ops / sizeof ops[0])
    return df_error(DF_STATUS_INVALID_CONFIG, "'op' must be one of > >= < <= == !=, got '%s'", op);
  memcpy(keep_table, ops[i].keep, 4);
  value = df_json_get(cfg, "value");
  if (!df_json_is_number(value))
    return df_error(DF_STATUS_INVALID_CONFIG, "'value' is required and must be a number, got %s",
                    df_json_type_name(value));
  size_t n = strlen(column) + sizeof " is null";
  char *msg = (char *)malloc(n);
  snprintf(msg, n, "%s is null", column);
  null_message = msg;
  return DF_STATUS_OK;
}

/* The value as an integer threshold t plus a flag `frac` meaning value = t + (something in (0,1)),
 * so that for any integer x: sign(x - value) = x < t ? -1 : x > t ? 1 : (frac ? -1 : 0).
 * Exact for every value; integer literals are used as written, other numbers as their double. */
static void int_threshold(__int128 *t, int *frac) {
  *frac = 0;
  if (value->fits_int64) { *t = value->int64_value; return; }
  if (value->fits_uint64) { *t = (__int128)value->uint64_value; return; }
  double v = value->number;
  if (v >= 18446744073709551616.0) { *t = (__int128)1 << 64; return; }           /* > every uint64 */
  if (v < -9223372036854775808.0) { *t = -((__int128)1 << 63) - 1; return; }     /* < every int64 */
  double f = floor(v);
  *t = (__int128)f;
  *frac = v != f;
}

#define FILTER_INT(T, GETTER)                                                        \
  do {                                                                             \
    const T *x = GETTER(c);                                                        \
    for (int64_t j = 0; j < n; j++) {                                              \
      if (has_nulls && df_col_is_null(c, j)) { df_selection_push(sel, j); errors++; continue; } \
      __int128 xv = (__int128)x[j];                                                \
      int s = xv < t ? 0 : xv > t ? 2 : eq;                                        \
      if (keep_table[s]) df_selection_push(sel, j);                                \
    }                                                                              \
  } while (0)

#define FILTER_FLOAT(T, GETTER)                                                      \
  do {                                                                             \
    const T *x = GETTER(c);                                                        \
    for (int64_t j = 0; j < n; j++) {                                              \
      if (has_nulls && df_col_is_null(c, j)) { df_selection_push(sel, j); errors++; continue; } \
      double xv = (double)x[j];                                                    \
      int s = xv < v ? 0 : xv > v ? 2 : xv == v ? 1 : 3;                           \
      if (keep_table[s]) df_selection_push(sel, j);                                \
    }                                                                              \
  } while (0)

static int process(const df_batch *in, df_output *out) {
  const df_column *c = df_batch_find(in, column);
  if (!c) return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "column '%s' not found", column);
  if (!df_type_is_numeric(c->type))
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "column '%s' is %s, expected a numeric column",
                    column, df_type_name(c->type));
  int64_t n = in->num_rows, errors = 0;
  int has_nulls = df_col_has_nulls(c);
  df_selection *sel = df_selection_new(n);
  if (df_type_is_int(c->type)) {
    __int128 t;
    int frac;
    int_threshold(&t, &frac);
    int eq = frac ? 0 : 1;
    switch (c->type) {
      case DF_TYPE_INT8: FILTER_INT(int8_t, df_col_i8); break;
      case DF_TYPE_INT16: FILTER_INT(int16_t, df_col_i16); break;
      case DF_TYPE_INT32: FILTER_INT(int32_t, df_col_i32); break;
      case DF_TYPE_INT64: FILTER_INT(int64_t, df_col_i64); break;
      case DF_TYPE_UINT8: FILTER_INT(uint8_t, df_col_u8); break;
      case DF_TYPE_UINT16: FILTER_INT(uint16_t, df_col_u16); break;
      case DF_TYPE_UINT32: FILTER_INT(uint32_t, df_col_u32); break;
      default: FILTER_INT(uint64_t, df_col_u64); break;
    }
  } else {
    double v = value->number;
    if (c->type == DF_TYPE_FLOAT32) FILTER_FLOAT(float, df_col_f32);
    else FILTER_FLOAT(double, df_col_f64);
  }
  df_counter_add("rows_dropped", n - sel->length);
  if (sel->length == 0) return DF_STATUS_NO_OUTPUT;

  df_out_begin(out, sel->length);
  if (sel->length == n) df_out_pass_all(out, in); /* nothing dropped: zero-copy */
  else df_out_take_all(out, in, sel);
  df_builder *err = df_out_error_column(out);
  size_t msg_len = strlen(null_message);
  for (int64_t k = 0; k < sel->length; k++) {
    if (errors && df_col_is_null(c, sel->indices[k])) df_builder_append(err, null_message, msg_len);
    else df_builder_append_null(err);
  }
  return DF_STATUS_OK;
}

DATAFLARE_PROCESSOR(init, process, NULL)
