//! Integration tests: one binary, one module per feature, each running the
//! real `minutes` binary on real media with a real model.

mod common;

mod batch;
mod cli;
mod conversation;
mod der;
mod eval;
mod eval_calibrate;
mod eval_compare;
mod eval_judge;
mod eval_match;
mod eval_minutes;
mod eval_suite;
mod evidence;
mod local_llm;
mod models;
mod multilingual;
mod probe;
mod profiles;
mod prompts;
mod redact;
mod serve;
mod speak;
mod speakers;
mod summarize;
mod transcribe;
mod voices;
