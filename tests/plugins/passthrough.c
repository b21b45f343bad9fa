/* Returns the input unchanged, pointing at the input buffers (zero-copy pass-through). */
#include "raw.h"
EXPORT(dataflare_process) int32_t dataflare_process(struct ArrowSchema *is, struct ArrowArray *ia,
                                                    struct ArrowSchema *os, struct ArrowArray *oa) {
  if (cfg_has("filter_all")) return 1;
  if (cfg_has("fail")) { g_err = "asked to fail"; return -1; }
  *os = *is; *oa = *ia; return 0;
}
