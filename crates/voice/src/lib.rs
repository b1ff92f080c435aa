//! The number crunching behind speaker labels, in a crate of its own so it
//! is compiled with optimisations even in test builds (an unoptimised LSTM
//! is dozens of times slower).
//!
//! - [`mel`]: Slaney mel filterbanks (Whisper's and the speaker encoder's)
//!   and the power mel spectrogram the speaker encoder reads.
//! - [`encoder`]: Resemblyzer's GE2E speaker encoder (3-layer LSTM → linear
//!   → ReLU → unit vector), run on batches of 1.6 s windows so every step is
//!   a matrix-matrix product.
//! - [`cluster`]: average-linkage clustering of mean-centred embeddings,
//!   cut at a distance or at a number of speakers.
//!
//! Nothing here reads files or knows about transcripts.

pub mod cluster;
pub mod encoder;
pub mod mel;
