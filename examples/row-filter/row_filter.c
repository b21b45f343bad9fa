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

/* Branch-free selection: every row index is written, the count advances for kept and null rows
 * (null rows are counted in `errors` and sent to the dead-letter output). */
#define SELECT_ROWS(T, GETTER, CLASSIFY)                                                      \
  do {                                                                                        \
    const T *xs = GETTER(c);                                                                  \
    if (!has_nulls) {                                                                         \
      for (int64_t j = 0; j < n; j++) {                                                       \
        T x = xs[j];                                                                          \
        idx[cnt] = (uint32_t)j;                                                               \
        cnt += keep_table[CLASSIFY];                                                          \
      }                                                                                       \
    } else {                                                                                  \
      for (int64_t j = 0; j < n; j++) {                                                       \
        T x = xs[j];                                                                          \
        int valid = df_bit(c->validity, c->offset + j);                                       \
        idx[cnt] = (uint32_t)j;                                                               \
        cnt += keep_table[CLASSIFY] | !valid;                                                 \
        errors += !valid;                                                                     \
      }                                                                                       \
    }                                                                                         \
  } while (0)

/* s = sign(x - value) + 1, given the threshold in the column's own domain */
#define CLASSIFY_INT ((x > t) * 2 + ((x == t) & eq))
#define CLASSIFY_FLOAT \
  (((double)x > v) * 2 + ((double)x == v) + !((double)x < v || (double)x > v || (double)x == v) * 3)
#define CLASSIFY_CONST ((void)x, const_s)

static int process(const df_batch *in, df_output *out) {
  const df_column *c = df_batch_find(in, column);
  if (!c) return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "column '%s' not found", column);
  if (!df_type_is_numeric(c->type))
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "column '%s' is %s, expected a numeric column",
                    column, df_type_name(c->type));
  int64_t n = in->num_rows, errors = 0, cnt = 0;
  int has_nulls = df_col_has_nulls(c);
  df_selection *sel = df_selection_new(n);
  uint32_t *idx = sel->indices;
  if (df_type_is_int(c->type)) {
    __int128 t128;
    int frac;
    int_threshold(&t128, &frac);
    int eq = !frac;
    /* the threshold in the column's domain (int64 or uint64), or a constant outcome */
    int const_s = -1;
    if (df_type_is_signed_int(c->type)) {
      if (t128 > INT64_MAX) const_s = 0;
      else if (t128 < INT64_MIN) const_s = 2;
    } else {
      if (t128 > (__int128)UINT64_MAX) const_s = 0;
      else if (t128 < 0) const_s = 2;
    }
    if (const_s >= 0) {
      SELECT_ROWS(uint8_t, df_col_u8, CLASSIFY_CONST); /* only validity matters */
    } else if (df_type_is_signed_int(c->type)) {
      int64_t t = (int64_t)t128;
      switch (c->type) {
        case DF_TYPE_INT8: SELECT_ROWS(int8_t, df_col_i8, CLASSIFY_INT); break;
        case DF_TYPE_INT16: SELECT_ROWS(int16_t, df_col_i16, CLASSIFY_INT); break;
        case DF_TYPE_INT32: SELECT_ROWS(int32_t, df_col_i32, CLASSIFY_INT); break;
        default: SELECT_ROWS(int64_t, df_col_i64, CLASSIFY_INT); break;
      }
    } else {
      uint64_t t = (uint64_t)t128;
      switch (c->type) {
        case DF_TYPE_UINT8: SELECT_ROWS(uint8_t, df_col_u8, CLASSIFY_INT); break;
        case DF_TYPE_UINT16: SELECT_ROWS(uint16_t, df_col_u16, CLASSIFY_INT); break;
        case DF_TYPE_UINT32: SELECT_ROWS(uint32_t, df_col_u32, CLASSIFY_INT); break;
        default: SELECT_ROWS(uint64_t, df_col_u64, CLASSIFY_INT); break;
      }
    }
  } else {
    double v = value->number;
    if (c->type == DF_TYPE_FLOAT32) SELECT_ROWS(float, df_col_f32, CLASSIFY_FLOAT);
    else SELECT_ROWS(double, df_col_f64, CLASSIFY_FLOAT);
  }
  sel->length = cnt;
  df_counter_add("rows_dropped", n - cnt);
  if (cnt == 0) return DF_STATUS_NO_OUTPUT;

  df_out_begin(out, cnt);
  if (cnt == n) df_out_pass_all(out, in); /* nothing dropped: zero-copy */
  else df_out_take_all(out, in, sel);
  df_builder *err = df_out_error_column(out);
  if (errors == 0) {
    df_builder_append_nulls(err, cnt);
  } else {
    size_t msg_len = strlen(null_message);
    int64_t run = 0; /* pending kept rows */
    for (int64_t k = 0; k < cnt; k++) {
      if (df_bit(c->validity, c->offset + idx[k])) {
        run++;
        continue;
      }
      df_builder_append_nulls(err, run);
      run = 0;
      df_builder_append(err, null_message, msg_len);
    }
    df_builder_append_nulls(err, run);
  }
  return DF_STATUS_OK;
}

DATAFLARE_PROCESSOR(init, process)
