/* image_in_device.c — image_in on the CUDA executor. The node launches nothing in its captured
 * run(); each frame its stage() (uncaptured, on the pipeline's stream, before the segment) puts
 * the frame's image into the node's device output: a lent CUDA tensor is converted by a kernel
 * straight from the tensor (no host trip, pointer read afresh every frame), a lent host tensor is
 * converted on the host and uploaded, a copied image is uploaded (cudaMemcpyAsync from pageable
 * memory returns once the bytes are staged, so px may change after it). The output's arena memory
 * can be reused by later nodes within a frame, so every frame writes it anew. */
#ifdef YSG_HAVE_CUDA
#include <stdio.h>

#include "../cuda/cuda_api.h"
#include "../cuda/image_io_api.h"
#include "image_in.h"
#include "internal.h"

static int dev_supported(const ysg_node *n) {
  (void)n;
  return 1;
}

static ysg_status upload(ysg_node *n, const image_in_state *st, ysg_value *out, void *stream) {
  char err[512];
  if (ysg__cuda_upload(out->px, st->px, (size_t)st->w * (size_t)st->h * 8, stream, err,
                       sizeof err) ||
      ysg__cuda_upload(out->tiles, st->tiles, (size_t)st->tx * (size_t)st->ty, stream, err,
                       sizeof err))
    return ysg_node_fail(n, YSG_ERR_CUDA, "uploading the image: %s", err);
  return YSG_OK;
}

static ysg_status dev_stage(ysg_node *n, const ysg_frame *f, void *stream) {
  image_in_state *st = ysg_node_state(n);
  ysg_value *out = ysg_node_output_device(n, 0);
  char err[512];
  if (st->has_src && st->src.device) {
    if (ysg__cuda_image_decode(st->src.pixels, st->src.stride, (int)st->src.format, st->w, st->h,
                               out->px, out->tiles, stream, err, sizeof err))
      return ysg_node_fail(n, YSG_ERR_CUDA, "converting the lent CUDA tensor: %s", err);
    return YSG_OK;
  }
  if (st->has_src) { /* a host tensor: converted here, then uploaded */
    if (!st->px) {
      st->px = ysg_node_alloc(n, (size_t)st->w * (size_t)st->h * 8);
      if (!st->px) return YSG_ERR_NOMEM;
    }
    char when[64];
    snprintf(when, sizeof when, "frame %d", f->index);
    ysg_status s = ysg__image_in_decode(n, st, st->src.format, st->src.pixels, st->src.stride,
                                        st->px, st->tiles, when);
    return s ? s : upload(n, st, out, stream);
  }
  if (st->px) return upload(n, st, out, stream);
  if (ysg__cuda_memset(out->tiles, 0, (size_t)st->tx * (size_t)st->ty, stream, err, sizeof err))
    return ysg_node_fail(n, YSG_ERR_CUDA, "clearing the image: %s", err);
  return YSG_OK;
}

static ysg_status dev_run(ysg_node *n, void *stream) {
  (void)n, (void)stream; /* stage() wrote the output before the segment was launched */
  return YSG_OK;
}

const ysg_device_ops ysg__image_in_device_ops = {
    .supported = dev_supported,
    .stage = dev_stage,
    .run = dev_run,
};

#else
typedef int ysg__image_in_device_unused; /* ISO C forbids an empty translation unit */
#endif
