//! Distributed simulation: each process steps a contiguous slice of every
//! layer's neurons; spikes are exchanged after each layer.
//!
//! [`partition`] is the one rule for who owns what (balanced, remainders
//! to the first ranks; no element is ever dropped). With the `mpi` feature,
//! `mpi` (feature `mpi`) has scatter/gather/all-gather helpers over that rule and the
//! distributed network run on rsmpi. Results are bit-identical to the
//! single-process run for any number of processes: every process encodes
//! the same input streams from the same generator, its own neurons' weight
//! streams exactly as the whole network would, and receives every spike.

use std::ops::Range;

/// The elements `0..n` owned by `rank` of `size` processes: the first
/// `n % size` ranks get `n / size + 1`, the others `n / size`. `size` must
/// be at least 1 and `rank < size`.
pub fn partition(n: usize, size: usize, rank: usize) -> Range<usize> {
    let size = size.max(1);
    let (base, extra) = (n / size, n % size);
    let start = rank * base + rank.min(extra);
    let len = base + usize::from(rank < extra);
    start.min(n)..(start + len).min(n)
}

/// Per-rank element counts of [`partition`].
pub fn counts(n: usize, size: usize) -> Vec<usize> {
    (0..size.max(1))
        .map(|r| partition(n, size, r).len())
        .collect()
}

#[cfg(feature = "mpi")]
pub mod mpi {
    //! MPI helpers (rsmpi) and the distributed network run.

    use ::mpi::datatype::{Partition, PartitionMut};
    use ::mpi::traits::{Communicator, CommunicatorCollectives, Equivalence, Root};
    use ::mpi::Count;

    use sc_kernel::fixed::types::{I16F16, I8F8};
    use sc_kernel::sng::Probability;
    use sc_kernel::{words_for, BitSlice, BitSliceMut};

    use super::{counts, partition};
    use crate::engine::{Engine, Record, SimPath};
    use crate::scnet::{LifFormat, NetError, NetRun, NetworkSpec, ScNetwork, SpikeExchange};

    fn layout(n: usize, size: usize) -> (Vec<Count>, Vec<Count>) {
        let c: Vec<Count> = counts(n, size).into_iter().map(|c| c as Count).collect();
        let d = c
            .iter()
            .scan(0, |acc, &x| {
                let t = *acc;
                *acc += x;
                Some(t)
            })
            .collect();
        (c, d)
    }

    /// Scatter `data` (`n` elements, significant on `root` only) by
    /// [`partition`]: every rank gets its slice, remainders included.
    pub fn scatter<C: Communicator, T: Equivalence + Clone + Default>(
        comm: &C,
        root: i32,
        data: &[T],
        n: usize,
    ) -> Vec<T> {
        let size = comm.size() as usize;
        let rank = comm.rank() as usize;
        let mut out = vec![T::default(); partition(n, size, rank).len()];
        let rp = comm.process_at_rank(root);
        if comm.rank() == root {
            let (c, d) = layout(n, size);
            let p = Partition::new(&data[..n], c, d);
            rp.scatter_varcount_into_root(&p, &mut out[..]);
        } else {
            rp.scatter_varcount_into(&mut out[..]);
        }
        out
    }

    /// Gather every rank's slice (`local`, sized by [`partition`] of `n`) on
    /// `root`: `Some(all n elements)` there, `None` elsewhere.
    pub fn gather<C: Communicator, T: Equivalence + Clone + Default>(
        comm: &C,
        root: i32,
        local: &[T],
        n: usize,
    ) -> Option<Vec<T>> {
        let rp = comm.process_at_rank(root);
        if comm.rank() == root {
            let mut all = vec![T::default(); n];
            let (c, d) = layout(n, comm.size() as usize);
            let mut p = PartitionMut::new(&mut all[..], c, d);
            rp.gather_varcount_into_root(local, &mut p);
            Some(all)
        } else {
            rp.gather_varcount_into(local);
            None
        }
    }

    /// All-gather: every rank gets all `n` elements.
    pub fn all_gather<C: Communicator, T: Equivalence + Clone + Default>(
        comm: &C,
        local: &[T],
        n: usize,
    ) -> Vec<T> {
        let mut all = vec![T::default(); n];
        let (c, d) = layout(n, comm.size() as usize);
        let mut p = PartitionMut::new(&mut all[..], c, d);
        comm.all_gather_varcount_into(local, &mut p);
        all
    }

    /// Wait for every rank.
    pub fn barrier<C: Communicator>(comm: &C) {
        comm.barrier();
    }

    /// Spike exchange over MPI: each rank's packed spike words of a layer
    /// are all-gathered, then each rank's bits are copied into the whole
    /// layer's words at its neurons' offset (packed words in and out).
    pub struct MpiSpikes<'a, C: Communicator> {
        comm: &'a C,
        dims: Vec<usize>,
    }

    impl<C: Communicator> SpikeExchange<u64> for MpiSpikes<'_, C> {
        fn gather(
            &mut self,
            layer: usize,
            local: BitSlice<'_, u64>,
            global: &mut BitSliceMut<'_, u64>,
        ) -> Result<(), sc_kernel::Error> {
            let n = self.dims.get(layer + 1).copied().unwrap_or(0);
            let size = self.comm.size() as usize;
            let rank = self.comm.rank() as usize;
            if global.len() != n {
                return Err(sc_kernel::Error::LengthMismatch {
                    expected: n,
                    found: global.len(),
                });
            }
            let mine = partition(n, size, rank).len();
            if local.len() != mine {
                return Err(sc_kernel::Error::LengthMismatch {
                    expected: mine,
                    found: local.len(),
                });
            }
            // Words per rank, then all packed words in rank order.
            let wc: Vec<usize> = (0..size)
                .map(|r| words_for::<u64>(partition(n, size, r).len()))
                .collect();
            let total: usize = wc.iter().sum();
            let c: Vec<Count> = wc.iter().map(|&w| w as Count).collect();
            let d: Vec<Count> = wc
                .iter()
                .scan(0, |acc, &x| {
                    let t = *acc;
                    *acc += x as Count;
                    Some(t)
                })
                .collect();
            let mut all = vec![0u64; total];
            {
                let mut p = PartitionMut::new(&mut all[..], c, &d[..]);
                self.comm.all_gather_varcount_into(local.words(), &mut p);
            }
            // Rank r's bits go to bits start_r.. of the layer: shift its
            // words into place (start_r need not be a multiple of 64).
            global.update_words(|out| {
                out.iter_mut().for_each(|w| *w = 0);
                for (r, &off) in d.iter().enumerate() {
                    let p = partition(n, size, r);
                    let w = &all[off as usize..off as usize + wc[r]];
                    let (q, s) = (p.start / 64, p.start % 64);
                    for (i, &word) in w.iter().enumerate() {
                        // Padding bits of each rank's words are zero.
                        if let Some(o) = out.get_mut(q + i) {
                            *o |= word << s;
                        }
                        if s > 0 {
                            if let Some(o) = out.get_mut(q + i + 1) {
                                *o |= word >> (64 - s);
                            }
                        }
                    }
                }
            });
            Ok(())
        }
    }

    /// One rank's slice of a network, built once, in either form.
    pub enum RankNet {
        /// Bitstream form, Q16.16.
        BitsQ16(ScNetwork<I16F16, u64>),
        /// Bitstream form, Q8.8.
        BitsQ8(ScNetwork<I8F8, u64>),
        /// Counting form, Q16.16.
        CountQ16(Engine<I16F16>),
        /// Counting form, Q8.8.
        CountQ8(Engine<I8F8>),
    }

    impl RankNet {
        /// Build this rank's slice of `spec` (rows by [`partition`]) on
        /// `path`.
        pub fn new<C: Communicator>(
            comm: &C,
            spec: &NetworkSpec,
            path: SimPath,
        ) -> Result<Self, NetError> {
            let size = comm.size() as usize;
            let rank = comm.rank() as usize;
            let rows = |_: usize, n: usize| partition(n, size, rank);
            let blocks = rayon::current_num_threads();
            Ok(match (spec.format, path) {
                (LifFormat::Q16_16, SimPath::Bitstream) => {
                    Self::BitsQ16(ScNetwork::new_rows(spec, rows)?)
                }
                (LifFormat::Q8_8, SimPath::Bitstream) => {
                    Self::BitsQ8(ScNetwork::new_rows(spec, rows)?)
                }
                (LifFormat::Q16_16, SimPath::Counting) => {
                    Self::CountQ16(Engine::new_rows(spec, rows, blocks)?)
                }
                (LifFormat::Q8_8, SimPath::Counting) => {
                    Self::CountQ8(Engine::new_rows(spec, rows, blocks)?)
                }
            })
        }

        /// Run one sample distributed over `comm` (every rank calls it
        /// with the same inputs); every rank returns the whole run (all
        /// spikes with `record`, counts).
        pub fn run<C: Communicator>(
            &self,
            comm: &C,
            dims: &[usize],
            inputs_q16: &[u32],
            steps: usize,
            record: Record,
        ) -> Result<NetRun, NetError> {
            let inputs = inputs_q16
                .iter()
                .map(|&q| Probability::from_q16(q))
                .collect::<Result<Vec<_>, _>>()?;
            let mut ex = MpiSpikes {
                comm,
                dims: dims.to_vec(),
            };
            let mut run = match self {
                Self::BitsQ16(n) => n.run_with(&inputs, steps, &mut ex),
                Self::BitsQ8(n) => n.run_with(&inputs, steps, &mut ex),
                Self::CountQ16(e) => e.run_with(&inputs, steps, record, &mut ex),
                Self::CountQ8(e) => e.run_with(&inputs, steps, record, &mut ex),
            }?;
            if record == Record::Counts {
                run.spikes.clear();
            }
            Ok(run)
        }
    }

    /// Run `spec` distributed over `comm` for `steps` steps with input
    /// probabilities `inputs_q16`, on `path`: each rank builds and steps
    /// its slice of every layer ([`RankNet`]). Every rank returns the
    /// whole run (all spikes with `record`, counts).
    pub fn run_network<C: Communicator>(
        comm: &C,
        spec: &NetworkSpec,
        inputs_q16: &[u32],
        steps: usize,
        path: SimPath,
        record: Record,
    ) -> Result<NetRun, NetError> {
        RankNet::new(comm, spec, path)?.run(comm, &spec.dims, inputs_q16, steps, record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_covers_everything_once() {
        for n in [0usize, 1, 2, 7, 13, 64, 65, 100] {
            for size in 1..=9 {
                let mut next = 0;
                for r in 0..size {
                    let p = partition(n, size, r);
                    assert_eq!(p.start, next, "n={n} size={size} rank={r}");
                    assert!(p.len() == n / size || p.len() == n / size + 1);
                    next = p.end;
                }
                assert_eq!(next, n, "n={n} size={size}: remainder dropped");
                assert_eq!(counts(n, size).iter().sum::<usize>(), n);
            }
        }
    }
}
