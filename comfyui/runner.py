"""runner.py — what the pack's nodes share: finding the ysgraph package, a cache of loaded
pipelines (reused while the Lua source, canvas and overrides are unchanged), and the frame loop
that feeds an IMAGE batch and tracks in, runs each frame with ComfyUI's progress bar and
interruption (when `comfy` is importable), and returns IMAGE [B, H, W, 3] and MASK [B, H, W]."""

import os
import re
import sys
from collections import OrderedDict

try:
    import ysgraph
except ImportError:  # the pack used from a source checkout: ../python/src
    _src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python", "src")
    if os.path.isdir(_src):
        sys.path.insert(0, os.path.abspath(_src))
    import ysgraph

import torch

CACHE_SIZE = 4
_cache = OrderedDict()  # (source, backend, overrides) -> ysgraph.Pipeline
stats = {"loads": 0, "reuses": 0}


def pipeline_for(source, backend="auto", overrides=None, keep=(), name="comfyui.lua"):
    """A loaded pipeline for this source, from the cache when nothing that shapes it changed."""
    key = (source, backend, tuple(sorted((overrides or {}).items())), tuple(keep))
    p = _cache.get(key)
    if p is not None and not p.closed:
        _cache.move_to_end(key)
        stats["reuses"] += 1
        return p
    p = ysgraph.Pipeline(source=source, backend=backend, set=overrides or None, keep=keep,
                         name=name)
    stats["loads"] += 1
    _cache[key] = p
    while len(_cache) > CACHE_SIZE:
        _, old = _cache.popitem(last=False)
        old.close()
    return p


def clear_cache():
    while _cache:
        _cache.popitem()[1].close()


def parse_overrides(text):
    """NAME=VALUE lines (as --set) into a dict; blank lines and # comments are skipped."""
    out = {}
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"ysgraph: set, line {n}: expected NAME=VALUE, got {line!r}")
        k, v = line.split("=", 1)
        out[k.strip()] = v.strip()
    return out


_CANVAS = re.compile(r"(^|[^\w.])canvas\s*[{(]")


def with_canvas(source, width, height, frames):
    """source with a canvas{} call first when it has none of its own."""
    if _CANVAS.search(source):
        return source
    return f"canvas {{ width = {width}, height = {height}, frames = {frames} }}\n" + source


class _Progress:
    """ComfyUI's progress bar and interruption, when running inside ComfyUI."""

    def __init__(self, total):
        self.bar, self.mm = None, None
        try:
            import comfy.model_management as mm
            import comfy.utils

            self.bar, self.mm = comfy.utils.ProgressBar(total), mm
        except ImportError:
            pass

    def step(self, done, total):
        if self.mm is not None:
            self.mm.throw_exception_if_processing_interrupted()
        if self.bar is not None:
            self.bar.update_absolute(done, total)


def node_types(p):
    return {n["name"]: n["type"] for n in p.node_info()}


def feeder(p, images=None, image_nodes=(), tracks=None, points_nodes=(), boxes_nodes=()):
    """A per-frame feed for run_frames: each image_in node in image_nodes gets frame f of
    `images` (an IMAGE batch; its last image repeats past its end), each points_in node in
    points_nodes / boxes_in node in boxes_nodes frame f of `tracks` (tracks.Tracks), which may
    also be a dict {node: Tracks}."""
    types = node_types(p)
    for kind, names in (("image_in", image_nodes), ("points_in", points_nodes),
                        ("boxes_in", boxes_nodes)):
        for n in names:
            if types.get(n) != kind:
                raise ValueError(f"ysgraph: expected a {kind} node named '{n}', but the pipeline "
                                 "has " + (f"a {types[n]} node by that name" if n in types
                                           else "no such node"))
    if images is not None:  # CUDA images stay on the device for the CUDA backend
        keep = images.is_cuda and p.backend == "cuda"
        images = images.detach().to(images.device if keep else "cpu", torch.float32)
        if images.ndim != 4 or images.shape[-1] not in (3, 4):
            raise ValueError(f"ysgraph: images: expected an IMAGE batch [B, H, W, 3], got "
                             f"{list(images.shape)}")

    def pick(n):
        return tracks.get(n) if isinstance(tracks, dict) else tracks

    def feed(f):
        if images is not None:
            frame = images[min(f, images.shape[0] - 1)]
            for n in image_nodes:
                p.set_image(n, frame)  # lent: no copy
        for n in points_nodes:
            if pick(n) is not None:
                xy, attrs = pick(n).points(f)
                p.set_points(n, xy, **attrs)
        for n in boxes_nodes:
            if pick(n) is not None:
                xywh, attrs = pick(n).boxes(f)
                p.set_boxes(n, xywh, **attrs)

    return feed


def run_frames(p, frames, out_node, feed=None):
    """Run frames 0..frames-1 of p, calling feed(f) first; returns IMAGE [frames, H, W, 3] and
    MASK [frames, H, W] (the coverage: the image's alpha) of the image value out_node."""
    types = node_types(p)
    if out_node.split(".")[0] not in types:
        raise ValueError(f"ysgraph: the pipeline has no node named '{out_node}' to return "
                         f"(its nodes: {', '.join(types)})")
    c = p.canvas
    frames = max(1, int(frames))
    out_img = torch.empty((frames, c.height, c.width, 3), dtype=torch.float32)
    out_mask = torch.empty((frames, c.height, c.width), dtype=torch.float32)
    progress = _Progress(frames)
    for f in range(frames):
        if feed is not None:
            feed(f)
        p.run(f)
        p.torch(out_node, "rgb32f", out=out_img[f])
        p.torch(out_node, "mask", out=out_mask[f])
        progress.step(f + 1, frames)
    return out_img, out_mask
