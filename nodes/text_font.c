/* text_font.c — fonts and the glyph atlas of the `text` node (see text_font.h): FreeType faces
 * from a file or a fontconfig family, fallbacks by codepoint coverage, HarfBuzz fonts, and the
 * signed distance field of each glyph computed from its outline. Why our own distance field and
 * not FreeType's FT_RENDER_MODE_SDF: FreeType 2.12's "sdf" renderer takes ~6 ms per glyph at
 * 32 px (and "bsdf" ~2 ms) on the development machine; the exact distance to the outline
 * flattened to 1/20 texel, with nonzero winding for the sign, takes ~0.1 ms and gives the same
 * field. Why a plain SDF and not MSDF: the atlas is built at the text's own size (1:1), where a
 * single-channel field keeps corners exact to a fraction of a pixel; MSDF only pays off when a
 * small atlas is magnified. */
#include "text_font.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H
#include <hb-ot.h>
#include <hb.h>

#include "internal.h"

#define FLATTEN_TOL 0.05f /* texels: largest distance of a flattened piece from its curve */

/* ---- faces ----------------------------------------------------------------------------------- */

static ysg_status load_face(ysg_text_fonts *f, const char *file, int index, int *out) {
  if (f->n_fonts == YSG_TEXT_MAX_FONTS) {
    *out = -1;
    return YSG_OK; /* no room for more fallbacks: tofu */
  }
  ysg_text_font *t = &f->font[f->n_fonts];
  memset(t, 0, sizeof *t);
  FT_Face face = NULL;
  FT_Error e = FT_New_Face((FT_Library)f->lib, file, index, &face);
  if (e) return YSG_ERR_DATA;
  if (!FT_IS_SCALABLE(face)) {
    FT_Done_Face(face);
    return YSG_ERR_UNSUPPORTED;
  }
  hb_blob_t *blob = hb_blob_create_from_file_or_fail(file);
  if (!blob) {
    FT_Done_Face(face);
    return YSG_ERR_DATA;
  }
  hb_face_t *hf = hb_face_create(blob, (unsigned)index);
  hb_blob_destroy(blob);
  hb_font_t *hb = hb_font_create(hf);
  int upem = (int)face->units_per_EM;
  hb_font_set_scale(hb, upem, upem);
  t->face = face;
  t->hbface = hf;
  t->hb = hb;
  t->upem = upem;
  t->ascender = face->ascender;
  t->descender = face->descender;
  t->line_gap = face->height - (face->ascender - face->descender);
  if (t->line_gap < 0) t->line_gap = 0;
  snprintf(t->file, sizeof t->file, "%s", file);
  t->index = index;
  *out = f->n_fonts++;
  return YSG_OK;
}

static void close_font(ysg_text_font *t) {
  if (t->hb) hb_font_destroy((hb_font_t *)t->hb);
  if (t->hbface) hb_face_destroy((hb_face_t *)t->hbface);
  if (t->face) FT_Done_Face((FT_Face)t->face);
  memset(t, 0, sizeof *t);
}

/* fontconfig's match for a family pattern: file, index and the family it found */
static int fc_match(const char *family, char *file, size_t cap, int *index, char *found,
                    size_t fcap) {
  FcPattern *pat = FcNameParse((const FcChar8 *)family);
  if (!pat) return 0;
  FcConfigSubstitute(NULL, pat, FcMatchPattern);
  FcDefaultSubstitute(pat);
  FcResult r;
  FcPattern *m = FcFontMatch(NULL, pat, &r);
  FcPatternDestroy(pat);
  if (!m) return 0;
  FcChar8 *path = NULL, *fam = NULL;
  int ok = FcPatternGetString(m, FC_FILE, 0, &path) == FcResultMatch;
  if (ok) {
    snprintf(file, cap, "%s", (const char *)path);
    if (FcPatternGetInteger(m, FC_INDEX, 0, index) != FcResultMatch) *index = 0;
    if (FcPatternGetString(m, FC_FAMILY, 0, &fam) == FcResultMatch)
      snprintf(found, fcap, "%s", (const char *)fam);
    else
      found[0] = 0;
  }
  FcPatternDestroy(m);
  return ok;
}

static int same_family(const char *asked, const char *found) {
  size_t n = strcspn(asked, ":"); /* "DejaVu Sans:bold" asks for the family before ':' */
  if (n == 0) return 1;
  for (size_t i = 0; i < n; i++) {
    char a = asked[i], b = found[i];
    if (!b) return 0;
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
    if (a != b) return 0;
  }
  return found[n] == 0;
}

ysg_status ysg__text_fonts_open(ysg_node *n, ysg_text_fonts *f, int file_param, int family_param,
                                float em, float spread, size_t atlas_bytes) {
  memset(f, 0, sizeof *f);
  f->node = n;
  f->k = 1;
  f->em = em;
  f->spread = spread;
  FT_Library lib = NULL;
  if (FT_Init_FreeType(&lib)) return ysg_node_fail(n, YSG_ERR_RUNTIME, "FreeType did not start");
  f->lib = lib;
  if (!FcInit()) return ysg_node_fail(n, YSG_ERR_RUNTIME, "fontconfig did not start");
  int k;
  ysg_status s;
  const char *shown = ysg_node_string(n, file_param);
  if (shown[0]) { /* a file, resolved like every input path (sandbox rules) */
    char *path = NULL;
    if ((s = ysg__resolve_path(n, file_param, 0, shown, &path))) return s;
    FILE *probe = fopen(path, "rb");
    int err = errno;
    if (probe) {
      fclose(probe);
      s = load_face(f, path, 0, &k);
    }
    ysg__free(n->p->ctx, path);
    if (!probe)
      return ysg_node_param_fail(n, file_param, YSG_ERR_IO, "cannot open '%s': %s", shown,
                                 strerror(err));
    if (s == YSG_ERR_UNSUPPORTED)
      return ysg_node_param_fail(n, file_param, YSG_ERR_DATA,
                                 "'%s' holds only bitmap glyphs (an outline font is needed)",
                                 shown);
    if (s)
      return ysg_node_param_fail(n, file_param, YSG_ERR_DATA,
                                 "'%s' is not a font FreeType can read", shown);
  } else {
    const char *family = ysg_node_string(n, family_param);
    char file[512], found[256];
    int index = 0;
    if (!fc_match(family, file, sizeof file, &index, found, sizeof found))
      return ysg_node_param_fail(n, family_param, YSG_ERR_NOT_FOUND,
                                 "fontconfig finds no font for '%s'", family);
    if (!same_family(family, found))
      ysg_node_log(n, YSG_LOG_WARN, "no font family '%s' is installed; using '%s' (%s)", family,
                   found, file);
    s = load_face(f, file, index, &k);
    if (s)
      return ysg_node_param_fail(n, family_param, YSG_ERR_DATA,
                                 "fontconfig's font '%s' is not one FreeType can draw", file);
  }
  f->cap = atlas_bytes / sizeof(int16_t);
  f->atlas_mem = ysg_node_alloc(n, (f->cap + 2 * YSG_TEXT_ATLAS_PAD) * sizeof(int16_t));
  f->atlas = f->atlas_mem ? f->atlas_mem + YSG_TEXT_ATLAS_PAD : NULL;
  f->slots = 8192;
  f->keys = ysg_node_alloc(n, sizeof *f->keys * (size_t)f->slots);
  f->glyphs = ysg_node_alloc(n, sizeof *f->glyphs * (size_t)f->slots);
  f->cp_slots = 4096;
  f->cp_keys = ysg_node_alloc(n, sizeof *f->cp_keys * (size_t)f->cp_slots);
  f->cp_font = ysg_node_alloc(n, sizeof *f->cp_font * (size_t)f->cp_slots);
  if (!f->atlas || !f->keys || !f->glyphs || !f->cp_keys || !f->cp_font) return YSG_ERR_NOMEM;
  return YSG_OK;
}

void ysg__text_fonts_close(ysg_text_fonts *f) {
  if (!f->node) return;
  for (int i = 0; i < f->n_fonts; i++) close_font(&f->font[i]);
  if (f->lib) FT_Done_FreeType((FT_Library)f->lib);
  void *arrays[] = {f->atlas_mem, f->keys, f->glyphs, f->cp_keys,
                    f->cp_font,   f->dist, f->segs,   f->xs};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i]) ysg_node_free(f->node, arrays[i]);
  memset(f, 0, sizeof *f);
}

/* ---- fallback by codepoint --------------------------------------------------------------------
 */

static int has_char(const ysg_text_font *t, uint32_t cp) {
  return FT_Get_Char_Index((FT_Face)t->face, cp) != 0;
}

static uint32_t hash32(uint32_t h) { /* lowbias32 */
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

/* fontconfig's first font (by its sort for this codepoint) whose charset has cp */
static int fc_fallback(ysg_text_fonts *f, uint32_t cp) {
  FcPattern *pat = FcPatternCreate();
  FcCharSet *cs = FcCharSetCreate();
  int out = -1;
  if (!pat || !cs) goto done;
  FcCharSetAddChar(cs, cp);
  FcPatternAddCharSet(pat, FC_CHARSET, cs);
  FcPatternAddBool(pat, FC_SCALABLE, FcTrue);
  FcConfigSubstitute(NULL, pat, FcMatchPattern);
  FcDefaultSubstitute(pat);
  FcResult r;
  FcFontSet *set = FcFontSort(NULL, pat, FcFalse, NULL, &r);
  for (int i = 0; set && i < set->nfont && out < 0; i++) {
    FcCharSet *have = NULL;
    FcChar8 *path = NULL;
    int index = 0;
    if (FcPatternGetCharSet(set->fonts[i], FC_CHARSET, 0, &have) != FcResultMatch ||
        !FcCharSetHasChar(have, cp) ||
        FcPatternGetString(set->fonts[i], FC_FILE, 0, &path) != FcResultMatch)
      continue;
    if (FcPatternGetInteger(set->fonts[i], FC_INDEX, 0, &index) != FcResultMatch) index = 0;
    for (int k = 0; k < f->n_fonts && out < 0; k++) /* a face we hold already */
      if (strcmp(f->font[k].file, (const char *)path) == 0 && f->font[k].index == index) out = k;
    if (out < 0) {
      int k;
      if (load_face(f, (const char *)path, index, &k) == YSG_OK && k >= 0 &&
          has_char(&f->font[k], cp))
        out = k;
    }
  }
  if (set) FcFontSetDestroy(set);
done:
  if (cs) FcCharSetDestroy(cs);
  if (pat) FcPatternDestroy(pat);
  return out;
}

int ysg__text_font_for(ysg_text_fonts *f, uint32_t cp) {
  if (has_char(&f->font[0], cp)) return 0;
  uint32_t mask = (uint32_t)f->cp_slots - 1, h = hash32(cp) & mask;
  while (f->cp_keys[h]) {
    if (f->cp_keys[h] == cp + 1) return f->cp_font[h];
    h = (h + 1) & mask;
  }
  int k = -1;
  for (int i = 1; i < f->n_fonts && k < 0; i++)
    if (has_char(&f->font[i], cp)) k = i;
  if (k < 0) k = fc_fallback(f, cp);
  if (f->n_cp < f->cp_slots / 2) { /* remember it (a full cache only costs lookups) */
    f->cp_keys[h] = cp + 1;
    f->cp_font[h] = (int8_t)k;
    f->n_cp++;
  }
  return k;
}

/* ---- the distance field of one glyph ----------------------------------------------------------
 */

typedef struct outline_ctx {
  ysg_text_fonts *f;
  double k; /* texels per font unit */
  float px, py;
  int fail;
} outline_ctx;

static void add_seg(outline_ctx *o, float x, float y) {
  ysg_text_fonts *f = o->f;
  if (f->n_segs == f->segs_cap) {
    int ncap = f->segs_cap ? 2 * f->segs_cap : 1024;
    float *ns = ysg_node_alloc(f->node, sizeof(float) * 4 * (size_t)ncap);
    if (!ns) {
      o->fail = 1;
      return;
    }
    if (f->segs) {
      memcpy(ns, f->segs, sizeof(float) * 4 * (size_t)f->n_segs);
      ysg_node_free(f->node, f->segs);
    }
    f->segs = ns;
    f->segs_cap = ncap;
  }
  float *s = &f->segs[4 * f->n_segs++];
  s[0] = o->px;
  s[1] = o->py;
  s[2] = x;
  s[3] = y;
  o->px = x;
  o->py = y;
}

static int mv(const FT_Vector *to, void *ud) {
  outline_ctx *o = ud;
  o->px = (float)(to->x * o->k);
  o->py = (float)(-to->y * o->k);
  return 0;
}

static int ln(const FT_Vector *to, void *ud) {
  outline_ctx *o = ud;
  add_seg(o, (float)(to->x * o->k), (float)(-to->y * o->k));
  return o->fail;
}

/* pieces so the chord is within FLATTEN_TOL of the curve: deviation <= |second difference|/8n² */
static int pieces(float dev) {
  int n = (int)ceilf(sqrtf(dev / (8.0f * FLATTEN_TOL)));
  return n < 1 ? 1 : (n > 256 ? 256 : n);
}

static int conic(const FT_Vector *c, const FT_Vector *to, void *ud) {
  outline_ctx *o = ud;
  float x0 = o->px, y0 = o->py;
  float x1 = (float)(c->x * o->k), y1 = (float)(-c->y * o->k);
  float x2 = (float)(to->x * o->k), y2 = (float)(-to->y * o->k);
  float ddx = x0 - 2 * x1 + x2, ddy = y0 - 2 * y1 + y2;
  int n = pieces(2.0f * sqrtf(ddx * ddx + ddy * ddy));
  for (int i = 1; i <= n && !o->fail; i++) {
    float t = (float)i / (float)n, u = 1 - t;
    add_seg(o, u * u * x0 + 2 * u * t * x1 + t * t * x2, u * u * y0 + 2 * u * t * y1 + t * t * y2);
  }
  return o->fail;
}

static int cubic(const FT_Vector *c1, const FT_Vector *c2, const FT_Vector *to, void *ud) {
  outline_ctx *o = ud;
  float x0 = o->px, y0 = o->py;
  float x1 = (float)(c1->x * o->k), y1 = (float)(-c1->y * o->k);
  float x2 = (float)(c2->x * o->k), y2 = (float)(-c2->y * o->k);
  float x3 = (float)(to->x * o->k), y3 = (float)(-to->y * o->k);
  float ax = x0 - 2 * x1 + x2, ay = y0 - 2 * y1 + y2, bx = x1 - 2 * x2 + x3, by = y1 - 2 * y2 + y3;
  float dev = 6.0f * sqrtf(fmaxf(ax * ax + ay * ay, bx * bx + by * by));
  int n = pieces(dev);
  for (int i = 1; i <= n && !o->fail; i++) {
    float t = (float)i / (float)n, u = 1 - t;
    float a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
    add_seg(o, a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3);
  }
  return o->fail;
}

static int grow_f(ysg_text_fonts *f, float **arr, size_t *cap, size_t need) {
  if (*cap >= need) return 1;
  size_t ncap = need + need / 2;
  float *p = ysg_node_alloc(f->node, ncap * sizeof(float));
  if (!p) return 0;
  if (*arr) ysg_node_free(f->node, *arr);
  *arr = p;
  *cap = ncap;
  return 1;
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* The field of the segments in f->segs into the atlas at f->used: w × h texels whose (0, 0)
 * corner sits at (ox, oy) in the segments' coordinates. */
static int rasterize(ysg_text_fonts *f, float ox, float oy, int w, int h) {
  size_t n = (size_t)w * (size_t)h;
  if (!grow_f(f, &f->dist, &f->dist_cap, n)) return 0;
  float sp = f->spread, far2 = (sp + 1.0f) * (sp + 1.0f);
  for (size_t i = 0; i < n; i++) f->dist[i] = far2;
  for (int s = 0; s < f->n_segs; s++) {
    float ax = f->segs[4 * s] - ox, ay = f->segs[4 * s + 1] - oy;
    float bx = f->segs[4 * s + 2] - ox, by = f->segs[4 * s + 3] - oy;
    int i0 = (int)floorf(fminf(ax, bx) - sp - 1), i1 = (int)ceilf(fmaxf(ax, bx) + sp);
    int j0 = (int)floorf(fminf(ay, by) - sp - 1), j1 = (int)ceilf(fmaxf(ay, by) + sp);
    if (i0 < 0) i0 = 0;
    if (j0 < 0) j0 = 0;
    if (i1 > w - 1) i1 = w - 1;
    if (j1 > h - 1) j1 = h - 1;
    float dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    float inv = len2 > 0 ? 1.0f / len2 : 0.0f;
    for (int j = j0; j <= j1; j++) {
      float qy = (float)j + 0.5f - ay;
      float *row = f->dist + (size_t)j * (size_t)w;
      for (int i = i0; i <= i1; i++) {
        float qx = (float)i + 0.5f - ax;
        float t = (qx * dx + qy * dy) * inv;
        t = t < 0 ? 0 : (t > 1 ? 1 : t);
        float ex = qx - dx * t, ey = qy - dy * t, d2 = ex * ex + ey * ey;
        if (d2 < row[i]) row[i] = d2;
      }
    }
  }
  /* sign: nonzero winding along each row of texel centres */
  if (!grow_f(f, &f->xs, &f->xs_cap, 2 * ((size_t)f->n_segs + 1))) return 0;
  int16_t *out = f->atlas + f->used;
  int k = f->k, hw = (w + k - 1) / k;
  for (int j = 0; j < h; j++) {
    float yc = (float)j + 0.5f + oy;
    int nx = 0;
    for (int s = 0; s < f->n_segs; s++) {
      float ay = f->segs[4 * s + 1], by = f->segs[4 * s + 3];
      if ((ay <= yc) == (by <= yc)) continue;
      float ax = f->segs[4 * s], bx = f->segs[4 * s + 2];
      float x = ax + (yc - ay) * (bx - ax) / (by - ay) - ox;
      f->xs[2 * nx] = x;
      f->xs[2 * nx + 1] = by > ay ? 1.0f : -1.0f;
      nx++;
    }
    qsort(f->xs, (size_t)nx, 2 * sizeof(float), cmp_float);
    int c = 0, wind = 0;
    for (int i = 0; i < w; i++) {
      float xc = (float)i + 0.5f;
      while (c < nx && f->xs[2 * c] < xc) wind += (int)f->xs[2 * c++ + 1];
      float d = sqrtf(f->dist[(size_t)j * (size_t)w + (size_t)i]);
      if (d > sp) d = sp;
      if (wind != 0) d = -d;
      /* texel i of the row goes to its stream (text_math.h's ysg_text_stream) */
      out[(size_t)j * (size_t)w + (size_t)((i % k) * hw + i / k)] =
          (int16_t)lrintf(d * YSG_TEXT_DQ);
    }
  }
  return 1;
}

static ysg_status make_glyph(ysg_text_fonts *f, int k, unsigned gid, ysg_text_glyph *g) {
  ysg_text_font *t = &f->font[k];
  FT_Face face = (FT_Face)t->face;
  g->offset = -1;
  g->w = g->h = 0;
  g->bx = g->by = 0;
  if (FT_Load_Glyph(face, gid, FT_LOAD_NO_SCALE | FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP) ||
      face->glyph->format != FT_GLYPH_FORMAT_OUTLINE || face->glyph->outline.n_points == 0)
    return YSG_OK; /* nothing to draw */
  outline_ctx o = {f, f->em / t->upem, 0, 0, 0};
  f->n_segs = 0;
  FT_Outline_Funcs fn = {mv, ln, conic, cubic, 0, 0};
  FT_Outline_Decompose(&face->glyph->outline, &fn, &o);
  if (o.fail) return YSG_ERR_NOMEM;
  if (f->n_segs == 0) return YSG_OK;
  float x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  for (int s = 0; s < f->n_segs; s++)
    for (int q = 0; q < 2; q++) {
      float x = f->segs[4 * s + 2 * q], y = f->segs[4 * s + 2 * q + 1];
      x0 = fminf(x0, x), x1 = fmaxf(x1, x), y0 = fminf(y0, y), y1 = fmaxf(y1, y);
    }
  float ox = floorf(x0 - f->spread) - 1.0f, oy = floorf(y0 - f->spread) - 1.0f;
  int w = (int)(ceilf(x1 + f->spread) + 1.0f - ox), h = (int)(ceilf(y1 + f->spread) + 1.0f - oy);
  size_t n = (size_t)w * (size_t)h;
  if (f->used + n > f->cap)
    return ysg_node_fail(f->node, YSG_ERR_LIMIT,
                         "the glyph atlas is full (%d glyphs, %zu KiB): raise atlas_mb",
                         f->n_glyphs, f->cap * sizeof(int16_t) / 1024);
  if (!rasterize(f, ox, oy, w, h)) return YSG_ERR_NOMEM;
  g->ix0 = x0;
  g->iy0 = y0;
  g->ix1 = x1;
  g->iy1 = y1;
  g->offset = (int32_t)f->used;
  g->w = w;
  g->h = h;
  g->bx = ox;
  g->by = oy;
  f->used += n;
  return YSG_OK;
}

const ysg_text_glyph *ysg__text_glyph(ysg_text_fonts *f, int k, unsigned gid) {
  uint32_t key = ((uint32_t)k << 24) | ((gid & 0xffffffu) + 1u);
  uint32_t mask = (uint32_t)f->slots - 1, h = hash32(key) & mask;
  while (f->keys[h]) {
    if (f->keys[h] == key) return &f->glyphs[h];
    h = (h + 1) & mask;
  }
  if (f->n_glyphs >= f->slots / 4 * 3) {
    ysg_node_fail(f->node, YSG_ERR_LIMIT, "more than %d distinct glyphs", f->slots / 4 * 3);
    return NULL;
  }
  ysg_text_glyph g;
  if (make_glyph(f, k, gid, &g) != YSG_OK) return NULL;
  f->keys[h] = key;
  f->glyphs[h] = g;
  f->n_glyphs++;
  return &f->glyphs[h];
}
