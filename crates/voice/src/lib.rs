//! The number crunching behind speaker labels, in a crate of its own so it
//! is compiled with optimisations even in test builds (an unoptimised network
//! is dozens of times slower).
//!
//! - [`mel`]: the Slaney mel filterbank Whisper model files carry.
//! - [`encoder`]: speaker embeddings and their similarity.
//! - [`fbank`] and [`campplus`]: Kaldi log mel filterbanks and the CAM++
//!   speaker encoder (a residual 2-D front end and densely connected TDNN
//!   layers with context-aware masks) on 1.5 s windows.
//! - [`count`]: how many voices, from the eigengap of a pruned similarity
//!   graph.
//! - [`cluster`]: average-linkage clustering of mean-centred embeddings,
//!   cut at that number or at a number of speakers asked for.
//!
//! Nothing here reads files or knows about transcripts.

pub mod campplus;
pub mod cluster;
pub mod count;
pub mod encoder;
pub mod fbank;
pub mod mel;
