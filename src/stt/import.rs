//! `minutes models import`: CTranslate2 (faster-whisper) Whisper model → whisper.cpp ggml file.
//!
//! faster-whisper users already have such models on disk, and it is how a
//! machine without access to the usual model host gets a real model. The
//! layout differences that matter: CTranslate2 fuses self-attention Q/K/V
//! into `self_attention/linear_0` and cross-attention K/V into
//! `attention/linear_1` (split by rows; the key's all-zero bias is dropped as
//! whisper.cpp has none); `decoder/projection/weight` aliases the token
//! embedding; `encoder/layer_norm` is the final encoder norm. whisper.cpp also
//! needs the mel filterbank and the byte-level vocabulary inside the file, and
//! checks every tensor's name, shape and size, so all are written exactly.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ct2::Ct2File;
use crate::error::{Error, ErrorKind, Result};
use minutes_voice::mel;

const GGML_MAGIC: u32 = 0x6767_6d6c;
const GGML_TYPE_F32: i32 = 0;
const GGML_TYPE_F16: i32 = 1;
const GGML_TYPE_Q8_0: i32 = 8;
/// whisper.cpp's file-level ftype codes (quantized ones carry version 2 × 1000).
const FTYPE_F16: i32 = 1;
const FTYPE_Q8_0: i32 = 2007;
const Q8_BLOCK: usize = 32;

#[derive(Debug, Serialize)]
pub struct ImportSummary {
    pub output: PathBuf,
    pub n_vocab: usize,
    pub encoder_layers: usize,
    pub decoder_layers: usize,
    pub n_mels: usize,
    pub weights: &'static str,
    pub bytes: u64,
}

/// Converts the model in `dir` and writes it atomically to `out`.
pub fn import(dir: &Path, out: &Path, q8: bool) -> Result<ImportSummary> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::read(dir, &e))?;
    if !meta.is_dir() {
        return Err(Error::file(
            ErrorKind::BadInput,
            dir,
            "not a directory (expected a CTranslate2 model directory)",
        ));
    }
    let bin = dir.join("model.bin");
    let mut ct = Ct2File::open(&bin)?;
    if ct.spec != "WhisperSpec" {
        let spec = ct.spec.clone();
        return Err(Error::file(
            ErrorKind::BadInput,
            &bin,
            format!("not a Whisper model ({spec})"),
        ));
    }
    let tokens = super::vocab::load(dir)?;
    let h = Hparams::read(&mut ct, &bin)?;
    let tmp = crate::sink::AtomicFile::new(out)?;
    let mut w = Writer {
        out: BufWriter::new(tmp.file()),
        q8,
        path: out.to_path_buf(),
    };
    w.header(&h, &tokens)?;
    write_tensors(&mut ct, &mut w, &h)?;
    w.out.flush().map_err(|e| Error::write(out, &e))?;
    drop(w);
    tmp.commit()?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(ImportSummary {
        output: out.to_path_buf(),
        n_vocab: h.n_vocab,
        encoder_layers: h.enc_layers,
        decoder_layers: h.dec_layers,
        n_mels: h.n_mels,
        weights: if q8 { "q8_0" } else { "f16" },
        bytes,
    })
}

struct Hparams {
    n_vocab: usize,
    audio_ctx: usize,
    audio_state: usize,
    audio_head: usize,
    enc_layers: usize,
    text_ctx: usize,
    text_state: usize,
    text_head: usize,
    dec_layers: usize,
    n_mels: usize,
}

impl Hparams {
    fn read(ct: &mut Ct2File, bin: &Path) -> Result<Self> {
        let count_layers = |ct: &Ct2File, side: &str| {
            let prefix = format!("{side}/layer_");
            let mut ids: Vec<usize> = ct
                .names()
                .filter_map(|n| n.strip_prefix(&prefix))
                .filter_map(|rest| rest.split('/').next()?.parse().ok())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids.len()
        };
        let [n_vocab, _] = ct.dims::<2>("decoder/embeddings/weight")?;
        let [audio_ctx, audio_state] = ct.dims::<2>("encoder/position_encodings/encodings")?;
        let [text_ctx, text_state] = ct.dims::<2>("decoder/position_encodings/encodings")?;
        let [_, n_mels, _] = ct.dims::<3>("encoder/conv1/weight")?;
        let h = Hparams {
            n_vocab,
            audio_ctx,
            audio_state,
            audio_head: ct.scalar_int("encoder/num_heads")? as usize,
            enc_layers: count_layers(ct, "encoder"),
            text_ctx,
            text_state,
            text_head: ct.scalar_int("decoder/num_heads")? as usize,
            dec_layers: count_layers(ct, "decoder"),
            n_mels,
        };
        if h.enc_layers == 0 || h.dec_layers == 0 {
            return Err(Error::file(
                ErrorKind::BadInput,
                bin,
                "incomplete Whisper model (no layers)",
            ));
        }
        Ok(h)
    }
}

struct Writer<'a> {
    out: BufWriter<&'a std::fs::File>,
    q8: bool,
    path: PathBuf,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) -> Result<()> {
        self.out
            .write_all(b)
            .map_err(|e| Error::write(&self.path, &e))
    }

    fn i32s(&mut self, values: &[i32]) -> Result<()> {
        let buf: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.bytes(&buf)
    }

    fn header(&mut self, h: &Hparams, tokens: &[Vec<u8>]) -> Result<()> {
        self.bytes(&GGML_MAGIC.to_le_bytes())?;
        let ftype = if self.q8 { FTYPE_Q8_0 } else { FTYPE_F16 };
        let hp = [
            h.n_vocab,
            h.audio_ctx,
            h.audio_state,
            h.audio_head,
            h.enc_layers,
            h.text_ctx,
            h.text_state,
            h.text_head,
            h.dec_layers,
            h.n_mels,
        ];
        let mut ints: Vec<i32> = hp.iter().map(|&v| v as i32).collect();
        ints.push(ftype);
        self.i32s(&ints)?;
        let filters = mel::filterbank(16_000.0, 400, h.n_mels);
        self.i32s(&[h.n_mels as i32, 201])?;
        let buf: Vec<u8> = filters.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.bytes(&buf)?;
        self.i32s(&[tokens.len() as i32])?;
        for t in tokens {
            self.i32s(&[t.len() as i32])?;
            self.bytes(t)?;
        }
        Ok(())
    }

    /// One tensor: `ne` in ggml order (fastest-varying dimension first).
    fn tensor(&mut self, name: &str, ne: &[usize], ttype: i32, data: &[f32]) -> Result<()> {
        let mut head = vec![ne.len() as i32, name.len() as i32, ttype];
        head.extend(ne.iter().map(|&d| d as i32));
        self.i32s(&head)?;
        self.bytes(name.as_bytes())?;
        let buf: Vec<u8> = match ttype {
            GGML_TYPE_F32 => data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            GGML_TYPE_F16 => data
                .iter()
                .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                .collect(),
            _ => quantize_q8_0(data),
        };
        self.bytes(&buf)
    }

    /// A 2-D weight matrix `[rows, cols]` stored in the model's weight type.
    fn weight(&mut self, name: &str, rows: usize, cols: usize, data: &[f32]) -> Result<()> {
        if self.q8 && !cols.is_multiple_of(Q8_BLOCK) {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("{name}: {cols} columns cannot be stored as q8_0"),
            ));
        }
        let t = if self.q8 {
            GGML_TYPE_Q8_0
        } else {
            GGML_TYPE_F16
        };
        self.tensor(name, &[cols, rows], t, data)
    }

    fn f32(&mut self, name: &str, ne: &[usize], data: &[f32]) -> Result<()> {
        self.tensor(name, ne, GGML_TYPE_F32, data)
    }
}

/// ggml's Q8_0: blocks of 32 values as one f16 scale and 32 signed bytes.
fn quantize_q8_0(data: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / Q8_BLOCK * 34);
    for block in data.chunks(Q8_BLOCK) {
        let amax = block.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&half::f16::from_f32(d).to_le_bytes());
        out.extend(block.iter().map(|v| (v * id).round() as i8 as u8));
    }
    out
}

fn write_tensors(ct: &mut Ct2File, w: &mut Writer, h: &Hparams) -> Result<()> {
    let mut t = Tensors { ct, w };
    let ([rows, cols], pos) = t.ct.tensor::<2>("encoder/position_encodings/encodings")?;
    t.w.f32("encoder.positional_embedding", &[cols, rows], &pos)?;
    for conv in ["conv1", "conv2"] {
        let ([out, inp, width], wt) = t.ct.tensor::<3>(&format!("encoder/{conv}/weight"))?;
        t.w.tensor(
            &format!("encoder.{conv}.weight"),
            &[width, inp, out],
            GGML_TYPE_F16,
            &wt,
        )?;
        let (_, b) = t.ct.tensor_f32(&format!("encoder/{conv}/bias"))?;
        t.w.f32(&format!("encoder.{conv}.bias"), &[1, b.len()], &b)?;
    }
    t.norm("encoder/layer_norm", "encoder.ln_post")?;
    for i in 0..h.enc_layers {
        let (p, q) = (format!("encoder/layer_{i}"), format!("encoder.blocks.{i}"));
        t.block_self_attention(&p, &q)?;
        t.ffn(&p, &q)?;
    }
    let ([rows, cols], emb) = t.ct.tensor::<2>("decoder/embeddings/weight")?;
    t.w.weight("decoder.token_embedding.weight", rows, cols, &emb)?;
    let ([rows, cols], pos) = t.ct.tensor::<2>("decoder/position_encodings/encodings")?;
    t.w.f32("decoder.positional_embedding", &[cols, rows], &pos)?;
    t.norm("decoder/layer_norm", "decoder.ln")?;
    for i in 0..h.dec_layers {
        let (p, q) = (format!("decoder/layer_{i}"), format!("decoder.blocks.{i}"));
        t.block_self_attention(&p, &q)?;
        t.norm(
            &format!("{p}/attention/layer_norm"),
            &format!("{q}.cross_attn_ln"),
        )?;
        t.linear(
            &format!("{p}/attention/linear_0"),
            &format!("{q}.cross_attn.query"),
        )?;
        let kv = [
            format!("{q}.cross_attn.key"),
            format!("{q}.cross_attn.value"),
        ];
        t.fused(&format!("{p}/attention/linear_1"), &kv, &[false, true])?;
        t.linear(
            &format!("{p}/attention/linear_2"),
            &format!("{q}.cross_attn.out"),
        )?;
        t.ffn(&p, &q)?;
    }
    Ok(())
}

struct Tensors<'c, 'w, 'f> {
    ct: &'c mut Ct2File,
    w: &'w mut Writer<'f>,
}

impl Tensors<'_, '_, '_> {
    fn norm(&mut self, src: &str, dst: &str) -> Result<()> {
        let (_, g) = self.ct.tensor_f32(&format!("{src}/gamma"))?;
        self.w.f32(&format!("{dst}.weight"), &[g.len()], &g)?;
        let (_, b) = self.ct.tensor_f32(&format!("{src}/beta"))?;
        self.w.f32(&format!("{dst}.bias"), &[b.len()], &b)
    }

    fn linear(&mut self, src: &str, dst: &str) -> Result<()> {
        self.fused(src, &[dst.to_string()], &[true])
    }

    /// Splits a fused `[k·n, in]` projection into k `[n, in]` ones by rows.
    fn fused(&mut self, src: &str, dst: &[String], with_bias: &[bool]) -> Result<()> {
        let ([fused_rows, cols], wt) = self.ct.tensor::<2>(&format!("{src}/weight"))?;
        let (_, b) = self.ct.tensor_f32(&format!("{src}/bias"))?;
        let rows = fused_rows / dst.len();
        if rows * dst.len() != fused_rows || b.len() != fused_rows {
            return Err(Error::file(
                ErrorKind::BadInput,
                self.ct.path(),
                format!(
                    "{src}: weight rows {fused_rows} and bias {} do not split into {}",
                    b.len(),
                    dst.len()
                ),
            ));
        }
        for (k, name) in dst.iter().enumerate() {
            self.w.weight(
                &format!("{name}.weight"),
                rows,
                cols,
                &wt[k * rows * cols..(k + 1) * rows * cols],
            )?;
            if with_bias[k] {
                self.w.f32(
                    &format!("{name}.bias"),
                    &[rows],
                    &b[k * rows..(k + 1) * rows],
                )?;
            }
        }
        Ok(())
    }

    fn block_self_attention(&mut self, p: &str, q: &str) -> Result<()> {
        self.norm(
            &format!("{p}/self_attention/layer_norm"),
            &format!("{q}.attn_ln"),
        )?;
        let qkv = [
            format!("{q}.attn.query"),
            format!("{q}.attn.key"),
            format!("{q}.attn.value"),
        ];
        self.fused(
            &format!("{p}/self_attention/linear_0"),
            &qkv,
            &[true, false, true],
        )?;
        self.linear(
            &format!("{p}/self_attention/linear_1"),
            &format!("{q}.attn.out"),
        )
    }

    fn ffn(&mut self, p: &str, q: &str) -> Result<()> {
        self.norm(&format!("{p}/ffn/layer_norm"), &format!("{q}.mlp_ln"))?;
        self.linear(&format!("{p}/ffn/linear_0"), &format!("{q}.mlp.0"))?;
        self.linear(&format!("{p}/ffn/linear_1"), &format!("{q}.mlp.2"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q8_0_round_trips_within_one_step() {
        let data: Vec<f32> = (0..64).map(|i| (i as f32 - 31.5) / 10.0).collect();
        let q = quantize_q8_0(&data);
        assert_eq!(q.len(), 2 * 34);
        for (b, block) in data.chunks(32).enumerate() {
            let d = half::f16::from_le_bytes([q[b * 34], q[b * 34 + 1]]).to_f32();
            for (j, v) in block.iter().enumerate() {
                let back = f32::from(q[b * 34 + 2 + j] as i8) * d;
                assert!((back - v).abs() <= d * 0.51 + 1e-3, "{back} vs {v}");
            }
        }
    }
}
