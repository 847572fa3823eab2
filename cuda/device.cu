/* device.cu — the CUDA device probe (is there a device this build's kernels can run on, and if
 * not, why) and the device-memory helpers declared in cuda_api.h. Failures are returned with a
 * message; nothing here prints or aborts. */
#include <cuda_runtime.h>
#include <stdio.h>

#include "common.cuh"
#include "cuda_api.h"

#define YSG_STR2(...) #__VA_ARGS__
#define YSG_STR(...) YSG_STR2(__VA_ARGS__)
#if defined(__CUDA_ARCH_LIST__)
#define YSG_ARCH_LIST YSG_STR(__CUDA_ARCH_LIST__)
#else
#define YSG_ARCH_LIST "unknown"
#endif

/* Launch-free: only asked for its attributes, which fails when no kernel image fits the device. */
__global__ void probe_kernel(int *flag) {
  if (flag) *flag = 1;
}

/* Declared in engine/internal.h, which has no extern "C" block, so it is not included here. */
extern "C" int ysg__cuda_probe(char *msg, size_t cap) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError(); /* reset the last-error state so later calls start clean */
    int drv = 0, rt = 0;
    cudaDriverGetVersion(&drv); /* 0: no driver is installed */
    cudaRuntimeGetVersion(&rt);
    if (!msg || !cap) return 0;
    /* worded for what happened: without a driver the runtime says "insufficient driver" */
    if (e == cudaErrorInsufficientDriver && drv == 0)
      snprintf(msg, cap, "no NVIDIA driver found");
    else if (e == cudaErrorInsufficientDriver)
      snprintf(msg, cap, "the NVIDIA driver supports CUDA %d.%d, older than this build's %d.%d",
               drv / 1000, drv % 1000 / 10, rt / 1000, rt % 1000 / 10);
    else if (e == cudaErrorNoDevice)
      snprintf(msg, cap, "no NVIDIA GPU found");
    else
      snprintf(msg, cap, "CUDA is unavailable: %s", cudaGetErrorString(e));
    return 0;
  }
  if (count <= 0) {
    if (msg && cap) snprintf(msg, cap, "no NVIDIA GPU found");
    return 0;
  }
  int dev = 0;
  cudaDeviceProp prop;
  e = cudaGetDevice(&dev);
  if (e == cudaSuccess) e = cudaGetDeviceProperties(&prop, dev);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (msg && cap) snprintf(msg, cap, "no usable CUDA device: %s", cudaGetErrorString(e));
    return 0;
  }
  cudaFuncAttributes fa;
  e = cudaFuncGetAttributes(&fa, probe_kernel);
  if (e == cudaSuccess) e = cudaFree(0); /* creates the context: driver and device really work */
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (msg && cap)
      snprintf(msg, cap,
               "no usable CUDA device: device %d (%s, compute capability %d.%d): %s (this build "
               "has kernels for compute capabilities %s)",
               dev, prop.name, prop.major, prop.minor, cudaGetErrorString(e), YSG_ARCH_LIST);
    return 0;
  }
  if (msg && cap)
    snprintf(msg, cap, "CUDA device %d: %s, compute capability %d.%d, %.1f GiB", dev, prop.name,
             prop.major, prop.minor, (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0));
  return 1;
}

extern "C" ysg_status ysg__cuda_malloc(void **d_out, size_t bytes, char *err, size_t errcap) {
  *d_out = NULL;
  YSG_CUDA_CHECK(cudaMalloc(d_out, bytes ? bytes : 1));
  return YSG_OK;
}

extern "C" void ysg__cuda_free(void *d_ptr) {
  if (d_ptr) cudaFree(d_ptr);
}

extern "C" ysg_status ysg__cuda_upload(void *d_dst, const void *src, size_t bytes, void *stream,
                                       char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaMemcpyAsync(d_dst, src, bytes, cudaMemcpyHostToDevice, (cudaStream_t)stream));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_download(void *dst, const void *d_src, size_t bytes, void *stream,
                                         char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaMemcpyAsync(dst, d_src, bytes, cudaMemcpyDeviceToHost, (cudaStream_t)stream));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_sync(void *stream, char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaStreamSynchronize((cudaStream_t)stream));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_copy(void *d_dst, const void *d_src, size_t bytes, void *stream,
                                     char *err, size_t errcap) {
  YSG_CUDA_CHECK(
      cudaMemcpyAsync(d_dst, d_src, bytes, cudaMemcpyDeviceToDevice, (cudaStream_t)stream));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_memset(void *d_dst, int value, size_t bytes, void *stream,
                                       char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaMemsetAsync(d_dst, value, bytes, (cudaStream_t)stream));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_host_alloc(void **out, size_t bytes, char *err, size_t errcap) {
  *out = NULL;
  YSG_CUDA_CHECK(cudaHostAlloc(out, bytes ? bytes : 1, cudaHostAllocDefault));
  return YSG_OK;
}

extern "C" void ysg__cuda_host_free(void *ptr) {
  if (ptr) cudaFreeHost(ptr);
}

extern "C" ysg_status ysg__cuda_event_create(void **ev, int timing, char *err, size_t errcap) {
  cudaEvent_t e = NULL;
  *ev = NULL;
  YSG_CUDA_CHECK(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
  *ev = (void *)e;
  return YSG_OK;
}

extern "C" void ysg__cuda_event_destroy(void *ev) {
  if (ev) cudaEventDestroy((cudaEvent_t)ev);
}

extern "C" ysg_status ysg__cuda_event_record(void *ev, void *stream, char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaEventRecord((cudaEvent_t)ev, (cudaStream_t)stream));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_event_sync(void *ev, char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaEventSynchronize((cudaEvent_t)ev));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_event_ms(void *start, void *end, float *ms, char *err,
                                         size_t errcap) {
  *ms = 0;
  YSG_CUDA_CHECK(cudaEventElapsedTime(ms, (cudaEvent_t)start, (cudaEvent_t)end));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_copy2d(void *d_dst, size_t dst_pitch, const void *d_src,
                                       size_t src_pitch, size_t row_bytes, size_t rows,
                                       void *stream, char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaMemcpy2DAsync(d_dst, dst_pitch, d_src, src_pitch, row_bytes, rows,
                                   cudaMemcpyDeviceToDevice, (cudaStream_t)stream));
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_stream_wait(void *stream, void *ev, char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaStreamWaitEvent((cudaStream_t)stream, (cudaEvent_t)ev, 0));
  return YSG_OK;
}
