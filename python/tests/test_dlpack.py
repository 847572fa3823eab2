"""test_dlpack.py — zero-copy paths: an image lent with set_image is read at every frame (changing
the array changes the next frame) and counted as no copy; lent arrays are let go on replacement
and close; FP16 views alias the pipeline's memory, outlive close() and show the latest frame;
torch CPU tensors in and out; copy=True and non-packed arrays convert a copy (counted)."""

import gc

import numpy as np
import pytest

import ysgraph
from ysgraph import _dlpack

torch = pytest.importorskip("torch")


def test_lent_image_is_read_every_frame(image_source):
    with ysgraph.Pipeline(source=image_source) as p:
        frame = np.zeros((32, 48, 3), np.uint8)
        p.set_image("frames", frame)
        before = p.stats()["bytes_copied"]
        for f in range(3):
            frame[5, 7] = (10 * f + 1, 0, 0)
            p.run(f)
            view = p.image("out", "rgba16f_linear", copy=False)
            assert view[5, 7, 3] == 1.0
            assert p.image("out")[5, 7, 0] == 10 * f + 1
        assert p.stats()["bytes_copied"] - before == 3 * 32 * 48 * 4, "only the rgba8 reads copied"
        assert p.stats()["lent_arrays"] >= 1


def test_lent_arrays_are_let_go(image_source):
    base = _dlpack.lent_count()
    p = ysgraph.Pipeline(source=image_source)
    a = np.zeros((32, 48, 4), np.uint8)
    p.set_image("frames", a)
    assert _dlpack.lent_count() == base + 1
    p.set_image("frames", np.ones((32, 48), np.float32))  # replaces: the first is let go
    assert _dlpack.lent_count() == base + 1
    p.set_image("frames", a, copy=True)  # a copy replaces the lent one
    assert _dlpack.lent_count() == base
    p.set_image("frames", a)
    p.close()
    assert _dlpack.lent_count() == base


def test_views_outlive_close_and_show_the_latest_frame(dots_source):
    p = ysgraph.Pipeline(source=dots_source)
    p.set_points("tracks", [[10, 10]])
    p.run(0)
    view = p.image("out", "rgba16f_linear", copy=False)
    tview = p.torch("out")
    assert view.dtype == np.float16 and view.shape == (32, 64, 4)
    assert tview.dtype == torch.float16 and tuple(tview.shape) == (32, 64, 4)
    assert view[10, 10, 3] == 1.0 and view[20, 50, 3] == 0.0
    p.set_points("tracks", [[50, 20]])
    p.run(1)
    assert view[20, 50, 3] == 1.0, "the view shows the latest frame"
    assert view[10, 10, 3] == 0.0, "tiles left empty read as transparent"
    p.close()
    gc.collect()
    assert view[20, 50, 3] == 1.0 and float(tview[20, 50, 3]) == 1.0, "still readable after close"
    assert view.ctypes.data == tview.data_ptr(), "both view the same memory"
    del view, tview
    gc.collect()


def test_torch_tensors_in_and_out(image_source):
    with ysgraph.Pipeline(source=image_source) as p:
        img = torch.zeros((32, 48, 3), dtype=torch.float32)
        img[..., 0] = 0.5
        p.set_image("frames", img)
        p.run(0)
        rgb = p.torch("out", "rgb32f")
        assert rgb.dtype == torch.float32 and tuple(rgb.shape) == (32, 48, 3)
        assert abs(float(rgb[3, 3, 0]) - 0.5) < 2e-3
        mask = p.torch("out", "mask")
        assert tuple(mask.shape) == (32, 48) and float(mask.min()) == 1.0
        out = torch.empty((32, 48, 4), dtype=torch.uint8)
        assert p.torch("out", "rgba8", out=out) is out and int(out[0, 0, 0]) in (127, 128)
        batch = torch.rand((4, 32, 48, 3))
        for f in range(4):  # a ComfyUI-style batch: each frame is a view of the batch
            p.set_image("frames", batch[f])
            p.run(f)
            np.testing.assert_allclose(p.torch("out", "rgb32f").numpy(), batch[f].numpy(),
                                       atol=3e-3)


def test_copies_are_counted(image_source):
    with ysgraph.Pipeline(source=image_source) as p:
        a = np.zeros((32, 96, 4), np.uint8)[:, ::2]  # pixels not packed: copied first
        p.set_image("frames", a)
        assert p.stats()["bytes_copied"] == 32 * 48 * 4
        p.set_image("frames", np.zeros((32, 48, 4), np.uint8), copy=True)
        assert p.stats()["bytes_copied"] == 2 * 32 * 48 * 4
