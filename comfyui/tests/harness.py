"""harness.py — ComfyUI's custom-node loading, imitated (ComfyUI itself cannot be installed here:
no package index). As ComfyUI's nodes.load_custom_node does: the folder is imported as a module
named after it from its __init__.py, NODE_CLASS_MAPPINGS / NODE_DISPLAY_NAME_MAPPINGS are read,
and each class is checked the way ComfyUI's executor and front end use it: INPUT_TYPES() with
"required" / "optional" / "hidden" dicts of (TYPE, options) where TYPE is a socket name or a list
of choices, RETURN_TYPES, RETURN_NAMES, FUNCTION, CATEGORY; calls go through the FUNCTION name
with keyword arguments, as ComfyUI's get_output_data does."""

import importlib.util
import os
import sys
import types


def load_pack(path):
    module_name = os.path.basename(os.path.normpath(path))
    spec = importlib.util.spec_from_file_location(module_name, os.path.join(path, "__init__.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


WIDGETS = {"INT", "FLOAT", "STRING", "BOOLEAN"}


def check_class(key, cls):
    """The checks ComfyUI's node registry and front end rely on; returns the input spec."""
    spec = cls.INPUT_TYPES()
    assert isinstance(spec, dict) and isinstance(spec.get("required"), dict), key
    assert set(spec) <= {"required", "optional", "hidden"}, (key, set(spec))
    for section in ("required", "optional"):
        for name, entry in spec.get(section, {}).items():
            assert isinstance(entry, tuple) and 1 <= len(entry) <= 2, (key, name, entry)
            kind = entry[0]
            opts = entry[1] if len(entry) == 2 else {}
            assert isinstance(opts, dict), (key, name)
            if isinstance(kind, list):
                assert kind and all(isinstance(c, str) for c in kind), (key, name)
                assert opts.get("default", kind[0]) in kind, (key, name, opts)
            else:
                assert isinstance(kind, str) and kind, (key, name)
                if kind in ("INT", "FLOAT") and "default" in opts:
                    assert opts["min"] <= opts["default"] <= opts["max"], (key, name, opts)
                    if kind == "INT":
                        assert all(isinstance(opts[k], int) for k in ("min", "max", "default"))
    rt = cls.RETURN_TYPES
    assert isinstance(rt, tuple) and all(isinstance(t, str) for t in rt), key
    if hasattr(cls, "RETURN_NAMES"):
        assert len(cls.RETURN_NAMES) == len(rt), key
    assert isinstance(cls.FUNCTION, str) and callable(getattr(cls(), cls.FUNCTION)), key
    assert isinstance(cls.CATEGORY, str), key
    return spec


def defaults(spec):
    """The widget values ComfyUI would send for an untouched node."""
    out = {}
    for section in ("required", "optional"):
        for name, entry in spec.get(section, {}).items():
            kind = entry[0]
            opts = entry[1] if len(entry) == 2 else {}
            if isinstance(kind, list):
                out[name] = opts.get("default", kind[0])
            elif kind in WIDGETS and "default" in opts:
                out[name] = opts["default"]
    return out


def call(pack, key, **inputs):
    """Run node `key` as ComfyUI does: defaults for untouched widgets, then FUNCTION(**kw)."""
    cls = pack.NODE_CLASS_MAPPINGS[key]
    spec = cls.INPUT_TYPES()
    kw = defaults(spec)
    kw.update(inputs)
    return getattr(cls(), cls.FUNCTION)(**kw)


def fake_comfy():
    """Stand-ins for comfy.utils.ProgressBar and comfy.model_management's interruption, so the
    pack's ComfyUI integration runs; returns (updates list, interrupt setter)."""
    updates, state = [], {"interrupt_after": None}

    class ProgressBar:
        def __init__(self, total):
            self.total = total

        def update_absolute(self, value, total=None):
            updates.append((value, total))

    class InterruptProcessingException(Exception):
        pass

    def throw_exception_if_processing_interrupted():
        n = state["interrupt_after"]
        if n is not None and len(updates) >= n:
            raise InterruptProcessingException()

    comfy = types.ModuleType("comfy")
    utils = types.ModuleType("comfy.utils")
    mm = types.ModuleType("comfy.model_management")
    utils.ProgressBar = ProgressBar
    mm.InterruptProcessingException = InterruptProcessingException
    mm.throw_exception_if_processing_interrupted = throw_exception_if_processing_interrupted
    comfy.utils, comfy.model_management = utils, mm
    sys.modules.update({"comfy": comfy, "comfy.utils": utils, "comfy.model_management": mm})

    def interrupt_after(n):
        state["interrupt_after"] = n

    def remove():
        for m in ("comfy", "comfy.utils", "comfy.model_management"):
            sys.modules.pop(m, None)

    return updates, interrupt_after, remove, InterruptProcessingException


def run_prompt(pack, prompt):
    """Execute a workflow in ComfyUI's API format ({id: {"class_type", "inputs"}}, links as
    [node id, output index]) the way ComfyUI's executor does: each node once, after the nodes it
    links to; returns {id: outputs tuple}."""
    done = {}

    def run(nid):
        if nid in done:
            return done[nid]
        node = prompt[nid]
        kw = {}
        for name, v in node["inputs"].items():
            if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
                kw[name] = run(v[0])[v[1]]
            else:
                kw[name] = v
        done[nid] = call(pack, node["class_type"], **kw)
        return done[nid]

    for nid in prompt:
        run(nid)
    return done
