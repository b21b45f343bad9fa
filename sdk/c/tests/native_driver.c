/*
 * Native driver for sanitizer builds of plugin code (the SDK and the examples are plain C):
 *   clang-19 -fsanitize=address,undefined -DDATAFLARE_ARENA_DEBUG -I sdk/c \
 *     -DPLUGIN_SRC=\"examples/row-filter/row_filter.c\" native_driver.c -lm && ./a.out '{...}'
 * initializes the plugin with the config given as argv[1], feeds 300 random batches (columns k: utf8/large_utf8, x: int64, f: float64, s: utf8, with nulls
 * and offsets 0..8) through dataflare_process, then calls dataflare_finish if the plugin has one. The debug arena makes
 * every arena allocation its own malloc, so AddressSanitizer sees any overflow.
 */
#include "dataflare.h"
/* Stateless plugins do not define dataflare_finish: a weak reference is NULL then. */
__attribute__((weak)) int32_t dataflare_finish(struct ArrowSchema *os, struct ArrowArray *oa);
#include PLUGIN_SRC
#include <assert.h>

static unsigned seed = 12345;
static unsigned rnd(void) { return (seed = seed * 1103515245u + 12345u) >> 8; }

typedef struct { struct ArrowSchema s; struct ArrowArray a; const void *bufs[3]; } col_t;

static void mk_col(col_t *c, const char *name, const char *fmt, int64_t len, int64_t off) {
  memset(c, 0, sizeof *c);
  c->s.format = fmt; c->s.name = name; c->s.flags = 2;
  c->a.length = len; c->a.offset = off; c->a.buffers = c->bufs;
  int64_t tot = len + off;
  uint8_t *valid = malloc((size_t)(tot + 7) / 8 + 1);
  int64_t nulls = 0;
  for (int64_t i = 0; i < tot; i++) {
    int v = rnd() % 5 != 0;
    if (v) df_bit_set(valid, i); else df_bit_clear(valid, i);
    if (!v && i >= off) nulls++;
  }
  c->a.null_count = nulls;
  if (nulls) c->bufs[0] = valid;
  else free(valid);
  if (fmt[0] == 'u' || fmt[0] == 'U') {
    int large = fmt[0] == 'U';
    void *offs = malloc((size_t)(tot + 1) * 8);
    uint8_t *data = malloc((size_t)tot * 12 + 1);
    int64_t pos = 0;
    for (int64_t i = 0; i <= tot; i++) {
      if (large) ((int64_t *)offs)[i] = pos; else ((int32_t *)offs)[i] = (int32_t)pos;
      if (i < tot) { int l = rnd() % 12; for (int k = 0; k < l; k++) data[pos++] = (uint8_t)("AbCdEfXyZ019"[rnd() % 12]); }
    }
    c->a.n_buffers = 3; c->bufs[1] = offs; c->bufs[2] = data;
  } else {
    int w = fmt[0] == 'g' || fmt[0] == 'l' ? 8 : 4;
    uint8_t *vals = malloc((size_t)tot * (size_t)w + 1);
    for (int64_t i = 0; i < tot; i++) {
      if (fmt[0] == 'g') ((double *)vals)[i] = (double)(int)(rnd() % 200) - 100.0;
      else if (w == 8) ((int64_t *)vals)[i] = (int64_t)(rnd() % 200) - 100;
      else ((int32_t *)vals)[i] = (int32_t)(rnd() % 200) - 100;
    }
    c->a.n_buffers = 2; c->bufs[1] = vals;
  }
}

int main(int argc, char **argv) {
  const char *config = argc > 1 ? argv[1] : "{}";
  int rc = dataflare_init(config, (uint32_t)strlen(config));
  if (rc != 0) { printf("init %d: %s\n", rc, df__g.error); return 1; }
  long rows = 0, outs = 0;
  for (int it = 0; it < 300; it++) {
    int64_t len = it % 50 == 0 ? 0 : rnd() % 3000, off = rnd() % 9;
    col_t cols[4];
    mk_col(&cols[0], "k", it % 2 ? "u" : "U", len, off);
    mk_col(&cols[1], "x", "l", len, off);
    mk_col(&cols[2], "f", "g", len, (off + 3) % 9);
    mk_col(&cols[3], "s", "u", len, (off + 5) % 9);
    struct ArrowSchema *cs[4]; struct ArrowArray *ca[4];
    for (int i = 0; i < 4; i++) { cs[i] = &cols[i].s; ca[i] = &cols[i].a; }
    struct ArrowSchema top_s = {.format = "+s", .name = "", .n_children = 4, .children = cs};
    const void *top_b[1] = {NULL};
    struct ArrowArray top_a = {.length = len, .n_buffers = 1, .n_children = 4, .buffers = top_b, .children = ca};
    struct ArrowSchema os; struct ArrowArray oa;
    rc = dataflare_process(&top_s, &top_a, &os, &oa);
    if (rc < 0) { printf("process %d: %s\n", rc, df__g.error); return 1; }
    rows += len;
    if (rc == 0) {
      outs += oa.length;
      for (int64_t i = 0; i < oa.n_children; i++) assert(oa.children[i]->length == oa.length);
    }
    for (int i = 0; i < 4; i++) for (int b = 0; b < 3; b++) free((void *)cols[i].bufs[b]);
  }
  rc = dataflare_finish ? dataflare_finish(&(struct ArrowSchema){0}, &(struct ArrowArray){0}) : 1;
  printf("ok: %ld rows in, %ld rows out, finish %d\n", rows, outs, rc);
  return 0;
}
