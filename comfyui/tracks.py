"""tracks.py — tracks given to the pack as text: MOTChallenge (frame,id,x,y,w,h,conf,...; frames
from 1), CSV (frame,id,x,y[,w,h][,conf][,label], header optional; frames from 0) or JSON (a list
of frames, or {"frames": [...]}, each a list of {"id", "x", "y"[, "w", "h"][, "conf"][, "label"]}
or [x, y[, w, h]]; with a size, x and y are the top-left corner as in MOT). Confidences and class
names go by the engine's CSV names (conf / score / confidence, label / class / name). Frame f of
the pipeline gets the text's frame f (MOT: f + 1) as points (box centres) and boxes, with ids,
and with conf and labels when the text has them (for `text` templates such as "{label} {conf}";
an item without one gets conf -1 / no label)."""

import csv
import json

import numpy as np

CONF_NAMES = ("conf", "score", "confidence")
LABEL_NAMES = ("label", "class", "name")


def _first(names, have):
    return next((n for n in names if n in have), None)


class Tracks:
    def __init__(self, text, fmt="auto"):
        text = (text or "").strip()
        if fmt == "auto":
            fmt = "json" if text[:1] in "[{" else "table"
        self.frames = {}  # frame -> list of (id, x, y, (w, h) or None, conf or None, label or None)
        self.has_conf = self.has_label = False
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
                    ck, lk = _first(CONF_NAMES, it), _first(LABEL_NAMES, it)
                    try:
                        conf = float(it[ck]) if ck else None
                    except (TypeError, ValueError) as e:
                        raise ValueError(f"ysgraph: tracks: frame {f}, item {k}: {ck}: expected "
                                         f"a number, got {it[ck]!r}") from e
                    label = str(it[lk]) if lk and it[lk] is not None else None
                elif isinstance(it, (list, tuple)) and len(it) in (2, 4):
                    v = [float(a) for a in it]
                    tid, x, y, wh = k, v[0], v[1], (v[2], v[3]) if len(v) == 4 else None
                    conf = label = None
                else:
                    raise ValueError(f"ysgraph: tracks: frame {f}, item {k}: expected an object "
                                     f"or [x, y[, w, h]], got {it!r}")
                if wh is not None:  # with a size, x and y are the top-left corner (as MOT)
                    x, y = x + wh[0] / 2, y + wh[1] / 2
                rows.append((tid, x, y, wh, conf, label))
                self.has_conf |= conf is not None
                self.has_label |= label is not None
            self.frames[f] = rows

    def _table(self, text, fmt):
        lines = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
        fields = list(csv.reader(lines, skipinitialspace=True))  # quoted fields may hold commas
        if lines and any(c.isalpha() for c in lines[0]):
            header = [h.strip().lower() for h in fields[0]]
            lines, fields = lines[1:], fields[1:]
        else:
            header = None
        first = 0
        if fmt == "mot" or (fmt == "table" and header is None and lines and
                            len(fields[0]) >= 7):
            header, first = ["frame", "id", "x", "y", "w", "h", "conf"], 1
        header = header or ["frame", "id", "x", "y", "w", "h"]
        col = {h: i for i, h in enumerate(header)}
        ck, lk = _first(CONF_NAMES, col), _first(LABEL_NAMES, col)
        for need in ("frame", "x", "y"):
            if need not in col:
                raise ValueError(f"ysgraph: tracks: no '{need}' column (columns: {', '.join(header)})")
        boxes = "w" in col and "h" in col
        for n, (line, v) in enumerate(zip(lines, fields), 1):
            v = [a.strip() for a in v]
            try:
                f = int(float(v[col["frame"]])) - first
                x, y = float(v[col["x"]]), float(v[col["y"]])
                tid = int(float(v[col["id"]])) if "id" in col else len(self.frames.get(f, []))
                wh = (float(v[col["w"]]), float(v[col["h"]])) if boxes and len(v) > col["h"] else None
                conf = float(v[col[ck]]) if ck and len(v) > col[ck] else None
            except (ValueError, IndexError) as e:
                raise ValueError(f"ysgraph: tracks: row {n}: {line!r}: {e}") from e
            label = v[col[lk]] if lk and len(v) > col[lk] else ""
            label = label or None  # an empty field: no label
            if wh is not None:  # MOT and CSV boxes give the top-left corner
                x, y = x + wh[0] / 2, y + wh[1] / 2
            self.frames.setdefault(f, []).append((tid, x, y, wh, conf, label))
            self.has_conf |= conf is not None
            self.has_label |= label is not None

    def _attrs(self, rows):
        """ids, and conf / labels when the tracks have them (set_points/set_boxes keywords)."""
        kw = {"ids": np.array([r[0] for r in rows], np.int32)}
        if self.has_conf:
            kw["conf"] = np.array([-1.0 if r[4] is None else r[4] for r in rows], np.float32)
        if self.has_label:
            kw["labels"] = [r[5] for r in rows]
        return kw

    def points(self, f):
        """xy (N, 2) box centres or points of frame f, and the keywords for set_points."""
        rows = self.frames.get(f, [])
        xy = np.array([[r[1], r[2]] for r in rows], np.float32).reshape(-1, 2)
        return xy, self._attrs(rows)

    def boxes(self, f):
        """xywh (N, 4) of the rows of frame f with a size, and the keywords for set_boxes."""
        rows = [r for r in self.frames.get(f, []) if r[3] is not None]
        xywh = np.array([[r[1] - r[3][0] / 2, r[2] - r[3][1] / 2, r[3][0], r[3][1]] for r in rows],
                        np.float32).reshape(-1, 4)
        return xywh, self._attrs(rows)
