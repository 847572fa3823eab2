/* video_io.h — small FFmpeg helpers shared by the video nodes (video_in, video_out): AVERROR
 * text, codec / pixel-format / colour names, the Y'CbCr matrix and range a stream gets when its
 * tags are missing, and the routing of FFmpeg's log messages to the owning node's log (the
 * library never prints). Compiled only with FFmpeg (YSG_HAVE_FFMPEG). */
#ifndef YSG_VIDEO_IO_H
#define YSG_VIDEO_IO_H

#ifdef YSG_HAVE_FFMPEG
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixfmt.h>
#include <stddef.h>

#include "ysgraph/node.h"

/* The status an FFmpeg error code maps to: errno-style failures of the file system (a missing or
 * unreadable file) are YSG_ERR_IO; anything FFmpeg found wrong with the data (not a media file,
 * damaged, a zero-byte file) is YSG_ERR_DATA, like a bad PNG or CSV file. */
ysg_status ysg__av_status(int averror);

/* Reading media in a sandboxed pipeline. ysg__av_open_input hands FFmpeg "file:" + the absolute
 * path with the file protocol only (protocol_whitelist), probes the demuxer before it reads and
 * refuses the ones that open other files on their own (playlists and lists: hls, dash, concat,
 * imf, sdp, image2 patterns, …), and routes every open FFmpeg makes for this context through the
 * guard, which refuses any file whose real location leaves root. The guard is the context's
 * opaque, so it is also the key FFmpeg's log messages are routed by (ysg__av_log_bind). */
typedef struct ysg_av_guard {
  unsigned magic;
  const char *root; /* the directory every file must stay in; NULL: not sandboxed (--unsafe) */
  int (*io_open)(struct AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                 AVDictionary **options); /* FFmpeg's own, called for what the guard lets by */
  AVIOContext *pb;                        /* the probed input, ours to close (custom I/O) */
  char refused[512];  /* the first file refused, or the refused demuxer: for messages */
  int refused_format; /* refused is a demuxer's name */
} ysg_av_guard;

/* *fmt: allocated by the caller with opaque = g. Opens path (with root NULL, a path that starts
 * with a URL scheme is handed to FFmpeg as written). Returns FFmpeg's code; AVERROR(EPERM) when
 * the guard refused, with g->refused saying what. On failure *fmt is freed (FFmpeg's rule). */
int ysg__av_open_input(AVFormatContext **fmt, const char *path, ysg_av_guard *g, const char *root);
/* avformat_close_input, then the guard's own input (custom I/O). */
void ysg__av_close_input(AVFormatContext **fmt, ysg_av_guard *g);

/* av_strerror's text for an AVERROR code, in buf (returned). */
const char *ysg__av_err(int averror, char *buf, size_t cap);

/* Matrix (YSG_YUV_*) of a stream from its tag; untagged: BT.601 below 720 lines, else BT.709. */
int ysg__video_matrix(enum AVColorSpace cs, int height);
/* 1: full range ("pc"/JPEG: tagged so, or a yuvj* format); untagged: limited. */
/* YSG_TRC_* of a transfer tag: PQ (SMPTE ST 2084), HLG (ARIB STD-B67); every other tag,
 * untagged included, is SDR and decoded with the sRGB curve. */
int ysg__video_transfer(enum AVColorTransferCharacteristic trc);
int ysg__video_full_range(enum AVColorRange range, enum AVPixelFormat fmt);
const char *ysg__video_matrix_name(int matrix); /* "BT.601", "BT.709", "BT.2020" */
/* Chroma siting within its sample block as ysg_yuv_params wants it (0 left/top, 0.5 centre,
 * 1 bottom); untagged: MPEG-2/H.264 style (left, vertically centred). */
void ysg__video_chroma_site(enum AVChromaLocation loc, float *x, float *y);
/* A stream in a few words for messages, e.g. "h264 (High) 1920×1080 yuv420p". */
void ysg__video_describe(const AVCodecParameters *par, char *buf, size_t cap);

/* FFmpeg logs through one process-wide callback. The first call installs ysgraph's: messages of
 * contexts bound here go to their node's log at YSG_LOG_DEBUG ("ffmpeg: …"); all others go to
 * FFmpeg's default callback, as before. Bind an AVCodecContext / AVFormatContext by setting its
 * `opaque` to `key` (any address the node owns) and binding key; a SwsContext by its own
 * address. Unbind before freeing. At most 64 keys at a time; past that, messages go to the
 * default callback. The callback stays installed for the life of the process (a host that
 * unloads libysgraph with dlclose must reset it with av_log_set_callback first). */
void ysg__av_log_bind(const void *key, const ysg_node *n);
void ysg__av_log_unbind(const void *key);

#endif /* YSG_HAVE_FFMPEG */
#endif /* YSG_VIDEO_IO_H */
