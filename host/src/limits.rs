//! Limits on what input may make the host allocate or loop over.
//!
//! Every size that comes from a file or a command line is first checked
//! against the data actually given (a length field against the number of
//! values that follow it). Sizes that no data backs (time steps, stream
//! lengths, batch sizes) are checked here, before anything is allocated:
//! a buffer is allocated only when its byte size fits [`max_alloc_bytes`]
//! and the allocator grants it (`try_reserve`), so hostile input gets a
//! typed [`LimitError`] naming the field and the limit instead of an abort.

use std::fmt;

/// Default ceiling for one buffer sized by input: 4 GiB.
pub const DEFAULT_MAX_ALLOC_BYTES: u64 = 4 << 30;

/// Largest file the host reads whole (vector files, model files, data
/// sets): 256 MiB. Reads stop there, so `/dev/zero` or a fifo cannot hang
/// or exhaust memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// The ceiling for one input-sized buffer in bytes: the environment
/// variable `SC_MAX_ALLOC_BYTES` if set to a positive integer, else
/// [`DEFAULT_MAX_ALLOC_BYTES`].
pub fn max_alloc_bytes() -> u64 {
    std::env::var("SC_MAX_ALLOC_BYTES")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&v| v > 0)
        .unwrap_or(DEFAULT_MAX_ALLOC_BYTES)
}

/// A size from input that is too large to allocate or process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError {
    /// The field, flag or path the size came from (e.g. `--steps`,
    /// `case "x" field neurons`).
    pub what: String,
    /// What was asked for, in words (e.g. `2^40 steps x 10 neurons`).
    pub requested: String,
    /// What is allowed, in words.
    pub allowed: String,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} is too large; allowed: {}",
            self.what, self.requested, self.allowed
        )
    }
}

impl std::error::Error for LimitError {}

/// Bytes of `count` elements of `T`, checked against [`max_alloc_bytes`].
pub fn check_bytes<T>(what: &str, count: usize) -> Result<usize, LimitError> {
    let size = std::mem::size_of::<T>().max(1) as u128;
    let bytes = count as u128 * size;
    let max = max_alloc_bytes();
    if bytes > max as u128 {
        return Err(LimitError {
            what: what.to_string(),
            requested: format!("{count} elements ({bytes} bytes)"),
            allowed: format!(
                "at most {max} bytes per buffer (set SC_MAX_ALLOC_BYTES to raise the limit)"
            ),
        });
    }
    Ok(bytes as usize)
}

/// A vector of `count` copies of `value`, or a [`LimitError`] naming
/// `what` when the buffer is over [`max_alloc_bytes`] or the allocator
/// refuses it. Never aborts on a size.
pub fn try_vec<T: Clone>(what: &str, count: usize, value: T) -> Result<Vec<T>, LimitError> {
    let mut v = try_with_capacity(what, count)?;
    v.resize(count, value);
    Ok(v)
}

/// An empty vector with room for `count` elements (see [`try_vec`]).
pub fn try_with_capacity<T>(what: &str, count: usize) -> Result<Vec<T>, LimitError> {
    check_bytes::<T>(what, count)?;
    let mut v = Vec::new();
    v.try_reserve_exact(count).map_err(|_| LimitError {
        what: what.to_string(),
        requested: format!("{count} elements"),
        allowed: "what the allocator can grant".into(),
    })?;
    Ok(v)
}

/// Read a whole file, at most [`MAX_FILE_BYTES`]: a larger file, a
/// device or a fifo that never ends gets an error instead of a hang. The
/// error message names the path.
pub fn read_bytes(path: &std::path::Path) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let p = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: p.clone(),
        source,
    })?;
    let mut buf = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|source| ReadError::Io {
            path: p.clone(),
            source,
        })?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge {
            path: p,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(buf)
}

/// [`read_bytes`], as UTF-8 text.
pub fn read_text(path: &std::path::Path) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path)?).map_err(|e| ReadError::NotUtf8 {
        path: path.display().to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Why [`read_text`] failed. The message names the path; the cause (if
/// any) is the error's source, not repeated in the message.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening or reading failed.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Longer than [`MAX_FILE_BYTES`].
    #[error("{path}: larger than {limit} bytes, the limit for files read whole")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// Not UTF-8 text.
    #[error("{path}: not UTF-8 text (first bad byte at offset {offset})")]
    NotUtf8 {
        /// The file.
        path: String,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_sizes_are_errors_not_aborts() {
        let e = try_vec::<u64>("--steps", 1 << 40, 0).unwrap_err();
        assert_eq!(e.what, "--steps");
        assert!(e.to_string().contains("too large"), "{e}");
        assert!(try_with_capacity::<u8>("x", usize::MAX).is_err());
        assert_eq!(try_vec("ok", 3, 7u8).unwrap(), vec![7, 7, 7]);
    }

    #[test]
    fn reads_are_bounded() {
        // /dev/zero never ends: the bounded read must stop and report it.
        if std::path::Path::new("/dev/zero").exists() {
            let e = read_text(std::path::Path::new("/dev/zero")).unwrap_err();
            assert!(matches!(e, ReadError::TooLarge { .. }), "{e}");
            assert!(e.to_string().contains("/dev/zero"));
        }
        let e = read_text(std::path::Path::new("/nonexistent/x.json")).unwrap_err();
        assert_eq!(e.to_string(), "cannot read /nonexistent/x.json");
    }
}
