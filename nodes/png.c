/* png.c — the `png` sink: writes its input image as an sRGB PNG with straight alpha every frame.
 * The render thread converts FP16 linear premultiplied pixels into one of three ring slots; the
 * background writer encodes the slot and renames it into place (engine/png_io.c), so rendering
 * and PNG compression overlap. A "%04d"-style pattern in path numbers the files by frame. */
#include <string.h>

#include "color.h"
#include "png_io.h"
#include "ysgraph/node.h"

enum { P_PATH, P_BITS, P_COMPRESSION };

#define NSLOTS 3
#define PATH_CAP 4096

static const ysg_param_def params[] = {
    {"path", YSG_PARAM_OUTPUT, NULL, 0, 0, NULL, YSG_PARAM_REQUIRED | YSG_PARAM_STATIC,
     "output file; one %d-style pattern (\"frames/%04d.png\") numbers the frames"},
    {"bits", YSG_PARAM_ENUM, "8", 0, 0, "8|16", YSG_PARAM_STATIC, "bits per sample"},
    {"compression", YSG_PARAM_INT, "2", 0, 9, NULL, 0, "zlib level: 0 fastest, 9 smallest"},
};

static const ysg_port_def inputs[] = {
    {"image", YSG_IMAGE, 0, "the image to write", NULL, 0},
};

typedef struct png_state {
  int bits;        /* 8 or 16 */
  int dir_pattern; /* the frame pattern is in a directory name: create directories per frame */
  int w, h;        /* slot capacity in pixels */
  unsigned char *buf[NSLOTS]; /* (h, w, 4) samples of bits/8 bytes, sRGB straight alpha */
  char *path[NSLOTS];         /* PATH_CAP each: the file this slot goes to */
  int sw[NSLOTS], sh[NSLOTS], level[NSLOTS];
  uint8_t *lut8;   /* (65536) FP16 bits of an opaque pixel's channel -> 8-bit sRGB */
  uint16_t *lut16; /* (65536) same for 16-bit output */
} png_state;

static ysg_status png_init(ysg_node *n) {
  png_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->bits = ysg_node_enum(n, P_BITS) == 1 ? 16 : 8;

  const char *path = ysg_node_string(n, P_PATH);
  char first[PATH_CAP], err[512];
  ysg_status s = ysg__format_frame_path(path, 0, first, sizeof first, err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);
  const char *slash = strrchr(path, '/');
  if (slash) {
    char dir[PATH_CAP];
    size_t len = (size_t)(slash - path);
    if (len >= sizeof dir)
      return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "path is too long (%zu bytes)",
                                 strlen(path));
    memcpy(dir, path, len);
    dir[len] = 0;
    st->dir_pattern = ysg__has_frame_pattern(dir);
  }
  if (!st->dir_pattern) {
    s = ysg__mkdirs_for(first, err, sizeof err);
    if (s) return ysg_node_param_fail(n, P_PATH, s, "%s", err);
  }

  /* Opaque pixels (alpha exactly 1.0) are most of a frame; their conversion is a lookup by the
   * FP16 bits, built with the same ysg_encode_srgb the general path uses, so results match. */
  if (st->bits == 8)
    st->lut8 = ysg_node_alloc(n, 65536);
  else
    st->lut16 = ysg_node_alloc(n, 65536 * sizeof(uint16_t));
  if (!st->lut8 && !st->lut16) return YSG_ERR_NOMEM;
  for (int i = 0; i < 65536; i++) {
    float p[4] = {ysg_half_to_float((uint16_t)i), 0.0f, 0.0f, 1.0f};
    uint32_t q[4];
    ysg_encode_srgb(p, st->bits == 8 ? 255.0f : 65535.0f, q);
    if (st->lut8)
      st->lut8[i] = (uint8_t)q[0];
    else
      st->lut16[i] = (uint16_t)q[0];
  }
  return YSG_OK;
}

static void free_slots(ysg_node *n, png_state *st) {
  for (int i = 0; i < NSLOTS; i++) {
    if (st->buf[i]) ysg_node_free(n, st->buf[i]);
    if (st->path[i]) ysg_node_free(n, st->path[i]);
    st->buf[i] = NULL;
    st->path[i] = NULL;
  }
  st->w = st->h = 0;
}

static ysg_status png_infer(ysg_node *n) {
  png_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  const ysg_canvas *cv = ysg_node_canvas(n);
  int w = in && in->width > 0 ? in->width : cv->width;
  int h = in && in->height > 0 ? in->height : cv->height;
  if (w == st->w && h == st->h && st->buf[0]) return YSG_OK;
  free_slots(n, st);
  size_t bytes = (size_t)w * (size_t)h * 4 * (size_t)(st->bits / 8);
  for (int i = 0; i < NSLOTS; i++) {
    st->buf[i] = ysg_node_alloc(n, bytes);
    st->path[i] = ysg_node_alloc(n, PATH_CAP);
    if (!st->buf[i] || !st->path[i]) {
      free_slots(n, st);
      return YSG_ERR_NOMEM;
    }
  }
  st->w = w;
  st->h = h;
  return YSG_OK;
}

typedef struct conv_job {
  const ysg_value *in;
  const png_state *st;
  unsigned char *dst;
  int tiles_x;
} conv_job;

static void convert_px(const png_state *st, const uint16_t *s, unsigned char *d, int npx) {
  for (int i = 0; i < npx; i++, s += 4) {
    uint32_t q[4];
    if (s[3] == 0x3c00) { /* alpha 1.0 */
      if (st->lut8) {
        q[0] = st->lut8[s[0]], q[1] = st->lut8[s[1]], q[2] = st->lut8[s[2]], q[3] = 255;
      } else {
        q[0] = st->lut16[s[0]], q[1] = st->lut16[s[1]], q[2] = st->lut16[s[2]], q[3] = 65535;
      }
    } else if ((s[3] & 0x7fffu) == 0) { /* alpha ±0: ysg_encode_srgb gives all zero */
      q[0] = q[1] = q[2] = q[3] = 0;
    } else {
      float p[4];
      ysg_load_px(s, p);
      ysg_encode_srgb(p, st->lut8 ? 255.0f : 65535.0f, q);
    }
    if (st->lut8) {
      for (int c = 0; c < 4; c++) d[i * 4 + c] = (uint8_t)q[c];
    } else {
      uint16_t *d16 = (uint16_t *)d + (size_t)i * 4;
      for (int c = 0; c < 4; c++) d16[c] = (uint16_t)q[c];
    }
  }
}

static void convert_rows(void *ud, int begin, int end) {
  const conv_job *j = ud;
  const int W = j->in->width;
  const size_t bpp = (size_t)(j->st->bits / 8) * 4;
  for (int y = begin; y < end; y++) {
    const uint16_t *src = j->in->px + (size_t)y * (size_t)W * 4;
    unsigned char *dst = j->dst + (size_t)y * (size_t)W * bpp;
    if (!j->in->tiles) {
      convert_px(j->st, src, dst, W);
      continue;
    }
    /* Empty tiles (all zero) encode to zero bytes: skip their conversion. */
    const uint8_t *flags = j->in->tiles + (size_t)(y / YSG_TILE) * (size_t)j->tiles_x;
    for (int tx = 0; tx * YSG_TILE < W; tx++) {
      int a = tx * YSG_TILE, b = a + YSG_TILE < W ? a + YSG_TILE : W;
      if (flags[tx])
        convert_px(j->st, src + (size_t)a * 4, dst + (size_t)a * bpp, b - a);
      else
        memset(dst + (size_t)a * bpp, 0, (size_t)(b - a) * bpp);
    }
  }
}

static ysg_status png_encode(void *ud, int slot, char *err, size_t errcap) {
  const png_state *st = ud;
  if (st->dir_pattern) {
    ysg_status s = ysg__mkdirs_for(st->path[slot], err, errcap);
    if (s) return s;
  }
  return ysg__png_write(st->path[slot], st->buf[slot], st->sw[slot], st->sh[slot], 0, st->bits,
                        st->level[slot], err, errcap);
}

static ysg_status png_run(ysg_node *n, const ysg_frame *frame) {
  png_state *st = ysg_node_state(n);
  const ysg_value *in = ysg_node_input(n, 0, 0);
  if (!in || !in->px)
    return ysg_node_fail(n, YSG_ERR_RUNTIME, "input 'image' has no pixels this frame");
  if (in->width > st->w || in->height > st->h || in->width <= 0 || in->height <= 0)
    return ysg_node_fail(n, YSG_ERR_RUNTIME,
                         "input 'image' is %dx%d, but the node was planned for %dx%d", in->width,
                         in->height, st->w, st->h);
  /* Everything that can fail happens before write_begin, so a taken slot is always submitted. */
  char file[PATH_CAP], err[512];
  ysg_status s = ysg__format_frame_path(ysg_node_string(n, P_PATH), frame->index, file, sizeof file,
                                        err, sizeof err);
  if (s) return ysg_node_param_fail(n, P_PATH, YSG_ERR_PIPELINE, "%s", err);

  int slot;
  s = ysg_node_write_begin(n, NSLOTS, &slot);
  if (s) return s;
  conv_job j;
  j.in = in;
  j.st = st;
  j.dst = st->buf[slot];
  j.tiles_x = in->tiles_x > 0 ? in->tiles_x : (in->width + YSG_TILE - 1) / YSG_TILE;
  ysg_node_parallel_for(n, in->height, 16, convert_rows, &j);
  memcpy(st->path[slot], file, strlen(file) + 1);
  st->sw[slot] = in->width;
  st->sh[slot] = in->height;
  st->level[slot] = ysg_node_int(n, P_COMPRESSION);
  return ysg_node_write_submit(n, slot, png_encode, st);
}

static void png_destroy(ysg_node *n) {
  png_state *st = ysg_node_state(n);
  if (!st) return;
  free_slots(n, st);
  if (st->lut8) ysg_node_free(n, st->lut8);
  if (st->lut16) ysg_node_free(n, st->lut16);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

const ysg_node_type ysg__node_png = {
    .name = "png",
    .category = "output",
    .doc =
        "Writes its input image every frame as a PNG (sRGB, straight alpha, 8 or 16 bits). "
        "Files are encoded on a background thread and renamed into place, so a reader never "
        "sees a partial file. Without a frame pattern in path every frame rewrites one file.",
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = NULL,
    .n_outputs = 0,
    .params = params,
    .n_params = 3,
    .flags = YSG_NODE_SINK | YSG_NODE_HOST,
    .init = png_init,
    .infer = png_infer,
    .run = png_run,
    .destroy = png_destroy,
    .userdata = NULL,
};
