//! [`WordSink`] for `alloc::vec::Vec<u32>` (feature `alloc`).

extern crate alloc;

use alloc::vec::Vec;

use super::{WireError, WordSink};

impl WordSink for Vec<u32> {
    /// Appends; the allocation is fallible: a failed reservation is
    /// [`WireError::Full`] with the current length, not an abort.
    fn push(&mut self, w: u32) -> Result<(), WireError> {
        self.try_reserve(1).map_err(|_| WireError::Full {
            capacity: self.len(),
        })?;
        Vec::push(self, w);
        Ok(())
    }

    fn extend(&mut self, ws: &[u32]) -> Result<(), WireError> {
        self.try_reserve(ws.len()).map_err(|_| WireError::Full {
            capacity: self.len(),
        })?;
        self.extend_from_slice(ws);
        Ok(())
    }
}
