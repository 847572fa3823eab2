/* bins_api.h — the plain C face of the device tile binner (cuda/bins.cu): the same lists as the
 * CPU ysg__bins_build (engine/bins.h), built on a stream without host synchronisation so a
 * render node's whole frame can be captured in a CUDA Graph and replayed with new primitives.
 * Conventions as in cuda_api.h: d_… are device pointers, per-frame values live in device memory,
 * errors are YSG_ERR_CUDA with "CALL failed at FILE:LINE: REASON" in err. */
#ifndef YSG_BINS_API_H
#define YSG_BINS_API_H

#include <stddef.h>
#include <stdint.h>

#include "bins.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bin the first *d_n_prims (clamped to 0..cap_prims) of d_prims into the tiles_x × tiles_y grid
 * of YSG_TILE² tiles: tile t lists d_items[d_start[t] .. d_start[t+1]) in ascending primitive
 * order (d_start has n_tiles + 1 entries, d_items cap_items). *d_total receives the number of
 * references needed (saturated at INT32_MAX); when it exceeds cap_items every list is empty
 * (d_start all 0) and the caller reports the capacity error after reading *d_total. d_temp must
 * hold ysg__cuda_bins_temp_bytes(cap_prims, tiles_x, tiles_y) bytes. Only enqueues work. */
ysg_status ysg__cuda_bins_build(const ysg_bin_prim *d_prims, const int32_t *d_n_prims,
                                int cap_prims, int tiles_x, int tiles_y, int32_t *d_start,
                                int32_t *d_items, int cap_items, int32_t *d_total, void *d_temp,
                                size_t temp_bytes, void *stream, char *err, size_t errcap);
/* Scratch bytes ysg__cuda_bins_build needs (pure arithmetic: no device is touched). */
size_t ysg__cuda_bins_temp_bytes(int cap_prims, int tiles_x, int tiles_y);

#ifdef __cplusplus
}
#endif
#endif /* YSG_BINS_API_H */
