/* test_color.c — the shared colour math (engine/color.h): FP16 conversion exact against the
 * IEEE definition for every half value, the F16C fast path (when compiled in) bit-identical to the
 * portable one, round-to-nearest-even ties, and the sRGB transfer functions. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "color.h"

static uint32_t fbits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

Test(color, half_to_float_all_values) {
  for (uint32_t h = 0; h < 65536; h++) {
    float f = ysg_half_to_float((uint16_t)h);
    uint32_t e = (h >> 10) & 31, m = h & 1023;
    float want;
    if (e == 31)
      want = m ? NAN : INFINITY;
    else if (e == 0)
      want = ldexpf((float)m, -24);
    else
      want = ldexpf((float)(m | 1024), (int)e - 25);
    if (h & 0x8000) want = -want;
    if (isnan(want))
      cr_assert(isnan(f), "half %04x", h);
    else
      cr_assert_eq(fbits(f), fbits(want), "half %04x: got %a want %a", h, f, want);
    /* and back: every half survives float -> half */
    if (!isnan(f)) cr_assert_eq(ysg_float_to_half(f), h, "round trip of %04x", h);
  }
}

Test(color, float_to_half_rounds_to_nearest_even) {
  cr_assert_eq(ysg_float_to_half(1.0f + ldexpf(1, -11)), 0x3c00);     /* tie -> even */
  cr_assert_eq(ysg_float_to_half(1.0f + 3 * ldexpf(1, -11)), 0x3c02); /* tie -> even */
  cr_assert_eq(ysg_float_to_half(1.0f + ldexpf(1, -11) + ldexpf(1, -20)), 0x3c01);
  cr_assert_eq(ysg_float_to_half(65519.0f), 0x7bff);
  cr_assert_eq(ysg_float_to_half(65520.0f), 0x7c00); /* overflow to inf */
  cr_assert_eq(ysg_float_to_half(ldexpf(1, -24)), 0x0001);
  cr_assert_eq(ysg_float_to_half(ldexpf(1, -25)), 0x0000); /* tie -> even (zero) */
  cr_assert_eq(ysg_float_to_half(ldexpf(3, -26)), 0x0001);
  cr_assert_eq(ysg_float_to_half(-0.0f), 0x8000);
}

Test(color, pixel_path_matches_scalar_path) {
  /* ysg_load_px / ysg_store_px may use F16C; they must agree bit for bit with the scalar code */
  for (uint32_t h = 0; h < 65536; h += 4) {
    uint16_t px[4] = {(uint16_t)h, (uint16_t)(h + 1), (uint16_t)(h + 2), (uint16_t)(h + 3)};
    float f[4];
    ysg_load_px(px, f);
    for (int c = 0; c < 4; c++) {
      float s = ysg_half_to_float(px[c]);
      if (isnan(s))
        cr_assert(isnan(f[c]));
      else
        cr_assert_eq(fbits(f[c]), fbits(s), "half %04x", px[c]);
    }
  }
  uint32_t seed = 12345;
  for (int i = 0; i < 200000; i++) {
    float in[4];
    for (int c = 0; c < 4; c++) {
      seed = seed * 1664525u + 1013904223u;
      uint32_t b = seed;
      memcpy(&in[c], &b, 4);
      if (isnan(in[c])) in[c] = 0.5f;
    }
    uint16_t out[4];
    ysg_store_px(out, in);
    for (int c = 0; c < 4; c++) cr_assert_eq(out[c], ysg_float_to_half(in[c]), "float %a", in[c]);
  }
}

Test(color, srgb_transfer) {
  cr_assert_float_eq(ysg_srgb_to_linear(0.5f), 0.21404114f, 1e-6);
  cr_assert_float_eq(ysg_linear_to_srgb(0.21404114f), 0.5f, 1e-6);
  for (int i = 0; i < 256; i++) {
    float s = (float)i / 255.0f;
    cr_assert_eq((int)(ysg_linear_to_srgb(ysg_srgb_to_linear(s)) * 255.0f + 0.5f), i);
  }
  cr_assert_eq(ysg_linear_to_srgb(NAN), 0.0f);
  cr_assert_eq(ysg_linear_to_srgb(-1.0f), 0.0f);
  cr_assert_eq(ysg_linear_to_srgb(7.0f), 1.0f);
}
