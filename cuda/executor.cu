/* executor.cu — the CUDA runtime calls behind the executor (executor_api.h): streams, capturing a
 * segment's launches into a CUDA Graph, instantiating it, updating an instantiated graph in place
 * with cudaGraphExecUpdate (falling back to re-instantiation), replaying it, and memory figures.
 * Nothing here prints or aborts. */
#include <cuda_runtime.h>
#include <stdio.h>

#include "common.cuh"
#include "executor_api.h"

extern "C" ysg_status ysg__cuda_stream_create(void **stream, char *err, size_t errcap) {
  cudaStream_t s = NULL;
  *stream = NULL;
  YSG_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  *stream = (void *)s;
  return YSG_OK;
}

extern "C" void ysg__cuda_stream_destroy(void *stream) {
  if (stream) cudaStreamDestroy((cudaStream_t)stream);
}

extern "C" ysg_status ysg__cuda_malloc_arena(void **d_out, size_t bytes, char *err, size_t errcap) {
  *d_out = NULL;
  cudaError_t e = cudaMalloc(d_out, bytes ? bytes : 1);
  if (e == cudaSuccess) return YSG_OK;
  cudaGetLastError();
  *d_out = NULL;
  ysg_cuda_errfmt(err, errcap, "cudaMalloc", __FILE__, __LINE__, e);
  return e == cudaErrorMemoryAllocation ? YSG_ERR_NOMEM : YSG_ERR_CUDA;
}

extern "C" ysg_status ysg__cuda_capture_begin(void *stream, char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaStreamBeginCapture((cudaStream_t)stream, cudaStreamCaptureModeThreadLocal));
  return YSG_OK;
}

extern "C" int ysg__cuda_capture_ok(void *stream, char *err, size_t errcap) {
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  cudaError_t e = cudaStreamIsCapturing((cudaStream_t)stream, &st);
  if (e != cudaSuccess) {
    ysg_cuda_errfmt(err, errcap, "cudaStreamIsCapturing", __FILE__, __LINE__, e);
    return 0;
  }
  if (st != cudaStreamCaptureStatusActive) {
    if (err && errcap)
      snprintf(err, errcap, "the stream capture was invalidated (%s)",
               st == cudaStreamCaptureStatusInvalidated ? "a call that cannot be captured"
                                                        : "capture ended");
    return 0;
  }
  return 1;
}

extern "C" ysg_status ysg__cuda_capture_end(void *stream, void **graph, char *err, size_t errcap) {
  cudaGraph_t g = NULL;
  *graph = NULL;
  cudaError_t e = cudaStreamEndCapture((cudaStream_t)stream, &g);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (g) cudaGraphDestroy(g);
    ysg_cuda_errfmt(err, errcap, "cudaStreamEndCapture", __FILE__, __LINE__, e);
    return YSG_ERR_CUDA;
  }
  *graph = (void *)g;
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_graph_instantiate(void **exec, void *graph, char *err,
                                                  size_t errcap) {
  cudaGraphExec_t x = NULL;
  *exec = NULL;
  YSG_CUDA_CHECK(cudaGraphInstantiate(&x, (cudaGraph_t)graph, 0));
  *exec = (void *)x;
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_graph_update(void *exec, void *graph, int *updated, char *err,
                                             size_t errcap) {
  cudaGraphExecUpdateResultInfo info;
  *updated = 0;
  cudaError_t e = cudaGraphExecUpdate((cudaGraphExec_t)exec, (cudaGraph_t)graph, &info);
  if (e == cudaSuccess && info.result == cudaGraphExecUpdateSuccess) {
    *updated = 1;
    return YSG_OK;
  }
  cudaGetLastError(); /* a refused update is not an error: the caller re-instantiates */
  (void)err;
  (void)errcap;
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_graph_launch(void *exec, void *stream, char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaGraphLaunch((cudaGraphExec_t)exec, (cudaStream_t)stream));
  return YSG_OK;
}

extern "C" void ysg__cuda_graph_destroy(void *graph) {
  if (graph) cudaGraphDestroy((cudaGraph_t)graph);
}

extern "C" void ysg__cuda_graph_exec_destroy(void *exec) {
  if (exec) cudaGraphExecDestroy((cudaGraphExec_t)exec);
}

extern "C" ysg_status ysg__cuda_launch_error(char *err, size_t errcap) {
  YSG_CUDA_CHECK(cudaGetLastError());
  return YSG_OK;
}

extern "C" ysg_status ysg__cuda_mem_info(size_t *free_bytes, size_t *total_bytes, char *err,
                                         size_t errcap) {
  *free_bytes = *total_bytes = 0;
  YSG_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
  return YSG_OK;
}
