"""test_pipeline.py — the Pipeline API: loading (file, source, --set overrides, output_dir),
canvas and backend, points/boxes/images in, frames out in every format with known values and
against the CLI's PNG of the same pipeline, render with progress, stats, nodes() schemas,
shapes against the CLI's JSON dump."""

import json
import os

import numpy as np
import pytest
from pngread import read_png

import ysgraph


def test_load_and_read_back_known_values(dots_source):
    with ysgraph.Pipeline(source=dots_source, backend="cpu") as p:
        assert p.canvas.width == 64 and p.canvas.height == 32 and p.backend == "cpu"
        p.set_points("tracks", np.array([[10, 10], [40, 20]], np.float32))
        p.run(0)
        rgba = p.image("out")
        assert rgba.shape == (32, 64, 4) and rgba.dtype == np.uint8
        assert tuple(rgba[10, 10]) == (255, 214, 10, 255)  # #ffd60a, opaque centre
        assert tuple(rgba[0, 63]) == (0, 0, 0, 0)           # nothing drawn: transparent
        rgb = p.image("out", "rgb32f")
        assert rgb.shape == (32, 64, 3) and rgb.dtype == np.float32
        np.testing.assert_allclose(rgb[10, 10], [1.0, 214 / 255, 10 / 255], atol=2e-3)
        mask = p.image("out", "mask")
        assert mask.shape == (32, 64) and mask[10, 10] == 1.0 and mask[0, 63] == 0.0
        lin = p.image("out", "rgba32f_linear")
        np.testing.assert_allclose(lin[10, 10, 3], 1.0)


def test_every_format_agrees_with_rgba8(dots_source):
    with ysgraph.Pipeline(source=dots_source) as p:
        p.set_points("tracks", [[8, 8], [30, 16], [50, 25]], radius=[3, 5, 7])
        p.run(0)
        ref = p.image("out").astype(np.float64)
        a = ref[..., 3:] / 255
        for fmt in ysgraph.FORMATS:
            got = p.image("out", fmt).astype(np.float64)
            if fmt in ("rgba8", "rgb8"):
                np.testing.assert_array_equal(got, ref[..., :got.shape[-1]])
            elif fmt in ("rgba16", "rgb16"):
                np.testing.assert_allclose(got / 257, ref[..., :got.shape[-1]], atol=0.51)
            elif fmt in ("rgb32f", "rgba32f"):
                np.testing.assert_allclose(got * 255, ref[..., :got.shape[-1]], atol=0.51)
            elif fmt == "mask":
                np.testing.assert_allclose(got * 255, ref[..., 3], atol=0.51)
            else:  # linear premultiplied: alpha as the 8-bit alpha
                np.testing.assert_allclose(got[..., 3:], a, atol=0.5 / 255 + 1e-3)


def test_pixels_match_the_cli(tmp_path, cli):
    src = ("canvas { width = 96, height = 48, frames = 2 }\n"
           "local pts = scatter { count = 20, seed = 3 }\n"
           "local knn = graph { points = pts, mode = 'knn', k = 2 }\n"
           "local l = line { points = knn.points, edges = knn.edges, width = 2 }\n"
           "local out = merge { layers = { l, dot { points = pts, radius = 3 } } }\n"
           "png { image = out, path = 'f_%02d.png' }\n")
    path = tmp_path / "p.lua"
    path.write_text(src)
    cli("run", str(path), "-o", str(tmp_path / "cli"), "--frames", "0:2", "--quiet")
    with ysgraph.Pipeline(path, output_dir=tmp_path / "py", keep=["merge_1"]) as p:
        for f in range(2):
            p.run(f)
            mine = p.image("merge_1")
            theirs = read_png(tmp_path / "cli" / f"f_{f:02d}.png")
            np.testing.assert_array_equal(mine, theirs)
        p.flush()
    assert (tmp_path / "py" / "f_01.png").exists()


def test_set_overrides_params_and_node_params(tmp_path):
    src = ("local w = param('w', 10)\ncanvas { width = 32, height = 16 }\n"
           "fill { name = 'bg', color = '#000000' }\n"
           "local b = boxes_in { name = 'b' }\n"
           "bbox { name = 'box', boxes = b, stroke = w, color = '#ff0000' }\n")
    with ysgraph.Pipeline(source=src, set={"w": 1, "bg.color": "#00ff00"}) as p:
        p.set_boxes("b", [[4, 4, 20, 8]])
        p.run(0)
        assert tuple(p.image("bg")[0, 0]) == (0, 255, 0, 255)
        box = p.image("box")
        assert box[8, 14, 3] == 0, "stroke 1: the inside stays empty"
        p.set_param("box.color", "#0000ff")
        p.run(1)
        assert p.image("box")[4, 10, 2] > 200


def test_boxes_points_attributes_and_value_views(dots_source):
    src = dots_source.replace("merge {", "local g = graph { points = pts, mode = 'knn', k = 1 }\nmerge {")
    with ysgraph.Pipeline(source=src, keep=["tracks", "graph_1.edges"]) as p:
        xy = np.array([[5, 5], [20, 5], [50, 30]], np.float32)
        p.set_points("tracks", xy, ids=[7, 8, 9], rgba=[[1, 0, 0, 1]] * 3)
        p.run(0)
        pts = p.value("tracks")
        np.testing.assert_array_equal(pts, xy)
        edges = p.value("graph_1.edges")
        assert edges.dtype == np.int32 and edges.shape[1] == 2 and len(edges) >= 2
        view = p.value("tracks", copy=False)
        assert view.shape == (3, 2)
        p.set_points("tracks", xy, conf=[0.9, 0.5, 0.1], labels=["car", "person", "car"])
        p.run(1)
        np.testing.assert_array_equal(p.value("tracks"), xy)
        with pytest.raises(ysgraph.Error) as e:
            p.set_points("tracks", xy, labels=["car"])
        assert e.value.message == ("set_points: node 'tracks': labels has 1 rows, expected 3 "
                                   "(one per element)")


def test_render_with_progress_and_stats(dots_source):
    seen = []
    with ysgraph.Pipeline(source=dots_source.replace("64, height = 32", "64, height = 32, frames = 5")) as p:
        p.set_points("tracks", [[10, 10]])
        p.render(progress=lambda f, done, total: seen.append((f, done, total)))
        assert seen == [(f, f + 1, 5) for f in range(5)]
        p.render(1, 4, progress=lambda f, done, total: done == 2)  # stop after two
        st = p.stats()
        assert st["frames"] == 7 and st["backend"] == "cpu"
        assert st["arena_bytes"] == st["lower_bound_bytes"]
        assert {n["name"] for n in st["nodes"]} >= {"tracks", "out"}
        assert next(n for n in st["nodes"] if n["name"] == "out")["runs"] == 7


def test_nodes_schemas():
    nodes = {n["name"]: n for n in ysgraph.nodes()}
    assert {"graph", "curve", "line", "bbox", "dot", "merge", "image_in"} <= set(nodes)
    merge = nodes["merge"]
    layers = merge["inputs"][0]
    assert layers["name"] == "layers" and layers["multi"] and layers["type"] == "image"
    mode = next(p for p in layers["link_params"] if p["name"] == "mode")
    assert mode["kind"] == "enum" and mode["default"] == "normal" and "add" in mode["choices"]
    width = next(p for p in nodes["line"]["params"] if p["name"] == "width")
    assert width["kind"] == "number" and width["default"] == "2" and width["min"] is not None
    assert nodes["png"]["params"][0]["required"] and nodes["png"]["params"][0]["default"] is None
    nodes["merge"]["doc"] = "changed"
    assert ysgraph.nodes()[0] is not nodes["points"]  # a fresh copy each call


def test_load_file_with_relative_inputs(tmp_path):
    (tmp_path / "pts.csv").write_text("x,y\n4,4\n20,10\n")
    (tmp_path / "p.lua").write_text("canvas { width = 32, height = 16 }\n"
                                    "dot { name = 'd', points = points { path = 'pts.csv' } }\n")
    cwd = os.getcwd()
    os.chdir("/")
    try:
        with ysgraph.Pipeline(tmp_path / "p.lua") as p:
            p.run(0)
            assert p.image("d")[4, 4, 3] == 255
    finally:
        os.chdir(cwd)


def test_labels_reach_text_templates_and_none_is_no_label():
    """Class names given to set_boxes are what `text` templates print; None is no label (the
    engine's -1), not the string 'None'."""
    def label_image(template, labels):
        src = ("canvas { width = 96, height = 48 }\nlocal b = boxes_in { name = 'dets' }\n"
               f"text {{ name = 'out', boxes = b, text = '{template}', size = 12 }}\n")
        with ysgraph.Pipeline(source=src) as p:
            p.set_boxes("dets", [[10, 30, 40, 10], [50, 30, 40, 10]], labels=labels)
            p.run(0)
            return p.image("out", "rgba8")

    with_none = label_image("{label}x", [None, "bus"])
    plain = label_image("x", ["car", "car"])
    spelled = label_image("busx", ["car", "car"])
    assert (with_none[:, :48, 3] > 0).sum() > 0
    np.testing.assert_array_equal(with_none[:, :48], plain[:, :48])  # no label: just "x"
    np.testing.assert_array_equal(with_none[:, 48:], spelled[:, 48:])  # "bus" + "x"


def test_attributes_read_back_ids_conf_and_labels(tmp_path):
    """attributes() gives what a points/boxes value carries this frame: the host's rows after
    boxes_in's min_conf, and a CSV source's conf and class names."""
    (tmp_path / "d.csv").write_text("x,y,id,score,class\n1,2,5,0.9,car\n3,4,6,0.1,dog\n"
                                    "5,6,7,0.7,\n")
    src = ("canvas { width = 32, height = 32 }\n"
           "local b = boxes_in { name = 'dets', min_conf = 0.5 }\n"
           "local p = points { name = 'csv', path = 'd.csv' }\n"
           "merge { name = 'out', layers = { bbox { boxes = b }, dot { points = p } } }\n")
    (tmp_path / "a.lua").write_text(src)
    with ysgraph.Pipeline(str(tmp_path / "a.lua"), keep=("dets", "csv")) as p:
        p.set_boxes("dets", [[1, 1, 4, 4], [2, 2, 4, 4], [3, 3, 4, 4]], ids=[10, 11, 12],
                    conf=[0.9, 0.2, 0.6], labels=["car", None, "bus"])
        p.run(0)
        a = p.attributes("dets")
        assert sorted(a) == ["conf", "ids", "labels"]
        assert a["ids"].tolist() == [10, 12] and a["ids"].dtype == np.int32
        np.testing.assert_allclose(a["conf"], [0.9, 0.6], rtol=1e-6)
        assert a["labels"] == ["car", "bus"]
        c = p.attributes("csv")
        assert c["ids"].tolist() == [5, 6, 7] and c["labels"] == ["car", "dog", None]
        np.testing.assert_allclose(c["conf"], [0.9, 0.1, 0.7], rtol=1e-6)
        with pytest.raises(ysgraph.Error) as e:
            p.attributes("out")
        assert e.value.message == "attributes: 'out' is image, not points or boxes"


def test_shapes_match_the_cli_json_dump(tmp_path, cli):
    photo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pipelines",
                         "data", "prim_photo.png")
    (tmp_path / "photo.png").write_bytes(open(photo, "rb").read())
    src = ("canvas { width = 128, height = 128 }\n"
           "local photo = image { path = 'photo.png' }\n"
           "primitives { name = 'p', image = photo, count = 6, work_size = 48, seed = 3,\n"
           "             candidates = 40, climbs = 4, age = 24 }\n")
    path = tmp_path / "p.lua"
    path.write_text(src)
    with ysgraph.Pipeline(path=str(path), backend="cpu") as p:
        p.run(0)
        s = p.shapes("p.shapes")
        with pytest.raises(ysgraph.Error, match="'p.image' is image, not shapes"):
            p.shapes("p.image")
    assert s["kind"].shape == (7,) and s["geom"].shape == (7, 8) and s["rgba"].shape == (7, 4)
    assert s["kinds"] == ["rectangle"] + ["triangle"] * 6  # the background, then the shapes
    assert np.all(np.diff(s["error"]) <= 0)  # greedy: every shape lowers the error
    cli("run", str(path), "--quiet", "--dump", "p.shapes=s.json", cwd=str(tmp_path))
    dumped = json.loads((tmp_path / "s.json").read_text())["shapes"]
    assert [d["kind"] for d in dumped] == s["kinds"]
    for d, g, rgba, err in zip(dumped, s["geom"], s["rgba"], s["error"]):
        assert d["opacity"] == pytest.approx(float(rgba[3]), rel=1e-6)
        assert d["error"] == pytest.approx(float(err), rel=1e-6)
        names = [k for k in d if k not in ("kind", "color", "rgb", "opacity", "error")]
        np.testing.assert_allclose([d[k] for k in names], g[:len(names)], rtol=1e-6)
