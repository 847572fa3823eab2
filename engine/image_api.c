/* image_api.c — images handed to hosts: ysg_pipeline_read_image (any ysg_pixel_format, into a
 * caller's buffer of a stated size) and the clearing of empty tiles behind the FP16 view of
 * ysg_pipeline_get_value. Empty tiles' pixels are never written by the nodes; a view zeroes them
 * before it is handed out, and remembers which tiles it zeroed so that the next frame only
 * clears tiles that held content since (the cost follows what changed, not the canvas). */
#include <string.h>

#include "internal.h"
#include "pixels.h"

/* Buffer b's memory is written only by its producer: no in-place alias shares it. */
static int sole_owner(const ysg_pipeline *p, int b) {
  if (p->buffers[b].alias_of >= 0) return 0;
  for (int i = 0; i < p->n_buffers; i++)
    if (p->buffers[i].alias_of == b) return 0;
  return 1;
}

typedef struct zero_job {
  ysg_value *v;
  uint8_t *clean; /* NULL: clear every empty tile */
} zero_job;

static void zero_rows(void *ud, int begin, int end) {
  const zero_job *j = ud;
  ysg_value *v = j->v;
  for (int ty = begin; ty < end; ty++) {
    int y0 = ty * YSG_TILE, y1 = y0 + YSG_TILE < v->height ? y0 + YSG_TILE : v->height;
    for (int tx = 0; tx < v->tiles_x; tx++) {
      size_t t = (size_t)ty * (size_t)v->tiles_x + (size_t)tx;
      if (v->tiles[t]) {
        if (j->clean) j->clean[t] = 0; /* written this frame */
        continue;
      }
      if (j->clean && j->clean[t]) continue;
      int x0 = tx * YSG_TILE, x1 = x0 + YSG_TILE < v->width ? x0 + YSG_TILE : v->width;
      for (int y = y0; y < y1; y++)
        memset(v->px + ((size_t)y * (size_t)v->width + (size_t)x0) * 4, 0, (size_t)(x1 - x0) * 8);
      if (j->clean) j->clean[t] = 1;
    }
  }
}

ysg_status ysg__image_zero_empty(ysg_pipeline *p, int b, ysg_value *v, int fetched) {
  if (!v->tiles || !v->px) return YSG_OK;
  uint8_t *clean = NULL;
  /* a download rewrites the whole host copy, and an alias is written by others: no memory */
  if (!fetched && sole_owner(p, b)) {
    if (!p->clean) {
      p->clean = ysg__alloc(p->ctx, sizeof(uint8_t *) * (size_t)p->n_buffers);
      if (!p->clean) return YSG_ERR_NOMEM;
    }
    if (!p->clean[b]) {
      p->clean[b] = ysg__alloc(p->ctx, (size_t)v->tiles_x * (size_t)v->tiles_y);
      if (!p->clean[b]) return YSG_ERR_NOMEM;
    }
    clean = p->clean[b];
  }
  /* most frames have few tiles to clear (none when the image is opaque): count them first, so
   * that a handful never wakes the worker threads */
  size_t stale = 0, n = (size_t)v->tiles_x * (size_t)v->tiles_y;
  for (size_t t = 0; t < n; t++) {
    if (v->tiles[t]) {
      if (clean) clean[t] = 0;
    } else if (!clean || !clean[t]) {
      stale++;
    }
  }
  if (!stale) return YSG_OK;
  zero_job j = {v, clean};
  if (stale < 256)
    zero_rows(&j, 0, v->tiles_y);
  else
    ysg__parallel_for(p->ctx, v->tiles_y, 4, zero_rows, &j);
  return YSG_OK;
}

void ysg__image_api_free(ysg_pipeline *p) {
  if (p->clean) {
    for (int i = 0; i < p->n_buffers; i++) ysg__free(p->ctx, p->clean[i]);
    ysg__free(p->ctx, p->clean);
    p->clean = NULL;
  }
  ysg__pixel_luts_free(p->ctx, &p->luts);
}

typedef struct read_job {
  const ysg_pixel_luts *luts;
  ysg_pixel_format fmt;
  const ysg_value *v;
  unsigned char *dst;
  size_t stride, px_bytes;
} read_job;

static void read_rows(void *ud, int begin, int end) {
  const read_job *j = ud;
  const ysg_value *v = j->v;
  for (int y = begin; y < end; y++) {
    const uint16_t *src = v->px + (size_t)y * (size_t)v->width * 4;
    unsigned char *row = j->dst + (size_t)y * j->stride;
    if (!v->tiles) {
      ysg__pixels_encode_row(j->luts, j->fmt, src, row, v->width);
      continue;
    }
    const uint8_t *flags = v->tiles + (size_t)(y / YSG_TILE) * (size_t)v->tiles_x;
    for (int tx = 0; tx < v->tiles_x; tx++) { /* runs of equal flags in one call */
      int t0 = tx;
      while (tx + 1 < v->tiles_x && !flags[tx + 1] == !flags[t0]) tx++;
      int a = t0 * YSG_TILE, e = (tx + 1) * YSG_TILE < v->width ? (tx + 1) * YSG_TILE : v->width;
      if (flags[t0])
        ysg__pixels_encode_row(j->luts, j->fmt, src + (size_t)a * 4, row + (size_t)a * j->px_bytes,
                               e - a);
      else
        memset(row + (size_t)a * j->px_bytes, 0, (size_t)(e - a) * j->px_bytes);
    }
  }
}

ysg_status ysg_pipeline_read_image(ysg_pipeline *p, const char *ref, ysg_pixel_format format,
                                   void *dst, size_t dst_bytes, size_t stride) {
  if (!p) return YSG_ERR_INVALID;
  const char *name = ref ? ref : "(null)";
  size_t px = ysg_pixel_format_size(format);
  if (!px)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "'%s': unknown pixel format %d", name, (int)format);
  ysg_value *v;
  int b, fetched;
  ysg_status s = ysg__get_value(p, ref, &v, &b, &fetched);
  if (s) return s;
  if (v->type != YSG_IMAGE)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID, "'%s': expected an image, got %s", name,
                       ysg__value_type_name(v->type));
  size_t row = (size_t)v->width * px;
  if (!stride) stride = row;
  if (stride < row)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID,
                       "'%s': stride %zu is smaller than a row of %zu bytes (%d pixels of %s)",
                       name, stride, row, v->width, ysg_pixel_format_name(format));
  size_t need = v->height > 0 ? (size_t)(v->height - 1) * stride + row : 0;
  if (!dst || dst_bytes < need)
    return ysg__seterr(p->ctx, YSG_ERR_INVALID,
                       "'%s': the destination holds %zu bytes, a %dx%d %s image needs %zu "
                       "(stride %zu)",
                       name, dst ? dst_bytes : (size_t)0, v->width, v->height,
                       ysg_pixel_format_name(format), need, stride);
  if ((s = ysg__pixel_luts_need(p->ctx, &p->luts, format, 0))) return s;
  read_job j = {&p->luts, format, v, dst, stride, px};
  ysg__parallel_for(p->ctx, v->height, 16, read_rows, &j);
  return YSG_OK;
}
