/* Deep-copies every input column into fresh guest memory (exercises the host's copy-out path).
 * Output columns keep the input's offset. Config {"drop_first": true} also checks output offsets
 * by emitting each column with offset+1 and length-1. */
#include "raw.h"

static int bitmap_like(const char *f) { return f[0] == 'b'; }
static int width_of(const char *f) {
  switch (f[0]) {
    case 'c': case 'C': return 1; case 's': case 'S': return 2;
    case 'i': case 'I': case 'f': return 4; case 'l': case 'L': case 'g': return 8;
    case 't': return f[1] == 'd' ? 4 : 8;
  }
  return 0;
}
static void *dup(const void *src, size_t n) { void *p = malloc(n ? n : 1); if (n) memcpy(p, src, n); return p; }

static struct ArrowSchema out_children_s[256];
static struct ArrowArray out_children_a[256];
static struct ArrowSchema *out_cs[256];
static struct ArrowArray *out_ca[256];
static const void *bufs[256][3];
static void *to_free[1024]; static int n_free;

static void *keep(void *p) { to_free[n_free++] = p; return p; }

EXPORT(dataflare_process) int32_t dataflare_process(struct ArrowSchema *is, struct ArrowArray *ia,
                                                    struct ArrowSchema *os, struct ArrowArray *oa) {
  for (int i = 0; i < n_free; i++) free(to_free[i]);
  n_free = 0;
  int drop = cfg_has("drop_first") && ia->length > 0;
  int64_t n = ia->length;
  for (int64_t c = 0; c < is->n_children; c++) {
    struct ArrowSchema *s = is->children[c]; struct ArrowArray *a = ia->children[c];
    const char *f = s->format;
    int64_t end = a->offset + a->length;
    out_children_s[c] = *s;
    out_children_a[c] = *a;
    out_children_a[c].buffers = bufs[c];
    if (f[0] != 'n') {
      bufs[c][0] = a->buffers[0] ? keep(dup(a->buffers[0], (end + 7) / 8)) : NULL;
      if (bitmap_like(f)) {
        bufs[c][1] = keep(dup(a->buffers[1], (end + 7) / 8));
      } else if (width_of(f)) {
        bufs[c][1] = keep(dup(a->buffers[1], end * width_of(f)));
      } else {
        int w = (f[0] == 'U' || f[0] == 'Z') ? 8 : 4;
        bufs[c][1] = keep(dup(a->buffers[1], (end + 1) * w));
        int64_t last = w == 4 ? ((const int32_t *)a->buffers[1])[end] : ((const int64_t *)a->buffers[1])[end];
        bufs[c][2] = keep(dup(a->buffers[2], last));
      }
    }
    out_children_a[c].null_count = -1;
    if (drop) { out_children_a[c].offset += 1; out_children_a[c].length -= 1; }
    out_cs[c] = &out_children_s[c]; out_ca[c] = &out_children_a[c];
  }
  *os = *is; os->children = out_cs;
  *oa = *ia; oa->children = out_ca;
  if (drop) oa->length = n - 1;
  return 0;
}
