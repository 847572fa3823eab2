/* matte_segment.h — the C face of the `segment` node's OpenCV glue (nodes/matte_segment_cv.cpp,
 * built when CMake finds OpenCV's DNN module: YSG_HAVE_OPENCV): open a user's ONNX model, learn
 * its input and output shapes, run it on one NCHW blob. OpenCV's C++ exceptions stop here and
 * come back as messages that name the model (and the operator OpenCV cannot run). */
#ifndef YSG_MATTE_SEGMENT_H
#define YSG_MATTE_SEGMENT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ysg_seg_model ysg_seg_model;

typedef struct ysg_seg_shape {
  int in_c, in_h, in_w;    /* the blob the model takes (1 × C × H × W) */
  int out_c, out_h, out_w; /* what it gives for it (1 × C × H × W) */
} ysg_seg_shape;

/* Open `path` (shown in messages as `name`). *w, *h: the input size to feed — 0 takes the
 * model's own (it must then be fixed); a size the model fixes otherwise must match. Runs the
 * model once on zeros to learn its output shape. 0 on success, else -1 with the reason. */
int ysg__seg_open(const char *path, const char *name, int w, int h, ysg_seg_model **out,
                  ysg_seg_shape *shape, char *err, size_t errcap);
/* in: in_c × in_h × in_w floats; out: out_c × out_h × out_w floats. 0, or -1 + err. */
int ysg__seg_run(ysg_seg_model *m, const float *in, float *out, char *err, size_t errcap);
void ysg__seg_close(ysg_seg_model *m);
/* "4.6.0": the OpenCV version linked */
const char *ysg__seg_opencv_version(void);

#ifdef __cplusplus
}
#endif
#endif /* YSG_MATTE_SEGMENT_H */
