/* executor_api.h — the plain C face of the CUDA calls the executor (engine/exec_device.c) makes:
 * streams, stream capture into CUDA Graphs, instantiation, in-place update and replay, and device
 * memory figures. Handles are void * (cudaStream_t, cudaGraph_t, cudaGraphExec_t). Each call
 * returns YSG_OK, or YSG_ERR_CUDA (YSG_ERR_NOMEM for out-of-memory) with "CALL failed at
 * FILE:LINE: REASON" in err. */
#ifndef YSG_EXECUTOR_API_H
#define YSG_EXECUTOR_API_H

#include <stddef.h>

#include "ysgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

ysg_status ysg__cuda_stream_create(void **stream, char *err, size_t errcap);
void ysg__cuda_stream_destroy(void *stream); /* NULL is fine */
/* cudaMalloc that reports out-of-memory as YSG_ERR_NOMEM (so backend auto can fall back) */
ysg_status ysg__cuda_malloc_arena(void **d_out, size_t bytes, char *err, size_t errcap);
/* Begin capturing stream into a graph (thread-local mode: other threads' CUDA calls are not
 * affected). */
ysg_status ysg__cuda_capture_begin(void *stream, char *err, size_t errcap);
/* 1 while the capture is still valid; 0 once a call broke it (reason in err) */
int ysg__cuda_capture_ok(void *stream, char *err, size_t errcap);
/* End the capture; *graph is NULL when it was broken (reason in err, YSG_ERR_CUDA). */
ysg_status ysg__cuda_capture_end(void *stream, void **graph, char *err, size_t errcap);
ysg_status ysg__cuda_graph_instantiate(void **exec, void *graph, char *err, size_t errcap);
/* Apply graph's parameters to exec in place when the topology allows: *updated 1 on success,
 * 0 when exec must be re-instantiated (not an error). */
ysg_status ysg__cuda_graph_update(void *exec, void *graph, int *updated, char *err, size_t errcap);
ysg_status ysg__cuda_graph_launch(void *exec, void *stream, char *err, size_t errcap);
void ysg__cuda_graph_destroy(void *graph);     /* NULL is fine */
void ysg__cuda_graph_exec_destroy(void *exec); /* NULL is fine */
/* a kernel launch error left behind by the last launches (cudaGetLastError) */
ysg_status ysg__cuda_launch_error(char *err, size_t errcap);
ysg_status ysg__cuda_mem_info(size_t *free_bytes, size_t *total_bytes, char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif /* YSG_EXECUTOR_API_H */
