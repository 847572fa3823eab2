"""pipeline.py — ysgraph.Pipeline: load a pipeline, feed points/boxes/images, run frames, read
images and values back as numpy arrays or torch tensors.

Lifetimes: a Pipeline owns its context and pipeline; close() (or the with-block, or garbage
collection) releases them, and any later call raises ysgraph.Error. Arrays that view the
pipeline's memory (image(..., copy=False), torch(ref), value(...)) keep that memory alive by
themselves (the library frees it when the last view goes), and show the latest frame: copy them
to keep a frame. Images lent with set_image are held until the next set_image on that node or
close(). One thread at a time per pipeline (a lock serialises calls).
"""

import ctypes
import json
import logging
import os
import threading
from collections import namedtuple

import numpy as np

from . import _dlpack as D
from . import _lib as L
from .errors import Error

_log = logging.getLogger("ysgraph")
_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}

Canvas = namedtuple("Canvas", "width height frames fps background")
_CANCELLED = 11  # YSG_ERR_CANCELLED


@L.LOG_FN
def _log_cb(ud, level, msg):
    _log.log(_LEVELS.get(level, logging.INFO), "%s", msg.decode(errors="replace"))


def _context(threads=0):
    opt = L.ContextOptions()  # zeroed; ysg_context_options_init is inline in the C header
    opt.struct_size = ctypes.sizeof(opt)
    opt.log = _log_cb
    opt.log_level = 1
    opt.threads = int(threads)
    ctx = ctypes.c_void_p()
    status = L.lib.ysg_context_create(ctypes.byref(opt), ctypes.byref(ctx))
    if status:
        raise Error(status, f"cannot create a ysgraph context (threads={threads})")
    return ctx


def _b(s):
    return s.encode() if isinstance(s, str) else s


def _name(what, value):
    if not isinstance(value, str) or not value:
        raise Error.invalid(f"{what}: expected a node name (a non-empty str), got {value!r}")
    return value.encode()


_FORMAT_OF = {("uint8", 4): "rgba8", ("uint8", 3): "rgb8", ("uint16", 4): "rgba16",
              ("uint16", 3): "rgb16", ("float16", 4): "rgba16f_linear", ("float32", 4): "rgba32f",
              ("float32", 3): "rgb32f", ("float32", 1): "mask"}


class Pipeline:
    """A loaded ysgraph pipeline.

    Pipeline(path) or Pipeline(source=LUA_TEXT); backend "auto" | "cpu" | "cuda"; set: {name:
    value} overrides (param() names or "node.param", as --set); output_dir: where relative output
    paths go; keep: values to keep readable besides unconsumed outputs; threads: CPU workers (0:
    all cores); unsafe: lift the Lua sandbox.
    """

    def __init__(self, path=None, source=None, backend="auto", set=None, output_dir=None,
                 keep=(), threads=0, unsafe=False, name=None):
        if (path is None) == (source is None):
            raise Error.invalid("Pipeline: give exactly one of path= and source=")
        if backend not in L.BACKENDS:
            raise Error.invalid(f"Pipeline: backend {backend!r}: expected one of "
                                f"{', '.join(L.BACKENDS)}")
        self._lock = threading.RLock()
        self._ctx = self._p = None
        self._bytes_copied = 0
        self._frames = 0
        self._cuda_stream = None
        self._ctx = _context(threads)
        opt = L.LoadOptions()  # zeroed: backend auto (ysg_load_options_init is inline in C)
        opt.struct_size = ctypes.sizeof(opt)
        opt.backend = L.BACKENDS[backend]
        opt.unsafe = 1 if unsafe else 0
        keepalive = []
        if output_dir is not None:
            opt.output_dir = _b(os.fspath(output_dir))
        if set:
            defs = (L.Define * len(set))()
            for i, (k, v) in enumerate(set.items()):
                v = ("true" if v else "false") if isinstance(v, bool) else str(v)
                defs[i].name, defs[i].value = _b(str(k)), _b(v)
            opt.defines, opt.n_defines = defs, len(set)
            keepalive.append(defs)
        keep = [keep] if isinstance(keep, str) else list(keep)
        if keep:
            arr = (ctypes.c_char_p * len(keep))(*[_b(k) for k in keep])
            opt.keep, opt.n_keep = arr, len(keep)
            keepalive.append(arr)
        p = ctypes.c_void_p()
        if path is not None:
            status = L.lib.ysg_pipeline_load_file(self._ctx, _b(os.fspath(path)), ctypes.byref(opt),
                                                  ctypes.byref(p))
        else:
            status = L.lib.ysg_pipeline_load_string(self._ctx, _b(source), _b(name or "pipeline.lua"),
                                                    ctypes.byref(opt), ctypes.byref(p))
        if status:
            err = self._error(status)
            L.lib.ysg_context_destroy(self._ctx)
            self._ctx = None
            raise err
        self._p = p

    # ---- lifetime --------------------------------------------------------------------------------
    def close(self):
        """Release the pipeline (flushing pending writes). Views stay valid; calls raise."""
        with self._lock:
            if self._p is not None:
                L.lib.ysg_pipeline_destroy(self._p)
                self._p = None
            if self._ctx is not None:
                L.lib.ysg_context_destroy(self._ctx)
                self._ctx = None

    @property
    def closed(self):
        return self._p is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_lock", None) is not None:
            self.close()

    def __repr__(self):
        if self._p is None:
            return "<ysgraph.Pipeline (closed)>"
        c = self.canvas
        return f"<ysgraph.Pipeline {self.file} {c.width}x{c.height} {self.backend}>"

    def _live(self, what):
        if self._p is None:
            raise Error.invalid(f"{what}: the pipeline is closed")
        return self._p

    def _error(self, status):
        return Error(status, L.lib.ysg_errmsg(self._ctx).decode(errors="replace"))

    def _check(self, status):
        if status:
            raise self._error(status)

    # ---- what was loaded -------------------------------------------------------------------------
    @property
    def canvas(self):
        with self._lock:
            c = L.lib.ysg_pipeline_canvas(self._live("canvas")).contents
            return Canvas(c.width, c.height, c.frames, c.fps, tuple(c.background))

    @property
    def backend(self):
        with self._lock:
            return L.BACKEND_NAMES[L.lib.ysg_pipeline_backend(self._live("backend"))]

    @property
    def file(self):
        with self._lock:
            return L.lib.ysg_pipeline_file(self._live("file")).decode()

    def node_info(self):
        """Per node: name, type, file, line, step, runs, total_ms, on_device, device_ms, info,
        fused_into (index of the merge whose pass renders its tiles, -1), tile_ms."""
        with self._lock:
            p = self._live("node_info")
            out = []
            for i in range(L.lib.ysg_pipeline_node_count(p)):
                n = L.out_struct(L.NodeInfo)
                self._check(L.lib.ysg_pipeline_node_info(p, i, ctypes.byref(n)))
                out.append({"name": n.name.decode(), "type": n.type.decode(),
                            "file": n.file.decode() if n.file else None, "line": n.line,
                            "step": n.step, "runs": n.runs, "total_ms": n.total_ms,
                            "on_device": bool(n.on_device), "device_ms": n.device_ms,
                            "info": n.info.decode() if n.info else "",
                            "fused_into": n.fused_into, "tile_ms": n.tile_ms})
            return out

    def stats(self):
        """Frames run, bytes the binding copied or converted, plan, per-node timings, CUDA."""
        with self._lock:
            p = self._live("stats")
            plan = L.out_struct(L.PlanInfo)
            self._check(L.lib.ysg_pipeline_plan(p, ctypes.byref(plan)))
            out = {"frames": self._frames, "bytes_copied": self._bytes_copied,
                   "lent_arrays": D.lent_count(), "backend": self.backend,
                   "arena_bytes": plan.arena_bytes, "lower_bound_bytes": plan.lower_bound_bytes,
                   "nodes": self.node_info()}
            ds = L.out_struct(L.DeviceStats)
            if L.lib.ysg_pipeline_device_stats(p, ctypes.byref(ds)) == 0:
                out["cuda"] = {k: getattr(ds, k) for k, _ in L.DeviceStats._fields_}
            return out

    # ---- inputs ----------------------------------------------------------------------------------
    def set_param(self, name, value):
        """Set a node parameter ("node.param") to a constant for the next frames."""
        with self._lock:
            p = self._live("set_param")
            key = _name("set_param: name", name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self._check(L.lib.ysg_pipeline_set_param_number(p, key, float(value)))
            else:
                v = ("true" if value else "false") if isinstance(value, bool) else str(value)
                self._check(L.lib.ysg_pipeline_set_param(p, key, v.encode()))

    def _rows(self, call, node, arg, array, cols, dtype=np.float32):
        what = f"{call}: node '{node}': {arg}"
        if D.is_torch(array):
            array = array.detach().cpu().numpy()
        try:
            a = np.asarray(array)
        except Exception as e:  # noqa: BLE001 - anything numpy cannot take
            raise Error.invalid(f"{what}: expected an array, got {type(array).__name__}") from e
        if a.dtype.kind not in "fiu":
            raise Error.invalid(f"{what}: expected numbers, got dtype {a.dtype}")
        shape = "(N,)" if cols == 1 else f"(N, {cols})"
        if (cols == 1 and a.ndim != 1) or (cols > 1 and (a.ndim != 2 or a.shape[1] != cols)):
            raise Error.invalid(f"{what}: expected shape {shape}, got {tuple(a.shape)}")
        out = np.ascontiguousarray(a, dtype=dtype)
        if out is not a and not np.shares_memory(out, a):
            self._bytes_copied += out.nbytes
        return out

    def _attrs(self, call, node, n, ids, radius, rgba, conf=None, labels=None):
        cols = {}
        if ids is not None:
            cols["ids"] = self._rows(call, node, "ids", ids, 1, np.int32)
        if radius is not None:
            cols["radius"] = self._rows(call, node, "radius", radius, 1)
        if rgba is not None:
            cols["rgba"] = self._rows(call, node, "rgba", rgba, 4)
        if conf is not None:
            cols["conf"] = self._rows(call, node, "conf", conf, 1)
        if labels is not None:  # class names per element: indices into the distinct names
            labels = [None if x is None else str(x) for x in labels]  # None: no label
            names = sorted({x for x in labels if x is not None})
            index = {name: i for i, name in enumerate(names)}
            cols["labels"] = np.array([index.get(x, -1) for x in labels], np.int32)
            cols["names"] = (ctypes.c_char_p * max(1, len(names)))(*[x.encode() for x in names])
            cols["n_names"] = len(names)
        for k, v in cols.items():
            if k in ("names", "n_names"):
                continue
            if v.shape[0] != n:
                raise Error.invalid(f"{call}: node '{node}': {k} has {v.shape[0]} rows, "
                                    f"expected {n} (one per element)")
        return cols

    @staticmethod
    def _fill_attrs(d, c):
        d.conf = c["conf"].ctypes.data if "conf" in c else None
        if "labels" in c:
            d.label = c["labels"].ctypes.data
            d.label_names = ctypes.cast(c["names"], ctypes.POINTER(ctypes.c_char_p))
            d.n_label_names = c["n_names"]

    def set_points(self, node, xy, ids=None, radius=None, rgba=None, conf=None, labels=None):
        """Points for a points_in node: xy (N, 2) pixels; ids (N,) int; radius (N,) pixels; rgba
        (N, 4) sRGB straight alpha 0..1; conf (N,) detection confidence; labels: N class names
        (None: no label).
        Copied; shown every frame until the next call."""
        with self._lock:
            p = self._live("set_points")
            key = _name("set_points: node", node)
            xy = self._rows("set_points", node, "xy", xy, 2)
            c = self._attrs("set_points", node, xy.shape[0], ids, radius, rgba, conf, labels)
            d = L.PointsDesc(xy.shape[0], xy.ctypes.data,
                             c["ids"].ctypes.data if "ids" in c else None,
                             c["radius"].ctypes.data if "radius" in c else None,
                             c["rgba"].ctypes.data if "rgba" in c else None)
            self._fill_attrs(d, c)
            self._check(L.lib.ysg_pipeline_set_points(p, key, ctypes.byref(d)))

    def set_boxes(self, node, xywh, ids=None, rgba=None, conf=None, labels=None):
        """Boxes for a boxes_in node: xywh (N, 4) top-left and size in pixels; ids; rgba; conf;
        labels (as set_points)."""
        with self._lock:
            p = self._live("set_boxes")
            key = _name("set_boxes: node", node)
            b = self._rows("set_boxes", node, "xywh", xywh, 4)
            c = self._attrs("set_boxes", node, b.shape[0], ids, None, rgba, conf, labels)
            d = L.BoxesDesc(b.shape[0], b.ctypes.data,
                            c["ids"].ctypes.data if "ids" in c else None,
                            c["rgba"].ctypes.data if "rgba" in c else None)
            self._fill_attrs(d, c)
            self._check(L.lib.ysg_pipeline_set_boxes(p, key, ctypes.byref(d)))

    def set_image(self, node, image, format=None, copy=False):
        """An image for an image_in node: numpy or torch, (H, W, 3|4) uint8/uint16/float32
        (sRGB; 3 channels = opaque), (H, W, 4) float16 (linear premultiplied), (H, W) float32
        (a mask: white matte). format overrides the guess (e.g. "rgba32f_linear").

        Without copy the array is lent (DLPack, zero-copy): the pipeline reads it at every
        frame until the next set_image on the node, so changing it between frames changes the
        next frame. A CUDA tensor needs the CUDA backend. copy=True (or an array whose pixels
        are not packed) converts a copy now."""
        with self._lock:
            p = self._live("set_image")
            key = _name("set_image: node", node)
            what = f"set_image: node '{node}'"
            if not D.is_torch(image):
                try:
                    image = np.asarray(image)
                except Exception as e:  # noqa: BLE001
                    raise Error.invalid(f"{what}: expected a numpy array or a torch tensor, got "
                                        f"{type(image).__name__}") from e
            data, shape, strides, dtype, device = D.describe(image)
            chans = shape[2] if len(shape) == 3 else (1 if len(shape) == 2 else 0)
            fmt = format or _FORMAT_OF.get((dtype, chans))
            if fmt not in L.FORMATS:
                if format is not None:
                    raise Error.invalid(f"{what}: format {format!r}: expected one of "
                                        f"{', '.join(L.FORMATS)}")
                raise Error.invalid(
                    f"{what}: an array of dtype {dtype} and shape {shape} is not an image: "
                    "expected (H, W, 3|4) uint8/uint16/float32, (H, W, 4) float16 or (H, W) "
                    "float32")
            if not D.packed_pixels(shape, strides) and device[0] == L.kDLCPU and len(shape) in (2, 3):
                image = np.ascontiguousarray(image if not D.is_torch(image) else image.numpy())
                self._bytes_copied += image.nbytes
                data, shape, strides, dtype, device = D.describe(image)
            if copy:
                if device[0] != L.kDLCPU:
                    image = image.cpu()
                    data, shape, strides, dtype, device = D.describe(image)
                if len(shape) not in (2, 3):
                    raise Error.invalid(f"{what}: expected (H, W) or (H, W, C), got {shape}")
                d = L.ImageDesc(shape[1], shape[0], L.FORMATS[fmt][0], data,
                                strides[0] * np.dtype(dtype).itemsize if strides else 0)
                self._check(L.lib.ysg_pipeline_set_image(p, key, ctypes.byref(d)))
                self._bytes_copied += int(np.prod(shape)) * np.dtype(dtype).itemsize
                return
            if dtype not in D._NP_DTYPES:
                raise Error.invalid(f"{what}: dtype {dtype} is not supported: expected uint8, "
                                    "uint16, float16 or float32")
            if device[0] == L.kDLCUDA:
                self._use_torch_stream()
            managed, lent = D.lend(image, data, shape, strides, dtype, device)
            status = L.lib.ysg_pipeline_set_image_dlpack(p, key, L.FORMATS[fmt][0], managed)
            if status:
                D.forget(lent)
                raise self._error(status)

    def _use_torch_stream(self):
        """CUDA tensors: order frames with torch's current stream (set_cuda_stream)."""
        import torch  # only reached with torch CUDA tensors

        stream = torch.cuda.current_stream().cuda_stream
        if stream != self._cuda_stream:
            self._check(L.lib.ysg_pipeline_set_cuda_stream(self._p, ctypes.c_void_p(stream)))
            self._cuda_stream = stream

    # ---- running ---------------------------------------------------------------------------------
    def run(self, frame=0):
        """Run one frame."""
        with self._lock:
            p = self._live("run")
            if not isinstance(frame, int) or frame < 0:
                raise Error.invalid(f"run: frame {frame!r}: expected an int >= 0")
            self._check(L.lib.ysg_pipeline_run_frame(p, frame))
            self._frames += 1

    def render(self, first=0, last=None, progress=None):
        """Run frames first..last (inclusive; last defaults to the canvas' last frame), then wait
        for outputs; returns the frames run. progress(frame, done, total) is called after each
        frame; a true return value stops the range there (an exception too, re-raised here)."""
        with self._lock:
            p = self._live("render")
            if last is None:
                last = L.lib.ysg_pipeline_canvas(p).contents.frames - 1
            raised, ran = [], [0]

            def cb(ud, frame, done, total):
                ran[0] = done
                if progress is None:
                    return 0
                try:
                    return 1 if progress(frame, done, total) else 0
                except BaseException as e:  # noqa: BLE001 - re-raised below, KeyboardInterrupt too
                    raised.append(e)
                    return 1

            fn = L.PROGRESS_FN(cb)
            status = L.lib.ysg_pipeline_run_range(p, int(first), int(last), fn, None)
            self._frames += ran[0]
            if raised:
                raise raised[0]
            if status and not (status == _CANCELLED and progress is not None):
                self._check(status)
            return ran[0]

    def flush(self):
        """Wait for background writes (PNG, video) to finish."""
        with self._lock:
            self._check(L.lib.ysg_pipeline_flush(self._live("flush")))

    def finish(self):
        """The run is complete: flush and let sinks finalise their files (video trailers)."""
        with self._lock:
            self._check(L.lib.ysg_pipeline_finish(self._live("finish")))

    # ---- outputs ---------------------------------------------------------------------------------
    def _value(self, ref):
        v = ctypes.POINTER(L.Value)()
        self._check(L.lib.ysg_pipeline_get_value(self._p, _name("value: ref", ref),
                                                 ctypes.byref(v)))
        return v.contents

    def _export(self, ref):
        m = ctypes.POINTER(L.DLManagedTensor)()
        self._check(L.lib.ysg_pipeline_get_value_dlpack(self._p, _b(ref), ctypes.byref(m)))
        return D.Exported(m)

    def image(self, ref, format="rgba8", out=None, copy=True):
        """An image value as a numpy array: format "rgba8" (default), "rgb8", "rgba16", "rgb16",
        "rgb32f" (ComfyUI's IMAGE), "rgba32f", "mask" (alpha, (H, W)), "rgba16f_linear" or
        "rgba32f_linear". Tiles left empty this frame read as transparent. out: an array to
        write into. format="rgba16f_linear" with copy=False gives a zero-copy view of the
        pipeline's memory (valid after close(); overwritten by the next frame)."""
        with self._lock:
            self._live("image")
            _name("image: ref", ref)
            if format not in L.FORMATS:
                raise Error.invalid(f"image: format {format!r}: expected one of "
                                    f"{', '.join(L.FORMATS)}")
            if not copy:
                if format != "rgba16f_linear" or out is not None:
                    raise Error.invalid("image: copy=False gives the engine's own pixels: "
                                        "format='rgba16f_linear' and no out=")
                arr = np.from_dlpack(self._export(ref))
                if arr.ndim != 3:
                    raise Error.invalid(f"image: '{ref}' is not an image")
                return arr
            v = self._value(ref)
            if v.type != 4:
                raise Error.invalid(f"image: '{ref}' is {L.VALUE_TYPES.get(v.type)}, not an image")
            enum, dtype, chans = L.FORMATS[format]
            shape = (v.height, v.width) + ((chans,) if chans > 1 else ())
            if out is None:
                out = np.empty(shape, dtype)
            elif D.is_torch(out):
                return self.torch(ref, format, out=out)
            elif (not isinstance(out, np.ndarray) or out.dtype != np.dtype(dtype)
                  or out.shape != shape or not D.packed_pixels(shape, D.describe(out)[2])):
                got = (f"{out.dtype} {out.shape}" if isinstance(out, np.ndarray)
                       else type(out).__name__)
                raise Error.invalid(f"image: out: expected a {dtype} array of shape {shape} with "
                                    f"packed pixels, got {got}")
            stride = out.strides[0]
            nbytes = (shape[0] - 1) * stride + shape[1] * np.dtype(dtype).itemsize * chans
            self._check(L.lib.ysg_pipeline_read_image(self._p, ref.encode(), enum,
                                                      out.ctypes.data, nbytes, stride))
            self._bytes_copied += nbytes
            return out

    def torch(self, ref, format=None, out=None, device=None):
        """An image (or points/boxes/edges/curves) as a torch tensor. format None: a zero-copy
        view of the pipeline's memory through DLPack (images float16 (H, W, 4) linear
        premultiplied; on the CUDA backend a CUDA tensor). A format converts into a new tensor
        (on device, default: the view's device) or into out; on the CUDA backend a CUDA out is
        written by a kernel without a host trip."""
        import torch
        import torch.utils.dlpack

        with self._lock:
            self._live("torch")
            _name("torch: ref", ref)
            if format is None and out is None:
                return torch.utils.dlpack.from_dlpack(self._export(ref).__dlpack__())
            if format not in L.FORMATS:
                raise Error.invalid(f"torch: format {format!r}: expected one of "
                                    f"{', '.join(L.FORMATS)}")
            enum, dtype, chans = L.FORMATS[format]
            if dtype == "uint16":
                raise Error.invalid(f"torch: format {format!r}: torch has no uint16; use "
                                    "image() for a numpy array")
            if out is None:
                w, h, dev = self._image_geometry(ref)
                shape = (h, w) + ((chans,) if chans > 1 else ())
                out = torch.empty(shape, dtype=getattr(torch, dtype), device=device or dev)
            data, shape, strides, odt, odev = D.describe(out)
            t = L.DLTensor()
            keep = []
            if odt not in D._NP_DTYPES:
                raise Error.invalid(f"torch: out: dtype {odt} is not supported")
            D.fill_tensor(t, data, shape, strides, odt, odev, keep)
            if odev[0] == L.kDLCUDA:
                self._use_torch_stream()
            self._check(L.lib.ysg_pipeline_read_image_dlpack(self._p, ref.encode(), enum,
                                                             ctypes.byref(t)))
            self._bytes_copied += out.numel() * out.element_size()
            return out

    def _image_geometry(self, ref):
        """(width, height, "cpu" | "cuda") of an image value, from its view (no copy)."""
        m = ctypes.POINTER(L.DLManagedTensor)()
        self._check(L.lib.ysg_pipeline_get_value_dlpack(self._p, _b(ref), ctypes.byref(m)))
        t = m.contents.dl_tensor
        geometry = (t.shape[1], t.shape[0], "cuda" if t.device.device_type == L.kDLCUDA else "cpu")
        ndim = t.ndim
        m.contents.deleter(m)
        if ndim != 3:
            raise Error.invalid(f"'{ref}' is not an image")
        return geometry

    def value(self, ref, copy=True):
        """A points/boxes/edges/curves value (or an image as FP16) as a numpy array: points
        (N, 2) xy, boxes (N, 4) xywh, edges (N, 2) int32, curves (N, S, 2); N this frame's
        count. copy=False: a zero-copy view (see image())."""
        with self._lock:
            self._live("value")
            _name("value: ref", ref)
            exp = self._export(ref)
            if exp.__dlpack_device__()[0] != L.kDLCPU:
                import torch.utils.dlpack

                arr = torch.utils.dlpack.from_dlpack(exp.__dlpack__()).cpu().numpy()
                self._bytes_copied += arr.nbytes
                return arr
            arr = np.from_dlpack(exp)
            if copy:
                arr = arr.copy()
                self._bytes_copied += arr.nbytes
            return arr

    def attributes(self, ref):
        """The per-element attributes of a points or boxes value this frame, as a dict of copies:
        "ids" (N,) int32, "radius" (N,) float32, "conf" (N,) float32, "rgba" (N, 4) float32
        (linear-light, straight alpha) and "labels" (N class names, None where an element has
        none) — each only when the value carries it (e.g. after a source's min_conf filter)."""
        with self._lock:
            self._live("attributes")
            _name("attributes: ref", ref)
            v = self._value(ref)
            kind = L.VALUE_TYPES.get(v.type)
            if kind not in ("points", "boxes"):
                raise Error.invalid(f"attributes: '{ref}' is {kind}, not points or boxes")
            n, out = v.count, {}

            def column(ptr, ctype, cols=1):
                shape = (n, cols) if cols > 1 else (n,)
                if n == 0:
                    return np.zeros(shape, np.dtype(ctype))
                a = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctype)), shape=shape)
                self._bytes_copied += a.nbytes
                return a.copy()

            for bit, key, ptr, ctype, cols in ((1, "ids", v.id, ctypes.c_int32, 1),
                                               (2, "radius", v.radius, ctypes.c_float, 1),
                                               (8, "conf", v.conf, ctypes.c_float, 1),
                                               (4, "rgba", v.rgba, ctypes.c_float, 4)):
                if v.attrs & bit and ptr:
                    out[key] = column(ptr, ctype, cols)
            if v.attrs & 16 and v.label and v.labels:
                table = ctypes.cast(v.labels, ctypes.POINTER(L.LabelTable)).contents
                names = [table.names[i].decode() for i in range(table.count)]
                idx = column(v.label, ctypes.c_int32)
                out["labels"] = [names[i] if 0 <= i < len(names) else None for i in idx]
            return out

    def shapes(self, ref):
        """A shapes value (the primitives node's `shapes`) as a dict of numpy arrays, record 0
        being the background: kind (N,) int32 indexing SHAPE_KINDS, kinds (N names), geom (N, 8)
        float32 canvas pixels (meaning per kind as in include/ysgraph/value.h), rgba (N, 4)
        linear straight colour whose alpha is the opacity, error (N,) the RMSE once drawn."""
        with self._lock:
            self._live("shapes")
            v = self._value(ref)
            if v.type != L.YSG_SHAPES:
                raise Error.invalid(f"shapes: '{ref}' is {L.VALUE_TYPES.get(v.type)}, not shapes")
            n = max(0, min(v.count, v.capacity))

            def rows(ptr, ctype, cols, dtype):
                if n == 0:
                    return np.zeros((0, cols) if cols > 1 else (0,), dtype)
                a = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctype)),
                                          (n * cols,)).astype(dtype, copy=True)
                return a.reshape(n, cols) if cols > 1 else a

            kind = rows(v.kind, ctypes.c_int32, 1, np.int32)
            out = {"kind": kind, "kinds": [L.SHAPE_KINDS[k] for k in kind],
                   "geom": rows(v.geom, ctypes.c_float, 8, np.float32),
                   "rgba": rows(v.rgba, ctypes.c_float, 4, np.float32),
                   "error": rows(v.error, ctypes.c_float, 1, np.float32)}
            self._bytes_copied += sum(a.nbytes for k, a in out.items() if k != "kinds")
            return out


def nodes():
    """Every node type's schema as dicts: name, category, doc, flags, cuda, inputs, outputs,
    params (name, kind, default, min, max, choices, static, required, doc)."""
    global _NODES
    if _NODES is None:
        ctx = _context(1)
        try:
            need = ctypes.c_size_t()
            L.lib.ysg_node_types_json(ctx, None, 0, ctypes.byref(need))
            buf = ctypes.create_string_buffer(need.value)
            status = L.lib.ysg_node_types_json(ctx, buf, need.value, None)
            if status:
                raise Error(status, L.lib.ysg_errmsg(ctx).decode())
            _NODES = json.loads(buf.value.decode())
        finally:
            L.lib.ysg_context_destroy(ctx)
    return json.loads(json.dumps(_NODES))  # a fresh copy each call


_NODES = None
