//! Prints how long one DARTS search step and one derived-network step take at the paper's input size
//! (140 × 140, batch 16) on this machine: `cargo run --release -p earmark-training --example nas_speed`.

use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use earmark_training::vocal::darts::genotype::{CellGenotype, Genotype};
use earmark_training::vocal::darts::network::{Alphas, DerivedNetwork, NasConfig, SearchNetwork};
use earmark_training::vocal::darts::ops::Primitive;

fn main() {
    let layers: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let channels: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(6);
    let batch: usize = std::env::args().nth(3).and_then(|a| a.parse().ok()).unwrap_or(16);
    let device = Device::default().autodiff();
    let stride: usize = std::env::args().nth(4).and_then(|a| a.parse().ok()).unwrap_or(2);
    let config = NasConfig { layers, channels, steps: 4, classes: 4, stem_stride: stride };
    let x = || Tensor::<4>::random([batch, 1, 140, 140], Distribution::Normal(0.0, 1.0), &device);
    let y = || Tensor::<1, Int>::from_data(TensorData::new(vec![1i64; batch], [batch]), &device);
    let ce = CrossEntropyLossConfig::new().init(&device);
    let mut net = SearchNetwork::new(&config, &device);
    let alphas = Alphas::new(4, &device);
    let mut opt = SgdConfig::new().init();
    for step in 0..3 {
        let t = Instant::now();
        let loss = ce.forward(net.forward(x(), &alphas, true), y());
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = opt.step(0.01, net, grads);
        println!("search step {step}: {:.2} s", t.elapsed().as_secs_f64());
    }
    let cell = CellGenotype {
        edges: vec![
            (Primitive::SepConv3x3, 0),
            (Primitive::SepConv5x5, 1),
            (Primitive::DilConv3x3, 0),
            (Primitive::SkipConnect, 2),
            (Primitive::MaxPool3x3, 1),
            (Primitive::DilConv5x5, 3),
            (Primitive::AvgPool3x3, 0),
            (Primitive::SepConv3x3, 4),
        ],
        concat: vec![2, 3, 4, 5],
    };
    let genotype = Genotype { normal: cell.clone(), reduce: cell };
    let mut derived = DerivedNetwork::new(&genotype, &config, &device).unwrap();
    let mut opt = SgdConfig::new().init();
    for step in 0..3 {
        let t = Instant::now();
        let loss = ce.forward(derived.forward(x()), y());
        let grads = GradientsParams::from_grads(loss.backward(), &derived);
        derived = opt.step(0.01, derived, grads);
        println!("derived step {step}: {:.2} s", t.elapsed().as_secs_f64());
    }
    use burn::module::Module;
    println!("derived parameters: {}", derived.num_params());
}
