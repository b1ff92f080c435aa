//! Reader for CTranslate2 model files (`model.bin`, binary version 6), the
//! format faster-whisper uses.
//!
//! The file is a header of named variables, each with a shape, a dtype and raw
//! little-endian bytes, followed by aliases. The index is read first (seeking
//! over the data) and tensors are loaded one at a time on demand, so a
//! multi-gigabyte model never sits in memory whole.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_id(id: u8) -> Option<DType> {
        Some(match id {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::BF16,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

#[derive(Debug, Clone)]
pub struct VarInfo {
    pub shape: Vec<usize>,
    pub dtype: DType,
    offset: u64,
    len: usize,
}

/// An opened `model.bin`: the index of its variables, data left on disk.
pub struct Ct2File {
    path: PathBuf,
    reader: BufReader<File>,
    pub spec: String,
    vars: HashMap<String, VarInfo>,
    aliases: HashMap<String, String>,
}

impl Ct2File {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::read(path, &e))?;
        let mut reader = BufReader::new(file);
        let bad = |why: String| Error::file(ErrorKind::BadInput, path, why);
        let eof = |_| bad("truncated CTranslate2 model file".into());
        let version = read_u32(&mut reader).map_err(eof)?;
        if version != 6 {
            return Err(bad(format!(
                "unsupported CTranslate2 model version {version} (expected 6); \
                 convert it again with a current ctranslate2"
            )));
        }
        let spec = read_string(&mut reader).map_err(eof)?;
        let _revision = read_u32(&mut reader).map_err(eof)?;
        let count = read_u32(&mut reader).map_err(eof)?;
        let mut vars = HashMap::new();
        for _ in 0..count {
            let name = read_string(&mut reader).map_err(eof)?;
            let rank = read_u8(&mut reader).map_err(eof)?;
            let mut shape = Vec::with_capacity(rank as usize);
            for _ in 0..rank {
                shape.push(read_u32(&mut reader).map_err(eof)? as usize);
            }
            let dtype_id = read_u8(&mut reader).map_err(eof)?;
            let dtype = DType::from_id(dtype_id)
                .ok_or_else(|| bad(format!("variable {name} has unknown dtype {dtype_id}")))?;
            let len = read_u32(&mut reader).map_err(eof)? as usize;
            let bytes = shape
                .iter()
                .try_fold(dtype.size(), |n, d| n.checked_mul(*d));
            if bytes != Some(len) {
                return Err(bad(format!(
                    "variable {name}: shape {shape:?} does not match {len} bytes"
                )));
            }
            let offset = reader
                .stream_position()
                .map_err(|e| Error::read(path, &e))?;
            reader
                .seek_relative(len as i64)
                .map_err(|e| Error::read(path, &e))?;
            vars.insert(
                name,
                VarInfo {
                    shape,
                    dtype,
                    offset,
                    len,
                },
            );
        }
        let mut aliases = HashMap::new();
        if let Ok(n) = read_u32(&mut reader) {
            for _ in 0..n {
                let alias = read_string(&mut reader).map_err(eof)?;
                let target = read_string(&mut reader).map_err(eof)?;
                aliases.insert(alias, target);
            }
        }
        let end = reader
            .stream_position()
            .map_err(|e| Error::read(path, &e))?;
        let size = std::fs::metadata(path)
            .map_err(|e| Error::read(path, &e))?
            .len();
        if end > size {
            return Err(bad("truncated CTranslate2 model file".into()));
        }
        Ok(Ct2File {
            path: path.to_path_buf(),
            reader,
            spec,
            vars,
            aliases,
        })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }

    pub fn info(&self, name: &str) -> Option<&VarInfo> {
        let name = self.aliases.get(name).map(String::as_str).unwrap_or(name);
        self.vars.get(name)
    }

    fn require(&self, name: &str) -> Result<VarInfo> {
        self.info(name).cloned().ok_or_else(|| {
            Error::file(
                ErrorKind::BadInput,
                &self.path,
                format!("missing variable {name}"),
            )
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The shape of `name`, which must have exactly `N` dimensions: a model
    /// whose tensors have another rank is refused, never indexed blindly.
    pub fn dims<const N: usize>(&self, name: &str) -> Result<[usize; N]> {
        let info = self.require(name)?;
        <[usize; N]>::try_from(info.shape.as_slice()).map_err(|_| {
            Error::file(
                ErrorKind::BadInput,
                &self.path,
                format!(
                    "variable {name} has shape {:?}; expected {N} dimensions",
                    info.shape
                ),
            )
        })
    }

    /// A tensor of `N` dimensions as `f32`, with its shape.
    pub fn tensor<const N: usize>(&mut self, name: &str) -> Result<([usize; N], Vec<f32>)> {
        let dims = self.dims::<N>(name)?;
        let (_, values) = self.tensor_f32(name)?;
        Ok((dims, values))
    }

    fn raw(&mut self, info: &VarInfo) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; info.len];
        self.reader
            .seek(SeekFrom::Start(info.offset))
            .and_then(|_| self.reader.read_exact(&mut buf))
            .map_err(|e| Error::read(&self.path, &e))?;
        Ok(buf)
    }

    /// A tensor as `f32`, dequantising int8 weights with their `weight_scale`.
    pub fn tensor_f32(&mut self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let info = self.require(name)?;
        let raw = self.raw(&info)?;
        let values: Vec<f32> = match info.dtype {
            DType::F32 => raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            DType::F16 => raw
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            DType::BF16 => raw
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            DType::I8 => self.dequantize(name, &info, &raw)?,
            DType::I16 | DType::I32 => {
                return Err(Error::file(
                    ErrorKind::BadInput,
                    &self.path,
                    format!("variable {name} is an integer, not a weight"),
                ));
            }
        };
        Ok((info.shape, values))
    }

    fn dequantize(&mut self, name: &str, info: &VarInfo, raw: &[u8]) -> Result<Vec<f32>> {
        let scale_name = name.replace("/weight", "/weight_scale");
        let (_, scales) = self.tensor_f32(&scale_name)?;
        let rows = info.shape.first().copied().unwrap_or(1).max(1);
        let cols = raw.len() / rows;
        if scales.len() != rows && scales.len() != 1 {
            return Err(Error::file(
                ErrorKind::BadInput,
                &self.path,
                format!("{scale_name} has wrong size"),
            ));
        }
        Ok(raw
            .iter()
            .enumerate()
            .map(|(i, &q)| {
                let s = if scales.len() == 1 {
                    scales[0]
                } else {
                    scales[i / cols]
                };
                f32::from(q as i8) / s
            })
            .collect())
    }

    /// A small integer scalar such as `encoder/num_heads`.
    pub fn scalar_int(&mut self, name: &str) -> Result<i64> {
        let info = self.require(name)?;
        let raw = self.raw(&info)?;
        Ok(match info.dtype {
            DType::I8 => i64::from(raw[0] as i8),
            DType::I16 => i64::from(i16::from_le_bytes([raw[0], raw[1]])),
            DType::I32 => i64::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
            _ => {
                return Err(Error::file(
                    ErrorKind::BadInput,
                    &self.path,
                    format!("{name} is not an integer"),
                ));
            }
        })
    }
}

fn read_u8(r: &mut impl Read) -> std::io::Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

fn read_u16(r: &mut impl Read) -> std::io::Result<u16> {
    let mut b = [0u8; 2];
    r.read_exact(&mut b)?;
    Ok(u16::from_le_bytes(b))
}

fn read_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// A length-prefixed, NUL-terminated UTF-8 string.
fn read_string(r: &mut impl Read) -> std::io::Result<String> {
    let len = read_u16(r)? as usize;
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)?;
    if buf.last() == Some(&0) {
        buf.pop();
    }
    String::from_utf8(buf).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model file holding one float32 variable of the given shape and `bytes` bytes of data.
    fn model_file(dir: &Path, shape: &[u32], bytes: u32) -> PathBuf {
        let mut out = Vec::new();
        let string = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
            out.push(0);
        };
        out.extend_from_slice(&6u32.to_le_bytes());
        string(&mut out, "WhisperSpec");
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        string(&mut out, "decoder/embeddings/weight");
        out.push(shape.len() as u8);
        for d in shape {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.push(0); // float32
        out.extend_from_slice(&bytes.to_le_bytes());
        out.extend(std::iter::repeat_n(0u8, bytes as usize));
        out.extend_from_slice(&0u32.to_le_bytes());
        let p = dir.join("model.bin");
        std::fs::write(&p, out).unwrap();
        p
    }

    #[test]
    fn shapes_are_checked_before_they_are_used() {
        let dir = tempfile::tempdir().unwrap();
        let p = model_file(dir.path(), &[4], 16);
        let mut ct = Ct2File::open(&p).unwrap();
        let err = ct.dims::<2>("decoder/embeddings/weight").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadInput);
        assert!(
            err.message().contains("expected 2 dimensions"),
            "{}",
            err.message()
        );
        assert!(ct.tensor::<2>("decoder/embeddings/weight").is_err());
        assert_eq!(ct.tensor::<1>("decoder/embeddings/weight").unwrap().0, [4]);
        // Dimensions whose product overflows are a bad file, not a panic.
        let p = model_file(dir.path(), &[u32::MAX, u32::MAX, u32::MAX, u32::MAX], 16);
        assert_eq!(Ct2File::open(&p).err().unwrap().kind(), ErrorKind::BadInput);
    }
}
