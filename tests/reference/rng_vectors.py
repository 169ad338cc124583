#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Known-answer values of engine/README.md's generator, from an independent
numpy implementation: tests/engine/test-rng.c carries this script's output.

Run with /usr/bin/python3 (Debian's, which has numpy):
    /usr/bin/python3 tests/reference/rng_vectors.py
"""
import numpy as np

U64 = np.uint64
# The specification's constants.
M1, M2 = U64(0xBF58476D1CE4E5B9), U64(0x94D049BB133111EB)
GOLDEN = U64(0x9E3779B97F4A7C15)
FNV_OFFSET, FNV_PRIME = U64(0xCBF29CE484222325), U64(0x100000001B3)


def mix(z):
    # numpy's uint64 arithmetic wraps modulo 2^64, like C's.
    z = (z ^ (z >> U64(30))) * M1
    z = (z ^ (z >> U64(27))) * M2
    return z ^ (z >> U64(31))


def key(name):
    h = FNV_OFFSET
    for b in name.encode("utf-8"):
        h = (h ^ U64(b)) * FNV_PRIME
    return h


def u64(seed, k, i):
    i = np.asarray(i, dtype=U64)
    return mix(mix(U64(seed) ^ mix(k)) + (i + U64(1)) * GOLDEN)


def uniform(seed, k, i):
    return ((u64(seed, k, i) >> U64(11)).astype(np.float64) + 0.5) * 2.0**-53


def normal(seed, k, i):
    i = np.asarray(i, dtype=U64)
    u1 = uniform(seed, k, U64(2) * i)
    u2 = uniform(seed, k, U64(2) * i + U64(1))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


# (seed, name, i): small and large seeds and counters, an empty name, a
# non-ASCII name (FNV-1a works on the UTF-8 bytes), real state-dict names.
CASES = [
    (0, "", 0),
    (0, "features.0.weight", 0),
    (0, "features.0.weight", 1),
    (42, "features.0.weight", 0),
    (42, "features.0.weight", 12345),
    (42, "layer1.0.downsample.0.weight", 7),
    (0xFFFFFFFFFFFFFFFF, "conv1.weight", 0xFFFFFFFF),
    (1234567890123456789, "noise", 0x7FFFFFFFFFFFFFFF),
    (7, "caf\u00e9", 3),
]


def main():
    with np.errstate(over="ignore"):
        print("/* key(name) */")
        for name in sorted({c[1] for c in CASES}):
            print('  { "%s", G_GUINT64_CONSTANT (0x%016x) },'
                  % (c_escape(name), int(key(name))))
        print("/* seed, name, i, u64, uniform, normal */")
        for seed, name, i in CASES:
            k = key(name)
            print('  { G_GUINT64_CONSTANT (%d), "%s", G_GUINT64_CONSTANT (%d),'
                  % (seed, c_escape(name), i))
            print("    G_GUINT64_CONSTANT (0x%016x), %s, %s },"
                  % (int(u64(seed, k, i)), float(uniform(seed, k, i)).hex(),
                     float(normal(seed, k, i)).hex()))


def c_escape(name):
    # Octal escapes for non-ASCII bytes: C hex escapes would swallow a
    # following hex digit.
    return "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else "\\%03o" % b
                   for b in name.encode("utf-8"))


if __name__ == "__main__":
    main()
