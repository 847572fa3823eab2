"""_lib.py — the ctypes face of libysgraph: finding and loading the shared library, the C structs
mirrored field by field from include/ysgraph.h and include/ysgraph/dlpack.h, and the prototypes.

ctypes was chosen over cffi and a C extension: it is in the standard library (Debian ships only
cffi's backend, not the cffi module), the package installs offline as pure Python with no
compiler or Python headers, and a call costs about a microsecond — nothing next to a frame.
Option structs start with struct_size, so this file keeps working against a newer library
whose structs grew at the end.
"""

import ctypes
import ctypes.util
import os
import sys

ABI_MAJOR, ABI_MINOR = 0, 2  # the library must be 0.x with x >= 2 (SONAME libysgraph.so.0)

c_int, c_size_t, c_double, c_float = ctypes.c_int, ctypes.c_size_t, ctypes.c_double, ctypes.c_float
c_char_p, c_void_p, c_uint32, c_int32 = ctypes.c_char_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int32
POINTER = ctypes.POINTER

# ---- pixel formats (ysg_pixel_format) -----------------------------------------------------------
FORMATS = {  # name: (enum, numpy dtype name, channels)
    "rgba8": (0, "uint8", 4),
    "rgba16": (1, "uint16", 4),
    "rgba16f_linear": (2, "float16", 4),
    "rgba32f_linear": (3, "float32", 4),
    "rgb8": (4, "uint8", 3),
    "rgb16": (5, "uint16", 3),
    "rgb32f": (6, "float32", 3),
    "rgba32f": (7, "float32", 4),
    "mask": (8, "float32", 1),
}
BACKENDS = {"auto": 0, "cpu": 1, "cuda": 2}
BACKEND_NAMES = {0: "auto", 1: "cpu", 2: "cuda"}
VALUE_TYPES = {0: "points", 1: "edges", 2: "curves", 3: "boxes", 4: "image", 5: "shapes"}
YSG_SHAPES = 5


# ---- structs ------------------------------------------------------------------------------------
class Allocator(ctypes.Structure):
    _fields_ = [("alloc", c_void_p), ("free", c_void_p), ("ud", c_void_p)]


LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)


class ContextOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("allocator", Allocator), ("log", LOG_FN),
                ("log_ud", c_void_p), ("log_level", c_int), ("threads", c_int)]


class Define(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("value", c_char_p)]


class LoadOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_size_t), ("backend", c_int), ("output_dir", c_char_p),
                ("unsafe", c_int), ("lua_memory_limit", c_size_t),
                ("lua_instruction_limit", ctypes.c_uint64), ("defines", POINTER(Define)),
                ("n_defines", c_int), ("keep", POINTER(c_char_p)), ("n_keep", c_int),
                ("no_graphs", c_int), ("profile", c_int)]


class Canvas(ctypes.Structure):
    _fields_ = [("width", c_int), ("height", c_int), ("frames", c_int), ("fps", c_double),
                ("background", c_float * 4)]


class PointsDesc(ctypes.Structure):
    _fields_ = [("count", c_int), ("xy", c_void_p), ("id", c_void_p), ("radius", c_void_p),
                ("rgba", c_void_p), ("conf", c_void_p), ("label", c_void_p),
                ("label_names", POINTER(c_char_p)), ("n_label_names", c_int)]


class BoxesDesc(ctypes.Structure):
    _fields_ = [("count", c_int), ("xywh", c_void_p), ("id", c_void_p), ("rgba", c_void_p),
                ("conf", c_void_p), ("label", c_void_p), ("label_names", POINTER(c_char_p)),
                ("n_label_names", c_int)]


class ImageDesc(ctypes.Structure):
    _fields_ = [("width", c_int), ("height", c_int), ("format", c_int), ("pixels", c_void_p),
                ("stride", c_size_t)]


class Value(ctypes.Structure):
    _fields_ = [("type", c_int), ("count", c_int32), ("capacity", c_int32), ("attrs", c_uint32),
                ("samples", c_int32), ("width", c_int32), ("height", c_int32),
                ("tiles_x", c_int32), ("tiles_y", c_int32), ("xy", c_void_p), ("ij", c_void_p),
                ("id", c_void_p), ("radius", c_void_p), ("conf", c_void_p), ("rgba", c_void_p),
                ("xywh", c_void_p), ("px", c_void_p), ("tiles", c_void_p), ("label", c_void_p),
                ("labels", c_void_p), ("kind", c_void_p), ("geom", c_void_p),
                ("error", c_void_p)]

# ysg_prim_kind (include/ysgraph/value.h), in order: the kinds of a shapes value
SHAPE_KINDS = ("triangle", "rectangle", "rotated_rectangle", "ellipse", "rotated_ellipse",
               "circle", "line", "quadratic", "polygon")


class LabelTable(ctypes.Structure):  # ysg_label_table
    _fields_ = [("count", c_int32), ("names", ctypes.POINTER(c_char_p))]


class NodeInfo(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("type", c_char_p), ("file", c_char_p), ("line", c_int),
                ("step", c_int), ("total_ms", c_double), ("runs", c_int), ("on_device", c_int),
                ("device_ms", c_double), ("info", c_char_p), ("fused_into", c_int),
                ("tile_ms", c_double)]


class PlanInfo(ctypes.Structure):
    _fields_ = [("arena_bytes", c_size_t), ("lower_bound_bytes", c_size_t),
                ("n_buffers", c_int), ("n_steps", c_int), ("order", c_char_p)]


class DeviceStats(ctypes.Structure):
    _fields_ = [("segments", c_int), ("captures", c_int), ("recaptures", c_int),
                ("graph_updates", c_int), ("eager_frames", c_int), ("replayed_frames", c_int),
                ("host_syncs", c_int), ("arena_bytes", c_size_t), ("lower_bound_bytes", c_size_t),
                ("pinned_bytes", c_size_t), ("submit_ms", c_double)]


# DLPack 0.6 (dlpack/dlpack.h)
kDLCPU, kDLCUDA, kDLCUDAHost = 1, 2, 3
kDLInt, kDLUInt, kDLFloat = 0, 1, 2


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", c_int), ("device_id", c_int)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", c_void_p), ("device", DLDevice), ("ndim", c_int), ("dtype", DLDataType),
                ("shape", POINTER(ctypes.c_int64)), ("strides", POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


class DLManagedTensor(ctypes.Structure):
    pass


DL_DELETER = ctypes.CFUNCTYPE(None, POINTER(DLManagedTensor))
DLManagedTensor._fields_ = [("dl_tensor", DLTensor), ("manager_ctx", c_void_p),
                            ("deleter", DL_DELETER)]

PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_int, c_int)


def out_struct(cls):
    """An instance of cls for the library to write into, over 1 KiB of zeroed memory: the info
    structs (ysg_node_info, ysg_plan_info, ysg_device_stats) carry no size, so a newer library
    whose struct grew at the end writes past this mirror's fields into slack, not into Python."""
    buf = ctypes.create_string_buffer(max(1024, ctypes.sizeof(cls)))
    return cls.from_buffer(buf)  # the instance keeps buf alive

# ---- prototypes ---------------------------------------------------------------------------------
_P = POINTER
_PROTOTYPES = {
    "ysg_version": (c_char_p, []),
    "ysg_features": (c_char_p, []),
    "ysg_status_name": (c_char_p, [c_int]),
    "ysg_status_string": (c_char_p, [c_int]),
    "ysg_context_create": (c_int, [_P(ContextOptions), _P(c_void_p)]),
    "ysg_context_destroy": (None, [c_void_p]),
    "ysg_errmsg": (c_char_p, [c_void_p]),
    "ysg_errcode": (c_int, [c_void_p]),
    "ysg_pipeline_load_file": (c_int, [c_void_p, c_char_p, _P(LoadOptions), _P(c_void_p)]),
    "ysg_pipeline_load_string": (c_int, [c_void_p, c_char_p, c_char_p, _P(LoadOptions),
                                         _P(c_void_p)]),
    "ysg_pipeline_destroy": (None, [c_void_p]),
    "ysg_pipeline_canvas": (_P(Canvas), [c_void_p]),
    "ysg_pipeline_backend": (c_int, [c_void_p]),
    "ysg_pipeline_file": (c_char_p, [c_void_p]),
    "ysg_pipeline_set_param": (c_int, [c_void_p, c_char_p, c_char_p]),
    "ysg_pipeline_set_param_number": (c_int, [c_void_p, c_char_p, c_double]),
    "ysg_pipeline_set_points": (c_int, [c_void_p, c_char_p, _P(PointsDesc)]),
    "ysg_pipeline_set_boxes": (c_int, [c_void_p, c_char_p, _P(BoxesDesc)]),
    "ysg_pipeline_set_image": (c_int, [c_void_p, c_char_p, _P(ImageDesc)]),
    "ysg_pipeline_run_frame": (c_int, [c_void_p, c_int]),
    "ysg_pipeline_run_range": (c_int, [c_void_p, c_int, c_int, PROGRESS_FN, c_void_p]),
    "ysg_pipeline_flush": (c_int, [c_void_p]),
    "ysg_pipeline_finish": (c_int, [c_void_p]),
    "ysg_pipeline_get_value": (c_int, [c_void_p, c_char_p, _P(_P(Value))]),
    "ysg_pipeline_read_image": (c_int, [c_void_p, c_char_p, c_int, c_void_p, c_size_t,
                                        c_size_t]),
    "ysg_pipeline_dump": (c_int, [c_void_p, c_char_p, c_char_p, c_int]),
    "ysg_pipeline_node_count": (c_int, [c_void_p]),
    "ysg_pipeline_node_info": (c_int, [c_void_p, c_int, _P(NodeInfo)]),
    "ysg_pipeline_plan": (c_int, [c_void_p, _P(PlanInfo)]),
    "ysg_pipeline_device_stats": (c_int, [c_void_p, _P(DeviceStats)]),
    "ysg_pipeline_set_cuda_stream": (c_int, [c_void_p, c_void_p]),
    "ysg_node_types_json": (c_int, [c_void_p, c_char_p, c_size_t, _P(c_size_t)]),
    "ysg_pipeline_set_image_dlpack": (c_int, [c_void_p, c_char_p, c_int, _P(DLManagedTensor)]),
    "ysg_pipeline_get_value_dlpack": (c_int, [c_void_p, c_char_p, _P(_P(DLManagedTensor))]),
    "ysg_pipeline_read_image_dlpack": (c_int, [c_void_p, c_char_p, c_int, _P(DLTensor)]),
}


def _candidates():
    """Where libysgraph may be: $YSGRAPH_LIBRARY (a file or a directory), the dynamic loader's
    search path, then the usual install prefixes."""
    env = os.environ.get("YSGRAPH_LIBRARY")
    if env:
        if os.path.isdir(env):
            for name in ("libysgraph.so.0", "libysgraph.so"):
                yield os.path.join(env, name)
        else:
            yield env
        return
    yield "libysgraph.so.0"
    found = ctypes.util.find_library("ysgraph")
    if found:
        yield found
    multiarch = getattr(sys.implementation, "_multiarch", "")
    for prefix in (sys.prefix, "/usr/local", "/usr"):
        for sub in ("lib", os.path.join("lib", multiarch) if multiarch else None, "lib64"):
            if sub:
                yield os.path.join(prefix, sub, "libysgraph.so.0")


def load():
    """The loaded library with prototypes set, or ImportError saying where it looked."""
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
            continue
        for name, (res, args) in _PROTOTYPES.items():
            fn = getattr(lib, name, None)
            if fn is None:
                raise ImportError(f"ysgraph: {path} has no {name}: it is not ysgraph "
                                  f">= {ABI_MAJOR}.{ABI_MINOR} built with DLPack")
            fn.restype, fn.argtypes = res, args
        version = lib.ysg_version().decode()
        major, minor = (int(x) for x in version.split(".")[:2])
        if major != ABI_MAJOR or minor < ABI_MINOR:
            raise ImportError(f"ysgraph: {path} is version {version}, this package needs "
                              f"{ABI_MAJOR}.{ABI_MINOR} or a later {ABI_MAJOR}.x")
        lib.path = os.path.abspath(path) if os.path.exists(path) else path
        return lib
    raise ImportError("ysgraph: cannot load libysgraph (install it with `cmake --install`, or set "
                      "YSGRAPH_LIBRARY to the library file or its directory); tried:\n  "
                      + "\n  ".join(tried))


lib = load()
