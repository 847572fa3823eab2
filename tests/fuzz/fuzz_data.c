/* fuzz_data.c — fuzz target: the data readers. The first byte picks a reader, the rest is the
 * file it reads: points, boxes or edges CSV, tracks (auto, MOT or CSV), a PNG through the image
 * node (cropped and whole) and through png_io's decoder directly. A file that loads runs a few
 * frames. Bad data must end in a status and a message: no crash, no sanitizer report, no leak. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "png_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const pipelines[] = {
    "points{path='in.csv', name='n'}\n",
    "boxes{path='in.csv', name='n'}\n",
    "edges{path='in.csv', name='n'}\n",
    "tracks{path='in.csv', name='n'}\n",
    "tracks{path='in.csv', format='mot', name='n'}\n",
    "tracks{path='in.csv', format='csv', first_frame=2, min_conf=0.5, name='n'}\n",
    "canvas{width=48,height=40}\nimage{path='in.png', x=-7, y=5, name='n'}\n",
    "canvas{width=32,height=32,frames=2}\n"
    "image{path='in.png', x=function(f) return f * 3 end, name='n'}\n",
};
#define N_PIPELINES (sizeof pipelines / sizeof pipelines[0])

static void *heap_alloc(void *ud, size_t n) {
  (void)ud;
  return n <= ((size_t)64 << 20) ? malloc(n) : NULL;
}
static void heap_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  unsigned pick = data[0] % (N_PIPELINES + 1);
  const int png = pick >= 6;
  fuzz_write_file(png ? "in.png" : "in.csv", data + 1, size - 1);
  if (pick == N_PIPELINES) { /* png_io directly: the whole image, a part, and the decoder */
    const ysg_png_alloc a = {heap_alloc, heap_free, NULL};
    char err[256];
    void *px = NULL;
    int w, h;
    char path[256];
    fuzz_path("in.png", path, sizeof path);
    if (ysg__png_read(path, &a, YSG_PNG_F32, &px, &w, &h, err, sizeof err) == YSG_OK) free(px);
    ysg_png_rect r = {3, 2, 5, 7};
    px = NULL;
    if (ysg__png_read_rect(path, &a, YSG_PNG_F16, &r, &px, &w, &h, err, sizeof err) == YSG_OK)
      free(px);
    if (ysg__png_info(path, &w, &h, err, sizeof err) == YSG_OK && w <= 512 && h <= 512) {
      ysg_png_decoder d;
      if (ysg__png_decoder_init(&d, &a, w, h, &r) == YSG_OK) {
        void *out = malloc((size_t)r.w * (size_t)r.h * 8 + 8);
        int dw, dh;
        if (out) ysg__png_decode(&d, path, YSG_PNG_F16, out, &dw, &dh, err, sizeof err);
        free(out);
        ysg__png_decoder_free(&d);
      }
    }
    return 0;
  }
  ysg_pipeline *p = NULL;
  if (fuzz_load(pipelines[pick], &p) == YSG_OK) {
    fuzz_run_frames(p, 3);
    ysg_pipeline_destroy(p);
  }
  return 0;
}
