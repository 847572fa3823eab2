/* paths.h — file names every file-reading and file-writing node shares: printf-style frame
 * patterns ("%04d": one validating, non-truncating formatter for png, image sequences, --dump and
 * any later sink), mkdir -p for an output's parent directories, and the sandbox's rules for paths
 * (URL schemes refused, symbolic links kept inside the pipeline or output directory, FFmpeg given
 * a "file:" URL). Messages go into caller buffers; nothing prints. */
#ifndef YSG_PATHS_H
#define YSG_PATHS_H

#include <stddef.h>

#include "ysgraph.h"
#include "ysgraph/node.h"

/* The widest a frame number may be padded: "%016d". Wider patterns are errors (a width is also
 * what a 32-bit frame number can need at most, 11 characters, with room to spare). */
#define YSG_FRAME_WIDTH_MAX 16

/* 1 when pattern holds a frame pattern: '%' [0] [digits] 'd' (valid or too wide); %% is a literal
 * percent sign, not a pattern. */
int ysg__has_frame_pattern(const char *pattern);
/* Check pattern without formatting: at most one frame pattern, of width <= YSG_FRAME_WIDTH_MAX,
 * and no other % sequence than %%. YSG_ERR_INVALID with the reason in err (as the formatter). */
ysg_status ysg__check_frame_pattern(const char *pattern, char *err, size_t errcap);
/* Replace the one frame pattern by frame and %% by %. Errors (YSG_ERR_INVALID): those of
 * ysg__check_frame_pattern, or a result that does not fit in cap (never truncated). Never uses
 * pattern as a printf format. */
ysg_status ysg__format_frame_path(const char *pattern, int frame, char *out, size_t cap, char *err,
                                  size_t errcap);
/* mkdir -p of path's parent directories. Error: "cannot create directory 'DIR': reason". */
ysg_status ysg__mkdirs_for(const char *path, char *err, size_t errcap);

/* ---- sinks that write a file per frame (png, exr) ------------------------------------------ */
/* Without a frame pattern, a second frame of a run would replace the first one's file: that is an
 * error unless overwrite is set. *written: the frame written since the run began (-1: none; reset
 * it in the sink's finish). YSG_OK and *written = frame, or YSG_ERR_PIPELINE with the node's
 * message ("'o.png' has no frame pattern, so frame 1 would replace frame 0's file: number the
 * files (e.g. 'o_%04d.png') or set overwrite = true to keep only the last frame"). */
ysg_status ysg__sink_single_file(ysg_node *n, int path_param, int overwrite, int frame,
                                 int *written);
/* Writer threads, before creating a frame's directories (a pattern in a directory name): with a
 * sandbox root, file's existing directories must not lead out of it (ysg__path_confine). Error
 * YSG_ERR_PIPELINE with "cannot write 'FILE': it leads to 'REAL' through a symbolic link: …". */
ysg_status ysg__confine_frame_dir(const char *root, const char *file, char *err, size_t errcap);

/* ---- the sandbox: what a sandboxed pipeline's paths may reach ------------------------------
 * Paths are plain relative file names (checked when params are resolved, engine/graph.c); these
 * are the pieces that need the file system or FFmpeg's view. */

/* The URL scheme FFmpeg would see at the start of path ("http" for "http://h/x", "file" for
 * "file:x", "subfile" for "subfile,,0,10,:x"): a run of letters, digits, '+', '-' and '.' followed
 * by ':' (or FFmpeg's "subfile," form). Copies it into scheme (cap bytes) and returns 1; 0 when
 * path is a plain file name. */
int ysg__path_url_scheme(const char *path, char *scheme, size_t cap);

/* Where path really is: its longest existing prefix (the whole path when it exists, else the
 * nearest existing parent, so outputs that do not exist yet can be checked), with every symbolic
 * link followed, must be root or lie inside root (also taken with links followed). YSG_OK when it
 * does, or when root does not exist (nothing under it can lead anywhere yet); YSG_ERR_PIPELINE
 * otherwise, with the real location (or "a missing file" for a dangling link) in real. */
ysg_status ysg__path_confine(const char *root, const char *path, char *real, size_t realcap);

/* The URL FFmpeg is handed for a file: "file:" + its absolute path (relative paths are taken from
 * the working directory), so that no part of the name is parsed as a protocol or an option.
 * YSG_ERR_INVALID when it does not fit in cap or the working directory is unknown. */
ysg_status ysg__file_url(const char *path, char *out, size_t cap);

#endif /* YSG_PATHS_H */
