"""_dlpack.py — DLPack between Python arrays and libysgraph, without copies.

In: an array (numpy, or torch on the CPU or CUDA) is described by a DLManagedTensor built here,
whose deleter (a ctypes callback, so it takes the GIL itself whichever thread the library calls
it from) drops this module's reference to the array. The library owns the tensor once
ysg_pipeline_set_image_dlpack accepts it, and reads the array's memory at every frame.

Out: a DLManagedTensor the library exported (a view of the pipeline's memory whose deleter keeps
that memory alive) is wrapped in an object with __dlpack__/__dlpack_device__, which numpy's and
torch's from_dlpack consume.
"""

import ctypes
import itertools

from . import _lib as L

_NAME = b"dltensor"

# ---- describing arrays --------------------------------------------------------------------------
_NP_DTYPES = {"uint8": (L.kDLUInt, 8), "uint16": (L.kDLUInt, 16), "float16": (L.kDLFloat, 16),
              "float32": (L.kDLFloat, 32), "int32": (L.kDLInt, 32)}


def is_torch(obj):
    return type(obj).__module__.split(".")[0] == "torch"


def describe(obj):
    """(data pointer, shape, strides in elements, dtype name, (device type, id)) of an array."""
    if is_torch(obj):
        dtype = str(obj.dtype).replace("torch.", "")
        if obj.device.type == "cuda":
            device = (L.kDLCUDA, obj.device.index or 0)
        elif obj.device.type == "cpu":
            device = (L.kDLCPU, 0)
        else:
            device = (-1, 0)
        return obj.data_ptr(), tuple(obj.shape), tuple(obj.stride()), dtype, device
    iface = obj.__array_interface__
    item = obj.dtype.itemsize
    strides = obj.strides
    if any(s % item for s in strides):
        strides = None  # not expressible in elements: the caller copies
    else:
        strides = tuple(s // item for s in strides)
    return iface["data"][0], tuple(obj.shape), strides, str(obj.dtype), (L.kDLCPU, 0)


def device_name(device):
    kind, index = device
    return {L.kDLCPU: "cpu", L.kDLCUDA: f"cuda:{index}", L.kDLCUDAHost: "cuda_host"}.get(
        kind, f"device type {kind}")


def packed_pixels(shape, strides):
    """Channels and pixels packed (rows may be padded): what image tensors need."""
    if strides is None:
        return False
    if len(shape) == 3:
        return strides[2] == 1 and strides[1] == shape[2] and strides[0] >= shape[1] * shape[2]
    return len(shape) == 2 and strides[1] == 1 and strides[0] >= shape[1]


def fill_tensor(t, data, shape, strides, dtype, device, keep):
    """Fill a DLTensor; keep (a list) receives the ctypes arrays that must outlive it."""
    code, bits = _NP_DTYPES[dtype]
    sh = (ctypes.c_int64 * len(shape))(*shape)
    st = (ctypes.c_int64 * len(shape))(*strides)
    keep += [sh, st]
    t.data = data
    t.device = L.DLDevice(device[0], device[1])
    t.ndim = len(shape)
    t.dtype = L.DLDataType(code, bits, 1)
    t.shape = ctypes.cast(sh, ctypes.POINTER(ctypes.c_int64))
    t.strides = ctypes.cast(st, ctypes.POINTER(ctypes.c_int64))
    t.byte_offset = 0


# ---- lending ------------------------------------------------------------------------------------
_lent = {}  # key -> (array, managed tensor, ctypes arrays): alive until the library lets go
_keys = itertools.count(1)


@L.DL_DELETER
def _release(managed):
    _lent.pop(managed.contents.manager_ctx, None)


def lend(array, data, shape, strides, dtype, device):
    """A DLManagedTensor over array's memory, kept (with array) until the library releases it.
    Returns (pointer, key); forget(key) when the library refused it."""
    m = L.DLManagedTensor()
    keep = []
    fill_tensor(m.dl_tensor, data, shape, strides, dtype, device, keep)
    key = next(_keys)
    m.manager_ctx = key
    m.deleter = _release
    _lent[key] = (array, m, keep)
    return ctypes.pointer(m), key


def forget(key):
    _lent.pop(key, None)


def lent_count():
    """Arrays the library holds right now (tests and stats)."""
    return len(_lent)


# ---- exporting ----------------------------------------------------------------------------------
_api = ctypes.pythonapi
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]

_CAPSULE_DESTRUCTOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


@_CAPSULE_DESTRUCTOR
def _capsule_gone(capsule):
    # still named "dltensor": nobody consumed it (a consumer renames it "used_dltensor")
    if _api.PyCapsule_IsValid(capsule, _NAME):
        ptr = _api.PyCapsule_GetPointer(capsule, _NAME)
        m = ctypes.cast(ptr, ctypes.POINTER(L.DLManagedTensor))
        m.contents.deleter(m)


class Exported:
    """A tensor the library exported, for numpy.from_dlpack / torch.from_dlpack (once)."""

    def __init__(self, managed):
        self._managed = managed
        dev = managed.contents.dl_tensor.device
        self._device = (dev.device_type, dev.device_id)

    def __dlpack_device__(self):
        return self._device

    def __dlpack__(self, stream=None):
        if self._managed is None:
            raise BufferError("ysgraph: this exported tensor was already consumed")
        ptr = ctypes.cast(self._managed, ctypes.c_void_p).value
        capsule = _api.PyCapsule_New(ptr, _NAME, ctypes.cast(_capsule_gone, ctypes.c_void_p))
        self._managed = None
        return capsule

    def __del__(self):
        if getattr(self, "_managed", None) is not None:
            m, self._managed = self._managed, None
            m.contents.deleter(m)
