"""test_readme.py — the README's "Use from C / Python / ComfyUI" examples are the files under
examples/ (checked byte for byte here); the Python one is run here, the C one by the
install_consumers test, the ComfyUI workflow by comfyui/tests/test_workflow.py."""

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
