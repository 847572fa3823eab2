/* prim_api.h — the plain C face of the primitives search on the GPU (cuda/prim.cu). The host
 * prepares the search exactly as the CPU does (target at the search size, background, row tables:
 * prim_search_begin) and hands it over; the device then finds every shape without the host: per
 * shape one launch scores all climbs × candidates (a warp per candidate, rows striped over its
 * lanes), one picks each climb's best, one hill-climbs every climb (a block per climb, a warp per
 * mutation of a round, rounds looped inside the kernel), one draws the best climb's shape and one
 * rebuilds its rows' tables — captured once as a CUDA Graph and replayed `count` times, the shape
 * index read from device memory. Results equal the CPU's bit for bit (same math headers, no FMA,
 * the same summation order). */
#ifndef YSG_PRIM_API_H
#define YSG_PRIM_API_H

#include <stddef.h>
#include <stdint.h>

#include "prim_search.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ysg_cuda_prim ysg_cuda_prim;

/* Device memory for a w × h search of up to `count` shapes with the given climbs × candidates. */
ysg_status ysg__cuda_prim_create(int w, int h, int count, int climbs, int candidates,
                                 ysg_cuda_prim **out, char *err, size_t errcap);
void ysg__cuda_prim_destroy(ysg_cuda_prim *p);

/* Run o->count steps from the state of s (tgt, cur, pre, row_sse, sse as prim_search_begin left
 * them; s is not changed). warm: NULL or o->count shapes tried first (prim_search_step's warm).
 * out: o->count records; *evals: evaluations made. Waits for the device. */
ysg_status ysg__cuda_prim_search(ysg_cuda_prim *p, const prim_search *s, const prim_opts *o,
                                 const prim_space *sp, const prim_cand *warm, prim_record *out,
                                 int64_t *evals, char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_PRIM_API_H */
