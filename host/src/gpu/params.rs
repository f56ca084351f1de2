//! The shaders' parameter blocks: one `#[repr(C)]` [`bytemuck::Pod`] struct
//! per entry point of sc.wgsl, mirroring the WGSL struct field for field
//! (every field a `u32` or `i32`) and padded to 16 bytes, as a uniform
//! block must be. The tests below check each against sc.wgsl: its size,
//! its binding and its entry point.

/// A parameter block of sc.wgsl.
pub(super) trait ShaderParams: bytemuck::Pod {
    /// The struct's name in sc.wgsl (the tests look it up there).
    #[cfg_attr(not(test), allow(dead_code))]
    const WGSL: &'static str;
    /// Its `@binding` in `@group(0)` (a `var<uniform>`).
    const BINDING: u32;
    /// The `@compute` entry point that reads it.
    const ENTRY: &'static str;
}

/// Declares parameter blocks: for each, the `#[repr(C)]`
/// [`bytemuck::Pod`] struct (all fields `pub`) and its [`ShaderParams`]
/// impl (`wgsl`, `binding`, `entry`).
macro_rules! shader_params {
    ($(
        $(#[$meta:meta])*
        $name:ident: wgsl $wgsl:literal, binding $binding:literal, entry $entry:literal {
            $($(#[$field_meta:meta])* $field:ident: $ty:ty,)*
        }
    )*) => {$(
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        pub(super) struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl ShaderParams for $name {
            const WGSL: &'static str = $wgsl;
            const BINDING: u32 = $binding;
            const ENTRY: &'static str = $entry;
        }
    )*};
}

shader_params! {
    /// `bitwise`: an element-wise operation on batches of rows.
    BitwiseParams: wgsl "BitwiseParams", binding 0, entry "bitwise" {
        /// The operation (`BitOp as u32`: and 0, or 1, xor 2, xnor 3, not 4,
        /// mux 5).
        op: u32,
        /// Bits per row.
        row_len: u32,
        /// `u32` words per row (at least 1).
        stride: u32,
        /// `u32` words in all.
        words: u32,
        /// x extent of the dispatch, threads.
        xt: u32,
        /// Padding to 16 bytes.
        pad: [u32; 3],
    }

    /// `popcount64`: the popcount of every `u64` word.
    PopcountParams: wgsl "PopcountParams", binding 6, entry "popcount64" {
        /// `u64` words.
        words: u32,
        /// x extent of the dispatch, threads.
        xt: u32,
        /// Padding to 16 bytes.
        pad: [u32; 2],
    }

    /// `popcount_rows`: the popcount of every row (one workgroup per row).
    RowsParams: wgsl "RowsParams", binding 7, entry "popcount_rows" {
        /// Rows.
        rows: u32,
        /// `u32` words per row.
        stride: u32,
        /// x extent of the dispatch, workgroups.
        gx: u32,
        /// Padding to 16 bytes.
        pad: u32,
    }

    /// `pack`: 0/1 bytes into rows of words.
    PackParams: wgsl "PackParams", binding 8, entry "pack" {
        /// Bits (input bytes) per row.
        row_len: u32,
        /// `u32` words per output row (at least 1).
        stride: u32,
        /// `u32` words to write in all.
        words: u32,
        /// x extent of the dispatch, threads.
        xt: u32,
    }

    /// `mac`: dense unsigned and signed MAC (one workgroup per neuron and
    /// sample).
    MacParams: wgsl "MacParams", binding 9, entry "mac" {
        /// `u32` words per neuron's weights (`inputs * stream`).
        row: u32,
        /// `u32` words per stream (at least 1).
        stream: u32,
        /// `u32` words per sign row.
        sign_row: u32,
        /// Neurons.
        neurons: u32,
    }

    /// `lif`: a LIF population run for `steps` steps.
    LifShaderParams: wgsl "LifParams", binding 10, entry "lif" {
        /// Neurons.
        n: u32,
        /// Steps.
        steps: u32,
        /// The fixed-point format: 0 Q16.16, 1 Q8.8.
        q8: u32,
        /// Resting membrane, raw fixed point.
        v_rest: i32,
        /// Reset membrane, raw fixed point.
        v_reset: i32,
        /// Firing threshold, raw fixed point.
        threshold: i32,
        /// Leak factor, raw fixed point.
        alpha: i32,
        /// Input resistance, raw fixed point.
        resistance: i32,
        /// Refractory period, steps.
        refractory: u32,
        /// `u32` words per spike row.
        spike_row: u32,
        /// x extent of the dispatch, threads.
        xt: u32,
        /// Padding to 16 bytes.
        pad: u32,
    }

    /// `net_layer0`, `net_prefix` and `net_spikes`: one layer of a whole
    /// network in the counting form (spec §7.1).
    NetParams: wgsl "NetParams", binding 11, entry "net_layer0" {
        /// Neurons of the layer.
        neurons: u32,
        /// Inputs of the layer.
        inputs: u32,
        /// Stream length `L`.
        len: u32,
        /// x extent of the dispatch, threads.
        xt: u32,
    }

    /// `snn_layer`: one layer of the float SNN for one step.
    SnnShaderParams: wgsl "SnnParams", binding 12, entry "snn_layer" {
        /// Samples.
        rows: u32,
        /// Neurons of the layer.
        n_out: u32,
        /// Inputs of the layer.
        n_in: u32,
        /// The layer's first weight in `A`.
        w_off: u32,
        /// Its first input in `B` (layer 0) or `OUT`.
        in_off: u32,
        /// 1: the inputs are the spikes below, in `OUT`.
        from_out: u32,
        /// The layer's membranes in `OUT`.
        a_off: u32,
        /// The layer's spikes in `OUT`.
        s_off: u32,
        /// The counts in `OUT`, or `u32::MAX` (not the last layer).
        c_off: u32,
        /// `f32` bits of `1 - alpha`.
        keep: u32,
        /// `f32` bits of the threshold.
        threshold: u32,
        /// x extent of the dispatch, threads.
        xt: u32,
    }
}

/// The other entry points that read [`NetParams`].
pub(super) const NET_PREFIX: &str = "net_prefix";
/// See [`NET_PREFIX`].
pub(super) const NET_SPIKES: &str = "net_spikes";

#[cfg(test)]
mod tests {
    use super::*;

    const SHADER: &str = include_str!("sc.wgsl");

    /// Bytes of the WGSL struct `name` (every field a 4-byte scalar).
    fn wgsl_size(name: &str) -> usize {
        let start = SHADER
            .find(&format!("struct {name} {{"))
            .unwrap_or_else(|| panic!("no struct {name} in sc.wgsl"));
        let body = &SHADER[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
        let fields: Vec<&str> = body
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect();
        for f in &fields {
            let ty = f.split(':').nth(1).map(str::trim);
            assert!(
                matches!(ty, Some("u32" | "i32")),
                "{name}: field `{f}` is not a u32 or i32"
            );
        }
        fields.len() * 4
    }

    fn check<P: ShaderParams>() {
        let size = std::mem::size_of::<P>();
        assert_eq!(size, wgsl_size(P::WGSL), "size of {}", P::WGSL);
        assert_eq!(size % 16, 0, "{} is not padded to 16 bytes", P::WGSL);
        let var = format!("@group(0) @binding({}) var<uniform>", P::BINDING);
        let bound = SHADER
            .lines()
            .find(|l| l.starts_with(&var))
            .unwrap_or_else(|| panic!("nothing at {var}"));
        assert!(
            bound.trim_end().ends_with(&format!(": {};", P::WGSL)),
            "{var} is not a {}: {bound}",
            P::WGSL
        );
        assert!(
            SHADER.contains(&format!("fn {}(", P::ENTRY)),
            "no entry point {}",
            P::ENTRY
        );
    }

    #[test]
    fn gpu_params_match_the_shader() {
        check::<BitwiseParams>();
        check::<PopcountParams>();
        check::<RowsParams>();
        check::<PackParams>();
        check::<MacParams>();
        check::<LifShaderParams>();
        check::<NetParams>();
        check::<SnnShaderParams>();
        for entry in [NET_PREFIX, NET_SPIKES] {
            assert!(
                SHADER.contains(&format!("fn {entry}(")),
                "no entry point {entry}"
            );
        }
    }
}
