//! Running a case on an implementation: the case errors, the object-safe
//! [`Implementation`] every [`Backend`] is boxed as, and the dispatch of
//! evaluation and validation to the case kinds ([`super::kinds`]).

use std::marker::PhantomData;

use sc_kernel::Word;

use super::kinds;
use super::schema::Case;
pub use crate::backend::{implementations, Which};
use crate::backend::{Backend, BackendError, KernelBackend};
use crate::limits::LimitError;
use crate::scnet::NetError;

/// Why a case could not be evaluated (bad input in the vector file, or an
/// implementation that refused it).
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// A malformed or out-of-range field; the cause is the error's source
    /// (not repeated in the message).
    #[error("field `{field}`")]
    Field {
        /// Field name, e.g. `expect.stream` or `input[3][1]`.
        field: String,
        /// What was wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A field inconsistent with the rest of the case.
    #[error("field `{field}`: {what}")]
    Bad {
        /// Field name.
        field: String,
        /// What is wrong and what is allowed.
        what: String,
    },
    /// The kernel rejected the inputs.
    #[error(transparent)]
    Kernel(#[from] sc_kernel::Error),
    /// The network could not be built or run.
    #[error(transparent)]
    Net(#[from] NetError),
    /// A size from the case is too large to allocate.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A number does not fit the export's 32-bit words.
    #[error("field `{field}`: {value} does not fit in 32 bits; allowed: 0..=4294967295")]
    TooWide {
        /// Field name.
        field: String,
        /// The value.
        value: String,
    },
    /// Inconsistent inputs.
    #[error("{0}")]
    Invalid(String),
    /// This implementation does not support the case kind.
    #[error("not supported by this implementation")]
    Unsupported,
}

impl From<BackendError> for CaseError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Kernel(k) => CaseError::Kernel(k),
            BackendError::Device(s) => CaseError::Invalid(s),
            BackendError::Network(n) => CaseError::Net(n),
            BackendError::Unsupported(_) => CaseError::Unsupported,
        }
    }
}

/// Attach the field name `name` to an error.
pub fn field<T, E: Into<Box<dyn std::error::Error + Send + Sync>>>(
    name: impl Into<String>,
    r: Result<T, E>,
) -> Result<T, CaseError> {
    r.map_err(|e| CaseError::Field {
        field: name.into(),
        source: e.into(),
    })
}

/// A [`CaseError::Bad`] for `field`.
pub(crate) fn bad(field: impl Into<String>, what: impl Into<String>) -> CaseError {
    CaseError::Bad {
        field: field.into(),
        what: what.into(),
    }
}

/// An error and its causes, joined with `": "` (each cause once).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Something that can run vector cases: each returns the case with its
/// `expect` recomputed. Every [`Backend`] is one, boxed as a
/// [`BackendImpl`] ([`implementations`]).
pub trait Implementation: Sync {
    /// Short name used in reports.
    fn name(&self) -> &str;
    /// Evaluate `case`, returning it with `expect` replaced by this
    /// implementation's outputs.
    fn evaluate(&self, case: &Case) -> Result<Case, CaseError>;
}

/// A [`Backend`] over words `W` as an [`Implementation`].
pub struct BackendImpl<W: Word, B: Backend<W>> {
    backend: B,
    name: String,
    words: PhantomData<fn() -> W>,
}

impl<W: Word, B: Backend<W>> BackendImpl<W, B> {
    /// Wrap a backend (its name is taken once, here).
    pub fn new(backend: B) -> Self {
        let name = backend.name();
        Self {
            backend,
            name,
            words: PhantomData,
        }
    }
    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }
}

impl<W: Word, B: Backend<W>> Implementation for BackendImpl<W, B> {
    fn name(&self) -> &str {
        &self.name
    }
    fn evaluate(&self, case: &Case) -> Result<Case, CaseError> {
        evaluate_with::<W, B>(&self.backend, case)
    }
}

/// The kernel reference with words `W` as an [`Implementation`].
pub fn kernel<W: Word>() -> BackendImpl<W, KernelBackend<W>> {
    BackendImpl::new(KernelBackend::default())
}

/// Evaluate `case` on the kernel with words `W`.
pub fn evaluate<W: Word>(case: &Case) -> Result<Case, CaseError> {
    evaluate_with::<W, _>(&KernelBackend::<W>::default(), case)
}

/// Evaluate `case` on backend `b`. The inputs are checked first
/// ([`validate_inputs`]); buffers sized by the case are allocated through
/// [`crate::limits`].
pub fn evaluate_with<W: Word, B: Backend<W>>(b: &B, case: &Case) -> Result<Case, CaseError> {
    let generic = matches!(case, Case::Lfsr { .. } | Case::Sobol { .. });
    if generic && !b.runs_generators() {
        return Err(CaseError::Unsupported);
    }
    validate_inputs(case)?;
    let mut out = case.clone();
    match &out {
        Case::Pack { .. } => kinds::pack::evaluate(b, &mut out)?,
        Case::Bitwise { .. } => kinds::bitwise::evaluate(b, &mut out)?,
        Case::Decode { .. } => kinds::decode::evaluate(b, &mut out)?,
        Case::Lfsr { .. } | Case::Sobol { .. } => kinds::generator::evaluate::<W>(&mut out)?,
        Case::Mac { .. } => kinds::mac::evaluate(b, &mut out)?,
        Case::Lif { .. } => kinds::lif::evaluate(b, &mut out)?,
        Case::Network { .. } => kinds::network::evaluate(b, &mut out)?,
    }
    Ok(out)
}

/// Check a case's inputs against each other before anything is allocated:
/// stream lengths against `len`, stream and row counts against the
/// shapes, operands against the op, value ranges. Sizes no data backs are
/// capped when allocated ([`crate::limits`]).
pub fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    checks(case).0(case)
}

/// Check a case's stored `expect` has the shape its inputs imply (stream
/// lengths, counts per neuron and step), so sizes the outputs would take
/// are backed by data in the file before a case runs.
pub fn validate_expect(case: &Case) -> Result<(), CaseError> {
    if case.expected_error().is_some() {
        return Ok(());
    }
    checks(case).1(case)
}

/// One check of a case.
type Check = fn(&Case) -> Result<(), CaseError>;

/// The checks of `case`'s kind: its inputs ([`validate_inputs`]) and its
/// expectation's shape ([`validate_expect`]).
fn checks(case: &Case) -> (Check, Check) {
    use kinds::*;
    match case {
        Case::Pack { .. } => (pack::validate_inputs, pack::validate_expect),
        Case::Bitwise { .. } => (bitwise::validate_inputs, bitwise::validate_expect),
        // No stream in `expect`.
        Case::Decode { .. } => (decode::validate_inputs, |_| Ok(())),
        Case::Lfsr { .. } | Case::Sobol { .. } => {
            (generator::validate_inputs, generator::validate_expect)
        }
        Case::Mac { .. } => (mac::validate_inputs, mac::validate_expect),
        Case::Lif { .. } => (lif::validate_inputs, lif::validate_expect),
        Case::Network { .. } => (network::validate_inputs, network::validate_expect),
    }
}

/// [`validate_inputs`] and [`validate_expect`].
pub fn validate(case: &Case) -> Result<(), CaseError> {
    validate_inputs(case)?;
    validate_expect(case)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::check::{check_case, Outcome};
    use serde_json::json;

    fn case(v: serde_json::Value) -> Case {
        serde_json::from_value(v).expect("parses")
    }

    fn kernel() -> BackendImpl<u32, KernelBackend<u32>> {
        super::kernel()
    }

    fn error(c: &Case) -> String {
        match check_case(&kernel(), c) {
            Outcome::Error(e) => e,
            o => panic!("expected an error, got {o:?}"),
        }
    }

    // Class 1: sizes from input are checked against the data (or capped)
    // before anything is allocated.
    #[test]
    fn unbacked_sizes_are_errors_not_aborts() {
        let lif = case(json!({"kind": "lif", "name": "huge", "format": "q16.16",
            "params": {"v_rest": 0, "v_reset": 0, "threshold": 65536, "alpha": 16384,
                       "resistance": 65536, "refractory": 0},
            "neurons": 1u64 << 62, "input": [],
            "expect": {"v": [], "refractory": [], "spikes": []}}));
        let e = error(&lif);
        assert!(e.starts_with("neurons: ") && e.contains("too large"), "{e}");
        // A row that does not have `neurons` values.
        let mut short = lif.clone();
        if let Case::Lif { neurons, input, .. } = &mut short {
            *neurons = 3;
            input.push(vec![1, 2]);
        }
        let e = error(&short);
        assert!(e.contains("field `input[0]`: 2 values"), "{e}");
        let lfsr = case(json!({"kind": "lfsr", "name": "l", "width": 16, "seed": 1,
            "p_q16": 100, "len": 1u64 << 40,
            "expect": {"stream": "", "ones": 0, "values": [], "end_state": 1}}));
        let e = error(&lfsr);
        assert!(
            e.starts_with("field `expect.stream`: hex has 0 digits"),
            "{e}"
        );
        // The generator path (no expectation check) is capped too.
        let e = evaluate::<u32>(&lfsr).unwrap_err();
        assert!(
            matches!(e, CaseError::Limit(ref l) if l.what == "len"),
            "{e}"
        );
        let mac = case(json!({"kind": "mac", "name": "m", "neurons": 1u64 << 40,
            "inputs": 4, "len": 8, "weights": [], "signs": [], "x": [],
            "expect": {"unsigned": [], "signed": []}}));
        let e = error(&mac);
        assert!(e.starts_with("field `weights`: 0 streams"), "{e}");
    }

    // Class 3: operands an op does not use are errors; used ones are parsed.
    #[test]
    fn unused_operands_are_errors() {
        let and = |extra: serde_json::Value| {
            let mut v = json!({"kind": "bitwise", "name": "b", "op": "and", "len": 8,
                "a": "ff", "b": "0f", "expect": {"out": "0f", "popcount": 4}});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            case(v)
        };
        assert_eq!(check_case(&kernel(), &and(json!({}))), Outcome::Pass);
        let e = error(&and(json!({"sel": "zz"})));
        assert_eq!(e, "field `sel`: op `and` does not use it; remove the field");
        let e = error(&and(json!({"op": "not"})));
        assert_eq!(e, "field `b`: op `not` does not use it; remove the field");
        let e = error(&and(json!({"op": "mux"})));
        assert_eq!(e, "field `sel`: missing; op `mux` needs it");
        let e = error(&and(json!({"op": "mux", "sel": "zz"})));
        assert!(e.starts_with("field `sel`: invalid hex digit 'z'"), "{e}");
    }

    // Class 10: value ranges of generator cases.
    #[test]
    fn generator_fields_are_range_checked() {
        let lfsr = |w: u32, p: u32, end: u32| {
            case(
                json!({"kind": "lfsr", "name": "l", "width": w, "seed": 1, "p_q16": p,
                "len": 1, "expect": {"stream": "00", "ones": 0, "values": [0], "end_state": end}}),
            )
        };
        assert!(error(&lfsr(7, 0, 1)).starts_with("field `width`: 7; allowed: 8, 16, 32"));
        assert!(error(&lfsr(8, 65537, 1)).starts_with("field `p_q16`: "));
        assert!(error(&lfsr(8, 0, 256)).starts_with("field `expect.end_state`: 256"));
        let sobol = |d: u64, start: u32| {
            case(
                json!({"kind": "sobol", "name": "s", "dimension": d, "start": start,
                "p_q16": 0, "len": 1,
                "expect": {"stream": "00", "ones": 0, "values": [0], "end_state": 1}}),
            )
        };
        assert!(error(&sobol((1 << 32) + 1, 0)).starts_with("field `dimension`: "));
        assert!(error(&sobol(0, 65536)).starts_with("field `start`: 65536; allowed"));
    }

    // Class 8: a field error names the field once and its cause once.
    #[test]
    fn error_chains_do_not_repeat() {
        let e =
            field::<(), _>("a", Err(crate::hex::TextError::Bit { ch: 'x', pos: 0 })).unwrap_err();
        assert_eq!(e.to_string(), "field `a`");
        assert_eq!(
            chain(&e),
            "field `a`: invalid bit 'x' at position 0; allowed: '0' or '1'"
        );
        let k = CaseError::Kernel(sc_kernel::Error::ShapeOverflow);
        assert_eq!(chain(&k), k.to_string());
    }
}
