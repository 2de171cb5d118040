#!/usr/bin/env python3
"""Times the LV2 peers (LSP Plugins, x42) on the same signal and configurations as `tandem bench`.

Usage (from the repository root, after `cargo build --release -p tandem-cli`):

    apt-get install -y lsp-plugins-lv2 x42-plugins lilv-utils liblilv-dev
    python3 tools/bench_lv2.py [--runs 5] [--json] [--check]

What it does:
1. `tandem demo --seconds 60` writes the 60 s demo mix (48 kHz stereo, 24-bit); it is normalised
   to a 0 dBFS sample peak exactly like `tandem bench` does and saved as planar float32.
2. tools/lv2_bench_host.c is compiled (cc + lilv) and run once per configuration: it times only
   the plugin's run() loop over the whole signal in blocks of 1024 (or of each `--block`) with the thread's CPU clock,
   after one untimed warm-up run; the median of the runs is reported. The automated configurations
   move their control ports at every block along the lanes of `tandem bench`'s automated rows.
3. With --check, each peer's output is written as a float WAV and measured with
   `tandem analyze` (true peak, integrated loudness), so the limiters' ceilings can be compared.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TANDEM = os.path.join(ROOT, "target", "release", "tandem")
SECONDS = 60.0
RATE = 48000


def db_to_gain(db):
    return 10.0 ** (db / 20.0)


LSP = "http://lsp-plug.in/plugins/lv2/"
X42 = "http://gareus.org/oss/lv2/"

# The standard EQ: 8 bells, Q 0.7.
BELLS = [(60, 3), (150, -2), (400, 2), (1000, -3), (2500, 2), (5000, -2), (8000, 3), (12000, -2)]


def lsp_eq_controls():
    c = ["mode=0", "fft=0"]  # IIR, analyser off
    for i in range(16):
        if i < len(BELLS):
            f, g = BELLS[i]
            c += [f"ft_{i}=1", f"fm_{i}=0", f"s_{i}=0", f"f_{i}={f}", f"g_{i}={db_to_gain(g)}", f"q_{i}=0.7"]
        else:
            c += [f"ft_{i}=0"]
    return c


def fil4_controls():
    # fil4 has a low shelf, four parametric sections and a high shelf (no 8-bell mode): the
    # closest it gets is 6 sections, bandwidth 1.9 octaves ~ Q 0.7.
    return [
        "enable=1", "HighPass=0", "LowPass=0",
        "LSsec=1", "LSfreq=60", "LSgain=3", "LSq=0.7",
        "sec1=1", "freq1=150", "gain1=-2", "q1=1.9",
        "sec2=1", "freq2=400", "gain2=2", "q2=1.9",
        "sec3=1", "freq3=1000", "gain3=-3", "q3=1.9",
        "sec4=1", "freq4=2500", "gain4=2", "q4=1.9",
        "HSsec=1", "HSfreq=12000", "HSgain=-2", "HSq=0.7",
    ]


def eq_lanes():
    # As `tandem bench`'s automated EQ: each bell's gain +-3 dB (0.5 Hz) and frequency
    # +-1/3 octave (0.25 Hz), every band on its own phase (radians = band index).
    lanes = []
    for i, (f, g) in enumerate(BELLS):
        lanes += [f"g_{i}=db:{g}:3:0.5:{i}", f"f_{i}=oct:{f}:{1/3}:0.25:{i}"]
    return lanes


def fil4_lanes():
    # The same lanes on fil4's six sections (its gains are in dB).
    sections = [("LS", "LSgain", "LSfreq"), ("1", "gain1", "freq1"), ("2", "gain2", "freq2"),
                ("3", "gain3", "freq3"), ("4", "gain4", "freq4"), ("HS", "HSgain", "HSfreq")]
    bells = [BELLS[0], BELLS[1], BELLS[2], BELLS[3], BELLS[4], BELLS[7]]
    lanes = []
    for i, ((_, gain, freq), (f, g)) in enumerate(zip(sections, bells)):
        lanes += [f"{gain}=lin:{g}:3:0.5:{i}", f"{freq}=oct:{f}:{1/3}:0.25:{i}"]
    return lanes


LIM_TH = db_to_gain(-6.0)
# Automated configurations: (key, label, the static config's key, lanes). Each lane moves one
# control port at every block as `tandem bench`'s automated rows move the chains (see
# tools/lv2_bench_host.c for the lane syntax).
AUTOMATED = [
    ("lsp_eq_8_bells_automated", "LSP para_equalizer_x16, 8 bells, gains+freqs moving", "lsp_eq_8_bells", eq_lanes()),
    ("x42_fil4_6_sections_automated", "x42 fil4, 6 sections, gains+freqs moving", "x42_fil4_6_sections",
     fil4_lanes()),
    ("lsp_comp_rms_automated", "LSP compressor_stereo, RMS, 4:1, threshold moving", "lsp_comp_rms",
     ["al=db:-18:6:0.5:0"]),
    ("lsp_limiter_4x_full_automated", "LSP limiter_stereo, Full x4, threshold moving", "lsp_limiter_4x_full",
     ["th=db:-6:3:0.5:0"]),
    ("lsp_limiter_4x_half_automated", "LSP limiter_stereo, Half x4, threshold moving", "lsp_limiter_4x_half",
     ["th=db:-6:3:0.5:0"]),
    ("x42_dpl_truepeak_automated", "x42 dpl, true peak, threshold moving", "x42_dpl_truepeak",
     ["threshold=lin:-6:3:0.5:0"]),
]
CONFIGS = [
    ("lsp_eq_8_bells", "LSP para_equalizer_x16_stereo, 8 bells (IIR)", LSP + "para_equalizer_x16_stereo", lsp_eq_controls()),
    ("x42_fil4_6_sections", "x42 fil4, 6 sections (its maximum)", X42 + "fil4#stereo", fil4_controls()),
    ("lsp_comp_rms", "LSP compressor_stereo, RMS, 4:1", LSP + "compressor_stereo",
     ["cm=0", "sct=0", "scm=1", "sla=0", "scr=10", f"al={db_to_gain(-18)}", "cr=4", "at=10", "rt=100", "kn=0.5012", "mk=1"]),
    ("lsp_limiter_4x_half", "LSP limiter_stereo, Half x4 (2L) oversampling", LSP + "limiter_stereo",
     [f"th={LIM_TH}", "lk=5", "ovs=5", "rt=20", "at=5", "alr=0", "dith=0", "boost=0"]),
    ("lsp_limiter_4x_full", "LSP limiter_stereo, Full x4 (2L) oversampling", LSP + "limiter_stereo",
     [f"th={LIM_TH}", "lk=5", "ovs=15", "rt=20", "at=5", "alr=0", "dith=0", "boost=0"]),
    ("lsp_limiter_1x", "LSP limiter_stereo, no oversampling", LSP + "limiter_stereo",
     [f"th={LIM_TH}", "lk=5", "ovs=0", "rt=20", "at=5", "alr=0", "dith=0", "boost=0"]),
    ("x42_dpl_truepeak", "x42 dpl, true peak", X42 + "dpl#stereo",
     ["enable=1", "gain=0", "threshold=-6", "release=0.05", "truepeak=1"]),
    ("x42_dpl", "x42 dpl, sample peak", X42 + "dpl#stereo",
     ["enable=1", "gain=0", "threshold=-6", "release=0.05", "truepeak=0"]),
]
_STATIC = {c[0]: c for c in CONFIGS}
# Every configuration as (key, label, uri, controls, lanes): the static ones, then the automated.
CONFIGS = [c + ([],) for c in CONFIGS] + [
    (k, label, _STATIC[base][2], _STATIC[base][3], lanes) for k, label, base, lanes in AUTOMATED]


def read_wav_24(path):
    """Reads a 24-bit stereo PCM WAV (plain or WAVE_FORMAT_EXTENSIBLE) into two float lists."""
    data = open(path, "rb").read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV file"
    pos, fmt, raw = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            raw = body
        pos += 8 + size + (size & 1)
    assert fmt and fmt[1] == 2 and fmt[5] == 24 and raw is not None, "expected 24-bit stereo"
    n = len(raw) // 6
    ints = struct.unpack("<%di" % (2 * n), b"".join(b"\x00" + raw[i:i + 3] for i in range(0, 6 * n, 3)))
    left = [v / 2147483648.0 for v in ints[0::2]]
    right = [v / 2147483648.0 for v in ints[1::2]]
    return left, right


def prepare_signal(tmp):
    demo = os.path.join(tmp, "demo")
    subprocess.run([TANDEM, "--quiet", "demo", "--seconds", str(int(SECONDS)), "--out", demo], check=True)
    left, right = read_wav_24(os.path.join(demo, "demo_mix.wav"))
    peak = max(max(abs(v) for v in left), max(abs(v) for v in right))
    g = 1.0 / peak
    path = os.path.join(tmp, "signal.f32")
    with open(path, "wb") as f:
        f.write(struct.pack("<%df" % len(left), *[v * g for v in left]))
        f.write(struct.pack("<%df" % len(right), *[v * g for v in right]))
    return path


def build_host(tmp):
    exe = os.path.join(tmp, "lv2_bench_host")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "lilv-0"], check=True,
                           capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(ROOT, "tools", "lv2_bench_host.c")] + flags + ["-lm"],
                   check=True)
    return exe


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def analyze(path):
    out = subprocess.run([TANDEM, "--json", "analyze", path], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--check", action="store_true", help="measure each peer's output with tandem analyze")
    ap.add_argument("--only", help="comma-separated config keys")
    ap.add_argument("--block", type=int, action="append",
                    help="host block size in frames (repeatable, as `tandem bench --block`; default 1024)")
    args = ap.parse_args()
    blocks = args.block or [1024]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sig = prepare_signal(tmp)
        host = build_host(tmp)
        for block, (key, label, uri, controls, lanes) in ((b, c) for b in blocks for c in CONFIGS):
            if args.only and key not in args.only.split(","):
                continue
            cmd = [host, uri, sig, str(args.runs), "--block", str(block), "--rate", str(RATE)]
            for lane in lanes:
                cmd += ["--lane", lane]
            out_wav = os.path.join(tmp, f"{key}-{block}.wav")
            if args.check:
                cmd += ["--out", out_wav]
            res = subprocess.run(cmd + controls, capture_output=True, text=True)
            if res.returncode != 0:
                print(f"{key}: failed: {res.stderr.strip()}", file=sys.stderr)
                continue
            r = json.loads(res.stdout.strip().splitlines()[-1])
            ms = statistics.median(r["runs_ms"])
            row = {"key": key, "name": label, "uri": uri, "block_frames": block, "cpu_ms": round(ms, 3),
                   "realtime_x": round(SECONDS * 1000.0 / ms, 1), "runs_ms": r["runs_ms"],
                   "out_sample_peak_dbfs": r["out_sample_peak_dbfs"], "controls": controls, "lanes": lanes}
            if args.check:
                a = analyze(out_wav)
                row["out_true_peak_dbtp"] = round(a["loudness"]["true_peak_dbtp"], 2)
                row["out_integrated_lufs"] = round(a["loudness"]["integrated_lufs"], 2)
            rows.append(row)
    if args.json:
        print(json.dumps({"cpu_model": cpu_model(), "runs": args.runs, "statistic": "median", "configs": rows}, indent=2))
    else:
        print(f"LV2 peers: 60 s stereo 48 kHz, median of {args.runs} runs")
        print(f"CPU: {cpu_model()}")
        for block in blocks:
            print(f"\n{'host blocks of ' + str(block) + ' frames':<50} {'CPU ms':>9} {'x real time':>12}")
            for r in (r for r in rows if r["block_frames"] == block):
                extra = ""
                if args.check:
                    extra = f"   out TP {r.get('out_true_peak_dbtp')} dBTP"
                print(f"{r['name']:<50} {r['cpu_ms']:>9.1f} {r['realtime_x']:>12.0f}{extra}")


if __name__ == "__main__":
    main()
