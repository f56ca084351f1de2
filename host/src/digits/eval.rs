//! Training and evaluation: the float SNN, the float LIF with quantised
//! parameters, SC + float LIF and the bit-exact SC + fixed-point LIF
//! network on the test images.

use rayon::prelude::*;

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::LifFixed;
use sc_kernel::sng::Probability;

use super::report::{Report, Row};
use super::{
    check_lengths, dequantised, input_float, input_q16, quantise, sources, Digits, DigitsError,
    DigitsModel, MAX_EPOCHS, PIXELS,
};
use crate::lif_float::{FloatLifError, FloatLifParams};
use crate::scnet::{run_layers, LifFormat, LifParamsRaw, NetError, NetRun, NetworkSpec, ScNetwork};
use crate::snn::{Snn, SnnConfig};

/// Raw LIF parameters as `f64` ones: each raw value over `one` (the
/// format's 1.0), the refractory period as it is.
fn float_lif(r: &LifParamsRaw, one: f64) -> Result<FloatLifParams<f64>, FloatLifError> {
    FloatLifParams::new(
        r.v_rest as f64 / one,
        r.v_reset as f64 / one,
        r.threshold as f64 / one,
        r.alpha as f64 / one,
        r.resistance as f64 / one,
        r.refractory,
    )
}

/// SC MAC with full-precision LIF neurons: the kernel's network (streams,
/// input encoding, signed MAC, packed spikes) with the `f64` LIF of
/// [`crate::lif_float`] as its neuron model, i.e. `I = counts * gain / L`
/// and the `f64` LIF step. Isolates the SC error from the fixed-point error.
/// Returns every layer's spikes and the output counts (the prediction is
/// [`NetRun::predicted`]).
pub fn run_sc_float(
    spec: &NetworkSpec,
    net: &ScNetwork<I16F16, u64>,
    inputs_q16: &[u32],
    steps: usize,
) -> Result<NetRun, DigitsError> {
    let one = match spec.format {
        LifFormat::Q16_16 => 65536.0,
        LifFormat::Q8_8 => 256.0,
    };
    let lifs = spec
        .layers
        .iter()
        .map(|l| float_lif(&l.params, one))
        .collect::<Result<Vec<_>, _>>()?;
    let probs = inputs_q16
        .iter()
        .map(|&q| Probability::from_q16(q))
        .collect::<Result<Vec<_>, _>>()?;
    // The network's weight streams, with float LIF neurons and float gains.
    let layers = net.layers_with(|k, gain| match lifs.get(k) {
        Some(&lif) => Ok((lif, gain.to_f64())),
        None => Err(NetError::Invalid(format!(
            "the network has more layers than the description ({})",
            lifs.len()
        ))),
    })?;
    Ok(run_layers(
        &layers,
        spec.input_source,
        net.dims(),
        &probs,
        steps,
        None,
    )?)
}

/// Number of test images `predict` classifies correctly.
pub fn correct_count<F>(data: &Digits, test: &[usize], predict: F) -> Result<usize, DigitsError>
where
    F: Fn(&[u8; PIXELS]) -> Result<usize, DigitsError> + Sync,
{
    let correct: Vec<bool> = test
        .par_iter()
        .map(|&k| predict(&data.images[k]).map(|c| c == data.labels[k] as usize))
        .collect::<Result<_, _>>()?;
    Ok(correct.iter().filter(|&&c| c).count())
}

/// Accuracy (fraction correct) of `predict` over the test images (0 for
/// no test images).
pub fn accuracy<F>(data: &Digits, test: &[usize], predict: F) -> Result<f64, DigitsError>
where
    F: Fn(&[u8; PIXELS]) -> Result<usize, DigitsError> + Sync,
{
    Ok(correct_count(data, test, predict)? as f64 / test.len().max(1) as f64)
}

/// Accuracy of the bit-exact SC network (fixed-point LIF, kernel) for `spec`.
pub fn sc_fixed_accuracy(
    data: &Digits,
    test: &[usize],
    spec: &NetworkSpec,
    steps: usize,
) -> Result<f64, DigitsError> {
    Ok(sc_fixed_correct(data, test, spec, steps)? as f64 / test.len().max(1) as f64)
}

/// Test images the bit-exact SC network for `spec` classifies correctly.
pub fn sc_fixed_correct(
    data: &Digits,
    test: &[usize],
    spec: &NetworkSpec,
    steps: usize,
) -> Result<usize, DigitsError> {
    fn run<F: LifFixed>(
        data: &Digits,
        test: &[usize],
        spec: &NetworkSpec,
        steps: usize,
    ) -> Result<usize, DigitsError> {
        let net = ScNetwork::<F, u64>::new(spec)?;
        correct_count(data, test, |img| {
            let probs = input_q16(img)
                .into_iter()
                .map(Probability::from_q16)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(net.run(&probs, steps)?.predicted().unwrap_or(0))
        })
    }
    match spec.format {
        LifFormat::Q16_16 => run::<I16F16>(data, test, spec, steps),
        LifFormat::Q8_8 => run::<I8F8>(data, test, spec, steps),
    }
}

/// Train the float network on the training images with Adam (mini-batches
/// of 32, shuffled each epoch with a fixed seed). `progress(epoch, loss)` is
/// called after every epoch.
pub fn train(
    data: &Digits,
    train: &[usize],
    config: SnnConfig,
    epochs: usize,
    mut progress: impl FnMut(usize, f64),
) -> Result<Snn<f32>, DigitsError> {
    if !(1..=MAX_EPOCHS).contains(&epochs) {
        return Err(DigitsError::Arg {
            flag: "--epochs",
            what: format!("{epochs} epochs; allowed 1..={MAX_EPOCHS}"),
        });
    }
    check_images(data, train, "--train", "training", "image")?;
    let mut net = Snn::<f32>::init(config, 0x5EED)?;
    let mut opt = crate::snn::Adam::new(&net, 2e-3);
    let inputs: Vec<Vec<f32>> = data.images.iter().map(input_float).collect();
    let mut order = train.to_vec();
    let mut rng = sc_kernel::rng::SplitMix64::new(0xD161);
    for epoch in 0..epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut loss = 0.0;
        let mut batches = 0;
        for chunk in order.chunks(32) {
            let xs: Vec<&[f32]> = chunk.iter().map(|&k| inputs[k].as_slice()).collect();
            let ys: Vec<usize> = chunk.iter().map(|&k| data.labels[k] as usize).collect();
            loss += crate::snn::train_batch(&mut net, &mut opt, &xs, &ys)?;
            batches += 1;
        }
        progress(epoch, loss / batches.max(1) as f64);
    }
    Ok(net)
}

/// A set of image indices must be non-empty and inside `data`; errors
/// name `flag` and say "no {set} images" or "{item} K is not in the data
/// set".
fn check_images(
    data: &Digits,
    images: &[usize],
    flag: &'static str,
    set: &str,
    item: &str,
) -> Result<(), DigitsError> {
    let what = if images.is_empty() {
        format!("no {set} images")
    } else if let Some(&k) = images.iter().find(|&&k| k >= data.images.len()) {
        format!(
            "{item} {k} is not in the data set ({} images)",
            data.images.len()
        )
    } else {
        return Ok(());
    };
    Err(DigitsError::Arg { flag, what })
}

/// Evaluate every variant on the test images.
pub fn evaluate(
    model: &DigitsModel,
    data: &Digits,
    test: &[usize],
    lengths: &[usize],
    mut progress: impl FnMut(&str),
) -> Result<Report, DigitsError> {
    check_lengths(lengths, &model.network.dims)?;
    check_images(data, test, "--data", "test", "test image")?;
    let steps = model.steps;
    let mut rows = vec![];
    progress("float SNN");
    let f = correct_count(data, test, |img| {
        Ok(model.snn.predict(&input_float::<f32>(img))?)
    })?;
    rows.push(Row {
        model: "float SNN (f32, as trained)".into(),
        generator: "-".into(),
        length_independent: true,
        correct: vec![f],
    });
    let deq = dequantised(&model.network, &model.snn.config)?;
    progress("float LIF");
    let fq = correct_count(data, test, |img| Ok(deq.predict(&input_float::<f64>(img))?))?;
    rows.push(Row {
        model: "float LIF (f64, quantised weights and parameters)".into(),
        generator: "-".into(),
        length_independent: true,
        correct: vec![fq],
    });
    for (label, format, float_lif) in [
        ("SC + float LIF (f64)", LifFormat::Q16_16, true),
        ("SC + fixed-point LIF Q16.16", LifFormat::Q16_16, false),
        ("SC + fixed-point LIF Q8.8", LifFormat::Q8_8, false),
    ] {
        for generator in ["lfsr", "sobol"] {
            let (ws, xs) = sources(generator);
            let mut acc = vec![];
            for &len in lengths {
                progress(&format!("{label}, {generator}, L = {len}"));
                let spec = quantise(&model.snn, format, len, ws, xs)?;
                let a = if float_lif {
                    let net = ScNetwork::<I16F16, u64>::new(&spec)?;
                    correct_count(data, test, |img| {
                        run_sc_float(&spec, &net, &input_q16(img), steps)
                            .map(|run| run.predicted().unwrap_or(0))
                    })?
                } else {
                    sc_fixed_correct(data, test, &spec, steps)?
                };
                acc.push(a);
            }
            rows.push(Row {
                model: label.into(),
                generator: generator.into(),
                length_independent: false,
                correct: acc,
            });
        }
    }
    Ok(Report {
        lengths: lengths.to_vec(),
        rows,
        test_images: test.len(),
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digits::{quantise, sources};
    use sc_kernel::mac::mac_signed;
    use sc_kernel::net::{encode_inputs, spikes_to_streams};
    use sc_kernel::{words_for, BitSlice};

    /// The hand-written "SC + float LIF" step this module had before it ran
    /// the kernel network with the float LIF as its neuron model: spikes
    /// per step and layer, and the output counts.
    fn hand_written(
        spec: &NetworkSpec,
        net: &ScNetwork<I16F16, u64>,
        inputs_q16: &[u32],
        steps: usize,
    ) -> (Vec<Vec<Vec<bool>>>, Vec<u32>) {
        type W = u64;
        let lifs: Vec<FloatLifParams<f64>> = spec
            .layers
            .iter()
            .map(|l| float_lif(&l.params, 65536.0).unwrap())
            .collect();
        let probs: Vec<Probability> = inputs_q16
            .iter()
            .map(|&q| Probability::from_q16(q).unwrap())
            .collect();
        let layers = net.layers();
        let mut g = spec.input_source.start().unwrap();
        let mut v: Vec<Vec<f64>> = layers
            .iter()
            .zip(&lifs)
            .map(|(l, lif)| vec![lif.v_rest; l.shape.neurons()])
            .collect();
        let mut refr: Vec<Vec<u16>> = layers.iter().map(|l| vec![0; l.shape.neurons()]).collect();
        let mut x: Vec<W> = vec![];
        let mut counts = vec![0u32; spec.dims[spec.dims.len() - 1]];
        let mut all = vec![];
        for _ in 0..steps {
            let mut spikes_w: Vec<W> = vec![];
            let mut rec = vec![];
            for (k, l) in layers.iter().enumerate() {
                let shape = &l.shape;
                x.resize(shape.input_rows().words::<W>().unwrap(), 0);
                if k == 0 {
                    encode_inputs(shape, &probs, &mut g, &mut x).unwrap();
                } else {
                    let s = BitSlice::new(&spikes_w, shape.inputs()).unwrap();
                    spikes_to_streams(s, shape, &mut x).unwrap();
                }
                let mut c = vec![0i32; shape.neurons()];
                mac_signed(shape, l.magnitudes, l.signs, &x, &mut c).unwrap();
                let gain = l.gain.to_f64();
                let cur: Vec<f64> = c
                    .iter()
                    .map(|&n| n as f64 * gain / shape.len() as f64)
                    .collect();
                let mut s = vec![false; shape.neurons()];
                lifs[k]
                    .step_population(&mut v[k], &mut refr[k], &cur, None, &mut s)
                    .unwrap();
                spikes_w = vec![0; words_for::<W>(s.len())];
                for (j, &b) in s.iter().enumerate() {
                    spikes_w[j / 64] |= (b as W) << (j % 64);
                }
                if k + 1 == layers.len() {
                    for (cnt, &b) in counts.iter_mut().zip(&s) {
                        *cnt += b as u32;
                    }
                }
                rec.push(s);
            }
            all.push(rec);
        }
        (all, counts)
    }

    // The kernel network with the float LIF neuron gives exactly the spike
    // trains of the former hand-written loop (both generators, two lengths).
    #[test]
    fn sc_float_equals_the_hand_written_step() {
        let model = DigitsModel::shipped().unwrap();
        let data = Digits::shipped().unwrap();
        let (_, test) = data.split();
        let mut spikes = 0;
        for generator in ["lfsr", "sobol"] {
            let (ws, xs) = sources(generator);
            for len in [32, 64] {
                let spec = quantise(&model.snn, LifFormat::Q16_16, len, ws, xs).unwrap();
                let net = ScNetwork::<I16F16, u64>::new(&spec).unwrap();
                for &k in test.iter().take(12) {
                    let q = input_q16(&data.images[k]);
                    let run = run_sc_float(&spec, &net, &q, model.steps).unwrap();
                    let (want, counts) = hand_written(&spec, &net, &q, model.steps);
                    assert_eq!(run.spikes, want, "{generator} L={len} image {k}");
                    assert_eq!(run.counts, counts);
                    spikes += counts.iter().sum::<u32>();
                }
            }
        }
        assert!(spikes > 0);
    }
}
