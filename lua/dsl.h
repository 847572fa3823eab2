/* dsl.h — the Lua pipeline DSL: canvas{}, param(), one constructor per registered node type,
 * node/port handles, --set defines, and the param source that evaluates animated parameters each
 * frame. The public entry points are ysg_pipeline_load_file / ysg_pipeline_load_string
 * (include/ysgraph.h); both come down to ysg__dsl_load. */
#ifndef YSG_LUA_DSL_H
#define YSG_LUA_DSL_H

#include <stddef.h>

#include "internal.h"

/* Run source (len bytes, text) as a pipeline script named chunk (as shown in messages and kept as
 * the pipeline's file: "test.lua", or a path as given). Input paths resolve from the file's
 * directory when from_file, else from ".". opt is not NULL and its limits are already resolved
 * (non-zero). On failure the message is on ctx, nothing is left allocated and *out is NULL. */
ysg_status ysg__dsl_load(ysg_context *ctx, const char *source, size_t len, const char *chunk,
                         int from_file, const ysg_load_options *opt, ysg_pipeline **out);

#endif /* YSG_LUA_DSL_H */
