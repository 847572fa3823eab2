"""graph_nodes.py — ComfyUI nodes generated from ysgraph's node schemas (ysgraph.nodes()): graph,
curve, line, bbox, dot, merge, effects, procedural sources and the image/points/boxes inputs.
INPUT_TYPES come from each parameter's kind, default, range and choices, sockets from the ports'
value types (YSG_POINTS, YSG_EDGES, YSG_CURVES, YSG_BOXES, YSG_IMAGE, YSG_SHAPES). A node does no
work: it returns a YsgRef, a port of a small graph description. "ysgraph Output" turns the
description into Lua, runs it as one ysgraph pipeline (cached while the Lua is unchanged) and returns IMAGE
and MASK. Nodes that read or write files (paths) and sinks are left to ComfyUI's own nodes."""

import hashlib

import ysgraph

from . import runner
from .tracks import Tracks

MULTI_SLOTS = 8  # merge's `layers`: this many sockets, each with its link params
SOCKET = {t: "YSG_" + t.upper() for t in ("points", "edges", "curves", "boxes", "image", "shapes")}
INT_RANGE = (-(2**31), 2**31 - 1)
FLOAT_RANGE = (-1e9, 1e9)


class YsgRef:
    """Output `port` of node `node` in `graph` (node id -> spec, in dependency order)."""

    def __init__(self, graph, node, port):
        self.graph, self.node, self.port = graph, node, port

    def lua(self, first_port):
        return self.node if self.port == first_port else f"{self.node}.{self.port}"


def _widget(p):
    """A ComfyUI input for a ysgraph param (None: not settable from ComfyUI)."""
    kind, d, tip = p["kind"], p["default"], p["doc"] or ""
    if kind in ("path", "output"):
        return None
    if kind == "number":
        lo, hi = (p["min"], p["max"]) if p["min"] is not None else FLOAT_RANGE
        return ("FLOAT", {"default": float(d) if d is not None else 0.0, "min": lo, "max": hi,
                          "step": 0.01, "tooltip": tip})
    if kind == "int":
        lo, hi = (int(p["min"]), int(p["max"])) if p["min"] is not None else INT_RANGE
        return ("INT", {"default": int(float(d)) if d is not None else 0, "min": lo, "max": hi,
                        "tooltip": tip})
    if kind == "bool":
        return ("BOOLEAN", {"default": d == "true", "tooltip": tip})
    if kind == "enum":
        return (list(p["choices"]), {"default": d, "tooltip": tip})
    return ("STRING", {"default": d or "", "tooltip": tip})  # string, color


def _widget_default(w):
    """The value ComfyUI sends for an untouched widget `w` (a _widget result)."""
    kind, opts = w
    return opts.get("default", kind[0] if isinstance(kind, list) else None)


def lua_value(kind, v):
    if kind == "bool":
        return "true" if v else "false"
    if kind == "int":
        return str(int(v))
    if kind == "number":
        return repr(float(v))
    s = str(v).replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{s}'"


def _usable(schema):
    if "sink" in schema["flags"]:
        return False
    return not any(p["kind"] in ("path", "output") and p["required"] for p in schema["params"])


def _make_class(schema):
    name, params = schema["name"], schema["params"]
    inputs, outputs = schema["inputs"], schema["outputs"]
    widgets = {p["name"]: _widget(p) for p in params if _widget(p) is not None}

    def input_types(cls):
        req, opt = {}, {}
        for port in inputs:
            sock = (SOCKET[port["type"]],)
            if port["multi"]:
                for k in range(1, MULTI_SLOTS + 1):
                    (req if k == 1 else opt)[f"{port['name']}_{k}"] = sock
                    for lp in port["link_params"]:
                        w = _widget(lp)
                        if w:
                            opt[f"{port['name']}_{k}_{lp['name']}"] = w
            else:
                (opt if port["optional"] else req)[port["name"]] = sock
        if name == "image_in":
            req["images"] = ("IMAGE",)
        if name in ("points_in", "boxes_in"):
            req["tracks"] = ("STRING", {"multiline": True, "default": ""})
            req["tracks_format"] = (["auto", "mot", "csv", "json"], {"default": "auto"})
        for pname, w in widgets.items():
            req[pname] = w
        out = {"required": req, "optional": opt}
        if "input" in schema["flags"]:  # its identity: the ComfyUI node, not the data it carries
            out["hidden"] = {"unique_id": "UNIQUE_ID"}
        return out

    def build(self, **kw):
        graph, links = {}, []
        for port in inputs:
            slots = ([(f"{port['name']}_{k}", k) for k in range(1, MULTI_SLOTS + 1)]
                     if port["multi"] else [(port["name"], 0)])
            for key, k in slots:
                ref = kw.get(key)
                if ref is None:
                    continue
                if not isinstance(ref, YsgRef):
                    raise ValueError(f"ysgraph {name}: input '{key}': expected a ysgraph "
                                     f"{SOCKET[port['type']]} output, got {type(ref).__name__}")
                for nid, spec in ref.graph.items():
                    graph.setdefault(nid, spec)
                lp = {}
                if port["multi"]:
                    for p in port["link_params"]:
                        v = kw.get(f"{key}_{p['name']}")
                        if v is not None:
                            lp[p["name"]] = lua_value(p["kind"], v)
                first = ref.graph[ref.node]["first_port"]
                links.append((port["name"], port["multi"], ref.lua(first), lp))
        # Only what the user changed: an untouched widget leaves the engine's default (and its
        # "not set" meaning: points_in refuses `scale` together with `from`, both set).
        vals = {p["name"]: lua_value(p["kind"], kw[p["name"]]) for p in params
                if p["name"] in kw and (p["required"] or p["name"] not in widgets
                                        or kw[p["name"]] != _widget_default(widgets[p["name"]]))}
        feed = None
        if name == "image_in":
            feed = ("images", kw["images"])
        elif name in ("points_in", "boxes_in") and kw.get("tracks", "").strip():
            feed = ("tracks", Tracks(kw["tracks"], kw.get("tracks_format", "auto")))
        salt = kw.get("unique_id", id(feed[1]) if feed else None)
        key = repr((name, sorted(vals.items()), links, salt))
        nid = f"{name}_{hashlib.sha1(key.encode()).hexdigest()[:8]}"
        graph[nid] = {"type": name, "params": vals, "links": links, "feed": feed,
                      "first_port": outputs[0]["name"] if outputs else None}
        return tuple(YsgRef(graph, nid, o["name"]) for o in outputs)

    attrs = {
        "CATEGORY": f"ysgraph/{schema['category']}",
        "FUNCTION": "build",
        "RETURN_TYPES": tuple(SOCKET[o["type"]] for o in outputs),
        "RETURN_NAMES": tuple(o["name"] for o in outputs),
        "DESCRIPTION": schema["doc"],
        "INPUT_TYPES": classmethod(input_types),
        "build": build,
        "SCHEMA": schema,
    }
    return type(f"Ysgraph_{name}", (), attrs)


def to_lua(graph):
    """The graph description as a pipeline: one constructor per node, in dependency order."""
    lines = []
    for nid, spec in graph.items():
        args = [f"name = '{nid}'"]
        multi = {}
        for port, is_multi, ref, lp in spec["links"]:
            if is_multi:
                item = ref if not lp else "{ " + ", ".join([ref] + [f"{k} = {v}" for k, v in lp.items()]) + " }"
                multi.setdefault(port, []).append(item)
            else:
                args.append(f"{port} = {ref}")
        args += [f"{port} = {{ {', '.join(items)} }}" for port, items in multi.items()]
        args += [f"{k} = {v}" for k, v in spec["params"].items()]
        lines.append(f"local {nid} = {spec['type']} {{ {', '.join(args)} }}")
    return "\n".join(lines) + "\n"


class YsgraphOutput:
    """Runs the chained ysgraph nodes as one pipeline; returns the image as IMAGE and MASK."""

    CATEGORY = "ysgraph"
    FUNCTION = "run"
    RETURN_TYPES = ("IMAGE", "MASK")
    RETURN_NAMES = ("image", "mask")
    DESCRIPTION = ("Turns the chained ysgraph nodes into one pipeline and runs it: one frame "
                   "per image of the image_in batch (or `frames`), at the batch's size (or width "
                   "x height).")

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("YSG_IMAGE",),
                             "backend": (["auto", "cpu", "cuda"], {"default": "auto"}),
                             "width": ("INT", {"default": 512, "min": 16, "max": 16384}),
                             "height": ("INT", {"default": 512, "min": 16, "max": 16384}),
                             "frames": ("INT", {"default": 1, "min": 1, "max": 100000})}}

    def run(self, image, backend="auto", width=512, height=512, frames=1):
        if not isinstance(image, YsgRef):
            raise ValueError(f"ysgraph Output: image: expected a ysgraph YSG_IMAGE output, got "
                             f"{type(image).__name__}")
        g = image.graph
        batches = [s["feed"][1] for s in g.values() if s["feed"] and s["feed"][0] == "images"]
        if batches:
            height, width = int(batches[0].shape[1]), int(batches[0].shape[2])
            frames = max(int(b.shape[0]) for b in batches)
        out = image.lua(g[image.node]["first_port"])
        source = (f"canvas {{ width = {width}, height = {height}, frames = {frames} }}\n"
                  + to_lua(g))
        p = runner.pipeline_for(source, backend, keep=(out,))
        feeds = []
        for nid, s in g.items():
            if s["feed"] and s["feed"][0] == "images":
                feeds.append(runner.feeder(p, s["feed"][1], [nid]))
            elif s["feed"] and s["type"] == "points_in":
                feeds.append(runner.feeder(p, tracks=s["feed"][1], points_nodes=[nid]))
            elif s["feed"]:
                feeds.append(runner.feeder(p, tracks=s["feed"][1], boxes_nodes=[nid]))

        def feed(f):
            for fn in feeds:
                fn(f)

        return runner.run_frames(p, frames, out, feed)


def generate():
    """NODE_CLASS_MAPPINGS / NODE_DISPLAY_NAME_MAPPINGS entries for the usable node types."""
    classes, names = {}, {}
    for schema in ysgraph.nodes():
        if _usable(schema):
            key = f"ysgraph_{schema['name']}"
            classes[key] = _make_class(schema)
            names[key] = f"ysgraph {schema['name']}"
    classes["ysgraph_output"] = YsgraphOutput
    names["ysgraph_output"] = "ysgraph Output"
    return classes, names
