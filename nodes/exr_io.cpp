/* exr_io.cpp — OpenEXR reading and writing for exr_io.h through OpenEXR's C++ API. Writing goes
 * through an OStream over the atomic temporary file (png_io.h), so OpenEXR never names a file of
 * its own; reading uses RgbaInputFile, which turns RGB(A), Y(A) and luminance/chroma files with
 * half or float channels into half RGBA. No exception leaves this file: each entry point catches
 * and returns a status with OpenEXR's reason. */
#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfIO.h>
#include <ImfOutputFile.h>
#include <ImfRgbaFile.h>
#include <ImfThreading.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "exr_io.h"

static_assert(sizeof(Imf::Rgba) == 8, "Imf::Rgba is four halves");

namespace {

/* OpenEXR writes through this onto the atomic file's FILE; the errno of a failed call is kept so
 * the message is the system's ("No space left on device"). */
class FileOStream : public Imf::OStream {
 public:
  FileOStream(FILE *f, const char *name) : Imf::OStream(name), f_(f) {}
  void write(const char c[], int n) override {
    if (fwrite(c, 1, (size_t)n, f_) != (size_t)n) fail();
  }
  uint64_t tellp() override {
    off_t p = ftello(f_);
    if (p < 0) fail();
    return (uint64_t)p;
  }
  void seekp(uint64_t pos) override {
    if (fseeko(f_, (off_t)pos, SEEK_SET) != 0) fail();
  }
  int error = 0;

 private:
  [[noreturn]] void fail() {
    error = errno ? errno : EIO;
    char buf[128];
    throw std::runtime_error(ysg__strerror(error, buf, sizeof buf));
  }
  FILE *f_;
};

void put_err(char *err, size_t cap, const char *what) {
  if (cap) snprintf(err, cap, "%s", what && what[0] ? what : "unknown OpenEXR error");
}

/* The channel names of a header, for messages: "Z, depth.V". */
std::string channel_list(const Imf::Header &h) {
  std::string s;
  for (Imf::ChannelList::ConstIterator i = h.channels().begin(); i != h.channels().end(); ++i) {
    if (!s.empty()) s += ", ";
    s += i.name();
  }
  return s.empty() ? std::string("none") : s;
}

/* Read path's display window into dst (w×h pixels when w > 0; otherwise *alloc_out allocates). */
ysg_status load(const char *path, const ysg_png_alloc *a, uint16_t **alloc_out, uint16_t *dst,
                int want_w, int want_h, int *out_w, int *out_h, char *err, size_t cap) {
  ysg_status status = YSG_OK;
  if (ysg__exr_sniff(path, &status, err, cap) != 1)
    return status != YSG_OK ? status : (put_err(err, cap, "not an OpenEXR file"), YSG_ERR_DATA);
  try {
    Imf::RgbaInputFile in(path, Imf::globalThreadCount());
    if (!(in.channels() & (Imf::WRITE_R | Imf::WRITE_G | Imf::WRITE_B | Imf::WRITE_Y))) {
      std::string m = "no R, G, B or Y channel (channels: " + channel_list(in.header()) + ")";
      put_err(err, cap, m.c_str());
      return YSG_ERR_DATA;
    }
    const Imath::Box2i disp = in.displayWindow(), dw = in.dataWindow();
    const int64_t w64 = (int64_t)disp.max.x - disp.min.x + 1,
                  h64 = (int64_t)disp.max.y - disp.min.y + 1;
    if (w64 <= 0 || h64 <= 0 || w64 > 65535 || h64 > 65535 || w64 * h64 > ((int64_t)1 << 28)) {
      char m[160];
      snprintf(m, sizeof m,
               "the display window is %lldx%lld pixels (at most 65535x65535 and 2^28 "
               "pixels)",
               (long long)w64, (long long)h64);
      put_err(err, cap, m);
      return YSG_ERR_DATA;
    }
    const int w = (int)w64, h = (int)h64;
    *out_w = w, *out_h = h;
    if (want_w > 0 && (w != want_w || h != want_h)) {
      char m[160];
      snprintf(m, sizeof m, "the image is %dx%d, expected %dx%d", w, h, want_w, want_h);
      put_err(err, cap, m);
      return YSG_ERR_DATA;
    }
    if (!dst) {
      dst = (uint16_t *)a->alloc(a->ud, (size_t)w * (size_t)h * 8);
      if (!dst) {
        put_err(err, cap, "out of memory");
        return YSG_ERR_NOMEM;
      }
    }
    const int dw_w = dw.max.x - dw.min.x + 1, dw_h = dw.max.y - dw.min.y + 1;
    Imf::Rgba *px = reinterpret_cast<Imf::Rgba *>(dst);
    std::vector<Imf::Rgba> tmp;
    if (dw == disp) { /* the common case: straight into dst */
      uintptr_t base = (uintptr_t)px - ((uintptr_t)(intptr_t)dw.min.x +
                                        (uintptr_t)(intptr_t)dw.min.y * (uintptr_t)w) *
                                           sizeof(Imf::Rgba);
      in.setFrameBuffer(reinterpret_cast<Imf::Rgba *>(base), 1, (size_t)w);
      in.readPixels(dw.min.y, dw.max.y);
    } else { /* the data window elsewhere: read it whole, copy what lies in the picture */
      if (dw_w <= 0 || dw_h <= 0 || (int64_t)dw_w * dw_h > ((int64_t)1 << 28)) {
        put_err(err, cap, "the data window is empty or too large");
        if (alloc_out) a->free(a->ud, dst);
        return YSG_ERR_DATA;
      }
      tmp.resize((size_t)dw_w * (size_t)dw_h);
      uintptr_t base = (uintptr_t)tmp.data() - ((uintptr_t)(intptr_t)dw.min.x +
                                                (uintptr_t)(intptr_t)dw.min.y * (uintptr_t)dw_w) *
                                                   sizeof(Imf::Rgba);
      in.setFrameBuffer(reinterpret_cast<Imf::Rgba *>(base), 1, (size_t)dw_w);
      in.readPixels(dw.min.y, dw.max.y);
      memset(dst, 0, (size_t)w * (size_t)h * 8);
      for (int y = disp.min.y; y <= disp.max.y; y++) {
        if (y < dw.min.y || y > dw.max.y) continue;
        int x0 = dw.min.x > disp.min.x ? dw.min.x : disp.min.x;
        int x1 = dw.max.x < disp.max.x ? dw.max.x : disp.max.x;
        if (x0 > x1) continue;
        memcpy(px + (size_t)(y - disp.min.y) * w + (x0 - disp.min.x),
               tmp.data() + (size_t)(y - dw.min.y) * dw_w + (x0 - dw.min.x),
               (size_t)(x1 - x0 + 1) * sizeof(Imf::Rgba));
      }
    }
    if (alloc_out) *alloc_out = dst;
    return YSG_OK;
  } catch (const std::exception &e) {
    put_err(err, cap, e.what());
  } catch (...) {
    put_err(err, cap, "unknown OpenEXR error");
  }
  if (alloc_out && dst) a->free(a->ud, dst);
  return YSG_ERR_DATA;
}

}  // namespace

extern "C" ysg_status ysg__exr_read(const char *path, const ysg_png_alloc *a, uint16_t **out,
                                    int *width, int *height, char *err, size_t errcap) {
  *out = NULL;
  *width = *height = 0;
  int w = 0, h = 0;
  ysg_status s = load(path, a, out, NULL, 0, 0, &w, &h, err, errcap);
  if (s == YSG_OK) *width = w, *height = h;
  return s;
}

extern "C" ysg_status ysg__exr_decode(const char *path, uint16_t *dst, int width, int height,
                                      int *got_w, int *got_h, char *err, size_t errcap) {
  *got_w = *got_h = 0;
  return load(path, NULL, NULL, dst, width, height, got_w, got_h, err, errcap);
}

extern "C" ysg_status ysg__exr_write(const char *path, const uint16_t *px, int width, int height,
                                     size_t stride, int compression, float dwa_level, char *err,
                                     size_t errcap) {
  if (width <= 0 || height <= 0 || compression < 0 || compression >= Imf::NUM_COMPRESSION_METHODS) {
    snprintf(err, errcap, "cannot write '%s': invalid image (%dx%d, compression %d)", path, width,
             height, compression);
    return YSG_ERR_INVALID;
  }
  if (!stride) stride = (size_t)width * 8;
  ysg_atomic_file af;
  ysg_status s = ysg__atomic_open(&af, path, err, errcap);
  if (s) return s;
  std::string why;
  try {
    FileOStream os(af.f, path);
    Imf::Header hdr(width, height);
    hdr.compression() = (Imf::Compression)compression;
    hdr.dwaCompressionLevel() = dwa_level;
    static const char *const names[4] = {"R", "G", "B", "A"};
    Imf::FrameBuffer fb;
    char *base = (char *)const_cast<uint16_t *>(px);
    for (int c = 0; c < 4; c++) {
      hdr.channels().insert(names[c], Imf::Channel(Imf::HALF));
      fb.insert(names[c], Imf::Slice(Imf::HALF, base + 2 * c, 8, stride));
    }
    {
      Imf::OutputFile out(os, hdr, Imf::globalThreadCount());
      out.setFrameBuffer(fb);
      out.writePixels(height);
    } /* the destructor writes the chunk offsets; a failure there shows as the stream's error */
  } catch (const std::exception &e) {
    why = e.what();
  } catch (...) {
    why = "unknown OpenEXR error";
  }
  if (!why.empty()) {
    ysg__atomic_abort(&af);
    snprintf(err, errcap, "cannot write '%s': %s", path, why.c_str());
    return YSG_ERR_IO;
  }
  return ysg__atomic_commit(&af, err, errcap);
}

extern "C" int ysg__exr_threads(int threads) {
  try {
    if (Imf::globalThreadCount() < threads) Imf::setGlobalThreadCount(threads);
    return Imf::globalThreadCount();
  } catch (...) {
    return 0;
  }
}
