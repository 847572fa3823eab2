/* paths.c — frame patterns in file names, mkdir -p, and the sandbox's rules for the paths that
 * nodes read and write (see paths.h). */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "png_io.h"

/* ---- frame patterns ------------------------------------------------------------------------ */
enum { PCT_LITERAL, PCT_FRAME, PCT_BAD };

/* Parse the % sequence at s (s[0] == '%'). Returns its length; *kind PCT_*; for a frame pattern
 * *zero (the 0 flag) and *width (digits read in full, saturating at 1000 so that "%99999999999d"
 * cannot overflow). A bad sequence includes its offending character, for the message. */
static int parse_pct(const char *s, int *kind, int *zero, int *width) {
  int i = 1;
  *zero = 0;
  *width = 0;
  if (s[1] == '%') {
    *kind = PCT_LITERAL;
    return 2;
  }
  if (s[i] == '0') *zero = 1, i++;
  for (; s[i] >= '0' && s[i] <= '9'; i++)
    if (*width < 1000) *width = *width * 10 + (s[i] - '0');
  if (s[i] == 'd') {
    *kind = PCT_FRAME;
    return i + 1;
  }
  *kind = PCT_BAD;
  return s[i] ? i + 1 : i;
}

int ysg__has_frame_pattern(const char *pattern) {
  for (const char *c = pattern; *c; c++) {
    if (*c != '%') continue;
    int kind, zero, width;
    int len = parse_pct(c, &kind, &zero, &width);
    if (kind == PCT_FRAME) return 1;
    c += len - 1;
  }
  return 0;
}

/* Walk the pattern; with out != NULL also write the result (cap bytes, never truncated). */
static ysg_status walk(const char *pattern, int frame, char *out, size_t cap, char *err,
                       size_t errcap) {
  char dummy[1];
  if (!err || !errcap) err = dummy, errcap = sizeof dummy;
  err[0] = 0;
  size_t o = 0;
  const char *first = NULL;
  int first_len = 0;
  for (const char *c = pattern; *c;) {
    /* a piece holds one literal character or a frame number: YSG_FRAME_WIDTH_MAX characters of
     * padding, or the 11 of "-2147483648" */
    char piece[YSG_FRAME_WIDTH_MAX + 16];
    size_t plen = 1;
    if (*c != '%') {
      piece[0] = *c++;
    } else {
      int kind, zero, width;
      int len = parse_pct(c, &kind, &zero, &width);
      if (kind == PCT_BAD) {
        snprintf(err, errcap,
                 "unsupported pattern '%.*s' (a frame number is written %%d, %%04d or %%5d; a "
                 "percent sign %%%%)",
                 len, c);
        return YSG_ERR_INVALID;
      }
      if (kind == PCT_LITERAL) {
        piece[0] = '%';
      } else {
        if (first) {
          snprintf(err, errcap,
                   "only one %%d-style frame pattern is allowed, found '%.*s' and '%.*s'",
                   first_len, first, len, c);
          return YSG_ERR_INVALID;
        }
        if (width > YSG_FRAME_WIDTH_MAX) {
          snprintf(err, errcap,
                   "frame pattern '%.*s' is too wide (a width of at most %d, e.g. %%0%dd)", len, c,
                   YSG_FRAME_WIDTH_MAX, YSG_FRAME_WIDTH_MAX);
          return YSG_ERR_INVALID;
        }
        first = c;
        first_len = len;
        int n = snprintf(piece, sizeof piece, zero ? "%0*d" : "%*d", width, frame);
        if (n < 0 || (size_t)n >= sizeof piece) { /* cannot happen with the bounds above */
          snprintf(err, errcap, "frame pattern '%.*s': cannot format frame %d", len, c, frame);
          return YSG_ERR_INVALID;
        }
        plen = (size_t)n;
      }
      c += len;
    }
    if (!out) continue;
    if (o + plen >= cap) {
      snprintf(err, errcap, "path is too long (more than %zu bytes)", cap ? cap - 1 : 0);
      return YSG_ERR_INVALID;
    }
    memcpy(out + o, piece, plen);
    o += plen;
  }
  if (out && cap) out[o] = 0;
  return YSG_OK;
}

ysg_status ysg__check_frame_pattern(const char *pattern, char *err, size_t errcap) {
  return walk(pattern, 0, NULL, 0, err, errcap);
}

ysg_status ysg__format_frame_path(const char *pattern, int frame, char *out, size_t cap, char *err,
                                  size_t errcap) {
  if (!out || !cap) {
    if (err && errcap) snprintf(err, errcap, "no room for the path");
    return YSG_ERR_INVALID;
  }
  out[0] = 0;
  return walk(pattern, frame, out, cap, err, errcap);
}

/* ---- directories ---------------------------------------------------------------------------- */
ysg_status ysg__mkdirs_for(const char *path, char *err, size_t errcap) {
  char buf[4096];
  char why[128];
  size_t len = strlen(path);
  if (len >= sizeof buf) {
    snprintf(err, errcap, "path is too long (more than %zu bytes)", sizeof buf - 1);
    return YSG_ERR_INVALID;
  }
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i < len; i++) {
    if (buf[i] != '/' || buf[i - 1] == '/') continue;
    buf[i] = 0;
    const char *last = strrchr(buf, '/');
    last = last ? last + 1 : buf;
    int skip = strcmp(last, ".") == 0 || strcmp(last, "..") == 0;
    if (!skip && mkdir(buf, 0777) != 0) {
      int e = errno;
      struct stat st;
      if (e == EEXIST && stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* already there */
      } else {
        if (e == EEXIST) e = ENOTDIR;
        snprintf(err, errcap, "cannot create directory '%s': %s", buf,
                 ysg__strerror(e, why, sizeof why));
        return YSG_ERR_IO;
      }
    }
    buf[i] = '/';
  }
  return YSG_OK;
}

/* ---- sinks that write a file per frame ------------------------------------------------------ */
/* "name_%04d.png" for "dir/name.png": the pattern the message suggests. */
static void suggest_pattern(const char *path, char *out, size_t cap) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  if (!dot || dot == base) dot = base + strlen(base);
  snprintf(out, cap, "%.*s_%%04d%s", (int)(dot - base), base, dot);
}

ysg_status ysg__sink_single_file(ysg_node *n, int path_param, int overwrite, int frame,
                                 int *written) {
  const char *path = ysg_node_string(n, path_param);
  if (overwrite || ysg__has_frame_pattern(path)) return YSG_OK;
  if (*written >= 0 && *written != frame) {
    char hint[512];
    suggest_pattern(path, hint, sizeof hint);
    return ysg_node_param_fail(n, path_param, YSG_ERR_PIPELINE,
                               "'%s' has no frame pattern, so frame %d would replace frame %d's "
                               "file: number the files (e.g. '%s') or set overwrite = true to keep "
                               "only the last frame",
                               path, frame, *written, hint);
  }
  *written = frame;
  return YSG_OK;
}

ysg_status ysg__confine_frame_dir(const char *root, const char *file, char *err, size_t errcap) {
  char real[1024];
  if (!root || ysg__path_confine(root, file, real, sizeof real) == YSG_OK) return YSG_OK;
  snprintf(err, errcap,
           "cannot write '%s': it leads to '%s' through a symbolic link: sandboxed pipelines may "
           "not leave the output directory (run with --unsafe to allow it)",
           file, real);
  return YSG_ERR_PIPELINE;
}

/* ---- the sandbox ---------------------------------------------------------------------------- */
int ysg__path_url_scheme(const char *path, char *scheme, size_t cap) {
  static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.";
  size_t n = strspn(path, chars);
  int url = n > 0 && path[n] == ':';
  if (!url && strncmp(path, "subfile,", 8) == 0 && strchr(path + 8, ':')) url = 1, n = 7;
  if (url && scheme && cap) snprintf(scheme, cap, "%.*s", (int)n, path);
  return url;
}

/* 1 when real (an absolute, link-free path) is root or lies under it */
static int inside(const char *real, const char *root) {
  size_t n = strlen(root);
  if (n == 1 && root[0] == '/') return 1;
  return strncmp(real, root, n) == 0 && (real[n] == 0 || real[n] == '/');
}

ysg_status ysg__path_confine(const char *root, const char *path, char *real, size_t realcap) {
  char rroot[PATH_MAX], buf[PATH_MAX], rp[PATH_MAX];
  if (real && realcap) real[0] = 0;
  if (!realpath(root, rroot)) return YSG_OK;
  size_t len = strlen(path);
  if (len == 0) return YSG_OK;
  if (len >= sizeof buf) {
    if (real && realcap) snprintf(real, realcap, "a path longer than %d bytes", PATH_MAX - 1);
    return YSG_ERR_PIPELINE;
  }
  memcpy(buf, path, len + 1);
  /* the longest prefix that exists (lstat: a dangling link exists too) */
  struct stat st;
  while (lstat(buf, &st) != 0) {
    char *slash = strrchr(buf, '/');
    while (slash && slash > buf && slash[-1] == '/') slash--; /* "a//b" */
    if (!slash) {
      snprintf(buf, sizeof buf, ".");
      break;
    }
    if (slash == buf) {
      snprintf(buf, sizeof buf, "/");
      break;
    }
    *slash = 0;
  }
  if (!realpath(buf, rp)) {
    if (real && realcap) snprintf(real, realcap, "a missing file");
    return YSG_ERR_PIPELINE;
  }
  if (inside(rp, rroot)) return YSG_OK;
  if (real && realcap) snprintf(real, realcap, "%s", rp);
  return YSG_ERR_PIPELINE;
}

ysg_status ysg__file_url(const char *path, char *out, size_t cap) {
  int n;
  if (path[0] == '/') {
    n = snprintf(out, cap, "file:%s", path);
  } else {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return YSG_ERR_INVALID;
    const char *rel = path;
    while (rel[0] == '.' && rel[1] == '/') rel += 2; /* "./x" */
    n = snprintf(out, cap, "file:%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", rel);
  }
  return n < 0 || (size_t)n >= cap ? YSG_ERR_INVALID : YSG_OK;
}
