/* text_font.h — the `text` node's fonts and glyph atlas (nodes/text_font.c): a primary face from a
 * file or a fontconfig family, fallback faces found by fontconfig for codepoints the primary
 * lacks, HarfBuzz fonts over the same files (positions in font units), and a signed-distance
 * atlas of glyphs: each glyph's distance field computed once, exactly, from its outline (flattened
 * to 1/20 texel, nonzero winding for the sign) at `em` atlas pixels per em, stored as int16 in
 * 1/256 texel, `spread` texels around the outline. Glyphs are added when first used. */
#ifndef YSG_TEXT_FONT_H
#define YSG_TEXT_FONT_H

#include <stddef.h>
#include <stdint.h>

#include "ysgraph/node.h"

#define YSG_TEXT_MAX_FONTS 16 /* the primary face and its fallbacks */
#define YSG_TEXT_DQ 256.0f    /* atlas units per texel of distance */
#define YSG_TEXT_ATLAS_PAD 64 /* texels readable around the atlas (whole-row lookups) */

/* One atlas entry. */
typedef struct ysg_text_glyph {
  int32_t offset; /* first texel in the atlas, -1: the glyph draws nothing (a space) */
  int32_t w, h;   /* texels */
  float bx, by;   /* the bitmap's top-left corner relative to the pen, texels (x right, y down) */
  float ix0, iy0, ix1, iy1; /* the ink (outline's bounds) relative to the pen, texels */
} ysg_text_glyph;

typedef struct ysg_text_font {
  void *face;   /* FT_Face */
  void *hbface; /* hb_face_t */
  void *hb;     /* hb_font_t, scale = units per em: positions in font units */
  double upem;
  double ascender, descender, line_gap; /* font units (descender < 0) */
  char file[512];
  int index;
} ysg_text_font;

typedef struct ysg_text_fonts {
  ysg_node *node;
  void *lib; /* FT_Library */
  ysg_text_font font[YSG_TEXT_MAX_FONTS];
  int n_fonts;
  float em;           /* atlas pixels per em */
  int k;              /* texels per canvas pixel: a row's texels lie in k streams (text_math.h's
                         ysg_text_stream); 1 after open */
  float spread;       /* texels of distance kept around outlines */
  int16_t *atlas;     /* (cap) texels, with YSG_TEXT_ATLAS_PAD more before and after */
  int16_t *atlas_mem; /* the allocation */
  size_t used, cap;
  /* glyph table: open addressing over (font, glyph id) */
  uint32_t *keys; /* (slots) font << 24 | (gid + 1), 0: empty */
  ysg_text_glyph *glyphs;
  int slots, n_glyphs;
  /* codepoint -> font index of the fallbacks chosen so far */
  uint32_t *cp_keys; /* (cp_slots) cp + 1, 0: empty */
  int8_t *cp_font;   /* -1: no installed font has it */
  int cp_slots, n_cp;
  /* working memory of the distance computation, grown as glyphs need */
  float *dist;
  size_t dist_cap;
  float *segs; /* (n, 4) flattened outline segments, texels */
  int n_segs, segs_cap;
  float *xs;     /* (n, 2) crossings of one row: x, winding direction */
  size_t xs_cap; /* floats */
} ysg_text_fonts;

/* Open the primary face: the file in STRING param `file_param` (when not empty; resolved like an
 * input path) or the fontconfig match of the family in `family_param`. A missing file, or one
 * FreeType cannot read, fails naming the param; a family fontconfig does not know falls back to its
 * best match with a warning. The atlas holds atlas_bytes (rounded down to texels). */
ysg_status ysg__text_fonts_open(ysg_node *n, ysg_text_fonts *f, int file_param, int family_param,
                                float em, float spread, size_t atlas_bytes);
void ysg__text_fonts_close(ysg_text_fonts *f);

/* The font that draws codepoint cp: the primary when it has it, else a fallback fontconfig finds
 * by coverage (loaded on first need), else -1 (the primary's .notdef box is drawn). */
int ysg__text_font_for(ysg_text_fonts *f, uint32_t cp);

/* The atlas entry of glyph gid of font k, computed on first use; NULL with an error on the node
 * when the atlas is full or memory runs out. */
const ysg_text_glyph *ysg__text_glyph(ysg_text_fonts *f, int k, unsigned gid);

#endif /* YSG_TEXT_FONT_H */
