"""errors.py — ysgraph.Error: an engine status (YSG_ERR_…) with the engine's message, or a
binding-side check (bad array, unknown format, closed pipeline) with status YSG_ERR_INVALID."""

from . import _lib as L

YSG_ERR_INVALID = 1


class Error(Exception):
    """status: the ysg_status number; name: "YSG_ERR_…"; message: the engine's message."""

    def __init__(self, status, message):
        self.status = int(status)
        self.name = L.lib.ysg_status_name(self.status).decode()
        self.message = message
        super().__init__(message)

    @classmethod
    def invalid(cls, message):
        return cls(YSG_ERR_INVALID, message)

    def __repr__(self):
        return f"ysgraph.Error({self.name}, {self.message!r})"
