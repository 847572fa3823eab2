"""test_pack.py — the ComfyUI pack loaded as ComfyUI loads it (harness.py): every class passes
ComfyUI's checks; generated nodes mirror the schemas; chained nodes and "ysgraph Render" called
with torch tensors give the CLI's pixels for the same pipeline; progress, interruption, the
pipeline cache and error messages."""

import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch
from harness import call, check_class, fake_comfy, load_pack
from pngread import read_png

import ysgraph

PACK = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


@pytest.fixture(scope="module")
def pack():
    return load_pack(PACK)


def cli(*args, cwd=None):
    r = subprocess.run([os.environ.get("YSGRAPH_CLI", "ysgraph"), *args], capture_output=True,
                       text=True, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return r


def write_png(path, rgb):
    h, w, c = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_every_class_passes_comfyuis_checks(pack):
    m, names = pack.NODE_CLASS_MAPPINGS, pack.NODE_DISPLAY_NAME_MAPPINGS
    assert set(m) == set(names)
    for key, cls in m.items():
        check_class(key, cls)
    for n in ("graph", "curve", "line", "bbox", "dot", "merge", "blur", "glow", "scatter",
              "image_in", "points_in", "boxes_in"):
        assert f"ysgraph_{n}" in m, n
    assert "ysgraph_png" not in m and "ysgraph_video_in" not in m  # files are ComfyUI's job
    assert names["ysgraph_render"] == "ysgraph Render"


def test_generated_inputs_follow_the_schemas(pack):
    schemas = {s["name"]: s for s in ysgraph.nodes()}
    line = pack.NODE_CLASS_MAPPINGS["ysgraph_line"].INPUT_TYPES()
    width = next(p for p in schemas["line"]["params"] if p["name"] == "width")
    assert line["required"]["width"] == ("FLOAT", {"default": 2.0, "min": width["min"],
                                                   "max": width["max"], "step": 0.01,
                                                   "tooltip": width["doc"]})
    style = next(p for p in schemas["line"]["params"] if p["name"] == "style")
    assert line["required"]["style"][0] == style["choices"]
    assert line["optional"]["curves"] == ("YSG_CURVES",)
    assert line["required"]["point_colors"][0] == "BOOLEAN"
    merge = pack.NODE_CLASS_MAPPINGS["ysgraph_merge"]
    mi = merge.INPUT_TYPES()
    assert mi["required"]["layers_1"] == ("YSG_IMAGE",) and "layers_8" in mi["optional"]
    assert mi["optional"]["layers_2_mode"][0][:2] == ["normal", "add"]
    g = pack.NODE_CLASS_MAPPINGS["ysgraph_graph"]
    assert g.RETURN_TYPES == ("YSG_EDGES", "YSG_POINTS") and g.RETURN_NAMES == ("edges", "points")
    k = g.INPUT_TYPES()["required"]["k"]
    assert k[0] == "INT" and k[1]["default"] == 5
    prim = pack.NODE_CLASS_MAPPINGS["ysgraph_primitives"]
    assert prim.RETURN_TYPES == ("YSG_IMAGE", "YSG_SHAPES")


LINKS = dict(width=96, height=48)


def build_links(pack):
    pts, = call(pack, "ysgraph_scatter", count=24, seed=5)
    edges, knn_pts = call(pack, "ysgraph_graph", points=pts, mode="knn", k=2)
    curves, = call(pack, "ysgraph_curve", points=knn_pts, edges=edges, type="cubic_bezier")
    lines, = call(pack, "ysgraph_line", curves=curves, width=2.0, color="#a855f7")
    dots, = call(pack, "ysgraph_dot", points=pts, radius=3.0)
    bg, = call(pack, "ysgraph_gradient")
    out, = call(pack, "ysgraph_merge", layers_1=bg, layers_2=lines, layers_2_mode="add",
                layers_3=dots, layers_3_opacity=0.5)
    return out


def test_chained_nodes_match_the_cli(pack, tmp_path):
    out = build_links(pack)
    img, mask = call(pack, "ysgraph_output", image=out, **LINKS)
    assert img.dtype == torch.float32 and tuple(img.shape) == (1, 48, 96, 3)
    assert tuple(mask.shape) == (1, 48, 96)
    from graph_nodes_lua import lua_of  # the Lua the Output node ran
    src = lua_of(pack, out, **LINKS)
    (tmp_path / "p.lua").write_text(src)
    cli("run", str(tmp_path / "p.lua"), "--dump", f"{out.node}={tmp_path}/cli.png", "--quiet")
    ref = read_png(tmp_path / "cli.png").astype(np.float64)
    np.testing.assert_allclose(img[0].numpy() * 255, ref[..., :3], atol=0.5 + 1e-3)
    np.testing.assert_allclose(mask[0].numpy() * 255, ref[..., 3], atol=0.5 + 1e-3)
    assert mask[0].min() == 1.0, "the gradient is opaque everywhere"


def test_render_node_with_frames_and_tracks_matches_the_cli(pack, tmp_path):
    b, h, w = 3, 40, 64
    rng = np.random.default_rng(1)
    frames8 = rng.integers(0, 256, (b, h, w, 3), dtype=np.uint8)
    images = torch.from_numpy(frames8.astype(np.float32) / 255)
    mot = "\n".join(f"{f + 1},{i},{10 + 12 * i + 3 * f},{5 + 6 * i},8,6,1,-1,-1,-1"
                    for f in range(b) for i in range(4))
    body = ("local pts = {points}\n"
            "local knn = graph {{ points = pts, mode = 'knn', k = 2 }}\n"
            "local l = line {{ points = knn.points, edges = knn.edges, width = 1.5 }}\n"
            "local bx = bbox {{ boxes = {boxes}, stroke = 1 }}\n"
            "merge {{ name = 'out', layers = {{ {frames}, l, bx, dot {{ points = pts }} }} }}\n")
    ours = body.format(points="points_in { name = 'tracks' }",
                       boxes="boxes_in { name = 'track_boxes' }",
                       frames="image_in { name = 'frames' }")
    img, mask = call(pack, "ysgraph_render", pipeline=ours, images=images, tracks=mot,
                     backend="cpu")
    assert tuple(img.shape) == (b, h, w, 3) and tuple(mask.shape) == (b, h, w)
    for f in range(b):
        write_png(tmp_path / f"in_{f}.png", frames8[f])
    (tmp_path / "tracks.txt").write_text(mot + "\n")
    theirs = (f"canvas {{ width = {w}, height = {h}, frames = {b} }}\nlocal t = tracks {{ path = "
              "'tracks.txt' }\n" + body.format(points="t.points", boxes="t.boxes",
                                               frames="image { path = 'in_%d.png' }"))
    theirs = theirs.replace("merge { name = 'out',", "local out = merge {").replace(
        "} }\n", "} }\npng { image = out, path = 'out_%d.png' }\n")
    (tmp_path / "p.lua").write_text(theirs)
    cli("run", str(tmp_path / "p.lua"), "-o", str(tmp_path), "--quiet")
    for f in range(b):
        ref = read_png(tmp_path / f"out_{f}.png").astype(np.float64)
        np.testing.assert_allclose(img[f].numpy() * 255, ref[..., :3], atol=1.0)
        np.testing.assert_allclose(mask[f].numpy(), 1.0)


def _feed_sockets(pack, cls):
    """Inputs that connect every required socket of generated class `cls` and the first optional
    one of curves / boxes / points / image it has."""
    pts, = call(pack, "ysgraph_scatter", count=12, seed=3)
    boxes, = call(pack, "ysgraph_boxes_in", tracks="1,7,10,8,20,14,0.9,-1,-1,-1\n",
                  unique_id="boxes")
    edges, knn_pts = call(pack, "ysgraph_graph", points=pts, mode="knn", k=2)
    curves, = call(pack, "ysgraph_curve", points=knn_pts, edges=edges)
    image, = call(pack, "ysgraph_gradient")
    by_type = {"YSG_POINTS": pts, "YSG_BOXES": boxes, "YSG_EDGES": edges, "YSG_CURVES": curves,
               "YSG_IMAGE": image, "IMAGE": torch.zeros((2, 24, 32, 3))}
    spec = cls.INPUT_TYPES()
    socket = {k: v[0] for k, v in spec["required"].items() if isinstance(v[0], str)}
    kw = {k: by_type[t] for k, t in socket.items() if t in by_type}
    for want in ("YSG_CURVES", "YSG_BOXES", "YSG_POINTS", "YSG_IMAGE"):
        k = next((k for k, v in spec["optional"].items() if v[0] == want), None)
        if k:
            kw[k] = by_type[want]
            break
    return kw


def test_every_generated_node_runs_untouched(pack):
    """Each generated node with its widgets as ComfyUI shows them (the schemas' defaults) runs:
    untouched widgets leave the engine's defaults unset (points_in/boxes_in refuse `scale` and
    `from` both set, so passing every default made them fail)."""
    ran = []
    for key, cls in pack.NODE_CLASS_MAPPINGS.items():
        if key in ("ysgraph_output", "ysgraph_render"):
            continue
        outs = call(pack, key, **_feed_sockets(pack, cls))
        consumer = {"YSG_POINTS": ("ysgraph_dot", "points"), "YSG_BOXES": ("ysgraph_bbox", "boxes"),
                    "YSG_CURVES": ("ysgraph_line", "curves"), "YSG_IMAGE": (None, None)}
        kind = next((t for t in cls.RETURN_TYPES if t in consumer), None)
        if kind is None:
            continue  # edges only: drawn through curve/line above
        out = outs[cls.RETURN_TYPES.index(kind)]
        node, port = consumer[kind]
        if node:
            out, = call(pack, node, **{port: out})
        img, mask = call(pack, "ysgraph_output", image=out, width=32, height=24, frames=2)
        assert tuple(img.shape) == (2, 24, 32, 3) and tuple(mask.shape) == (2, 24, 32), key
        ran.append(key)
    for n in ("points_in", "boxes_in", "text", "trail", "polygon", "line", "bbox", "merge"):
        assert f"ysgraph_{n}" in ran, n
    from graph_nodes_lua import lua_of
    pts, = call(pack, "ysgraph_points_in", tracks="", unique_id="p")
    src = lua_of(pack, pts, 32, 24)
    assert "scale" not in src and "from" not in src and "capacity" not in src, src
    pts, = call(pack, "ysgraph_points_in", tracks="", unique_id="p", scale="2", capacity=8)
    src = lua_of(pack, pts, 32, 24)
    assert "scale = '2'" in src and "capacity = 8" in src and "from" not in src, src


def test_tracks_carry_conf_and_labels_like_the_cli(pack, tmp_path):
    """CSV tracks with conf and label columns feed boxes_in/points_in with both, so `text`
    templates and min_conf work as with the CLI's `tracks` source reading the same text."""
    b, h, w = 2, 48, 96
    csv = ("frame,id,x,y,w,h,score,class\n"
           "0,1,4,22,40,14,0.9,car\n0,2,50,24,30,16,0.2,dog\n0,3,60,4,30,10,0.7,\n"
           "1,1,8,22,40,14,0.85,car\n1,2,52,24,30,16,0.6,dog\n")
    body = ("local b = {boxes}\n"
            "local t = text {{ boxes = b, text = '{{label}} {{conf:.0%}}', size = 10, "
            "plate_opacity = 1, anchor = 'top_left', at = 'top_left' }}\n"
            "merge {{ name = 'out', layers = {{ bbox {{ boxes = b }}, t, "
            "dot {{ points = {points} }} }} }}\n")
    ours = body.format(boxes="boxes_in { name = 'track_boxes', min_conf = 0.5 }",
                       points="points_in { name = 'tracks', min_conf = 0.5 }")
    img, mask = call(pack, "ysgraph_render", pipeline=ours, tracks=csv, width=w, height=h,
                     frames=b, backend="cpu")
    (tmp_path / "t.csv").write_text(csv)
    theirs = (f"canvas {{ width = {w}, height = {h}, frames = {b} }}\n"
              "local tr = tracks { path = 't.csv', min_conf = 0.5 }\n"
              + body.format(boxes="tr.boxes", points="tr.points"))
    theirs = theirs.replace("merge { name = 'out',", "local out = merge {").replace(
        "} }\n", "} }\npng { image = out, path = 'out_%d.png' }\n")
    (tmp_path / "p.lua").write_text(theirs)
    cli("run", str(tmp_path / "p.lua"), "-o", str(tmp_path), "--quiet")
    for f in range(b):
        ref = read_png(tmp_path / f"out_{f}.png").astype(np.float64)
        np.testing.assert_allclose(mask[f].numpy() * 255, ref[..., 3], atol=0.5 + 1e-3)
        np.testing.assert_allclose(img[f].numpy() * 255, ref[..., :3], atol=1.0)
    assert mask[0, :, 48:].sum() > 0 and mask[1, :, 48:].sum() > mask[0, :, 48:].sum()
    tracks = sys.modules[pack.__name__ + ".tracks"]
    mot = tracks.Tracks("1,5,10,20,4,6,0.75,-1,-1,-1\n")
    xywh, kw = mot.boxes(0)
    assert xywh.tolist() == [[10, 20, 4, 6]] and kw["conf"].tolist() == [0.75]
    assert "labels" not in kw and kw["ids"].tolist() == [5]
    js = tracks.Tracks('[[{"id": 3, "x": 1, "y": 2, "score": 0.5, "class": "bus"}, '
                       '{"id": 4, "x": 5, "y": 6}]]')
    xy, kw = js.points(0)
    assert xy.tolist() == [[1, 2], [5, 6]] and kw["conf"].tolist() == [0.5, -1.0]
    assert kw["labels"] == ["bus", None]
    quoted = tracks.Tracks('frame,id,x,y,label\n0,1,5,6,"traffic light, red"\n')
    assert quoted.points(0)[1]["labels"] == ["traffic light, red"]


def test_the_default_pipeline_draws_tracks_boxes_and_labels(pack):
    """"ysgraph Render" as it first appears (its example pipeline): with no input it runs on an
    empty canvas; with MOT tracks it draws their boxes with "#id" labels on plates above them."""
    img, mask = call(pack, "ysgraph_render", width=96, height=64)
    assert tuple(img.shape) == (1, 64, 96, 3) and float(mask.max()) == 0.0
    mot = "1,7,40,36,30,20,0.9,-1,-1,-1\n1,8,8,44,12,10,0.8,-1,-1,-1\n"
    img, mask = call(pack, "ysgraph_render", width=96, height=64, tracks=mot)
    m = mask[0].numpy()
    assert m[36, 45:65].min() > 0.9, "the box's top edge"
    assert m[22:34, 42:60].mean() > 0.5, "the label's plate above the box"
    assert m[4:16, 70:90].max() == 0.0, "nothing far from the tracks"


def test_progress_interruption_and_cache(pack):
    updates, interrupt_after, remove, Interrupted = fake_comfy()
    try:
        runner = sys.modules[pack.__name__ + ".runner"]
        stats = runner.stats
        runner.clear_cache()
        src = "dot { name = 'out', points = scatter { count = 5 } }\n"
        call(pack, "ysgraph_render", pipeline=src, width=32, height=32, frames=4)
        assert updates == [(1, 4), (2, 4), (3, 4), (4, 4)]
        loads = stats["loads"]
        call(pack, "ysgraph_render", pipeline=src, width=32, height=32, frames=4)
        assert stats["loads"] == loads and stats["reuses"] >= 1, "unchanged: reused"
        call(pack, "ysgraph_render", pipeline=src, width=48, height=32, frames=4)
        assert stats["loads"] == loads + 1, "another canvas: loaded anew"
        updates.clear()
        interrupt_after(2)
        with pytest.raises(Interrupted):
            call(pack, "ysgraph_render", pipeline=src, width=32, height=32, frames=4)
        assert len(updates) == 2
    finally:
        remove()


def test_errors_carry_the_engines_message(pack):
    with pytest.raises(ysgraph.Error) as e:
        call(pack, "ysgraph_render", pipeline="line { width = -3 }\n")
    assert "node 'line_1' (line): parameter 'width'" in str(e.value)
    with pytest.raises(ValueError) as e:
        call(pack, "ysgraph_render", pipeline="dot { points = scatter {} }\n", output="nope")
    assert "no node named 'nope' to return" in str(e.value)
    with pytest.raises(ValueError) as e:
        call(pack, "ysgraph_line", points="not a socket")
    assert str(e.value) == ("ysgraph line: input 'points': expected a ysgraph YSG_POINTS output, "
                            "got str")
    with pytest.raises(ValueError) as e:
        call(pack, "ysgraph_render", pipeline="dot { points = scatter {} }\n", set="oops")
    assert str(e.value) == "ysgraph: set, line 1: expected NAME=VALUE, got 'oops'"
    with pytest.raises(ValueError) as e:
        call(pack, "ysgraph_render", pipeline="canvas { width = 32, height = 32 }\n"
             "local f = image_in { name = 'frames' }\nmerge { name = 'out', layers = { f } }\n",
             images=torch.zeros((1, 16, 16, 3)))
    assert str(e.value) == "ysgraph: the pipeline's canvas is 32x32 but the IMAGE batch is 16x16"
