#!/usr/bin/python3
# make-reference.py: the PyTorch (float64) reference data for the C engine's
# conformance tests. Implements engine/README.md; see tests/reference/README.md.
#
#   /usr/bin/python3 tests/reference/make-reference.py [--check] [--only ID...]
#
# Writes, next to this script: images/*.png, images/*.f32 and reference.json.
# Needs Debian's python3-torch (1.13) and python3-torchvision (0.14), numpy, PIL.
#
# GPL-3.0-or-later.

import os

# numpy's AVX-512 float64 log/cos are not glibc's: they differ from it (and so
# from the C engine) in the last bit for a fifth to a half of all arguments.
# The dispatch can only be switched off before numpy is first imported. The
# self-check below compares with the math module and falls back to it if this
# did not work.
os.environ["NPY_DISABLE_CPU_FEATURES"] = (
    "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import math
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 2021
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
BN_EPS = 1e-5
# W, H. 192x144 only for the multi-scale network: large enough that the
# engine's FFT convolutions cut it into several tiles (its tile sides at the
# time of writing: 108 to 186 outputs).
SIZES = {"64x64": (64, 64), "67x45": (67, 45), "192x144": (192, 144)}
NOISE_SEED, NOISE_SIGMA = 8, 0.08
# The kink sensitivity of the gradients (run_case): moves of x of this size.
SPREAD_EPS, SPREAD_DRAWS, SPREAD_SEED = 1e-6, 8, 11
INDEX_SEED, N_INDICES = 0, 512
TEMPERATURE, ALPHA = 1.0, 0.001
T_FLOOR = 1e-6

VGG_TAPS = {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20,
            "relu4_2": 22, "relu5_1": 29}
VGG_STYLE = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
VGG_CONTENT = ["relu4_2"]
RES_STYLE = ["conv0_0", "conv1_2", "conv2_3", "conv3_5", "conv4_2"]
RES_CONTENT = ["conv3_5"]
STAGES = [3, 4, 6, 3]
# The multi-scale network: one "same" convolution per kernel side, 32 maps
# each (engine/README.md). Its taps are given here, not taken from the
# engine's defaults (which may change): style at every scale; content at the
# 3x3 one (a direct convolution in the engine) and at two that the engine
# computes by FFT (kernels from 7 up); the other five carry style alone.
MS_KERNELS = [3, 5, 7, 11, 15, 23, 37, 55]
MS_FILTERS = 32
MS_TAPS = ["k%d" % k for k in MS_KERNELS]
MS_STYLE = list(MS_TAPS)
MS_CONTENT = ["k3", "k15", "k55"]
MS_BAND_PIXELS = 4096

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
DT = torch.float64


# --------------------------------------------------------------------------
# The seeded counter-based generator (engine/README.md), scalar and vector.

M64 = (1 << 64) - 1


def mix(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def key(name):
    h = 0xcbf29ce484222325
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & M64
    return h


def u64(seed, k, i):
    return mix((mix(seed ^ mix(k)) + (i + 1) * 0x9e3779b97f4a7c15) & M64)


def uniform(seed, k, i):
    return ((u64(seed, k, i) >> 11) + 0.5) * 2.0 ** -53


def normal(seed, k, i):
    return (math.sqrt(-2.0 * math.log(uniform(seed, k, 2 * i)))
            * math.cos(2.0 * math.pi * uniform(seed, k, 2 * i + 1)))


_U = np.uint64
_LOG, _COS = np.log, np.cos


def _glibc_log(a):
    return np.frompyfunc(math.log, 1, 1)(a).astype(np.float64)


def _glibc_cos(a):
    return np.frompyfunc(math.cos, 1, 1)(a).astype(np.float64)


def select_libm():
    """Use numpy's log/cos only where they agree bitwise with the C library's
    (the math module's); otherwise the slow element-by-element path."""
    global _LOG, _COS
    a = np.random.default_rng(123).random(200000) + 2.0 ** -54
    if not np.array_equal(np.log(a), _glibc_log(a)):
        print("note: numpy log differs from libm; using the math module")
        _LOG = _glibc_log
    b = 2.0 * np.pi * a
    if not np.array_equal(np.cos(b), _glibc_cos(b)):
        print("note: numpy cos differs from libm; using the math module")
        _COS = _glibc_cos


def _uniforms_at(base, i0, i1):
    """uniform(seed, k, i) for i0 <= i < i1, base = mix(seed ^ mix(k))."""
    z = np.arange(i0 + 1, i1 + 1, dtype=np.uint64)           # counter i + 1
    z *= _U(0x9e3779b97f4a7c15)
    z += base
    z ^= z >> _U(30)
    z *= _U(0xbf58476d1ce4e5b9)
    z ^= z >> _U(27)
    z *= _U(0x94d049bb133111eb)
    z ^= z >> _U(31)
    return ((z >> _U(11)).astype(np.float64) + 0.5) * 2.0 ** -53


def normals(seed, k, n, chunk=1 << 21):
    """normal(seed, k, i) for i < n, as float64."""
    base = _U(mix(seed ^ mix(k)))
    out = np.empty(n, dtype=np.float64)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        u = _uniforms_at(base, 2 * a, 2 * b).reshape(-1, 2)
        out[a:b] = np.sqrt(-2.0 * _LOG(u[:, 0])) * _COS(2.0 * np.pi * u[:, 1])
    return out


def uniforms(seed, k, n, chunk=1 << 21):
    """uniform(seed, k, i) for i < n, as float64."""
    base = _U(mix(seed ^ mix(k)))
    out = np.empty(n, dtype=np.float64)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        out[a:b] = _uniforms_at(base, a, b)
    return out


def rng_self_check():
    select_libm()
    # Known answers of the independent implementation on the weights branch
    # (engine/swag-rng.c, tests/reference/rng_vectors.py).
    assert key("conv1.weight") == 0x69a29a2cee47d254
    assert key("features.0.weight") == 0xf70f941a24398456
    assert key("caf\u00e9") == 0x48e8823acfa40d89
    kf = key("features.0.weight")
    assert u64(0, kf, 0) == 0xd9b0d92e80b112a1
    assert uniform(0, kf, 0) == float.fromhex("0x1.b361b25d01622p-1")
    assert normal(0, kf, 0) == float.fromhex("0x1.17bcf9e3f205ep-5")
    assert u64(2 ** 64 - 1, key("conv1.weight"), 4294967295) == 0x7bb0564864524945
    # Vector path == scalar path, bit for bit.
    for name in ("features.0.weight", "conv1.weight", "layer1.0.bn1.weight"):
        k = key(name)
        v = normals(SEED, k, 3000, chunk=1000)
        s = np.array([normal(SEED, k, i) for i in range(3000)])
        assert np.array_equal(v, s), name
        v = uniforms(SEED, k, 3000, chunk=1000)
        s = np.array([uniform(SEED, k, i) for i in range(3000)])
        assert np.array_equal(v, s), name
    kc = key("conv1.weight")
    print("rng: normal(2021, key(\"features.0.weight\"), i), i = 0..3:")
    for i in range(4):
        x = normal(SEED, kf, i)
        print("  %d  %.17g  %s" % (i, x, x.hex()))
    print("rng: key(\"conv1.weight\") = 0x%016x, u64(2021, key(\"conv1.weight\"), 0)"
          " = 0x%016x" % (kc, u64(SEED, kc, 0)))
    print("rng: key(\"features.0.weight\") = 0x%016x" % kf)


# --------------------------------------------------------------------------
# Parameter lists from the specification (names and shapes), independent of
# torchvision: load_state_dict(strict=True) then proves that they agree.

def spec_vgg19():
    convs, idx, cin = [], 0, 3
    for group in ([64] * 2, [128] * 2, [256] * 4, [512] * 4, [512] * 4):
        for c in group:
            convs.append(("features.%d" % idx, (c, cin, 3, 3), True))
            cin, idx = c, idx + 2
        idx += 1                                          # the pool
    return convs, []


def spec_resnet50(shortcut=True):
    convs, bns = [("conv1", (64, 3, 7, 7), False)], [("bn1", 64)]
    cin = 64
    for s, (n, w) in enumerate(zip(STAGES, (64, 128, 256, 512)), 1):
        for b in range(n):
            p = "layer%d.%d." % (s, b)
            convs += [(p + "conv1", (w, cin, 1, 1), False),
                      (p + "conv2", (w, w, 3, 3), False),
                      (p + "conv3", (4 * w, w, 1, 1), False)]
            bns += [(p + "bn1", w), (p + "bn2", w), (p + "bn3", 4 * w)]
            if shortcut and b == 0:
                convs.append((p + "downsample.0", (4 * w, cin, 1, 1), False))
                bns.append((p + "downsample.1", 4 * w))
            cin = 4 * w
    return convs, bns


def spec_pseudo_vgg(shortcut=False):
    convs, bns = [("conv1", (64, 3, 3, 3), False)], [("bn1", 64)]
    cin = 64
    for s, (n, c) in enumerate(zip(STAGES, (64, 128, 256, 512)), 1):
        for b in range(n):
            p = "layer%d.%d." % (s, b)
            convs += [(p + "conv1", (c, cin, 3, 3), False),
                      (p + "conv2", (c, c, 3, 3), False)]
            bns += [(p + "bn1", c), (p + "bn2", c)]
            if shortcut and b == 0 and s > 1:
                convs.append((p + "downsample.0", (c, cin, 1, 1), False))
                bns.append((p + "downsample.1", c))
            cin = c
    return convs, bns


def spec_multiscale():
    return [("scales.%d" % i, (MS_FILTERS, 3, k, k), True)
            for i, k in enumerate(MS_KERNELS)], []


_conv_cache = {}


def conv_weight(name, shape):
    """(float)(normal(seed, key(name), i) * sqrt(2 / (O kh kw)))."""
    ck = (name, shape)
    if ck not in _conv_cache:
        o, _, kh, kw = shape
        n = int(np.prod(shape))
        w = normals(SEED, key(name), n) * math.sqrt(2.0 / (o * kh * kw))
        _conv_cache[ck] = w.astype(np.float32).reshape(shape)
    return torch.from_numpy(_conv_cache[ck].copy())


def glorot_bound(shape):
    """a = sqrt(6 / ((I + O) kh kw)): Glorot (Xavier) uniform."""
    o, i, kh, kw = shape
    return math.sqrt(6.0 / (float(i + o) * kh * kw))


def glorot_weight(name, shape):
    """(float)(-a + 2a uniform(seed, key(name), i)) (the multi-scale network)."""
    ck = (name, shape, "glorot")
    if ck not in _conv_cache:
        a = glorot_bound(shape)
        u = uniforms(SEED, key(name), int(np.prod(shape)))
        _conv_cache[ck] = (-a + 2.0 * a * u).astype(np.float32).reshape(shape)
    return torch.from_numpy(_conv_cache[ck].copy())


def bn_params(prefix, c, kind):
    if kind == "random":
        vals = {"weight": np.ones(c), "bias": np.zeros(c),
                "running_mean": np.zeros(c), "running_var": np.ones(c)}
    else:                                              # "bn-perturbed"
        def nv(field):
            return normals(SEED, key(prefix + "." + field), c)
        vals = {"weight": 1.0 + 0.2 * nv("weight"),
                "bias": 0.1 * nv("bias"),
                "running_mean": 0.1 * nv("running_mean"),
                "running_var": np.exp(0.3 * nv("running_var"))}
    sd = {prefix + "." + f: torch.from_numpy(v.astype(np.float32))
          for f, v in vals.items()}
    sd[prefix + ".num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    return sd


def state_dict(spec, kind, init="kaiming"):
    convs, bns = spec
    sd = {}
    for name, shape, bias in convs:
        make = glorot_weight if init == "glorot" else conv_weight
        sd[name + ".weight"] = make(name + ".weight", shape)
        if bias:
            sd[name + ".bias"] = torch.zeros(shape[0], dtype=torch.float32)
    for prefix, c in bns:
        sd.update(bn_params(prefix, c, kind))
    return sd


# --------------------------------------------------------------------------
# Networks. Each returns a function x (1, 3, H, W) -> {tap: (C, H, W)}.

def no_inplace(m):
    for mod in m.modules():
        if isinstance(mod, nn.ReLU):
            mod.inplace = False
    return m


def finish(m, sd):
    m.load_state_dict(sd, strict=True)
    return no_inplace(m).to(DT).eval()


def spot_check(m, conv, kind=None):
    """A few loaded parameters against the formulas, element by element."""
    sd = m.state_dict()
    w = sd[conv + ".weight"]
    o, _, kh, kw = w.shape
    for i in (0, 1, w.numel() - 1):
        want = np.float32(normal(SEED, key(conv + ".weight"), i)
                          * math.sqrt(2.0 / (o * kh * kw)))
        assert w.reshape(-1)[i].item() == float(want), (conv, i)
    if kind == "bn-perturbed":
        for b in ("bn1", "layer1.0.downsample.1", "layer4.2.bn3"):
            for f, fn in (("weight", lambda v: 1.0 + 0.2 * v),
                          ("bias", lambda v: 0.1 * v),
                          ("running_mean", lambda v: 0.1 * v),
                          ("running_var", lambda v: math.exp(0.3 * v))):
                t = sd[b + "." + f]
                for i in (0, t.numel() - 1):
                    want = np.float32(fn(normal(SEED, key(b + "." + f), i)))
                    assert t[i].item() == float(want), (b, f, i)
    elif kind == "random":
        assert sd["bn1.running_var"].eq(1).all() and sd["bn1.weight"].eq(1).all()
        assert sd["bn1.running_mean"].eq(0).all() and sd["bn1.bias"].eq(0).all()


def make_vgg19(pooling):
    m = torchvision.models.vgg19(weights=None)
    m.avgpool, m.classifier = nn.Identity(), nn.Identity()   # unused head
    if pooling == "avg":
        for i, mod in enumerate(m.features):
            if isinstance(mod, nn.MaxPool2d):
                m.features[i] = nn.AvgPool2d(2, 2)
    m = finish(m, state_dict(spec_vgg19(), "random"))
    spot_check(m, "features.0")
    spot_check(m, "features.34")
    assert m.features[34].bias.eq(0).all()

    def taps(x, wanted):
        last = max(VGG_TAPS[t] for t in wanted)
        out, h = {}, x
        for i, mod in enumerate(m.features[:last + 1]):
            h = mod(h)
            for t in wanted:
                if VGG_TAPS[t] == i:
                    out[t] = h[0]
        return out
    return taps


def resnet_like_taps(m, stem_pool, stage_pool=None):
    order = ["conv0_0"] + ["conv%d_%d" % (s, b)
                           for s, n in enumerate(STAGES, 1) for b in range(n)]

    def taps(x, wanted):
        last = max(order.index(t) for t in wanted)
        out = {}
        h = m.relu(m.bn1(m.conv1(x)))
        if "conv0_0" in wanted:
            out["conv0_0"] = h[0]
        h = stem_pool(h)
        k = 1
        for s in range(1, 5):
            for b, blk in enumerate(getattr(m, "layer%d" % s)):
                if k > last:
                    return out
                if s > 1 and b == 0 and stage_pool is not None:
                    h = stage_pool(h)                  # pseudo-VGG: before stages 2-4
                h = blk(h)
                t = "conv%d_%d" % (s, b)
                if t in wanted:
                    out[t] = h[0]
                k += 1
        return out
    return taps


def make_resnet50(kind):
    m = torchvision.models.resnet50(weights=None)
    m.fc = nn.Identity()                                       # unused head
    m = finish(m, state_dict(spec_resnet50(), kind))
    spot_check(m, "conv1", kind)
    spot_check(m, "layer3.0.downsample.0")
    return resnet_like_taps(m, m.maxpool)


def conv_bn(cin, cout, k, stride=1, pad=0):
    return (nn.Conv2d(cin, cout, k, stride, pad, bias=False),
            nn.BatchNorm2d(cout, eps=BN_EPS))


class PlainBottleneck(nn.Module):
    """torchvision's Bottleneck without the shortcut (NoResNet-50)."""

    def __init__(self, cin, w, stride):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(cin, w, 1)
        self.conv2, self.bn2 = conv_bn(w, w, 3, stride, 1)
        self.conv3, self.bn3 = conv_bn(w, 4 * w, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        h = self.relu(self.bn1(self.conv1(x)))
        h = self.relu(self.bn2(self.conv2(h)))
        return self.relu(self.bn3(self.conv3(h)))


class NoResNet50(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(3, 64, 7, 2, 3)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for s, (n, w) in enumerate(zip(STAGES, (64, 128, 256, 512)), 1):
            blocks = []
            for b in range(n):
                blocks.append(PlainBottleneck(cin, w, 2 if (b == 0 and s > 1) else 1))
                cin = 4 * w
            setattr(self, "layer%d" % s, nn.Sequential(*blocks))


class VGGBlock(nn.Module):
    """ResNet-34's basic block, stride 1, with or without its shortcut."""

    def __init__(self, cin, c, shortcut):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(cin, c, 3, 1, 1)
        self.conv2, self.bn2 = conv_bn(c, c, 3, 1, 1)
        self.relu = nn.ReLU()
        self.shortcut = shortcut
        if shortcut and cin != c:
            self.downsample = nn.Sequential(*conv_bn(cin, c, 1))
        else:
            self.downsample = None

    def forward(self, x):
        h = self.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        if self.shortcut:
            h = h + (self.downsample(x) if self.downsample is not None else x)
        return self.relu(h)


class PseudoVGG(nn.Module):
    def __init__(self, shortcut, pooling):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(3, 64, 3, 1, 1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2)
        cin = 64
        for s, (n, c) in enumerate(zip(STAGES, (64, 128, 256, 512)), 1):
            blocks = []
            for b in range(n):
                blocks.append(VGGBlock(cin, c, shortcut))
                cin = c
            setattr(self, "layer%d" % s, nn.Sequential(*blocks))


class MultiScale(nn.Module):
    """The multi-scale random network: parallel "same" convolutions of the
    (normalised) RGB input, bias (zero) and ReLU, one per kernel side."""

    def __init__(self):
        super().__init__()
        self.scales = nn.ModuleList(nn.Conv2d(3, MS_FILTERS, k, 1, k // 2)
                                    for k in MS_KERNELS)


def make_multiscale():
    m = finish(MultiScale(), state_dict(spec_multiscale(), "random", "glorot"))
    m.requires_grad_(False)                 # only d/dx is wanted
    sd = m.state_dict()
    for i in (0, 2, len(MS_KERNELS) - 1):
        name = "scales.%d.weight" % i
        w = sd[name]
        a = glorot_bound(tuple(w.shape))
        for j in (0, 1, w.numel() - 1):
            want = np.float32(-a + 2.0 * a * uniform(SEED, key(name), j))
            assert w.reshape(-1)[j].item() == float(want), (name, j)
        assert sd["scales.%d.bias" % i].eq(0).all()

    def same_conv(x, conv):
        # In bands of at most MS_BAND_PIXELS outputs: PyTorch's float64
        # convolution unfolds its input (im2col, 3 k^2 doubles per output),
        # which for all of a 55x55 kernel's outputs at 192x144 takes 2 GB.
        # (Bands of 256 outputs ran faster, malloc reusing their buffers
        # rather than mapping them anew, but fragmented its heap to 3.7 GB.)
        # The sums are the same; only their grouping into GEMMs changes.
        p = conv.kernel_size[0] // 2
        h, w = x.shape[2], x.shape[3]
        xp = F.pad(x, (p, p, p, p))
        rows = max(1, MS_BAND_PIXELS // w)
        return torch.cat([F.conv2d(xp[:, :, r:min(h, r + rows) + 2 * p, :],
                                   conv.weight, conv.bias)
                          for r in range(0, h, rows)], 2)

    def taps(x, wanted):
        return {t: torch.relu(same_conv(x, m.scales[MS_TAPS.index(t)]))[0]
                for t in wanted}
    return taps


def make_noresnet50():
    m = finish(NoResNet50(), state_dict(spec_resnet50(shortcut=False), "random"))
    return resnet_like_taps(m, m.maxpool)


def make_pseudo(shortcut, pooling):
    m = finish(PseudoVGG(shortcut, pooling),
               state_dict(spec_pseudo_vgg(shortcut), "random"))
    return resnet_like_taps(m, m.pool, m.pool)


# --------------------------------------------------------------------------
# Tap shapes from the specification's arithmetic (no torch).

def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def spec_shapes(backbone, w, h):
    if backbone == "multiscale":
        return {t: (MS_FILTERS, out_size(h, k, 1, k // 2),
                    out_size(w, k, 1, k // 2))
                for t, k in zip(MS_TAPS, MS_KERNELS)}
    if backbone == "vgg19":
        sh, (H, W) = {}, (h, w)
        for t, c, pools in (("relu1_1", 64, 0), ("relu2_1", 128, 1),
                            ("relu3_1", 256, 2), ("relu4_1", 512, 3),
                            ("relu4_2", 512, 3), ("relu5_1", 512, 4)):
            hh, ww = H, W
            for _ in range(pools):
                hh, ww = out_size(hh, 2, 2, 0), out_size(ww, 2, 2, 0)
            sh[t] = (c, hh, ww)
        return sh
    sh = {}
    if backbone in ("resnet50", "noresnet50"):
        H, W = out_size(h, 7, 2, 3), out_size(w, 7, 2, 3)
        sh["conv0_0"] = (64, H, W)
        H, W = out_size(H, 3, 2, 1), out_size(W, 3, 2, 1)
        for s, (n, wd) in enumerate(zip(STAGES, (64, 128, 256, 512)), 1):
            if s > 1:
                H, W = out_size(H, 3, 2, 1), out_size(W, 3, 2, 1)
            for b in range(n):
                sh["conv%d_%d" % (s, b)] = (4 * wd, H, W)
        return sh
    H, W = h, w                                         # pseudo-VGG / ResVGG
    sh["conv0_0"] = (64, H, W)
    H, W = out_size(H, 2, 2, 0), out_size(W, 2, 2, 0)
    for s, (n, c) in enumerate(zip(STAGES, (64, 128, 256, 512)), 1):
        if s > 1:
            H, W = out_size(H, 2, 2, 0), out_size(W, 2, 2, 0)
        for b in range(n):
            sh["conv%d_%d" % (s, b)] = (c, H, W)
    return sh


# --------------------------------------------------------------------------
# Images.

def lanczos():
    return getattr(Image, "Resampling", Image).LANCZOS


def write_f32(path, a):
    a = np.ascontiguousarray(a, dtype="<f4")
    with open(path, "wb") as f:
        f.write(a.tobytes())


IMAGES = "/work/shared/images"


def prepare_images(src=None):
    """Returns {size: {"content", "style", "input": float64 (3, H, W)}}."""
    src = src or IMAGES
    srcs = {"content": os.path.join(src, "chelsea.png"),
            "style": os.path.join(src, "the_scream.jpg")}
    outdir = os.path.join(HERE, "images")
    os.makedirs(outdir, exist_ok=True)
    imgs = {}
    for size, (w, h) in SIZES.items():
        d = {}
        for role, path in srcs.items():
            im = Image.open(path).convert("RGB").resize((w, h), lanczos())
            png = os.path.join(outdir, "%s-%s.png" % (role, size))
            im.save(png, format="PNG")
            back = Image.open(png)
            assert back.mode == "RGB" and back.size == (w, h)
            k = np.asarray(back, dtype=np.uint8)
            assert np.array_equal(k, np.asarray(im, dtype=np.uint8))
            v = (k.transpose(2, 0, 1).astype(np.float64) / 255.0).astype(np.float32)
            write_f32(os.path.join(outdir, "%s-%s.f32" % (role, size)), v)
            d[role] = v.astype(np.float64)
        z = np.random.default_rng(NOISE_SEED).standard_normal((3, h, w))
        x = np.clip(d["content"] + NOISE_SIGMA * z, 0.0, 1.0).astype(np.float32)
        write_f32(os.path.join(outdir, "input-%s.f32" % size), x)
        d["input"] = x.astype(np.float64)
        imgs[size] = d
    return imgs


# --------------------------------------------------------------------------
# Smoothing, losses, diagnostics (all float64).

def smooth(f, mode, t):
    if mode == "none":
        return f
    if mode == "scale":
        return ALPHA * f
    if mode in ("softmax", "auto"):
        return torch.softmax((f / t).reshape(-1), 0).reshape(f.shape)
    if mode == "channel-softmax":
        return torch.softmax(f / t, 0)
    raise ValueError(mode)


def gram(s):
    c = s.shape[0]
    m = s.reshape(c, -1)
    return m @ m.T / s.numel()


def diagnostics(s):
    g = gram(s)
    p = g / g.sum()
    plogp = torch.where(p > 0, p * torch.log(torch.where(p > 0, p, 1.0)),
                        torch.zeros_like(p))
    c = s.shape[0]
    return {"max_activation": s.max().item(), "max_gram": g.max().item(),
            "gram_entropy": (-plogp.sum() / math.log(c * c)).item()}


def normalise(x):
    mean = torch.tensor(MEAN, dtype=DT).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=DT).view(1, 3, 1, 1)
    return (x - mean) / std


# --------------------------------------------------------------------------
# Cases.

def case_list():
    cases = []

    def add(cid, backbone, size, pooling="max", weights="random", smoothing="none"):
        cases.append(dict(id=cid, backbone=backbone, pooling=pooling,
                          weights=weights, smoothing=smoothing, size=size))
    add("vgg19-max-none-64x64", "vgg19", "64x64")
    add("vgg19-max-none-67x45", "vgg19", "67x45")
    add("vgg19-avg-none-64x64", "vgg19", "64x64", pooling="avg")
    for sm in ("none", "softmax", "channel-softmax", "scale", "auto"):
        for size in ("64x64", "67x45"):
            add("resnet50-%s-%s" % (sm, size), "resnet50", size, smoothing=sm)
    add("resnet50-bnperturbed-none-64x64", "resnet50", "64x64", weights="bn-perturbed")
    add("resnet50-bnperturbed-softmax-64x64", "resnet50", "64x64",
        weights="bn-perturbed", smoothing="softmax")
    add("noresnet50-none-64x64", "noresnet50", "64x64")
    add("pseudo-vgg-none-64x64", "pseudo-vgg", "64x64")
    add("pseudo-resvgg-none-64x64", "pseudo-resvgg", "64x64")
    add("multiscale-none-64x64", "multiscale", "64x64")
    add("multiscale-none-67x45", "multiscale", "67x45")
    add("multiscale-softmax-64x64", "multiscale", "64x64", smoothing="softmax")
    add("multiscale-auto-67x45", "multiscale", "67x45", smoothing="auto")
    add("multiscale-none-192x144", "multiscale", "192x144")
    return cases


_nets = {}


def network(c):
    k = (c["backbone"], c["pooling"], c["weights"], DT)
    if k not in _nets:
        _nets.clear()                     # one network in memory at a time
        b = c["backbone"]
        if b == "vgg19":
            _nets[k] = make_vgg19(c["pooling"])
        elif b == "resnet50":
            _nets[k] = make_resnet50(c["weights"])
        elif b == "noresnet50":
            _nets[k] = make_noresnet50()
        elif b == "pseudo-vgg":
            _nets[k] = make_pseudo(False, c["pooling"])
        elif b == "pseudo-resvgg":
            _nets[k] = make_pseudo(True, c["pooling"])
        elif b == "multiscale":
            _nets[k] = make_multiscale()
    return _nets[k]


def indices_for(w, h):
    n = 3 * h * w
    return np.sort(np.random.default_rng(INDEX_SEED).choice(n, N_INDICES, replace=False))


def run_case(c, imgs, check=False):
    w, h = SIZES[c["size"]]
    if c["backbone"] == "vgg19":
        style_l, content_l, order = VGG_STYLE, VGG_CONTENT, list(VGG_TAPS)
    elif c["backbone"] == "multiscale":
        style_l, content_l, order = MS_STYLE, MS_CONTENT, MS_TAPS
    else:
        style_l, content_l = RES_STYLE, RES_CONTENT
        order = spec_shapes(c["backbone"], w, h).keys()
    taps_l = [t for t in order if t in style_l or t in content_l]
    mode = c["smoothing"]
    net = network(c)

    def img(role):
        return torch.from_numpy(imgs[c["size"]][role]).to(DT).unsqueeze(0)

    def feats(x):
        return net(normalise(x), taps_l)

    expect = spec_shapes(c["backbone"], w, h)
    with torch.no_grad():
        fc, fs = feats(img("content")), feats(img("style"))
    for t in taps_l:
        assert tuple(fc[t].shape) == expect[t], (c["id"], t, fc[t].shape, expect[t])

    temps = {}
    for t in taps_l:
        if mode in ("softmax", "channel-softmax"):
            temps[t] = TEMPERATURE
        elif mode == "auto":
            temps[t] = max(fs[t].std(unbiased=False).item(), T_FLOOR)
        else:
            temps[t] = None

    def sm(f, t):
        return smooth(f, mode, temps[t])

    with torch.no_grad():
        sc = {t: sm(fc[t], t) for t in taps_l}
        ss = {t: sm(fs[t], t) for t in taps_l}
        targets = {t: gram(ss[t]) for t in style_l}
        style_at_content = {t: torch.mean((gram(sc[t]) - targets[t]) ** 2).item()
                            for t in style_l}

    def terms(x):
        f = feats(x)
        s = {t: sm(f[t], t) for t in taps_l}
        ct = {t: torch.mean((s[t] - sc[t]) ** 2) for t in content_l}
        st = {t: torch.mean((gram(s[t]) - targets[t]) ** 2) for t in style_l}
        return ct, st

    x = img("input").clone().requires_grad_(True)
    ct, st = terms(x)
    wc = {t: 1.0 / v.item() for t, v in ct.items()}
    ws = {t: 1.0 / v.item() for t, v in st.items()}
    lc = sum(wc[t] * ct[t] for t in content_l)
    ls = sum(ws[t] * st[t] for t in style_l)
    gc, = torch.autograd.grad(lc, x, retain_graph=True)
    gs, = torch.autograd.grad(ls, x)
    gc, gs = gc[0].reshape(-1), gs[0].reshape(-1)
    idx = indices_for(w, h)

    # Kink sensitivity: the same gradients at x moved by SPREAD_EPS (about
    # the size of float32's rounding of the activations), a few times. Where
    # a ReLU sits within rounding of its kink at x, the exact gradient jumps
    # between such neighbours, and no float32 engine can be closer to the
    # reference than that jump: the C test's tolerance is the larger of
    # 1e-3 and 1.5 times this spread.
    def rel(a, b):
        return (a[idx] - b[idx]).norm().item() / b[idx].norm().item()

    spread_c = spread_s = 0.0
    zr = np.random.default_rng(SPREAD_SEED)
    for _ in range(SPREAD_DRAWS):
        z = torch.from_numpy(zr.standard_normal(tuple(x.shape))).to(DT)
        xp = (x.detach() + SPREAD_EPS * z).requires_grad_(True)
        cp, sp = terms(xp)
        gcp, = torch.autograd.grad(sum(wc[t] * cp[t] for t in content_l), xp,
                                   retain_graph=True)
        gsp, = torch.autograd.grad(sum(ws[t] * sp[t] for t in style_l), xp)
        spread_c = max(spread_c, rel(gcp[0].reshape(-1), gc))
        spread_s = max(spread_s, rel(gsp[0].reshape(-1), gs))

    taps = {}
    for t in taps_l:
        taps[t] = {
            "shape": list(fc[t].shape),
            "temperature": temps[t],
            "content": ct[t].item() if t in ct else None,
            "style": st[t].item() if t in st else None,
            "style_at_content": style_at_content.get(t),
            "diag_content": diagnostics(sc[t]),
            "diag_style": diagnostics(ss[t]),
        }
    out = {
        "id": c["id"], "backbone": c["backbone"], "pooling": c["pooling"],
        "weights": c["weights"], "smoothing": mode,
        "temperature": TEMPERATURE, "alpha": ALPHA,
        "width": w, "height": h,
        "content": "images/content-%s.f32" % c["size"],
        "style": "images/style-%s.f32" % c["size"],
        "input": "images/input-%s.f32" % c["size"],
        "style_layers": list(style_l), "content_layers": list(content_l),
        "smooth_layers": list(taps_l),
        "taps": taps,
        "weights_content": wc, "weights_style": ws,
        "grad_content": {"indices": idx.tolist(), "values": gc[idx].tolist()},
        "grad_style": {"indices": idx.tolist(), "values": gs[idx].tolist()},
        "grad_norm_content": gc.norm().item(),
        "grad_norm_style": gs.norm().item(),
        "grad_spread_eps": SPREAD_EPS,
        "grad_spread_content": spread_c,
        "grad_spread_style": spread_s,
    }

    if check:
        fd_check(c["id"], x.detach(), terms, wc, ws, gc, gs, idx)
    return out


def gauge(c, imgs, ref):
    """The same case computed by PyTorch in float32 against the float64
    reference: a yardstick for the C engine's tolerances (not written)."""
    global DT
    DT = torch.float32
    try:
        r = run_case(c, imgs)
    finally:
        DT = torch.float64
    worst = 0.0
    for t, d in ref["taps"].items():
        for k in ("content", "style", "style_at_content"):
            if d[k] is not None:
                worst = max(worst, abs(r["taps"][t][k] - d[k]) / abs(d[k]))
    msg = ["gauge %s float32 vs float64: terms max rel %.2e" % (c["id"], worst)]
    for g in ("grad_content", "grad_style"):
        a, b = np.array(r[g]["values"]), np.array(ref[g]["values"])
        msg.append("%s rel L2 %.2e max abs/norm %.2e" % (
            g, np.linalg.norm(a - b) / np.linalg.norm(b),
            np.abs(a - b).max() / ref["grad_norm_" + g[5:]]))
    print("; ".join(msg))


def fd_check(cid, x0, terms, wc, ws, gc, gs, idx):
    """Central differences of both objectives at a few sampled entries."""
    def objectives(x):
        with torch.no_grad():
            ct, st = terms(x)
        return (sum(wc[t] * v for t, v in ct.items()).item(),
                sum(ws[t] * v for t, v in st.items()).item())
    picks = [int(idx[j]) for j in (0, 171, 342, 511)]
    for hstep in (1e-5, 1e-6):
        for i in picks:
            xp, xm = x0.clone(), x0.clone()
            xp.view(-1)[i] += hstep
            xm.view(-1)[i] -= hstep
            (cp, sp), (cm, smn) = objectives(xp), objectives(xm)
            for what, fd, ad in (("content", (cp - cm) / (2 * hstep), gc[i].item()),
                                 ("style", (sp - smn) / (2 * hstep), gs[i].item())):
                rel = abs(fd - ad) / max(abs(ad), 1e-300)
                print("check %s h=%g i=%d %-7s autograd % .10e fd % .10e rel %.2e"
                      % (cid, hstep, i, what, ad, fd, rel))


# --------------------------------------------------------------------------
# Output: JSON, one line per small object or list.

def check_finite(o):
    if isinstance(o, dict):
        for v in o.values():
            check_finite(v)
    elif isinstance(o, list):
        for v in o:
            check_finite(v)
    elif isinstance(o, float):
        assert math.isfinite(o), o


def fmt(v):
    return json.dumps(v, allow_nan=False)


def to_json(o, ind=0):
    pad, pad1 = " " * ind, " " * (ind + 1)
    if isinstance(o, dict):
        flat = json.dumps(o, allow_nan=False)
        if len(flat) < 120:
            return flat
        items = ["%s%s: %s" % (pad1, json.dumps(k), to_json(v, ind + 1))
                 for k, v in o.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(o, list):
        if all(not isinstance(e, (dict, list)) for e in o):
            return "[" + ", ".join(fmt(e) for e in o) + "]"
        return ("[\n" + ",\n".join(pad1 + to_json(e, ind + 1) for e in o)
                + "\n" + pad + "]")
    return fmt(o)


def summary(r):
    print("%s  grad norms: content %.6g style %.6g" %
          (r["id"], r["grad_norm_content"], r["grad_norm_style"]))
    print("  %-8s %-16s %-10s %-11s %-11s %-11s %-11s %-8s" %
          ("tap", "shape", "T", "content", "style", "max act", "max gram", "entropy"))
    for t, d in r["taps"].items():
        dc = d["diag_content"]
        print("  %-8s %-16s %-10s %-11s %-11s %-11.4g %-11.4g %-8.4f" % (
            t, "x".join(map(str, d["shape"])),
            "-" if d["temperature"] is None else "%.4g" % d["temperature"],
            "-" if d["content"] is None else "%.4g" % d["content"],
            "-" if d["style"] is None else "%.4g" % d["style"],
            dc["max_activation"], dc["max_gram"], dc["gram_entropy"]))


def main():
    ap = argparse.ArgumentParser(
        description="Writes the float64 PyTorch reference data of the "
        "conformance tests next to this script.")
    ap.add_argument("--images", default=IMAGES, metavar="DIR",
                    help="where chelsea.png and the_scream.jpg are "
                    "(default %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="finite-difference a few gradient entries of "
                    "resnet50-none-64x64, resnet50-softmax-64x64, "
                    "vgg19-max-none-64x64, multiscale-none-64x64 and "
                    "multiscale-softmax-64x64")
    ap.add_argument("--gauge", action="store_true",
                    help="also run every case in float32 and print how far "
                    "it lands from the float64 reference")
    ap.add_argument("--only", nargs="*", metavar="ID",
                    help="run only these cases and do not write reference.json")
    args = ap.parse_args()
    t0 = time.time()
    warnings.filterwarnings("ignore", category=UserWarning)

    rng_self_check()
    imgs = prepare_images(args.images)
    cases = case_list()
    if args.only:
        cases = [c for c in cases if c["id"] in args.only]
        assert cases, "no such case"
    check_ids = {"resnet50-none-64x64", "resnet50-softmax-64x64", "vgg19-max-none-64x64",
                 "multiscale-none-64x64", "multiscale-softmax-64x64"}
    results = []
    for c in cases:
        t1 = time.time()
        r = run_case(c, imgs, check=args.check and c["id"] in check_ids)
        results.append(r)
        summary(r)
        if args.gauge:
            gauge(c, imgs, r)
        print("  (%.1f s)" % (time.time() - t1))
        sys.stdout.flush()
    if not args.only:
        doc = {"generator": "tests/reference/make-reference.py",
               "torch": torch.__version__, "torchvision": torchvision.__version__,
               "seed": SEED, "cases": results}
        check_finite(doc)
        with open(os.path.join(HERE, "reference.json"), "w") as f:
            f.write(to_json(doc) + "\n")
        json.load(open(os.path.join(HERE, "reference.json")))   # valid JSON
    print("total %.1f s" % (time.time() - t0))


if __name__ == "__main__":
    main()
