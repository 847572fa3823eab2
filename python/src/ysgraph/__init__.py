"""ysgraph — motion-graphics overlays from Python: load a Lua pipeline, feed it points, boxes and
images (numpy or torch, zero-copy through DLPack), run frames, read images back.

    import ysgraph
    with ysgraph.Pipeline("overlay.lua", set={"width": 2}) as p:
        p.set_points("tracks", xy)
        p.run(0)
        rgba = p.image("out")            # (H, W, 4) uint8, sRGB straight alpha

The package binds libysgraph (installed with `cmake --install`, or YSGRAPH_LIBRARY=path).
"""

from . import _lib
from .errors import Error
from .pipeline import Canvas, Pipeline, nodes

FORMATS = tuple(_lib.FORMATS)


def version():
    """The library's version ("0.2.0")."""
    return _lib.lib.ysg_version().decode()


def features():
    """Compiled-in features of the library ("cpu cuda qhull ffmpeg dlpack ...")."""
    return _lib.lib.ysg_features().decode().split()


def library_path():
    """The libysgraph file this package loaded."""
    return _lib.lib.path


__all__ = ["Canvas", "Error", "FORMATS", "Pipeline", "features", "library_path", "nodes",
           "version"]
__version__ = "0.2.0"
