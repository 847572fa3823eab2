/* text.c — the `text` render node: one string at a position (titles, counters), or one label per
 * element of `points` or `boxes` filled from a template ("#{id} {label} {conf:.0%}"). This file
 * holds its schema, init (fonts, atlas, template), infer (capacities, glyphs known at load),
 * the CPU run (prepare, then every tile: nodes/text_frame.c) and the CUDA path (layout and bins
 * on the host in stage(), uploaded with the atlas's new glyphs; cuda/text.cu renders the tiles). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "color.h"
#include "internal.h"
#include "text_node.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/cuda_api.h"
#include "../cuda/fused_api.h"
#include "../cuda/text_api.h"
#endif

#define POSITIONS "top_left|top|top_right|left|center|right|bottom_left|bottom|bottom_right"

static const ysg_param_def params[P_COUNT] = {
    [P_TEXT] = {"text", YSG_PARAM_STRING, "{id}", 0, 0, NULL, 0,
                "the string, or the template each element fills: {attr} or {attr:spec} with "
                "attr one of " YSG_TEXT_ATTR_NAMES " and a Python format spec; may be a "
                "function of time"},
    [P_X] = {"x", YSG_PARAM_NUMBER, "16", -1e6, 1e6, NULL, 0,
             "px: the reference point without points or boxes"},
    [P_Y] = {"y", YSG_PARAM_NUMBER, "16", -1e6, 1e6, NULL, 0,
             "px: the reference point without points or boxes"},
    [P_FONT] = {"font", YSG_PARAM_STRING, "DejaVu Sans", 0, 0, NULL, YSG_PARAM_STATIC,
                "fontconfig family (and style: \"DejaVu Sans:bold\"), unless font_file is set"},
    [P_FONT_FILE] = {"font_file", YSG_PARAM_STRING, "", 0, 0, NULL, YSG_PARAM_STATIC,
                     "a font file (TrueType/OpenType), relative to the pipeline (sandboxed like "
                     "every input path); \"\": use font"},
    [P_SIZE] = {"size", YSG_PARAM_NUMBER, "24", 1, 512, NULL, YSG_PARAM_STATIC,
                "px per em (the glyph atlas is built at this size)"},
    [P_COLOR] = {"color", YSG_PARAM_COLOR, "#ffffff", 0, 0, NULL, 0, "text colour"},
    [P_OPACITY] = {"opacity", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0, "multiplies every layer"},
    [P_DATA_COLORS] = {"data_colors", YSG_PARAM_ENUM, "none", 0, 0, "none|text|plate", 0,
                       "what takes each element's rgba attribute, when it has one"},
    [P_OUTLINE] = {"outline", YSG_PARAM_NUMBER, "0", 0, 64, NULL, YSG_PARAM_STATIC,
                   "px: width of an outline outside the glyph edges, 0: none"},
    [P_OUTLINE_COLOR] = {"outline_color", YSG_PARAM_COLOR, "#000000", 0, 0, NULL, 0,
                         "outline colour"},
    [P_SHADOW] = {"shadow", YSG_PARAM_NUMBERS, "2,2", -1000, 1000, NULL, 0,
                  "{dx, dy} px: a drop shadow this far from the label (drawn when set or when "
                  "shadow_blur > 0)"},
    [P_SHADOW_BLUR] = {"shadow_blur", YSG_PARAM_NUMBER, "0", 0, 64, NULL, YSG_PARAM_STATIC,
                       "px: half width of the shadow's soft edge, 0: sharp"},
    [P_SHADOW_COLOR] = {"shadow_color", YSG_PARAM_COLOR, "#000000b3", 0, 0, NULL, 0,
                        "shadow colour"},
    [P_PLATE_OPACITY] = {"plate_opacity", YSG_PARAM_NUMBER, "0", 0, 1, NULL, 0,
                         "opacity of a rounded plate behind each label, 0: none"},
    [P_PLATE_COLOR] = {"plate_color", YSG_PARAM_COLOR, "#000000", 0, 0, NULL, 0, "plate colour"},
    [P_PADDING] = {"padding", YSG_PARAM_NUMBER, "4", 0, 1000, NULL, 0,
                   "px between the text and the edge of its label box (the plate)"},
    [P_PLATE_RADIUS] = {"plate_radius", YSG_PARAM_NUMBER, "4", 0, 1000, NULL, 0,
                        "px: corner radius of the plate"},
    [P_ANCHOR] = {"anchor", YSG_PARAM_ENUM, "bottom_left", 0, 0, POSITIONS, 0,
                  "the point of the label box placed on the reference point"},
    [P_AT] = {"at", YSG_PARAM_ENUM, "top_left", 0, 0, POSITIONS, 0,
              "boxes: the point of each box that is the reference point"},
    [P_OFFSET] = {"offset", YSG_PARAM_NUMBERS, "0,0", -1e6, 1e6, NULL, 0,
                  "{dx, dy} px added to the reference point"},
    [P_ALIGN] = {"align", YSG_PARAM_ENUM, "left", 0, 0, "left|center|right", 0,
                 "lines of a multi-line label within its box"},
    [P_LINE_SPACING] = {"line_spacing", YSG_PARAM_NUMBER, "1", 0.1, 10, NULL, 0,
                        "times the font's line height"},
    [P_MAX_WIDTH] = {"max_width", YSG_PARAM_NUMBER, "0", 0, 1e6, NULL, 0,
                     "px: longer lines end in an ellipsis, 0: no limit"},
    [P_KEEP_INSIDE] = {"keep_inside", YSG_PARAM_BOOL, "true", 0, 0, NULL, 0,
                       "labels leaving the canvas flip to the other side of their reference "
                       "(above a box -> inside it), then move inside"},
    [P_MAX_GLYPHS] = {"max_glyphs", YSG_PARAM_INT, "0", 0, 100000000, NULL, YSG_PARAM_STATIC,
                      "glyphs and plates a frame may draw (0: max(1024, 64 × labels))"},
    [P_BIN_CAPACITY] = {"bin_capacity", YSG_PARAM_INT, "0", 0, 2147483647.0, NULL, YSG_PARAM_STATIC,
                        "tile references a frame may use (0: max(16 × tiles, 8 × max_glyphs))"},
    [P_ATLAS_MB] = {"atlas_mb", YSG_PARAM_NUMBER, "0", 0, 4096, NULL, YSG_PARAM_STATIC,
                    "MiB of glyph distance fields (0: room for 1024 glyphs of text up to 32 px, "
                    "down to 128 for large text; 2..256 MiB)"},
};

static const ysg_port_def inputs[] = {
    {"points", YSG_POINTS, YSG_PORT_OPTIONAL, "one label per point", NULL, 0},
    {"boxes", YSG_BOXES, YSG_PORT_OPTIONAL, "one label per box", NULL, 0},
};
static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the text on transparent, canvas-sized", NULL, 0},
};

/* ---- lifecycle ----------------------------------------------------------------------------------
 */

static void free_frame(ysg_node *n, ysg__text_state *st) {
  void *arrays[] = {st->styles, st->prims, st->bin_prims, st->bins_mem};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    if (arrays[i]) ysg_node_free(n, arrays[i]);
  st->styles = NULL;
  st->prims = NULL;
  st->bin_prims = NULL;
  st->bins_mem = NULL;
}

#ifdef YSG_HAVE_CUDA
static void pin_free(ysg__text_state *st);
#endif

static void text_destroy(ysg_node *n) {
  ysg__text_state *st = ysg_node_state(n);
  if (!st) return;
#ifdef YSG_HAVE_CUDA
  pin_free(st);
#endif
  free_frame(n, st);
  ysg__text_fonts_close(&st->fonts);
  ysg__text_shaper_free(&st->sh);
  ysg__text_cache_free(n, &st->cache);
  ysg__text_tmpl_free(n, &st->tmpl);
  ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status text_init(ysg_node *n) {
  int np = ysg_node_input_count(n, 0), nb = ysg_node_input_count(n, 1);
  if (np && nb) return ysg_node_fail(n, YSG_ERR_PIPELINE, "connect points or boxes, not both");
  ysg__text_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->source = np ? YSG_TEXT_POINTS : nb ? YSG_TEXT_BOXES : YSG_TEXT_NONE;
  const char *text = ysg_node_string(n, P_TEXT);
  ysg_status s;
  if (!n->params[P_TEXT].anim_ref) { /* an animated text is parsed at its first frame */
    if ((s = ysg__text_tmpl_parse(n, P_TEXT, text, st->source, &st->tmpl))) return s;
    snprintf(st->tmpl_src, sizeof st->tmpl_src, "%s", text);
  }
  double off[4];
  if (ysg_node_numbers(n, P_SHADOW, off, 4) != 2)
    return ysg_node_param_fail(n, P_SHADOW, YSG_ERR_PIPELINE, "expected {dx, dy}");
  if (ysg_node_numbers(n, P_OFFSET, off, 4) != 2)
    return ysg_node_param_fail(n, P_OFFSET, YSG_ERR_PIPELINE, "expected {dx, dy}");
  /* two texels per pixel below 64 px: stems of one or two pixels keep their depth between texel
   * centres (at one texel per pixel a 1.5 px stem's centre reads 0.75 coverage, not 1) */
  float size = (float)ysg_node_number(n, P_SIZE);
  st->k = size < 64.0f ? 2 : 1;
  float em = size * (float)st->k;
  /* distances are needed out to the outline plus the shadow's soft edge plus a pixel of AA */
  float spread =
      ceilf((float)(ysg_node_number(n, P_OUTLINE) + ysg_node_number(n, P_SHADOW_BLUR)) + 2.0f) *
      (float)st->k;
  double mb = ysg_node_number(n, P_ATLAS_MB);
  /* auto: room for 1024 glyphs up to 64 texels per em, fewer for larger text (at least 128) */
  double cell = (1.4 * em + 2.0 * spread) * (1.4 * em + 2.0 * spread) * 2.0;
  double glyphs = fmax(128.0, fmin(1024.0, 1024.0 * (64.0 / em) * (64.0 / em)));
  size_t bytes = mb > 0 ? (size_t)(mb * 1048576.0)
                        : (size_t)fmin(fmax(cell * glyphs, 2.0 * 1048576.0), 256.0 * 1048576.0);
  if ((s = ysg__text_fonts_open(n, &st->fonts, P_FONT_FILE, P_FONT, em, spread, bytes))) return s;
  st->fonts.k = st->k;
  return ysg__text_shaper_init(n, &st->sh);
}

/* glyphs known at load — the template's own text, digits and signs, the input's label names —
 * go into the atlas now, so frames add few (and the device gets them with its first upload) */
static ysg_status preload(ysg_node *n, ysg__text_state *st, const ysg_value *in) {
  float size = (float)ysg_node_number(n, P_SIZE);
  ysg_text_block_opts bo = {size, 1.0f, 0, 0.0f};
  float w, h;
  char digits[] = "0123456789.,-+%#:e ";
  const char *parts[3] = {st->tmpl.text ? st->tmpl.text : "", digits, NULL};
  for (int k = 0; k < 2; k++) {
    ysg_status s = ysg__text_block(&st->sh, &st->fonts, parts[k], strlen(parts[k]), &bo, &w, &h);
    for (int i = 0; !s && i < st->sh.n_g; i++)
      if (!ysg__text_glyph(&st->fonts, st->sh.g[i].font, st->sh.g[i].gid)) s = YSG_ERR_LIMIT;
    if (s) return s;
  }
  if (in && in->labels && (st->tmpl.uses & (1u << YSG_TA_LABEL)))
    for (int l = 0; l < in->labels->count; l++) {
      const char *name = in->labels->names[l];
      ysg_status s = ysg__text_block(&st->sh, &st->fonts, name, strlen(name), &bo, &w, &h);
      for (int i = 0; !s && i < st->sh.n_g; i++)
        if (!ysg__text_glyph(&st->fonts, st->sh.g[i].font, st->sh.g[i].gid)) s = YSG_ERR_LIMIT;
      if (s) return s;
    }
  return YSG_OK;
}

static ysg_status text_infer(ysg_node *n) {
  ysg__text_state *st = ysg_node_state(n);
  const ysg_canvas *cv = ysg_node_canvas(n);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = cv->width;
  out->height = cv->height;
  st->width = cv->width;
  st->height = cv->height;
  const ysg_value *in = st->source == YSG_TEXT_NONE ? NULL : ysg_node_input(n, st->source - 1, 0);
  st->cap_labels = in && in->capacity > 0 ? in->capacity : 1;
  int mg = ysg_node_int(n, P_MAX_GLYPHS);
  long glyphs = mg > 0 ? mg : (64L * st->cap_labels > 1024 ? 64L * st->cap_labels : 1024);
  if (glyphs + st->cap_labels > 100000000L)
    return ysg_node_param_fail(n, P_MAX_GLYPHS, YSG_ERR_LIMIT,
                               "%ld glyphs for %d labels are too many; set max_glyphs", glyphs,
                               st->cap_labels);
  st->cap_prims = (int)glyphs + st->cap_labels;
  int tx = (cv->width + YSG_TILE - 1) / YSG_TILE, ty = (cv->height + YSG_TILE - 1) / YSG_TILE;
  int set = ysg_node_int(n, P_BIN_CAPACITY);
  long items =
      set > 0 ? set : (16L * tx * ty > 8L * st->cap_prims ? 16L * tx * ty : 8L * st->cap_prims);
  if (items > 2147483647L) items = 2147483647L;
  free_frame(n, st);
  st->styles = ysg_node_alloc(n, sizeof *st->styles * (size_t)st->cap_labels);
  st->prims = ysg_node_alloc(n, sizeof *st->prims * (size_t)st->cap_prims);
  st->bin_prims = ysg_node_alloc(n, sizeof *st->bin_prims * (size_t)st->cap_prims);
  st->bins_mem = ysg_node_alloc(n, ysg__bins_bytes(tx, ty, (int)items));
  if (!st->styles || !st->prims || !st->bin_prims || !st->bins_mem) return YSG_ERR_NOMEM;
  ysg__bins_bind(&st->bins, st->bins_mem, tx, ty, (int)items);
  ysg_status s = ysg__text_cache_init(n, &st->cache, st->cap_labels);
  return s ? s : preload(n, st, in);
}

static const ysg_tile_ops text_tile = {
    .prepare = ysg__text_prepare,
    .render = ysg__text_render,
};

/* ---- CUDA path -------------------------------------------------------------------------------
 * Text is laid out on the host (HarfBuzz, FriBidi, fontconfig), so the node runs on the device
 * only when its input is made on the host (a data source, an input node) or it has none: stage()
 * then prepares the frame on the host and uploads the primitives, styles, bins and any glyphs the
 * atlas gained; the captured kernel (cuda/text.cu), or the fused merge's kernel calling the same
 * tile function, renders every tile from those fixed addresses. Device scratch: the work area
 * (ysg__cuda_text_work_bytes) and the atlas, both persistent — stage() writes the work area
 * before the earlier nodes of its segment run, so no buffer of theirs may share its memory.
 * Uploads go through two pinned staging slots used in turn: a slot is written again only after
 * the event recorded behind its copies has completed. */
#ifdef YSG_HAVE_CUDA
#define PIN_ATLAS_ROOM (1u << 20) /* staging beyond the frame's data, for new glyphs */
#define PIN_MAX (16u << 20)       /* larger uploads pass through the slots in pieces */

static void pin_free(ysg__text_state *st) {
  char err[256];
  for (int k = 0; k < 2; k++) {
    if (st->pin_busy[k]) ysg__cuda_event_sync(st->pin_done[k], err, sizeof err);
    ysg__cuda_event_destroy(st->pin_done[k]);
    ysg__cuda_host_free(st->pin[k]);
    st->pin[k] = NULL;
    st->pin_done[k] = NULL;
    st->pin_busy[k] = 0;
  }
  st->pin_bytes = 0;
  st->pin_next = 0;
}

static ysg_status pin_alloc(ysg_node *n, ysg__text_state *st, size_t frame_bytes) {
  size_t bytes = frame_bytes + PIN_ATLAS_ROOM;
  if (bytes > PIN_MAX) bytes = PIN_MAX;
  if (st->pin_bytes == bytes) return YSG_OK;
  pin_free(st);
  char err[512] = "";
  for (int k = 0; k < 2; k++)
    if (ysg__cuda_host_alloc((void **)&st->pin[k], bytes, err, sizeof err) ||
        ysg__cuda_event_create(&st->pin_done[k], 0, err, sizeof err)) {
      pin_free(st);
      return ysg_node_fail(n, YSG_ERR_CUDA, "cannot allocate 2 × %zu bytes of pinned staging: %s",
                           bytes, err);
    }
  st->pin_bytes = bytes;
  return YSG_OK;
}

/* one upload: bytes from host src to device dst */
typedef struct text_upload {
  void *dst;
  const void *src;
  size_t bytes;
} text_upload;

/* Copy the uploads into the staging slots in turn (a slot once the copies last enqueued from it
 * have completed) and enqueue their asynchronous copies on stream. */
static ysg_status staged_uploads(ysg_node *n, ysg__text_state *st, const text_upload *u, int nu,
                                 void *stream) {
  char err[512] = "";
  int k = -1;
  size_t used = 0;
  if (!st->pin_bytes) return ysg_node_fail(n, YSG_ERR_INVALID, "the pinned staging is missing");
  for (int i = 0; i < nu; i++)
    for (size_t done = 0; done < u[i].bytes;) {
      if (k < 0 || used == st->pin_bytes) {
        if (k >= 0 && ysg__cuda_event_record(st->pin_done[k], stream, err, sizeof err))
          return ysg_node_fail(n, YSG_ERR_CUDA, "recording the staging event: %s", err);
        if (k >= 0) st->pin_busy[k] = 1;
        k = st->pin_next;
        st->pin_next ^= 1;
        if (st->pin_busy[k] && ysg__cuda_event_sync(st->pin_done[k], err, sizeof err))
          return ysg_node_fail(n, YSG_ERR_CUDA, "waiting for the staging slot: %s", err);
        st->pin_busy[k] = 0;
        used = 0;
      }
      size_t piece = u[i].bytes - done;
      if (piece > st->pin_bytes - used) piece = st->pin_bytes - used;
      memcpy(st->pin[k] + used, (const char *)u[i].src + done, piece);
      if (ysg__cuda_upload((char *)u[i].dst + done, st->pin[k] + used, piece, stream, err,
                           sizeof err))
        return ysg_node_fail(n, YSG_ERR_CUDA, "uploading the frame's labels: %s", err);
      used += piece;
      done += piece;
    }
  if (k >= 0) {
    if (ysg__cuda_event_record(st->pin_done[k], stream, err, sizeof err))
      return ysg_node_fail(n, YSG_ERR_CUDA, "recording the staging event: %s", err);
    st->pin_busy[k] = 1;
  }
  return YSG_OK;
}

static int text_supported(const ysg_node *n) {
  for (int port = 0; port < 2; port++)
    for (int k = 0; k < n->inputs[port].n_links; k++)
      if (n->p->nodes[n->inputs[port].links[k].from_node]->on_device) return 0;
  return 1;
}

static ysg_status text_device_infer(ysg_node *n) {
  ysg__text_state *st = ysg_node_state(n);
  size_t work = ysg__cuda_text_work_bytes(st->cap_prims, st->cap_labels, st->width, st->height,
                                          st->bins.cap_items);
  ysg_status s = ysg_node_request_device_scratch(n, work, 1, &st->d_work);
  if (s) return s;
  st->d_atlas_used = 0;
  if ((s = ysg_node_request_device_scratch(n, st->fonts.cap * sizeof(int16_t), 1, &st->d_atlas)))
    return s;
  return pin_alloc(n, st, work);
}

static void bind_work(const ysg_node *n, const ysg__text_state *st, ysg_cuda_text_work *w) {
  ysg__cuda_text_work_bind(w, ysg_node_device_scratch(n, st->d_work), st->cap_prims, st->cap_labels,
                           st->width, st->height, st->bins.cap_items);
}

static ysg_status text_stage(ysg_node *n, const ysg_frame *f, void *stream) {
  ysg__text_state *st = ysg_node_state(n);
  ysg_status s = ysg__text_prepare(n, f);
  if (s) return s;
  ysg_cuda_text_work w;
  bind_work(n, st, &w);
  int16_t *d_atlas = ysg_node_device_scratch(n, st->d_atlas);
  size_t tiles = (size_t)st->bins.n_tiles + 1;
  text_upload u[] = {
      {d_atlas + st->d_atlas_used, st->fonts.atlas + st->d_atlas_used,
       (st->fonts.used - st->d_atlas_used) * sizeof(int16_t)},
      {w.prims, st->prims, sizeof *st->prims * (size_t)st->n_prims},
      {w.styles, st->styles, sizeof *st->styles * (size_t)st->n_labels},
      {w.start, st->bins.start, sizeof(int32_t) * tiles},
      {w.items, st->bins.items, sizeof(int32_t) * (size_t)st->bins.n_items},
  };
  if (st->fonts.used <= st->d_atlas_used) u[0].bytes = 0;
  if ((s = staged_uploads(n, st, u, (int)(sizeof u / sizeof u[0]), stream))) return s;
  st->d_atlas_used = st->fonts.used;
  return YSG_OK;
}

static ysg_status text_device_run(ysg_node *n, void *stream) {
  ysg__text_state *st = ysg_node_state(n);
  ysg_value *out = ysg_node_output_device(n, 0);
  if (!out) return ysg_node_fail(n, YSG_ERR_INVALID, "the device view of the output is missing");
  ysg_cuda_text_work w;
  bind_work(n, st, &w);
  char err[512] = "";
  ysg_status s = ysg__cuda_text(&w, ysg_node_device_scratch(n, st->d_atlas), out->px, out->tiles,
                                out->width, out->height, stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

/* fused into a merge: the frame was laid out, binned and uploaded by stage(), so nothing is left
 * to enqueue before the merge's kernel renders the tiles */
static ysg_status text_fused_run(ysg_node *n, void *stream) {
  (void)n;
  (void)stream;
  return YSG_OK;
}

static ysg_status text_fused_layer(const ysg_node *n, ysg_fused_layer *out) {
  const ysg__text_state *st = ysg_node_state(n);
  const int16_t *d_atlas = ysg_node_device_scratch(n, st->d_atlas);
  if (!ysg_node_device_scratch(n, st->d_work) || !d_atlas) return YSG_ERR_INVALID;
  ysg_cuda_text_work w;
  bind_work(n, st, &w);
  ysg__cuda_text_layer(&w, d_atlas, out);
  return YSG_OK;
}

static const struct ysg_device_fused text_fused = {YSG_FUSED_TEXT, text_fused_run,
                                                   text_fused_layer};

static const ysg_device_ops text_device = {
    .supported = text_supported,
    .infer = text_device_infer,
    .stage = text_stage,
    .run = text_device_run,
    .fused = &text_fused,
};
#endif

const ysg_node_type ysg__node_text = {
    .name = "text",
    .category = "render",
    .doc =
        "Draws text: one string at (x, y) without inputs, or one label per element of `points` "
        "or `boxes`, filled from the template in `text` ({id}, {label}, {conf:.0%}, {x:.0f}, "
        "…; a missing attribute is an error naming it). Strings are shaped with HarfBuzz "
        "(kerning, ligatures, right-to-left and complex scripts, FriBidi for mixed directions) "
        "in the fontconfig family `font` or the file `font_file`; codepoints the font lacks come "
        "from a fallback font fontconfig finds by coverage (else the font's .notdef box). Glyphs "
        "are signed distance fields built at load (more are added when first used) at the text's "
        "size; coverage is clamp(0.5 - d) of the bilinear distance, so text stays sharp at any "
        "sub-pixel position. Each label is one union shape: shadow (offset, soft edge), rounded "
        "plate (padding, radius, opacity), outline (outside the glyph edges) and fill, "
        "composited in element order; the label box's `anchor` sits on the reference point (the "
        "point, a box's `at` position, or (x, y)) plus `offset`; with keep_inside a label "
        "leaving the canvas flips to the other side of its reference (above a box -> inside it "
        "under its top edge), then moves inside. Multi-line strings ('\\n') align left, centre "
        "or right; lines longer than max_width end in an ellipsis.",
    .inputs = inputs,
    .n_inputs = 2,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .init = text_init,
    .infer = text_infer,
    .run = ysg_node_run_tiles,
    .destroy = text_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &text_device,
#endif
    .tile = &text_tile,
};
