/* text_layout.h — the `text` node's strings (nodes/text_layout.c): templates such as
 * "#{id} {label} {conf:.0%}" parsed once and filled from each element's attributes with Python-
 * style format specs, and the layout of a string into placed glyphs: lines split at '\n', bidi
 * levels from FriBidi, runs of one font (fallbacks by coverage) and one direction shaped by
 * HarfBuzz (kerning, ligatures, complex scripts), visual order, alignment, and truncation with an
 * ellipsis at max_width. */
#ifndef YSG_TEXT_LAYOUT_H
#define YSG_TEXT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "text_font.h"
#include "ysgraph/node.h"

/* template attributes, in the order of their names in YSG_TEXT_ATTR_NAMES */
enum {
  YSG_TA_ID,
  YSG_TA_LABEL,
  YSG_TA_CONF,
  YSG_TA_X,
  YSG_TA_Y,
  YSG_TA_W,
  YSG_TA_H,
  YSG_TA_CX,
  YSG_TA_CY,
  YSG_TA_RADIUS,
  YSG_TA_INDEX,
  YSG_TA_FRAME,
  YSG_TA_TIME,
  YSG_TA_COUNT,
  YSG_TA_N
};
#define YSG_TEXT_ATTR_NAMES "id, label, conf, x, y, w, h, cx, cy, radius, index, frame, time, count"

/* what the node draws labels for */
enum { YSG_TEXT_NONE, YSG_TEXT_POINTS, YSG_TEXT_BOXES };

typedef struct ysg_text_piece {
  int attr;       /* YSG_TA_*, -1: literal text */
  int start, len; /* literal: bytes of the template's text */
  char fill, align, sign, type;
  int zero, width, prec; /* prec -1: none */
} ysg_text_piece;

typedef struct ysg_text_tmpl {
  char *text; /* a copy, (cap) bytes */
  size_t cap;
  ysg_text_piece *pieces; /* (piece_cap) */
  int n, piece_cap;
  uint32_t uses; /* bit per YSG_TA_* the template reads */
} ysg_text_tmpl;

/* One element's attributes (has: a bit per YSG_TA_* available). */
typedef struct ysg_text_elem {
  uint32_t has;
  int32_t id, index, frame, count;
  const char *label;
  double conf, x, y, w, h, cx, cy, radius, time;
} ysg_text_elem;

/* Parse the template text (the node's param `param`) for `source`; unknown attributes, ones the
 * source lacks and bad format specs fail naming the param. Reuses t's memory when it fits. */
ysg_status ysg__text_tmpl_parse(ysg_node *n, int param, const char *text, int source,
                                ysg_text_tmpl *t);
void ysg__text_tmpl_free(ysg_node *n, ysg_text_tmpl *t);
/* The filled string into buf (cut to cap - 1 bytes); returns its length. */
size_t ysg__text_tmpl_format(const ysg_text_tmpl *t, const ysg_text_elem *e, char *buf, size_t cap);
/* ", "-separated names of the YSG_TA_* bits in mask, into buf */
void ysg__text_attr_list(uint32_t mask, char *buf, size_t cap);
const char *ysg__text_attr_name(int attr);

/* A glyph placed in a block: pen position relative to the block's top-left corner, px. */
typedef struct ysg_text_pglyph {
  int32_t font;
  uint32_t gid;
  float x, y;
} ysg_text_pglyph;

typedef struct ysg_text_block_opts {
  float size;         /* px per em */
  float line_spacing; /* times the primary font's line height */
  int align;          /* 0 left, 1 centre, 2 right */
  float max_width;    /* px, 0: none */
} ysg_text_block_opts;

/* The shaper's working memory (reused from string to string). */
typedef struct ysg_text_shaper {
  ysg_node *node;
  void *buf;          /* hb_buffer_t */
  uint32_t *cps;      /* (cap) codepoints of one line */
  int8_t *levels;     /* (cap) bidi embedding levels */
  uint32_t *types;    /* (cap) FriBidi char types */
  uint32_t *brackets; /* (cap) FriBidi bracket types */
  int16_t *fonts;     /* (cap) the font of each codepoint */
  int cap;
  ysg_text_pglyph *g; /* (g_cap) the block's glyphs */
  int n_g, g_cap;
  int32_t *runs; /* (cap * 3) start, end, level of each run */
  float *lw;     /* (l_cap) width of each line of the block */
  int32_t *ls;   /* (l_cap) first glyph of each line, then the end */
  int l_cap;
} ysg_text_shaper;

ysg_status ysg__text_shaper_init(ysg_node *n, ysg_text_shaper *s);
void ysg__text_shaper_free(ysg_text_shaper *s);

/* Lay out utf8[0, len) (invalid bytes read as U+FFFD): sh->g[0, sh->n_g) get the glyphs, *w and
 * *h the block's size in px. Fails only when memory runs out (an error on the node). */
ysg_status ysg__text_block(ysg_text_shaper *sh, ysg_text_fonts *f, const char *utf8, size_t len,
                           const ysg_text_block_opts *o, float *w, float *h);

/* Layouts of strings already laid out (nodes/text_cache.c): memory for 2 × labels strings of 32
 * bytes and 12 glyphs on average, allocated by init (so frames allocate nothing); emptied when the
 * block options change, or at a frame's start when it is full and the last frame used fewer than
 * half of its entries. */
typedef struct ysg_text_cache {
  ysg_text_block_opts opts; /* the options of every entry */
  int has_opts;
  uint32_t frame; /* counts ysg__text_cache_frame calls */
  int used;       /* entries the current frame used */
  int full;       /* a string found no room since the last emptying */
  int32_t *slot;  /* (slots) entry index, -1: empty */
  int slots, n_entries, cap_entries;
  struct ysg_text_cache_entry *entries; /* (cap_entries) */
  char *bytes;                          /* (cap_bytes) the strings */
  size_t n_bytes, cap_bytes;
  ysg_text_pglyph *glyphs; /* (cap_glyphs) */
  size_t n_glyphs, cap_glyphs;
} ysg_text_cache;

ysg_status ysg__text_cache_init(ysg_node *n, ysg_text_cache *c, int labels);
void ysg__text_cache_free(ysg_node *n, ysg_text_cache *c);
void ysg__text_cache_clear(ysg_text_cache *c);
/* a frame starts: empty the cache when it is full and the last frame used under half of it */
void ysg__text_cache_frame(ysg_text_cache *c);
/* ysg__text_block through the cache: *g, *n_g the glyphs (in the cache, or the shaper's until its
 * next layout), *w, *h the block's size. A cache without memory (never initialised) lays out
 * every string. */
ysg_status ysg__text_block_cached(ysg_text_cache *c, ysg_text_shaper *sh, ysg_text_fonts *f,
                                  const char *utf8, size_t len, const ysg_text_block_opts *o,
                                  const ysg_text_pglyph **g, int *n_g, float *w, float *h);

#endif /* YSG_TEXT_LAYOUT_H */
