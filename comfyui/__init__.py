"""ysgraph for ComfyUI — copy or link this folder into ComfyUI/custom_nodes/ (the ysgraph Python
package must be importable by ComfyUI's Python: `pip install ./python` with it, and the library
installed, or YSGRAPH_LIBRARY set). Nodes:

- "ysgraph Render": a whole Lua pipeline over an IMAGE batch (+ tracks, --set overrides) ->
  IMAGE [B, H, W, 3] and MASK [B, H, W].
- "ysgraph <node>": one ComfyUI node per ysgraph node type (graph, curve, line, bbox, dot,
  merge, effects, sources, inputs), generated from the engine's schemas, chained in ComfyUI and
  run as one pipeline by "ysgraph Output".
"""

from .graph_nodes import generate
from .render_node import YsgraphRender

NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS = generate()
NODE_CLASS_MAPPINGS["ysgraph_render"] = YsgraphRender
NODE_DISPLAY_NAME_MAPPINGS["ysgraph_render"] = "ysgraph Render"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
