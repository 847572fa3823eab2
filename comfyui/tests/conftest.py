"""conftest.py — the pack under test is loaded the way ComfyUI loads custom nodes (harness.py);
the ysgraph package comes from python/src and the PNG reader from python/tests."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python", "src"))
sys.path.insert(0, os.path.join(ROOT, "python", "tests"))
sys.path.insert(0, HERE)
