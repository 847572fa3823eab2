/* blur_region.c — the `blur_region` effect node: blurs an image only inside soft masks around
 * points (circles) or boxes (rounded rectangles). Regions are binned into 16×16 tiles
 * (engine/bins.h) and the mask is evaluated per tile; the separable Gaussian runs only where a
 * tile's mask is non-zero (horizontal pass over the rows those tiles need, vertical pass over
 * those tiles), so a few small regions cost a fraction of a full-frame blur. Pixels outside all
 * masks are the input's bits. Math: engine/region_math.h, shared with cuda/blur_region.cu. */
#include <math.h>
#include <string.h>

#include "bins.h"
#include "color.h"
#include "region_math.h"
#include "ysgraph/node.h"
#ifdef YSG_HAVE_CUDA
#include "../cuda/blur_region_api.h"
#include "../cuda/cuda_api.h"
#endif

enum { P_RADIUS, P_CORNER, P_FALLOFF, P_SIGMA, P_OPACITY, P_TRUNCATE, P_BIN_CAPACITY, P_COUNT };
enum { IN_IMAGE, IN_POINTS, IN_BOXES };

static const ysg_param_def params[P_COUNT] = {
    [P_RADIUS] = {"radius", YSG_PARAM_NUMBER, "40", 0, 10000, NULL, 0,
                  "px: radius of the circle masked around each point"},
    [P_CORNER] = {"corner", YSG_PARAM_NUMBER, "0", 0, 10000, NULL, 0,
                  "px: corner radius of box masks (clamped to half the shorter side)"},
    [P_FALLOFF] = {"falloff", YSG_PARAM_NUMBER, "16", 0, 10000, NULL, 0,
                   "px: soft edge outside the shape, mask = 1 − smoothstep(distance / falloff)"},
    [P_SIGMA] = {"sigma", YSG_PARAM_NUMBER, "6", 0, YSG_REGION_MAX_SIGMA, NULL, 0,
                 "px: standard deviation of the Gaussian (0: no blur)"},
    [P_OPACITY] = {"opacity", YSG_PARAM_NUMBER, "1", 0, 1, NULL, 0,
                   "weight of the blurred picture where the mask is 1"},
    [P_TRUNCATE] = {"truncate", YSG_PARAM_NUMBER, "3", 0.5, YSG_REGION_MAX_TRUNCATE, NULL, 0,
                    "kernel radius in sigmas: floor(truncate · sigma + 0.5) px"},
    [P_BIN_CAPACITY] =
        {"bin_capacity", YSG_PARAM_INT, "0", 0, 2147483647.0, NULL, YSG_PARAM_STATIC,
         "tile references a frame may use (0: max(16 × tiles, 256 × region capacity))"},
};

static const ysg_port_def inputs[] = {
    [IN_IMAGE] = {"image", YSG_IMAGE, 0, "the picture to blur locally", NULL, 0},
    [IN_POINTS] = {"points", YSG_POINTS, YSG_PORT_OPTIONAL,
                   "a circle of `radius` around each point (or connect boxes)", NULL, 0},
    [IN_BOXES] = {"boxes", YSG_BOXES, YSG_PORT_OPTIONAL,
                  "each box, corners rounded by `corner` (or connect points)", NULL, 0},
};

static const ysg_port_def outputs[] = {
    {"image", YSG_IMAGE, 0, "the image, blurred inside the masks, the input's size", NULL, 0},
};

#define STRIP 4 /* tile columns per strip: the unit of parallel work and of the row ring */
#define BLOCK (4 * YSG_TILE) /* floats of one tile row: 16 RGBA pixels */

/* occ[t] through a frame: 0 no region reaches the tile; 1 some region's bound does; after the
 * strip pass 2 (blended, output flag 0), 3 (blended, flag 1) or 4 (mask 0 everywhere: the input) */
enum { OCC_NONE, OCC_MAYBE, OCC_BLEND0, OCC_BLEND1, OCC_KEEP };

/* sizes fixed at infer; the arrays live in one arena scratch buffer */
typedef struct br_state {
  int port;      /* IN_POINTS or IN_BOXES */
  int cap;       /* region capacity */
  int cap_items; /* bin references */
  int width, height, tiles_x, tiles_y, strips, ring_rows;
  int scratch;
  size_t off_bin_prims, off_bins, off_occ, off_weights, off_bufs, off_ring, off_stage;
  int d_work, chk_items; /* CUDA backend: device scratch and the bin-reference check */
} br_state;

typedef struct br_job {
  const ysg_region *regions;
  const ysg_bins *bins;
  const uint16_t *in;
  const uint8_t *in_tiles; /* NULL: every tile may hold content */
  uint16_t *out;
  uint8_t *out_tiles;
  uint8_t *occ;    /* (n_tiles) OCC_* */
  const float *w;  /* (R + 1) one-sided kernel weights */
  float *bufs;     /* (strips, buf_cap) input rows of the horizontal pass */
  float *ring;     /* (strips, ring_rows, STRIP · BLOCK) horizontal pass, row y at y % ring */
  uint16_t *stage; /* (n_tiles, 256, 4) blended tiles when working in place */
  size_t buf_cap;  /* floats per input row buffer */
  float falloff, opacity;
  int R, ring_n, width, height, tiles_x, tiles_y, strips;
} br_job;

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

static int tile_on(const uint8_t *tiles, int t) { return !tiles || tiles[t]; }

/* The tile's pixel span: x0..x1 (exclusive), y0..y1. */
static void tile_box(const br_job *j, int t, int *x0, int *y0, int *x1, int *y1) {
  int tx = t % j->tiles_x, ty = t / j->tiles_x;
  *x0 = tx * YSG_TILE;
  *y0 = ty * YSG_TILE;
  *x1 = *x0 + YSG_TILE < j->width ? *x0 + YSG_TILE : j->width;
  *y1 = *y0 + YSG_TILE < j->height ? *y0 + YSG_TILE : j->height;
}

/* The mask of every pixel of tile t (m, row-major with stride YSG_TILE); returns 1 if any > 0.
 * Per region and row, ysg_region_mask is evaluated only across the soft edge: pixels a pixel or
 * more beyond the falloff are 0 and pixels a pixel or more inside the shape are 1, exactly the
 * values the function gives there, so the mask is the same bits at a fraction of the cost. */
static int tile_mask(const br_job *j, int t, float *m) {
  int x0, y0, x1, y1;
  tile_box(j, t, &x0, &y0, &x1, &y1);
  const ysg_bins *b = j->bins;
  float fo = j->falloff;
  int any = 0;
  for (int i = 0; i < YSG_TILE * YSG_TILE; i++) m[i] = 0.0f;
  for (int k = b->start[t]; k < b->start[t + 1]; k++) {
    const ysg_region *r = &j->regions[b->items[k]];
    if (r->kind < 0 || ysg_region_rejects(r, fo, (float)x0 + 0.5f, (float)y0 + 0.5f,
                                          (float)x1 - 0.5f, (float)y1 - 0.5f))
      continue;
    for (int y = y0; y < y1; y++) {
      float dy = (float)y + 0.5f - r->cy, ady = fabsf(dy), xo, xi = -1.0f;
      if (r->kind == YSG_REGION_BOX) {
        if (ady >= r->hy + fo + 1.0f) continue;
        xo = r->hx + fo + 1.0f;
        /* the straight-sided core of the rounded box (any corner ≤ r->corner contains it) */
        if (ady <= r->hy - r->corner - 1.0f) xi = r->hx - 1.0f;
      } else {
        float ro = r->hx + fo + 1.0f, ri = r->hx - 1.0f;
        if (ady >= ro) continue;
        xo = sqrtf(ro * ro - dy * dy);
        if (ady < ri) xi = sqrtf(ri * ri - dy * dy);
      }
      float fa = floorf(r->cx - xo) - 1.0f, fb = ceilf(r->cx + xo) + 1.0f;
      int xa = fa > (float)x0 ? (int)fa : x0, xb = fb < (float)x1 ? (int)fb : x1;
      float *row = m + (y - y0) * YSG_TILE - x0;
      for (int x = xa; x < xb; x++) {
        float px = (float)x + 0.5f;
        float v = fabsf(px - r->cx) <= xi ? 1.0f : ysg_region_mask(r, fo, px, (float)y + 0.5f);
        if (v > row[x]) row[x] = v;
        any |= v > 0.0f;
      }
    }
  }
  return any;
}

/* Pass 1, per tile: which tiles a region may reach (blurred by the strip pass); the others are
 * copied from the input (unless the output is the input: in place) with the input's flag. */
static void classify_tiles(void *ud, int t0, int t1) {
  const br_job *j = ud;
  const ysg_bins *b = j->bins;
  for (int t = t0; t < t1; t++) {
    int on = 0, x0, y0, x1, y1;
    tile_box(j, t, &x0, &y0, &x1, &y1);
    for (int k = b->start[t]; j->opacity > 0.0f && k < b->start[t + 1] && !on; k++) {
      const ysg_region *r = &j->regions[b->items[k]];
      on = r->kind >= 0 && !ysg_region_rejects(r, j->falloff, (float)x0 + 0.5f, (float)y0 + 0.5f,
                                               (float)x1 - 0.5f, (float)y1 - 0.5f);
    }
    j->occ[t] = (uint8_t)(on ? OCC_MAYBE : OCC_NONE);
    if (on) continue;
    int in_on = tile_on(j->in_tiles, t);
    if (j->out_tiles) j->out_tiles[t] = (uint8_t)in_on;
    if (j->out == j->in || !in_on) continue;
    for (int y = y0; y < y1; y++) {
      size_t off = ((size_t)y * (size_t)j->width + (size_t)x0) * 4;
      memcpy(j->out + off, j->in + off, 8 * (size_t)(x1 - x0));
    }
  }
}

/* Input pixels [xa, xb) of row y as floats into dst, tiles marked empty read as 0. */
static void load_row(const br_job *j, int y, int xa, int xb, float *dst) {
  int ty = y / YSG_TILE;
  for (int x = xa; x < xb;) {
    int tx = x / YSG_TILE, e = (tx + 1) * YSG_TILE < xb ? (tx + 1) * YSG_TILE : xb;
    if (tile_on(j->in_tiles, ty * j->tiles_x + tx))
      ysg_halves_to_floats(j->in + ((size_t)y * (size_t)j->width + (size_t)x) * 4,
                           dst + 4 * (x - xa), 4 * (e - x));
    else
      memset(dst + 4 * (x - xa), 0, sizeof(float) * 4 * (size_t)(e - x));
    x = e;
  }
}

/* Horizontal pass of row y over whole tile columns [txa, txb] into out (BLOCK floats per tile):
 * the input with R pixels either side (edge pixels repeated: clamp; past the right edge too, so
 * every block is a full 16 pixels) into buf, then the convolution block by block, the block's
 * accumulators staying in registers across the taps. */
static void hpass_run(const br_job *j, int y, int txa, int txb, float *buf, float *out) {
  int R = j->R, W = j->width;
  int xa = txa * YSG_TILE, xe = (txb + 1) * YSG_TILE;
  int la = xa - R > 0 ? xa - R : 0, lb = xe + R < W ? xe + R : W;
  float *b = buf + 4 * (size_t)(la - (xa - R)); /* buf index 0 is pixel xa − R */
  load_row(j, y, la, lb, b);
  for (int x = xa - R; x < la; x++) memcpy(buf + 4 * (x - (xa - R)), b, 16);
  for (int x = lb; x < xe + R; x++) memcpy(buf + 4 * (x - (xa - R)), b + 4 * (lb - 1 - la), 16);
  const float *w = j->w;
  for (int tx = txa; tx <= txb; tx++) {
    const float *c = buf + 4 * (size_t)(R + (tx - txa) * YSG_TILE);
    float acc[BLOCK];
    for (int i = 0; i < BLOCK; i++) acc[i] = w[0] * c[i];
    for (int k = 1; k <= R; k++) {
      const float *l = c - 4 * k, *r = c + 4 * k;
      float wk = w[k];
      for (int i = 0; i < BLOCK; i++) acc[i] += wk * (l[i] + r[i]);
    }
    memcpy(out + (size_t)(tx - txa) * BLOCK, acc, sizeof acc);
  }
}

/* The ring row of y in strip s's ring, at tile column tx of the strip */
static float *ring_at(const br_job *j, float *ring, int y, int col) {
  return ring + ((size_t)(y % j->ring_n) * STRIP + (size_t)col) * BLOCK;
}

/* Horizontal pass of row y over the strip's tile columns that a blurred tile within R rows of
 * y needs. */
static void hpass_row(const br_job *j, int s, int y, float *ring, float *buf) {
  int txa = s * STRIP, txe = txa + STRIP < j->tiles_x ? txa + STRIP : j->tiles_x;
  int ty0 = y - j->R > 0 ? (y - j->R) / YSG_TILE : 0;
  int ty1 = (y + j->R) / YSG_TILE < j->tiles_y - 1 ? (y + j->R) / YSG_TILE : j->tiles_y - 1;
  int run = -1;
  for (int tx = txa; tx <= txe; tx++) {
    int need = 0;
    for (int ty = ty0; tx < txe && ty <= ty1 && !need; ty++) need = j->occ[ty * j->tiles_x + tx];
    if (need && run < 0) run = tx;
    if (!need && run >= 0) {
      hpass_run(j, y, run, tx - 1, buf, ring_at(j, ring, y, run - txa));
      run = -1;
    }
  }
}

/* The vertical pass of tile t from the ring, blended with the original by mask · opacity
 * (pixels whose weight is 0 keep the input's bits), into the output or, in place, the stage. */
static void vpass_tile(const br_job *j, int t, float *ring) {
  float m[YSG_TILE * YSG_TILE], acc[BLOCK], orig[BLOCK];
  uint16_t bits[BLOCK];
  int R = j->R, x0, y0, x1, y1, col = (t % j->tiles_x) % STRIP;
  tile_box(j, t, &x0, &y0, &x1, &y1);
  int in_on = tile_on(j->in_tiles, t), any = 0, n4 = 4 * (x1 - x0);
  if (!tile_mask(j, t, m)) {
    j->occ[t] = OCC_KEEP;
    if (j->out != j->in && in_on)
      for (int y = y0; y < y1; y++) {
        size_t off = ((size_t)y * (size_t)j->width + (size_t)x0) * 4;
        memcpy(j->out + off, j->in + off, 8 * (size_t)(x1 - x0));
      }
    return;
  }
  const float *w = j->w;
  uint16_t *stage = j->out == j->in ? j->stage + (size_t)t * YSG_TILE * BLOCK : NULL;
  for (int y = y0; y < y1; y++) {
    size_t off = ((size_t)y * (size_t)j->width + (size_t)x0) * 4;
    const float *c = ring_at(j, ring, y, col);
    for (int i = 0; i < BLOCK; i++) acc[i] = w[0] * c[i];
    for (int k = 1; k <= R; k++) {
      const float *pa = ring_at(j, ring, y - k < 0 ? 0 : y - k, col);
      const float *pb = ring_at(j, ring, y + k >= j->height ? j->height - 1 : y + k, col);
      float wk = w[k], tmp[BLOCK];
      for (int i = 0; i < BLOCK; i++) tmp[i] = wk * (pa[i] + pb[i]);
      for (int i = 0; i < BLOCK; i++) acc[i] += tmp[i];
    }
    if (in_on)
      memcpy(bits, j->in + off, sizeof(uint16_t) * (size_t)n4);
    else
      memset(bits, 0, sizeof(uint16_t) * (size_t)n4);
    ysg_halves_to_floats(bits, orig, n4);
    const float *mr = m + (y - y0) * YSG_TILE;
    for (int x = 0; x < x1 - x0; x++) {
      float a = mr[x] * j->opacity;
      for (int ch = 0; ch < 4; ch++) {
        float *v = acc + 4 * x + ch;
        *v = a > 0.0f ? ysg_region_lerp(orig[4 * x + ch], *v, a) : orig[4 * x + ch];
      }
    }
    uint16_t *dst = stage ? stage + (size_t)(y - y0) * BLOCK : j->out + off;
    ysg_floats_to_halves(acc, dst, n4);
    /* keep the input's exact bits where nothing was blended (also NaN payloads) */
    for (int x = 0; x < x1 - x0; x++)
      if (!(mr[x] * j->opacity > 0.0f)) memcpy(dst + 4 * x, bits + 4 * x, 8);
    for (int i = 0; i < n4 && !any; i++) any = (dst[i] & 0x7fffu) != 0;
  }
  j->occ[t] = (uint8_t)(in_on || any ? OCC_BLEND1 : OCC_BLEND0);
}

/* Pass 2, per strip of STRIP tile columns, top to bottom: the horizontal pass of each row once,
 * as the first tile row reaching it needs it, into the strip's ring of rows, then the vertical
 * pass of that tile row's blurred tiles. Only the strip's own occ entries are read and written;
 * the input is only read (in place, blended tiles go to the stage), so strips run in parallel. */
YSG_CPU_CLONES static void strip_pass(void *ud, int s0, int s1) {
  const br_job *j = ud;
  for (int s = s0; s < s1; s++) {
    float *ring = j->ring + (size_t)s * (size_t)j->ring_n * STRIP * BLOCK;
    float *buf = j->bufs + (size_t)s * j->buf_cap;
    int txa = s * STRIP, txe = txa + STRIP < j->tiles_x ? txa + STRIP : j->tiles_x, next = 0;
    for (int ty = 0; ty < j->tiles_y; ty++) {
      int on = 0;
      for (int tx = txa; tx < txe; tx++) on |= j->occ[ty * j->tiles_x + tx] != OCC_NONE;
      if (!on) continue;
      int y0 = ty * YSG_TILE, y1 = y0 + YSG_TILE < j->height ? y0 + YSG_TILE : j->height;
      int ye = y1 + j->R < j->height ? y1 + j->R : j->height;
      if (next < y0 - j->R) next = y0 - j->R; /* rows above are needed by no tile below */
      for (; next < ye; next++) hpass_row(j, s, next, ring, buf);
      for (int tx = txa; tx < txe; tx++)
        if (j->occ[ty * j->tiles_x + tx] != OCC_NONE) vpass_tile(j, ty * j->tiles_x + tx, ring);
    }
  }
}

/* Pass 3, per tile: the output flags of blurred tiles and, in place, the stage into the output
 * (only now, when no strip reads the input any more). */
YSG_CPU_CLONES static void finish_tiles(void *ud, int t0, int t1) {
  const br_job *j = ud;
  for (int t = t0; t < t1; t++) {
    int o = j->occ[t];
    if (o == OCC_NONE) continue;
    if (j->out_tiles)
      j->out_tiles[t] = (uint8_t)(o == OCC_KEEP ? tile_on(j->in_tiles, t) : o == OCC_BLEND1);
    if (o == OCC_KEEP || j->out != j->in) continue;
    int x0, y0, x1, y1;
    tile_box(j, t, &x0, &y0, &x1, &y1);
    const uint16_t *src = j->stage + (size_t)t * YSG_TILE * BLOCK;
    for (int y = y0; y < y1; y++)
      memcpy(j->out + ((size_t)y * (size_t)j->width + (size_t)x0) * 4,
             src + (size_t)(y - y0) * BLOCK, 8 * (size_t)(x1 - x0));
  }
}

static void br_destroy(ysg_node *n) {
  void *st = ysg_node_state(n);
  if (st) ysg_node_free(n, st);
  ysg_node_set_state(n, NULL);
}

static ysg_status br_infer(ysg_node *n) {
  int np = ysg_node_input_count(n, IN_POINTS), nb = ysg_node_input_count(n, IN_BOXES);
  if (np + nb != 1)
    return ysg_node_fail(n, YSG_ERR_PIPELINE,
                         "expected exactly one of the inputs 'points' and 'boxes' to be "
                         "connected, found %s",
                         np + nb == 0 ? "neither" : "both");
  const ysg_value *img = ysg_node_input(n, IN_IMAGE, 0);
  ysg_value *out = ysg_node_output(n, 0);
  out->width = img->width;
  out->height = img->height;
  br_destroy(n); /* infer runs again when a pipeline is re-planned */
  br_state *st = ysg_node_alloc(n, sizeof *st);
  if (!st) return YSG_ERR_NOMEM;
  ysg_node_set_state(n, st);
  st->port = np ? IN_POINTS : IN_BOXES;
  const ysg_value *src = ysg_node_input(n, st->port, 0);
  st->cap = src && src->capacity > 0 ? src->capacity : 0;
  st->width = img->width;
  st->height = img->height;
  st->tiles_x = (img->width + YSG_TILE - 1) / YSG_TILE;
  st->tiles_y = (img->height + YSG_TILE - 1) / YSG_TILE;
  int n_tiles = st->tiles_x * st->tiles_y;
  int set = ysg_node_int(n, P_BIN_CAPACITY);
  int64_t a = 16 * (int64_t)n_tiles, b = 256 * (int64_t)st->cap, c = a > b ? a : b;
  st->cap_items = set > 0 ? set : (int)(c > 0x7fffffff ? 0x7fffffff : c);
  st->strips = (st->tiles_x + STRIP - 1) / STRIP;
  st->strips = st->strips > 0 ? st->strips : 1;
  /* a tile row's vertical pass reads 16 + 2R rows: the ring holds that many (or all rows) */
  st->ring_rows =
      img->height < YSG_TILE + 2 * YSG_REGION_MAX_R ? img->height : YSG_TILE + 2 * YSG_REGION_MAX_R;
  st->ring_rows = st->ring_rows > 0 ? st->ring_rows : 1;
  size_t cap = (size_t)(st->cap > 0 ? st->cap : 1);
  st->off_bin_prims = align64(cap * sizeof(ysg_region));
  st->off_bins = st->off_bin_prims + align64(cap * sizeof(ysg_bin_prim));
  st->off_occ = st->off_bins + align64(ysg__bins_bytes(st->tiles_x, st->tiles_y, st->cap_items));
  st->off_weights = st->off_occ + align64((size_t)n_tiles + 1);
  st->off_bufs = st->off_weights + align64(sizeof(float) * (YSG_REGION_MAX_R + 1));
  size_t buf_cap = 4 * ((size_t)STRIP * YSG_TILE + 2 * (size_t)YSG_REGION_MAX_R);
  st->off_ring = st->off_bufs + align64(sizeof(float) * buf_cap * (size_t)st->strips);
  st->off_stage = st->off_ring + align64(sizeof(float) * (size_t)st->strips * STRIP * BLOCK *
                                         (size_t)st->ring_rows);
  size_t bytes = st->off_stage + sizeof(uint16_t) * (size_t)n_tiles * YSG_TILE * BLOCK;
  return ysg_node_request_scratch(n, bytes, 0, &st->scratch);
}

/* The frame's settings: the CPU run's, and the CUDA path's parameter block. */
static void region_params(const ysg_node *n, const br_state *st, ysg_region_params *p) {
  memset(p, 0, sizeof *p);
  p->radius = (float)ysg_node_number(n, P_RADIUS);
  p->corner = (float)ysg_node_number(n, P_CORNER);
  p->falloff = (float)ysg_node_number(n, P_FALLOFF);
  p->sigma = (float)ysg_node_number(n, P_SIGMA);
  p->opacity = ysg_clamp01((float)ysg_node_number(n, P_OPACITY));
  p->truncate = (float)ysg_node_number(n, P_TRUNCATE);
  p->boxes = st->port == IN_BOXES;
}

static ysg_status br_run(ysg_node *n, const ysg_frame *frame) {
  (void)frame;
  const br_state *st = ysg_node_state(n);
  const ysg_value *img = ysg_node_input(n, IN_IMAGE, 0);
  const ysg_value *src = ysg_node_input(n, st->port, 0);
  ysg_value *out = ysg_node_output(n, 0);
  if (img->width != st->width || img->height != st->height)
    return ysg_node_fail(n, YSG_ERR_INVALID, "the input image is %d×%d, planned as %d×%d",
                         img->width, img->height, st->width, st->height);
  unsigned char *mem = ysg_node_scratch(n, st->scratch);
  ysg_region *regions = (ysg_region *)mem;
  ysg_bin_prim *bp = (ysg_bin_prim *)(mem + st->off_bin_prims);
  ysg_bins bins;
  ysg__bins_bind(&bins, mem + st->off_bins, st->tiles_x, st->tiles_y, st->cap_items);
  ysg_region_params p;
  region_params(n, st, &p);
  int count = src->count < st->cap ? src->count : st->cap;
  if (count < 0) count = 0;
  for (int i = 0; i < count; i++)
    ysg_region_make(&p, src->xy, src->xywh, i, st->width, st->height, &regions[i], &bp[i]);
  int64_t need = ysg__bins_build(&bins, bp, count);
  if (need > st->cap_items)
    return ysg_node_param_fail(n, P_BIN_CAPACITY, YSG_ERR_LIMIT,
                               "this frame needs %lld tile references, more than the %d it holds "
                               "(raise bin_capacity)",
                               (long long)need, st->cap_items);
  br_job j;
  memset(&j, 0, sizeof j);
  j.regions = regions;
  j.bins = &bins;
  j.in = img->px;
  j.in_tiles = img->tiles;
  j.out = out->px;
  j.out_tiles = out->tiles;
  j.occ = mem + st->off_occ;
  j.R = ysg_region_kernel_radius(p.sigma, p.truncate);
  float *w = (float *)(mem + st->off_weights);
  ysg_region_weights(p.sigma, j.R, w);
  j.w = w;
  j.bufs = (float *)(mem + st->off_bufs);
  j.buf_cap = 4 * ((size_t)STRIP * YSG_TILE + 2 * (size_t)YSG_REGION_MAX_R);
  j.ring = (float *)(mem + st->off_ring);
  j.stage = (uint16_t *)(mem + st->off_stage);
  j.falloff = p.falloff > 0.0f ? p.falloff : 0.0f;
  j.opacity = p.opacity;
  j.width = st->width;
  j.height = st->height;
  j.tiles_x = st->tiles_x;
  j.tiles_y = st->tiles_y;
  j.strips = st->strips;
  j.ring_n = YSG_TILE + 2 * j.R < st->height ? YSG_TILE + 2 * j.R : st->height;
  if (st->width <= 0 || st->height <= 0) return YSG_OK;
  ysg_node_parallel_for(n, bins.n_tiles, 16, classify_tiles, &j);
  int any = 0;
  for (int t = 0; t < bins.n_tiles && !any; t++) any = j.occ[t];
  if (!any) return YSG_OK;
  ysg_node_parallel_for(n, j.strips, 1, strip_pass, &j);
  ysg_node_parallel_for(n, bins.n_tiles, 64, finish_tiles, &j);
  return YSG_OK;
}

/* ---- CUDA path -------------------------------------------------------------------------------
 * Parameter block: one ysg_region_params (region_params, 32 bytes). Device scratch: the
 * launcher's work area (ysg__cuda_blur_region_work_bytes). Check: the frame's bin references
 * (*work.total, a capturable D2D copy) against cap_items; over it the launcher blurs nothing. */
#ifdef YSG_HAVE_CUDA
static ysg_status br_device_infer(ysg_node *n) {
  br_state *st = ysg_node_state(n);
  ysg_status s;
  if ((s = ysg_node_request_param_block(n, sizeof(ysg_region_params))) ||
      (s = ysg_node_request_device_scratch(
           n, ysg__cuda_blur_region_work_bytes(st->cap, st->width, st->height, st->cap_items), 0,
           &st->d_work)) ||
      (s = ysg_node_request_device_check(n, "tile references", st->cap_items, &st->chk_items)))
    return s;
  return YSG_OK;
}

static ysg_status br_prepare(ysg_node *n, const ysg_frame *f) {
  (void)f;
  ysg_region_params *p = ysg_node_param_block(n);
  if (!p) return ysg_node_fail(n, YSG_ERR_INVALID, "no parameter block to prepare");
  region_params(n, ysg_node_state(n), p);
  return YSG_OK;
}

static ysg_status br_device_run(ysg_node *n, void *stream) {
  const br_state *st = ysg_node_state(n);
  const ysg_value *img = ysg_node_input_device(n, IN_IMAGE, 0);
  const ysg_value *src = ysg_node_input_device(n, st->port, 0);
  const ysg_value_header *sh = ysg_node_input_header(n, st->port, 0);
  ysg_value *out = ysg_node_output_device(n, 0);
  void *mem = ysg_node_device_scratch(n, st->d_work);
  int32_t *need = ysg_node_device_check(n, st->chk_items);
  const ysg_region_params *p = ysg_node_param_block_device(n);
  if (!img || !src || !sh || !out || !mem || !need || !p)
    return ysg_node_fail(n, YSG_ERR_INVALID,
                         "device views of the inputs, output, scratch, parameters or check are "
                         "missing");
  ysg_cuda_blur_region_work w;
  ysg__cuda_blur_region_work_bind(&w, mem, st->cap, st->width, st->height, st->cap_items);
  int boxes = st->port == IN_BOXES;
  char err[512] = "";
  ysg_status s = ysg__cuda_blur_region(img->px, img->tiles, out->px, out->tiles, st->width,
                                       st->height, boxes ? NULL : src->xy, boxes ? src->xywh : NULL,
                                       &sh->count, st->cap, p, &w, stream, err, sizeof err);
  if (!s) s = ysg__cuda_copy(need, w.total, sizeof(int32_t), stream, err, sizeof err);
  return s ? ysg_node_fail(n, s, "%s", err) : YSG_OK;
}

static const ysg_device_ops br_device = {
    .infer = br_device_infer,
    .prepare = br_prepare,
    .run = br_device_run,
};
#endif

const ysg_node_type ysg__node_blur_region = {
    .name = "blur_region",
    .category = "effect",
    .doc =
        "Blurs `image` only inside soft masks: a circle of `radius` around each of `points`, or "
        "each of `boxes` with corners rounded by `corner` (connect exactly one). The mask is 1 "
        "inside the shape and 1 − smoothstep(d / falloff) at distance d outside it, the maximum "
        "over overlapping regions, evaluated per 16×16 tile from the regions binned there. The "
        "output is lerp(image, gaussian(image), mask · opacity): a separable Gaussian of `sigma` "
        "px on premultiplied linear values, truncated at floor(truncate · sigma + 0.5) px with "
        "normalised weights and the canvas edge clamped, computed only for tiles the masks "
        "reach (plus the kernel's reach of input). Pixels outside every mask keep the input's "
        "exact bits. Regions with a non-finite or beyond-±1e7 coordinate, boxes with a width or "
        "height ≤ 0, and masks entirely off the image are ignored.",
    .inputs = inputs,
    .n_inputs = 3,
    .outputs = outputs,
    .n_outputs = 1,
    .params = params,
    .n_params = P_COUNT,
    .flags = YSG_NODE_INPLACE,
    .infer = br_infer,
    .run = br_run,
    .destroy = br_destroy,
#ifdef YSG_HAVE_CUDA
    .device = &br_device,
#endif
};
