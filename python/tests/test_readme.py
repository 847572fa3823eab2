"""test_readme.py — the README's "Use from C / Python / ComfyUI" examples are the files under
examples/ (checked byte for byte here); the Python one is run here, the C one by the
install_consumers test, the ComfyUI workflow by comfyui/tests/test_workflow.py. The Lua snippets
of "Labels and annotation" run through the CLI."""

import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def block(section, lang):
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 1)
    m = re.search(rf"```{lang}\n(.*?)```", text[start:end], re.S)
    assert m, f"README: no ```{lang} block under '## {section}'"
    return m.group(1)


def example(path):
    return open(os.path.join(ROOT, "examples", path), encoding="utf-8").read()


def test_readme_examples_are_the_files():
    assert block("Use from C", "c") == example("c/overlay.c")
    assert block("Use from Python", "python") == example("python/overlay.py")
    assert block("Use from ComfyUI", "json") == example("comfyui/workflow_api.json")


def test_python_example_runs(tmp_path):
    import ysgraph

    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python", "src"))
    if os.path.isabs(ysgraph.library_path()):  # the library under test, from any directory
        env["YSGRAPH_LIBRARY"] = ysgraph.library_path()
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python", "overlay.py")],
                       capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "frame 0: (180, 320, 3) uint8, background [0 0 0]"
    assert lines[2] == "frame 2: (180, 320, 3) uint8, background [80 80 80]"
    assert lines[3] == "bytes copied by the binding: 518688"  # three rgb8 reads + the points
    assert lines[4] == "view after close: float16 (180, 320, 4)"


def test_annotation_snippets_run(tmp_path, cli):
    """The Lua snippets of "Labels and annotation" (and its trails/arrows/polygons part) run as
    printed, on small files in the columns they name and the bundled data/tracks.csv."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    start = text.index("## Labels and annotation\n")
    section = text[start:text.index("\n## ", start + 1)]
    snippets = re.findall(r"```lua\n(.*?)```", section, re.S)
    assert len(snippets) >= 5, len(snippets)
    (tmp_path / "data").mkdir()
    with open(os.path.join(ROOT, "pipelines", "data", "tracks.csv"), encoding="utf-8") as f:
        (tmp_path / "data" / "tracks.csv").write_text(f.read())
    (tmp_path / "dets.csv").write_text("frame,id,x,y,w,h,conf,label\n0,1,100,80,60,40,0.9,car\n"
                                       "0,2,300,200,50,90,0.2,person\n1,1,110,82,60,40,0.8,car\n")
    (tmp_path / "yolo.csv").write_text(",xmin,ymin,xmax,ymax,confidence,class_name\n"
                                       "0,10,20,110,220,0.9,car\n1,300,300,400,500,0.1,person\n")
    (tmp_path / "zones.csv").write_text("id,x,y\n1,10,10\n1,200,20\n1,120,150\n")
    for k, body in enumerate(snippets):
        names = re.findall(r"^local (\w+)\s*=", body, re.M)
        layers = [n for n in names if n not in ("t", "dets", "tr", "g", "pts")]
        if "dets" in names:  # a data source on its own: draw it
            body += "local drawn = bbox { boxes = dets }\n"
            layers.append("drawn")
        # a snippet that goes on from an earlier one (the arrows use the trails' points)
        def uses(n):  # as a value, not a constructor call, and not defined here
            return (re.search(rf"\b{n}\b(?!\s*{{)", body)
                    and not re.search(rf"local {n}\b", body))

        before = "".join(s for s in snippets[:k]
                         if any(uses(n) for n in re.findall(r"^local (\w+)\s*=", s, re.M)))
        src = ("canvas { width = 640, height = 360, frames = 2 }\n" + before + body
               + f"png {{ image = merge {{ layers = {{ {', '.join(layers)} }} }}, "
               f"path = 's{k}_%d.png' }}\n")
        (tmp_path / f"s{k}.lua").write_text(src)
        cli("run", f"s{k}.lua", "--quiet", cwd=tmp_path)
        assert (tmp_path / f"s{k}_1.png").stat().st_size > 0, src
