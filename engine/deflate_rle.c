/* deflate_rle.c — the run-length DEFLATE encoder of deflate_rle.h: one pass turns the input into
 * tokens (literals, and distance-1 matches for runs of a repeated byte) while counting symbol
 * frequencies; length-limited canonical Huffman codes are built from the counts (Moffat and
 * Katajainen's in-place minimum-redundancy algorithm, then the usual Kraft-sum repair for the
 * 15-bit and 7-bit limits); a second pass writes the codes LSB-first through a 64-bit register.
 * Filtered overlay frames are mostly runs of zeros, which this codes at a few bits per 258 bytes.
 */
#include "deflate_rle.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MATCH 258
#define STORED_MAX 65535

/* match lengths 3..258: symbol 257 + index, base length and extra bits (RFC 1951 §3.2.5) */
static const uint16_t len_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                      15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
/* the order code-length code lengths are sent in */
static const uint8_t cl_order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                     11, 4,  12, 3, 13, 2, 14, 1, 15};

size_t ysg__deflate_rle_bound(size_t n) { return n + 5 * (n / STORED_MAX + 2) + 8; }

/* ---- bit output ------------------------------------------------------------------------------ */
typedef struct bitw {
  uint8_t *p;
  uint64_t acc; /* pending bits, LSB first */
  int n;        /* how many */
} bitw;

static inline void put(bitw *w, uint32_t bits, int n) { /* n <= 32 */
  w->acc |= (uint64_t)bits << w->n;
  w->n += n;
  if (w->n >= 32) {
    uint32_t v = (uint32_t)w->acc;
    w->p[0] = (uint8_t)v, w->p[1] = (uint8_t)(v >> 8), w->p[2] = (uint8_t)(v >> 16);
    w->p[3] = (uint8_t)(v >> 24);
    w->p += 4;
    w->acc >>= 32;
    w->n -= 32;
  }
}

/* write out what is pending, padding the last byte with zero bits */
static void align(bitw *w) {
  while (w->n > 0) {
    *w->p++ = (uint8_t)w->acc;
    w->acc >>= 8;
    w->n -= 8;
  }
  w->acc = 0;
  w->n = 0;
}

/* ---- Huffman codes ----------------------------------------------------------------------------
 */
/* Moffat & Katajainen: a[0..n) holds weights in non-decreasing order (n >= 2); on return a[i] is
 * the code length of the i-th weight (so a[0] is the longest). */
static void min_redundancy(uint32_t *a, int n) {
  int root = 0, leaf = 2, next;
  a[0] += a[1];
  for (next = 1; next < n - 1; next++) {
    if (leaf >= n || a[root] < a[leaf]) { /* first of the pair: a tree node or a leaf */
      a[next] = a[root];
      a[root++] = (uint32_t)next;
    } else {
      a[next] = a[leaf++];
    }
    if (leaf >= n || (root < next && a[root] < a[leaf])) { /* second of the pair */
      a[next] += a[root];
      a[root++] = (uint32_t)next;
    } else {
      a[next] += a[leaf++];
    }
  }
  a[n - 2] = 0; /* internal node depths, right to left */
  for (next = n - 3; next >= 0; next--) a[next] = a[a[next]] + 1;
  int avail = 1, used = 0, depth = 0; /* leaf depths, right to left */
  root = n - 2;
  next = n - 1;
  while (avail > 0) {
    while (root >= 0 && (int)a[root] == depth) used++, root--;
    while (avail > used) a[next--] = (uint32_t)depth, avail--;
    avail = 2 * used;
    depth++;
    used = 0;
  }
}

static int cmp_u64(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

/* Lengths (<= maxbits) of a complete prefix code for freq[0..n): unused symbols get 0; when
 * fewer than two symbols are used, unused ones are given codes too (a complete code needs two,
 * and inflaters reject incomplete ones). */
static void huff_lengths(const uint32_t *freq, int n, int maxbits, uint8_t *len) {
  uint64_t key[320]; /* frequency << 16 | symbol, sorted: ties broken by symbol (deterministic) */
  uint32_t a[320] = {0};
  int used = 0;
  for (int i = 0; i < n; i++)
    if (freq[i]) key[used++] = (uint64_t)freq[i] << 16 | (uint64_t)i;
  for (int i = 0; i < n && used < 2; i++)
    if (!freq[i]) key[used++] = (uint64_t)1 << 16 | (uint64_t)i;
  qsort(key, (size_t)used, sizeof key[0], cmp_u64);
  for (int i = 0; i < used; i++) a[i] = (uint32_t)(key[i] >> 16);
  min_redundancy(a, used);
  int count[33] = {0};
  for (int i = 0; i < used; i++) count[a[i] > 32 ? 32 : a[i]]++;
  for (int l = maxbits + 1; l <= 32; l++) count[maxbits] += count[l], count[l] = 0;
  uint32_t total = 0;
  for (int l = 1; l <= maxbits; l++) total += (uint32_t)count[l] << (maxbits - l);
  while (total != (1u << maxbits)) { /* too long codes were shortened: lengthen others */
    count[maxbits]--;
    for (int l = maxbits - 1; l > 0; l--)
      if (count[l]) {
        count[l]--;
        count[l + 1] += 2;
        break;
      }
    total--;
  }
  memset(len, 0, (size_t)n);
  int j = used; /* the most frequent symbols (sorted last) get the shortest codes */
  for (int l = 1; l <= maxbits; l++)
    for (int c = count[l]; c > 0; c--) len[key[--j] & 0xffff] = (uint8_t)l;
}

/* canonical codes, bit-reversed for LSB-first output */
static void huff_codes(const uint8_t *len, int n, uint16_t *code) {
  int bl_count[16] = {0}, next[16];
  for (int i = 0; i < n; i++) bl_count[len[i]]++;
  bl_count[0] = 0;
  int c = 0;
  for (int b = 1; b < 16; b++) next[b] = c = (c + bl_count[b - 1]) << 1;
  for (int i = 0; i < n; i++) {
    if (!len[i]) continue;
    unsigned v = (unsigned)next[len[i]]++, r = 0;
    for (int k = 0; k < len[i]; k++, v >>= 1) r = (r << 1) | (v & 1u);
    code[i] = (uint16_t)r;
  }
}

/* ---- tokens ---------------------------------------------------------------------------------- */
/* length of the run of byte b at in[i..limit) */
static inline size_t run_length(const uint8_t *in, size_t i, size_t limit, uint8_t b) {
  size_t j = i;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t pat = (uint64_t)b * 0x0101010101010101ull;
  while (j + 8 <= limit) {
    uint64_t w;
    memcpy(&w, in + j, 8);
    uint64_t x = w ^ pat;
    if (x) return j + (size_t)(__builtin_ctzll(x) >> 3) - i;
    j += 8;
  }
#endif
  while (j < limit && in[j] == b) j++;
  return j - i;
}

/* tokens: < 256 a literal, else a distance-1 match of length token - 256 + 3 */
static size_t tokenize(const uint8_t *in, size_t n, int prev, uint16_t *tok, uint32_t *lit_freq,
                       uint32_t *dist_matches, const uint8_t *len_sym) {
  size_t i = 0, t = 0;
  uint32_t matches = 0;
  while (i < n) {
    uint8_t b = in[i];
    if ((int)b == prev) {
      size_t limit = n - i < MAX_MATCH ? n : i + MAX_MATCH;
      size_t r = run_length(in, i, limit, b);
      if (r >= 3) {
        tok[t++] = (uint16_t)(256 + r - 3);
        lit_freq[257 + len_sym[r]]++;
        matches++;
        i += r;
        continue;
      }
    }
    tok[t++] = b;
    lit_freq[b]++;
    prev = b;
    i++;
  }
  *dist_matches = matches;
  return t;
}

/* ---- blocks ---------------------------------------------------------------------------------- */
static void put_stored(bitw *w, const uint8_t *in, size_t n, int last) {
  do {
    size_t k = n < STORED_MAX ? n : STORED_MAX;
    int fin = last && k == n;
    put(w, (uint32_t)fin, 3); /* BFINAL, BTYPE 00 */
    align(w);
    w->p[0] = (uint8_t)k, w->p[1] = (uint8_t)(k >> 8);
    w->p[2] = (uint8_t)~k, w->p[3] = (uint8_t)(~k >> 8);
    memcpy(w->p + 4, in, k);
    w->p += 4 + k;
    in += k;
    n -= k;
  } while (n > 0);
}

typedef struct cl_item {
  uint8_t sym, extra;
} cl_item;

/* the run-length coded sequence of code lengths (symbols 0..18) */
static int code_length_items(const uint8_t *lens, int total, cl_item *out) {
  int k = 0;
  for (int i = 0; i < total;) {
    uint8_t l = lens[i];
    int run = 1;
    while (i + run < total && lens[i + run] == l) run++;
    i += run;
    if (l == 0) {
      while (run >= 11) {
        int r = run < 138 ? run : 138;
        out[k++] = (cl_item){18, (uint8_t)(r - 11)};
        run -= r;
      }
      if (run >= 3) {
        out[k++] = (cl_item){17, (uint8_t)(run - 3)};
        run = 0;
      }
    } else {
      out[k++] = (cl_item){l, 0};
      run--;
      while (run >= 3) {
        int r = run < 6 ? run : 6;
        out[k++] = (cl_item){16, (uint8_t)(r - 3)};
        run -= r;
      }
    }
    while (run-- > 0) out[k++] = (cl_item){l, 0};
  }
  return k;
}

static const uint8_t cl_extra_bits[19] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7};

size_t ysg__deflate_rle(const uint8_t *in, size_t n, int prev, int last, int stored_only,
                        uint16_t *tokens, uint8_t *out) {
  bitw w = {out, 0, 0};
  if (n == 0) {
    if (last) put_stored(&w, in, 0, 1);
    return (size_t)(w.p - out);
  }
  const size_t stored_bytes = n + 5 * ((n + STORED_MAX - 1) / STORED_MAX);
  if (stored_only) {
    put_stored(&w, in, n, last);
    if (!last) put_stored(&w, in, 0, 0);
    return (size_t)(w.p - out);
  }
  uint8_t len_sym[MAX_MATCH + 1]; /* match length -> index into len_base */
  for (int s = 0, l = 3; l <= MAX_MATCH; l++) {
    while (s < 28 && l >= len_base[s + 1]) s++;
    len_sym[l] = (uint8_t)s;
  }
  uint32_t lit_freq[286] = {0}, dist_freq[30] = {0}, matches;
  size_t nt = tokenize(in, n, prev, tokens, lit_freq, &matches, len_sym);
  lit_freq[256] = 1;
  dist_freq[0] = matches;

  uint8_t lit_len[286], dist_len[30], cl_len[19];
  uint16_t lit_code[286], dist_code[30], cl_code[19];
  huff_lengths(lit_freq, 286, 15, lit_len);
  huff_lengths(dist_freq, 30, 15, dist_len);
  int hlit = 286, hdist = 30;
  while (hlit > 257 && !lit_len[hlit - 1]) hlit--;
  while (hdist > 1 && !dist_len[hdist - 1]) hdist--;
  uint8_t lens[286 + 30];
  memcpy(lens, lit_len, (size_t)hlit);
  memcpy(lens + hlit, dist_len, (size_t)hdist);
  cl_item items[286 + 30];
  int n_items = code_length_items(lens, hlit + hdist, items);
  uint32_t cl_freq[19] = {0};
  for (int i = 0; i < n_items; i++) cl_freq[items[i].sym]++;
  huff_lengths(cl_freq, 19, 7, cl_len);
  int hclen = 19;
  while (hclen > 4 && !cl_len[cl_order[hclen - 1]]) hclen--;

  /* the block's exact size, to fall back on stored blocks for data that does not compress */
  uint64_t bits = 3 + 5 + 5 + 4 + 3 * (uint64_t)hclen;
  for (int i = 0; i < n_items; i++)
    bits += cl_len[items[i].sym] + (uint64_t)cl_extra_bits[items[i].sym];
  for (int s = 0; s < 286; s++) bits += (uint64_t)lit_freq[s] * lit_len[s];
  for (int s = 0; s < 29; s++) bits += (uint64_t)lit_freq[257 + s] * len_extra[s];
  bits += (uint64_t)matches * dist_len[0];
  if (bits / 8 + 1 >= stored_bytes) {
    put_stored(&w, in, n, last);
    if (!last) put_stored(&w, in, 0, 0);
    return (size_t)(w.p - out);
  }

  huff_codes(lit_len, 286, lit_code);
  huff_codes(dist_len, 30, dist_code);
  huff_codes(cl_len, 19, cl_code);
  put(&w, (uint32_t)(last ? 1 : 0) | 2u << 1, 3); /* BFINAL, BTYPE 10: dynamic Huffman */
  put(&w, (uint32_t)(hlit - 257), 5);
  put(&w, (uint32_t)(hdist - 1), 5);
  put(&w, (uint32_t)(hclen - 4), 4);
  for (int i = 0; i < hclen; i++) put(&w, cl_len[cl_order[i]], 3);
  for (int i = 0; i < n_items; i++) {
    put(&w, cl_code[items[i].sym], cl_len[items[i].sym]);
    if (cl_extra_bits[items[i].sym]) put(&w, items[i].extra, cl_extra_bits[items[i].sym]);
  }
  /* a match is its length code with its extra bits, then distance code 0 (distance 1) */
  uint32_t m_bits[MAX_MATCH + 1];
  int m_n[MAX_MATCH + 1];
  for (int l = 3; l <= MAX_MATCH; l++) {
    int s = len_sym[l];
    m_bits[l] = lit_code[257 + s] | (uint32_t)(l - len_base[s]) << lit_len[257 + s];
    m_n[l] = lit_len[257 + s] + len_extra[s];
  }
  const uint32_t d_bits = dist_code[0];
  const int d_n = dist_len[0];
  for (size_t t = 0; t < nt; t++) {
    uint16_t k = tokens[t];
    if (k < 256) {
      put(&w, lit_code[k], lit_len[k]);
    } else {
      int l = k - 256 + 3;
      put(&w, m_bits[l], m_n[l]);
      put(&w, d_bits, d_n);
    }
  }
  put(&w, lit_code[256], lit_len[256]);
  if (!last) put(&w, 0, 3); /* an empty stored block: byte alignment for the next piece */
  align(&w);
  if (!last) {
    w.p[0] = 0, w.p[1] = 0, w.p[2] = 0xff, w.p[3] = 0xff;
    w.p += 4;
  }
  return (size_t)(w.p - out);
}
