//! Text forms of streams used by the vector files and model files.
//!
//! - *hex*: the canonical bytes (spec §1.2), two lowercase hex digits each.
//! - *bit strings*: one `'0'`/`'1'` character per bit, bit 0 first.

use sc_kernel::pack::{bytes_for, from_bytes, to_bytes};
use sc_kernel::{words_for, BitSlice, BitSliceMut, Word};

/// A text field that does not decode to what its length says.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    /// Wrong number of hex digits for the stated length.
    #[error("hex has {found} digits; a {len}-bit stream needs exactly {expected}")]
    HexLength {
        /// Bits.
        len: usize,
        /// Digits needed.
        expected: usize,
        /// Digits given.
        found: usize,
    },
    /// A character that is not a hex digit.
    #[error("invalid hex digit {ch:?} at position {pos}; allowed: 0-9, a-f")]
    HexDigit {
        /// Offending character.
        ch: char,
        /// Its position.
        pos: usize,
    },
    /// A character other than '0' or '1' in a bit string.
    #[error("invalid bit {ch:?} at position {pos}; allowed: '0' or '1'")]
    Bit {
        /// Offending character.
        ch: char,
        /// Its position.
        pos: usize,
    },
    /// The kernel rejected the decoded stream (e.g. padding bits set).
    #[error(transparent)]
    Kernel(#[from] sc_kernel::Error),
}

/// Hex of a stream's canonical bytes.
pub fn stream_to_hex<W: Word>(s: BitSlice<'_, W>) -> String {
    let mut bytes = vec![0u8; bytes_for(s.len())];
    // Cannot fail: the buffer has exactly the canonical length.
    to_bytes(s, &mut bytes).expect("canonical length");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parse hex bytes (any length).
pub fn hex_to_bytes(hex: &str) -> Result<Vec<u8>, TextError> {
    let digits: Vec<u8> = hex
        .chars()
        .enumerate()
        .map(|(pos, ch)| {
            ch.to_digit(16)
                .filter(|_| !ch.is_ascii_uppercase())
                .map(|d| d as u8)
                .ok_or(TextError::HexDigit { ch, pos })
        })
        .collect::<Result<_, _>>()?;
    if !digits.len().is_multiple_of(2) {
        return Err(TextError::HexLength {
            len: digits.len() * 4,
            expected: digits.len() + 1,
            found: digits.len(),
        });
    }
    Ok(digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
}

/// Decode the hex of a `len`-bit stream into packed words.
pub fn hex_to_words<W: Word>(hex: &str, len: usize) -> Result<Vec<W>, TextError> {
    let expected = 2 * bytes_for(len);
    if hex.len() != expected {
        return Err(TextError::HexLength {
            len,
            expected,
            found: hex.len(),
        });
    }
    let bytes = hex_to_bytes(hex)?;
    let mut words = vec![W::ZERO; words_for::<W>(len)];
    from_bytes(&bytes, &mut BitSliceMut::new(&mut words, len)?)?;
    Ok(words)
}

/// A bit string of 0/1 bytes.
pub fn bits_from_str(s: &str) -> Result<Vec<u8>, TextError> {
    s.chars()
        .enumerate()
        .map(|(pos, ch)| match ch {
            '0' => Ok(0),
            '1' => Ok(1),
            _ => Err(TextError::Bit { ch, pos }),
        })
        .collect()
}

/// The bit string of 0/1 values (or bools).
pub fn bits_to_str(bits: impl IntoIterator<Item = bool>) -> String {
    bits.into_iter()
        .map(|b| if b { '1' } else { '0' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_errors() {
        let w: Vec<u32> = hex_to_words("ff01", 9).unwrap();
        assert_eq!(w, vec![0x1ff]);
        assert_eq!(stream_to_hex(BitSlice::new(&w, 9).unwrap()), "ff01");
        assert!(matches!(
            hex_to_words::<u32>("ff03", 9),
            Err(TextError::Kernel(_))
        ));
        assert!(matches!(
            hex_to_words::<u32>("ff", 9),
            Err(TextError::HexLength { .. })
        ));
        assert!(matches!(
            hex_to_words::<u32>("FF01", 9),
            Err(TextError::HexDigit { .. })
        ));
        assert_eq!(bits_from_str("0110").unwrap(), vec![0, 1, 1, 0]);
        assert_eq!(
            bits_from_str("012"),
            Err(TextError::Bit { ch: '2', pos: 2 })
        );
        assert_eq!(hex_to_words::<u64>("", 0).unwrap(), Vec::<u64>::new());
    }
}
