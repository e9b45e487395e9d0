//! Every architecture the crate can build, with its exact parameter count: what `earmark-train models` prints,
//! so a reader can check a network against its paper before spending hours training it.

use burn::module::Module;
use burn::tensor::Device;

use crate::emotion::model::{AutoencoderConfig, HeadConfig};
use crate::genre::models::{Architecture, NetConfig};
use crate::instruments::model::{Method, TaggerConfig};

/// One buildable architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Which family (paper) it belongs to.
    pub family: &'static str,
    /// Its name.
    pub name: String,
    /// Trainable parameters (burn's count).
    pub parameters: usize,
    /// Input, output and the settings it was built with.
    pub shape: String,
}

/// The catalogue: the emotion networks as shipped and as in the paper, the subgenre models with the CLI's
/// defaults for `classes` classes, and every O-net / P-net combination of Pons & Serra's Table 1.
pub fn entries(classes: usize) -> Vec<Entry> {
    let device = Device::default();
    let mut out = Vec::new();
    for (label, filters, hidden) in [("shipped", vec![16, 8, 8], 32), ("paper", vec![128, 64, 32], 512)] {
        let ae = AutoencoderConfig { frames: 216, mels: 128, filters: filters.clone() };
        let (_, features) = ae.embedding_shape();
        let shape = format!("216×128 log-mel segment, filters {filters:?}");
        out.push(Entry {
            family: "emotion",
            name: format!("autoencoder ({label})"),
            parameters: ae.init(&device).num_params(),
            shape: shape.clone(),
        });
        out.push(Entry {
            family: "emotion",
            name: format!("encoder ({label})"),
            parameters: ae.init_encoder(&device).num_params(),
            shape: format!("{shape} → {features} features"),
        });
        let head = HeadConfig { features, hidden, dropout: 0.5 };
        out.push(Entry {
            family: "emotion",
            name: format!("BiLSTM heads ({label})"),
            parameters: head.init(&device).num_params(),
            shape: format!("sequence × {features} → valence, arousal (2 × 2 classes), {hidden} units"),
        });
    }
    for arch in [Architecture::Cnn, Architecture::Crnn, Architecture::CnnRnn] {
        let config = NetConfig::subgenre(arch, classes);
        out.push(genre_entry("subgenre", &config, &device));
    }
    for (onet, pnet) in [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (2, 2), (4, 4), (8, 8)] {
        out.push(genre_entry("pons-serra", &NetConfig::temporal(onet, pnet, classes), &device));
    }
    let hierarchy = crate::synth::gm::hierarchy();
    let parents: Vec<usize> =
        hierarchy.iter().enumerate().flat_map(|(c, (_, members))| members.iter().map(move |_| c)).collect();
    for method in Method::ALL {
        let config = TaggerConfig {
            method,
            frames: 256,
            mels: 64,
            parents: parents.clone(),
            coarse: hierarchy.len(),
            width: 8,
            blocks: 4,
            embedding: 64,
            dropout: 0.2,
        };
        let net = config.init(&device).expect("catalogue configurations are valid");
        out.push(Entry {
            family: "instruments",
            name: format!("{method:?}").to_lowercase(),
            parameters: net.num_params(),
            shape: format!(
                "256×64 log-mel → {} tags / {} families, width 8, 4 blocks, embedding 64",
                parents.len(),
                hierarchy.len()
            ),
        });
    }
    out.extend(vocal_entries(&device));
    out
}

/// EmotionNAS: the search network of each Table 3 setting, the frame stream at our size and the paper's, the
/// fusion; four classes (the derived network's size depends on the searched cells, so `nas search` prints it).
fn vocal_entries(device: &Device) -> Vec<Entry> {
    use crate::vocal::darts::network::{NasConfig, SearchNetwork};
    use crate::vocal::frames::{FrameStreamConfig, PROSODY_FEATURES, RecurrentCell};
    use crate::vocal::input::BANDS;
    let mut out = Vec::new();
    for (layers, channels) in [(3, 4), (3, 6), (4, 8), (8, 16)] {
        let config = NasConfig { layers, channels, ..NasConfig::paper(4) };
        out.push(Entry {
            family: "vocal",
            name: format!("DARTS search network (L = {layers}, C = {channels})"),
            parameters: SearchNetwork::new(&config, device).num_params(),
            shape: "140×140 pooled spectrogram → 4 classes, every edge mixing 7 operations".into(),
        });
    }
    let features = BANDS + PROSODY_FEATURES;
    for (hidden, label) in [(64, "shipped"), (256, "paper size")] {
        for cell in RecurrentCell::ALL {
            let config = FrameStreamConfig { hidden, cell, ..FrameStreamConfig::new(features, 4) };
            let stream = config.init(device).expect("catalogue configurations are valid");
            out.push(Entry {
                family: "vocal",
                name: format!("frame stream, {} ({label})", cell.label()),
                parameters: stream.num_params(),
                shape: format!(
                    "140 frames × {features} → {} layers of {hidden} → attention → 4 classes",
                    config.layers
                ),
            });
        }
    }
    out.push(Entry {
        family: "vocal",
        name: "decision-level fusion".into(),
        parameters: crate::vocal::fusion::Fusion::new(4, device).num_params(),
        shape: "(8, 8), (8, 4), (4, 4) perceptron over both streams' probabilities".into(),
    });
    out
}

fn genre_entry(family: &'static str, config: &NetConfig, device: &Device) -> Entry {
    let net = config.init(device).expect("catalogue configurations are valid");
    Entry {
        family,
        name: config.name(),
        parameters: net.num_params(),
        shape: match config.architecture {
            Architecture::Temporal => format!(
                "{}×{} log-mel → {} classes, {} filters of 1-by-n",
                config.frames,
                config.mels,
                config.classes,
                40 * config.onet + 35 * config.pnet
            ),
            _ => format!(
                "{}×{} log-mel → {} classes, width {}, hidden {}",
                config.frames, config.mels, config.classes, config.width, config.hidden
            ),
        },
    }
}

/// The catalogue as an aligned text table.
pub fn table(entries: &[Entry]) -> String {
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let mut out = format!("{:<11} {:<width$} {:>10}  input → output\n", "family", "model", "parameters");
    for e in entries {
        out += &format!("{:<11} {:<width$} {:>10}  {}\n", e.family, e.name, e.parameters, e.shape);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_lists_every_family_with_real_counts() {
        let entries = entries(8);
        for family in ["emotion", "subgenre", "pons-serra", "instruments"] {
            assert!(entries.iter().any(|e| e.family == family), "{family} missing");
        }
        let pnet = entries.iter().find(|e| e.name == "P-net").expect("P-net listed");
        assert_eq!(pnet.parameters, 7_428);
        assert!(table(&entries).contains("8x O-net + 8x P-net"));
    }
}
