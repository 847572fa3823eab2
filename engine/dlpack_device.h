/* dlpack_device.h — what engine/dlpack.c needs from the CUDA backend (engine/dlpack_device.c):
 * device views of kept values, kernels converting into device tensors, copies from them, and the
 * ordering with the host's stream. Without CUDA these report that the backend is the CPU's. */
#ifndef YSG_DLPACK_DEVICE_H
#define YSG_DLPACK_DEVICE_H

#include "internal.h"

/* 1 when buffer b is made on the device (its current contents are in the device arena) */
int ysg__dlpack_on_device(const ysg_pipeline *p, int b);
/* the CUDA device the pipeline runs on, -1 on the CPU backend */
int ysg__dlpack_device_id(const ysg_pipeline *p);
/* device view of buffer b: arrays are device addresses, count fetched, empty image tiles zeroed
 * on the device; the frame's work is finished (or ordered before the host stream) */
ysg_status ysg__dlpack_device_view(ysg_pipeline *p, int b, const ysg_value **out);
/* image buffer b converted into a device tensor (fmt, rows of stride bytes) */
ysg_status ysg__dlpack_device_read(ysg_pipeline *p, int b, ysg_pixel_format fmt, void *d_dst,
                                   size_t stride);
/* bytes of device memory to the host, after the host stream's work; waits */
ysg_status ysg__dlpack_download(ysg_pipeline *p, void *dst, const void *d_src, size_t bytes);

#endif /* YSG_DLPACK_DEVICE_H */
