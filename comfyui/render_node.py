"""render_node.py — "ysgraph Render": a whole Lua pipeline (inline text or a file) run over an IMAGE
batch (frame f = batch index f, fed to image_in nodes), with optional tracks and --set
overrides; returns IMAGE [B, H, W, 3] and MASK [B, H, W] of one of the pipeline's images."""

import os

from . import runner
from .tracks import Tracks

EXAMPLE = """-- frames: the IMAGE batch; tracks: the tracks input (points_in 'tracks' gets the
-- centres, boxes_in 'track_boxes' the rows with a size; ids, conf and class when given)
local frames = image_in { name = 'frames' }
local pts    = points_in { name = 'tracks' }
local boxes  = boxes_in { name = 'track_boxes' }
local knn    = graph { points = pts, mode = 'knn', k = 3 }
local links  = line { points = knn.points, edges = knn.edges, width = 2, color = '#22d3ee' }
local dots   = dot { points = pts, radius = 5, color = '#ffd60a' }
local rects  = bbox { boxes = boxes, color = '#22d3ee' }
local labels = text { boxes = boxes, text = '#{id}', size = 14, plate_opacity = 0.7 }
merge { name = 'out', layers = { frames, links, dots, rects, labels } }
"""


class YsgraphRender:
    """Runs a ysgraph Lua pipeline over a batch of frames. A pipeline_file is read and run like
    the inline text (relative input paths resolve from ComfyUI's working directory)."""

    CATEGORY = "ysgraph"
    FUNCTION = "render"
    RETURN_TYPES = ("IMAGE", "MASK")
    RETURN_NAMES = ("image", "mask")
    DESCRIPTION = ("Runs a ysgraph pipeline (Lua) over the IMAGE batch: frame f of the pipeline "
                   "gets batch image f in its image_in node, tracks in points_in 'tracks' / "
                   "boxes_in 'track_boxes'. Without a canvas{} call the canvas is the batch's "
                   "size (or width x height) with one frame per image.")

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "pipeline": ("STRING", {"multiline": True, "default": EXAMPLE}),
                "output": ("STRING", {"default": "out"}),
                "backend": (["auto", "cpu", "cuda"], {"default": "auto"}),
            },
            "optional": {
                "images": ("IMAGE",),
                "pipeline_file": ("STRING", {"default": ""}),
                "image_node": ("STRING", {"default": "frames"}),
                "tracks": ("STRING", {"multiline": True, "default": ""}),
                "tracks_format": (["auto", "mot", "csv", "json"], {"default": "auto"}),
                "set": ("STRING", {"multiline": True, "default": ""}),
                "width": ("INT", {"default": 512, "min": 16, "max": 16384}),
                "height": ("INT", {"default": 512, "min": 16, "max": 16384}),
                "frames": ("INT", {"default": 0, "min": 0, "max": 100000}),
            },
        }

    def render(self, pipeline, output="out", backend="auto", images=None, pipeline_file="",
               image_node="frames", tracks="", tracks_format="auto", set="", width=512,
               height=512, frames=0):
        source, name = pipeline, "comfyui.lua"
        if pipeline_file.strip():
            path = os.path.expanduser(pipeline_file.strip())
            try:
                with open(path, encoding="utf-8") as f:
                    source, name = f.read(), path
            except OSError as e:
                raise ValueError(f"ysgraph: pipeline_file: cannot read {path}: {e.strerror}") from e
        if images is not None:
            height, width = int(images.shape[1]), int(images.shape[2])
        batch = int(images.shape[0]) if images is not None else 0
        count = frames or batch or 0
        source = runner.with_canvas(source, width, height, max(count, 1))
        p = runner.pipeline_for(source, backend, runner.parse_overrides(set), keep=(output,),
                                name=name)
        c = p.canvas
        if images is not None and (c.width, c.height) != (width, height):
            raise ValueError(f"ysgraph: the pipeline's canvas is {c.width}x{c.height} but the "
                             f"IMAGE batch is {width}x{height}")
        count = count or c.frames
        tr = Tracks(tracks, tracks_format) if tracks.strip() else None
        types = runner.node_types(p)
        feed = runner.feeder(
            p, images, [image_node] if images is not None else [], tr,
            ["tracks"] if tr and types.get("tracks") == "points_in" else [],
            ["track_boxes"] if tr and types.get("track_boxes") == "boxes_in" else [])
        return runner.run_frames(p, count, output, feed)
