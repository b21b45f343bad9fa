/* Stateful: counts rows across batches and emits the total from dataflare_finish. */
#include "raw.h"
static int64_t total; static int64_t out_val;
static struct ArrowSchema cs, *csp = &cs; static struct ArrowArray ca, *cap = &ca;
static const void *cbufs[2]; static const void *tbufs[1];
EXPORT(dataflare_process) int32_t dataflare_process(struct ArrowSchema *is, struct ArrowArray *ia,
                                                    struct ArrowSchema *os, struct ArrowArray *oa) {
  total += ia->length; return 1;
}
EXPORT(dataflare_finish) int32_t dataflare_finish(struct ArrowSchema *os, struct ArrowArray *oa) {
  out_val = total;
  cs = (struct ArrowSchema){.format = "l", .name = "rows", .flags = 2};
  cbufs[0] = NULL; cbufs[1] = &out_val;
  ca = (struct ArrowArray){.length = 1, .n_buffers = 2, .buffers = cbufs};
  *os = (struct ArrowSchema){.format = "+s", .n_children = 1, .children = &csp};
  *oa = (struct ArrowArray){.length = 1, .n_buffers = 1, .n_children = 1, .children = &cap, .buffers = tbufs};
  return 0;
}
