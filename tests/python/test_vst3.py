"""Whole-plugin tests of the built VST3 bundles through pedalboard (JUCE's VST3 hosting code).

Run by `cargo xtask test` inside the venv it creates (.venv); bundles come from
`cargo xtask bundle-all` in target/bundled/. A missing bundle fails the test, never skips it.
"""

import os
import pathlib

import numpy as np
import pedalboard
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "target" / "bundled"
PLUGINS = ["Tandem EQ", "Tandem Comp", "Tandem Master"]
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


def test_loads_with_name_and_parameters(plugin):
    assert plugin.name in PLUGINS
    keys = list(plugin.parameters.keys())
    assert keys, "no parameters exposed"
    assert "output_gain_db" in keys or any("gain" in k for k in keys)


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


def test_output_gain_parameter_changes_level(plugin):
    rate = 48000
    t = np.arange(rate) / rate
    x = np.stack([0.1 * np.sin(2 * np.pi * 1000 * t)] * 2).astype(np.float32)
    plugin.reset()
    base = plugin(x, rate)
    plugin.output_gain_db = -6.0
    plugin.reset()
    y = plugin(x, rate)
    plugin.output_gain_db = 0.0
    # Compare the settled second half (the gain is smoothed).
    half = rate // 2
    diff = db(rms(y[:, half:])) - db(rms(base[:, half:]))
    assert abs(diff - (-6.0)) < 0.05, diff
