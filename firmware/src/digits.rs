//! The digits demo: the shipped SC + fixed-point LIF model (embedded by
//! `build.rs` from `models/digits.json`) classifies the test images of the
//! UCI optical digits on the target; every prediction is compared with the
//! host's bit-exact reference prediction, also embedded. The network runs
//! in the counting form of spec §7.1 ([`netdesc::CountForm`]): the same
//! bits as the bitstream form, from 2 bytes per synapse in flash.

use sc_kernel::net::argmax;
use sc_kernel::sng::Probability;

use crate::gen::digits as data;
use crate::netdesc::{self, CountForm, NetDesc, NetError};
use sc_kernel::wire::Model;

/// The model in the counting form of spec §7.1 (embedded by `build.rs`):
/// signed weight counts (2 bytes per synapse) and layer 0's ranks.
pub const FORM: CountForm<'static> = CountForm {
    weights: data::MODEL_COUNTS,
    rank: &data::MODEL_RANK,
};

/// Number of embedded test images.
pub const IMAGES: usize = data::IMAGES.len();

/// The embedded model ([`sc_kernel::wire::Model`]): its network,
/// validated by the kernel, and time steps per image.
pub fn model() -> Result<(NetDesc<'static>, usize), NetError> {
    let m = Model::parse(&data::MODEL)?;
    Ok((netdesc::from_network(m.network)?, m.steps as usize))
}

/// Check the embedded weight counts and ranks against the weight
/// source's values (spec §7.1: each count is the ones of the kernel's
/// encoding of the weight stream).
pub fn verify(net: &NetDesc<'_>) -> Result<(), NetError> {
    net.verify_counts::<{ data::MAX_TABLE }>(&FORM)
}

/// Classify test image `k` (`k < IMAGES`): the predicted class.
pub fn classify(net: &NetDesc<'_>, steps: usize, k: usize) -> Result<u8, NetError> {
    let img = data::IMAGES
        .get(k)
        .ok_or(NetError::too_large("image index", k + 1, IMAGES))?;
    let mut inputs = [Probability::ZERO; data::INPUTS];
    for (p, &ix) in inputs.iter_mut().zip(img.iter()) {
        *p = Probability::from_q16(data::INPUT_TABLE[ix as usize])?;
    }
    let classes = net.dims[net.dims.len() - 1];
    let mut counts = [0u32; data::MAX_NEURONS];
    // The model's LIF format is known here (build.rs): one format's code.
    net.run_counts_as::<data::Lif, { data::MAX_NEURONS }, { data::MAX_TABLE }, { data::LAYERS }>(
        &FORM,
        &inputs,
        steps,
        &mut counts[..classes],
        |_, _, _| true,
    )?;
    Ok(argmax(&counts[..classes]).unwrap_or(0) as u8)
}

/// Per-image result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub struct ImageResult {
    /// Test image index.
    pub image: usize,
    /// Predicted here.
    pub predicted: u8,
    /// Predicted by the host's bit-exact reference.
    pub expected: u8,
    /// True label.
    pub label: u8,
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, defmt::Format)]
pub struct Summary {
    /// Images classified.
    pub images: usize,
    /// Predictions equal to the host's.
    pub agree: usize,
    /// Predictions equal to the label.
    pub correct: usize,
}

/// Verify the weights, then classify every test image, calling `report`
/// for each.
pub fn run(mut report: impl FnMut(&ImageResult)) -> Result<Summary, NetError> {
    let (net, steps) = model()?;
    verify(&net)?;
    let mut s = Summary::default();
    for k in 0..IMAGES {
        let r = ImageResult {
            image: k,
            predicted: classify(&net, steps, k)?,
            expected: data::EXPECTED[k],
            label: data::LABELS[k],
        };
        s.images += 1;
        s.agree += (r.predicted == r.expected) as usize;
        s.correct += (r.predicted == r.label) as usize;
        report(&r);
    }
    Ok(s)
}
