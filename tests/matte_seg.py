# matte_seg.py — tiny ONNX models for tests/test_matte_segment.c, built at test time with
# Debian's python3-onnx, and numpy's evaluation of the segment node on them.
# usage: matte_seg.py make PATH H W [OP]   a fixed 3×3 convolution (3 → 2 channels) followed by
#                                          OP (default Sigmoid); H = 0: a symbolic input size
#        matte_seg.py ref MODEL FRAME W H MW MH CHANNEL OUT
#            FRAME: H×W×4 float32, linear premultiplied; the reference of segment{width=MW,
#            height=MH, channel=CHANNEL}: area resampling in linear light, sRGB encoding, the
#            model evaluated by numpy, bilinear resampling back (half-pixel centres); OUT: H×W
#            float32
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def make(path, h, w, op="Sigmoid"):
    rng = np.random.default_rng(7)
    weights = rng.normal(0.0, 1.0, (2, 3, 3, 3)).astype(np.float32)
    bias = np.array([-0.4, 0.3], np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node(op, ["c"], ["y"]),
    ]
    hh, ww = (h, w) if h > 0 else ("h", "w")
    graph = helper.make_graph(
        nodes, "seg", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, hh, ww])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, hh, ww])],
        initializer=[numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, path)


def area(src, dst):
    """dst × src matrix: each output averages its span of src by overlap."""
    m = np.zeros((dst, src))
    s = src / dst
    for i in range(dst):
        lo, hi = i * s, (i + 1) * s
        for j in range(int(np.floor(lo)), min(int(np.ceil(hi)), src)):
            m[i, j] = max(0.0, min(hi, j + 1) - max(lo, j)) / s
    return m


def bilinear(src, dst):
    """dst × src matrix: half-pixel centres, clamped."""
    m = np.zeros((dst, src))
    for i in range(dst):
        x = min(max((i + 0.5) * src / dst - 0.5, 0.0), src - 1)
        k0 = int(np.floor(x))
        k1 = min(k0 + 1, src - 1)
        f = x - k0
        m[i, k0] += 1 - f
        m[i, k1] += f
    return m


def srgb(x):
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def ref(args):
    model_path, frame_path = args[0], args[1]
    w, h, mw, mh, ch = (int(v) for v in args[2:7])
    out_path = args[7]
    frame = np.fromfile(frame_path, np.float32).reshape(h, w, 4).astype(np.float64)
    ay, ax = area(h, mh), area(w, mw)
    small = np.einsum("ij,jkc,lk->ilc", ay, frame[..., :3], ax)  # mh × mw × 3, linear
    x = srgb(small).transpose(2, 0, 1)  # 3 × mh × mw
    model = onnx.load(model_path)
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    wt, b = init["W"], init["B"]
    pad = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    conv = np.zeros((wt.shape[0], mh, mw)) + b[:, None, None]
    for dy in range(3):
        for dx in range(3):
            conv += np.einsum("oc,chw->ohw", wt[:, :, dy, dx], pad[:, dy:dy + mh, dx:dx + mw])
    y = 1.0 / (1.0 + np.exp(-conv[ch]))
    out = np.clip(bilinear(mh, h) @ y @ bilinear(mw, w).T, 0.0, 1.0)
    out.astype(np.float32).tofile(out_path)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *(sys.argv[5:6]))
    else:
        ref(sys.argv[2:])
