/* ysgraph/dlpack.h — DLPack tensors in and out of a pipeline (needs <dlpack/dlpack.h>, Debian's
 * libdlpack-dev; the library is built with it when `ysg_features()` lists "dlpack").
 *
 * Tensors are validated against what the call expects: dtype, shape (images: the canvas, H × W),
 * strides (image rows may be padded, pixels and channels must be packed) and device; a mismatch
 * fails with YSG_ERR_INVALID and a message naming what was expected and what was given.
 * Devices: kDLCPU and kDLCUDAHost on either backend; kDLCUDA on the CUDA backend (the device the
 * pipeline runs on). Device work is ordered as described at ysg_pipeline_set_cuda_stream. */
#ifndef YSGRAPH_DLPACK_H
#define YSGRAPH_DLPACK_H

#include <dlpack/dlpack.h>

#include "../ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lend an image to the image_in node `node`. format says how to read it and must match the
 * tensor: rgba8/rgb8 uint8 (H, W, 4|3); rgba16/rgb16 uint16; rgba16f_linear float16 (H, W, 4);
 * rgba32f_linear, rgba32f float32 (H, W, 4); rgb32f float32 (H, W, 3); mask float32 (H, W).
 * No copy is made: on success the pipeline owns t and converts its pixels straight into the
 * arena at every following frame (on the CUDA backend a kDLCUDA tensor is read by a kernel, with
 * no trip through the host; a host tensor is converted on the host and uploaded). It calls
 * t->deleter(t) when a later set call on the node replaces it or the pipeline is destroyed.
 * Don't write to the tensor while a frame runs; writing between frames changes the next frame.
 * Non-finite values fail the frame on the CPU and read as 0 on the device. On failure t stays
 * the caller's. */
YSG_API ysg_status ysg_pipeline_set_image_dlpack(ysg_pipeline *p, const char *node,
                                                 ysg_pixel_format format, DLManagedTensor *t);

/* Points for a points_in node: xy float32 (N, 2) (any strides); boxes for a boxes_in node: xywh
 * float32 (N, 4). Copied (kDLCUDA tensors through a synchronous device-to-host copy), as
 * ysg_pipeline_set_points/boxes do; the caller keeps the tensor. */
YSG_API ysg_status ysg_pipeline_set_points_dlpack(ysg_pipeline *p, const char *node,
                                                  const DLTensor *xy);
YSG_API ysg_status ysg_pipeline_set_boxes_dlpack(ysg_pipeline *p, const char *node,
                                                 const DLTensor *xywh);

/* A kept value as a tensor that views the pipeline's memory (no copy): images float16
 * (H, W, 4) linear premultiplied RGBA, with the pixels of tiles left empty this frame zeroed
 * first; points float32 (N, 2) xy; boxes float32 (N, 4) xywh; edges int32 (N, 2); curves
 * float32 (N, S, 2); N is this frame's count. On the CUDA backend values made on the device are
 * kDLCUDA views of the device arena (the frame finished, see ysg_pipeline_set_cuda_stream);
 * host-made values and the CPU backend give kDLCPU views of the host arena.
 * Lifetime: the tensor holds the pipeline's memory — it stays valid after ysg_pipeline_destroy,
 * which frees the memory when the last exported tensor is released — but it shows that memory:
 * the next frame overwrites it. Copy it to keep a frame. Release it with (*out)->deleter(*out)
 * (from any thread; with a host allocator that allocator must then be thread-safe). */
YSG_API ysg_status ysg_pipeline_get_value_dlpack(ysg_pipeline *p, const char *ref,
                                                 DLManagedTensor **out);

/* An image value converted to format into the caller's tensor dst (dtype and shape as for
 * ysg_pipeline_set_image_dlpack; rows may be padded). kDLCPU/kDLCUDAHost: as
 * ysg_pipeline_read_image. kDLCUDA (CUDA backend, device-made images): a kernel converts on the
 * device, ordered as described at ysg_pipeline_set_cuda_stream; the 8/16-bit levels can differ
 * by one from the CPU's where the device's powf rounds differently. Empty tiles read as 0. */
YSG_API ysg_status ysg_pipeline_read_image_dlpack(ysg_pipeline *p, const char *ref,
                                                  ysg_pixel_format format, const DLTensor *dst);

#ifdef __cplusplus
}
#endif
#endif /* YSGRAPH_DLPACK_H */
