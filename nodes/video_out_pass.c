/* video_out_pass.c — video_out's passthrough (video_out_pass.h). Which tiles are "untouched" is
 * decided on the pixels themselves: a tile passes through when the frame to encode equals the
 * video_in's frame bit for bit on all its pixels (FP16, empty occupancy tiles read as zero). That
 * is exact whatever happened in between — an opaque video layer under the graphics, effects,
 * layers that drew nothing there — and cheap: one comparison read of both frames, stopping at
 * the first difference in tiles with graphics. A tile that passes gets the decoder's samples:
 * its 16×16 luma block and the chroma blocks it covers (8×8 at 4:2:0; tiles are even-sized, so
 * a chroma sample never straddles two tiles). */
#ifdef YSG_HAVE_FFMPEG
#include "video_out_pass.h"

#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "video_in.h"
#include "video_io.h"

/* Y'CbCr with the layout's subsampling and depth, in a layout the copy reads (little-endian) */
static int compatible(const AVPixFmtDescriptor *d, const ysg_yuv_layout *lay) {
  if (!d || d->nb_components < 3 ||
      (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                   AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BE)))
    return 0;
  return d->log2_chroma_w == lay->sx && d->log2_chroma_h == lay->sy &&
         d->comp[0].depth == lay->bits && d->comp[1].depth == lay->bits &&
         d->comp[2].depth == lay->bits;
}

static void describe(const char *name, const ysg_yuv_layout *lay, int bits, int full, int matrix,
                     char *buf, size_t cap) {
  const char *sub = lay->sx && lay->sy ? "4:2:0" : lay->sx ? "4:2:2" : lay->sy ? "4:4:0" : "4:4:4";
  snprintf(buf, cap, "%s (%s, %d-bit, %s range, %s)", name, sub, bits, full ? "full" : "limited",
           ysg__video_matrix_name(matrix));
}

ysg_status ysg__vpass_init(ysg_node *n, int port, ysg_vpass *v, const ysg_yuv_layout *lay,
                           int full_range, int width, int height) {
  v->port = port;
  if (ysg_node_input_count(n, port) < 1) return YSG_OK;
  const char *pname = n->type->inputs[port].name;
  const ysg_link *l = &n->inputs[port].links[0];
  const ysg_node *src = n->p->nodes[l->from_node];
  if (strcmp(src->type->name, "video_in"))
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "input '%s': node '%s' is a %s; passthrough takes a video_in", pname,
                         src->name, src->type->name);
  const AVCodecParameters *par = ysg__vin_codecpar(src);
  if (!par)
    return ysg_node_fail(n, YSG_ERR_PIPELINE, "input '%s': video_in '%s' has no open stream", pname,
                         src->name);
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)par->format);
  const int full = ysg__video_full_range(par->color_range, (enum AVPixelFormat)par->format);
  const int matrix = ysg__video_matrix(par->color_space, par->height);
  if (!compatible(d, lay) || full != full_range || matrix != YSG_YUV_BT709) {
    char theirs[160], ours[160];
    ysg_yuv_layout sl = {d ? d->log2_chroma_w : 0, d ? d->log2_chroma_h : 0, 0, 0};
    describe(d ? d->name : "an unknown pixel format", &sl, d ? d->comp[0].depth : 0, full, matrix,
             theirs, sizeof theirs);
    describe(lay->bits > 8 ? "10-bit Y'CbCr" : "8-bit Y'CbCr", lay, lay->bits, full_range,
             YSG_YUV_BT709, ours, sizeof ours);
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "input '%s': the video of '%s' is %s, but this video is encoded as %s: "
                         "passing pictures through needs the same subsampling, bits, range and "
                         "matrix (see pix_fmt and range)",
                         pname, src->name, theirs, ours);
  }
  /* video_in decodes HDR and BT.2020 into BT.709 light; their code values are not this file's */
  const int trc = ysg__video_transfer(par->color_trc);
  if (trc != YSG_TRC_SDR || par->color_primaries == AVCOL_PRI_BT2020)
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "input '%s': the video of '%s' is %s, but this video is SDR BT.709: its "
                         "pictures cannot be passed through (leave '%s' unconnected)",
                         pname, src->name,
                         trc == YSG_TRC_PQ    ? "HDR (PQ)"
                         : trc == YSG_TRC_HLG ? "HDR (HLG)"
                                              : "BT.2020",
                         pname);
  if (par->width != width || par->height != height)
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "input '%s': the video of '%s' is %dx%d, but this video is %dx%d", pname,
                         src->name, par->width, par->height, width, height);
  v->src = src;
  v->lay = *lay;
  v->chroma_loc = par->chroma_location;
  v->tiles_x = (width + YSG_TILE - 1) / YSG_TILE;
  v->tiles_y = (height + YSG_TILE - 1) / YSG_TILE;
  v->same = ysg_node_alloc(n, (size_t)v->tiles_x * (size_t)v->tiles_y);
  v->host = av_frame_alloc();
  if (!v->same || !v->host) return YSG_ERR_NOMEM;
  return YSG_OK;
}

/* ---- which tiles are untouched ----------------------------------------------------------------
 */
typedef struct mark_job {
  const ysg_value *a, *b; /* the frame to encode, the video_in's frame */
  uint8_t *same;
  int tiles_x;
} mark_job;

static int all_zero(const uint16_t *px, int W, int x0, int x1, int y0, int y1) {
  for (int y = y0; y < y1; y++) {
    const uint16_t *r = px + ((size_t)y * (size_t)W + (size_t)x0) * 4;
    for (int i = 0; i < (x1 - x0) * 4; i++)
      if (r[i]) return 0;
  }
  return 1;
}

static void mark_rows(void *ud, int begin, int end) {
  const mark_job *j = ud;
  const int W = j->a->width, H = j->a->height;
  for (int ty = begin; ty < end; ty++) {
    const int y0 = ty * YSG_TILE, y1 = y0 + YSG_TILE < H ? y0 + YSG_TILE : H;
    for (int tx = 0; tx < j->tiles_x; tx++) {
      const int x0 = tx * YSG_TILE, x1 = x0 + YSG_TILE < W ? x0 + YSG_TILE : W;
      const size_t t = (size_t)ty * (size_t)j->tiles_x + (size_t)tx;
      const int fa = j->a->tiles ? j->a->tiles[t] : 1, fb = j->b->tiles ? j->b->tiles[t] : 1;
      int same;
      if (fa && fb) {
        same = 1;
        for (int y = y0; y < y1 && same; y++) {
          size_t o = ((size_t)y * (size_t)W + (size_t)x0) * 4;
          same = !memcmp(j->a->px + o, j->b->px + o, (size_t)(x1 - x0) * 8);
        }
      } else if (!fa && !fb) {
        same = 1;
      } else {
        same = all_zero(fa ? j->a->px : j->b->px, W, x0, x1, y0, y1);
      }
      j->same[t] = (uint8_t)same;
    }
  }
}

ysg_status ysg__vpass_mark(ysg_node *n, ysg_vpass *v, const ysg_value *img, int frame,
                           const AVFrame **pic) {
  const char *pname = n->type->inputs[v->port].name;
  const ysg_value *src = ysg_node_input(n, v->port, 0);
  if (!src || !src->px || src->width != img->width || src->height != img->height)
    return ysg_node_fail(n, YSG_ERR_RUNTIME, "input '%s' has no %dx%d frame this frame", pname,
                         img->width, img->height);
  const AVFrame *p = ysg__vin_picture(v->src, frame);
  if (!p)
    return ysg_node_fail(n, YSG_ERR_RUNTIME,
                         "input '%s': video_in '%s' decoded no picture for "
                         "frame %d",
                         pname, v->src->name, frame);
  if (p->format == AV_PIX_FMT_CUDA) { /* an NVDEC surface: the samples are on the device */
    /* the first download allocates v->host; later ones reuse its buffers (no per-frame alloc) */
    int r = av_hwframe_transfer_data(v->host, p, 0);
    if (r < 0) {
      char e[128];
      return ysg_node_fail(n, YSG_ERR_RUNTIME, "input '%s': cannot download frame %d of '%s': %s",
                           pname, frame, v->src->name, ysg__av_err(r, e, sizeof e));
    }
    p = v->host;
  }
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)p->format);
  if (!compatible(d, &v->lay))
    return ysg_node_fail(n, YSG_ERR_RUNTIME,
                         "input '%s': frame %d of '%s' was decoded as %s, whose samples cannot "
                         "pass through into this video",
                         pname, frame, v->src->name, d ? d->name : "an unknown pixel format");
  if (p->width != img->width || p->height != img->height)
    return ysg_node_fail(n, YSG_ERR_RUNTIME, "input '%s': frame %d of '%s' is %dx%d, not %dx%d",
                         pname, frame, v->src->name, p->width, p->height, img->width, img->height);
  mark_job j = {img, src, v->same, v->tiles_x};
  ysg_node_parallel_for(n, v->tiles_y, 1, mark_rows, &j);
  *pic = p;
  return YSG_OK;
}

/* ---- copying the decoder's samples ------------------------------------------------------------
 */
typedef struct copy_job {
  const ysg_vpass *v;
  const AVFrame *src;
  AVFrame *dst;
  const AVPixFmtDescriptor *sd;
  ysg_yuv_layout lay;
  int same_fmt; /* src has dst's pixel format: rows are memcpy'd */
} copy_job;

static inline unsigned get_sample(const AVFrame *f, const AVComponentDescriptor *c, int x, int y) {
  const uint8_t *p =
      f->data[c->plane] + (ptrdiff_t)y * f->linesize[c->plane] + (ptrdiff_t)x * c->step + c->offset;
  unsigned s = c->depth + c->shift > 8 ? (unsigned)(p[0] | p[1] << 8) : p[0];
  return (s >> c->shift) & ((1u << c->depth) - 1u);
}

/* samples [x0, x1) of row y of component k (0 Y, 1 Cb, 2 Cr) */
static void copy_run(const copy_job *j, int k, int x0, int x1, int y) {
  const ysg_yuv_layout *l = &j->lay;
  const int wide = l->bits > 8;
  if (j->same_fmt) {
    const size_t b = wide ? 2 : 1;
    memcpy(j->dst->data[k] + (ptrdiff_t)y * j->dst->linesize[k] + (size_t)x0 * b,
           j->src->data[k] + (ptrdiff_t)y * j->src->linesize[k] + (size_t)x0 * b,
           (size_t)(x1 - x0) * b);
    return;
  }
  const AVComponentDescriptor *c = &j->sd->comp[k];
  if (l->semi) { /* P010: Cb, Cr interleaved in plane 1, high bits */
    uint16_t *row =
        (uint16_t *)(j->dst->data[k ? 1 : 0] + (ptrdiff_t)y * j->dst->linesize[k ? 1 : 0]);
    for (int x = x0; x < x1; x++)
      row[k ? 2 * x + (k - 1) : x] = (uint16_t)(get_sample(j->src, c, x, y) << 6);
  } else if (wide) {
    uint16_t *row = (uint16_t *)(j->dst->data[k] + (ptrdiff_t)y * j->dst->linesize[k]);
    for (int x = x0; x < x1; x++) row[x] = (uint16_t)get_sample(j->src, c, x, y);
  } else {
    uint8_t *row = j->dst->data[k] + (ptrdiff_t)y * j->dst->linesize[k];
    for (int x = x0; x < x1; x++) row[x] = (uint8_t)get_sample(j->src, c, x, y);
  }
}

static void copy_rows(void *ud, int begin, int end) {
  const copy_job *j = ud;
  const ysg_vpass *v = j->v;
  const int W = j->dst->width, H = j->dst->height, sx = j->lay.sx, sy = j->lay.sy;
  for (int ty = begin; ty < end; ty++) {
    const int y0 = ty * YSG_TILE, y1 = y0 + YSG_TILE < H ? y0 + YSG_TILE : H;
    for (int tx = 0; tx < v->tiles_x; tx++) {
      if (!v->same[(size_t)ty * (size_t)v->tiles_x + (size_t)tx]) continue;
      int x0 = tx * YSG_TILE, x1 = x0 + YSG_TILE < W ? x0 + YSG_TILE : W;
      while (tx + 1 < v->tiles_x && v->same[(size_t)ty * (size_t)v->tiles_x + (size_t)tx + 1]) {
        tx++; /* a run of untouched tiles is one copy per row */
        x1 = (tx + 1) * YSG_TILE < W ? (tx + 1) * YSG_TILE : W;
      }
      for (int y = y0; y < y1; y++) copy_run(j, 0, x0, x1, y);
      const int cx0 = x0 >> sx, cx1 = (x1 + (1 << sx) - 1) >> sx;
      for (int y = y0 >> sy; y < (y1 + (1 << sy) - 1) >> sy; y++) {
        copy_run(j, 1, cx0, cx1, y);
        copy_run(j, 2, cx0, cx1, y);
      }
    }
  }
}

void ysg__vpass_copy(ysg_node *n, ysg_vpass *v, const AVFrame *pic, AVFrame *dst,
                     const ysg_yuv_layout *lay) {
  copy_job j = {v,    pic,
                dst,  av_pix_fmt_desc_get((enum AVPixelFormat)pic->format),
                *lay, pic->format == dst->format && !lay->semi};
  long long copied = 0, total = (long long)v->tiles_x * v->tiles_y;
  for (long long t = 0; t < total; t++) copied += v->same[t];
  v->copied += copied;
  v->total += total;
  if (copied) ysg_node_parallel_for(n, v->tiles_y, 1, copy_rows, &j);
}

void ysg__vpass_free(ysg_node *n, ysg_vpass *v) {
  if (v->same) ysg_node_free(n, v->same);
  av_frame_free(&v->host);
  v->same = NULL;
  v->src = NULL;
}

#else
typedef int ysg__video_out_pass_unused; /* built without FFmpeg */
#endif /* YSG_HAVE_FFMPEG */
