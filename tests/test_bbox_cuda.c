/* test_bbox_cuda.c — the `bbox` node's CUDA launcher (cuda/bbox.cu) against the CPU node: the
 * same boxes or points and settings through both, frame by frame (from_age over 30 frames with
 * new ids every frame, so the device age table compacts like the host's), pixels within 1e-3
 * and tile flags identical. Without a usable device (or CUDA in the build) each comparison is
 * skipped with the probe's reason. `tboxes`/`tpoints` feed the scene S to the CPU pipeline. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bbox_math.h"
#include "color.h"
#include "internal.h"
#include "util.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/bbox_api.h"
#include "../cuda/cuda_api.h"
#endif

static char reason[512];

static void require_device(void) {
  if (!ysg__cuda_probe(reason, sizeof reason)) {
    cr_log_info("CUDA comparison skipped: %s", reason);
    cr_skip_test("CUDA comparison skipped: %s", reason);
  }
}

#ifdef YSG_HAVE_CUDA
#include "bbox_scene.h"

/* ---- the launcher against the CPU node ------------------------------------------------------ */
static char err[1024];
#define CK(call) cr_assert_eq((call), YSG_OK, "%s: %s", #call, err)

static void *dalloc(size_t bytes) {
  void *d = NULL;
  CK(ysg__cuda_malloc(&d, bytes ? bytes : 1, err, sizeof err));
  return d;
}

/* Run frames 0..nf-1 on the CPU node and through ysg__cuda_bbox with the same inputs and
 * settings; every frame's pixels within 1e-3 (both run bbox_math.h; nvcc's FMA contraction
 * can move a rounding) and tile flags identical. */
static void cuda_matches(const char *src, const char *args, int W, int H, int nf) {
  run r = start(1, W, H, src, args);
  ysg_node *node = ysg__node_find(r.p, "out");
  cr_assert_not_null(node);
  int points = strcmp(src, "tpoints") == 0, cap = S.cap;
  int tiles_x = (W + 15) / 16, tiles_y = (H + 15) / 16;
  int cap_items = 16 * tiles_x * tiles_y > 64 * cap ? 16 * tiles_x * tiles_y : 64 * cap;
  size_t temp_bytes = ysg__cuda_bbox_temp_bytes(cap, tiles_x, tiles_y, cap_items);
  void *d_temp = dalloc(temp_bytes), *d_age = dalloc(ysg_bbox_age_bytes(cap));
  void *zero = calloc(1, ysg_bbox_age_bytes(cap));
  CK(ysg__cuda_upload(d_age, zero, ysg_bbox_age_bytes(cap), NULL, err, sizeof err));
  free(zero);
  float *d_pos = dalloc((size_t)cap * 16), *d_radius = dalloc((size_t)cap * 4),
        *d_rgba = dalloc((size_t)cap * 16);
  int32_t *d_id = dalloc((size_t)cap * 4), *d_count = dalloc(4), *d_total = dalloc(4);
  ysg_bbox_params *d_params = dalloc(sizeof(ysg_bbox_params));
  uint16_t *d_px = dalloc((size_t)W * H * 8);
  uint8_t *d_tiles = dalloc((size_t)tiles_x * tiles_y);
  uint16_t *px = malloc((size_t)W * H * 8);
  uint8_t *tiles = malloc((size_t)tiles_x * tiles_y);
  float *pos = malloc((size_t)cap * 16);
  for (int f = 0; f < nf; f++) {
    const ysg_value *ref = frame(&r, f);
    ysg_frame fr = {f, f / 30.0, 30.0, W, H};
    ysg_bbox_params P;
    ysg__bbox_params(node, &fr, &P);
    int n = S.count[f];
    for (int i = 0; i < n; i++) memcpy(pos + (points ? 2 : 4) * i, S.pos[f][i], points ? 8 : 16);
    CK(ysg__cuda_upload(d_pos, pos, (size_t)n * (points ? 8 : 16), NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_id, S.id[f], (size_t)n * 4, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_radius, S.radius[f], (size_t)n * 4, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_rgba, S.rgba[f], (size_t)n * 16, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_count, &n, 4, NULL, err, sizeof err));
    CK(ysg__cuda_upload(d_params, &P, sizeof P, NULL, err, sizeof err));
    ysg_bbox_dev_input in = {points ? NULL : d_pos,
                             points ? d_pos : NULL,
                             d_id,
                             points ? d_radius : NULL,
                             d_rgba,
                             d_count,
                             cap};
    CK(ysg__cuda_bbox(d_px, d_tiles, W, H, &in, P.size_mode, d_params, d_age, cap_items, d_temp,
                      temp_bytes, d_total, NULL, err, sizeof err));
    CK(ysg__cuda_download(px, d_px, (size_t)W * H * 8, NULL, err, sizeof err));
    CK(ysg__cuda_download(tiles, d_tiles, (size_t)tiles_x * tiles_y, NULL, err, sizeof err));
    int32_t total = -1;
    CK(ysg__cuda_download(&total, d_total, 4, NULL, err, sizeof err));
    CK(ysg__cuda_sync(NULL, err, sizeof err));
    cr_assert(total >= 0 && total <= cap_items, "%s frame %d: %d bin references (capacity %d)",
              args, f, total, cap_items);
    int bad = 0, tdiff = 0;
    double worst = 0;
    for (int t = 0; t < tiles_x * tiles_y; t++) tdiff += tiles[t] != ref->tiles[t];
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        for (int c = 0; c < 4; c++) {
          int t = (y / 16) * tiles_x + x / 16;
          double a = chan(ref, x, y, c);
          double b = tiles[t] ? ysg_half_to_float(px[((size_t)y * W + x) * 4 + c]) : 0.0;
          double e = fabs(a - b);
          if (!(e <= 1e-3) && bad++ < 5)
            cr_log_error("%s frame %d (%d,%d) ch %d: cpu %.6f gpu %.6f", args, f, x, y, c, a, b);
          if (e > worst || isnan(e)) worst = isnan(e) ? INFINITY : e;
        }
    cr_log_info("%s frame %d: max error %.3g", args, f, worst);
    cr_expect_eq(bad, 0, "%s frame %d: %d values differ (max %.3g)", args, f, bad, worst);
    cr_expect_eq(tdiff, 0, "%s frame %d: %d tile flags differ", args, f, tdiff);
  }
  void *bufs[] = {d_temp,  d_age,   d_pos,    d_radius, d_rgba, d_id,
                  d_count, d_total, d_params, d_px,     d_tiles};
  for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++) ysg__cuda_free(bufs[k]);
  free(px);
  free(tiles);
  free(pos);
  finish(&r);
}
#endif

Test(bbox_cuda, boxes_match_cpu) {
  require_device();
#ifdef YSG_HAVE_CUDA
  scene_reset(64, YSG_ATTR_RGBA);
  for (int k = 0; k < 40; k++) {
    int i = scene_box(0, (float)(k * 37 % 300) - 20 + 0.3f * (float)k, (float)(k * 53 % 180) - 10,
                      (float)(k % 7) * 9.5f, 8 + (float)(k % 5) * 11.25f);
    const float col[4] = {(float)(k % 3) / 2, (float)(k % 5) / 4, 1, 0.4f + (float)(k % 4) / 6};
    memcpy(S.rgba[0][i], col, sizeof col);
  }
  scene_box(0, NAN, 3, 4, 5);
  scene_box(0, -500, -500, 2000, 2000);
  cuda_matches("tboxes", "stroke=2.5, radius=5, fill_opacity=0.3", 300, 180, 1);
  cuda_matches("tboxes", "stroke=1, style='corners', corner_length=0.3, opacity=0.7", 300, 180, 1);
  cuda_matches("tboxes", "stroke=6, roundness=0.5, fill_opacity=1, data_colors=false", 300, 180, 1);
#endif
}

Test(bbox_cuda, from_age_matches_cpu) {
  require_device();
#ifdef YSG_HAVE_CUDA
  scene_reset(8, YSG_ATTR_ID);
  for (int f = 0; f < 30; f++) {
    scene_point(f, 40, 40, 7, 0);
    for (int k = 0; k < 3; k++) scene_point(f, 100 + 40 * (float)k, 40, 1000 + 2 * f + k, 0);
  }
  cuda_matches("tpoints", "size='from_age', age_frames=10, stroke=2, fill_opacity=0.5", 240, 80,
               30);
  scene_reset(8, YSG_ATTR_RADIUS);
  scene_point(0, 40, 40, 0, 6);
  scene_point(0, 140, 40, 0, NAN);
  cuda_matches("tpoints", "size='from_radius', stroke=2", 240, 80, 1);
#endif
}
