/* image_exr.c — the `image` source's file readers (exr_io.h): OpenEXR files told from PNGs by
 * their first bytes and read by nodes/exr_io.cpp, PNGs by engine/png_io.c. Built in every
 * configuration: without OpenEXR an EXR file still gets a message naming what is missing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "exr_io.h"

int ysg__exr_sniff(const char *path, ysg_status *status, char *err, size_t errcap) {
  if (errcap) err[0] = 0;
  *status = YSG_OK;
  FILE *f = fopen(path, "rb");
  if (!f) {
    ysg__strerror(errno, err, errcap);
    *status = YSG_ERR_IO;
    return -1;
  }
  unsigned char b[8];
  size_t got = fread(b, 1, sizeof b, f);
  int e = ferror(f) ? errno : 0;
  fclose(f);
  if (e) {
    ysg__strerror(e, err, errcap);
    *status = YSG_ERR_IO;
    return -1;
  }
  if (got < 4 || b[0] != 0x76 || b[1] != 0x2f || b[2] != 0x31 || b[3] != 0x01) return 0;
  /* the version field: version number in the low byte, then flags (OpenEXR file layout) */
  unsigned version = got == 8 ? b[4] : 0, flags = got == 8 ? (unsigned)b[5] << 8 : 0;
  if (version != 2) {
    snprintf(err, errcap, "OpenEXR version %u is not supported (expected 2)", version);
    *status = YSG_ERR_DATA;
    return -1;
  }
  if (flags & 0x1000u) {
    snprintf(err, errcap, "a multi-part OpenEXR file (image reads single-part files)");
    *status = YSG_ERR_DATA; /* what the file holds: exit code 1, as for any bad input file */
    return -1;
  }
  if (flags & 0x800u) {
    snprintf(err, errcap, "deep OpenEXR data (image reads flat RGBA, RGB or Y images)");
    *status = YSG_ERR_DATA;
    return -1;
  }
  return 1;
}

/* a file that cannot be opened is named by its extension */
static const char *kind_by_name(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot && strcasecmp(dot, ".exr") == 0 ? "EXR" : "PNG";
}

#ifndef YSG_HAVE_OPENEXR
static ysg_status no_openexr(char *err, size_t errcap) {
  snprintf(err, errcap, "an OpenEXR file, but this build has no OpenEXR support");
  return YSG_ERR_UNSUPPORTED;
}
#endif

ysg_status ysg__picture_read(const char *path, const ysg_png_alloc *a, uint16_t **out, int *width,
                             int *height, const char **kind, char *err, size_t errcap) {
  ysg_status s;
  *out = NULL;
  *width = *height = 0;
  int exr = ysg__exr_sniff(path, &s, err, errcap);
  *kind = exr ? "EXR" : "PNG";
  if (exr < 0) {
    *kind = s == YSG_ERR_IO ? kind_by_name(path) : "EXR";
    return s;
  }
  if (!exr && !strcmp(kind_by_name(path), "EXR")) {
    *kind = "EXR";
    snprintf(err, errcap, "not an OpenEXR file");
    return YSG_ERR_DATA;
  }
  if (!exr) {
    void *px = NULL;
    s = ysg__png_read(path, a, YSG_PNG_F16, &px, width, height, err, errcap);
    *out = px;
    return s;
  }
#ifdef YSG_HAVE_OPENEXR
  return ysg__exr_read(path, a, out, width, height, err, errcap);
#else
  (void)a;
  return no_openexr(err, errcap);
#endif
}

ysg_status ysg__picture_decode(ysg_png_decoder *d, int exr, const char *path, uint16_t *out,
                               int width, int height, int *got_w, int *got_h, const char **kind,
                               char *err, size_t errcap) {
  ysg_status s;
  *got_w = *got_h = 0;
  int is_exr = ysg__exr_sniff(path, &s, err, errcap);
  *kind = is_exr ? "EXR" : "PNG";
  if (is_exr < 0) {
    *kind = s == YSG_ERR_IO ? kind_by_name(path) : "EXR";
    return s;
  }
  if (is_exr != exr) {
    *kind = exr ? "EXR" : "PNG";
    snprintf(err, errcap, "%s",
             exr ? "not an OpenEXR file (the sequence's first file is one)"
                 : "an OpenEXR file, but the sequence's first file is a PNG");
    return YSG_ERR_DATA;
  }
  if (!exr) return ysg__png_decode(d, path, YSG_PNG_F16, out, got_w, got_h, err, errcap);
#ifdef YSG_HAVE_OPENEXR
  return ysg__exr_decode(path, out, width, height, got_w, got_h, err, errcap);
#else
  (void)width, (void)height;
  return no_openexr(err, errcap);
#endif
}
