/* matte_key.c — the keyers: `chroma_key` (alpha from the chroma distance to a key colour, given
 * or measured from the frame's border, plus despill) and `difference_key` (alpha from the
 * difference to a clean plate). Both give the foreground, premultiplied by the matte (or, with
 * premultiply=false, the whole despilled frame for composite to re-matte after refinement), and
 * the matte as an image (m, m, m, m). Per-pixel math: engine/matte_math.h; the CUDA path is
 * cuda/matte_key.cu with the settings in the parameter block. */
#include <string.h>

#include "color.h"
#include "matte_filter.h"
#include "matte_math.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/matte_api.h"
#endif

#define CHUNK 256 /* pixels converted at a time (a multiple of YSG_TILE) */

/* ---- shared: rows through a per-pixel function -------------------------------------------- */

typedef struct key_job {
  const ysg_value *in, *plate;
  ysg_value *fg, *matte;
  ysg_chroma_key ck;
  ysg_diff_key dk;
  int diff;
} key_job;

/* Pixels are split into planes (R, G, B, A) around the per-pixel math and the settings copied
 * into locals (no aliasing with the outputs): GCC then if-converts ysg_*_key_px into straight
 * SIMD code over 16 pixels at a time; on interleaved RGBA it spends its time shuffling lanes
 * (3× slower, measured). The planes are split straight out of the FP16 pixels and merged back
 * into them (matte_filter.c). In place: P holds the frame's planes and gets the foreground's. */
static void chroma_span(const ysg_chroma_key *k, float (*restrict P)[CHUNK], float *restrict m,
                        int n) {
  const ysg_chroma_key kk = *k;
  float *restrict R = P[0], *restrict G = P[1], *restrict B = P[2], *restrict A = P[3];
  for (int i = 0; i < n; i++) {
    float p[4] = {R[i], G[i], B[i], A[i]}, o[4];
    ysg_chroma_key_px(&kk, p, o, m + i);
    R[i] = o[0], G[i] = o[1], B[i] = o[2], A[i] = o[3];
  }
}

static void diff_span(const ysg_diff_key *k, float (*restrict P)[CHUNK], float (*restrict Q)[CHUNK],
                      float *restrict m, int n) {
  const ysg_diff_key kk = *k;
  float *restrict R = P[0], *restrict G = P[1], *restrict B = P[2], *restrict A = P[3];
  const float *restrict QR = Q[0], *restrict QG = Q[1], *restrict QB = Q[2], *restrict QA = Q[3];
  for (int i = 0; i < n; i++) {
    float p[4] = {R[i], G[i], B[i], A[i]}, q[4] = {QR[i], QG[i], QB[i], QA[i]}, o[4];
    ysg_diff_key_px(&kk, p, q, o, m + i);
    R[i] = o[0], G[i] = o[1], B[i] = o[2], A[i] = o[3];
  }
}

static void key_rows(void *ud, int y0, int y1) {
  const key_job *j = ud;
  float P[4][CHUNK], Q[4][CHUNK], m[CHUNK];
  int W = j->in->width;
  for (int y = y0; y < y1; y++)
    for (int x0 = 0; x0 < W; x0 += CHUNK) {
      int n = W - x0 < CHUNK ? W - x0 : CHUNK;
      ysg__matte_load_planes(j->in, y, x0, n, P[0], P[1], P[2], P[3]);
      if (j->diff) {
        ysg__matte_load_planes(j->plate, y, x0, n, Q[0], Q[1], Q[2], Q[3]);
        diff_span(&j->dk, P, Q, m, n);
      } else {
        chroma_span(&j->ck, P, m, n);
      }
      size_t off = ((size_t)y * (size_t)W + (size_t)x0) * 4;
      ysg__matte_store_planes(j->fg->px + off, P[0], P[1], P[2], P[3], n);
      ysg__matte_store_span(j->matte->px + off, m, n);
    }
}

static void key_frame(ysg_node *n, key_job *j) {
  j->in = ysg_node_input(n, 0, 0);
  j->fg = ysg_node_output(n, 0);
  j->matte = ysg_node_output(n, 1);
  ysg_node_parallel_for(n, j->in->height, 4, key_rows, j);
  ysg__matte_tiles_on(j->fg);
  ysg__matte_tiles_on(j->matte);
}

static const ysg_port_def key_outputs[] = {
    {"image", YSG_IMAGE, 0,
     "the despilled foreground, premultiplied by the matte (premultiply=false: the whole frame, "
     "for composite to re-matte)",
     NULL, 0},
    {"matte", YSG_IMAGE, 0, "the key's alpha as a matte (α, α, α, α)", NULL, 0},
};

static ysg_status key_infer(ysg_node *n) {
  const ysg_value *in = ysg_node_input(n, 0, 0);
  for (int o = 0; o < 2; o++) {
    ysg_value *out = ysg_node_output(n, o);
    out->width = in->width;
    out->height = in->height;
  }
  return YSG_OK;
}

/* ---- chroma_key ------------------------------------------------------------------------------ */

enum {
  CK_KEY,
  CK_AUTO,
  CK_BORDER,
  CK_SIMILARITY,
  CK_BLEND,
  CK_DESPILL,
  CK_MIX,
  CK_BRIGHTNESS,
  CK_TINT,
  CK_PREMULTIPLY,
  CK_COUNT
};

static const ysg_param_def ck_params[CK_COUNT] = {
    [CK_KEY] = {"key", YSG_PARAM_COLOR, "#00ff00", 0, 0, NULL, 0,
                "the screen colour (sRGB); it must have chroma (not grey)"},
    [CK_AUTO] = {"auto_key", YSG_PARAM_BOOL, "false", 0, 0, NULL, 0,
                 "measure the key every frame from the frame's border (mean chroma of the "
                 "opaque border pixels, then of those within 0.1 of it)"},
    [CK_BORDER] = {"border", YSG_PARAM_INT, "8", 1, 1024, NULL, 0,
                   "px: width of the border band auto_key measures"},
    [CK_SIMILARITY] = {"similarity", YSG_PARAM_NUMBER, "0.1", 0, 1, NULL, 0,
                       "chroma distance sqrt((ΔCb²+ΔCr²)/2) up to which a pixel is background"},
    [CK_BLEND] = {"blend", YSG_PARAM_NUMBER, "0.1", 0, 1, NULL, 0,
                  "distance beyond similarity over which alpha ramps to 1 (0: hard)"},
    [CK_DESPILL] = {"despill", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0,
                    "how much of the screen colour's excess is removed (0: none)"},
    [CK_MIX] = {"despill_mix", YSG_PARAM_NUMBER, "0.5", 0, 1, NULL, 0,
                "spill limit = mix·(first other channel) + (1−mix)·(second), RGB order"},
    [CK_BRIGHTNESS] = {"despill_brightness", YSG_PARAM_NUMBER, "0", 0, 1, NULL, 0,
                       "fraction of the removed spill added back as light (keeps brightness)"},
    [CK_TINT] = {"despill_color", YSG_PARAM_COLOR, "#ffffff", 0, 0, NULL, 0,
                 "per-channel weights of the light added back (sRGB)"},
    [CK_PREMULTIPLY] = {"premultiply", YSG_PARAM_BOOL, "true", 0, 0, NULL, 0,
                        "image output premultiplied by the matte (false: the whole frame)"},
};

static const ysg_port_def ck_inputs[] = {
    {"image", YSG_IMAGE, 0, "the green/blue-screen frame", NULL, 0},
};

/* This frame's settings; the key colour's chroma is checked (a grey key has nothing to key). */
static ysg_status chroma_params(ysg_node *n, ysg_chroma_key *k) {
  memset(k, 0, sizeof *k);
  float key[4], tint[4];
  ysg_node_color(n, CK_KEY, key);
  ysg_node_color(n, CK_TINT, tint);
  for (int c = 0; c < 3; c++) k->key_rgb[c] = key[c], k->tint[c] = tint[c];
  k->similarity = (float)ysg_node_number(n, CK_SIMILARITY);
  k->blend = (float)ysg_node_number(n, CK_BLEND);
  k->despill = (float)ysg_node_number(n, CK_DESPILL);
  k->mix = (float)ysg_node_number(n, CK_MIX);
  k->brightness = (float)ysg_node_number(n, CK_BRIGHTNESS);
  k->premultiply = ysg_node_bool(n, CK_PREMULTIPLY);
  k->auto_key = ysg_node_bool(n, CK_AUTO);
  k->border = ysg_node_int(n, CK_BORDER);
  ysg_chroma_key_finish(k);
  if (!k->auto_key && sqrtf(0.5f * (k->key_cb * k->key_cb + k->key_cr * k->key_cr)) < 0.02f) {
    uint32_t q[4];
    float p[4] = {key[0], key[1], key[2], 1.0f};
    ysg_encode_srgb(p, 255.0f, q);
    return ysg_node_param_fail(n, CK_KEY, YSG_ERR_PIPELINE,
                               "#%02x%02x%02x is grey: a chroma key needs a saturated screen "
                               "colour (use difference_key or mask_in for other backgrounds)",
                               (unsigned)q[0], (unsigned)q[1], (unsigned)q[2]);
  }
  return YSG_OK;
}

typedef struct auto_job {
  const ysg_value *in;
  const ysg_chroma_key *mean;
  int pass, border;
  int64_t sums[64][YSG_AUTO_KEY_SLOTS]; /* per band */
  int bands;
} auto_job;

static void auto_rows(void *ud, int b0, int b1) {
  auto_job *j = ud;
  const ysg_value *v = j->in;
  float row[4 * CHUNK];
  for (int b = b0; b < b1; b++) {
    int64_t *s = j->sums[b];
    memset(s, 0, sizeof j->sums[b]);
    int y0 = (int)((int64_t)v->height * b / j->bands),
        y1 = (int)((int64_t)v->height * (b + 1) / j->bands);
    for (int y = y0; y < y1; y++)
      for (int x0 = 0; x0 < v->width; x0 += CHUNK) {
        int n = v->width - x0 < CHUNK ? v->width - x0 : CHUNK;
        int inner = y >= j->border && y < v->height - j->border;
        if (inner && x0 >= j->border && x0 + n <= v->width - j->border) continue;
        ysg__matte_load_span(v, y, x0, n, row);
        for (int i = 0; i < n; i++)
          if (ysg_auto_key_border(x0 + i, y, v->width, v->height, j->border))
            ysg_auto_key_sample(row + 4 * i, j->pass, j->mean, s);
      }
  }
}

/* Node state of chroma_key: the auto-key sums and the device scratch handle. */
typedef struct chroma_state {
  auto_job aj;
  int d_work;
} chroma_state;

static void chroma_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status chroma_infer(ysg_node *n) {
  chroma_destroy(n); /* infer may run again when a pipeline is re-planned */
  chroma_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  return key_infer(n);
}

/* The key measured from the border of `in` (the same sums as the device's: exact integers). */
static void auto_key(ysg_node *n, const ysg_value *in, ysg_chroma_key *k) {
  auto_job *j = &((chroma_state *)ysg_node_state(n))->aj;
  ysg_chroma_key mean = *k;
  j->in = in;
  j->border = k->border;
  j->bands = ysg_node_threads(n);
  if (j->bands > 64) j->bands = 64;
  if (j->bands > in->height) j->bands = in->height > 0 ? in->height : 1;
  for (int pass = 0; pass < 2; pass++) {
    j->pass = pass;
    j->mean = &mean;
    ysg_node_parallel_for(n, j->bands, 1, auto_rows, j);
    int64_t total[YSG_AUTO_KEY_SLOTS] = {0};
    for (int b = 0; b < j->bands; b++)
      for (int s = 0; s < YSG_AUTO_KEY_SLOTS; s++) total[s] += j->sums[b][s];
    if (total[0] == 0) { /* nothing opaque (pass 0) or near the mean (pass 1) */
      if (pass == 1) *k = mean;
      break;
    }
    ysg_auto_key_apply(total, pass == 0 ? &mean : k);
  }
}

static ysg_status chroma_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  key_job j;
  memset(&j, 0, sizeof j);
  ysg_status s = chroma_params(n, &j.ck);
  if (s) return s;
  if (j.ck.auto_key) auto_key(n, ysg_node_input(n, 0, 0), &j.ck);
  key_frame(n, &j);
  return YSG_OK;
}

static ysg_status chroma_init(ysg_node *n) {
  ysg_chroma_key k;
  return chroma_params(n, &k);
}

/* ---- difference_key -------------------------------------------------------------------------- */

enum { DK_THRESHOLD, DK_SOFTNESS, DK_MODE, DK_PREMULTIPLY, DK_COUNT };

static const ysg_param_def dk_params[DK_COUNT] = {
    [DK_THRESHOLD] = {"threshold", YSG_PARAM_NUMBER, "0.05", 0, 1, NULL, 0,
                      "difference (code values 0..1) up to which a pixel is background"},
    [DK_SOFTNESS] = {"softness", YSG_PARAM_NUMBER, "0.05", 0, 1, NULL, 0,
                     "difference beyond threshold over which alpha ramps to 1 (0: hard)"},
    [DK_MODE] = {"mode", YSG_PARAM_ENUM, "rgb", 0, 0, "rgb|luma", 0,
                 "rgb: the largest per-channel difference of R'G'B'; luma: of Y' alone"},
    [DK_PREMULTIPLY] = {"premultiply", YSG_PARAM_BOOL, "true", 0, 0, NULL, 0,
                        "image output premultiplied by the matte (false: the whole frame)"},
};

static const ysg_port_def dk_inputs[] = {
    {"image", YSG_IMAGE, 0, "the frame", NULL, 0},
    {"plate", YSG_IMAGE, 0, "the clean plate: the same view without the subject", NULL, 0},
};

static void diff_params(const ysg_node *n, ysg_diff_key *k) {
  memset(k, 0, sizeof *k);
  k->threshold = (float)ysg_node_number(n, DK_THRESHOLD);
  k->inv_softness = ysg_matte_ramp_inv((float)ysg_node_number(n, DK_SOFTNESS));
  k->luma = ysg_node_enum(n, DK_MODE) == 1;
  k->premultiply = ysg_node_bool(n, DK_PREMULTIPLY);
}

static ysg_status diff_infer(ysg_node *n) {
  const ysg_value *in = ysg_node_input(n, 0, 0), *pl = ysg_node_input(n, 1, 0);
  if (pl->width != in->width || pl->height != in->height)
    return ysg_node_fail(n, YSG_ERR_PIPELINE, "plate is %d×%d, expected %d×%d like the image",
                         pl->width, pl->height, in->width, in->height);
  return key_infer(n);
}

static ysg_status diff_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  key_job j;
  memset(&j, 0, sizeof j);
  j.diff = 1;
  j.plate = ysg_node_input(n, 1, 0);
  diff_params(n, &j.dk);
  key_frame(n, &j);
  return YSG_OK;
}

/* ---- CUDA paths -------------------------------------------------------------------------------
 * chroma_key: parameter block = ysg_chroma_key (chroma_params); device scratch: the launcher's
 * work (the finished key and the border sums). difference_key: parameter block = ysg_diff_key. */
#ifdef YSG_HAVE_CUDA
static ysg_status chroma_device_infer(ysg_node *n) {
  chroma_state *st = ysg_node_state(n);
  ysg_status s = ysg_node_request_param_block(n, sizeof(ysg_chroma_key));
  if (!s) s = ysg_node_request_device_scratch(n, ysg__cuda_chroma_key_work_bytes(), 0, &st->d_work);
  return s;
}

static ysg_status chroma_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_chroma_key *k = ysg_node_param_block(n);
  if (!k) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  return chroma_params(n, k);
}

static ysg_status chroma_device_run(ysg_node *n, void *stream) {
  const ysg_value *in = ysg_node_input_device(n, 0, 0);
  ysg_value *fg = ysg_node_output_device(n, 0), *m = ysg_node_output_device(n, 1);
  const ysg_chroma_key *k = ysg_node_param_block_device(n);
  const chroma_state *st = ysg_node_state(n);
  void *work = st ? ysg_node_device_scratch(n, st->d_work) : NULL;
  if (!in || !fg || !m || !k || !work)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the images are missing");
  char err[512] = "";
  ysg_status s = ysg__cuda_chroma_key(in->px, in->tiles, in->width, in->height, fg->px, fg->tiles,
                                      m->px, m->tiles, k, work, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static const ysg_device_ops chroma_device = {
    .infer = chroma_device_infer,
    .prepare = chroma_prepare,
    .run = chroma_device_run,
};

static ysg_status diff_device_infer(ysg_node *n) {
  return ysg_node_request_param_block(n, sizeof(ysg_diff_key));
}

static ysg_status diff_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_diff_key *k = ysg_node_param_block(n);
  if (!k) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  diff_params(n, k);
  return YSG_OK;
}

static ysg_status diff_device_run(ysg_node *n, void *stream) {
  const ysg_value *in = ysg_node_input_device(n, 0, 0), *pl = ysg_node_input_device(n, 1, 0);
  ysg_value *fg = ysg_node_output_device(n, 0), *m = ysg_node_output_device(n, 1);
  const ysg_diff_key *k = ysg_node_param_block_device(n);
  if (!in || !pl || !fg || !m || !k)
    return ysg_node_fail(n, YSG_ERR_INVALID, "device views of the images are missing");
  char err[512] = "";
  ysg_status s = ysg__cuda_diff_key(in->px, in->tiles, pl->px, pl->tiles, in->width, in->height,
                                    fg->px, fg->tiles, m->px, m->tiles, k, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static const ysg_device_ops diff_device = {
    .infer = diff_device_infer,
    .prepare = diff_prepare,
    .run = diff_device_run,
};
#endif

const ysg_node_type ysg__node_chroma_key = {
    .name = "chroma_key",
    .category = "matte",
    .doc =
        "Keys a green/blue screen: alpha ramps from 0 to 1 as the chroma distance "
        "sqrt((ΔCb²+ΔCr²)/2) to the key colour (BT.709 Cb/Cr of sRGB code values, as "
        "FFmpeg's chromakey) goes from similarity to similarity + blend; the key is given or "
        "measured from the frame's border every frame (auto_key). Despill removes the screen "
        "channel's excess over mix·(one other channel) + (1−mix)·(the other) in linear light "
        "and can add it back as light (despill_brightness, despill_color). Gives the "
        "foreground premultiplied by the matte, and the matte.",
    .inputs = ck_inputs,
    .n_inputs = 1,
    .outputs = key_outputs,
    .n_outputs = 2,
    .params = ck_params,
    .n_params = CK_COUNT,
    .init = chroma_init,
    .infer = chroma_infer,
    .run = chroma_run,
    .destroy = chroma_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &chroma_device,
#endif
};

const ysg_node_type ysg__node_difference_key = {
    .name = "difference_key",
    .category = "matte",
    .doc =
        "Keys against a clean plate (an image or a video of the empty background, the "
        "image's size): alpha ramps from 0 to 1 as the difference of sRGB code values — the "
        "largest of R'G'B' or of Y' alone — goes from threshold to threshold + softness. "
        "Gives the foreground premultiplied by the matte, and the matte.",
    .inputs = dk_inputs,
    .n_inputs = 2,
    .outputs = key_outputs,
    .n_outputs = 2,
    .params = dk_params,
    .n_params = DK_COUNT,
    .infer = diff_infer,
    .run = diff_run,
#ifdef YSG_HAVE_CUDA
    .device = &diff_device,
#endif
};
