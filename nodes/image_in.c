/* image_in.c — the host-fed image input. Two ways in: ysg_pipeline_set_image copies (converting
 * to FP16 linear premultiplied once, validated before the node's data changes), and a borrowed
 * source (ysg_pipeline_set_image_dlpack) that the node reads at every frame, converting straight
 * into the arena: zero copies at the set call, one conversion per frame, as any source node does.
 * Any ysg_pixel_format goes in; formats without alpha are opaque, a mask is a white matte. On the
 * CUDA backend the node runs on the device (image_in_device.c). Transparent before a set. */
#include <stdio.h>
#include <string.h>

#include "image_in.h"
#include "inputs.h"
#include "internal.h"
#include "pixels.h"

static void release_source(image_in_state *st) {
  if (st->has_src && st->src.release) st->src.release(st->src.ud);
  st->has_src = 0;
  memset(&st->src, 0, sizeof st->src);
}

static void image_destroy(ysg_node *n) {
  image_in_state *st = ysg_node_state(n);
  if (!st) return;
  release_source(st);
  void *arrays[] = {st->px, st->tiles, st->bad};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i]) ysg_node_free(n, arrays[i]);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status image_init(ysg_node *n) {
  const ysg_canvas *cv = ysg_node_canvas(n);
  image_in_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->w = cv->width;
  st->h = cv->height;
  st->tx = (st->w + YSG_TILE - 1) / YSG_TILE;
  st->ty = (st->h + YSG_TILE - 1) / YSG_TILE;
  st->tiles = ysg_node_alloc(n, (size_t)st->tx * (size_t)st->ty);
  st->bad = ysg_node_alloc(n, sizeof(int) * 3 * (size_t)st->ty);
  if (!st->tiles || !st->bad) {
    image_destroy(n);
    return YSG_ERR_NOMEM;
  }
  return YSG_OK;
}

static ysg_status image_infer(ysg_node *n) {
  const image_in_state *st = ysg_node_state(n);
  ysg_value *v = ysg_node_output(n, 0);
  v->width = st->w;
  v->height = st->h;
  return YSG_OK;
}

/* Decode tile rows [begin, end) of a source into px/tiles; bad[3·ty] = {x, y, channel} or x -1. */
typedef struct decode_job {
  const ysg_pixel_luts *luts;
  ysg_pixel_format fmt;
  const unsigned char *src;
  size_t stride;
  int w, h, tx;
  uint16_t *px;
  uint8_t *tiles;
  int *bad;
} decode_job;

static void decode_tile_rows(void *ud, int begin, int end) {
  const decode_job *j = ud;
  for (int ty = begin; ty < end; ty++) {
    j->bad[3 * ty] = -1;
    uint8_t *flags = j->tiles + (size_t)ty * (size_t)j->tx;
    memset(flags, 0, (size_t)j->tx);
    int y1 = (ty + 1) * YSG_TILE < j->h ? (ty + 1) * YSG_TILE : j->h;
    for (int y = ty * YSG_TILE; y < y1; y++) {
      uint16_t *dst = j->px + (size_t)y * (size_t)j->w * 4;
      int channel = 0, any = 0;
      int b = ysg__pixels_decode_row(j->luts, j->fmt, j->src + (size_t)y * j->stride, dst, j->w,
                                     &channel, &any);
      if (b >= 0) {
        j->bad[3 * ty] = b, j->bad[3 * ty + 1] = y, j->bad[3 * ty + 2] = channel;
        return;
      }
      if (!any) continue;
      for (int t = 0; t < j->tx; t++) { /* -0 counts as zero: it adds nothing when composited */
        int x0 = t * YSG_TILE, n = x0 + YSG_TILE < j->w ? YSG_TILE : j->w - x0;
        uint32_t nz = 0;
        for (int k = 0; k < 4 * n; k++) nz |= dst[4 * (size_t)x0 + (size_t)k] & 0x7fffu;
        if (nz) flags[t] = 1;
      }
    }
  }
}

/* Convert a whole image; the first non-finite value found (in row order) is reported. */
ysg_status ysg__image_in_decode(ysg_node *n, image_in_state *st, ysg_pixel_format fmt,
                                const void *src, size_t stride, uint16_t *px, uint8_t *tiles,
                                const char *when) {
  decode_job j = {&n->p->luts, fmt, src, stride, st->w, st->h, st->tx, px, tiles, st->bad};
  ysg__parallel_for(n->p->ctx, st->ty, 1, decode_tile_rows, &j);
  for (int ty = 0; ty < st->ty; ty++)
    if (st->bad[3 * ty] >= 0)
      return ysg_node_fail(
          n, YSG_ERR_DATA, "%s: pixel (%d, %d) channel %d is not a finite number (%s image)", when,
          st->bad[3 * ty], st->bad[3 * ty + 1], st->bad[3 * ty + 2], ysg_pixel_format_name(fmt));
  return YSG_OK;
}

static ysg_status image_run(ysg_node *n, const ysg_frame *f) {
  image_in_state *st = ysg_node_state(n);
  ysg_value *v = ysg_node_output(n, 0);
  v->count = 1;
  if (st->has_src) {
    char when[64];
    snprintf(when, sizeof when, "frame %d", f->index);
    return ysg__image_in_decode(n, st, st->src.format, st->src.pixels, st->src.stride, v->px,
                                v->tiles, when);
  }
  if (!st->px) { /* nothing set yet: transparent (empty tiles are never read) */
    memset(v->tiles, 0, (size_t)st->tx * (size_t)st->ty);
    return YSG_OK;
  }
  memcpy(v->tiles, st->tiles, (size_t)st->tx * (size_t)st->ty);
  for (int ty = 0; ty < st->ty; ty++) { /* only the tiles that hold content */
    const uint8_t *flags = st->tiles + (size_t)ty * (size_t)st->tx;
    int y1 = (ty + 1) * YSG_TILE < st->h ? (ty + 1) * YSG_TILE : st->h;
    for (int t = 0; t < st->tx; t++) {
      if (!flags[t]) continue;
      int t0 = t;
      while (t + 1 < st->tx && flags[t + 1]) t++;
      int x0 = t0 * YSG_TILE, x1 = (t + 1) * YSG_TILE < st->w ? (t + 1) * YSG_TILE : st->w;
      for (int y = ty * YSG_TILE; y < y1; y++) {
        size_t o = ((size_t)y * (size_t)st->w + (size_t)x0) * 4;
        memcpy(v->px + o, st->px + o, (size_t)(x1 - x0) * 8);
      }
    }
  }
  return YSG_OK;
}

/* checks shared by both ways in; message names the node */
static ysg_status check_image(ysg_node *n, const image_in_state *st, int width, int height,
                              ysg_pixel_format fmt, const void *pixels, size_t *stride) {
  size_t bpp = ysg_pixel_format_size(fmt);
  if (!bpp) return ysg_node_fail(n, YSG_ERR_INVALID, "unknown pixel format %d", (int)fmt);
  if (!pixels) return ysg_node_fail(n, YSG_ERR_INVALID, "no pixels given (NULL)");
  if (width != st->w || height != st->h)
    return ysg_node_fail(n, YSG_ERR_INVALID, "image is %dx%d, expected the canvas size %dx%d",
                         width, height, st->w, st->h);
  size_t row_bytes = (size_t)width * bpp;
  if (!*stride) *stride = row_bytes;
  if (*stride < row_bytes)
    return ysg_node_fail(n, YSG_ERR_INVALID,
                         "stride %zu is smaller than a row of %zu bytes (%d pixels of %s)", *stride,
                         row_bytes, width, ysg_pixel_format_name(fmt));
  return YSG_OK;
}

static image_in_state *state_of(ysg_node *n, ysg_status *s) {
  *s = YSG_OK;
  if (n->type != &ysg__node_image_in) {
    *s = ysg_node_fail(n, YSG_ERR_INVALID, "is not an image_in node");
    return NULL;
  }
  image_in_state *st = ysg_node_state(n);
  if (!st) *s = ysg_node_fail(n, YSG_ERR_INVALID, "the pipeline is not loaded");
  return st;
}

ysg_status ysg__input_set_image(ysg_node *n, const ysg_image_desc *d) {
  ysg_status s;
  image_in_state *st = state_of(n, &s);
  if (!st) return s;
  if (!d) return ysg_node_fail(n, YSG_ERR_INVALID, "no image given (NULL)");
  size_t stride = d->stride;
  if ((s = check_image(n, st, d->width, d->height, d->format, d->pixels, &stride))) return s;
  if ((s = ysg__pixel_luts_need(n->p->ctx, &n->p->luts, d->format, 1))) return s;
  if (!st->px) {
    st->px = ysg_node_alloc(n, (size_t)st->w * (size_t)st->h * 8);
    if (!st->px) return YSG_ERR_NOMEM;
  }
  /* validate whole before the node's data changes: a rejected set keeps the previous image */
  if (d->format == YSG_RGBA16F_LINEAR || d->format == YSG_RGBA32F_LINEAR ||
      d->format == YSG_RGB32F_SRGB || d->format == YSG_RGBA32F_SRGB || d->format == YSG_A32F) {
    uint16_t scratch[YSG_TILE * 4];
    const unsigned char *base = d->pixels;
    size_t bpp = ysg_pixel_format_size(d->format);
    for (int y = 0; y < st->h; y++)
      for (int x0 = 0; x0 < st->w; x0 += YSG_TILE) {
        int k = st->w - x0 < YSG_TILE ? st->w - x0 : YSG_TILE, channel = 0, any = 0;
        int b = ysg__pixels_decode_row(&n->p->luts, d->format, base + (size_t)y * stride + x0 * bpp,
                                       scratch, k, &channel, &any);
        if (b >= 0)
          return ysg_node_fail(n, YSG_ERR_DATA, "pixel (%d, %d) channel %d is not a finite number",
                               x0 + b, y, channel);
      }
  }
  if ((s = ysg__image_in_decode(n, st, d->format, d->pixels, stride, st->px, st->tiles, "set")))
    return s;
  release_source(st); /* the copy replaces a borrowed source */
  return YSG_OK;
}

ysg_status ysg__input_set_image_source(ysg_node *n, const ysg_image_source *src) {
  ysg_status s;
  image_in_state *st = state_of(n, &s);
  if (!st) return s;
  size_t stride = src->stride;
  if ((s = check_image(n, st, src->width, src->height, src->format, src->pixels, &stride)))
    return s;
  if (src->device && !ysg_node_on_device(n))
    return ysg_node_fail(n, YSG_ERR_INVALID,
                         "the image is in CUDA device memory but the node runs on the host (the "
                         "pipeline's backend is %s)",
                         n->p->dev ? "CUDA, with this node on the host" : "the CPU");
  if ((s = ysg__pixel_luts_need(n->p->ctx, &n->p->luts, src->format, 1))) return s;
  release_source(st);
  st->src = *src;
  st->src.stride = stride;
  st->has_src = 1;
  return YSG_OK;
}

static const ysg_port_def image_out[] = {
    {"image", YSG_IMAGE, 0, "the image of the last set call (canvas-sized)", NULL, 0},
};

const ysg_node_type ysg__node_image_in = {
    .name = "image_in",
    .category = "input",
    .doc =
        "A canvas-sized image fed by the host program: ysg_pipeline_set_image copies it, "
        "ysg_pipeline_set_image_dlpack lends a tensor the node reads every frame (zero-copy). "
        "8/16-bit and float sRGB (straight alpha; RGB is opaque; a float mask is a white "
        "matte) convert to linear premultiplied; FP16/FP32 linear premultiplied pass as they "
        "are. Float values must be finite. Transparent before the first set.",
    .outputs = image_out,
    .n_outputs = 1,
    .flags = YSG_NODE_INPUT,
    .init = image_init,
    .infer = image_infer,
    .run = image_run,
    .destroy = image_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &ysg__image_in_device_ops,
#endif
};
