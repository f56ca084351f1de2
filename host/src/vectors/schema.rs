//! The vector file format (documented in `docs/vectors.md`).

use serde::{Deserialize, Serialize};

use crate::scnet::{LifFormat, LifParamsRaw, NetworkSpec};

/// Value of the `format` field of every vector file.
pub const FORMAT: &str = "sc-neuro-vectors";
/// Spec version the vectors follow (`docs/spec.md`).
pub const SPEC_VERSION: u32 = 1;

/// One vector file: a named group of cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Spec version; files of another version are rejected.
    pub spec_version: u32,
    /// Group name (file stem).
    pub group: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The cases.
    pub cases: Vec<Case>,
}

/// Bitwise operation of a [`Case::Bitwise`] (the kernel's, with its code
/// and file name).
pub use sc_kernel::ops::BitOp;

/// One test case. Inputs are fields of the variant; `expect` holds every
/// output an implementation must reproduce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Case {
    /// `pack(bits)` must give `expect.stream`; `unpack` must give `bits` back.
    Pack {
        /// Case name (unique in the file).
        name: String,
        /// Bit string, `'0'`/`'1'`, bit 0 first.
        bits: String,
        /// Expected output.
        expect: Expect<StreamExpect>,
    },
    /// A bitwise op on `len`-bit streams (hex).
    Bitwise {
        /// Case name.
        name: String,
        /// Operation.
        op: BitOp,
        /// Length in bits.
        len: usize,
        /// Operand `a`.
        a: String,
        /// Operand `b` (all but `not`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        b: Option<String>,
        /// Select stream (`mux` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sel: Option<String>,
        /// Expected output.
        expect: Expect<BitwiseExpect>,
    },
    /// Popcount and unipolar/bipolar decode of a stream.
    Decode {
        /// Case name.
        name: String,
        /// Length in bits (> 0).
        len: usize,
        /// The stream (hex).
        stream: String,
        /// Expected output.
        expect: Expect<DecodeExpect>,
    },
    /// Encode `p_q16` with an LFSR of `width` bits from `seed`.
    Lfsr {
        /// Case name.
        name: String,
        /// 8, 16 or 32.
        width: u32,
        /// Initial state.
        seed: u32,
        /// Probability, Q0.16 (0..=65536).
        p_q16: u32,
        /// Stream length.
        len: usize,
        /// Expected output.
        expect: Expect<GenExpect>,
    },
    /// Encode `p_q16` with Sobol dimension `dimension` from index `start`.
    Sobol {
        /// Case name.
        name: String,
        /// 0..16.
        dimension: usize,
        /// Start index.
        start: u32,
        /// Probability, Q0.16.
        p_q16: u32,
        /// Stream length.
        len: usize,
        /// Expected output.
        expect: Expect<GenExpect>,
    },
    /// Dense MAC, unsigned and signed (spec §5).
    Mac {
        /// Case name.
        name: String,
        /// Neurons.
        neurons: usize,
        /// Inputs.
        inputs: usize,
        /// Stream length.
        len: usize,
        /// `neurons * inputs` weight streams (hex), `[j][i]` order.
        weights: Vec<String>,
        /// `neurons` sign rows of `inputs` bits (bit strings, '1' = negative).
        signs: Vec<String>,
        /// `inputs` input streams (hex).
        x: Vec<String>,
        /// Expected output.
        expect: Expect<MacExpect>,
    },
    /// A LIF population over several steps (spec §6).
    Lif {
        /// Case name.
        name: String,
        /// Number format.
        format: LifFormat,
        /// Parameters (raw).
        params: LifParamsRaw,
        /// Neurons.
        neurons: usize,
        /// Input currents (raw), `[step][neuron]`.
        input: Vec<Vec<i32>>,
        /// Expected output.
        expect: Expect<LifExpect>,
    },
    /// A multi-layer SC network over several steps (spec §7).
    Network {
        /// Case name.
        name: String,
        /// The network.
        network: NetworkSpec,
        /// Input probabilities, Q0.16.
        inputs_q16: Vec<u32>,
        /// Time steps.
        steps: usize,
        /// Expected output.
        expect: Expect<NetworkExpect>,
    },
}

impl Case {
    /// The case's name.
    pub fn name(&self) -> &str {
        match self {
            Case::Pack { name, .. }
            | Case::Bitwise { name, .. }
            | Case::Decode { name, .. }
            | Case::Lfsr { name, .. }
            | Case::Sobol { name, .. }
            | Case::Mac { name, .. }
            | Case::Lif { name, .. }
            | Case::Network { name, .. } => name,
        }
    }

    /// The `kind` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Case::Pack { .. } => "pack",
            Case::Bitwise { .. } => "bitwise",
            Case::Decode { .. } => "decode",
            Case::Lfsr { .. } => "lfsr",
            Case::Sobol { .. } => "sobol",
            Case::Mac { .. } => "mac",
            Case::Lif { .. } => "lif",
            Case::Network { .. } => "network",
        }
    }

    /// The stored expectation as JSON.
    pub fn expect_json(&self) -> serde_json::Value {
        let v = match self {
            Case::Pack { expect, .. } => serde_json::to_value(expect),
            Case::Bitwise { expect, .. } => serde_json::to_value(expect),
            Case::Decode { expect, .. } => serde_json::to_value(expect),
            Case::Lfsr { expect, .. } | Case::Sobol { expect, .. } => serde_json::to_value(expect),
            Case::Mac { expect, .. } => serde_json::to_value(expect),
            Case::Lif { expect, .. } => serde_json::to_value(expect),
            Case::Network { expect, .. } => serde_json::to_value(expect),
        };
        v.unwrap_or(serde_json::Value::Null)
    }

    /// The kernel error (spec §8 variant name) the case expects, if its
    /// `expect` is `{"error": NAME}`.
    pub fn expected_error(&self) -> Option<&str> {
        match self {
            Case::Pack { expect, .. } => expect.error(),
            Case::Bitwise { expect, .. } => expect.error(),
            Case::Decode { expect, .. } => expect.error(),
            Case::Lfsr { expect, .. } | Case::Sobol { expect, .. } => expect.error(),
            Case::Mac { expect, .. } => expect.error(),
            Case::Lif { expect, .. } => expect.error(),
            Case::Network { expect, .. } => expect.error(),
        }
    }
}

/// The expectations of each kind (defined with their kind, re-exported here).
pub use super::kinds::{
    bitwise::BitwiseExpect, decode::DecodeExpect, generator::GenExpect, lif::LifExpect,
    mac::MacExpect, network::NetworkExpect, pack::StreamExpect,
};

/// A case's `expect`: the outputs, or `{"error": NAME}`, the spec §8
/// variant name of the kernel error the inputs must be rejected with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect<T> {
    /// The outputs.
    Value(T),
    /// The variant name (one of [`super::errors::ERROR_CODES`]).
    Error(String),
}

impl<T> Expect<T> {
    /// The outputs, if this is not an error expectation.
    pub fn value(&self) -> Option<&T> {
        match self {
            Expect::Value(v) => Some(v),
            Expect::Error(_) => None,
        }
    }
    /// The expected error's name, if any.
    pub fn error(&self) -> Option<&str> {
        match self {
            Expect::Value(_) => None,
            Expect::Error(e) => Some(e),
        }
    }
}

impl<T> From<T> for Expect<T> {
    fn from(v: T) -> Self {
        Expect::Value(v)
    }
}

impl<T: Serialize> Serialize for Expect<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Expect::Value(v) => v.serialize(s),
            Expect::Error(e) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("error", e)?;
                m.end()
            }
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Expect<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let v = serde_json::Value::deserialize(d)?;
        if let Some(obj) = v.as_object() {
            if let Some(e) = obj.get("error") {
                if obj.len() != 1 {
                    return Err(D::Error::custom(
                        "an error expectation has only the field `error`",
                    ));
                }
                let Some(name) = e.as_str() else {
                    return Err(D::Error::custom(format!(
                        "`error` is {e}, expected a string; allowed: {}",
                        super::errors::allowed()
                    )));
                };
                if super::errors::code(name).is_none() {
                    return Err(D::Error::custom(format!(
                        "unknown error {name:?}; allowed: {}",
                        super::errors::allowed()
                    )));
                }
                return Ok(Expect::Error(name.to_string()));
            }
        }
        T::deserialize(v)
            .map(Expect::Value)
            .map_err(D::Error::custom)
    }
}
