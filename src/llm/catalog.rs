//! The local language models `minutes models pull` knows: small instruct
//! models in GGUF (Q4_K_M) that run on a laptop CPU.
//!
//! A pulled model is stored in the models directory as `<name>.gguf`, so
//! `--llm-model <name>` finds it and, when nothing else is configured, the
//! first present one in this order is used. The default is Qwen2.5 1.5B
//! Instruct: Apache-2.0, multilingual (it writes usable Korean, which the
//! Llama 3.2 and SmolLM2 models do not claim) and fast enough on 4 cores.
//! Checksums: where we pin a SHA-256 and size the file must match them; the
//! host's announced SHA-256 (`X-Linked-Etag`) is checked for every file.

use std::path::{Path, PathBuf};

use crate::download::Source;

pub struct KnownLlm {
    pub name: &'static str,
    /// Repository and file on the model host.
    repo: &'static str,
    file: &'static str,
    /// A commit, when the file is pinned to one; else `main`.
    revision: &'static str,
    /// Approximate size in MiB, for listings.
    pub mib: u32,
    pub license: &'static str,
    sha256: Option<&'static str>,
    size: Option<u64>,
}

/// Where GGUF models are published; `MINUTES_LLM_MODELS_URL` overrides it (mirrors, tests).
pub const DEFAULT_BASE_URL: &str = "https://huggingface.co";

/// What GGUF files start with.
pub const MAGIC: &[u8] = b"GGUF";

/// The recommended model first; then by family, largest first.
pub const KNOWN: &[KnownLlm] = &[
    KnownLlm {
        name: "qwen2.5-1.5b",
        repo: "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
        file: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        revision: "91cad51170dc346986eccefdc2dd33a9da36ead9",
        mib: 1066,
        license: "Apache-2.0",
        sha256: Some("6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e"),
        size: Some(1_117_320_736),
    },
    KnownLlm {
        name: "qwen2.5-3b",
        repo: "Qwen/Qwen2.5-3B-Instruct-GGUF",
        file: "qwen2.5-3b-instruct-q4_k_m.gguf",
        revision: "main",
        mib: 1998,
        license: "Qwen-Research",
        sha256: None,
        size: None,
    },
    KnownLlm {
        name: "qwen2.5-0.5b",
        repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
        file: "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        revision: "main",
        mib: 469,
        license: "Apache-2.0",
        sha256: None,
        size: None,
    },
    KnownLlm {
        name: "llama3.2-3b",
        repo: "bartowski/Llama-3.2-3B-Instruct-GGUF",
        file: "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
        revision: "main",
        mib: 1926,
        license: "Llama-3.2",
        sha256: None,
        size: None,
    },
    KnownLlm {
        name: "llama3.2-1b",
        repo: "bartowski/Llama-3.2-1B-Instruct-GGUF",
        file: "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        revision: "main",
        mib: 771,
        license: "Llama-3.2",
        sha256: None,
        size: None,
    },
    KnownLlm {
        name: "smollm2-1.7b",
        repo: "bartowski/SmolLM2-1.7B-Instruct-GGUF",
        file: "SmolLM2-1.7B-Instruct-Q4_K_M.gguf",
        revision: "main",
        mib: 1007,
        license: "Apache-2.0",
        sha256: None,
        size: None,
    },
    KnownLlm {
        name: "smollm2-360m",
        repo: "bartowski/SmolLM2-360M-Instruct-GGUF",
        file: "SmolLM2-360M-Instruct-Q4_K_M.gguf",
        revision: "main",
        mib: 258,
        license: "Apache-2.0",
        sha256: None,
        size: None,
    },
];

/// The model `minutes models pull` suggests when none is present.
pub const RECOMMENDED: &str = "qwen2.5-1.5b";

pub fn known(name: &str) -> Option<&'static KnownLlm> {
    KNOWN.iter().find(|k| k.name == name)
}

/// The file a named model has in the models directory.
pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.gguf"))
}

impl KnownLlm {
    /// Where to download it from, and how to check it.
    pub fn source(&self) -> Source<'static> {
        let base = crate::env::llm_models_url().unwrap_or_else(|| DEFAULT_BASE_URL.into());
        Source {
            name: self.name,
            url: format!(
                "{}/{}/resolve/{}/{}",
                base.trim_end_matches('/'),
                self.repo,
                self.revision,
                self.file
            ),
            known: true,
            sha1: None,
            sha256: self.sha256,
            size: self.size,
            magic: MAGIC,
        }
    }
}

/// Orders present GGUF files: known models in catalog order, then the rest by name.
pub fn rank(path: &Path) -> (usize, String) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let at = KNOWN
        .iter()
        .position(|k| k.name == stem)
        .unwrap_or(KNOWN.len());
    (at, stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_the_recommended_one_is_first() {
        assert_eq!(KNOWN[0].name, RECOMMENDED);
        for (i, k) in KNOWN.iter().enumerate() {
            assert!(
                KNOWN[i + 1..].iter().all(|o| o.name != k.name),
                "{}",
                k.name
            );
            assert!(k.file.ends_with(".gguf"));
        }
    }

    #[test]
    fn present_models_rank_by_catalog_order() {
        let mut found = [
            PathBuf::from("/m/zeta.gguf"),
            PathBuf::from("/m/smollm2-360m.gguf"),
            PathBuf::from("/m/qwen2.5-1.5b.gguf"),
        ];
        found.sort_by_key(|p| rank(p));
        assert_eq!(found[0], PathBuf::from("/m/qwen2.5-1.5b.gguf"));
        assert_eq!(found[2], PathBuf::from("/m/zeta.gguf"));
    }
}
