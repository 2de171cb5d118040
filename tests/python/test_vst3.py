"""Whole-plugin tests of the built VST3 bundles through pedalboard (JUCE's VST3 hosting code).

Run by `cargo xtask test` inside the venv it creates (.venv); bundles come from
`cargo xtask bundle-all` in target/bundled/. A missing bundle fails the test, never skips it.
"""

import os
import pathlib
import tomllib

import numpy as np
import pedalboard
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "target" / "bundled"
# bundler.toml is the one list of the plugins: {bundle name: CLI kind}.
with open(ROOT / "bundler.toml", "rb") as f:
    _BUNDLED = tomllib.load(f)
KIND = {v["name"]: pkg.removeprefix("tandem-") for pkg, v in _BUNDLED.items()}
PLUGINS = list(KIND)
RATES = [44100, 48000, 96000]


def load(name):
    path = BUNDLED / f"{name}.vst3"
    assert path.exists(), f"{path} is missing: run `cargo xtask bundle-all` first"
    return pedalboard.load_plugin(str(path))


def db(x):
    return 20.0 * np.log10(max(float(x), 1e-12))


def rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


@pytest.fixture(params=PLUGINS)
def plugin(request):
    return load(request.param)


import json
import subprocess
import tempfile
import wave

TANDEM = ROOT / "target" / "debug" / "tandem"


def tandem(*args):
    assert TANDEM.exists(), f"{TANDEM} is missing: `cargo build -p tandem-cli` (cargo xtask test does)"
    out = subprocess.run([str(TANDEM), *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def write_f32_wav(path, x, rate):
    """32-bit float WAV (hound reads WAVE_FORMAT_IEEE_FLOAT)."""
    import struct

    data = np.ascontiguousarray(x.T, dtype="<f4").tobytes()
    ch = x.shape[0]
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 3, ch, rate, rate * ch * 4, ch * 4, 32))
        f.write(b"data" + struct.pack("<I", len(data)) + data)


def read_f32_wav(path):
    import struct

    raw = pathlib.Path(path).read_bytes()
    ch = struct.unpack("<H", raw[22:24])[0]
    pos = 12
    while pos < len(raw):
        cid, size = raw[pos : pos + 4], struct.unpack("<I", raw[pos + 4 : pos + 8])[0]
        if cid == b"data":
            a = np.frombuffer(raw[pos + 8 : pos + 8 + size], dtype="<f4")
            return a.reshape(-1, ch).T
        pos += 8 + size + (size & 1)
    raise AssertionError("no data chunk")


def test_loads_with_name_and_parameters(plugin):
    assert plugin.name in PLUGINS
    keys = list(plugin.parameters.keys())
    assert keys, "no parameters exposed"
    # The assistant's compare switch and amount are host parameters on every plugin.
    for k in ["compare", "match_levels", "amount"]:
        assert k in keys, keys


@pytest.mark.parametrize("rate", RATES)
def test_noise_in_finite_out(plugin, rate):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1.0, 1.0, (2, rate // 2)).astype(np.float32)
    y = plugin(x, rate)
    assert y.shape == x.shape
    assert np.isfinite(y).all()
    assert np.max(np.abs(y)) < 16.0


def test_nan_and_inf_in_finite_out(plugin):
    x = np.zeros((2, 4096), dtype=np.float32)
    x[0, 100] = np.nan
    x[1, 200] = np.inf
    x[0, 300] = -np.inf
    x[:, 1000:] = 0.25
    y = plugin(x, 48000)
    assert np.isfinite(y).all()


@pytest.mark.parametrize("name", ["Tandem EQ", "Tandem Comp"])
def test_output_gain_parameter_changes_level(name):
    plugin = load(name)
    rate = 48000
    t = np.arange(rate) / rate
    x = np.stack([0.1 * np.sin(2 * np.pi * 1000 * t)] * 2).astype(np.float32)
    plugin.reset()
    base = plugin(x, rate)
    plugin.output_gain_db = -6.0
    plugin.reset()
    y = plugin(x, rate)
    # Compare the settled second half (the gain is smoothed).
    half = rate // 2
    diff = db(rms(y[:, half:])) - db(rms(base[:, half:]))
    assert abs(diff - (-6.0)) < 0.05, diff


def test_master_holds_its_true_peak_ceiling():
    m = load("Tandem Master")
    m.drive_db = 20.0
    m.ceiling_dbtp = -1.0
    rng = np.random.default_rng(3)
    x = rng.uniform(-1.0, 1.0, (2, 96000)).astype(np.float32)
    y = m(x, 48000)
    # Measured by tandem analyze: BS.1770 true peak (4x), independent of the limiter.
    with tempfile.TemporaryDirectory() as d:
        path = pathlib.Path(d) / "master.wav"
        write_f32_wav(path, y, 48000)
        tp = json.loads(tandem("analyze", str(path), "--json"))["loudness"]["true_peak_dbtp"]
    assert tp <= -1.0 + 0.05, tp


@pytest.mark.parametrize("name", PLUGINS)
def test_reported_latency_is_what_the_audio_shows(name):
    """pedalboard delays the output by the plugin's reported latency to line it up; an impulse
    therefore comes out where it went in only if the report is exact."""
    plugin = load(name)
    for rate in [44100, 48000, 96000]:
        x = np.zeros((2, rate // 2), dtype=np.float32)
        x[:, 1000] = 0.25
        plugin.reset()
        y = plugin(x, rate)
        assert int(np.argmax(np.abs(y[0]))) == 1000, (name, rate)


EQ_CASES = [
    # (pedalboard settings, tandem --set values)
    ({"band_1_on": True, "band_1_type": "Bell", "band_1_freq": 1000.0, "band_1_gain_db": 6.0, "band_1_q": 1.5},
     ["b1_on=1", "b1_type=0", "b1_freq=1000", "b1_gain=6", "b1_q=1.5"]),
    ({"band_1_on": True, "band_1_type": "Low Shelf", "band_1_freq": 150.0, "band_1_gain_db": 5.0},
     ["b1_on=1", "b1_type=1", "b1_freq=150", "b1_gain=5"]),
    ({"band_1_on": True, "band_1_type": "High Shelf", "band_1_freq": 8000.0, "band_1_gain_db": -6.0},
     ["b1_on=1", "b1_type=2", "b1_freq=8000", "b1_gain=-6"]),
    ({"band_1_on": True, "band_1_type": "Low Cut", "band_1_freq": 80.0, "band_1_slope_db_oct": 24.0},
     ["b1_on=1", "b1_type=3", "b1_freq=80", "b1_slope=24"]),
    ({"band_1_on": True, "band_1_type": "High Cut", "band_1_freq": 12000.0},
     ["b1_on=1", "b1_type=4", "b1_freq=12000"]),
    ({"band_1_on": True, "band_1_type": "Notch", "band_1_freq": 3000.0, "band_1_q": 4.0},
     ["b1_on=1", "b1_type=5", "b1_freq=3000", "b1_q=4"]),
    ({"band_1_on": True, "band_1_type": "Band Pass", "band_1_freq": 700.0, "band_1_q": 1.0},
     ["b1_on=1", "b1_type=6", "b1_freq=700", "b1_q=1"]),
    ({"band_1_on": True, "band_1_type": "Tilt", "band_1_freq": 1000.0, "band_1_gain_db": 4.0},
     ["b1_on=1", "b1_type=7", "b1_freq=1000", "b1_gain=4"]),
]


@pytest.mark.parametrize("rate", [44100, 96000])
@pytest.mark.parametrize("case", range(len(EQ_CASES)))
def test_eq_response_matches_dsp_core_analytic_response(rate, case):
    settings, sets = EQ_CASES[case]
    eq = load("Tandem EQ")
    for k, v in settings.items():
        setattr(eq, k, v)
    n = 1 << 16
    # Hosts deliver parameter changes with the audio and the EQ glides to them; one warm-up
    # call delivers them, and the reset before the next call jumps to them.
    eq(np.zeros((2, 4096), dtype=np.float32), rate)
    x = np.zeros((2, n), dtype=np.float32)
    x[:, 0] = 1.0
    h = eq(x, rate)[0].astype(np.float64)
    args = ["response", "eq", "--rate", str(rate), "--points", "40", "--json"]
    for s_ in sets:
        args += ["--set", s_]
    curve = json.loads(tandem(*args))
    k = np.arange(n)
    checked = 0
    for p in curve:
        if p["db"] < -40.0:
            continue
        w = 2 * np.pi * p["hz"] / rate
        H = np.sum(h * np.exp(-1j * w * k))
        measured = db(abs(H))
        assert abs(measured - p["db"]) <= 0.1, (settings, rate, p["hz"], measured, p["db"])
        checked += 1
    assert checked >= 20


# Settings that land exactly on plain values through any host: endpoints (raw 0 or 1), switches,
# choices and defaults. The CLI gets the same plain values.
RENDER_CASES = {
    "Tandem EQ": (
        {"band_1_on": ("bool", True), "band_1_type": ("str", "Low Shelf"), "band_1_gain_db": ("raw", 1.0),
         "band_3_on": ("bool", True), "band_3_gain_db": ("raw", 0.0), "band_3_placement": ("str", "Side")},
        ["b1_on=1", "b1_type=1", "b1_gain=24", "b3_on=1", "b3_gain=-24", "b3_place=2"],
    ),
    "Tandem Comp": (
        {"threshold_db": ("raw", 0.0), "makeup_db": ("raw", 1.0), "detector": ("str", "RMS")},
        ["threshold=-60", "makeup=24", "detector=1"],
    ),
    "Tandem Master": (
        {"drive_db": ("raw", 1.0), "glue": ("bool", True), "low_shelf_db": ("raw", 1.0)},
        ["lim_drive=24", "glue_on=1", "ls_gain=12"],
    ),
}


@pytest.mark.parametrize("name", PLUGINS)
def test_plugin_and_tandem_render_give_the_same_samples(name):
    plugin = load(name)
    settings, sets = RENDER_CASES[name]
    for k, (how, v) in settings.items():
        if how == "raw":
            plugin.parameters[k].raw_value = v
        else:
            setattr(plugin, k, v)
    rate = 48000
    rng = np.random.default_rng(5)
    t = np.arange(rate * 2) / rate
    x = (0.1 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 2 * t))
         + 0.02 * rng.standard_normal(t.size)).astype(np.float32)
    x = np.stack([x, np.roll(x, 300)])
    with tempfile.TemporaryDirectory() as d:
        src, dst = pathlib.Path(d) / "in.wav", pathlib.Path(d) / "out.wav"
        write_f32_wav(src, x, rate)
        args = ["render", KIND[name], str(src), "-o", str(dst), "--bits", "32f", "--quiet"]
        for s_ in sets:
            args += ["--set", s_]
        tandem(*args)
        cli = read_f32_wav(dst)
    # Deliver the settings (hosts send them with the audio), then render from a reset.
    plugin(np.zeros((2, 4096), dtype=np.float32), rate)
    y = plugin(x, rate)
    assert y.shape == cli.shape
    assert np.max(np.abs(cli - x)) > 1e-3, "the settings changed nothing"
    diff = np.max(np.abs(y.astype(np.float64) - cli.astype(np.float64)))
    assert diff <= 1e-6, f"{name}: plugin and tandem render differ by {db(diff):.1f} dBFS"


# --- One play-through hears the song, through a VST3 host (issue 19) -----------------------------

TRACK = ROOT / "target" / "eval-smoke" / "eval" / "adventure-drascula2.ogg"
JUCE_B64 = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"


def juce_base64(text):
    """Decodes JUCE's MemoryBlock::toBase64Encoding ("<size>.<6-bit groups, LSB first>")."""
    size, enc = text.split(".", 1)
    big = 0
    for i, c in enumerate(enc):
        big |= JUCE_B64.index(c) << (6 * i)
    return big.to_bytes((6 * len(enc) + 7) // 8, "little")[: int(size)]


def test_juce_base64_decodes_what_juce_writes():
    # "hi" is 0x68 0x69: bits LSB first in 6-bit groups: 0b101000 (40), 0b100101 (37), 0b0110 (6).
    assert juce_base64("2." + JUCE_B64[40] + JUCE_B64[37] + JUCE_B64[6]) == b"hi"


def saved_suggestion(plugin):
    """The suggestion in the plugin's saved state (pedalboard's raw_state wraps the VST3
    component state, which is nice-plug's JSON, in JUCE's XML and base64)."""
    import re

    m = re.search(rb"<IComponent>([^<]*)</IComponent>", plugin.raw_state)
    assert m, "no component state in the VST3 state"
    state = json.loads(juce_base64(m.group(1).decode()))
    field = state.get("fields", {}).get("suggestion")
    return json.loads(field) if field else None


def eq_curve(values, rate):
    """The suggested EQ's response (dB) at 80 log-spaced points 20 Hz-0.45 x rate (the CLI's)."""
    sets = [f"{k}={v}" for k, v in values.items() if k.startswith("b") or k == "out_gain"]
    args = ["response", "eq", "--rate", str(rate), "--points", "80", "--json"]
    for s_ in sets:
        args += ["--set", s_]
    return json.loads(tandem(*args))


@pytest.mark.parametrize("name", PLUGINS)
def test_one_play_through_learns_what_the_cli_hears(name):
    """The smoke track played once through the VST3 (512-frame blocks, paced at about 20x real
    time so the debug analysis thread keeps up); the suggestion the plugin then holds is close to
    `tandem suggest` on the same file: EQ curve within 2 dB RMS, Comp threshold within 2 dB,
    Master limiter drive within 1.5 dB; and it rests on at least 30 s of music."""
    import time

    assert TRACK.exists(), f"{TRACK} is missing: tools/eval/fetch-music.sh --smoke target/eval-smoke"
    kind = KIND[name]
    with tempfile.TemporaryDirectory() as d:
        wav = pathlib.Path(d) / "track.wav"
        tandem("render", "eq", str(TRACK), "-o", str(wav), "--bits", "32f", "--quiet")
        x = read_f32_wav(wav)
        with open(wav, "rb") as f:
            rate = int.from_bytes(f.read(28)[24:28], "little")
        cli = json.loads(tandem("suggest", kind, str(wav), "--json", "--quiet"))
    plugin = load(name)
    block = 512
    pace = block / rate / 20.0
    t0 = time.monotonic()
    for k, start in enumerate(range(0, x.shape[1], block)):
        plugin.process(x[:, start : start + block], rate, reset=False)
        wait = t0 + pace * (k + 1) - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    # The transport stops: wait until the held suggestion no longer changes.
    last, s = None, None
    for _ in range(60):
        time.sleep(2.0)
        s = saved_suggestion(plugin)
        if s is not None and s == last:
            break
        last = s
    assert s is not None, f"{name}: no suggestion after one play-through"
    heard = s.get("heard_seconds", 0.0)
    assert not s.get("stable") or heard >= 30.0, f"{name}: held after only {heard:.0f} s"
    mine, theirs = s["values"], cli["values"]
    if kind == "eq":
        a, b = eq_curve(mine, rate), eq_curve(theirs, rate)
        ra = np.array([p["db"] for p in a])
        rb = np.array([p["db"] for p in b])
        diff = float(np.sqrt(np.mean((ra - rb) ** 2)))
        print(f"{name}: EQ curve {diff:.2f} dB RMS from the CLI's ({heard:.0f} s heard)")
        assert diff <= 2.0, f"{name}: learned EQ curve {diff:.2f} dB RMS from the CLI's"
    elif kind == "comp":
        t, tc = mine["threshold"], theirs["threshold"]
        print(f"{name}: threshold {t:.2f} vs the CLI's {tc:.2f} dBFS ({heard:.0f} s heard)")
        assert abs(t - tc) <= 2.0, f"{name}: threshold {t:.2f} vs the CLI's {tc:.2f}"
    else:
        d_, dc = mine.get("lim_drive", 0.0), theirs.get("lim_drive", 0.0)
        print(f"{name}: limiter drive {d_:.2f} vs the CLI's {dc:.2f} dB ({heard:.0f} s heard)")
        assert abs(d_ - dc) <= 1.5, f"{name}: drive {d_:.2f} vs the CLI's {dc:.2f}"
