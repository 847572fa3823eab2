/* test_text.c — the `text` node against independent references: glyph placement against
 * HarfBuzz's advances and FreeType's glyph bounds (the ink extent within 0.5 px), coverage
 * against FreeType's own anti-aliased rasteriser at two sizes (the error stated and asserted),
 * templates with every attribute and format, missing attributes and bad templates with their
 * exact errors, Arabic and CJK through fallback fonts, bidi order, missing and non-font files,
 * labels kept inside the canvas, multi-line alignment, ellipsis, animated strings, and the CPU
 * against the CUDA kernel (skipped without a device). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H
#include <hb-ft.h>
#include <hb.h>

#include "backend_compare.h"
#include "color.h"
#include "text_layout.h"
#include "util.h"

#define DEJAVU "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

static ysg_context *ctx;
static ysg_pipeline *pl;
static const char *dir;

static void setup(void) {
  ctx = ysgt_ctx_warn(2);
  cr_assert_not_null(ctx);
  dir = ysgt_tmpdir();
  cr_assert_eq(chdir(dir), 0);
  pl = NULL;
}

static void teardown(void) {
  if (pl) ysg_pipeline_destroy(pl);
  ysg_context_destroy(ctx);
}

TestSuite(text, .init = setup, .fini = teardown);

/* load src, run frame f, return the image named ref */
static const ysg_value *render(const char *src, int f, const char *ref) {
  if (pl) ysg_pipeline_destroy(pl);
  pl = NULL;
  ysg_status s = ysgt_load(ctx, src, &pl);
  cr_assert_eq(s, YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(pl, f), YSG_OK, "%s", ysg_errmsg(ctx));
  const ysg_value *v = NULL;
  cr_assert_eq(ysg_pipeline_get_value(pl, ref, &v), YSG_OK, "%s", ysg_errmsg(ctx));
  return v;
}

static float alpha(const ysg_value *v, int x, int y) { return ysgt_px_at(v, x, y, 3); }

/* the bounding box of pixels with alpha > 0.01; 0 when there is none */
static int ink_box(const ysg_value *v, int b[4]) {
  b[0] = b[1] = 1 << 30;
  b[2] = b[3] = -1;
  for (int y = 0; y < v->height; y++)
    for (int x = 0; x < v->width; x++)
      if (alpha(v, x, y) > 0.01f) {
        if (x < b[0]) b[0] = x;
        if (y < b[1]) b[1] = y;
        if (x > b[2]) b[2] = x;
        if (y > b[3]) b[3] = y;
      }
  return b[2] >= 0;
}

static const char *load_error(const char *src, ysg_status want) {
  if (pl) ysg_pipeline_destroy(pl);
  pl = NULL;
  ysg_status s = ysgt_load(ctx, src, &pl);
  cr_assert_eq(s, want, "status %s: %s", ysg_status_name(s), ysg_errmsg(ctx));
  return ysg_errmsg(ctx);
}

/* ---- the independent reference: HarfBuzz over FreeType, FreeType's rasteriser ---------------- */

typedef struct ref_text {
  FT_Library lib;
  FT_Face face;
  hb_font_t *hb;
  int n;
  unsigned gid[64];
  double x[64], y[64]; /* pen positions, px */
  double width;        /* the sum of advances */
} ref_text;

/* shape s (Latin) at size px with HarfBuzz's FreeType font functions, unhinted */
static void ref_shape(ref_text *r, const char *s, int size) {
  cr_assert_eq(FT_Init_FreeType(&r->lib), 0);
  cr_assert_eq(FT_New_Face(r->lib, DEJAVU, 0, &r->face), 0);
  cr_assert_eq(FT_Set_Pixel_Sizes(r->face, 0, (FT_UInt)size), 0);
  r->hb = hb_ft_font_create_referenced(r->face);
  hb_ft_font_set_load_flags(r->hb, FT_LOAD_NO_HINTING);
  hb_buffer_t *b = hb_buffer_create();
  hb_buffer_add_utf8(b, s, -1, 0, -1);
  hb_buffer_guess_segment_properties(b);
  hb_shape(r->hb, b, NULL, 0);
  unsigned n = 0;
  hb_glyph_info_t *gi = hb_buffer_get_glyph_infos(b, &n);
  hb_glyph_position_t *gp = hb_buffer_get_glyph_positions(b, &n);
  cr_assert_leq(n, 64);
  double x = 0;
  for (unsigned i = 0; i < n; i++) {
    r->gid[i] = gi[i].codepoint;
    r->x[i] = x + gp[i].x_offset / 64.0;
    r->y[i] = -gp[i].y_offset / 64.0;
    x += gp[i].x_advance / 64.0;
  }
  r->n = (int)n;
  r->width = x;
  hb_buffer_destroy(b);
}

static void ref_done(ref_text *r) {
  hb_font_destroy(r->hb);
  FT_Done_FreeType(r->lib); /* the face goes with the library */
}

/* Coverage of the string with its pen origin at (ox, baseline oy), by FreeType's anti-aliased
 * rasteriser (exact area coverage), each glyph's outline moved by its sub-pixel position;
 * overlapping glyphs take the larger coverage. out: w × h. */
static void ref_coverage(ref_text *r, double ox, double oy, float *out, int w, int h) {
  memset(out, 0, sizeof(float) * (size_t)w * (size_t)h);
  for (int i = 0; i < r->n; i++) {
    double gx = ox + r->x[i], gy = oy + r->y[i];
    double fx = gx - floor(gx), fy = gy - floor(gy);
    cr_assert_eq(FT_Load_Glyph(r->face, r->gid[i], FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP), 0);
    FT_Outline_Translate(&r->face->glyph->outline, (FT_Pos)lround(fx * 64),
                         (FT_Pos)lround(-fy * 64));
    cr_assert_eq(FT_Render_Glyph(r->face->glyph, FT_RENDER_MODE_NORMAL), 0);
    FT_Bitmap *bm = &r->face->glyph->bitmap;
    int left = (int)floor(gx) + r->face->glyph->bitmap_left;
    int top = (int)floor(gy) - r->face->glyph->bitmap_top;
    for (unsigned yy = 0; yy < bm->rows; yy++)
      for (unsigned xx = 0; xx < bm->width; xx++) {
        int X = left + (int)xx, Y = top + (int)yy;
        if (X < 0 || Y < 0 || X >= w || Y >= h) continue;
        float c = bm->buffer[yy * (unsigned)bm->pitch + xx] / 255.0f;
        if (c > out[Y * w + X]) out[Y * w + X] = c;
      }
  }
}

/* ---- placement ----------------------------------------------------------------------------------
 */

/* the left and right edges of the ink in row y, from the partial coverage of the end pixels of
 * vertical stems: a pixel at x covered from e on has alpha x + 1 - e */
static void row_edges(const ysg_value *v, int y, double *l, double *r) {
  int a = -1, b = -1;
  for (int x = 0; x < v->width; x++)
    if (alpha(v, x, y) > 0.001f) {
      if (a < 0) a = x;
      b = x;
    }
  cr_assert_geq(a, 0, "row %d has no ink", y);
  *l = a + 1.0 - alpha(v, a, y);
  *r = b + (double)alpha(v, b, y);
}

Test(text, ink_extent_matches_harfbuzz_advances) {
  const char *s = "HAVAWAY To fi H";
  for (int k = 0; k < 2; k++) {
    int size = k ? 48 : 20;
    double x0 = k ? 31.375 : 10.25; /* sub-pixel origins */
    char src[512];
    snprintf(src, sizeof src,
             "canvas{width=640,height=100} text{name='t', text='%s', size=%d, x=%.17g, y=10, "
             "anchor='top_left', padding=0}",
             s, size, x0);
    const ysg_value *v = render(src, 0, "t");
    ref_text r;
    ref_shape(&r, s, size);
    /* expected ink: the first H's left bearing to the last H's right side bearing */
    FT_Load_Glyph(r.face, r.gid[0], FT_LOAD_NO_HINTING | FT_LOAD_NO_SCALE);
    double em = size / (double)r.face->units_per_EM;
    double lsb = r.face->glyph->metrics.horiBearingX * em;
    FT_Load_Glyph(r.face, r.gid[r.n - 1], FT_LOAD_NO_HINTING | FT_LOAD_NO_SCALE);
    double right =
        r.x[r.n - 1] + (r.face->glyph->metrics.horiBearingX + r.face->glyph->metrics.width) * em;
    double want_l = x0 + lsb, want_r = x0 + right;
    /* rows through the H stems, above the crossbar: the baseline is at y + ascender */
    double base = 10 + r.face->ascender * em, cap = 0.729 * size;
    int y = (int)(base - 0.8 * cap);
    double l, rr;
    row_edges(v, y, &l, &rr);
    cr_expect(fabs(l - want_l) < 0.25, "size %d: left edge %.3f, expected %.3f", size, l, want_l);
    cr_expect(fabs(rr - want_r) < 0.25, "size %d: right edge %.3f, expected %.3f", size, rr,
              want_r);
    cr_expect(fabs((rr - l) - (want_r - want_l)) < 0.5,
              "size %d: extent %.3f px, HarfBuzz's shaped extent %.3f px", size, rr - l,
              want_r - want_l);
    ref_done(&r);
  }
}

/* ---- coverage against FreeType ------------------------------------------------------------------
 */

/* Mean and largest |alpha - FreeType coverage| over pixels either one inks, text at size px with
 * its pen at (10.3, baseline 10 + ascender). Measured here: size 16: mean 0.037, max 0.21;
 * size 48: mean 0.014, max 0.28. The error is the box-filter approximation clamp(0.5 - d) of a
 * distance against the exact area: largest at sharp corners, and on stems about a pixel wide,
 * where both edges cross one pixel (small text has more of them, hence the larger mean). */
static void coverage_error(int size, double *mean, double *worst) {
  const char *s = "Sphinx of black quartz";
  char src[512];
  snprintf(src, sizeof src,
           "canvas{width=720,height=96} text{name='t', text='%s', size=%d, x=10.3, y=10, "
           "anchor='top_left', padding=0}",
           s, size);
  const ysg_value *v = render(src, 0, "t");
  ref_text r;
  ref_shape(&r, s, size);
  double em = size / (double)r.face->units_per_EM;
  static float ref[720 * 96];
  ref_coverage(&r, 10.3, 10 + r.face->ascender * em, ref, 720, 96);
  double sum = 0, big = 0;
  int n = 0;
  for (int y = 0; y < 96; y++)
    for (int x = 0; x < 720; x++) {
      float a = alpha(v, x, y), b = ref[y * 720 + x];
      if (a <= 0.0f && b <= 0.0f) continue;
      double d = fabs(a - b);
      sum += d;
      if (d > big) big = d;
      n++;
    }
  cr_assert_gt(n, 100);
  *mean = sum / n;
  *worst = big;
  ref_done(&r);
}

Test(text, coverage_matches_freetype_at_two_sizes) {
  double mean, worst;
  coverage_error(16, &mean, &worst);
  cr_log_info("size 16: mean |da| %.4f, max %.3f", mean, worst);
  cr_expect(mean < 0.045 && worst < 0.3, "size 16: mean %.4f max %.3f", mean, worst);
  coverage_error(48, &mean, &worst);
  cr_log_info("size 48: mean |da| %.4f, max %.3f", mean, worst);
  cr_expect(mean < 0.02 && worst < 0.3, "size 48: mean %.4f max %.3f", mean, worst);
}

/* ---- templates ----------------------------------------------------------------------------------
 */

static ysg_node *some_node(void) {
  if (pl) ysg_pipeline_destroy(pl);
  cr_assert_eq(ysgt_load(ctx, "canvas{width=8,height=8} text{name='t', text='x'}", &pl), YSG_OK);
  return ysg__node_find(pl, "t");
}

static const char *fill(const char *tmpl, int source, const ysg_text_elem *e) {
  static char out[512];
  static ysg_text_tmpl t;
  ysg_node *n = some_node();
  cr_assert_eq(ysg__text_tmpl_parse(n, 0, tmpl, source, &t), YSG_OK, "%s", ysg_errmsg(ctx));
  ysg__text_tmpl_format(&t, e, out, sizeof out);
  ysg__text_tmpl_free(n, &t);
  return out;
}

Test(text, templates_with_every_attribute) {
  ysg_text_elem e = {.id = 42,
                     .index = 3,
                     .frame = 17,
                     .count = 9,
                     .label = "person",
                     .conf = 0.8765,
                     .x = 10.5,
                     .y = 20.25,
                     .w = 30,
                     .h = 40.5,
                     .cx = 25.5,
                     .cy = 40.5,
                     .radius = 2.5,
                     .time = 0.56666};
  cr_assert_str_eq(fill("#{id} {label} {conf:.0%}", YSG_TEXT_BOXES, &e), "#42 person 88%");
  cr_assert_str_eq(fill("{x},{y},{w},{h},{cx},{cy}", YSG_TEXT_BOXES, &e),
                   "10.5,20.25,30,40.5,25.5,40.5");
  cr_assert_str_eq(fill("#{id} {x:.0f},{y:.0f}", YSG_TEXT_BOXES, &e), "#42 10,20");
  cr_assert_str_eq(fill("{index}/{count} f{frame} t={time:.2f}s", YSG_TEXT_POINTS, &e),
                   "3/9 f17 t=0.57s");
  cr_assert_str_eq(fill("r={radius:.1f} c={conf:.2f}", YSG_TEXT_POINTS, &e), "r=2.5 c=0.88");
  cr_assert_str_eq(fill("{id:05d}|{id:>5}|{id:<4}|{id:x}|{conf:+.2f}", YSG_TEXT_BOXES, &e),
                   "00042|   42|42  |2a|+0.88");
  cr_assert_str_eq(fill("[{label:*^10}] [{label:.3}] [{label:>8s}]", YSG_TEXT_BOXES, &e),
                   "[**person**] [per] [  person]");
  cr_assert_str_eq(fill("{{id}} {{{id}}}", YSG_TEXT_BOXES, &e), "{id} {42}");
  cr_assert_str_eq(fill("{conf:e} {conf:.3g} {conf}", YSG_TEXT_BOXES, &e),
                   "8.765000e-01 0.876 0.8765");
  cr_assert_str_eq(fill("Frame {frame:04d}", YSG_TEXT_NONE, &e), "Frame 0017");
}

Test(text, template_errors) {
  cr_assert_str_eq(load_error("text{boxes=boxes_in{}, text='{lable}'}", YSG_ERR_PIPELINE),
                   "test.lua:1: node 'text_1' (text): parameter 'text': unknown attribute 'lable' "
                   "in '{lable}' (known: id, label, conf, x, y, w, h, cx, cy, radius, index, "
                   "frame, time, count)");
  cr_assert_str_eq(load_error("text{points=points_in{}, text='{w}'}", YSG_ERR_PIPELINE),
                   "test.lua:1: node 'text_1' (text): parameter 'text': attribute 'w' needs "
                   "boxes; with points the template has: id, label, conf, x, y, radius, index, "
                   "frame, time, count");
  cr_assert_str_eq(load_error("text{text='#{id}'}", YSG_ERR_PIPELINE),
                   "test.lua:1: node 'text_1' (text): parameter 'text': attribute 'id' needs "
                   "points or boxes; with no input the template has: frame, time");
  cr_assert_str_eq(load_error("text{text='{frame:.2q}'}", YSG_ERR_PIPELINE),
                   "test.lua:1: node 'text_1' (text): parameter 'text': bad format '.2q' in "
                   "'{frame:.2q}' (expected [[fill]align][sign][0][width][.precision]"
                   "[d|f|e|g|%|x|s])");
  cr_assert_str_eq(load_error("text{text='a {frame'}", YSG_ERR_PIPELINE),
                   "test.lua:1: node 'text_1' (text): parameter 'text': '{' at byte 3 has no '}' "
                   "(write {{ for a brace)");
  cr_assert_str_eq(load_error("text{text='a } b'}", YSG_ERR_PIPELINE),
                   "test.lua:1: node 'text_1' (text): parameter 'text': '}' at byte 3 has no '{' "
                   "(write }} for a brace)");
  cr_assert_str_eq(load_error("text{points=points_in{}, boxes=boxes_in{}}", YSG_ERR_PIPELINE),
                   "test.lua:1: node 'text_1' (text): connect points or boxes, not both");
}

Test(text, missing_attribute_at_a_frame) {
  ysgt_write(dir, "b.csv", "x,y,w,h,id\n1,2,30,20,7\n");
  const char *src =
      "canvas{width=64,height=64} text{name='t', boxes=boxes{path='b.csv'}, "
      "text='{label} {conf:.0%}'}";
  cr_assert_eq(ysgt_load(ctx, src, &pl), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_run_frame(pl, 0), YSG_ERR_DATA);
  cr_assert_str_eq(ysg_errmsg(ctx),
                   "test.lua:1: node 't' (text): parameter 'text': the template reads 'label', but "
                   "the boxes carry no label at frame 0 (their attributes: id)");
}

/* a template renders exactly as the string it fills */
Test(text, template_renders_its_string) {
  ysgt_write(dir, "b.csv", "x,y,w,h,id,label,conf\n20,40,60,30,7,cat,0.5\n");
  const ysg_value *a = render(
      "canvas{width=200,height=80} text{name='t', text='#{id} {label} "
      "{conf:.0%}', boxes=boxes{path='b.csv'}}",
      0, "t");
  int ba[4];
  cr_assert(ink_box(a, ba));
  static uint16_t saved[200 * 80 * 4];
  memcpy(saved, a->px, sizeof saved);
  uint8_t tiles[13 * 5];
  memcpy(tiles, a->tiles, sizeof tiles);
  /* the fixed string at the same reference: anchor bottom_left at the box's top-left */
  const ysg_value *b = render(
      "canvas{width=200,height=80} text{name='t', text='#7 cat 50%', x=20, "
      "y=40}",
      0, "t");
  for (int y = 0; y < 80; y++)
    for (int x = 0; x < 200; x++) {
      int t = (y / 16) * 13 + x / 16;
      float va = tiles[t] ? ysg_half_to_float(saved[(y * 200 + x) * 4 + 3]) : 0.0f;
      cr_assert_eq(va, alpha(b, x, y), "pixel %d,%d", x, y);
    }
}

/* Layouts come from a cache after their first use (nodes/text_cache.c); it must give what shaping
 * gives: a frame renders the same cold and warm, also when the labels overflow the cache (600
 * labels of ~26 glyphs: it is emptied mid-frame). */
Test(text, layout_cache_gives_what_shaping_gives) {
  char *csv = malloc(64 * 601);
  cr_assert_not_null(csv);
  int o = sprintf(csv, "x,y,id,label\n");
  for (int i = 0; i < 600; i++)
    o += sprintf(csv + o, "%.3f,%.3f,%d,%s\n", 7.37 * (i % 40) * 4, 12.0 + 10.51 * (i / 40) * 3,
                 i % 450, i % 3 ? "person" : "bicycle");
  ysgt_write(dir, "p.csv", csv);
  free(csv);
  const ysg_value *v = render(
      "canvas{width=1200,height=500,frames=2} text{name='t', points=points{path='p.csv'}, "
      "text='{label} {id} {x:.3f},{y:.2f}', size=11, anchor='center'}",
      0, "t");
  size_t n = (size_t)v->width * (size_t)v->height * 4, nt = (size_t)v->tiles_x * v->tiles_y;
  uint16_t *cold = malloc(n * sizeof *cold);
  uint8_t *tiles = malloc(nt);
  cr_assert(cold && tiles);
  memcpy(cold, v->px, n * sizeof *cold);
  memcpy(tiles, v->tiles, nt);
  int drawn = 0;
  for (size_t t = 0; t < nt; t++) drawn += tiles[t];
  cr_assert_gt(drawn, 100);
  for (int run = 0; run < 2; run++) { /* warm: frame 0 again, after frame 1 */
    if (run) cr_assert_eq(ysg_pipeline_run_frame(pl, 1), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_run_frame(pl, 0), YSG_OK, "%s", ysg_errmsg(ctx));
    cr_assert_eq(ysg_pipeline_get_value(pl, "t", &v), YSG_OK);
    cr_assert_eq(memcmp(tiles, v->tiles, nt), 0);
    for (size_t t = 0; t < nt; t++) {
      if (!tiles[t]) continue;
      int x0 = (int)(t % (size_t)v->tiles_x) * 16, y0 = (int)(t / (size_t)v->tiles_x) * 16;
      for (int y = y0; y < y0 + 16 && y < v->height; y++)
        cr_assert_eq(memcmp(cold + ((size_t)y * v->width + x0) * 4,
                            v->px + ((size_t)y * v->width + x0) * 4, 16 * 4 * sizeof *cold),
                     0, "run %d: row %d of tile %zu differs", run, y, t);
    }
  }
  free(cold);
  free(tiles);
}

/* ---- scripts and fonts
 * ---------------------------------------------------------------------------- */

Test(text, arabic_and_cjk_through_fallbacks) {
  if (pl) ysg_pipeline_destroy(pl);
  cr_assert_eq(ysgt_load(ctx, "canvas{width=300,height=60} text{name='t', text='x'}", &pl), YSG_OK);
  ysg_node *n = ysg__node_find(pl, "t");
  ysg_text_fonts f;
  cr_assert_eq(ysg__text_fonts_open(n, &f, 4, 3, 24, 3, 1 << 22), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg__text_font_for(&f, 'A'), 0);
  cr_assert_eq(ysg__text_font_for(&f, 0x0645), 0); /* DejaVu Sans draws Arabic itself */
  int k = ysg__text_font_for(&f, 0x4f60);          /* 你 */
  if (k < 0) cr_skip_test("no installed font covers U+4F60 (install fonts-wqy-microhei)");
  cr_assert_gt(k, 0);
  cr_log_info("CJK fallback: %s", f.font[k].file);
  cr_assert_eq(ysg__text_font_for(&f, 0x597d), k);    /* 好: the same fallback, no new query */
  cr_assert_eq(ysg__text_font_for(&f, 0x10fffd), -1); /* private use: tofu */
  /* a mixed line: Latin first (left to right), the Arabic word reversed, CJK after it */
  ysg_text_shaper sh;
  cr_assert_eq(ysg__text_shaper_init(n, &sh), YSG_OK);
  ysg_text_block_opts o = {24, 1, 0, 0};
  float w, h;
  const char *s = "ab \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xe4\xbd\xa0\xe5\xa5\xbd";
  cr_assert_eq(ysg__text_block(&sh, &f, s, strlen(s), &o, &w, &h), YSG_OK);
  cr_assert_gt(sh.n_g, 8);
  int cjk = 0, arabic = 0;
  for (int i = 0; i < sh.n_g; i++) {
    cr_assert(i == 0 || sh.g[i].x >= sh.g[i - 1].x - 1e-3f, "glyphs in visual order");
    cjk += sh.g[i].font == k;
    arabic += sh.g[i].font == 0 && sh.g[i].x > 30 && sh.g[i].x < w - 50;
  }
  cr_assert_eq(cjk, 2);
  cr_assert_geq(arabic, 4); /* joined forms: the word shapes to at least 4 glyphs */
  /* the Arabic word is right to left: its first letter (meem, U+0645) is drawn rightmost; in
   * its initial form HarfBuzz gives it a different glyph than isolated */
  unsigned meem_gid = 0;
  hb_font_get_nominal_glyph((hb_font_t *)f.font[0].hb, 0x0645, &meem_gid);
  cr_assert_neq(meem_gid, 0);
  ysg__text_shaper_free(&sh);
  ysg__text_fonts_close(&f);
  /* and it renders: the CJK ink is not the tofu box */
  const ysg_value *v = render(
      "canvas{width=200,height=60} text{name='t', text='\xe4\xbd\xa0', "
      "size=32, x=10, y=10, anchor='top_left'}",
      0, "t");
  int b1[4];
  cr_assert(ink_box(v, b1));
  static uint16_t cjk_px[200 * 60 * 4];
  memcpy(cjk_px, v->px, sizeof cjk_px);
  v = render(
      "canvas{width=200,height=60} text{name='t', text='\xf4\x8f\xbf\xbd', size=32, x=10, "
      "y=10, anchor='top_left'}",
      0, "t");
  int b2[4];
  cr_assert(ink_box(v, b2)); /* the .notdef box */
  cr_assert(memcmp(cjk_px, v->px, sizeof cjk_px) != 0);
}

Test(text, font_file_errors) {
  cr_assert_str_eq(load_error("text{text='a', font_file='nope.ttf'}", YSG_ERR_IO),
                   "test.lua:1: node 'text_1' (text): parameter 'font_file': cannot open "
                   "'nope.ttf': No such file or directory");
  ysgt_write(dir, "fake.ttf", "this is not a font\n");
  cr_assert_str_eq(load_error("text{text='a', font_file='fake.ttf'}", YSG_ERR_DATA),
                   "test.lua:1: node 'text_1' (text): parameter 'font_file': 'fake.ttf' is not a "
                   "font FreeType can read");
  cr_assert_str_eq(load_error("text{text='a', font_file='/etc/passwd'}", YSG_ERR_PIPELINE),
                   "test.lua:1: node 'text_1' (text): parameter 'font_file': '/etc/passwd': "
                   "absolute paths are not allowed in sandboxed pipelines (run with --unsafe to "
                   "allow it)");
}

Test(text, font_file_and_family) {
  /* a copy in the pipeline's directory: a link to the system's file would lead out of it, which
   * a sandboxed pipeline may not do */
  size_t len = 0;
  char *font = ysgt_read(DEJAVU, &len);
  cr_assert(font && len > 0, "cannot read %s", DEJAVU);
  FILE *f = fopen("mine.ttf", "wb");
  cr_assert(f);
  cr_assert_eq(fwrite(font, 1, len, f), len);
  fclose(f);
  free(font);
  const ysg_value *v =
      render("canvas{width=120,height=40} text{name='t', text='Ag', font_file='mine.ttf'}", 0, "t");
  static uint16_t a[120 * 40 * 4];
  memcpy(a, v->px, sizeof a);
  v = render("canvas{width=120,height=40} text{name='t', text='Ag', font='DejaVu Sans'}", 0, "t");
  cr_assert_eq(memcmp(a, v->px, sizeof a), 0, "the file and the family draw the same");
  v = render("canvas{width=120,height=40} text{name='t', text='Ag', font='DejaVu Sans:bold'}", 0,
             "t");
  cr_assert(memcmp(a, v->px, sizeof a) != 0, "bold differs");
  ysgt_n_warnings = 0;
  render("canvas{width=120,height=40} text{name='t', text='Ag', font='No Such Family 123'}", 0,
         "t");
  cr_assert_eq(ysgt_n_warnings, 1);
  cr_assert(strstr(ysgt_warning, "no font family 'No Such Family 123' is installed; using '"), "%s",
            ysgt_warning);
}

/* ---- placement
 * ------------------------------------------------------------------------------------ */

Test(text, labels_kept_inside_the_canvas) {
  /* a box at the top: the label above it would leave the canvas, so it goes inside, under the
   * box's top edge; a box at the right edge: the label moves left to fit */
  ysgt_write(dir, "b.csv", "x,y,w,h,id\n20,2,80,60,1\n180,100,20,40,22222\n");
  const ysg_value *v = render(
      "canvas{width=200,height=150} text{name='t', boxes=boxes{path="
      "'b.csv'}, text='#{id}', size=16, plate_opacity=1}",
      0, "t");
  int b[4];
  cr_assert(ink_box(v, b));
  cr_assert_geq(b[1], 2, "the first label starts at the box's top edge, not above the canvas");
  cr_assert_eq(b[2], 199, "the second label ends at the canvas' right edge");
  cr_assert_gt(alpha(v, 22, 4), 0.5f, "inside the first box: its plate");
  cr_assert_gt(alpha(v, 199, 90), 0.5f);
  cr_assert_eq(alpha(v, 199, 70), 0.0f);
  /* keep_inside = false: the first label is cut by the canvas' top */
  v = render(
      "canvas{width=200,height=150} text{name='t', boxes=boxes{path='b.csv'}, "
      "text='#{id}', size=16, plate_opacity=1, keep_inside=false}",
      0, "t");
  cr_assert_eq(alpha(v, 22, 4), 0.0f);
  cr_assert_gt(alpha(v, 22, 0), 0.5f);
}

Test(text, anchors_align_and_ellipsis) {
  /* anchor centre at (100, 50): the ink's centre is there within a pixel */
  const ysg_value *v = render(
      "canvas{width=200,height=100} text{name='t', text='HHHH', x=100, y=50, "
      "anchor='center', padding=0, size=20}",
      0, "t");
  int b[4];
  cr_assert(ink_box(v, b));
  cr_assert_leq(fabs((b[0] + b[2] + 1) / 2.0 - 100.0), 1.0);
  /* right alignment: both lines end at the same x */
  v = render(
      "canvas{width=200,height=100} text{name='t', text='H\\nHHHH', x=10, y=10, "
      "anchor='top_left', align='right', size=20}",
      0, "t");
  double l0, r0, l1, r1;
  row_edges(v, 20, &l0, &r0);
  row_edges(v, 44, &l1, &r1);
  cr_assert_leq(fabs(r0 - r1), 0.05, "line ends %.3f and %.3f", r0, r1);
  cr_assert_gt(l0 - l1, 30);
  /* max_width: the line is cut and ends in an ellipsis */
  v = render(
      "canvas{width=300,height=60} text{name='t', text='HHHHHHHHHHHHHHHHHHHHHHHH', x=10, "
      "y=10, anchor='top_left', padding=0, size=20, max_width=100}",
      0, "t");
  cr_assert(ink_box(v, b));
  cr_assert_leq(b[2], 10 + 100);
  cr_assert_geq(b[2], 10 + 80);
}

Test(text, animated_text) {
  const char *src =
      "canvas{width=120,height=40,frames=3} text{name='t', "
      "text=function(f, t) return ('n=' .. f) .. (f == 2 and ' {frame}' or '') end}";
  const ysg_value *v = render(src, 0, "t");
  int b0[4], b2[4];
  cr_assert(ink_box(v, b0));
  cr_assert_eq(ysg_pipeline_run_frame(pl, 2), YSG_OK, "%s", ysg_errmsg(ctx));
  cr_assert_eq(ysg_pipeline_get_value(pl, "t", &v), YSG_OK);
  cr_assert(ink_box(v, b2));
  cr_assert_gt(b2[2], b0[2] + 10, "'n=2 2' is wider than 'n=0'");
}

Test(text, styles_draw) {
  const ysg_value *v = render(
      "canvas{width=160,height=60} text{name='t', text='Hi', x=20, y=10, "
      "anchor='top_left', size=32, color='#ff0000', outline=3, "
      "outline_color='#0000ff', shadow={6, 6}, shadow_blur=2}",
      0, "t");
  int b[4];
  cr_assert(ink_box(v, b));
  /* the stem of H: red inside, blue just outside its left edge, the shadow down right */
  int found_red = 0, found_blue = 0;
  for (int y = b[1]; y <= b[3]; y++)
    for (int x = b[0]; x <= b[2]; x++) {
      float r = ysgt_px_at(v, x, y, 0), bl = ysgt_px_at(v, x, y, 2), a = alpha(v, x, y);
      found_red |= a > 0.99f && r > 0.99f;
      found_blue |= a > 0.99f && bl > 0.99f;
    }
  cr_assert(found_red && found_blue);
  cr_assert_gt(b[3], 10 + 32, "the shadow reaches below the glyphs");
}

/* ---- CPU against CUDA
 * ----------------------------------------------------------------------------- */

Test(text, cuda_matches_cpu) {
  ysgt_write(dir, "b.csv",
             "frame,x,y,w,h,id,label,conf,r,g,b\n"
             "0,10,40,60,30,1,cat,0.5,1,0,0\n0,150,3,80,40,22,dog,0.9,0,1,0\n"
             "1,12,42,60,30,1,cat,0.55,1,0,0\n1,300,150,30,30,3,\xe7\x8c\xab,0.1,0,0,1\n");
  static const char *keep[] = {"t", "title"};
  char src[1024];
  snprintf(src, sizeof src,
           "canvas{width=333,height=190,frames=2} "
           "text{name='t', boxes=boxes{path='%s/b.csv'}, text='#{id} {label} {conf:.0%%}', "
           "plate_opacity=0.8, data_colors='plate', shadow={2,3}, shadow_blur=1.5, outline=1} "
           "text{name='title', text='Frame {frame} \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7', "
           "x=166.5, y=180, anchor='bottom', size=30}",
           dir);
  float d = ysgt_backends_match(src, keep, 2, 2, 1e-3f);
  cr_log_info("text: CPU vs CUDA max difference %g", (double)d);
}
