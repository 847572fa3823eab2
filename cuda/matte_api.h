/* matte_api.h — the plain C face of the matte nodes' CUDA paths (cuda/matte_key.cu,
 * matte_refine.cu, matte_composite.cu); nodes/matte_*.c are the references. Per-frame settings
 * are read from device memory (the node's parameter block), so captured graphs replay with new
 * values; the `cfg` structs say which stages a pipeline configured (fixed at load), which
 * decides the kernels launched. Pixel math: engine/matte_math.h. Conventions as in cuda_api.h:
 * d_ pointers are device addresses, errors go to (err, errcap). */
#ifndef YSG_MATTE_API_H
#define YSG_MATTE_API_H

#include <stddef.h>
#include <stdint.h>

#include "matte_math.h"
#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* chroma_key: d_key is the frame's settings; the launcher copies it into d_work, measures the
 * key from the border there when auto_key is on, then keys every pixel. */
size_t ysg__cuda_chroma_key_work_bytes(void);
ysg_status ysg__cuda_chroma_key(const uint16_t *d_in, const uint8_t *d_in_tiles, int w, int h,
                                uint16_t *d_fg, uint8_t *d_fg_tiles, uint16_t *d_matte,
                                uint8_t *d_matte_tiles, const ysg_chroma_key *d_key, void *d_work,
                                void *stream, char *err, size_t errcap);

ysg_status ysg__cuda_diff_key(const uint16_t *d_in, const uint8_t *d_in_tiles,
                              const uint16_t *d_plate, const uint8_t *d_plate_tiles, int w, int h,
                              uint16_t *d_fg, uint8_t *d_fg_tiles, uint16_t *d_matte,
                              uint8_t *d_matte_tiles, const ysg_diff_key *d_key, void *stream,
                              char *err, size_t errcap);

/* mask_in: source, srgb and invert are static parameters of the node. */
ysg_status ysg__cuda_mask_in(const uint16_t *d_in, const uint8_t *d_in_tiles, int w, int h,
                             uint16_t *d_out, uint8_t *d_out_tiles, int source, int srgb,
                             int invert, void *stream, char *err, size_t errcap);

/* Single-channel blur of a W×H float plane by the kernel at d_k (clamped edges): src → tmp
 * (horizontal) → dst (vertical); dst may be src. d_weights holds YSG_MATTE_TAPS floats. */
#define YSG_MATTE_TAPS 256
ysg_status ysg__cuda_matte_blur(const float *d_src, float *d_dst, float *d_tmp, float *d_weights,
                                int w, int h, const ysg_blur_kernel *d_k, void *stream, char *err,
                                size_t errcap);

/* matte (refine): the stages this pipeline configured. */
typedef struct ysg_matte_refine_cfg {
  int components, grow, feather, blur, temporal, guided;
} ysg_matte_refine_cfg;
size_t ysg__cuda_matte_refine_work_bytes(int w, int h, const ysg_matte_refine_cfg *cfg);
/* d_state: the temporal average (2 × W×H floats, persistent: op->temporal_src says which plane is
 * read, the other is written) or NULL; d_guide: the guide image or
 * NULL (then the guided stage is not configured). */
ysg_status ysg__cuda_matte_refine(const uint16_t *d_in, const uint8_t *d_in_tiles,
                                  const uint16_t *d_guide, const uint8_t *d_guide_tiles, int w,
                                  int h, uint16_t *d_out, uint8_t *d_out_tiles,
                                  const ysg_matte_refine_op *d_op, const ysg_matte_refine_cfg *cfg,
                                  float *d_state, void *d_work, void *stream, char *err,
                                  size_t errcap);

/* composite: the options this pipeline configured. */
typedef struct ysg_composite_cfg {
  int bg_blur, wrap, has_matte;
} ysg_composite_cfg;
size_t ysg__cuda_composite_work_bytes(int w, int h, const ysg_composite_cfg *cfg);
ysg_status ysg__cuda_composite(const uint16_t *d_fg, const uint8_t *d_fg_tiles,
                               const uint16_t *d_bg, const uint8_t *d_bg_tiles,
                               const uint16_t *d_matte, const uint8_t *d_matte_tiles, int w, int h,
                               uint16_t *d_out, uint8_t *d_out_tiles, const ysg_composite_op *d_op,
                               const ysg_composite_cfg *cfg, void *d_work, void *stream, char *err,
                               size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_MATTE_API_H */
