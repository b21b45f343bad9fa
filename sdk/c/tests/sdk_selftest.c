/*
 * Exercises the C SDK surface the examples do not (tests/test_examples_c.py drives it).
 * config {"mode": M, ...}:
 *   json   {"text": "..."}: process emits one utf8 row, `text` parsed by df_json_parse and
 *          re-serialized canonically (non-integer numbers always carry '.' or 'e'); a parse
 *          error -> status -2 at init with the parser's message
 *   build  emits 5 rows with a column of every type, written with every builder call
 *   take   rows [n-1, ..., 0, 0] of every input column (df_out_take_all)
 *   copy   df_out_copy of every column with row 0 set null
 *   info   one row per input column: name, type name, null_count, get_i64/get_f64 of row 0
 *   misuse a utf8 column with one value too few -> status -1 naming it
 *   log    logs at every level, counter and histogram, returns no output
 */
#include "dataflare.h"

static const char *mode;
static const df_json *parsed;

static int init(const df_json *cfg) {
  mode = df_json_string(df_json_get(cfg, "mode"));
  if (!mode) return df_error(DF_STATUS_INVALID_CONFIG, "'mode' must be a string");
  if (strcmp(mode, "json") == 0) {
    const df_json *t = df_json_get(cfg, "text");
    if (!df_json_is_string(t)) return df_error(DF_STATUS_INVALID_CONFIG, "'text' must be a string");
    char err[128];
    parsed = df_json_parse(t->string, t->string_len, err, sizeof err);
    if (!parsed) return df_error(DF_STATUS_INVALID_CONFIG, "%s", err);
  }
  return DF_STATUS_OK;
}

static void put_string(df_builder *b, const char *s, size_t n) {
  df_builder_extend(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      df_builder_extend(b, e, 2);
    } else if (c < 0x20) {
      char e[8];
      snprintf(e, sizeof e, "\\u%04x", c);
      df_builder_extend(b, e, 6);
    } else {
      df_builder_extend(b, &s[i], 1);
    }
  }
  df_builder_extend(b, "\"", 1);
}

static void serialize(df_builder *b, const df_json *v) {
  char num[48];
  switch (v->type) {
    case DF_JSON_NULL: df_builder_extend(b, "null", 4); break;
    case DF_JSON_BOOL: v->boolean ? df_builder_extend(b, "true", 4) : df_builder_extend(b, "false", 5); break;
    case DF_JSON_NUMBER: {
      int n;
      if (v->fits_int64) n = snprintf(num, sizeof num, "%lld", (long long)v->int64_value);
      else if (v->fits_uint64) n = snprintf(num, sizeof num, "%llu", (unsigned long long)v->uint64_value);
      else {
        n = snprintf(num, sizeof num, "%.17g", v->number);
        if (!strpbrk(num, ".eEn")) n += snprintf(num + n, sizeof num - (size_t)n, ".0");
      }
      df_builder_extend(b, num, (size_t)n);
      break;
    }
    case DF_JSON_STRING: put_string(b, v->string, v->string_len); break;
    case DF_JSON_ARRAY:
      df_builder_extend(b, "[", 1);
      for (size_t i = 0; i < df_json_len(v); i++) {
        if (i) df_builder_extend(b, ",", 1);
        serialize(b, df_json_at(v, i));
      }
      df_builder_extend(b, "]", 1);
      break;
    case DF_JSON_OBJECT:
      df_builder_extend(b, "{", 1);
      for (size_t i = 0; i < v->count; i++) {
        if (i) df_builder_extend(b, ",", 1);
        put_string(b, v->keys[i], v->key_lens[i]);
        df_builder_extend(b, ":", 1);
        serialize(b, &v->items[i]);
      }
      df_builder_extend(b, "}", 1);
      break;
  }
}

static int build(df_output *out) {
  df_out_begin(out, 5);
  df_builder *b = df_out_add(out, "bool", DF_TYPE_BOOL);
  for (int i = 0; i < 5; i++) df_builder_set_bool(b, i, i % 2);
  df_builder_set_null(b, 4);
  b = df_out_add(out, "i8", DF_TYPE_INT8);
  for (int i = 0; i < 5; i++) df_builder_i8(b)[i] = (int8_t)(-i * 30);
  b = df_out_add(out, "i16", DF_TYPE_INT16);
  for (int i = 0; i < 5; i++) df_builder_i16(b)[i] = (int16_t)(i * 1000);
  df_builder_set_null(b, 0);
  df_builder_set_null(b, 1);
  df_builder_set_valid(b, 1);
  b = df_out_add(out, "i32", DF_TYPE_INT32);
  for (int i = 0; i < 5; i++) df_builder_i32(b)[i] = -i;
  b = df_out_add(out, "i64", DF_TYPE_INT64);
  for (int i = 0; i < 5; i++) df_builder_i64(b)[i] = INT64_MIN + i;
  b = df_out_add(out, "u8", DF_TYPE_UINT8);
  for (int i = 0; i < 5; i++) df_builder_u8(b)[i] = (uint8_t)(250 + i);
  b = df_out_add(out, "u16", DF_TYPE_UINT16);
  for (int i = 0; i < 5; i++) df_builder_u16(b)[i] = (uint16_t)(65535 - i);
  b = df_out_add(out, "u32", DF_TYPE_UINT32);
  for (int i = 0; i < 5; i++) df_builder_u32(b)[i] = 4000000000u + (uint32_t)i;
  b = df_out_add(out, "u64", DF_TYPE_UINT64);
  for (int i = 0; i < 5; i++) df_builder_u64(b)[i] = UINT64_MAX - (uint64_t)i;
  b = df_out_add(out, "f32", DF_TYPE_FLOAT32);
  for (int i = 0; i < 5; i++) df_builder_f32(b)[i] = 0.5f * (float)i;
  b = df_out_add(out, "f64", DF_TYPE_FLOAT64);
  for (int i = 0; i < 5; i++) df_builder_f64(b)[i] = 1.0 / (i + 1);
  df_builder_set_null(b, 2);
  b = df_out_add(out, "date", DF_TYPE_DATE32);
  for (int i = 0; i < 5; i++) df_builder_date32(b)[i] = 19000 + i;
  b = df_out_add_timestamp(out, "ts", DF_TIME_NANO, "Asia/Tokyo");
  for (int i = 0; i < 5; i++) df_builder_timestamp(b)[i] = 1700000000000000000LL + i;
  b = df_out_add_timestamp(out, "ts_naive", DF_TIME_SECOND, "");
  for (int i = 0; i < 5; i++) df_builder_timestamp(b)[i] = -i;
  b = df_out_add(out, "utf8", DF_TYPE_UTF8);
  df_builder_append_str(b, "plain");
  df_builder_appendf(b, "%d-%s-%.2f", 42, "x", 1.5);
  df_builder_append_null(b);
  df_builder_extend(b, "pie", 3);
  memcpy(df_builder_reserve(b, 4), "ce!!", 4);
  df_builder_commit(b);
  df_builder_append(b, "", 0);
  b = df_out_add(out, "large_utf8", DF_TYPE_LARGE_UTF8);
  for (int i = 0; i < 5; i++) {
    if (i == 3) df_builder_append_null(b);
    else df_builder_appendf(b, "%s%d", "row", i);
  }
  b = df_out_add(out, "binary", DF_TYPE_BINARY);
  for (int i = 0; i < 5; i++) df_builder_append(b, "\0\1\2\3\4", (size_t)i);
  b = df_out_add(out, "large_binary", DF_TYPE_LARGE_BINARY);
  for (int i = 0; i < 5; i++) {
    char *big = (char *)df_arena_alloc(100000);
    memset(big, 'a' + i, 100000);
    df_builder_append(b, big, 100000); /* grows the data buffer several times */
  }
  df_out_add(out, "null", DF_TYPE_NULL);
  return DF_STATUS_OK;
}

static int process(const df_batch *in, df_output *out) {
  if (strcmp(mode, "json") == 0) {
    df_out_begin(out, 1);
    df_builder *b = df_out_add(out, "out", DF_TYPE_UTF8);
    serialize(b, parsed);
    df_builder_commit(b);
    return DF_STATUS_OK;
  }
  if (strcmp(mode, "build") == 0) return build(out);
  if (strcmp(mode, "take") == 0) {
    df_selection *sel = df_selection_new(1); /* grows */
    for (int64_t i = in->num_rows; i-- > 0;) df_selection_push(sel, i);
    if (in->num_rows) df_selection_push(sel, 0);
    df_out_begin(out, sel->length);
    df_out_take_all(out, in, sel);
    return DF_STATUS_OK;
  }
  if (strcmp(mode, "copy") == 0) {
    for (int64_t k = 0; k < in->num_columns; k++) {
      const df_column *c = df_batch_column(in, k);
      df_builder *b = df_out_copy(out, c, c->name);
      if (c->type != DF_TYPE_NULL && in->num_rows) df_builder_set_null(b, 0);
    }
    return DF_STATUS_OK;
  }
  if (strcmp(mode, "info") == 0) {
    df_out_begin(out, in->num_columns);
    df_builder *name = df_out_add(out, "name", DF_TYPE_UTF8);
    df_builder *type = df_out_add(out, "type", DF_TYPE_UTF8);
    df_builder *nulls = df_out_add(out, "null_count", DF_TYPE_INT64);
    df_builder *i64 = df_out_add(out, "first_i64", DF_TYPE_INT64);
    df_builder *f64 = df_out_add(out, "first_f64", DF_TYPE_FLOAT64);
    df_builder *found = df_out_add(out, "found", DF_TYPE_BOOL);
    for (int64_t k = 0; k < in->num_columns; k++) {
      const df_column *c = df_batch_column(in, k);
      df_builder_append_str(name, c->name);
      df_builder_append_str(type, df_type_name(c->type));
      df_builder_i64(nulls)[k] = c->null_count;
      if (in->num_rows && df_col_is_valid(c, 0) && (df_type_is_numeric(c->type) || c->type == DF_TYPE_BOOL ||
                                                    c->type == DF_TYPE_DATE32 || c->type == DF_TYPE_TIMESTAMP)) {
        df_builder_i64(i64)[k] = df_col_get_i64(c, 0);
        df_builder_f64(f64)[k] = df_col_get_f64(c, 0);
      } else {
        df_builder_set_null(i64, k);
        df_builder_set_null(f64, k);
      }
      df_builder_set_bool(found, k, df_batch_find(in, c->name) == c);
    }
    return DF_STATUS_OK;
  }
  if (strcmp(mode, "misuse") == 0) {
    df_builder *b = df_out_add(out, "short", DF_TYPE_UTF8);
    for (int64_t i = 0; i + 1 < in->num_rows; i++) df_builder_append_str(b, "x");
    return DF_STATUS_OK;
  }
  if (strcmp(mode, "log") == 0) {
    df_log_trace("trace %d", 0);
    df_log_debug("debug %d", 1);
    df_log_info("info %s", "two");
    df_log_warn("warn %.1f", 3.0);
    df_log_error("error %c", '4');
    df_counter_add("rows_seen", in->num_rows);
    df_histogram_record("batch_rows", (double)in->num_rows);
    return DF_STATUS_NO_OUTPUT;
  }
  return df_error(DF_STATUS_ERROR, "unknown mode '%s'", mode);
}

DATAFLARE_PROCESSOR(init, process)
