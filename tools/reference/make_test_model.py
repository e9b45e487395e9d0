#!/usr/bin/env python3
"""Builds the small hand-made ONNX model `plugin/core/tests/fixtures/models/band-energy` and its parity fixture.

The model is not trained and makes no claim about music: it averages a log-mel segment over time, averages
three mel regions (low < ~750 Hz, mid, high > ~2.4 kHz at 16 kHz / 64 Slaney mels) and turns the three means
into softmax "probabilities". It exists so that the ONNX Runtime wrapper, the manifest validation and the demo
have a real model to run before trained models ship. Its weights are set here by construction.

    cargo xtask pyenv && target/pyenv/bin/python tools/reference/make_test_model.py

Writes plugin/core/tests/fixtures/models/band-energy/{model.onnx,manifest.json}, plugin/core/tests/fixtures/band_energy/*.npy
(the input and the outputs numpy computes; onnxruntime must agree before anything is written) and the same
model split into encoder + sequence head in plugin/core/tests/fixtures/two_stage/ (engine tests).
"""

import json
import pathlib

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "plugin/core/tests/fixtures/models/band-energy"
FIXTURE_DIR = ROOT / "plugin/core/tests/fixtures/band_energy"
TWO_STAGE_DIR = ROOT / "plugin/core/tests/fixtures/two_stage"

N_MELS, FRAMES = 64, 32
REGIONS = {"low": (0, 16), "mid": (16, 40), "high": (40, 64)}
TEMPERATURE = 0.25  # softmax(0.25 · mean dB): a 4 dB difference is e ≈ 2.7× more likely

FRONTEND = dict(
    sample_rate=16000, n_fft=512, win_length=None, hop_length=256, window="hann", padding="constant",
    n_mels=N_MELS, fmin=0.0, fmax=None, mel_scale="slaney", mel_norm="slaney", power=2.0,
    compression={"kind": "power_to_db", "ref_value": 1.0, "amin": 1e-10, "top_db": None},
)


def build() -> onnx.ModelProto:
    weights = np.zeros((N_MELS, len(REGIONS)), dtype=np.float32)
    for column, (lo, hi) in enumerate(REGIONS.values()):
        weights[lo:hi, column] = 1.0 / (hi - lo)
    nodes = [
        helper.make_node("ReduceMean", ["logmel"], ["time_mean"], axes=[3], keepdims=0),
        helper.make_node("Flatten", ["time_mean"], ["bands"], axis=1),
        helper.make_node("Gemm", ["bands", "region_weights", "region_bias"], ["band_means"]),
        helper.make_node("Mul", ["band_means", "temperature"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "band_energy",
        [helper.make_tensor_value_info("logmel", TensorProto.FLOAT, ["batch", 1, N_MELS, FRAMES])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", len(REGIONS)]),
            helper.make_tensor_value_info("band_means", TensorProto.FLOAT, ["batch", len(REGIONS)]),
        ],
        initializer=[
            numpy_helper.from_array(weights, "region_weights"),
            numpy_helper.from_array(np.zeros(len(REGIONS), np.float32), "region_bias"),
            numpy_helper.from_array(np.array([TEMPERATURE], np.float32), "temperature"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="earmark-tools")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def build_two_stage() -> tuple[onnx.ModelProto, onnx.ModelProto]:
    """The same maths split in two: encoder = time-mean per mel band (a 64-d embedding per segment); head =
    mean over the segment sequence, then the three regions and softmax. Exercises the engine's encoder/head path."""
    encoder = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["logmel"], ["time_mean"], axes=[3], keepdims=0),
            helper.make_node("Flatten", ["time_mean"], ["embedding"], axis=1),
        ],
        "band_energy_encoder",
        [helper.make_tensor_value_info("logmel", TensorProto.FLOAT, ["batch", 1, N_MELS, FRAMES])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", N_MELS])],
    )
    weights = np.zeros((N_MELS, len(REGIONS)), dtype=np.float32)
    for column, (lo, hi) in enumerate(REGIONS.values()):
        weights[lo:hi, column] = 1.0 / (hi - lo)
    head = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["embeddings"], ["sequence_mean"], axes=[1], keepdims=0),
            helper.make_node("Gemm", ["sequence_mean", "region_weights", "region_bias"], ["band_means"]),
            helper.make_node("Mul", ["band_means", "temperature"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "band_energy_head",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "sequence", N_MELS])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", len(REGIONS)])],
        initializer=[
            numpy_helper.from_array(weights, "region_weights"),
            numpy_helper.from_array(np.zeros(len(REGIONS), np.float32), "region_bias"),
            numpy_helper.from_array(np.array([TEMPERATURE], np.float32), "temperature"),
        ],
    )
    models = []
    for graph in (encoder, head):
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="earmark-tools")
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        models.append(model)
    return models[0], models[1]


def two_stage_manifest(sequence_length: int) -> dict:
    m = manifest()
    m["name"] = "band-energy-two-stage"
    m["description"] = "Test fixture: band-energy split into a per-segment encoder and a sequence head."
    m["segment"]["sequence_length"] = sequence_length
    m["graphs"] = [
        {
            "role": "encoder",
            "file": "encoder.onnx",
            "inputs": [{"name": "logmel", "dtype": "float32", "shape": ["batch", 1, N_MELS, FRAMES],
                        "axes": ["batch", "channel", "mel", "time"]}],
            "outputs": [{"name": "embedding", "dtype": "float32", "shape": ["batch", N_MELS], "axes": ["batch", "feature"]}],
        },
        {
            "role": "head",
            "file": "head.onnx",
            "inputs": [{"name": "embeddings", "dtype": "float32", "shape": ["batch", "sequence", N_MELS],
                        "axes": ["batch", "sequence", "feature"]}],
            "outputs": [{"name": "probabilities", "dtype": "float32", "shape": ["batch", 3], "axes": ["batch", "class"]}],
        },
    ]
    return m


def reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    means = x.mean(axis=3)[:, 0, :]
    band_means = np.stack([means[:, lo:hi].mean(axis=1) for lo, hi in REGIONS.values()], axis=1)
    logits = TEMPERATURE * band_means
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32), band_means.astype(np.float32)


def manifest() -> dict:
    return {
        "format_version": 1,
        "name": "band-energy",
        "task": "test",
        "description": "Hand-built test model: which of three mel regions (low < 750 Hz, mid, high > 2.4 kHz) "
        "holds the most energy. Not trained; for tests and the demo only.",
        "frontend": FRONTEND,
        "segment": {"frames": FRAMES, "hop_frames": FRAMES // 2, "sequence_length": None},
        "graphs": [
            {
                "role": "main",
                "file": "model.onnx",
                "inputs": [{"name": "logmel", "dtype": "float32", "shape": ["batch", 1, N_MELS, FRAMES],
                            "axes": ["batch", "channel", "mel", "time"]}],
                "outputs": [
                    {"name": "probabilities", "dtype": "float32", "shape": ["batch", 3], "axes": ["batch", "class"]},
                    {"name": "band_means", "dtype": "float32", "shape": ["batch", 3], "axes": ["batch", "other"]},
                ],
            }
        ],
        "labels": {"classes": list(REGIONS), "multi_label": False, "thresholds": None, "hierarchy": None},
        "provenance": {
            "command": "python tools/reference/make_test_model.py",
            "data": "none: weights set by construction",
            "license": "same as Earmark",
        },
        "metrics": {},
    }


def main() -> None:
    model = build()
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((3, 1, N_MELS, FRAMES)) * 10 - 40).astype(np.float32)
    x[1, 0, :16] += 30  # a loud low region
    x[2, 0, 40:] += 30  # a loud high region
    probabilities, band_means = reference(x)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    ort_probabilities, ort_means = session.run(None, {"logmel": x})
    assert np.abs(ort_probabilities - probabilities).max() < 1e-6
    assert np.abs(ort_means - band_means).max() < 1e-4

    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    onnx.save(model, MODEL_DIR / "model.onnx")
    (MODEL_DIR / "manifest.json").write_text(json.dumps(manifest(), indent=2) + "\n")
    np.save(FIXTURE_DIR / "input.npy", x)
    np.save(FIXTURE_DIR / "probabilities.npy", probabilities)
    np.save(FIXTURE_DIR / "band_means.npy", band_means)
    encoder, head = build_two_stage()
    embeddings = x.mean(axis=3)[:, 0, :]
    sequence = np.stack([embeddings, embeddings[::-1]], axis=1)  # [3, 2, 64]
    ort_encoder = onnxruntime.InferenceSession(encoder.SerializeToString(), providers=["CPUExecutionProvider"])
    ort_head = onnxruntime.InferenceSession(head.SerializeToString(), providers=["CPUExecutionProvider"])
    assert np.abs(ort_encoder.run(None, {"logmel": x})[0] - embeddings).max() < 1e-4
    expected_head, _ = reference(np.repeat(sequence.mean(axis=1)[:, None, :, None], FRAMES, axis=3))
    assert np.abs(ort_head.run(None, {"embeddings": sequence.astype(np.float32)})[0] - expected_head).max() < 1e-6
    TWO_STAGE_DIR.mkdir(parents=True, exist_ok=True)
    onnx.save(encoder, TWO_STAGE_DIR / "encoder.onnx")
    onnx.save(head, TWO_STAGE_DIR / "head.onnx")
    (TWO_STAGE_DIR / "manifest.json").write_text(json.dumps(two_stage_manifest(4), indent=2) + "\n")
    print("argmax per item:", probabilities.argmax(axis=1), "onnxruntime", onnxruntime.__version__)


if __name__ == "__main__":
    main()
