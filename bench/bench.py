#!/usr/bin/python3
# bench.py: swag-style's engine against PyTorch on this machine, one
# evaluation (forward to the tapped layers, the loss, the gradient with
# respect to the image) at a time, the two sides alternating in separate
# processes. Run it through bench/run.sh; see bench/README.md.
#
#   /usr/bin/python3 bench/bench.py --build BUILD [--threads 2] [--pairs 5]
#       [--sizes 256,512,1024] [--cases vgg19,resnet50,resnet50-softmax]
#       [--no-scaling] [--json FILE]
#   /usr/bin/python3 bench/bench.py torch-worker NET SMOOTHING SIZE THREADS
#
# Needs Debian 12's python3-torch (1.13) and python3-torchvision (0.14).
# GPL-3.0-or-later.

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

VGG_TAPS = {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20,
            "relu4_2": 22, "relu5_1": 29}
VGG_STYLE = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
VGG_CONTENT = ["relu4_2"]
RES_STYLE = ["conv0_0", "conv1_2", "conv2_3", "conv3_5", "conv4_2"]
RES_CONTENT = ["conv3_5"]
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

MS_KERNELS = [3, 5, 7, 11, 15, 23, 37, 55]
MS_FILTERS = 32
MS_CONTENT = ["k7", "k23"]

CASES = {
    "multiscale": ("multiscale", "none"),
    "vgg19": ("vgg19", "none"),
    "resnet50": ("resnet50", "none"),
    "resnet50-softmax": ("resnet50", "softmax"),
}


# --------------------------------------------------------------- memory --

def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


# ------------------------------------------------------- the torch side --

def synth_image(size, style):
    """(3, size, size) in [0, 1]: swag-bench.c's formulas, in float64."""
    import numpy as np
    y, i = np.meshgrid(np.arange(size, dtype=np.float64),
                       np.arange(size, dtype=np.float64), indexing="ij")
    planes = []
    for c in range(3):
        if style:
            v = 0.5 + 0.4 * np.sin(0.11 * i + 0.07 * y + c) \
                * np.cos(0.013 * (i - y) * (c + 1))
        else:
            v = 0.5 + 0.3 * np.sin(0.031 * i * (c + 1) + 0.017 * y) \
                * np.cos(0.023 * y * (c + 2))
        planes.append(v)
    return np.stack(planes).astype(np.float32)


def torch_worker(net, smoothing, size, threads):
    import torch
    import torch.nn as nn
    import torchvision

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)

    if net == "vgg19":
        m = torchvision.models.vgg19(weights=None)
        feats = m.features[:VGG_TAPS["relu5_1"] + 1]
        del m
        model = feats
        style, content = VGG_STYLE, VGG_CONTENT

        def taps(x):
            out = {}
            for idx, mod in enumerate(model):
                x = mod(x)
                for t, k in VGG_TAPS.items():
                    if k == idx and (t in style or t in content):
                        out[t] = x
            return out
    elif net == "multiscale":
        # The multi-scale random network, as torch convolutions (oneDNN
        # chooses its own method for the large kernels).
        model = nn.ModuleList(nn.Conv2d(3, MS_FILTERS, k, padding=k // 2,
                                        bias=False) for k in MS_KERNELS)
        style = ["k%d" % k for k in MS_KERNELS]
        content = MS_CONTENT

        def taps(x):
            return {"k%d" % k: torch.relu(conv(x))
                    for k, conv in zip(MS_KERNELS, model)}
    else:
        model = torchvision.models.resnet50(weights=None)
        model.fc = nn.Identity()
        style, content = RES_STYLE, RES_CONTENT
        wanted = {"layer1": 2, "layer2": 3, "layer3": 5, "layer4": 2}

        def taps(x):
            out = {}
            x = model.relu(model.bn1(model.conv1(x)))
            out["conv0_0"] = x
            x = model.maxpool(x)
            for s in range(1, 5):
                layer = getattr(model, "layer%d" % s)
                for b, blk in enumerate(layer):
                    x = blk(x)
                    name = "conv%d_%d" % (s, b)
                    if name in style or name in content:
                        out[name] = x
            return out
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)

    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)

    def smooth(f):
        if smoothing == "softmax":
            return torch.softmax(f.reshape(-1), 0).reshape(f.shape)
        return f

    def gram(s):
        c = s.shape[1]
        f = s.reshape(c, -1)
        return f @ f.t() / f.numel()

    content_img = torch.from_numpy(synth_image(size, False))[None]
    style_img = torch.from_numpy(synth_image(size, True))[None]
    state = {}

    def setup():
        with torch.no_grad():
            st = taps((style_img - mean) / std)
            state["grams"] = {t: gram(smooth(st[t])) for t in style}
            ct = taps((content_img - mean) / std)
            state["content"] = {t: smooth(ct[t]).clone() for t in content}
        state["x"] = content_img.clone().requires_grad_(True)

    def evaluate():
        x = state["x"]
        x.grad = None
        f = taps((x - mean) / std)
        loss = 0.0
        for t in style:
            g = gram(smooth(f[t]))
            loss = loss + torch.mean((g - state["grams"][t]) ** 2)
        for t in content:
            loss = loss + torch.mean((smooth(f[t]) - state["content"][t]) ** 2)
        loss.backward()
        return float(loss), x.grad

    before = 0
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "setup":
            before = status_kb("VmRSS")
            reset_peak()
            setup()
            print(json.dumps({"ok": True}), flush=True)
        elif cmd == "run":
            c0 = time.process_time()
            t0 = time.perf_counter()
            loss, _ = evaluate()
            s = time.perf_counter() - t0
            print(json.dumps({"seconds": s, "loss": loss,
                              "cpu": time.process_time() - c0}), flush=True)
        elif cmd == "mark":
            reset_peak()
            print(json.dumps({"rss_kb": status_kb("VmRSS")}), flush=True)
        elif cmd == "mem":
            print(json.dumps({"peak_kb": status_kb("VmHWM"),
                              "rss_kb": status_kb("VmRSS"),
                              "before_kb": before}), flush=True)
        elif cmd == "quit":
            break
        else:
            print(json.dumps({"error": "unknown command"}), flush=True)


# ------------------------------------------------------------ the driver --

class Worker:
    def __init__(self, argv, env=None):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env)
        self.hello = self.read()

    def read(self):
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("worker died: %s" % " ".join(self.p.args))
        out = json.loads(line)
        if "error" in out:
            raise RuntimeError(out["error"])
        return out

    def ask(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        return self.read()

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass
        self.p.wait(timeout=60)


def ours(build, net, smoothing, size, threads):
    exe = os.path.join(build, "bench", "swag-bench")
    return Worker([exe, "serve", net, smoothing, str(size), str(threads)])


def theirs(net, smoothing, size, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    return Worker([sys.executable, os.path.abspath(__file__), "torch-worker",
                   net, smoothing, str(size), str(threads)], env=env)


def interleave(a, b, pairs, warmups=1, pause=0.2):
    """Alternates a and b (each a Worker) for `pairs` pairs after
    `warmups` each; returns their times and memory."""
    for w in (a, b):
        w.ask("setup")
    for _ in range(warmups):
        for w in (a, b):
            w.ask("run")
            time.sleep(pause)
    for w in (a, b):
        w.ask("mark")
    ta, tb, ca, cb = [], [], [], []
    for _ in range(pairs):
        r = a.ask("run")
        ta.append(r["seconds"])
        ca.append(r.get("cpu", float("nan")))
        time.sleep(pause)   # let the other side's idle threads go to sleep
        r = b.ask("run")
        tb.append(r["seconds"])
        cb.append(r.get("cpu", float("nan")))
        time.sleep(pause)
    ma, mb = a.ask("mem"), b.ask("mem")
    ma["cpu"], mb["cpu"] = ca, cb
    return ta, tb, ma, mb


def mib(kb):
    return kb / 1024.0


def loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def machine_limit(build, threads):
    exe = os.path.join(build, "bench", "swag-bench")
    out = json.loads(subprocess.check_output([exe, "peak", str(threads)],
                                             text=True))
    env = dict(os.environ, OPENBLAS_CORETYPE="SkylakeX")
    forced = json.loads(subprocess.check_output([exe, "peak", str(threads)],
                                                text=True, env=env))
    out["sgemm_skylakex_4096_gflops"] = forced["sgemm_4096_gflops"]
    return out


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "torch-worker":
        torch_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                     int(sys.argv[5]))
        return

    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--sizes", default="256,512,1024")
    ap.add_argument("--cases",
                    default="multiscale,vgg19,resnet50,resnet50-softmax")
    ap.add_argument("--no-scaling", action="store_true",
                    help="skip the 1-thread against 2-thread runs")
    ap.add_argument("--json", help="also write every figure to this file")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    cases = args.cases.split(",")
    T = args.threads
    report = {"threads": T, "pairs": args.pairs, "machine": {}, "cases": []}

    print("# swag-style against PyTorch: one evaluation (forward to the taps, "
          "loss, gradient w.r.t. the image)")
    print("machine: %s, %d CPUs, Python %s, load %.2f at start" % (
        platform.processor() or platform.machine(), os.cpu_count(),
        platform.python_version(), loadavg()))

    lim = machine_limit(args.build, T)
    report["machine"] = lim
    print("\n## The machine's limit, %d threads" % T)
    print("  FMA loop (%d lanes)       %7.1f GFLOP/s" % (lim["lanes"],
                                                       lim["fma_gflops"]))
    for n in (2048, 4096):
        print("  cblas_sgemm %d^2       %7.1f GFLOP/s   (own GEMM %.1f)" % (
            n, lim["sgemm_%d_gflops" % n], lim["own_gemm_%d_gflops" % n]))
    print("  cblas_sgemm 4096^2 with OPENBLAS_CORETYPE=SkylakeX %.1f GFLOP/s"
          % lim["sgemm_skylakex_4096_gflops"])

    print("\n## Per evaluation, %d threads, %d interleaved pairs after "
          "warm-up" % (T, args.pairs))
    hdr = ("| case | size | ours s | PyTorch s | ratio | ours GFLOP/s | "
           "ours +MiB (peak) | PyTorch +MiB (peak) | mem ratio | "
           "CPU-s ours / PyTorch | load |")
    print(hdr)
    print("|" + "---|" * 11)
    results = {}
    for case in cases:
        net, smoothing = CASES[case]
        for size in sizes:
            a = ours(args.build, net, smoothing, size, T)
            b = theirs(net, smoothing, size, T)
            try:
                gflop = a.hello["gflop"]
                ta, tb, ma, mb = interleave(a, b, args.pairs)
            finally:
                a.close()
                b.close()
            ratios = [y / x for x, y in zip(ta, tb)]
            inc_a = ma["peak_kb"] - ma["before_kb"]
            inc_b = mb["peak_kb"] - mb["before_kb"]
            r = {"case": case, "size": size,
                 "ours_s": statistics.median(ta),
                 "torch_s": statistics.median(tb),
                 "ratio": statistics.median(ratios),
                 "gflops": gflop / statistics.median(ta),
                 "direct_gflop": gflop,
                 "ours_times": ta, "torch_times": tb,
                 "ours_inc_mib": mib(inc_a), "torch_inc_mib": mib(inc_b),
                 "ours_peak_mib": mib(ma["peak_kb"]),
                 "torch_peak_mib": mib(mb["peak_kb"]),
                 "ours_cpu": statistics.median(ma["cpu"]),
                 "torch_cpu": statistics.median(mb["cpu"]),
                 "load": loadavg()}
            results[(case, size)] = r
            report["cases"].append(r)
            print("| %s | %d | %.3f | %.3f | %.2fx | %.0f | %.0f (%.0f) | "
                  "%.0f (%.0f) | %.2f | %.2f / %.2f | %.1f |" % (
                      case, size, r["ours_s"], r["torch_s"], r["ratio"],
                      r["gflops"], r["ours_inc_mib"], r["ours_peak_mib"],
                      r["torch_inc_mib"], r["torch_peak_mib"],
                      r["ours_inc_mib"] / max(r["torch_inc_mib"], 1e-9),
                      r["ours_cpu"], r["torch_cpu"], r["load"]), flush=True)

    if 512 in sizes and 1024 in sizes:
        print("\n## 1024 against 512 (ours; target <= 4.4x)")
        for case in cases:
            if (case, 512) in results and (case, 1024) in results:
                k = results[(case, 1024)]["ours_s"] / results[(case, 512)]["ours_s"]
                report.setdefault("scale_1024_512", {})[case] = k
                print("  %-18s %.2fx" % (case, k))

    if 512 in sizes and "multiscale" in cases and "vgg19" in cases:
        print("\n## The default network against VGG-19, ours, 512x512, %d "
              "threads, %d interleaved pairs" % (T, args.pairs))
        a = ours(args.build, "multiscale", "none", 512, T)
        b = ours(args.build, "vgg19", "none", 512, T)
        try:
            tm, tv, _, _ = interleave(a, b, args.pairs)
        finally:
            a.close()
            b.close()
        k = statistics.median([y / x for x, y in zip(tm, tv)])
        report["multiscale_vs_vgg19"] = {"multiscale": statistics.median(tm),
                                         "vgg19": statistics.median(tv),
                                         "ratio": k}
        print("  multiscale %.3f s, VGG-19 %.3f s: VGG-19 / multiscale %.2fx"
              % (statistics.median(tm), statistics.median(tv), k))

    if not args.no_scaling and T > 1:
        print("\n## Threads: ours on 1 against %d, 512x512, %d interleaved "
              "pairs" % (T, args.pairs))
        for case in ("multiscale", "vgg19", "resnet50"):
            net, smoothing = CASES[case]
            a = ours(args.build, net, smoothing, 512, 1)
            b = ours(args.build, net, smoothing, 512, T)
            try:
                t1, t2, _, _ = interleave(a, b, args.pairs)
                # the same inputs on 1 and T threads: the same bits?
                c1, c2 = a.ask("check"), b.ask("check")
            finally:
                a.close()
                b.close()
            sp = statistics.median([x / y for x, y in zip(t1, t2)])
            same = c1["grad_fnv"] == c2["grad_fnv"] and c1["loss"] == c2["loss"]
            report.setdefault("scaling", {})[case] = {
                "t1": statistics.median(t1), "t2": statistics.median(t2),
                "speedup": sp, "bit_identical": same}
            print("  %-10s 1 thread %.3f s, %d threads %.3f s: %.2fx; loss and "
                  "gradient bits %s" % (
                      case, statistics.median(t1), T, statistics.median(t2), sp,
                      "identical" if same else "DIFFER"))

    print("\nload average at the end: %.2f" % loadavg())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
