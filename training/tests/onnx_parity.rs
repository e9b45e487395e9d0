//! Every architecture the exporter writes computes in ONNX Runtime (through the plugin's own wrapper) what it
//! computes in burn: the same random input, max abs diff ≤ 1e-4, at batch 1 and batch 3, with the batch axis
//! (and a sequence head's sequence axis) dynamic. Needs ONNX Runtime: `cargo xtask ort` (`cargo xtask test` does it).

use burn::module::{Param, RunningState};
use burn::nn::conv::{Conv1dConfig, Conv2dConfig};
use burn::nn::interpolate::{Interpolate2dConfig, InterpolateMode};
use burn::nn::pool::{AvgPool1dConfig, AvgPool2dConfig, MaxPool1dConfig, MaxPool2dConfig};
use burn::nn::{
    BatchNormConfig, BiGruConfig, BiLstmConfig, GruConfig, LinearConfig, LstmConfig, PaddingConfig1d, PaddingConfig2d,
};
use burn::tensor::{Device, Distribution, Tensor};
use earmark_core::runtime::{OnnxSession, Runtime, SessionOptions};
use earmark_training::emotion::model::{AutoencoderConfig, HeadConfig};
use earmark_training::onnx::emit::{self, values};
use earmark_training::onnx::graph::{Dim, GraphBuilder, save};
use earmark_training::onnx::proto::ModelProto;
use ndarray::{ArrayD, IxDyn};

const TOLERANCE: f32 = 1e-4;

fn device(seed: u64) -> Device {
    let device = Device::default();
    device.seed(seed);
    device
}

fn random<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), device)
}

fn session(model: &ModelProto, dir: &tempfile::TempDir, name: &str) -> OnnxSession {
    let path = dir.path().join(format!("{name}.onnx"));
    save(model, &path).unwrap();
    let runtime = Runtime::global().unwrap_or_else(|e| panic!("{e}"));
    OnnxSession::load(runtime, &path, SessionOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn array<const D: usize>(t: Tensor<D>) -> ArrayD<f32> {
    let shape = t.dims().to_vec();
    ArrayD::from_shape_vec(IxDyn(&shape), values(t)).unwrap()
}

/// Runs `inputs` through the ONNX graph and compares output `k` with `expected[k]`.
fn assert_parity(session: &mut OnnxSession, what: &str, inputs: &[ArrayD<f32>], expected: &[ArrayD<f32>]) {
    let views: Vec<_> = inputs.iter().map(|a| a.view()).collect();
    let outputs = session.run(&views).unwrap_or_else(|e| panic!("{what}: {e}"));
    for (k, (got, want)) in outputs.iter().zip(expected).enumerate() {
        assert_eq!(got.shape(), want.shape(), "{what}: output {k} shape");
        let diff = got.iter().zip(want.iter()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(diff <= TOLERANCE, "{what}: output {k} max abs diff {diff}");
    }
}

#[test]
fn emotion_encoder_matches_onnx_runtime() {
    let device = device(1);
    let config = AutoencoderConfig { frames: 24, mels: 16, filters: vec![6, 4, 3] };
    let encoder = config.init_encoder(&device);
    let model = encoder.to_onnx("parity test").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut session = session(&model, &dir, "encoder");
    assert_eq!(session.outputs()[0].dims, [None, Some(config.embedding_shape().1 as u64)]);
    for batch in [1, 3] {
        let x = random([batch, 1, 24, 16], &device);
        let y = encoder.forward(x.clone());
        assert_parity(&mut session, &format!("encoder batch {batch}"), &[array(x)], &[array(y)]);
    }
}

#[test]
fn emotion_head_matches_onnx_runtime_with_dynamic_batch_and_sequence() {
    let device = device(2);
    let head = HeadConfig { features: 12, hidden: 5, dropout: 0.5 }.init(&device);
    let model = head.to_onnx(12, "parity test").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut session = session(&model, &dir, "head");
    assert_eq!(session.inputs()[0].dims, [None, None, Some(12)]);
    for (batch, sequence) in [(1, 4), (3, 4), (3, 7), (1, 1)] {
        let x = random([batch, sequence, 12], &device);
        let y = head.probabilities(x.clone());
        assert_parity(&mut session, &format!("head {batch}×{sequence}"), &[array(x)], &[array(y)]);
    }
}

#[test]
fn decoder_upsampling_matches_onnx_runtime() {
    // The decoder is never shipped, but its Resize is an emitter: check it through the whole autoencoder.
    let device = device(3);
    let config = AutoencoderConfig { frames: 8, mels: 8, filters: vec![3, 2] };
    let ae = config.init(&device);
    let mut g = GraphBuilder::new("decoder");
    let x = g.input("code", &[Dim::Dynamic("batch".into()), Dim::Fixed(2), Dim::Fixed(2), Dim::Fixed(2)]);
    let mut x = x;
    let mut hw = [2, 2];
    for (i, conv) in ae.decoder.convs.iter().enumerate() {
        let (y, out) = emit::conv2d(&mut g, &format!("dec{i}"), &x, conv, hw).unwrap();
        let y = emit::relu(&mut g, &y);
        x = emit::resize_nearest(&mut g, &y, &[1.0, 1.0, 2.0, 2.0]).unwrap();
        hw = [out[0] * 2, out[1] * 2];
    }
    let (y, _) = emit::conv2d(&mut g, "out", &x, &ae.decoder.output, hw).unwrap();
    g.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(1), Dim::Fixed(8), Dim::Fixed(8)]);
    let dir = tempfile::tempdir().unwrap();
    let mut session = session(&g.finish("parity test"), &dir, "decoder");
    for batch in [1, 3] {
        let code = random([batch, 2, 2, 2], &device);
        let y = ae.decoder.forward(code.clone());
        assert_parity(&mut session, &format!("decoder batch {batch}"), &[array(code)], &[array(y)]);
    }
}

#[test]
fn conv1d_batchnorm_pools_reductions_and_gemm_match_onnx_runtime() {
    let device = device(4);
    let conv = Conv1dConfig::new(3, 4, 5).with_padding(PaddingConfig1d::Same).with_dilation(1).init(&device);
    let strided =
        Conv1dConfig::new(4, 4, 3).with_stride(2).with_groups(2).with_padding(PaddingConfig1d::Same).init(&device);
    let mut bn = BatchNormConfig::new(4).init(&device);
    bn.gamma = Param::from_tensor(random([4], &device));
    bn.beta = Param::from_tensor(random([4], &device));
    bn.running_mean = RunningState::new(random([4], &device));
    bn.running_var = RunningState::new(random([4], &device).abs().add_scalar(0.5));
    let max = MaxPool1dConfig::new(2).with_stride(2).init();
    let avg = AvgPool1dConfig::new(3).with_stride(1).with_padding(PaddingConfig1d::Explicit(1, 1)).init();
    let dense = LinearConfig::new(8, 3).init(&device);

    let forward = |x: Tensor<3>| {
        let h = conv.forward(x);
        let h = burn::tensor::activation::relu(bn.forward(h));
        let h = strided.forward(h);
        let h = max.forward(h);
        let a = avg.forward(h.clone());
        let peak = h.clone().max_dim(2).squeeze_dim::<2>(2);
        let mean = a.mean_dim(2).squeeze_dim::<2>(2);
        let pooled = Tensor::cat(vec![peak, mean], 1);
        burn::tensor::activation::sigmoid(dense.forward(pooled))
    };

    let len = 21;
    let mut g = GraphBuilder::new("zoo1d");
    let x = g.input("x", &[Dim::Dynamic("batch".into()), Dim::Fixed(3), Dim::Fixed(len as u64)]);
    let (h, l) = emit::conv1d(&mut g, "conv", &x, &conv, len).unwrap();
    let h = emit::batch_norm(&mut g, "bn", &h, &bn).unwrap();
    let h = emit::relu(&mut g, &h);
    let (h, l) = emit::conv1d(&mut g, "strided", &h, &strided, l).unwrap();
    let (h, l) = emit::max_pool1d(&mut g, &h, &max, l);
    let (a, _) = emit::avg_pool1d(&mut g, &h, &avg, l);
    let peak = emit::reduce_max(&mut g, &h, &[2], false);
    let mean = emit::reduce_mean(&mut g, &a, &[2], false);
    let pooled = emit::concat(&mut g, &[&peak, &mean], 1);
    let logits = emit::linear(&mut g, "dense", &pooled, &dense, 2).unwrap();
    let y = emit::sigmoid(&mut g, &logits);
    g.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(3)]);
    let dir = tempfile::tempdir().unwrap();
    let mut session = session(&g.finish("parity test"), &dir, "zoo1d");
    for batch in [1, 3] {
        let x = random([batch, 3, len], &device);
        let y = forward(x.clone());
        assert_parity(&mut session, &format!("zoo1d batch {batch}"), &[array(x)], &[array(y)]);
    }
}

#[test]
fn strided_dilated_grouped_conv2d_and_pools_match_onnx_runtime() {
    let device = device(5);
    // Odd sizes and stride 2 make burn's asymmetric "same" padding matter.
    let a = Conv2dConfig::new([2, 4], [3, 5]).with_stride([2, 2]).with_padding(PaddingConfig2d::Same).init(&device);
    let b = Conv2dConfig::new([4, 4], [3, 3])
        .with_dilation([2, 2])
        .with_groups(2)
        .with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2))
        .init(&device);
    let c = Conv2dConfig::new([4, 6], [1, 3]).with_padding(PaddingConfig2d::Same).init(&device);
    let max =
        MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init();
    let avg = AvgPool2dConfig::new([3, 3])
        .with_strides([1, 1])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_count_include_pad(false)
        .init();
    let up = Interpolate2dConfig::new().with_scale_factor(Some([2.0, 2.0])).with_mode(InterpolateMode::Nearest).init();
    let hw = [13, 11];
    let forward = |x: Tensor<4>| {
        let h = a.forward(x);
        let h = b.forward(h);
        let h = c.forward(h);
        let m = max.forward(h.clone());
        let s = avg.forward(m.clone());
        let u = up.forward(s.clone() * m.clone() + s);
        // Transpose to [batch, w, h, c] then flatten: exercises Transpose and Reshape.
        u.permute([0, 3, 2, 1]).flatten::<2>(1, 3)
    };

    let mut g = GraphBuilder::new("zoo2d");
    let x = g
        .input("x", &[Dim::Dynamic("batch".into()), Dim::Fixed(2), Dim::Fixed(hw[0] as u64), Dim::Fixed(hw[1] as u64)]);
    let (h, s) = emit::conv2d(&mut g, "a", &x, &a, hw).unwrap();
    let (h, s) = emit::conv2d(&mut g, "b", &h, &b, s).unwrap();
    let (h, s) = emit::conv2d(&mut g, "c", &h, &c, s).unwrap();
    let (m, s) = emit::max_pool2d(&mut g, &h, &max, s);
    let (avg_out, _) = emit::avg_pool2d(&mut g, &m, &avg, s);
    let prod = emit::mul(&mut g, &avg_out, &m);
    let sum = emit::add(&mut g, &prod, &avg_out);
    let u = emit::resize_nearest(&mut g, &sum, &[1.0, 1.0, 2.0, 2.0]).unwrap();
    let t = emit::transpose(&mut g, &u, &[0, 3, 2, 1]);
    let y = emit::reshape(&mut g, &t, &[0, -1]);
    let features = (2 * s[0]) * (2 * s[1]) * 6;
    g.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(features as u64)]);
    let dir = tempfile::tempdir().unwrap();
    let mut session = session(&g.finish("parity test"), &dir, "zoo2d");
    for batch in [1, 3] {
        let x = random([batch, 2, hw[0], hw[1]], &device);
        let y = forward(x.clone());
        assert_eq!(y.dims()[1], features, "the emitters' shape bookkeeping agrees with burn");
        assert_parity(&mut session, &format!("zoo2d batch {batch}"), &[array(x)], &[array(y)]);
    }
}

#[test]
fn lstm_and_gru_in_every_direction_match_onnx_runtime() {
    let device = device(6);
    let (features, hidden) = (5, 4);
    let forward_lstm = LstmConfig::new(features, hidden, true).init(&device);
    let reverse_lstm = LstmConfig::new(features, hidden, true).with_reverse(true).init(&device);
    let bilstm = BiLstmConfig::new(features, hidden, false).init(&device);
    let gru_after = GruConfig::new(features, hidden, true).init(&device);
    let gru_before = GruConfig::new(features, hidden, true).with_reset_after(false).init(&device);
    let bigru = BiGruConfig::new(features, hidden, true).init(&device);

    let mut g = GraphBuilder::new("recurrent");
    let x = g.input("x", &[Dim::Dynamic("batch".into()), Dim::Dynamic("sequence".into()), Dim::Fixed(features as u64)]);
    let outs = [
        emit::lstm(&mut g, "lstm", &x, &forward_lstm).unwrap(),
        emit::lstm(&mut g, "lstm_rev", &x, &reverse_lstm).unwrap(),
        emit::bilstm(&mut g, "bilstm", &x, &bilstm).unwrap(),
        emit::gru(&mut g, "gru_after", &x, &gru_after).unwrap(),
        emit::gru(&mut g, "gru_before", &x, &gru_before).unwrap(),
        emit::bigru(&mut g, "bigru", &x, &bigru).unwrap(),
    ];
    let widths = [hidden, hidden, 2 * hidden, hidden, hidden, 2 * hidden];
    for (i, (out, width)) in outs.iter().zip(widths).enumerate() {
        let seq = emit::named(&mut g, &out.sequence, &format!("seq{i}"));
        g.output(&seq, &[Dim::Dynamic("batch".into()), Dim::Dynamic("sequence".into()), Dim::Fixed(width as u64)]);
        let last = emit::named(&mut g, &out.last, &format!("last{i}"));
        g.output(&last, &[Dim::Dynamic("batch".into()), Dim::Fixed(width as u64)]);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut session = session(&g.finish("parity test"), &dir, "recurrent");
    for (batch, sequence) in [(1, 6), (3, 6), (3, 2)] {
        let x = random([batch, sequence, features], &device);
        let (seq_f, state_f) = forward_lstm.forward(x.clone(), None);
        let (seq_r, state_r) = reverse_lstm.forward(x.clone(), None);
        let (seq_bi, state_bi) = bilstm.forward(x.clone(), None);
        let seq_ga = gru_after.forward(x.clone(), None);
        let seq_gb = gru_before.forward(x.clone(), None);
        let (seq_bg, state_bg) = bigru.forward(x.clone(), None);
        let last_of = |seq: &Tensor<3>| seq.clone().narrow(1, sequence - 1, 1).squeeze_dim::<2>(1);
        let expected = vec![
            array(seq_f),
            array(state_f.hidden),
            array(seq_r),
            array(state_r.hidden),
            array(seq_bi),
            array(state_bi.hidden.swap_dims(0, 1).flatten::<2>(1, 2)),
            array(seq_ga.clone()),
            array(last_of(&seq_ga)),
            array(seq_gb.clone()),
            array(last_of(&seq_gb)),
            array(seq_bg),
            array(state_bg.swap_dims(0, 1).flatten::<2>(1, 2)),
        ];
        assert_parity(&mut session, &format!("recurrent {batch}×{sequence}"), &[array(x)], &expected);
    }
}

/// Every genre network (with batch norm whose running statistics moved, and a non-trivial standardisation):
/// ONNX Runtime on the raw input equals burn on the standardised input. For the temporal nets this also proves
/// the banded-matrix P-net (burn) equals one plain `Conv` per filter length (ONNX).
#[test]
fn genre_networks_match_onnx_runtime_with_standardization_baked_in() {
    use earmark_training::genre::models::{Architecture, NetConfig, Regularization, Standardization};
    let dir = tempfile::tempdir().unwrap();
    let standardization = Standardization { mean: 0.7, std: 1.9 };
    let configs = [
        NetConfig { regularization: Regularization::Both, ..NetConfig::subgenre(Architecture::Cnn, 5) },
        NetConfig { regularization: Regularization::Both, ..NetConfig::subgenre(Architecture::Crnn, 5) },
        NetConfig { regularization: Regularization::BatchNorm, ..NetConfig::subgenre(Architecture::CnnRnn, 5) },
        NetConfig::temporal(1, 0, 5),
        NetConfig::temporal(0, 1, 5),
        NetConfig::temporal(2, 1, 5),
    ];
    for (i, config) in configs.iter().enumerate() {
        let train_device = Device::default().autodiff();
        train_device.seed(10 + i as u64);
        let net = config.init(&train_device).unwrap();
        // One training-mode pass moves batch norm's running statistics away from (0, 1).
        let _ = net.forward(Tensor::random([4, 1, 250, 40], Distribution::Normal(0.5, 2.0), &train_device));
        let net = burn::module::Module::valid(&net);
        let model = net.to_onnx(config, standardization, "parity test").unwrap();
        let mut session = session(&model, &dir, &format!("genre{i}"));
        let device = device(20 + i as u64);
        for batch in [1, 3] {
            let raw = random([batch, 1, 250, 40], &device).mul_scalar(3.0);
            let mut standardized = values(raw.clone());
            standardization.apply(&mut standardized);
            let x = Tensor::from_data(burn::tensor::TensorData::new(standardized, [batch, 1, 250, 40]), &device);
            let y = net.probabilities(x);
            assert_parity(&mut session, &format!("{} batch {batch}", config.name()), &[array(raw)], &[array(y)]);
        }
    }
}

/// The instrument tagger under every coarse-level method (batch norm statistics moved, standardisation baked
/// in): fine, coarse and — for ResAtt — the attention map agree between burn and ONNX Runtime.
#[test]
fn instrument_taggers_match_onnx_runtime_for_every_method() {
    use earmark_training::genre::models::Standardization;
    use earmark_training::instruments::model::{Method, TaggerConfig};
    let dir = tempfile::tempdir().unwrap();
    let standardization = Standardization { mean: -40.0, std: 12.0 };
    for (i, method) in Method::ALL.into_iter().enumerate() {
        let config = TaggerConfig {
            method,
            frames: 32,
            mels: 16,
            parents: vec![0, 0, 1, 2, 2, 2, 1],
            coarse: 3,
            width: 4,
            blocks: 2,
            embedding: 8,
            dropout: 0.5,
        };
        let train_device = Device::default().autodiff();
        train_device.seed(40 + i as u64);
        let net = config.init(&train_device).unwrap();
        let _ = net.forward(Tensor::random([4, 1, 32, 16], Distribution::Normal(0.3, 1.5), &train_device));
        let net = burn::module::Module::valid(&net);
        let model = net.to_onnx(standardization, "parity test").unwrap();
        let mut session = session(&model, &dir, &format!("tagger{i}"));
        let device = device(50 + i as u64);
        for batch in [1, 3] {
            let raw = random([batch, 1, 32, 16], &device).mul_scalar(30.0).sub_scalar(40.0);
            let mut standardized = values(raw.clone());
            standardization.apply(&mut standardized);
            let x = Tensor::from_data(burn::tensor::TensorData::new(standardized, [batch, 1, 32, 16]), &device);
            let out = net.forward(x);
            let mut expected = vec![array(out.fine), array(out.coarse)];
            expected.extend(out.attention.map(array));
            assert_eq!(session.outputs().len(), expected.len(), "{method:?}");
            assert_parity(&mut session, &format!("{method:?} batch {batch}"), &[array(raw)], &expected);
        }
    }
}

// ---- vocal ----

/// The frame stream as shipped (728 × 140 raw log-mel → prosody features → recurrent stream → softmax), for
/// both cells, with a non-trivial feature standardisation baked in: ONNX Runtime equals burn.
#[test]
fn vocal_frame_model_matches_onnx_runtime_for_every_variant() {
    use earmark_training::vocal::frames::{FrameModel, FrameStandardization, FrameStreamConfig, MelProsody};
    use earmark_training::vocal::frames::{PROSODY_FEATURES, RecurrentCell};
    use earmark_training::vocal::input::{BANDS, POOLED_FRAMES, frontend, segment_frames};
    let dir = tempfile::tempdir().unwrap();
    let frames = segment_frames();
    let raw = MelProsody::new(&frontend(), frames, POOLED_FRAMES, 0).unwrap();
    let features = raw.features();
    assert_eq!(features, BANDS + PROSODY_FEATURES);
    // Roughly the scale of each feature (dB bands, dB energy, log2 Hz pitch, log voicing), varied per feature.
    let centre = |k: usize| match k.checked_sub(BANDS) {
        None => (-50.0, 20.0),
        Some(0) => (-30.0, 10.0),
        Some(1) => (7.5, 0.5),
        _ => (-3.0, 1.0),
    };
    // A standardisation near each feature's (centre, spread), varied per feature so that a swapped one shows.
    let standardized = |raw: MelProsody, scale: &dyn Fn(usize) -> (f32, f32)| {
        let n = raw.features();
        let standardization = FrameStandardization {
            mean: (0..n).map(|k| scale(k).0 + (k % 7) as f32 * 0.3).collect(),
            std: (0..n).map(|k| scale(k).1 * (1.0 + (k % 5) as f32 * 0.1)).collect(),
        };
        raw.with_standardization(&standardization).unwrap()
    };
    // The extractor on its own as a graph: every feature, not only what survives into the probabilities.
    let dims = [Dim::Dynamic("batch".into()), Dim::Fixed(1), Dim::Fixed(frames as u64), Dim::Fixed(BANDS as u64)];
    let extractor_session = |prosody: &MelProsody, name: &str| {
        let mut g = GraphBuilder::new(name);
        let x = g.input("logmel", &dims);
        let y = prosody.emit(&mut g, "prosody", &x).unwrap();
        let features = prosody.features() as u64;
        g.output(&y, &[Dim::Dynamic("batch".into()), Dim::Fixed(POOLED_FRAMES as u64), Dim::Fixed(features)]);
        session(&g.finish("parity test"), &dir, name)
    };
    let prosody = standardized(raw, &centre);
    let mut extractor = extractor_session(&prosody, "prosody");
    let input_device = device(59);
    for batch in [1, 3] {
        let logmel = random([batch, 1, frames, BANDS], &input_device).mul_scalar(40.0).sub_scalar(50.0);
        let y = prosody.forward(logmel.clone());
        assert_parity(&mut extractor, &format!("prosody batch {batch}"), &[array(logmel)], &[array(y)]);
    }
    // The cepstral variant (`--frame-cepstra`): the bands' first DCT coefficients in place of the bands, alone and
    // under a functionals stream.
    let cepstral = MelProsody::new(&frontend(), frames, POOLED_FRAMES, 20).unwrap();
    let n = cepstral.features();
    assert_eq!(n, 20 + PROSODY_FEATURES);
    // Coefficient 0 is √140 ≈ 11.8 times the mean level (−50 dB here); the rest are ripples of a few dB.
    let scale = |k: usize| match k {
        0 => (-590.0, 30.0),
        1..20 => (0.0, 10.0),
        20 => (-30.0, 10.0),
        21 => (7.5, 0.5),
        _ => (-3.0, 1.0),
    };
    let cepstral = standardized(cepstral, &scale);
    let mut extractor = extractor_session(&cepstral, "cepstra");
    let config = FrameStreamConfig { fc: 8, cell: RecurrentCell::Functionals, ..FrameStreamConfig::new(n, 4) };
    let model = FrameModel::new(cepstral.clone(), config.init(&device(58)).unwrap()).unwrap();
    let mut whole = session(&model.export("parity test").unwrap(), &dir, "cepstral-model");
    for batch in [1, 3] {
        let logmel = random([batch, 1, frames, BANDS], &input_device).mul_scalar(40.0).sub_scalar(50.0);
        let y = cepstral.forward(logmel.clone());
        assert_parity(&mut extractor, &format!("cepstra batch {batch}"), &[array(logmel.clone())], &[array(y)]);
        let y = model.probabilities(logmel.clone());
        assert_parity(&mut whole, &format!("cepstral model batch {batch}"), &[array(logmel)], &[array(y)]);
    }
    for (i, cell) in [RecurrentCell::Lstm, RecurrentCell::Gru, RecurrentCell::Functionals, RecurrentCell::Dynamics]
        .into_iter()
        .enumerate()
    {
        let config = FrameStreamConfig { hidden: 16, attention: 8, fc: 8, cell, ..FrameStreamConfig::new(features, 4) };
        let stream = config.init(&device(60 + i as u64)).unwrap();
        let model = FrameModel::new(prosody.clone(), stream).unwrap();
        let onnx = model.export("parity test").unwrap();
        let mut session = session(&onnx, &dir, &format!("frames{i}"));
        assert_eq!(session.inputs()[0].dims, [None, Some(1), Some(frames as u64), Some(BANDS as u64)]);
        assert_eq!(session.outputs()[0].dims, [None, Some(4)]);
        let device = device(70 + i as u64);
        for batch in [1, 3] {
            let logmel = random([batch, 1, frames, BANDS], &device).mul_scalar(40.0).sub_scalar(50.0);
            let y = model.probabilities(logmel.clone());
            assert_parity(&mut session, &format!("{cell:?} batch {batch}"), &[array(logmel)], &[array(y)]);
        }
    }
    // Several streams averaged (here of different cells, so a wrong member or a missing one shows).
    let streams = [RecurrentCell::Functionals, RecurrentCell::Lstm, RecurrentCell::Functionals]
        .into_iter()
        .enumerate()
        .map(|(i, cell)| {
            let config =
                FrameStreamConfig { hidden: 16, attention: 8, fc: 8, cell, ..FrameStreamConfig::new(features, 4) };
            config.init(&device(80 + i as u64)).unwrap()
        })
        .collect();
    let model = FrameModel::averaged(prosody, streams).unwrap();
    let mut session = session(&model.export("parity test").unwrap(), &dir, "frames-averaged");
    let device = device(90);
    for batch in [1, 3] {
        let logmel = random([batch, 1, frames, BANDS], &device).mul_scalar(40.0).sub_scalar(50.0);
        let y = model.probabilities(logmel.clone());
        assert_parity(&mut session, &format!("averaged batch {batch}"), &[array(logmel)], &[array(y)]);
    }
}

/// The decision-level fusion over the paper's four classes and all nine.
#[test]
fn vocal_fusion_matches_onnx_runtime() {
    use earmark_training::vocal::fusion::Fusion;
    let dir = tempfile::tempdir().unwrap();
    for classes in [4, 9] {
        let device = device(80 + classes as u64);
        let fusion = Fusion::new(classes, &device);
        let mut session = session(&fusion.export("parity test").unwrap(), &dir, &format!("fusion{classes}"));
        assert_eq!((session.inputs().len(), session.outputs().len()), (2, 1));
        for batch in [1, 3] {
            let probabilities =
                || burn::tensor::activation::softmax(random([batch, classes], &device).mul_scalar(3.0), 1);
            let (spec, frames) = (probabilities(), probabilities());
            let y = fusion.probabilities(spec.clone(), frames.clone());
            assert_parity(
                &mut session,
                &format!("fusion {classes} batch {batch}"),
                &[array(spec), array(frames)],
                &[array(y)],
            );
        }
    }
}

/// A derived DARTS cell pair using every candidate operation (both pools, skip at stride 1 and 2, both separable
/// and both dilated convolutions), after a reduction (factorised `c_{k−2}` preprocessing).
fn every_operation_genotype() -> earmark_training::vocal::darts::genotype::Genotype {
    use earmark_training::vocal::darts::genotype::{CellGenotype, Genotype};
    use earmark_training::vocal::darts::ops::Primitive as P;
    let normal = CellGenotype {
        edges: vec![
            (P::SepConv3x3, 0),
            (P::SepConv5x5, 1),
            (P::DilConv3x3, 0),
            (P::SkipConnect, 2),
            (P::MaxPool3x3, 1),
            (P::DilConv5x5, 3),
            (P::AvgPool3x3, 0),
            (P::SepConv3x3, 4),
        ],
        concat: vec![2, 3, 4, 5],
    };
    let reduce = CellGenotype {
        edges: vec![
            (P::SkipConnect, 0),
            (P::MaxPool3x3, 1),
            (P::AvgPool3x3, 0),
            (P::DilConv5x5, 2),
            (P::SepConv5x5, 1),
            (P::SkipConnect, 3),
            (P::DilConv3x3, 0),
            (P::SepConv3x3, 4),
        ],
        concat: vec![2, 3, 4, 5],
    };
    Genotype { normal, reduce }
}

/// The derived spectrogram network (raw 728 × 140 frames → standardisation → time pooling → stem → cells →
/// softmax) equals ONNX Runtime, with BN statistics moved by a training-mode pass, for both stem strides and
/// for odd feature-map sizes (35 → 18 in the last reduction).
#[test]
fn vocal_derived_darts_network_matches_onnx_runtime() {
    use burn::module::Module;
    use earmark_training::vocal::darts::network::{DerivedNetwork, NasConfig};
    use earmark_training::vocal::input::SpectrogramInput;
    let dir = tempfile::tempdir().unwrap();
    let input = SpectrogramInput { mean: -55.0, std: 18.0, ..SpectrogramInput::paper() };
    for (k, (layers, stem_stride)) in [(3, 2), (4, 1)].into_iter().enumerate() {
        let config = NasConfig { layers, channels: 4, steps: 4, classes: 4, stem_stride };
        let train_device = device(90 + k as u64).autodiff();
        let net = DerivedNetwork::new(&every_operation_genotype(), &config, &train_device).unwrap();
        let warm = random([2, 1, input.frames, input.mels], &train_device).mul_scalar(30.0).sub_scalar(50.0);
        let _ = net.forward(input.forward(warm));
        let net = net.valid();
        let mut session = session(&net.export(&input, "parity test").unwrap(), &dir, &format!("darts{k}"));
        assert_eq!(session.outputs()[0].dims, [None, Some(4)]);
        let device = device(95 + k as u64);
        for batch in [1, 3] {
            let x = random([batch, 1, input.frames, input.mels], &device).mul_scalar(30.0).sub_scalar(50.0);
            let y = net.probabilities(input.forward(x.clone()));
            assert_parity(
                &mut session,
                &format!("L{layers} stride {stem_stride} batch {batch}"),
                &[array(x)],
                &[array(y)],
            );
        }
    }
}

/// The shipped vocal model in one graph (both streams and the fusion) equals the same composition in burn.
#[test]
fn vocal_two_stream_model_with_fusion_matches_onnx_runtime() {
    use earmark_training::vocal::darts::network::{DerivedNetwork, NasConfig};
    use earmark_training::vocal::frames::{FrameModel, FrameStreamConfig, MelProsody, RecurrentCell};
    use earmark_training::vocal::fusion::Fusion;
    use earmark_training::vocal::input::{Preparation, SpectrogramInput, frontend};
    use earmark_training::vocal::pipeline::{FrameBranch, Stream, TrainedVocal};
    let dir = tempfile::tempdir().unwrap();
    let device = device(99);
    let input = SpectrogramInput { mean: -60.0, std: 20.0, ..SpectrogramInput::paper() };
    let config = NasConfig { layers: 3, channels: 4, steps: 4, classes: 4, stem_stride: 2 };
    let net = DerivedNetwork::new(&every_operation_genotype(), &config, &device).unwrap();
    let prosody = MelProsody::new(&frontend(), input.frames, input.pooled, 0).unwrap();
    let stream_config = FrameStreamConfig {
        hidden: 8,
        attention: 4,
        fc: 8,
        cell: RecurrentCell::Gru,
        layers: 1,
        ..FrameStreamConfig::new(prosody.features(), 4)
    };
    let frames = FrameModel::new(prosody, stream_config.init(&device).unwrap()).unwrap();
    let reference = frames.clone();
    let model = TrainedVocal {
        preparation: Preparation::LEVEL,
        input,
        net,
        frames: FrameBranch::Builtin(frames),
        fusion: Fusion::new(4, &device),
    };
    let mut frames_only = session(&model.to_onnx(Stream::Frames, "parity test").unwrap(), &dir, "vocal-frames");
    let mut spectrogram_only =
        session(&model.to_onnx(Stream::Spectrogram, "parity test").unwrap(), &dir, "vocal-spectrogram");
    let mut session = session(&model.to_onnx(Stream::Fusion, "parity test").unwrap(), &dir, "vocal");
    for batch in [1, 3] {
        let x = random([batch, 1, input.frames, input.mels], &device).mul_scalar(30.0).sub_scalar(50.0);
        // Training prepares each window's level on the CPU (`Preparation::apply`); the graph does it itself.
        let mut levelled = earmark_training::onnx::emit::values(x.clone());
        for window in levelled.chunks_mut(input.frames * input.mels) {
            Preparation { voicing: None, level: true, speaker: None }.apply(window, input.mels);
        }
        let levelled = burn::tensor::Tensor::<4>::from_data(
            burn::tensor::TensorData::new(levelled, [batch, 1, input.frames, input.mels]),
            &device,
        );
        let p_spec = model.net.probabilities(model.input.forward(levelled.clone()));
        let p_frames = reference.probabilities(levelled);
        let y = model.fusion.probabilities(p_spec.clone(), p_frames.clone());
        assert_parity(
            &mut frames_only,
            &format!("frames alone, batch {batch}"),
            &[array(x.clone())],
            &[array(p_frames)],
        );
        assert_parity(
            &mut spectrogram_only,
            &format!("spectrogram alone, batch {batch}"),
            &[array(x.clone())],
            &[array(p_spec)],
        );
        assert_parity(&mut session, &format!("two streams batch {batch}"), &[array(x.clone())], &[array(y.clone())]);
        // A take recorded 18 dB quieter reads the same.
        assert_parity(&mut session, &format!("quieter, batch {batch}"), &[array(x.sub_scalar(18.0))], &[array(y)]);
    }
}
