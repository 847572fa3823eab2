/* text_cache.c — the `text` node's layout cache (text_layout.h): labels repeat from element to
 * element and frame to frame ("person 12" every frame the track lives), so ysg__text_block's answer
 * — the placed glyphs and the block's size — is kept per string, in memory sized at infer (open
 * addressing on an FNV-1a hash of the bytes). Layout is a pure function of the string, the block
 * options and the fonts, so a hit gives exactly what shaping again would. A full cache takes no
 * new strings; it is emptied at the start of a frame when fewer than half of its entries were used
 * in the last one (the strings drifted: confidences, positions), so a frame with more strings than
 * it holds still hits on those it holds instead of evicting them in a cycle. */
#include <string.h>

#include "text_layout.h"

typedef struct ysg_text_cache_entry {
  uint32_t hash;
  uint32_t frame; /* the last frame (ysg_text_cache.frame) that used it */
  int32_t len, n_g;
  size_t str, g; /* offsets into bytes and glyphs */
  float w, h;
} ysg_text_cache_entry;

static uint32_t fnv1a(const char *s, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

ysg_status ysg__text_cache_init(ysg_node *n, ysg_text_cache *c, int labels) {
  ysg__text_cache_free(n, c);
  int entries = labels < 128 ? 256 : (labels > 16384 ? 32768 : 2 * labels);
  int slots = 1;
  while (slots < 2 * entries) slots *= 2;
  c->cap_entries = entries;
  c->slots = slots;
  c->cap_bytes = (size_t)entries * 32;
  c->cap_glyphs = (size_t)entries * 12;
  c->slot = ysg_node_alloc(n, sizeof *c->slot * (size_t)slots);
  c->entries = ysg_node_alloc(n, sizeof *c->entries * (size_t)entries);
  c->bytes = ysg_node_alloc(n, c->cap_bytes);
  c->glyphs = ysg_node_alloc(n, sizeof *c->glyphs * c->cap_glyphs);
  if (!c->slot || !c->entries || !c->bytes || !c->glyphs) {
    ysg__text_cache_free(n, c);
    return YSG_ERR_NOMEM;
  }
  ysg__text_cache_clear(c);
  return YSG_OK;
}

void ysg__text_cache_free(ysg_node *n, ysg_text_cache *c) {
  void *arrays[] = {c->slot, c->entries, c->bytes, c->glyphs};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i]) ysg_node_free(n, arrays[i]);
  memset(c, 0, sizeof *c);
}

void ysg__text_cache_clear(ysg_text_cache *c) {
  if (c->slot) memset(c->slot, 0xff, sizeof *c->slot * (size_t)c->slots); /* -1: empty */
  c->n_entries = 0;
  c->n_bytes = c->n_glyphs = 0;
  c->full = 0;
  c->used = 0;
}

void ysg__text_cache_frame(ysg_text_cache *c) {
  if (c->full && 2 * c->used < c->n_entries) ysg__text_cache_clear(c);
  c->frame++;
  c->used = 0;
}

static int same_opts(const ysg_text_block_opts *a, const ysg_text_block_opts *b) {
  return a->size == b->size && a->line_spacing == b->line_spacing && a->align == b->align &&
         a->max_width == b->max_width;
}

ysg_status ysg__text_block_cached(ysg_text_cache *c, ysg_text_shaper *sh, ysg_text_fonts *f,
                                  const char *utf8, size_t len, const ysg_text_block_opts *o,
                                  const ysg_text_pglyph **g, int *n_g, float *w, float *h) {
  if (!c->slot) { /* no cache: lay it out */
    ysg_status s = ysg__text_block(sh, f, utf8, len, o, w, h);
    *g = sh->g;
    *n_g = sh->n_g;
    return s;
  }
  if (!c->has_opts || !same_opts(&c->opts, o)) { /* other options: other layouts */
    ysg__text_cache_clear(c);
    c->opts = *o;
    c->has_opts = 1;
  }
  uint32_t hash = fnv1a(utf8, len), mask = (uint32_t)c->slots - 1;
  uint32_t i = hash & mask;
  for (; c->slot[i] >= 0; i = (i + 1) & mask) {
    ysg_text_cache_entry *e = &c->entries[c->slot[i]];
    if (e->hash == hash && (size_t)e->len == len && !memcmp(c->bytes + e->str, utf8, len)) {
      if (e->frame != c->frame) {
        e->frame = c->frame;
        c->used++;
      }
      *g = c->glyphs + e->g;
      *n_g = e->n_g;
      *w = e->w;
      *h = e->h;
      return YSG_OK;
    }
  }
  ysg_status s = ysg__text_block(sh, f, utf8, len, o, w, h);
  *g = sh->g;
  *n_g = sh->n_g;
  if (s) return s;
  if (c->n_entries == c->cap_entries || c->n_bytes + len > c->cap_bytes ||
      c->n_glyphs + (size_t)sh->n_g > c->cap_glyphs) {
    c->full = 1; /* not kept: see ysg__text_cache_frame */
    return YSG_OK;
  }
  ysg_text_cache_entry *e = &c->entries[c->n_entries];
  e->hash = hash;
  e->frame = c->frame;
  c->used++;
  e->len = (int32_t)len;
  e->n_g = sh->n_g;
  e->str = c->n_bytes;
  e->g = c->n_glyphs;
  e->w = *w;
  e->h = *h;
  memcpy(c->bytes + c->n_bytes, utf8, len);
  memcpy(c->glyphs + c->n_glyphs, sh->g, sizeof *sh->g * (size_t)sh->n_g);
  c->n_bytes += len;
  c->n_glyphs += (size_t)sh->n_g;
  c->slot[i] = c->n_entries++;
  return YSG_OK;
}
