//! Music emotion, as the segment-emotion paper does it: segments of a track → a masked convolutional
//! autoencoder's embeddings → a BiLSTM per dimension deciding high or low valence and arousal.

pub mod cli;
pub mod export;
pub mod model;
pub mod pipeline;
pub mod pretrain;
pub mod report;
pub mod results;
pub mod segments;
pub mod sequence;
pub mod thresholds;
