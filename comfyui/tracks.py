"""tracks.py — tracks given to the pack as text: MOTChallenge (frame,id,x,y,w,h,conf,...; frames
from 1), CSV (frame,id,x,y[,w,h], header optional; frames from 0) or JSON (a list of frames, or
{"frames": [...]}, each a list of {"id", "x", "y"[, "w", "h"]} or [x, y[, w, h]]; with a size,
x and y are the top-left corner as in MOT). Frame f of the pipeline gets the text's frame f (MOT:
f + 1) as points (box centres) and boxes, with ids."""

import json

import numpy as np


class Tracks:
    def __init__(self, text, fmt="auto"):
        text = (text or "").strip()
        if fmt == "auto":
            fmt = "json" if text[:1] in "[{" else "table"
        self.frames = {}  # frame -> list of (id, x, y, w, h or None)
        if fmt == "json":
            self._json(text)
        elif fmt in ("mot", "csv", "table"):
            self._table(text, fmt)
        else:
            raise ValueError(f"ysgraph: tracks format {fmt!r}: expected auto, mot, csv or json")

    def _json(self, text):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"ysgraph: tracks: JSON line {e.lineno}: {e.msg}") from e
        frames = data.get("frames") if isinstance(data, dict) else data
        if not isinstance(frames, list):
            raise ValueError("ysgraph: tracks: JSON: expected a list of frames or {\"frames\": [...]}")
        for f, items in enumerate(frames):
            rows = []
            for k, it in enumerate(items or []):
                if isinstance(it, dict):
                    try:
                        x, y = float(it["x"]), float(it["y"])
                    except (KeyError, TypeError, ValueError) as e:
                        raise ValueError(f"ysgraph: tracks: frame {f}, item {k}: expected x and "
                                         f"y numbers, got {it!r}") from e
                    wh = (float(it["w"]), float(it["h"])) if "w" in it and "h" in it else None
                    tid = int(it.get("id", k))
                elif isinstance(it, (list, tuple)) and len(it) in (2, 4):
                    v = [float(a) for a in it]
                    tid, x, y, wh = k, v[0], v[1], (v[2], v[3]) if len(v) == 4 else None
                else:
                    raise ValueError(f"ysgraph: tracks: frame {f}, item {k}: expected an object "
                                     f"or [x, y[, w, h]], got {it!r}")
                if wh is not None:  # with a size, x and y are the top-left corner (as MOT)
                    x, y = x + wh[0] / 2, y + wh[1] / 2
                rows.append((tid, x, y, wh))
            self.frames[f] = rows

    def _table(self, text, fmt):
        lines = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
        if lines and any(c.isalpha() for c in lines[0]):
            header = [h.strip().lower() for h in lines[0].split(",")]
            lines = lines[1:]
        else:
            header = None
        first = 0
        if fmt == "mot" or (fmt == "table" and header is None and lines and
                            len(lines[0].split(",")) >= 7):
            header, first = ["frame", "id", "x", "y", "w", "h"], 1
        header = header or ["frame", "id", "x", "y", "w", "h"]
        col = {h: i for i, h in enumerate(header)}
        for need in ("frame", "x", "y"):
            if need not in col:
                raise ValueError(f"ysgraph: tracks: no '{need}' column (columns: {', '.join(header)})")
        boxes = "w" in col and "h" in col
        for n, line in enumerate(lines, 1):
            v = [a.strip() for a in line.split(",")]
            try:
                f = int(float(v[col["frame"]])) - first
                x, y = float(v[col["x"]]), float(v[col["y"]])
                tid = int(float(v[col["id"]])) if "id" in col else len(self.frames.get(f, []))
                wh = (float(v[col["w"]]), float(v[col["h"]])) if boxes and len(v) > col["h"] else None
            except (ValueError, IndexError) as e:
                raise ValueError(f"ysgraph: tracks: row {n}: {line!r}: {e}") from e
            if wh is not None:  # MOT and CSV boxes give the top-left corner
                x, y = x + wh[0] / 2, y + wh[1] / 2
            self.frames.setdefault(f, []).append((tid, x, y, wh))

    def points(self, f):
        rows = self.frames.get(f, [])
        xy = np.array([[r[1], r[2]] for r in rows], np.float32).reshape(-1, 2)
        return xy, np.array([r[0] for r in rows], np.int32)

    def boxes(self, f):
        rows = [r for r in self.frames.get(f, []) if r[3] is not None]
        xywh = np.array([[r[1] - r[3][0] / 2, r[2] - r[3][1] / 2, r[3][0], r[3][1]] for r in rows],
                        np.float32).reshape(-1, 4)
        return xywh, np.array([r[0] for r in rows], np.int32)
