#!/usr/bin/env python3
# make-fixtures.py: writes the command line tests' odd input files, with the
# standard library only (no PIL): PNGs of given sizes and colour types, a
# PNG that claims 0x0 pixels, and small .safetensors weight files.
# GPL-3.0-or-later.
#
#   make-fixtures.py png FILE W H [gray|rgb|rgba] [SEED]
#   make-fixtures.py png0 FILE                 PNG header with width 0
#   make-fixtures.py safetensors FILE NAME:C,I,KH,KW[:nan] ...
import json
import math
import struct
import sys
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))


def png(path, w, h, mode='rgb', seed=0):
    channels = {'gray': 1, 'rgb': 3, 'rgba': 4}[mode]
    ctype = {'gray': 0, 'rgb': 2, 'rgba': 6}[mode]
    rows = bytearray()
    for y in range(h):
        rows.append(0)  # filter: none
        for x in range(w):
            u, v = x / max(w, 1), y / max(h, 1)
            px = [int(127.5 + 120 * math.sin(7 * u + 3 * v + seed)),
                  int(127.5 + 120 * math.cos(5 * v - 2 * u + 2 * seed)),
                  (x * 37 + y * 91 + 13 * seed) % 256]
            if mode == 'gray':
                px = px[:1]
            if mode == 'rgba':
                # opaque, half and clear bands, and a ramp: every kind of alpha
                px.append(0 if x < w // 4 else 128 if x < w // 2 else
                          255 if x < 3 * w // 4 else (y * 255) // max(h - 1, 1))
            rows.extend(px[:channels])
    data = (b'\x89PNG\r\n\x1a\n'
            + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, ctype, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(bytes(rows)))
            + chunk(b'IEND', b''))
    with open(path, 'wb') as f:
        f.write(data)


def png0(path):
    data = (b'\x89PNG\r\n\x1a\n'
            + chunk(b'IHDR', struct.pack('>IIBBBBB', 0, 0, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b''))
            + chunk(b'IEND', b''))
    with open(path, 'wb') as f:
        f.write(data)


def safetensors(path, specs):
    """F32 tensors filled with 0.01, or with NaN where the spec says so."""
    header, blobs, offset = {}, [], 0
    for spec in specs:
        parts = spec.split(':')
        name, shape = parts[0], [int(s) for s in parts[1].split(',')]
        n = math.prod(shape)
        value = float('nan') if len(parts) > 2 and parts[2] == 'nan' else 0.01
        blob = struct.pack('<%df' % n, *([value] * n))
        header[name] = {'dtype': 'F32', 'shape': shape,
                        'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def main(argv):
    if argv[1] == 'png':
        png(argv[2], int(argv[3]), int(argv[4]),
            argv[5] if len(argv) > 5 else 'rgb',
            int(argv[6]) if len(argv) > 6 else 0)
    elif argv[1] == 'png0':
        png0(argv[2])
    elif argv[1] == 'safetensors':
        safetensors(argv[2], argv[3:])
    else:
        sys.exit('make-fixtures.py: unknown kind ' + argv[1])


if __name__ == '__main__':
    main(sys.argv)
