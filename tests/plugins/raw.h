/* Minimal raw dataflare-abi 1 glue for the host's own test plugins (no SDK on purpose:
 * these plugins exercise the host, including with deliberately broken output). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ArrowSchema {
  const char *format; const char *name; const char *metadata;
  int64_t flags; int64_t n_children;
  struct ArrowSchema **children; struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *); void *private_data;
};
struct ArrowArray {
  int64_t length; int64_t null_count; int64_t offset; int64_t n_buffers; int64_t n_children;
  const void **buffers; struct ArrowArray **children; struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *); void *private_data;
};
_Static_assert(sizeof(struct ArrowSchema) == 48, "schema");
_Static_assert(sizeof(struct ArrowArray) == 64, "array");

#define EXPORT(name) __attribute__((export_name(#name)))

static const char *g_err = "";
static char g_cfg[256];

EXPORT(dataflare_abi_version) int32_t dataflare_abi_version(void) { return 1; }
EXPORT(dataflare_alloc) void *dataflare_alloc(int32_t size, int32_t align) {
  void *p = NULL; if (posix_memalign(&p, align < 8 ? 8 : align, size) != 0) return NULL; return p;
}
EXPORT(dataflare_free) void dataflare_free(void *p, int32_t size, int32_t align) { free(p); }
EXPORT(dataflare_last_error) void dataflare_last_error(uint32_t *out) {
  out[0] = (uint32_t)(uintptr_t)g_err; out[1] = strlen(g_err);
}
EXPORT(dataflare_init) int32_t dataflare_init(const char *cfg, int32_t len) {
  if (len >= (int32_t)sizeof g_cfg) { g_err = "config too long"; return -2; }
  memcpy(g_cfg, cfg, len); g_cfg[len] = 0; return 0;
}
static int cfg_has(const char *word) { return strstr(g_cfg, word) != NULL; }
