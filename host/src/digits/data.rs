//! The data set: UCI optical digits, 8x8 pixels in 0..=16, one image per
//! line as 65 comma-separated integers (64 pixels, then the label).

use std::path::Path;

use super::{read_input, DigitsError, CLASSES, PIXELS, SHIPPED_DATA, SHIPPED_DATA_NAME};

/// The data set.
#[derive(Debug, Clone)]
pub struct Digits {
    /// Images, 64 pixels in 0..=16, row-major.
    pub images: Vec<[u8; PIXELS]>,
    /// Labels 0..=9.
    pub labels: Vec<u8>,
}

impl Digits {
    text_input! {
        /// Load a data set file (see [`Self::parse`]); reads at most
        /// [`crate::limits::MAX_FILE_BYTES`].
        load: "data set";
        /// The shipped data set (`host/data/digits.csv`, built into the library).
        shipped: SHIPPED_DATA, SHIPPED_DATA_NAME;
    }

    /// Parse a data set: 65 comma-separated integers per line (64 pixels
    /// in 0..=16, then the label 0..=9); blank lines are skipped. The set
    /// must have at least 5 images, so that the split ([`Self::split`])
    /// has both training and test images. `name` is used in messages.
    pub fn parse(text: &str, name: &str) -> Result<Self, DigitsError> {
        let mut images = vec![];
        let mut labels = vec![];
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let err = |what: String| DigitsError::Data {
                path: name.to_string(),
                line: i + 1,
                what,
            };
            let mut img = [0u8; PIXELS];
            let mut label = None;
            let mut fields = 0;
            for (k, f) in line.split(',').enumerate() {
                fields += 1;
                if k > PIXELS {
                    continue;
                }
                let v = f.trim().parse::<u32>().map_err(|e| {
                    err(format!(
                        "field {} is {f:?}: {e}; expected an integer",
                        k + 1
                    ))
                })?;
                if k < PIXELS {
                    if v > 16 {
                        return Err(err(format!("pixel {k} is {v}; allowed 0..=16")));
                    }
                    img[k] = v as u8;
                } else {
                    if v >= CLASSES as u32 {
                        return Err(err(format!("label {v}; allowed 0..=9")));
                    }
                    label = Some(v as u8);
                }
            }
            match label {
                Some(l) if fields == PIXELS + 1 => {
                    images.push(img);
                    labels.push(l);
                }
                _ => {
                    return Err(err(format!(
                        "{fields} fields; expected 65 (64 pixels and a label)"
                    )))
                }
            }
        }
        let d = Self { images, labels };
        let n = d.images.len();
        if n == 0 {
            return Err(DigitsError::DataSet {
                path: name.to_string(),
                what: "no images; expected lines of 65 comma-separated integers (64 pixels in 0..=16, then the label 0..=9)".into(),
            });
        }
        let (train, test) = d.split();
        if train.is_empty() || test.is_empty() {
            return Err(DigitsError::DataSet {
                path: name.to_string(),
                what: format!(
                    "{n} images give {} training and {} test images; every fifth image (k % 5 == 4) is a test image, the rest train, so at least 5 images are needed",
                    train.len(),
                    test.len()
                ),
            });
        }
        Ok(d)
    }

    /// Indices of the training (`k % 5 != 4`) and test (`k % 5 == 4`) images.
    pub fn split(&self) -> (Vec<usize>, Vec<usize>) {
        (0..self.images.len()).partition(|k| k % 5 != 4)
    }
}
