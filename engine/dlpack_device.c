/* dlpack_device.c — the CUDA side of the DLPack calls (dlpack_device.h) and
 * ysg_pipeline_set_cuda_stream: device views of kept values (count downloaded, empty tiles
 * zeroed by a kernel), conversions into device tensors, and copies out of device tensors, all on
 * the pipeline's stream and handed over to the host's stream (or waited for) afterwards. */
#include <string.h>

#include "dlpack_device.h"

#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/image_io_api.h"
#endif

ysg_status ysg_pipeline_set_cuda_stream(ysg_pipeline *p, void *stream) {
  if (!p) return YSG_ERR_INVALID;
  if (!p->dev)
    return ysg__seterr(p->ctx, YSG_ERR_UNSUPPORTED,
                       "%s: ysg_pipeline_set_cuda_stream: the pipeline runs on the CPU backend",
                       p->file);
  p->host_stream = stream;
  return YSG_OK;
}

int ysg__dlpack_on_device(const ysg_pipeline *p, int b) {
  return p->dev && (p->buffers[b].where & YSG_WHERE_DEVICE) &&
         p->nodes[p->buffers[b].node]->on_device;
}

#ifdef YSG_HAVE_CUDA

int ysg__dlpack_device_id(const ysg_pipeline *p) {
  return p->dev ? ysg__cuda_current_device() : -1;
}

static ysg_status fail(ysg_pipeline *p, const char *what, const char *err) {
  return ysg__seterr(p->ctx, YSG_ERR_CUDA, "%s: %s: %s", p->file, what, err);
}

ysg_status ysg__dlpack_device_view(ysg_pipeline *p, int b, const ysg_value **out) {
  const ysg_buffer *buf = &p->buffers[b];
  ysg_node *n = p->nodes[buf->node];
  ysg_value *v = &n->outputs_dev[n->type->n_outputs + buf->port]; /* the host-facing copy */
  *v = n->outputs_dev[buf->port];
  void *stream = ysg__device_stream(p);
  char err[512];
  if (v->type == YSG_IMAGE) {
    v->count = 1;
    if (ysg__cuda_image_zero_empty(v->px, v->tiles, v->width, v->height, stream, err, sizeof err))
      return fail(p, "clearing an image's empty tiles", err);
  } else {
    ysg_value_header h;
    if (ysg__cuda_download(&h, p->d_headers + b, sizeof h, stream, err, sizeof err) ||
        ysg__cuda_sync(stream, err, sizeof err))
      return fail(p, "reading a value's count", err);
    v->count = h.count;
    v->attrs = h.attrs;
  }
  ysg_status s = ysg__device_hand_over(p);
  if (s) return s;
  *out = v;
  return YSG_OK;
}

ysg_status ysg__dlpack_device_read(ysg_pipeline *p, int b, ysg_pixel_format fmt, void *d_dst,
                                   size_t stride) {
  const ysg_buffer *buf = &p->buffers[b];
  const ysg_value *v = &p->nodes[buf->node]->outputs_dev[buf->port];
  char err[512];
  if (ysg__cuda_image_encode(v->px, v->tiles, v->width, v->height, (int)fmt, d_dst, stride,
                             ysg__device_stream(p), err, sizeof err))
    return fail(p, "converting an image into a CUDA tensor", err);
  return ysg__device_hand_over(p);
}

ysg_status ysg__dlpack_download(ysg_pipeline *p, void *dst, const void *d_src, size_t bytes) {
  char err[512];
  void *stream = p->host_stream; /* after the host's work on it; NULL: the legacy stream */
  if (ysg__cuda_download(dst, d_src, bytes, stream, err, sizeof err) ||
      ysg__cuda_sync(stream, err, sizeof err))
    return fail(p, "copying a CUDA tensor to the host", err);
  return YSG_OK;
}

#else /* without CUDA no value is on a device and no CUDA tensor gets past the device check */

int ysg__dlpack_device_id(const ysg_pipeline *p) {
  (void)p;
  return -1;
}
ysg_status ysg__dlpack_device_view(ysg_pipeline *p, int b, const ysg_value **out) {
  (void)b;
  *out = NULL;
  return ysg__device_create(p);
}
ysg_status ysg__dlpack_device_read(ysg_pipeline *p, int b, ysg_pixel_format fmt, void *d_dst,
                                   size_t stride) {
  (void)b, (void)fmt, (void)d_dst, (void)stride;
  return ysg__device_create(p);
}
ysg_status ysg__dlpack_download(ysg_pipeline *p, void *dst, const void *d_src, size_t bytes) {
  (void)dst, (void)d_src, (void)bytes;
  return ysg__device_create(p);
}
#endif
