/* context.c — the context: allocator hook, log callback, the per-context error message, status
 * names/strings (generated from YSG_STATUS_MAP), version and compiled-in features. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "pool.h"

#ifndef YSG_VERSION_STRING
#define YSG_VERSION_STRING "0.2.0"
#endif

static const char *const status_names[] = {
#define NAME(name, str) "YSG_" #name,
    YSG_STATUS_MAP(NAME)
#undef NAME
};
static const char *const status_strings[] = {
#define STR(name, str) str,
    YSG_STATUS_MAP(STR)
#undef STR
};

const char *ysg_status_name(ysg_status s) {
  return (unsigned)s < YSG_STATUS_COUNT ? status_names[s] : "YSG_UNKNOWN";
}
const char *ysg_status_string(ysg_status s) {
  return (unsigned)s < YSG_STATUS_COUNT ? status_strings[s] : "unknown status";
}
const char *ysg_version(void) { return YSG_VERSION_STRING; }

const char *ysg_features(void) {
  return "cpu"
#ifdef YSG_HAVE_CUDA
         " cuda"
#endif
#ifdef YSG_HAVE_QHULL
         " qhull"
#endif
#ifdef YSG_HAVE_FAISS
         " faiss"
#endif
#ifdef YSG_HAVE_FFMPEG
         " ffmpeg"
#endif
#ifdef YSG_HAVE_NVCODEC
         " nvcodec"
#endif
#ifdef YSG_HAVE_DLPACK
         " dlpack"
#endif
#ifdef YSG_HAVE_LIBDEFLATE
         " libdeflate"
#endif
#ifdef YSG_HAVE_OPENEXR
         " openexr"
#endif
#ifdef YSG_HAVE_OPENCV
         " opencv"
#endif
#ifdef _OPENMP
         " openmp"
#endif
      ;
}

static void *default_alloc(void *ud, size_t size, size_t align) {
  (void)ud;
  if (align < sizeof(void *)) align = sizeof(void *);
  void *p = NULL;
  if (posix_memalign(&p, align, size ? size : 1) != 0) return NULL;
  return p;
}
static void default_free(void *ud, void *ptr) {
  (void)ud;
  free(ptr);
}

ysg_status ysg_context_create(const ysg_context_options *opt, ysg_context **out) {
  if (!out) return YSG_ERR_INVALID;
  *out = NULL;
  ysg_context_options o;
  ysg_context_options_init(&o);
  if (opt) { /* a host built against an older header passes a shorter struct */
    if (opt->struct_size < offsetof(ysg_context_options, allocator)) return YSG_ERR_INVALID;
    memcpy(&o, opt, opt->struct_size < sizeof o ? opt->struct_size : sizeof o);
    o.struct_size = sizeof o;
  }
  if (!o.allocator.alloc != !o.allocator.free) return YSG_ERR_INVALID;
  if (!o.allocator.alloc) {
    o.allocator.alloc = default_alloc;
    o.allocator.free = default_free;
  }
  ysg_context *ctx = o.allocator.alloc(o.allocator.ud, sizeof *ctx, 64);
  if (!ctx) return YSG_ERR_NOMEM;
  memset(ctx, 0, sizeof *ctx);
  ctx->refs = 1;
  ctx->alloc = o.allocator;
  ctx->log = o.log;
  ctx->log_ud = o.log_ud;
  ctx->log_level = o.log_level;
  ctx->threads = o.threads > 0 ? o.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (ctx->threads < 1) ctx->threads = 1;
  ysg_status s = ysg__register_builtins(ctx);
  if (s != YSG_OK) {
    ysg_context_destroy(ctx);
    return s;
  }
  *out = ctx;
  return YSG_OK;
}

void ysg__context_ref(ysg_context *ctx) { __atomic_add_fetch(&ctx->refs, 1, __ATOMIC_RELAXED); }

/* Pipelines hold the context: it is freed with the last of them (or now, if none is left). */
void ysg_context_destroy(ysg_context *ctx) {
  if (!ctx) return;
  if (__atomic_sub_fetch(&ctx->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  ysg__pool_destroy(ctx->pool);
  ysg__free(ctx, (void *)ctx->types);
  ysg_allocator a = ctx->alloc;
  a.free(a.ud, ctx);
}

const char *ysg_errmsg(const ysg_context *ctx) { return ctx ? ctx->msg : "no context"; }
ysg_status ysg_errcode(const ysg_context *ctx) { return ctx ? ctx->code : YSG_ERR_INVALID; }

/* the length of the valid UTF-8 sequence at u (2..4), or 0 */
static int utf8_len(const unsigned char *u) {
  if (u[0] >= 0xC2 && u[0] <= 0xDF) return (u[1] & 0xC0) == 0x80 ? 2 : 0;
  if (u[0] >= 0xE0 && u[0] <= 0xEF) {
    int lo = u[0] == 0xE0 ? 0xA0 : 0x80, hi = u[0] == 0xED ? 0x9F : 0xBF; /* no overlongs, */
    return u[1] >= lo && u[1] <= hi && (u[2] & 0xC0) == 0x80 ? 3 : 0;     /* no surrogates */
  }
  if (u[0] >= 0xF0 && u[0] <= 0xF4) {
    int lo = u[0] == 0xF0 ? 0x90 : 0x80, hi = u[0] == 0xF4 ? 0x8F : 0xBF;
    return u[1] >= lo && u[1] <= hi && (u[2] & 0xC0) == 0x80 && (u[3] & 0xC0) == 0x80 ? 4 : 0;
  }
  return 0;
}

/* code points a terminal acts on or that reorder the text around them: C1 controls, the line and
 * paragraph separators and the bidirectional embeddings, overrides and isolates */
static int unsafe_code_point(const unsigned char *u, int len) {
  if (len == 2) return u[0] == 0xC2 && u[1] <= 0x9F;
  if (len == 3 && u[0] == 0xE2 && u[1] == 0x80) return u[2] >= 0xA8 && u[2] <= 0xAE;
  if (len == 3 && u[0] == 0xE2 && u[1] == 0x81) return u[2] >= 0xA6 && u[2] <= 0xA9;
  return 0;
}

void ysg__escape(char *dst, size_t cap, const char *src) {
  size_t n = 0;
  if (!cap) return;
  for (const unsigned char *u = (const unsigned char *)src; *u;) {
    char esc[20];
    size_t len = 0;
    int ulen = *u >= 0x80 ? utf8_len(u) : 0;
    if ((*u >= 0x20 && *u != 0x7F && *u < 0x80) || *u == '\t') { /* a tab moves no line */
      esc[len++] = (char)*u;
    } else if (ulen && !unsafe_code_point(u, ulen)) {
      memcpy(esc, u, (size_t)ulen);
      len = (size_t)ulen;
    } else {
      int k = ulen ? ulen : 1; /* an unsafe code point: all its bytes */
      for (int i = 0; i < k; i++) {
        const char *named = u[i] == '\n' ? "\\n" : u[i] == '\r' ? "\\r" : NULL;
        if (named) {
          memcpy(esc + len, named, 2);
          len += 2;
        } else {
          len += (size_t)snprintf(esc + len, sizeof esc - len, "\\x%02x", u[i]);
        }
      }
      ulen = k;
    }
    if (n + len >= cap) break; /* never half an escape */
    memcpy(dst + n, esc, len);
    n += len;
    u += ulen ? ulen : 1;
  }
  dst[n] = 0;
}

ysg_status ysg__vseterr(ysg_context *ctx, ysg_status s, const char *fmt, va_list ap) {
  if (!ctx) return s;
  char buf[YSG_ERRMSG_CAP]; /* the arguments may point into ctx->msg */
  vsnprintf(buf, sizeof buf, fmt, ap);
  ctx->code = s;
  ysg__escape(ctx->msg, sizeof ctx->msg, buf);
  return s;
}

ysg_status ysg__seterr(ysg_context *ctx, ysg_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ysg__vseterr(ctx, s, fmt, ap);
  va_end(ap);
  return s;
}

void ysg__clearerr(ysg_context *ctx) {
  ctx->code = YSG_OK;
  ctx->msg[0] = 0;
}

void ysg__log(ysg_context *ctx, ysg_log_level level, const char *fmt, ...) {
  if (!ctx || !ctx->log || level < ctx->log_level) return;
  char buf[YSG_ERRMSG_CAP], line[YSG_ERRMSG_CAP];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  ysg__escape(line, sizeof line, buf);
  ctx->log(ctx->log_ud, level, line);
}

void *ysg__alloc_aligned(ysg_context *ctx, size_t bytes, size_t align) {
  void *p = ctx->alloc.alloc(ctx->alloc.ud, bytes ? bytes : 1, align);
  if (!p) ysg__seterr(ctx, YSG_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
  return p;
}

void *ysg__alloc(ysg_context *ctx, size_t bytes) {
  void *p = ysg__alloc_aligned(ctx, bytes, 16);
  if (p) memset(p, 0, bytes ? bytes : 1);
  return p;
}

void *ysg__realloc_array(ysg_context *ctx, void *ptr, size_t old_n, size_t new_n, size_t elem) {
  if (new_n && elem > (size_t)-1 / new_n) {
    ysg__seterr(ctx, YSG_ERR_NOMEM, "array of %zu elements is too large", new_n);
    return NULL;
  }
  void *p = ysg__alloc(ctx, new_n * elem);
  if (!p) return NULL;
  if (ptr) {
    memcpy(p, ptr, (old_n < new_n ? old_n : new_n) * elem);
    ysg__free(ctx, ptr);
  }
  return p;
}

void ysg__free(ysg_context *ctx, void *ptr) {
  if (ptr) ctx->alloc.free(ctx->alloc.ud, ptr);
}

char *ysg__strdup(ysg_context *ctx, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = ysg__alloc(ctx, n);
  if (d) memcpy(d, s, n);
  return d;
}

void ysg__node_prefix(const ysg_node *n, int line, char *buf, size_t cap) {
  snprintf(buf, cap, "%s:%d: node '%s' (%s): ", n->file ? n->file : "?", line > 0 ? line : n->line,
           n->name, n->type->name);
}
