"""Dump the raw node tree of an FBX file as ufbx parses it (its DOM), as one line of JSON.

Checks our binary container encoding (records, property types, zlib arrays) independently of scene semantics.
Run in a subprocess (ufbx 0.0.5's bindings crash on reference counting; see ufbx_read.py).

usage: ufbx_dom.py FILE.fbx TOP_LEVEL_NAME [...]
Prints {name: node} for each requested top-level record, a node being
{"values": [[type, value], ...], "array": [...] or null, "children": [[name, node], ...]}.
"""

from __future__ import annotations

import json
import os
import sys

import ufbx

_KEEP: list = []


def keep(x):
    _KEEP.append(x)
    return x


_ARRAYS = {ufbx.DomValueType.ARRAY_I32: ufbx.dom_as_int32_list, ufbx.DomValueType.ARRAY_I64: ufbx.dom_as_int64_list,
           ufbx.DomValueType.ARRAY_F32: ufbx.dom_as_float_list, ufbx.DomValueType.ARRAY_F64: ufbx.dom_as_double_list}


def node_json(node) -> dict:
    values = keep(list(node.values))
    out: dict = {"values": [], "array": None, "children": []}
    for v in values:
        t = ufbx.DomValueType(v.type)
        if t in _ARRAYS:
            out["array"] = [t.name, [x for x in keep(list(keep(_ARRAYS[t](node))))]]
        elif t == ufbx.DomValueType.STRING:
            out["values"].append(["STRING", v.value_str])
        elif t == ufbx.DomValueType.BLOB:
            out["values"].append(["BLOB", v.value_blob.hex()])
        else:
            out["values"].append(["NUMBER", v.value_int, v.value_float])
    for child in keep(list(node.children)):
        out["children"].append([child.name, node_json(child)])
    return out


def main() -> None:
    scene = keep(ufbx.load_file(sys.argv[1], retain_dom=True))
    root = keep(scene.dom_root)
    out = {}
    for name in sys.argv[2:]:
        node = keep(root.find(name))
        out[name] = None if node is None else node_json(node)
    print(json.dumps(out))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
