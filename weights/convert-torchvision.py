#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Converts a torchvision checkpoint (.pth) to the .safetensors file that
swag-style reads, e.g.

    /usr/bin/python3 weights/convert-torchvision.py vgg19-dcbb9e9d.pth vgg19.safetensors
    /usr/bin/python3 weights/convert-torchvision.py resnet50-11ad3fa6.pth resnet50.safetensors

Needs only torch (Debian 12: python3-torch) and numpy, not the safetensors
package: the format is simple enough to write directly (an 8-byte
little-endian header length, a JSON header, then the raw little-endian data).
Every tensor of the state dict is kept: floating-point ones as F32, integer
ones (num_batches_tracked) in their own type. The file is written under a
temporary name, read back and compared, then renamed into place.

This script never downloads anything: fetch the checkpoint yourself (see
weights/README.md).
"""
import argparse
import json
import mmap
import os
import struct
import sys

import numpy as np
import torch

# torch dtype -> (safetensors dtype, little-endian numpy dtype). Floating
# types all become F32, which is what the engine computes in.
DTYPES = {
    torch.float32: ("F32", "<f4"),
    torch.float16: ("F32", "<f4"),
    torch.bfloat16: ("F32", "<f4"),
    torch.float64: ("F32", "<f4"),
    torch.int64: ("I64", "<i8"),
    torch.int32: ("I32", "<i4"),
    torch.int16: ("I16", "<i2"),
    torch.int8: ("I8", "i1"),
    torch.uint8: ("U8", "u1"),
    torch.bool: ("BOOL", "?"),
}

HEADER_MAX = 100_000_000  # the format's limit, also the engine's


def load_state_dict(path):
    # weights_only refuses pickles that would run code (torch >= 1.13);
    # torchvision's checkpoints are plain dicts of tensors and load with it.
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # an older torch without weights_only
        print("warning: this torch cannot load safely (no weights_only); "
              "only convert checkpoints you trust", file=sys.stderr)
        obj = torch.load(path, map_location="cpu")

    # Some training scripts wrap the state dict; torchvision's do not.
    if isinstance(obj, dict) and not any(torch.is_tensor(v) for v in obj.values()):
        for key in ("state_dict", "model", "model_state_dict"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj:
        sys.exit("error: %s does not hold a state dict of tensors" % path)

    # nn.DataParallel checkpoints prefix every name with "module.".
    strip = all(isinstance(k, str) and k.startswith("module.") for k in obj)
    state = {}
    for name, value in obj.items():
        if not isinstance(name, str) or not torch.is_tensor(value):
            sys.exit("error: %s: entry %r is not a named tensor" % (path, name))
        if strip:
            name = name[len("module."):]
        if name == "__metadata__":
            sys.exit("error: %s: a tensor is named __metadata__" % path)
        if value.dtype not in DTYPES:
            sys.exit("error: %s: tensor %s has unsupported type %s"
                     % (path, name, value.dtype))
        if value.is_floating_point() and not torch.isfinite(value).all():
            sys.exit("error: %s: tensor %s holds NaN or infinite values"
                     % (path, name))
        state[name] = value
    return state


def to_bytes(value):
    """The tensor's data as the file holds it, as a byte view (no copy when
    the tensor already is contiguous little-endian float32 or int64)."""
    st_dtype, np_dtype = DTYPES[value.dtype]
    if value.is_floating_point():
        value = value.to(torch.float32)  # numpy has no bfloat16
    array = value.detach().contiguous().numpy().astype(np_dtype, copy=False)
    if value.is_floating_point() and not np.isfinite(array).all():
        # float64 beyond float32's range
        raise ValueError("values beyond float32's range")
    return memoryview(np.ascontiguousarray(array)).cast("B")


def nbytes(value):
    return value.numel() * np.dtype(DTYPES[value.dtype][1]).itemsize


def make_header(state, source):
    header = {"__metadata__": {"format": "pt",
                               "source": os.path.basename(source),
                               "converter": "swag-style convert-torchvision.py"}}
    offset = 0
    for name, value in state.items():
        header[name] = {"dtype": DTYPES[value.dtype][0], "shape": list(value.shape),
                        "data_offsets": [offset, offset + nbytes(value)]}
        offset += nbytes(value)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Spaces (JSON whitespace) so that the data starts 8-byte aligned.
    text += b" " * (-len(text) % 8)
    if len(text) > HEADER_MAX:
        sys.exit("error: the header would be over the format's 100 MB limit")
    return struct.pack("<Q", len(text)) + text, offset


def write(path, head, state):
    # One tensor's bytes at a time: VGG-19 is over half a gigabyte.
    with open(path, "wb") as f:
        f.write(head)
        for name, value in state.items():
            try:
                f.write(to_bytes(value))
            except ValueError as e:
                raise SystemExit("error: tensor %s: %s" % (name, e))
        f.flush()
        os.fsync(f.fileno())


def verify(path, state):
    """Reads the file back with an independent minimal reader (mapped, not
    loaded) and compares every tensor's bytes."""
    with open(path, "rb") as f, \
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        raw = memoryview(mapped)  # slices without copies
        try:
            check(raw, state)
        finally:
            raw.release()  # before the map closes


def check(raw, state):
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(bytes(raw[8:8 + n]).decode("utf-8"))
    header.pop("__metadata__", None)
    data_size = len(raw) - 8 - n
    if set(header) != set(state):
        raise ValueError("tensor names differ after writing")
    end = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = info["data_offsets"]
        value = state[name]
        if b != end:
            raise ValueError("tensor %s does not start where the last ended" % name)
        if (info["dtype"] != DTYPES[value.dtype][0]
                or info["shape"] != list(value.shape)
                or raw[8 + n + b:8 + n + e] != to_bytes(value)):
            raise ValueError("tensor %s differs after writing" % name)
        end = e
    if end != data_size:
        raise ValueError("the data block has %d stray bytes" % (data_size - end))


def describe(state):
    """Which of the engine's networks this looks like, by its first conv."""
    w = state.get("features.0.weight")
    if w is not None and list(w.shape) == [64, 3, 3, 3] and "features.34.weight" in state:
        return "vgg19", ("classifier.",)
    w = state.get("conv1.weight")
    if w is not None and list(w.shape) == [64, 3, 7, 7] and "layer4.2.conv3.weight" in state:
        return "resnet50", ("fc.",)
    return None, ()


def main():
    parser = argparse.ArgumentParser(
        description="Convert a torchvision .pth checkpoint to .safetensors "
                    "for swag-style.")
    parser.add_argument("input", help="checkpoint, e.g. vgg19-dcbb9e9d.pth")
    parser.add_argument("output", help="e.g. vgg19.safetensors")
    args = parser.parse_args()

    state = load_state_dict(args.input)
    head, data_size = make_header(state, args.input)

    # Written and checked under a temporary name, then renamed: a weight
    # file is either complete and verified or not there.
    tmp = args.output + ".tmp-%d" % os.getpid()
    try:
        write(tmp, head, state)
        verify(tmp, state)
        os.replace(tmp, args.output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

    size = len(head) + data_size
    print("%s: %d tensors, %.1f MB, verified" % (args.output, len(state), size / 1e6))
    kind, unused = describe(state)
    if kind is None:
        print("note: this is neither torchvision's VGG-19 nor its ResNet-50; "
              "swag-style will refuse it for those networks")
    else:
        n_unused = sum(1 for k in state if k.startswith(unused)
                       or k.endswith("num_batches_tracked"))
        print("looks like %s (%d tensors the engine ignores: %s* and any "
              "num_batches_tracked); install it as %s.safetensors"
              % (kind, n_unused, unused[0], kind))
        if os.path.basename(args.output) != kind + ".safetensors":
            print("note: swag-style looks for the name %s.safetensors" % kind)


if __name__ == "__main__":
    main()
