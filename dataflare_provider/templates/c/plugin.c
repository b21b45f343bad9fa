/*
 * basic-transformer: ASCII-lowercases utf8 columns in place and appends derived numeric columns
 * (`from * multiply + add`); every other column passes through zero-copy. Semantics: README.md.
 */
#include "dataflare.h"

#pragma STDC FP_CONTRACT OFF

typedef struct derive {
  const char *name;
  const char *from;
  const df_json *multiply; /* NULL = 1 */
  const df_json *add;      /* NULL = 0 */
} derive;

static const char **lower_cols;
static size_t n_lower;
static derive *derives;
static size_t n_derives;

static int init(const df_json *cfg) {
  if (!df_json_is_object(cfg))
    return df_error(DF_STATUS_INVALID_CONFIG, "config must be an object, got %s", df_json_type_name(cfg));
  const char *bad = df_json_unknown_key(cfg, (const char *[]){"lowercase", "derive", NULL});
  if (bad) return df_error(DF_STATUS_INVALID_CONFIG, "unknown config key '%s'", bad);

  const df_json *lc = df_json_get(cfg, "lowercase");
  if (lc) {
    if (!df_json_is_array(lc))
      return df_error(DF_STATUS_INVALID_CONFIG, "'lowercase' must be an array of column names, got %s",
                      df_json_type_name(lc));
    n_lower = df_json_len(lc);
    lower_cols = (const char **)malloc((n_lower + 1) * sizeof(char *));
    for (size_t i = 0; i < n_lower; i++) {
      lower_cols[i] = df_json_string(df_json_at(lc, i));
      if (!lower_cols[i])
        return df_error(DF_STATUS_INVALID_CONFIG, "'lowercase'[%zu] must be a string, got %s", i,
                        df_json_type_name(df_json_at(lc, i)));
    }
  }

  const df_json *dv = df_json_get(cfg, "derive");
  if (dv) {
    if (!df_json_is_array(dv))
      return df_error(DF_STATUS_INVALID_CONFIG, "'derive' must be an array of objects, got %s",
                      df_json_type_name(dv));
    n_derives = df_json_len(dv);
    derives = (derive *)calloc(n_derives + 1, sizeof(derive));
    for (size_t i = 0; i < n_derives; i++) {
      const df_json *d = df_json_at(dv, i);
      if (!df_json_is_object(d))
        return df_error(DF_STATUS_INVALID_CONFIG, "'derive'[%zu] must be an object, got %s", i,
                        df_json_type_name(d));
      bad = df_json_unknown_key(d, (const char *[]){"name", "from", "multiply", "add", NULL});
      if (bad) return df_error(DF_STATUS_INVALID_CONFIG, "'derive'[%zu]: unknown key '%s'", i, bad);
      derives[i].name = df_json_string(df_json_get(d, "name"));
      derives[i].from = df_json_string(df_json_get(d, "from"));
      derives[i].multiply = df_json_get(d, "multiply");
      derives[i].add = df_json_get(d, "add");
      if (!derives[i].name)
        return df_error(DF_STATUS_INVALID_CONFIG, "'derive'[%zu]: 'name' must be a string", i);
      if (!derives[i].from)
        return df_error(DF_STATUS_INVALID_CONFIG, "'derive'[%zu]: 'from' must be a string", i);
      if (derives[i].multiply && !df_json_is_number(derives[i].multiply))
        return df_error(DF_STATUS_INVALID_CONFIG, "'derive'[%zu]: 'multiply' must be a number", i);
      if (derives[i].add && !df_json_is_number(derives[i].add))
        return df_error(DF_STATUS_INVALID_CONFIG, "'derive'[%zu]: 'add' must be a number", i);
    }
  }
  return DF_STATUS_OK;
}

static int is_lowercased(const char *name) {
  for (size_t i = 0; i < n_lower; i++)
    if (strcmp(lower_cols[i], name) == 0) return 1;
  return 0;
}

static void lowercase(df_builder *b, const df_column *c) {
  int64_t start, end;
  df_col_data_range(c, &start, &end);
  uint8_t *p = b->data;
  for (int64_t i = start; i < end; i++) p[i] = (uint8_t)(p[i] + ((uint8_t)(p[i] - 'A') < 26u ? 32 : 0));
}

#define DERIVE_INT(T, GETTER)                                                                   \
  do {                                                                                        \
    const T *src = GETTER(c);                                                                 \
    for (int64_t j = 0; j < n; j++) dst[j] = (int64_t)((uint64_t)(int64_t)src[j] * m + a);   \
  } while (0)

static int derive_column(df_output *out, const derive *d, const df_column *c) {
  int64_t n = c->length;
  df_builder *b;
  if (df_type_is_int(c->type)) {
    int64_t mi = 1, ai = 0;
    if (d->multiply && !df_json_int64(d->multiply, &mi))
      return df_error(DF_STATUS_INVALID_CONFIG,
                      "derive '%s': 'multiply' must be an integer for integer column '%s' (%s)",
                      d->name, d->from, df_type_name(c->type));
    if (d->add && !df_json_int64(d->add, &ai))
      return df_error(DF_STATUS_INVALID_CONFIG,
                      "derive '%s': 'add' must be an integer for integer column '%s' (%s)", d->name,
                      d->from, df_type_name(c->type));
    uint64_t m = (uint64_t)mi, a = (uint64_t)ai;
    b = df_out_add(out, d->name, DF_TYPE_INT64);
    int64_t *dst = df_builder_i64(b);
    switch (c->type) {
      case DF_TYPE_INT8: DERIVE_INT(int8_t, df_col_i8); break;
      case DF_TYPE_INT16: DERIVE_INT(int16_t, df_col_i16); break;
      case DF_TYPE_INT32: DERIVE_INT(int32_t, df_col_i32); break;
      case DF_TYPE_INT64: DERIVE_INT(int64_t, df_col_i64); break;
      case DF_TYPE_UINT8: DERIVE_INT(uint8_t, df_col_u8); break;
      case DF_TYPE_UINT16: DERIVE_INT(uint16_t, df_col_u16); break;
      case DF_TYPE_UINT32: DERIVE_INT(uint32_t, df_col_u32); break;
      default: DERIVE_INT(uint64_t, df_col_u64); break;
    }
    df_builder_copy_validity(b, c);
    if (df_col_has_nulls(c))
      for (int64_t j = 0; j < n; j++)
        if (df_col_is_null(c, j)) dst[j] = 0;
  } else if (df_type_is_float(c->type)) {
    double m = 1.0, a = 0.0;
    if (d->multiply) df_json_double(d->multiply, &m);
    if (d->add) df_json_double(d->add, &a);
    b = df_out_add(out, d->name, DF_TYPE_FLOAT64);
    double *dst = df_builder_f64(b);
    if (c->type == DF_TYPE_FLOAT32) {
      const float *src = df_col_f32(c);
      for (int64_t j = 0; j < n; j++) dst[j] = (double)src[j] * m + a;
    } else {
      const double *src = df_col_f64(c);
      for (int64_t j = 0; j < n; j++) dst[j] = src[j] * m + a;
    }
    df_builder_copy_validity(b, c);
    if (df_col_has_nulls(c))
      for (int64_t j = 0; j < n; j++)
        if (df_col_is_null(c, j)) dst[j] = 0.0;
  } else {
    return df_error(DF_STATUS_UNSUPPORTED_SCHEMA,
                    "derive '%s': column '%s' is %s, expected an integer or floating-point column",
                    d->name, d->from, df_type_name(c->type));
  }
  return DF_STATUS_OK;
}

static int process(const df_batch *in, df_output *out) {
  /* check the schema first, so that a bad column fails before any work */
  for (size_t i = 0; i < n_lower; i++) {
    const df_column *c = df_batch_find(in, lower_cols[i]);
    if (!c) return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "lowercase: column '%s' not found", lower_cols[i]);
    for (int64_t k = 0; k < in->num_columns; k++) {
      c = df_batch_column(in, k);
      if (strcmp(c->name, lower_cols[i]) == 0 && !df_type_is_string(c->type))
        return df_error(DF_STATUS_UNSUPPORTED_SCHEMA,
                        "lowercase: column '%s' is %s, expected string or large_string", c->name,
                        df_type_name(c->type));
    }
  }
  for (size_t i = 0; i < n_derives; i++)
    if (!df_batch_find(in, derives[i].from))
      return df_error(DF_STATUS_UNSUPPORTED_SCHEMA, "derive '%s': column '%s' not found",
                      derives[i].name, derives[i].from);

  for (int64_t k = 0; k < in->num_columns; k++) {
    const df_column *c = df_batch_column(in, k);
    if (n_lower && is_lowercased(c->name)) lowercase(df_out_copy(out, c, c->name), c);
    else df_out_pass(out, c);
  }
  for (size_t i = 0; i < n_derives; i++) {
    int rc = derive_column(out, &derives[i], df_batch_find(in, derives[i].from));
    if (rc != DF_STATUS_OK) return rc;
  }
  return DF_STATUS_OK;
}

DATAFLARE_PROCESSOR(init, process)
