//! A small pickle interpreter for the pickles inside PyTorch checkpoints.
//!
//! Python's own unpickler runs code: `GLOBAL` imports any name and `REDUCE`
//! calls it, which is why loading a foreign `.pt` file with torch is unsafe.
//! Here nothing is imported or called: a global is just its module and name,
//! and a call of anything but `collections.OrderedDict()` is kept as an
//! opaque [`Value::Call`] for the reader to recognise (torch's tensor
//! rebuilders) or ignore. Only the opcodes `torch.save` writes at protocol 2
//! are known; any other is refused by name and offset, so a file that is not
//! what we expect fails cleanly instead of being half understood.
//!
//! Objects live in an arena and refer to each other by index. That gives the
//! sharing Python has (a dict memoised by `BINPUT` before `SETITEMS` fills it
//! is the same dict when `BINGET` fetches it later) without reference
//! counting: no input can build a cycle that leaks or a nesting whose drop
//! overflows the stack, and every allocation is bounded by the input's length.

use std::collections::HashMap;
use std::fmt;

/// An object's place in the arena.
pub type Id = usize;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// An integer too wide for `i64` (`LONG1`), as its little-endian
    /// two's-complement bytes.
    Long(Vec<u8>),
    Float(f64),
    Str(String),
    Tuple(Vec<Id>),
    List(Vec<Id>),
    /// Items in insertion order; a later item for the same key wins, as in Python.
    Dict(Vec<(Id, Id)>),
    /// A name `GLOBAL` referred to; never resolved.
    Global {
        module: String,
        name: String,
    },
    /// `REDUCE`: `func(*args)`, not evaluated.
    Call {
        func: Id,
        args: Id,
    },
    /// `BINPERSID`: a reference to data outside the pickle (a torch storage).
    Persistent(Id),
}

/// Why a pickle could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleError {
    pub offset: usize,
    pub reason: String,
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (pickle byte {})", self.reason, self.offset)
    }
}

type Result<T> = std::result::Result<T, PickleError>;

/// One unpickled object graph.
#[derive(Debug)]
pub struct Pickle {
    arena: Vec<Value>,
    root: Id,
}

impl Pickle {
    pub fn root(&self) -> Id {
        self.root
    }

    pub fn get(&self, id: Id) -> &Value {
        // Ids only come from this arena, so they are always in range.
        &self.arena[id]
    }

    pub fn str(&self, id: Id) -> Option<&str> {
        match self.get(id) {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self, id: Id) -> Option<i64> {
        match self.get(id) {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn tuple(&self, id: Id) -> Option<&[Id]> {
        match self.get(id) {
            Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    pub fn global(&self, id: Id) -> Option<(&str, &str)> {
        match self.get(id) {
            Value::Global { module, name } => Some((module, name)),
            _ => None,
        }
    }

    /// The value under string key `key` of dict `id`.
    pub fn dict_get(&self, id: Id, key: &str) -> Option<Id> {
        match self.get(id) {
            Value::Dict(items) => items
                .iter()
                .rev()
                .find(|(k, _)| self.str(*k) == Some(key))
                .map(|(_, v)| *v),
            _ => None,
        }
    }
}

/// Reads the pickle that starts at `data[start..]`; returns it and the
/// offset just after its `STOP`.
pub fn load(data: &[u8], start: usize) -> Result<(Pickle, usize)> {
    let mut m = Machine {
        data,
        pos: start,
        arena: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    };
    let root = m.run()?;
    Ok((
        Pickle {
            arena: m.arena,
            root,
        },
        m.pos,
    ))
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    arena: Vec<Value>,
    stack: Vec<Id>,
    /// Stack lengths at each open `MARK`.
    marks: Vec<usize>,
    memo: HashMap<u32, Id>,
}

impl<'a> Machine<'a> {
    fn run(&mut self) -> Result<Id> {
        loop {
            let at = self.pos;
            let op = self.take(1)?[0];
            match op {
                0x80 => {
                    // PROTO
                    let v = self.take(1)?[0];
                    if v > 5 {
                        return Err(err(at, format!("unsupported pickle protocol {v}")));
                    }
                }
                b'.' => return self.pop(at),
                b'}' => self.push(Value::Dict(Vec::new())),
                b']' => self.push(Value::List(Vec::new())),
                b')' => self.push(Value::Tuple(Vec::new())),
                b'(' => self.marks.push(self.stack.len()),
                b'q' => {
                    let i = u32::from(self.take(1)?[0]);
                    self.put(at, i)?;
                }
                b'r' => {
                    let i = self.u32()?;
                    self.put(at, i)?;
                }
                b'h' => {
                    let i = u32::from(self.take(1)?[0]);
                    self.fetch(at, i)?;
                }
                b'j' => {
                    let i = self.u32()?;
                    self.fetch(at, i)?;
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    let bytes = self.take(n)?;
                    let s = std::str::from_utf8(bytes)
                        .map_err(|_| err(at, "string is not valid UTF-8"))?;
                    self.push(Value::Str(s.to_string()));
                }
                b'J' => {
                    let b = self.take(4)?;
                    self.push(Value::Int(i64::from(i32::from_le_bytes([
                        b[0], b[1], b[2], b[3],
                    ]))));
                }
                b'K' => {
                    let b = self.take(1)?[0];
                    self.push(Value::Int(i64::from(b)));
                }
                b'M' => {
                    let b = self.take(2)?;
                    self.push(Value::Int(i64::from(u16::from_le_bytes([b[0], b[1]]))));
                }
                0x8a => {
                    // LONG1
                    let n = usize::from(self.take(1)?[0]);
                    let bytes = self.take(n)?;
                    self.push(long(bytes));
                }
                b'G' => {
                    let b = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    self.push(Value::Float(f64::from_be_bytes(a)));
                }
                b'N' => self.push(Value::None),
                0x88 => self.push(Value::Bool(true)),
                0x89 => self.push(Value::Bool(false)),
                b't' => {
                    let items = self.pop_mark(at)?;
                    self.push(Value::Tuple(items));
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop(at)?);
                    }
                    items.reverse();
                    self.push(Value::Tuple(items));
                }
                b'c' => {
                    let module = self.line(at)?;
                    let name = self.line(at)?;
                    self.push(Value::Global { module, name });
                }
                b'R' => {
                    let args = self.pop(at)?;
                    let func = self.pop(at)?;
                    self.reduce(at, func, args)?;
                }
                b'Q' => {
                    let pid = self.pop(at)?;
                    self.push(Value::Persistent(pid));
                }
                b's' => {
                    let value = self.pop(at)?;
                    let key = self.pop(at)?;
                    let target = self.top(at)?;
                    self.set_items(at, target, vec![(key, value)])?;
                }
                b'u' => {
                    let items = self.pop_mark(at)?;
                    if items.len() % 2 != 0 {
                        return Err(err(at, "SETITEMS with an odd number of items"));
                    }
                    let pairs = items.chunks_exact(2).map(|p| (p[0], p[1])).collect();
                    let target = self.top(at)?;
                    self.set_items(at, target, pairs)?;
                }
                b'a' => {
                    let item = self.pop(at)?;
                    let target = self.top(at)?;
                    self.append(at, target, vec![item])?;
                }
                b'e' => {
                    let items = self.pop_mark(at)?;
                    let target = self.top(at)?;
                    self.append(at, target, items)?;
                }
                b'b' => {
                    // BUILD sets attributes (such as a state dict's
                    // `_metadata`); nothing here reads attributes.
                    self.pop(at)?;
                    self.top(at)?;
                }
                _ => {
                    return Err(err(
                        at,
                        format!("unsupported pickle opcode 0x{op:02x} ({})", opcode_name(op)),
                    ));
                }
            }
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let data: &'a [u8] = self.data;
        let end = self.pos.checked_add(n).filter(|e| *e <= data.len());
        match end {
            Some(end) => {
                let s = &data[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(err(self.pos, "truncated: the pickle ends early")),
        }
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A newline-terminated name (`GLOBAL`'s arguments).
    fn line(&mut self, at: usize) -> Result<String> {
        let rest = &self.data[self.pos..];
        let Some(n) = rest.iter().take(256).position(|b| *b == b'\n') else {
            return Err(err(at, "truncated or overlong GLOBAL name"));
        };
        let s = std::str::from_utf8(&rest[..n])
            .map_err(|_| err(at, "GLOBAL name is not valid UTF-8"))?
            .to_string();
        self.pos += n + 1;
        Ok(s)
    }

    fn push(&mut self, v: Value) {
        self.arena.push(v);
        self.stack.push(self.arena.len() - 1);
    }

    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self, at: usize) -> Result<Id> {
        let id = self.top(at)?;
        self.stack.pop();
        Ok(id)
    }

    /// The top of the stack, which may not lie below the innermost `MARK`.
    fn top(&self, at: usize) -> Result<Id> {
        match self.stack.last() {
            Some(id) if self.stack.len() > self.floor() => Ok(*id),
            _ => Err(err(at, "stack underflow")),
        }
    }

    fn pop_mark(&mut self, at: usize) -> Result<Vec<Id>> {
        let mark = self.marks.pop().ok_or_else(|| err(at, "no MARK to end"))?;
        Ok(self.stack.split_off(mark))
    }

    fn put(&mut self, at: usize, index: u32) -> Result<()> {
        let id = self.top(at)?;
        self.memo.insert(index, id);
        Ok(())
    }

    fn fetch(&mut self, at: usize, index: u32) -> Result<()> {
        let id = *self
            .memo
            .get(&index)
            .ok_or_else(|| err(at, format!("memo {index} is not set")))?;
        self.stack.push(id);
        Ok(())
    }

    fn reduce(&mut self, at: usize, func: Id, args: Id) -> Result<()> {
        if !matches!(self.arena[args], Value::Tuple(_)) {
            return Err(err(at, "REDUCE arguments are not a tuple"));
        }
        let ordered_dict = matches!(
            &self.arena[func],
            Value::Global { module, name } if module == "collections" && name == "OrderedDict"
        );
        let empty = matches!(&self.arena[args], Value::Tuple(a) if a.is_empty());
        if ordered_dict && empty {
            self.push(Value::Dict(Vec::new()));
        } else {
            self.push(Value::Call { func, args });
        }
        Ok(())
    }

    /// `SETITEM(S)`: into a dict; an opaque object takes them silently.
    fn set_items(&mut self, at: usize, target: Id, pairs: Vec<(Id, Id)>) -> Result<()> {
        match &mut self.arena[target] {
            Value::Dict(items) => items.extend(pairs),
            Value::Call { .. } => {}
            _ => return Err(err(at, "SETITEM on something that is not a dict")),
        }
        Ok(())
    }

    /// `APPEND(S)`: onto a list; an opaque object takes them silently.
    fn append(&mut self, at: usize, target: Id, items: Vec<Id>) -> Result<()> {
        match &mut self.arena[target] {
            Value::List(list) => list.extend(items),
            Value::Call { .. } => {}
            _ => return Err(err(at, "APPEND on something that is not a list")),
        }
        Ok(())
    }
}

fn err(offset: usize, reason: impl Into<String>) -> PickleError {
    PickleError {
        offset,
        reason: reason.into(),
    }
}

/// `LONG1`'s little-endian two's-complement integer.
fn long(bytes: &[u8]) -> Value {
    if bytes.len() > 8 {
        return Value::Long(bytes.to_vec());
    }
    let negative = bytes.last().is_some_and(|b| b & 0x80 != 0);
    let mut a = [if negative { 0xff } else { 0 }; 8];
    a[..bytes.len()].copy_from_slice(bytes);
    Value::Int(i64::from_le_bytes(a))
}

/// What kind of opcode we refuse, so the error says what was met.
fn opcode_name(op: u8) -> &'static str {
    match op {
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        0x81 => "NEWOBJ",
        0x8b => "LONG4",
        b'B' | b'C' | b'T' | b'U' => "a byte-string opcode",
        b'I' | b'L' | b'S' | b'V' | b'F' | b'P' | b'g' | b'p' | b'l' | b'd' | b'o' | b'i' => {
            "a protocol 0 opcode"
        }
        0x82..=0x84 => "an extension-registry opcode",
        0x8c..=0x98 => "a protocol 4 or 5 opcode",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests;
