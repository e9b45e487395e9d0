#!/usr/bin/env python3
"""Writes the librosa 0.11 conformance fixtures that `plugin/core/tests/librosa_conformance.rs` reads.

Each configuration gets a folder with the input signal, the frontend config (Earmark's JSON format), librosa's
mel spectrogram and its compressed form, all as frames x mels float32 .npy files. The Rust test needs no
Python; rerun this only to change the fixtures:

    cargo xtask pyenv && target/pyenv/bin/python tools/reference/librosa_fixtures.py
"""

import json
import pathlib

import librosa
import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[2] / "plugin/core/tests/fixtures/librosa"

CONFIGS = {
    # The segment-emotion paper: 22.05 kHz, 216 frames x 128 mels per 5 s segment, log10(S + 1).
    "emotion_22k_128": dict(
        sample_rate=22050, n_fft=2048, win_length=None, hop_length=512, window="hann", padding="constant",
        n_mels=128, fmin=0.0, fmax=None, mel_scale="slaney", mel_norm="slaney", power=2.0,
        compression={"kind": "log10_offset", "delta": 1.0},
    ),
    # Pons & Serra: 44.1 kHz, Blackman-Harris 2048, 50 % overlap, 40 bands, log(1 + 10 000 x).
    "pons_44k_40": dict(
        sample_rate=44100, n_fft=2048, win_length=None, hop_length=1024, window="blackman_harris",
        padding="reflect", n_mels=40, fmin=0.0, fmax=None, mel_scale="slaney", mel_norm="slaney", power=2.0,
        compression={"kind": "log1p", "c": 10000.0},
    ),
    # Speech / general 16 kHz: 25 ms Hann in a 512 FFT, 10 ms hop, 64 HTK bands 20-8000 Hz, dB with top_db.
    "speech_16k_64": dict(
        sample_rate=16000, n_fft=512, win_length=400, hop_length=160, window="hann", padding="constant",
        n_mels=64, fmin=20.0, fmax=8000.0, mel_scale="htk", mel_norm="none", power=2.0,
        compression={"kind": "power_to_db", "ref_value": 1.0, "amin": 1e-10, "top_db": 80.0},
    ),
    # EmotionNAS-like: 25 ms Hamming, 14 ms overlap (11 ms hop), 140 bands, magnitude, uncentred, dB.
    "nas_16k_140": dict(
        sample_rate=16000, n_fft=1024, win_length=400, hop_length=176, window="hamming", padding="none",
        n_mels=140, fmin=0.0, fmax=None, mel_scale="slaney", mel_norm="slaney", power=1.0,
        compression={"kind": "power_to_db", "ref_value": 1.0, "amin": 1e-5, "top_db": None},
    ),
}

WINDOWS = {"hann": "hann", "hamming": "hamming", "blackman_harris": "blackmanharris"}


def test_signal(sr: int, seconds: float, seed: int) -> np.ndarray:
    """Noise + log chirp + harmonic tone + clicks: every mel band gets energy, so relative errors are meaningful."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    chirp = 0.3 * np.sin(2 * np.pi * 50 * seconds / np.log(0.45 * sr / 50) * (np.exp(t / seconds * np.log(0.45 * sr / 50)) - 1))
    tone = sum(0.2 / k * np.sin(2 * np.pi * 220 * k * t + k) for k in range(1, 11))
    clicks = np.zeros_like(t)
    clicks[:: sr // 8] = 0.8
    noise = 0.05 * rng.standard_normal(t.shape)
    return (chirp + tone + clicks + noise).astype(np.float32)


def melspectrogram(y: np.ndarray, cfg: dict) -> np.ndarray:
    """librosa's mel spectrogram (mels x frames) for an Earmark frontend config."""
    return librosa.feature.melspectrogram(
        y=y, sr=cfg["sample_rate"], n_fft=cfg["n_fft"], hop_length=cfg["hop_length"],
        win_length=cfg["win_length"], window=WINDOWS[cfg["window"]], center=cfg["padding"] != "none",
        pad_mode=cfg["padding"] if cfg["padding"] != "none" else "constant", power=cfg["power"],
        n_mels=cfg["n_mels"], fmin=cfg["fmin"], fmax=cfg["fmax"], htk=cfg["mel_scale"] == "htk",
        norm="slaney" if cfg["mel_norm"] == "slaney" else None,
    )


def compress(mel: np.ndarray, compression: dict) -> np.ndarray:
    kind = compression["kind"]
    if kind == "log10_offset":
        return np.log10(mel + compression["delta"])
    if kind == "log1p":
        return np.log1p(compression["c"] * mel)
    if kind == "power_to_db":
        return librosa.power_to_db(mel, ref=compression["ref_value"], amin=compression["amin"], top_db=compression["top_db"])
    raise ValueError(kind)


def main() -> None:
    for seed, (name, cfg) in enumerate(CONFIGS.items()):
        folder = OUT / name
        folder.mkdir(parents=True, exist_ok=True)
        y = test_signal(cfg["sample_rate"], 1.0, seed)
        if cfg["compression"].get("top_db") is not None:
            # A silent stretch, so that top_db really clips something.
            y[int(0.55 * len(y)) : int(0.8 * len(y))] = 0.0
        mel = melspectrogram(y, cfg)
        compressed = compress(mel, cfg["compression"])
        np.save(folder / "signal.npy", y)
        np.save(folder / "mel_power.npy", np.ascontiguousarray(mel.T, dtype=np.float32))
        np.save(folder / "compressed.npy", np.ascontiguousarray(compressed.T, dtype=np.float32))
        (folder / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
        print(f"{name}: {mel.shape[1]} frames x {mel.shape[0]} mels, librosa {librosa.__version__}")


if __name__ == "__main__":
    main()
