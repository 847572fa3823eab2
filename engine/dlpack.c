/* dlpack.c — DLPack tensors in and out (include/ysgraph/dlpack.h): validation with messages that
 * name the expected dtype, shape, strides and device; image_in lent a tensor it reads every frame
 * (no copy at the set call); points/boxes copied; kept values exported as views of the arena
 * whose deleter holds a reference on the pipeline (its memory outlives ysg_pipeline_destroy
 * until the last tensor is released); images converted into a caller's tensor. The CUDA side
 * (device views, kernels into device tensors) goes through engine/dlpack_device.c. */
#ifdef YSG_HAVE_DLPACK
#include "ysgraph/dlpack.h"

#include <stdio.h>
#include <string.h>

#include "dlpack_device.h"
#include "inputs.h"
#include "internal.h"
#include "pixels.h"

/* ---- describing tensors ------------------------------------------------------------------------
 */

static void dtype_text(DLDataType t, char *buf, size_t cap) {
  const char *kind = t.code == kDLUInt     ? "uint"
                     : t.code == kDLInt    ? "int"
                     : t.code == kDLFloat  ? "float"
                     : t.code == kDLBfloat ? "bfloat"
                                           : "type";
  if (t.lanes > 1)
    snprintf(buf, cap, "%s%dx%d", kind, t.bits, t.lanes);
  else
    snprintf(buf, cap, "%s%d", kind, t.bits);
}

static void device_text(DLDevice d, char *buf, size_t cap) {
  if (d.device_type == kDLCPU)
    snprintf(buf, cap, "cpu");
  else if (d.device_type == kDLCUDA)
    snprintf(buf, cap, "cuda:%d", d.device_id);
  else if (d.device_type == kDLCUDAHost)
    snprintf(buf, cap, "cuda_host");
  else if (d.device_type == kDLCUDAManaged)
    snprintf(buf, cap, "cuda_managed:%d", d.device_id);
  else
    snprintf(buf, cap, "device type %d:%d", (int)d.device_type, d.device_id);
}

/* "float32 (180, 320, 3) on cpu", strides added when they are not the packed ones */
static void tensor_text(const DLTensor *t, char *buf, size_t cap) {
  char dt[32], dev[48];
  dtype_text(t->dtype, dt, sizeof dt);
  device_text(t->device, dev, sizeof dev);
  int o = snprintf(buf, cap, "%s (", dt);
  for (int i = 0; i < t->ndim && i < 8 && o > 0 && (size_t)o < cap; i++)
    o += snprintf(buf + o, cap - (size_t)o, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
  if (t->ndim == 1 && o > 0 && (size_t)o < cap) o += snprintf(buf + o, cap - (size_t)o, ",");
  if (t->strides && o > 0 && (size_t)o < cap) {
    o += snprintf(buf + o, cap - (size_t)o, ") strides (");
    for (int i = 0; i < t->ndim && i < 8 && o > 0 && (size_t)o < cap; i++)
      o += snprintf(buf + o, cap - (size_t)o, "%s%lld", i ? ", " : "", (long long)t->strides[i]);
  }
  if (o > 0 && (size_t)o < cap) snprintf(buf + o, cap - (size_t)o, ") on %s", dev);
}

static int on_host(const DLTensor *t) {
  return t->device.device_type == kDLCPU || t->device.device_type == kDLCUDAHost;
}

static const char *where_text(const ysg_pipeline *p) {
  return p->dev ? "on the CPU or the pipeline's CUDA device" : "on the CPU";
}

/* "what: expected EXPECT, got TENSOR[: why]" */
static ysg_status bad(ysg_pipeline *p, const char *what, const char *expect, const DLTensor *t,
                      const char *why) {
  char got[256];
  if (t)
    tensor_text(t, got, sizeof got);
  else
    snprintf(got, sizeof got, "NULL");
  return ysg__seterr(p->ctx, YSG_ERR_INVALID, "%s: expected %s, got %s%s%s", what, expect, got,
                     why ? ": " : "", why ? why : "");
}

/* A tensor on a device this pipeline can read: host memory, or its CUDA device. */
static ysg_status check_device(ysg_pipeline *p, const char *what, const char *expect,
                               const DLTensor *t) {
  if (on_host(t)) return YSG_OK;
  if (t->device.device_type != kDLCUDA)
    return bad(p, what, expect, t, "the device type is not supported");
  if (!p->dev)
    return bad(p, what, expect, t,
               "the pipeline runs on the CPU backend (copy the tensor to the host, or load the "
               "pipeline with the CUDA backend)");
  int id = ysg__dlpack_device_id(p);
  if (id >= 0 && t->device.device_id != id) {
    char why[96];
    snprintf(why, sizeof why, "the pipeline runs on cuda:%d", id);
    return bad(p, what, expect, t, why);
  }
  return YSG_OK;
}

/* dtype, shape (H, W[, C]) and strides of an image tensor for fmt; *stride: bytes per row */
static ysg_status check_image(ysg_pipeline *p, const char *what, ysg_pixel_format fmt,
                              const DLTensor *t, int w, int h, size_t *stride) {
  const char *name = ysg_pixel_format_name(fmt);
  if (!name)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "%s: unknown pixel format %d", what, (int)fmt);
  int is_float, bits, c;
  ysg__pixel_format_elem(fmt, &is_float, &bits, &c);
  char expect[160], dt[32];
  DLDataType want = {(uint8_t)(is_float ? kDLFloat : kDLUInt), (uint8_t)bits, 1};
  dtype_text(want, dt, sizeof dt);
  if (c > 1)
    snprintf(expect, sizeof expect, "a %s tensor of shape (%d, %d, %d) (%s, the canvas size) %s",
             dt, h, w, c, name, where_text(p));
  else
    snprintf(expect, sizeof expect, "a %s tensor of shape (%d, %d) (%s, the canvas size) %s", dt, h,
             w, name, where_text(p));
  if (!t) return bad(p, what, expect, NULL, NULL);
  int ndim = c > 1 ? 3 : 2;
  if (t->dtype.code != want.code || t->dtype.bits != want.bits || t->dtype.lanes != 1)
    return bad(p, what, expect, t, NULL);
  if (t->ndim != ndim || !t->shape || t->shape[0] != h || t->shape[1] != w ||
      (ndim == 3 && t->shape[2] != c))
    return bad(p, what, expect, t, NULL);
  int64_t row = (int64_t)w * c;
  if (t->strides) {
    if ((ndim == 3 && (t->strides[2] != 1 || t->strides[1] != c)) ||
        (ndim == 2 && t->strides[1] != 1))
      return bad(p, what, expect, t, "pixels and channels must be packed (copy it contiguous)");
    if (h > 1 && t->strides[0] < row)
      return bad(p, what, expect, t, "rows overlap or run backwards");
    row = h > 1 ? t->strides[0] : row;
  }
  if (!t->data && w > 0 && h > 0) return bad(p, what, expect, t, "its data pointer is NULL");
  uintptr_t addr = (uintptr_t)t->data + (uintptr_t)t->byte_offset;
  if (addr % (uintptr_t)(bits / 8))
    return bad(p, what, expect, t, "its data is not aligned to its element size");
  *stride = (size_t)row * (size_t)(bits / 8);
  return check_device(p, what, expect, t);
}

static const void *data_of(const DLTensor *t) {
  return (const unsigned char *)t->data + t->byte_offset;
}

static ysg_status find_node(ysg_pipeline *p, const char *call, const char *node, const char *type,
                            ysg_node **out) {
  ysg_node *n = ysg__node_find(p, node ? node : "");
  if (!n)
    return ysg__seterr(p->ctx, YSG_ERR_NOT_FOUND, "%s: %s: no node named '%s'", call, p->file,
                       node ? node : "(null)");
  if (strcmp(n->type->name, type) != 0)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "%s: %s: node '%s' is a %s node, expected %s", call,
                       p->file, node, n->type->name, type);
  *out = n;
  return YSG_OK;
}

/* ---- in ----------------------------------------------------------------------------------------
 */

static void release_managed(void *ud) {
  DLManagedTensor *t = ud;
  if (t->deleter) t->deleter(t);
}

ysg_status ysg_pipeline_set_image_dlpack(ysg_pipeline *p, const char *node, ysg_pixel_format format,
                                         DLManagedTensor *t) {
  if (!p) return YSG_ERR_INVALID;
  ysg_node *n = NULL;
  ysg_status s = find_node(p, "ysg_pipeline_set_image_dlpack", node, "image_in", &n);
  if (s) return s;
  char what[300];
  snprintf(what, sizeof what, "ysg_pipeline_set_image_dlpack: node '%s'", n->name);
  size_t stride = 0;
  s = check_image(p, what, format, t ? &t->dl_tensor : NULL, p->canvas.width, p->canvas.height,
                  &stride);
  if (s) return s;
  ysg_image_source src = {p->canvas.width, p->canvas.height,
                          format,          data_of(&t->dl_tensor),
                          stride,          t->dl_tensor.device.device_type == kDLCUDA,
                          release_managed, t};
  return ysg__input_set_image_source(n, &src);
}

/* (N, dims) float32 rows gathered into a packed host array (allocated; caller frees) */
static ysg_status gather_rows(ysg_pipeline *p, const char *what, const DLTensor *t, int dims,
                              const char *names, float **out, int *count) {
  char expect[160];
  snprintf(expect, sizeof expect, "a float32 tensor of shape (N, %d) (%s) %s", dims, names,
           where_text(p));
  *out = NULL;
  if (!t) return bad(p, what, expect, NULL, NULL);
  if (t->dtype.code != kDLFloat || t->dtype.bits != 32 || t->dtype.lanes != 1 || t->ndim != 2 ||
      !t->shape || t->shape[1] != dims || t->shape[0] < 0 || t->shape[0] > 100000000)
    return bad(p, what, expect, t, NULL);
  ysg_status s = check_device(p, what, expect, t);
  if (s) return s;
  int n = (int)t->shape[0];
  int64_t s0 = t->strides ? t->strides[0] : dims, s1 = t->strides ? t->strides[1] : 1;
  if (n > 0 && (!t->data || s0 < 0 || s1 < 0))
    return bad(p, what, expect, t, "no data, or negative strides");
  float *rows = ysg__alloc(p->ctx, sizeof(float) * (size_t)dims * (size_t)(n ? n : 1));
  if (!rows) return YSG_ERR_NOMEM;
  const float *src = data_of(t);
  if (n > 0 && !on_host(t)) { /* the span the strides cover, to the host, then gathered */
    size_t span = (size_t)((n - 1) * s0 + (dims - 1) * s1 + 1);
    float *host = ysg__alloc(p->ctx, sizeof(float) * span);
    if (!host) {
      ysg__free(p->ctx, rows);
      return YSG_ERR_NOMEM;
    }
    if ((s = ysg__dlpack_download(p, host, src, sizeof(float) * span))) {
      ysg__free(p->ctx, host);
      ysg__free(p->ctx, rows);
      return s;
    }
    for (int i = 0; i < n; i++)
      for (int k = 0; k < dims; k++) rows[i * dims + k] = host[i * s0 + k * s1];
    ysg__free(p->ctx, host);
  } else {
    for (int i = 0; i < n; i++)
      for (int k = 0; k < dims; k++) rows[i * dims + k] = src[i * s0 + k * s1];
  }
  *out = rows;
  *count = n;
  return YSG_OK;
}

ysg_status ysg_pipeline_set_points_dlpack(ysg_pipeline *p, const char *node, const DLTensor *xy) {
  if (!p) return YSG_ERR_INVALID;
  ysg_node *n = NULL;
  ysg_status s = find_node(p, "ysg_pipeline_set_points_dlpack", node, "points_in", &n);
  if (s) return s;
  char what[300];
  snprintf(what, sizeof what, "ysg_pipeline_set_points_dlpack: node '%s': xy", n->name);
  float *rows;
  int count = 0;
  if ((s = gather_rows(p, what, xy, 2, "x, y", &rows, &count))) return s;
  ysg_points_desc d = {.count = count, .xy = rows};
  s = ysg_pipeline_set_points(p, node, &d);
  ysg__free(p->ctx, rows);
  return s;
}

ysg_status ysg_pipeline_set_boxes_dlpack(ysg_pipeline *p, const char *node, const DLTensor *xywh) {
  if (!p) return YSG_ERR_INVALID;
  ysg_node *n = NULL;
  ysg_status s = find_node(p, "ysg_pipeline_set_boxes_dlpack", node, "boxes_in", &n);
  if (s) return s;
  char what[300];
  snprintf(what, sizeof what, "ysg_pipeline_set_boxes_dlpack: node '%s': xywh", n->name);
  float *rows;
  int count = 0;
  if ((s = gather_rows(p, what, xywh, 4, "x, y, w, h", &rows, &count))) return s;
  ysg_boxes_desc d = {.count = count, .xywh = rows};
  s = ysg_pipeline_set_boxes(p, node, &d);
  ysg__free(p->ctx, rows);
  return s;
}

/* ---- out ---------------------------------------------------------------------------------------
 */

typedef struct export_ctx {
  DLManagedTensor t;
  int64_t shape[3], strides[3];
  ysg_pipeline *p;
} export_ctx;

static void export_deleter(DLManagedTensor *self) {
  export_ctx *e = self->manager_ctx;
  ysg_pipeline *p = e->p;
  ysg__free(p->ctx, e); /* the pipeline holds the context until unref */
  ysg__pipeline_unref(p);
}

ysg_status ysg_pipeline_get_value_dlpack(ysg_pipeline *p, const char *ref, DLManagedTensor **out) {
  if (!p) return YSG_ERR_INVALID;
  if (!out)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "ysg_pipeline_get_value_dlpack: out is NULL");
  *out = NULL;
  ysg_value *v;
  int b;
  ysg_status s = ysg__get_value(p, ref, &v, &b, NULL);
  if (s) return s;
  const ysg_value *view = v;
  int device = ysg__dlpack_on_device(p, b);
  if (device) {
    if ((s = ysg__dlpack_device_view(p, b, &view))) return s; /* count fetched, tiles cleared */
  } else if (v->type == YSG_IMAGE) {
    if ((s = ysg__image_zero_empty(p, b, v, 0))) return s;
  }
  export_ctx *e = ysg__alloc(p->ctx, sizeof *e);
  if (!e) return YSG_ERR_NOMEM;
  int64_t n = view->count < view->capacity ? view->count : view->capacity;
  if (n < 0) n = 0;
  DLTensor *t = &e->t.dl_tensor;
  t->dtype.code = kDLFloat;
  t->dtype.bits = 32;
  t->dtype.lanes = 1;
  t->ndim = 2;
  switch (view->type) {
    case YSG_IMAGE:
      t->data = view->px;
      t->dtype.bits = 16;
      t->ndim = 3;
      e->shape[0] = view->height, e->shape[1] = view->width, e->shape[2] = 4;
      break;
    case YSG_POINTS:
      t->data = view->xy;
      e->shape[0] = n, e->shape[1] = 2;
      break;
    case YSG_BOXES:
      t->data = view->xywh;
      e->shape[0] = n, e->shape[1] = 4;
      break;
    case YSG_EDGES:
      t->data = view->ij;
      t->dtype.code = kDLInt;
      e->shape[0] = n, e->shape[1] = 2;
      break;
    case YSG_CURVES:
      t->data = view->xy;
      t->ndim = 3;
      e->shape[0] = n, e->shape[1] = view->samples, e->shape[2] = 2;
      break;
    default:
      ysg__free(p->ctx, e);
      return ysg__seterr(p->ctx, YSG_ERR_INVALID, "'%s': values of type %d cannot be exported", ref,
                         (int)view->type);
  }
  e->strides[t->ndim - 1] = 1;
  for (int i = t->ndim - 2; i >= 0; i--) e->strides[i] = e->strides[i + 1] * e->shape[i + 1];
  t->shape = e->shape;
  t->strides = e->strides;
  t->byte_offset = 0;
  t->device.device_type = device ? kDLCUDA : kDLCPU;
  t->device.device_id = device ? ysg__dlpack_device_id(p) : 0;
  e->t.manager_ctx = e;
  e->t.deleter = export_deleter;
  e->p = p;
  ysg__pipeline_ref(p);
  *out = &e->t;
  return YSG_OK;
}

ysg_status ysg_pipeline_read_image_dlpack(ysg_pipeline *p, const char *ref, ysg_pixel_format format,
                                          const DLTensor *dst) {
  if (!p) return YSG_ERR_INVALID;
  ysg_value *v;
  int b;
  ysg_status s = ysg__get_value(p, ref, &v, &b, NULL);
  if (s) return s;
  if (v->type != YSG_IMAGE)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "'%s': expected an image, got %s", ref,
                       ysg__value_type_name(v->type));
  char what[300];
  snprintf(what, sizeof what, "ysg_pipeline_read_image_dlpack: '%s': dst", ref);
  size_t stride = 0;
  if ((s = check_image(p, what, format, dst, v->width, v->height, &stride))) return s;
  size_t row = (size_t)v->width * ysg_pixel_format_size(format);
  size_t bytes = v->height > 0 ? (size_t)(v->height - 1) * stride + row : 0;
  if (on_host(dst))
    return ysg_pipeline_read_image(p, ref, format, (void *)data_of(dst), bytes, stride);
  if (!ysg__dlpack_on_device(p, b))
    return ysg__seterr(p->ctx, YSG_ERR_INVALID,
                       "%s: '%s' is made on the host; read it into a CPU tensor", what, ref);
  return ysg__dlpack_device_read(p, b, format, (void *)data_of(dst), stride);
}

#else
typedef int ysg__dlpack_unused; /* ISO C forbids an empty translation unit */
#endif
