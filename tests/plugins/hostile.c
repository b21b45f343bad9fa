/* Misbehaves in the way its config names; every mode must give the host a clean error. */
#include <stdio.h>
#include "raw.h"

__attribute__((import_module("dataflare"), import_name("log"))) void df_log(int32_t, const char *, int32_t);
__attribute__((import_module("dataflare"), import_name("counter_add"))) void df_counter(const char *, int32_t, int64_t);
__attribute__((import_module("dataflare"), import_name("histogram_record"))) void df_hist(const char *, int32_t, double);

static struct ArrowSchema cs, *csp = &cs;
static struct ArrowArray ca, *cap = &ca;
static const void *bufs[8];
static int32_t offsets[4] = {0, 5, 2, 100000};
static char data[16] = "hello";
volatile int sink;

EXPORT(dataflare_process) int32_t dataflare_process(struct ArrowSchema *is, struct ArrowArray *ia,
                                                    struct ArrowSchema *os, struct ArrowArray *oa) {
  if (cfg_has("\"loop\"")) { for (;;) sink++; }
  if (cfg_has("\"trap\"")) __builtin_trap();
  if (cfg_has("\"bomb\"")) {
    for (;;) { char *p = malloc(1 << 20); if (!p) __builtin_trap(); memset(p, 1, 1 << 20); sink += p[7]; }
  }
  if (cfg_has("\"status\"")) return 42;
  if (cfg_has("\"talk\"")) {
    printf("hello from stdout\n"); fflush(stdout);
    fprintf(stderr, "warning on stderr\n");
    df_log(2, "info line", 9); df_log(4, "error line", 10);
    df_counter("batches_seen", 12, 1); df_counter("rows_seen", 9, ia->length);
    df_hist("batch_rows", 10, (double)ia->length);
    *os = *is; *oa = *ia; return 0;
  }
  /* one int64 or utf8 column "x" of 3 rows, broken as configured */
  cs = (struct ArrowSchema){.format = "l", .name = "x", .flags = 2};
  ca = (struct ArrowArray){.length = 3, .null_count = 0, .offset = 0, .n_buffers = 2, .buffers = bufs};
  static int64_t vals[3] = {1, 2, 3};
  bufs[0] = NULL; bufs[1] = vals;
  *os = (struct ArrowSchema){.format = "+s", .n_children = 1, .children = &csp};
  *oa = (struct ArrowArray){.length = 3, .n_buffers = 1, .n_children = 1, .children = &cap, .buffers = bufs + 4};
  if (cfg_has("\"bad_ptr\"")) bufs[1] = (void *)0xFFFFFF00u;
  if (cfg_has("\"neg_len\"")) { ca.length = -5; oa->length = -5; }
  if (cfg_has("\"bad_format\"")) cs.format = "Q!";
  if (cfg_has("\"unterminated\"")) cs.format = (const char *)(uintptr_t)0xFFFFFFF0u;
  if (cfg_has("\"bad_nbuf\"")) ca.n_buffers = 7;
  if (cfg_has("\"bad_top\"")) os->format = "l";
  if (cfg_has("\"many_children\"")) { os->n_children = 1000000000; oa->n_children = 1000000000; }
  if (cfg_has("\"child_len\"")) ca.length = 2;
  if (cfg_has("\"big_offset\"")) ca.offset = 1LL << 40;
  if (cfg_has("\"null_struct\"")) oa->children = NULL;
  if (cfg_has("\"bad_utf8_offsets\"")) {
    cs.format = "u"; ca.n_buffers = 3; bufs[1] = offsets; bufs[2] = data;
  }
  if (cfg_has("\"bad_utf8\"")) {
    static int32_t ok_off[4] = {0, 1, 2, 3}; static char bad[4] = {'a', (char)0xff, 'c', 0};
    cs.format = "u"; ca.n_buffers = 3; bufs[1] = ok_off; bufs[2] = bad;
  }
  if (cfg_has("\"nulls_without_validity\"")) ca.null_count = 2;
  return 0;
}
