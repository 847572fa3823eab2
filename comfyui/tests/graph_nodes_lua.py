"""graph_nodes_lua.py — the Lua source "ysgraph Output" runs for a chain, for the CLI comparison."""

import sys


def lua_of(pack, ref, width, height, frames=1):
    gn = sys.modules[pack.__name__ + ".graph_nodes"]
    return (f"canvas {{ width = {width}, height = {height}, frames = {frames} }}\n"
            + gn.to_lua(ref.graph))
