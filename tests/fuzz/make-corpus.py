#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the seed corpus of fuzz-safetensors into corpus/safetensors/: small
valid files, and one of each kind of damage the reader must refuse. Standard
library only.

    python3 tests/fuzz/make-corpus.py
"""
import json
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "safetensors")


def raw(header: bytes, data: bytes = b"", length=None) -> bytes:
    n = len(header) if length is None else length
    return struct.pack("<Q", n) + header + data


def st(tensors, metadata=None, pad=True):
    """A valid file from [(name, dtype, shape, bytes)]."""
    head, data = {}, b""
    if metadata is not None:
        head["__metadata__"] = metadata
    for name, dtype, shape, payload in tensors:
        head[name] = {"dtype": dtype, "shape": shape,
                      "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    h = json.dumps(head, separators=(",", ":")).encode()
    if pad:
        h += b" " * (-(8 + len(h)) % 8)
    return raw(h, data)


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


def header(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def entry(dtype, shape, b, e):
    return {"dtype": dtype, "shape": shape, "data_offsets": [b, e]}


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {}

    # Valid.
    conv = f32(*[0.01 * k for k in range(2 * 3 * 3 * 3)])
    files["valid-f32"] = st([("features.0.weight", "F32", [2, 3, 3, 3], conv),
                             ("features.0.bias", "F32", [2], f32(0.5, -0.5))])
    files["valid-mixed"] = st([
        ("bn1.weight", "F16", [3], struct.pack("<3H", 0x3C00, 0x0001, 0x7BFF)),
        ("bn1.bias", "BF16", [2], struct.pack("<2H", 0x3F80, 0xBF80)),
        ("bn1.running_mean", "F64", [2], struct.pack("<2d", 0.1, -1e-300)),
        ("bn1.num_batches_tracked", "I64", [], struct.pack("<q", 0)),
        ("mask", "BOOL", [3], b"\x01\x00\x01"),
        ("u", "U8", [1], b"\x07"),
    ])
    files["valid-metadata"] = st([("x", "F32", [], f32(1.0))],
                                 metadata={"format": "pt", "k": "v"})
    files["valid-empty"] = st([])
    files["valid-empty-tensor"] = st([("a", "F32", [0, 5], b""),
                                      ("b", "F32", [1], f32(2.0))])
    files["valid-escaped-name"] = raw(
        b'{"a\\u00e9\\ud83d\\ude00\\n\\"":{"dtype":"F32","shape":[1],'
        b'"data_offsets":[0,4]}}', f32(3.0))
    files["valid-unpadded-odd"] = st([("h", "F16", [1], b"\x00\x3c"),
                                      ("f", "F32", [1], f32(1.5))], pad=False)
    files["valid-8-dims"] = st([("t", "F32", [1] * 7 + [2], f32(1, 2))])

    # Damaged.
    whole = files["valid-f32"]
    files["truncated-data"] = whole[:-3]
    files["truncated-header"] = whole[:40]
    files["truncated-length"] = whole[:5]
    files["header-length-past-end"] = raw(b'{}', length=1000)
    files["header-length-huge"] = raw(b'{}', length=2 ** 63)
    files["header-length-zero"] = raw(b'', b'{}')
    files["not-json"] = raw(b'hello world')
    files["json-not-object"] = raw(b'[1,{"a":[true,null]},"x"]')
    files["non-utf8"] = raw(b'{"a\xff":' + header(entry("F32", [1], 0, 4)) + b'}',
                            f32(1.0))
    files["nul-escape"] = raw(b'{"a\\u0000":' + header(entry("F32", [1], 0, 4))
                              + b'}', f32(1.0))
    files["duplicate-key"] = raw(
        b'{"a":' + header(entry("F32", [1], 0, 4)) + b',"a":'
        + header(entry("F32", [1], 4, 8)) + b'}', f32(1, 2))
    files["duplicate-member"] = raw(
        b'{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}',
        f32(1.0))
    files["duplicate-metadata-key"] = raw(
        b'{"__metadata__":{"k":"1","k":"2"}}')
    files["unknown-dtype"] = raw(header({"a": entry("F33", [1], 0, 4)}), f32(1))
    files["integer-dtype"] = raw(header({"a": entry("I32", [2], 0, 8)}),
                                 struct.pack("<2i", 1, 2))
    files["shape-negative"] = raw(header({"a": entry("F32", [-1], 0, 4)}), f32(1))
    files["shape-float"] = raw(b'{"a":{"dtype":"F32","shape":[1.5],'
                               b'"data_offsets":[0,4]}}', f32(1))
    files["shape-too-many-dims"] = raw(header({"a": entry("F32", [1] * 9, 0, 4)}),
                                       f32(1))
    files["shape-huge"] = raw(header({"a": entry("F32", [2 ** 40], 0, 4)}), f32(1))
    files["shape-overflow"] = raw(header({"a": entry("F32", [2 ** 40, 2 ** 40], 0, 4)}),
                                  f32(1))
    files["shape-huge-consistent"] = raw(
        header({"a": entry("F32", [2 ** 40], 0, 2 ** 42)}), f32(1))
    files["offsets-out-of-range"] = raw(header({"a": entry("F32", [2], 0, 8)}),
                                        f32(1))
    files["offsets-reversed"] = raw(header({"a": entry("F32", [1], 4, 0)}),
                                    f32(1))
    files["offsets-overlap"] = raw(header({"a": entry("F32", [2], 0, 8),
                                           "b": entry("F32", [2], 4, 12)}),
                                   f32(1, 2, 3))
    files["offsets-gap"] = raw(header({"a": entry("F32", [1], 0, 4),
                                       "b": entry("F32", [1], 8, 12)}),
                               f32(1, 2, 3))
    files["offsets-tail"] = raw(header({"a": entry("F32", [1], 0, 4)}),
                                f32(1, 2))
    files["nan-value"] = raw(header({"a": entry("F32", [2], 0, 8)}),
                             f32(1.0, math.nan))
    files["inf-f16"] = raw(header({"a": entry("F16", [1], 0, 2)}), b"\x00\x7c")
    files["f64-beyond-float"] = raw(header({"a": entry("F64", [1], 0, 8)}),
                                    struct.pack("<d", 1e300))
    files["deep-nesting"] = raw(b"[" * 200 + b"]" * 200)
    files["metadata-not-string"] = raw(b'{"__metadata__":{"k":[1,{"x":2}]}}')
    files["extra-member"] = raw(
        b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":{}}}', f32(1))

    for name, content in sorted(files.items()):
        with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
            f.write(content)
    print("wrote %d files to %s" % (len(files), OUT))


if __name__ == "__main__":
    main()
