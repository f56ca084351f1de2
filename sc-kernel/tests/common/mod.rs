//! Helpers shared by the network tests.

use sc_kernel::net::LayerState;
use sc_kernel::neuron::Neuron;
use sc_kernel::Word;

/// Caller storage of a network, one vector per layer for each field of
/// [`LayerState`].
pub struct Store<N: Neuron, W: Word> {
    pub v: Vec<Vec<N::State>>,
    pub r: Vec<Vec<u16>>,
    pub c: Vec<Vec<i32>>,
    pub cur: Vec<Vec<N::Current>>,
    pub sp: Vec<Vec<W>>,
    pub x: Vec<Vec<W>>,
}

impl<N: Neuron, W: Word> Store<N, W> {
    /// The storage borrowed as the layers' states.
    pub fn states(&mut self) -> Vec<LayerState<'_, N, W>> {
        self.v
            .iter_mut()
            .zip(&mut self.r)
            .zip(&mut self.c)
            .zip(&mut self.cur)
            .zip(&mut self.sp)
            .zip(&mut self.x)
            .map(|(((((v, r), c), cur), sp), x)| LayerState {
                v,
                refractory: r,
                counts: c,
                current: cur,
                spikes: sp,
                x,
            })
            .collect()
    }
}
