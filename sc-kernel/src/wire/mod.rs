//! The export word format (docs/vectors.md): one place that reads and
//! writes it, for the host's export, the firmware's readers, the firmware's
//! build script and any other consumer.
//!
//! A stream is 32-bit words: `MAGIC, n_records`, then per record `KIND,
//! N_PAYLOAD_WORDS, payload...`. A record whose KIND has [`ERROR_FLAG`]
//! set carries the inputs of a case expected to fail, followed by the
//! error's code ([`crate::ERROR_CODES`]). A model export is `MODEL_MAGIC,
//! n_words, network..., steps`.
//!
//! In the style of smoltcp's `wire`: every record kind has a `Repr`-like
//! struct that borrows its slices from the words, with `parse` (checking
//! every length against the words actually there, so hostile input gives
//! a [`WireError`], never a panic or an out-of-bounds read) and `emit`
//! (into any [`WordSink`]: a fixed buffer, a `heapless::Vec`, or with the
//! `alloc` feature a `Vec<u32>`). Nothing here checks semantics (seeds,
//! probabilities, parameters): the kernel's functions do, when a record is
//! run.
//!
//! Invariants: `parse` consumes exactly the words `emit` writes for the
//! same value; sizes are computed with checked arithmetic; a size that
//! does not fit `usize` is [`WireError::Invalid`].

mod network;
mod records;
mod samples;
#[cfg(feature = "alloc")]
mod vec_sink;

pub use network::{
    LayerRecord, LayerRecords, Model, Network, NetworkExpect, NetworkHead, NetworkRecord,
    NetworkTail,
};
pub use records::{
    BitwiseExpect, BitwiseRecord, DecodeExpect, DecodeRecord, GeneratorExpect, GeneratorRecord,
    LifExpect, LifRecord, MacExpect, MacRecord, PackRecord,
};
pub use samples::{Sample, Samples, SAMPLES_MAGIC};

use core::fmt;

use crate::word::words_for;

/// Magic word opening a vector export: ASCII "SCV1" read little-endian.
pub const MAGIC: u32 = u32::from_le_bytes(*b"SCV1");

/// Magic word opening a model export: ASCII "SCM1" read little-endian.
pub const MODEL_MAGIC: u32 = u32::from_le_bytes(*b"SCM1");

/// Flag or-ed into a record's KIND when the record expects an error: its
/// payload is the case's inputs followed by the error's code.
pub const ERROR_FLAG: u32 = 0x8000_0000;

/// Why words could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WireError {
    /// The words ended early: a field at word `at` needs `needed` words.
    Truncated {
        /// Word index (in the reader's slice) where the field starts.
        at: usize,
        /// Words the field needs.
        needed: usize,
    },
    /// The word at `at` holds an impossible value.
    Invalid {
        /// Word index (in the reader's slice).
        at: usize,
        /// What is wrong, e.g. `"unknown record kind"`.
        what: &'static str,
    },
    /// The sink is full.
    Full {
        /// Its capacity in words.
        capacity: usize,
    },
    /// A value to emit is inconsistent: a slice's length differs from what
    /// the record's header fields call for.
    Inconsistent {
        /// The field, e.g. `"weights"`.
        field: &'static str,
        /// Words the header fields call for.
        expected: usize,
        /// Words given.
        found: usize,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WireError::Truncated { at, needed } => write!(
                f,
                "the words end early: word {at} starts a field of {needed} words"
            ),
            WireError::Invalid { at, what } => write!(f, "word {at}: {what}"),
            WireError::Full { capacity } => {
                write!(f, "the output is full ({capacity} words)")
            }
            WireError::Inconsistent {
                field,
                expected,
                found,
            } => write!(
                f,
                "field `{field}` has {found} words; the record's sizes call for {expected}"
            ),
        }
    }
}

impl core::error::Error for WireError {}

/// A cursor over words that never reads past the end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    words: &'a [u32],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Read from the start of `words`.
    pub fn new(words: &'a [u32]) -> Self {
        Self { words, pos: 0 }
    }

    /// Read `words` past their first, which must be `magic` (else
    /// [`WireError::Invalid`] at 0 saying `what`).
    pub(crate) fn after_magic(
        words: &'a [u32],
        magic: u32,
        what: &'static str,
    ) -> Result<Self, WireError> {
        let mut r = Self::new(words);
        if r.u32()? != magic {
            return Err(WireError::Invalid { at: 0, what });
        }
        Ok(r)
    }

    /// Index of the next word.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Words left.
    pub fn remaining(&self) -> usize {
        self.words.len().saturating_sub(self.pos)
    }

    /// The next word.
    pub fn u32(&mut self) -> Result<u32, WireError> {
        let w = self
            .words
            .get(self.pos)
            .copied()
            .ok_or(WireError::Truncated {
                at: self.pos,
                needed: 1,
            })?;
        self.pos += 1;
        Ok(w)
    }

    /// The next word as a signed (two's-complement) value.
    pub fn i32(&mut self) -> Result<i32, WireError> {
        self.u32().map(u32::cast_signed)
    }

    /// The next word as a count (an error where `usize` is narrower).
    pub fn usize(&mut self) -> Result<usize, WireError> {
        self.word_as("count does not fit usize", |w| usize::try_from(w).ok())
    }

    /// The next word converted by `f`; [`WireError::Invalid`] at that word,
    /// saying `what`, where `f` gives `None`.
    pub(crate) fn word_as<T>(
        &mut self,
        what: &'static str,
        f: impl FnOnce(u32) -> Option<T>,
    ) -> Result<T, WireError> {
        let at = self.pos;
        let w = self.u32()?;
        f(w).ok_or(WireError::Invalid { at, what })
    }

    /// The next `n` words.
    pub fn take(&mut self, n: usize) -> Result<&'a [u32], WireError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.words.len());
        match end {
            Some(e) => {
                let s = &self.words[self.pos..e];
                self.pos = e;
                Ok(s)
            }
            None => Err(WireError::Truncated {
                at: self.pos,
                needed: n,
            }),
        }
    }

    /// The next `N` words as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u32; N], WireError> {
        let s = self.take(N)?;
        let mut a = [0u32; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// An [`WireError::Invalid`] at the current position.
    pub fn invalid(&self, what: &'static str) -> WireError {
        WireError::Invalid { at: self.pos, what }
    }

    /// [`WireError::Invalid`] unless every word has been read.
    pub fn finish(&self) -> Result<(), WireError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(self.invalid("words left over after the record"))
        }
    }
}

/// `a * b` as a word count, or [`WireError::Invalid`] at `at`.
pub(crate) fn mul(at: usize, a: usize, b: usize) -> Result<usize, WireError> {
    a.checked_mul(b).ok_or(WireError::Invalid {
        at,
        what: "size overflows usize",
    })
}

/// Words of a stream of `bits` bits.
pub(crate) fn stream_words(bits: usize) -> usize {
    words_for::<u32>(bits)
}

/// Where emitted words go.
pub trait WordSink {
    /// Append one word.
    fn push(&mut self, w: u32) -> Result<(), WireError>;

    /// Append every word of `ws`.
    fn extend(&mut self, ws: &[u32]) -> Result<(), WireError> {
        ws.iter().try_for_each(|&w| self.push(w))
    }
}

impl<const N: usize> WordSink for heapless::Vec<u32, N> {
    fn push(&mut self, w: u32) -> Result<(), WireError> {
        heapless::Vec::push(self, w).map_err(|_| WireError::Full { capacity: N })
    }
}

/// A [`WordSink`] over a caller's buffer.
#[derive(Debug)]
pub struct SliceSink<'a> {
    buf: &'a mut [u32],
    len: usize,
}

impl<'a> SliceSink<'a> {
    /// Write from the start of `buf`.
    pub fn new(buf: &'a mut [u32]) -> Self {
        Self { buf, len: 0 }
    }

    /// The words written so far.
    pub fn written(&self) -> &[u32] {
        &self.buf[..self.len]
    }
}

impl WordSink for SliceSink<'_> {
    fn push(&mut self, w: u32) -> Result<(), WireError> {
        let capacity = self.buf.len();
        let slot = self
            .buf
            .get_mut(self.len)
            .ok_or(WireError::Full { capacity })?;
        *slot = w;
        self.len += 1;
        Ok(())
    }
}

/// Counts words instead of storing them: the size of an emission.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountSink(pub usize);

impl WordSink for CountSink {
    fn push(&mut self, _: u32) -> Result<(), WireError> {
        self.0 = self.0.saturating_add(1);
        Ok(())
    }
}

/// Check that `found` words were given where `expected` are called for.
pub(crate) fn consistent(
    field: &'static str,
    expected: usize,
    found: usize,
) -> Result<(), WireError> {
    if expected == found {
        Ok(())
    } else {
        Err(WireError::Inconsistent {
            field,
            expected,
            found,
        })
    }
}

/// A record kind, with its KIND code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Kind {
    /// `pack` (1).
    Pack = 1,
    /// `bitwise` (2).
    Bitwise = 2,
    /// `decode` (3).
    Decode = 3,
    /// `lfsr` (4).
    Lfsr = 4,
    /// `sobol` (5).
    Sobol = 5,
    /// `mac` (6).
    Mac = 6,
    /// `lif` (7).
    Lif = 7,
    /// `network` (8).
    Network = 8,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 8] = [
        Kind::Pack,
        Kind::Bitwise,
        Kind::Decode,
        Kind::Lfsr,
        Kind::Sobol,
        Kind::Mac,
        Kind::Lif,
        Kind::Network,
    ];

    /// The KIND code (1..=8).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The kind of a KIND code (without [`ERROR_FLAG`]).
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind's name in vector files (`"pack"`, ..., `"network"`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Pack => "pack",
            Kind::Bitwise => "bitwise",
            Kind::Decode => "decode",
            Kind::Lfsr => "lfsr",
            Kind::Sobol => "sobol",
            Kind::Mac => "mac",
            Kind::Lif => "lif",
            Kind::Network => "network",
        }
    }
}

/// One record of a vector export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The KIND word as written (with [`ERROR_FLAG`] for error records).
    pub kind_word: u32,
    /// The payload words.
    pub payload: &'a [u32],
}

impl<'a> Record<'a> {
    /// The record's kind, `None` for an unknown code.
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_code(self.kind_word & !ERROR_FLAG)
    }

    /// For an error record: the inputs and the expected error's code
    /// (`None` for a plain record, or an error record without words).
    pub fn error(&self) -> Option<(&'a [u32], u32)> {
        if self.kind_word & ERROR_FLAG == 0 {
            return None;
        }
        self.payload
            .split_last()
            .map(|(&code, inputs)| (inputs, code))
    }

    /// Read one record (`KIND, N, payload`).
    pub fn parse(r: &mut Reader<'a>) -> Result<Self, WireError> {
        let kind_word = r.u32()?;
        let n = r.usize()?;
        let payload = r.take(n)?;
        Ok(Self { kind_word, payload })
    }

    /// Write a record of `kind` with `payload`; `error: Some(code)` makes
    /// it an error record (KIND with [`ERROR_FLAG`], the code appended).
    pub fn emit(
        kind: Kind,
        error: Option<u32>,
        payload: &[u32],
        out: &mut impl WordSink,
    ) -> Result<(), WireError> {
        let n = payload.len().saturating_add(usize::from(error.is_some()));
        let n = u32::try_from(n).map_err(|_| WireError::Inconsistent {
            field: "payload",
            expected: u32::MAX as usize,
            found: n,
        })?;
        out.push(kind.code() | if error.is_some() { ERROR_FLAG } else { 0 })?;
        out.push(n)?;
        out.extend(payload)?;
        if let Some(code) = error {
            out.push(code)?;
        }
        Ok(())
    }
}

/// The records of a vector export: the header is checked by [`Self::new`];
/// iteration yields each record or the first framing error (then stops).
#[derive(Debug, Clone)]
pub struct Records<'a> {
    r: Reader<'a>,
    left: usize,
    failed: bool,
}

impl<'a> Records<'a> {
    /// Read the header (`MAGIC, n_records`) of `words`.
    pub fn new(words: &'a [u32]) -> Result<Self, WireError> {
        let mut r = Reader::after_magic(words, MAGIC, "not a vector export (magic is not SCV1)")?;
        let left = r.usize()?;
        Ok(Self {
            r,
            left,
            failed: false,
        })
    }

    /// Records the header announces.
    pub fn announced(&self) -> usize {
        self.left
    }

    /// Word index of the next record in the stream.
    pub fn pos(&self) -> usize {
        self.r.pos()
    }

    /// Write the header of an export of `records` records.
    pub fn emit_header(records: u32, out: &mut impl WordSink) -> Result<(), WireError> {
        out.push(MAGIC)?;
        out.push(records)
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 || self.failed {
            return None;
        }
        self.left -= 1;
        let r = Record::parse(&mut self.r);
        self.failed = r.is_err();
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_code(k.code()), Some(k));
        }
        assert_eq!(Kind::from_code(0), None);
        assert_eq!(Kind::from_code(9), None);
    }

    #[test]
    fn records_frame_and_stop_at_the_first_error() {
        let mut buf = [0u32; 16];
        let mut s = SliceSink::new(&mut buf);
        Records::emit_header(2, &mut s).unwrap();
        Record::emit(Kind::Decode, None, &[1, 2], &mut s).unwrap();
        Record::emit(Kind::Lfsr, Some(6), &[7], &mut s).unwrap();
        let n = s.written().len();
        let words = &buf[..n];
        let recs: Result<heapless::Vec<Record<'_>, 4>, _> = Records::new(words).unwrap().collect();
        let recs = recs.unwrap();
        assert_eq!(recs[0].kind(), Some(Kind::Decode));
        assert_eq!(recs[0].payload, &[1, 2]);
        assert_eq!(recs[1].error(), Some((&[7u32][..], 6)));
        // A truncated stream gives an error, then nothing.
        let mut it = Records::new(&words[..n - 1]).unwrap();
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
        assert!(Records::new(&[0, 0]).is_err());
    }
}
