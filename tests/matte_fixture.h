/* matte_fixture.h — a synthetic green-screen scene with known answers for the matte tests:
 * over an unevenly lit green screen, a disc with a soft 6 px edge and green spill near its rim,
 * and a rectangle motion-blurred over 12 px, both moving `speed` px per frame; optional seeded
 * noise (a static clip with sensor noise). ysgt_gs_truth gives each pixel's true alpha, true
 * (unspilled) foreground and the spilled one; the frame is their linear-light composite.
 * `gscreen` is a host test source node drawing it (register ysgt_gs_type). */
#ifndef YSG_TEST_MATTE_FIXTURE_H
#define YSG_TEST_MATTE_FIXTURE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "color.h"
#include "ysgraph/node.h"

#define YSGT_GS_SKIN_R 0.55f
#define YSGT_GS_SKIN_G 0.30f
#define YSGT_GS_SKIN_B 0.22f

static inline float ysgt_gs_clamp01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

/* The screen's linear colour at x (brighter to the right: ±15 %). */
static inline void ysgt_gs_screen(int w, int x, float s[3]) {
  float gain = 0.85f + 0.3f * (float)x / (float)(w > 1 ? w - 1 : 1);
  s[0] = 0.06f * gain, s[1] = 0.42f * gain, s[2] = 0.09f * gain;
}

/* Truth at pixel centre (x + 0.5, y + 0.5) of frame f: alpha, the foreground colour and the
 * foreground as filmed (with spill). Returns which subject covers it (0: none, 1: disc,
 * 2: rectangle). */
static inline int ysgt_gs_truth(int w, int h, int f, float speed, int x, int y, float *alpha,
                                float fg[3], float spilled[3]) {
  float px = (float)x + 0.5f, py = (float)y + 0.5f;
  float cx = 0.33f * (float)w + speed * (float)f, cy = 0.5f * (float)h, r = 0.28f * (float)h;
  float d = sqrtf((px - cx) * (px - cx) + (py - cy) * (py - cy));
  float a1 = ysgt_gs_clamp01((r - d) / 6.0f + 0.5f); /* 6 px soft edge */
  /* rectangle [x0, x1] × [y0, y1] blurred horizontally by a 12 px box */
  float x0 = 0.62f * (float)w + speed * (float)f, x1 = x0 + 0.18f * (float)w;
  float y0 = 0.2f * (float)h, y1 = 0.8f * (float)h;
  float cov_x = ysgt_gs_clamp01((fminf(px + 6.0f, x1) - fmaxf(px - 6.0f, x0)) / 12.0f);
  float a2 = py >= y0 && py < y1 ? cov_x : 0.0f;
  if (a1 <= 0.0f && a2 <= 0.0f) {
    *alpha = 0.0f;
    fg[0] = fg[1] = fg[2] = spilled[0] = spilled[1] = spilled[2] = 0.0f;
    return 0;
  }
  if (a1 >= a2) {
    *alpha = a1;
    fg[0] = YSGT_GS_SKIN_R, fg[1] = YSGT_GS_SKIN_G, fg[2] = YSGT_GS_SKIN_B;
    float spill = 0.25f * ysgt_gs_clamp01(1.0f - (r - d) / 10.0f); /* green light on the rim */
    spilled[0] = fg[0], spilled[1] = fg[1] + spill, spilled[2] = fg[2];
    return 1;
  }
  *alpha = a2;
  fg[0] = 0.10f, fg[1] = 0.15f, fg[2] = 0.45f;
  spilled[0] = fg[0], spilled[1] = fg[1] + 0.05f, spilled[2] = fg[2];
  return 2;
}

static inline float ysgt_gs_noise(uint64_t seed, uint64_t k) {
  uint64_t z = seed * 0x9e3779b97f4a7c15ull + k + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return (float)((double)(z >> 11) * 0x1.0p-53) - 0.5f; /* uniform in [-0.5, 0.5) */
}

/* The filmed frame's linear pixel (opaque): alpha·spilled + (1 − alpha)·screen, plus noise of
 * amplitude `noise` (uniform, per channel) seeded by (seed, frame). */
static inline void ysgt_gs_pixel(int w, int h, int f, float speed, float noise, uint64_t seed,
                                 int x, int y, float out[4]) {
  float a, fg[3], sp[3], s[3];
  ysgt_gs_truth(w, h, f, speed, x, y, &a, fg, sp);
  ysgt_gs_screen(w, x, s);
  for (int c = 0; c < 3; c++) {
    float v = a * sp[c] + (1.0f - a) * s[c];
    if (noise > 0.0f)
      v += noise * ysgt_gs_noise(seed * 1000003u + (uint64_t)f,
                                 ((uint64_t)y * (uint64_t)w + (uint64_t)x) * 3u + (uint64_t)c);
    out[c] = v < 0.0f ? 0.0f : v;
  }
  out[3] = 1.0f;
}

/* gscreen{speed=2, noise=0, seed=1, plate=false}: the scene as a canvas-sized image every frame
 * (plate: the screen alone, a clean plate). */
enum { YSGT_GS_SPEED, YSGT_GS_NOISE, YSGT_GS_SEED, YSGT_GS_PLATE, YSGT_GS_N };
static const ysg_param_def ysgt_gs_params[YSGT_GS_N] = {
    {"speed", YSG_PARAM_NUMBER, "2", -100, 100, NULL, YSG_PARAM_STATIC, "px per frame"},
    {"noise", YSG_PARAM_NUMBER, "0", 0, 1, NULL, YSG_PARAM_STATIC, "noise amplitude (linear)"},
    {"seed", YSG_PARAM_INT, "1", 0, 1e6, NULL, YSG_PARAM_STATIC, "noise seed"},
    {"plate", YSG_PARAM_BOOL, "false", 0, 0, NULL, YSG_PARAM_STATIC, "the screen alone"},
};
static const ysg_port_def ysgt_gs_out[] = {{"image", YSG_IMAGE, 0, "the frame", NULL, 0}};

static inline ysg_status ysgt_gs_run(ysg_node *n, const ysg_frame *f) {
  ysg_value *v = ysg_node_output(n, 0);
  float speed = (float)ysg_node_number(n, YSGT_GS_SPEED);
  float noise = (float)ysg_node_number(n, YSGT_GS_NOISE);
  uint64_t seed = (uint64_t)ysg_node_int(n, YSGT_GS_SEED);
  int plate = ysg_node_bool(n, YSGT_GS_PLATE);
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++) {
      float p[4] = {0, 0, 0, 1};
      if (plate)
        ysgt_gs_screen(v->width, x, p);
      else
        ysgt_gs_pixel(v->width, v->height, f->index, speed, noise, seed, x, y, p);
      ysg_store_px(v->px + ((size_t)y * (size_t)v->width + (size_t)x) * 4, p);
    }
  memset(v->tiles, 1, (size_t)v->tiles_x * (size_t)v->tiles_y);
  return YSG_OK;
}

static const ysg_node_type ysgt_gs_type = {.name = "gscreen",
                                           .category = "source",
                                           .doc = "test: a synthetic green-screen frame",
                                           .outputs = ysgt_gs_out,
                                           .n_outputs = 1,
                                           .params = ysgt_gs_params,
                                           .n_params = YSGT_GS_N,
                                           .flags = YSG_NODE_HOST,
                                           .run = ysgt_gs_run};

#endif
