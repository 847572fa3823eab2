"""test_errors.py — bad input from Python gets ysgraph.Error with a message naming the node or
argument and what was expected, and never crashes the process: load errors with file:line,
wrong array dtypes and shapes, unknown nodes and formats, nodes of the wrong type, a closed
pipeline, exceptions inside a progress callback, CUDA tensors on the CPU backend."""

import numpy as np
import pytest

import ysgraph


def err(fn, *args, **kw):
    with pytest.raises(ysgraph.Error) as e:
        fn(*args, **kw)
    return e.value


def test_load_errors_carry_status_and_location(tmp_path):
    e = err(ysgraph.Pipeline, source="canvas { width = 32 }\nline { width = -1 }\n", name="bad.lua")
    assert e.name == "YSG_ERR_PIPELINE" and e.status == 2
    assert e.message.startswith("bad.lua:2: node 'line_1' (line): parameter 'width'"), e.message
    e = err(ysgraph.Pipeline, tmp_path / "missing.lua")
    assert e.name == "YSG_ERR_IO" and "missing.lua" in e.message
    e = err(ysgraph.Pipeline, source="canvas {}", backend="gpu")
    assert e.message == "Pipeline: backend 'gpu': expected one of auto, cpu, cuda"
    e = err(ysgraph.Pipeline)
    assert e.message == "Pipeline: give exactly one of path= and source="
    e = err(ysgraph.Pipeline, source="fill { name = 'f' }", set={"f.nope": 1})
    assert e.message == "--set f.nope=1: node 'f' (fill) has no parameter 'nope'"


def test_bad_images(image_source):
    with ysgraph.Pipeline(source=image_source) as p:
        e = err(p.set_image, "frames", np.zeros((32, 48, 3), np.float64))
        assert e.message == ("set_image: node 'frames': an array of dtype float64 and shape "
                             "(32, 48, 3) is not an image: expected (H, W, 3|4) uint8/uint16/"
                             "float32, (H, W, 4) float16 or (H, W) float32")
        e = err(p.set_image, "frames", np.zeros((32, 48, 2), np.uint8))
        assert "shape (32, 48, 2) is not an image" in e.message
        e = err(p.set_image, "frames", np.zeros((30, 48, 4), np.uint8))
        assert e.name == "YSG_ERR_INVALID"
        assert e.message == ("ysg_pipeline_set_image_dlpack: node 'frames': expected a uint8 "
                             "tensor of shape (32, 48, 4) (rgba8, the canvas size) on the CPU, "
                             "got uint8 (30, 48, 4) strides (192, 4, 1) on cpu")
        e = err(p.set_image, "frames", np.zeros((32, 48, 4), np.uint8), format="rgb9")
        assert e.message.startswith("set_image: node 'frames': format 'rgb9': expected one of rgba8")
        e = err(p.set_image, "frames", np.zeros((32, 48, 4), np.uint8), format="rgb32f")
        assert "expected a float32 tensor of shape (32, 48, 3) (rgb32f" in e.message
        e = err(p.set_image, "nope", np.zeros((32, 48, 4), np.uint8))
        assert e.name == "YSG_ERR_NOT_FOUND" and e.message.endswith("no node named 'nope'")
        e = err(p.set_image, "frames", "not an image")
        assert "is not an image" in e.message
        e = err(p.set_image, 3, np.zeros((32, 48, 4), np.uint8))
        assert e.message == "set_image: node: expected a node name (a non-empty str), got 3"
        nan = np.zeros((32, 48, 3), np.float32)
        nan[4, 5, 2] = np.nan
        e = err(p.set_image, "frames", nan, copy=True)
        assert e.message.endswith("(image_in): pixel (5, 4) channel 2 is not a finite number")
        p.set_image("frames", nan)  # lent: checked when a frame reads it
        e = err(p.run, 0)
        assert e.name == "YSG_ERR_DATA" and "frame 0: pixel (5, 4) channel 2" in e.message


def test_bad_points_boxes_params(dots_source):
    with ysgraph.Pipeline(source=dots_source) as p:
        e = err(p.set_points, "tracks", np.zeros((3, 3)))
        assert e.message == "set_points: node 'tracks': xy: expected shape (N, 2), got (3, 3)"
        e = err(p.set_points, "tracks", [[1, 2]], ids=[1, 2])
        assert e.message == ("set_points: node 'tracks': ids has 2 rows, expected 1 (one per "
                             "element)")
        e = err(p.set_points, "tracks", [["a", "b"]])
        assert e.message == "set_points: node 'tracks': xy: expected numbers, got dtype <U1"
        e = err(p.set_points, "tracks", np.zeros((17, 2)))
        assert e.name == "YSG_ERR_LIMIT" and "17 points exceed the capacity 16" in e.message
        e = err(p.set_points, "tracks", [[np.inf, 0]])
        assert e.name == "YSG_ERR_DATA" and "point 0: x is inf" in e.message
        e = err(p.set_boxes, "tracks", [[0, 0, 1, 1]])
        assert "node 'tracks' is a points_in node, expected boxes_in" in e.message
        e = err(p.set_param, "dots_1.radius", "big")
        assert e.message == "'dots_1.radius': no node named 'dots_1'"
        e = err(p.set_param, "dot_1.radius", "big")
        assert e.message == ("pipeline.lua:3: node 'dot_1' (dot): parameter 'radius': expected "
                             "a number, got 'big'")
        e = err(p.set_param, "dot_1.nope", 1)
        assert "has no parameter 'nope'" in e.message
        e = err(p.run, -1)
        assert e.message == "run: frame -1: expected an int >= 0"
        e = err(p.image, "out", "rgb9")
        assert e.message.startswith("image: format 'rgb9': expected one of")
        e = err(p.image, "nope")
        assert e.name == "YSG_ERR_NOT_FOUND"
        e = err(p.image, "tracks")
        assert "not kept after the frame" in e.message
        e = err(p.image, "out", out=np.zeros((2, 2, 4), np.uint8))
        assert e.message == ("image: out: expected a uint8 array of shape (32, 64, 4) with "
                             "packed pixels, got uint8 (2, 2, 4)")


def test_progress_exceptions_propagate_and_stop(dots_source):
    src = dots_source.replace("height = 32", "height = 32, frames = 10")
    with ysgraph.Pipeline(source=src) as p:
        def boom(f, done, total):
            if done == 3:
                raise KeyError("stop here")
        with pytest.raises(KeyError):
            p.render(progress=boom)
        assert p.stats()["frames"] == 3


def test_closed_pipeline_raises(dots_source):
    p = ysgraph.Pipeline(source=dots_source)
    p.close()
    p.close()  # twice is fine
    for call, args in [(p.run, (0,)), (p.image, ("out",)), (p.set_points, ("tracks", [[0, 0]])),
                       (p.stats, ()), (p.render, ()), (p.torch, ("out",))]:
        e = err(call, *args)
        assert e.message.endswith(": the pipeline is closed") and e.name == "YSG_ERR_INVALID"
    with pytest.raises(ysgraph.Error):
        p.canvas
    assert repr(p) == "<ysgraph.Pipeline (closed)>"


def test_cuda_tensor_on_the_cpu_backend(image_source):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device for torch here")
    with ysgraph.Pipeline(source=image_source, backend="cpu") as p:
        e = err(p.set_image, "frames", torch.zeros((32, 48, 4), dtype=torch.uint8, device="cuda"))
        assert "the pipeline runs on the CPU backend" in e.message
