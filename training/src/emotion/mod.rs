//! Music emotion, as the segment-emotion paper does it: segments of a track → a masked convolutional
//! autoencoder's embeddings → a BiLSTM per dimension deciding high or low valence and arousal.

pub mod model;
