//! The shaders' parameter blocks: one `#[repr(C)]` [`bytemuck::Pod`] struct
//! per entry point of sc.wgsl (every field a `u32`, an `i32` or an array
//! of them), padded to 16 bytes, as a uniform block must be. They are
//! written once, here: [`wgsl_declarations`] gives the shader each one's
//! WGSL struct (field for field, an array as one field per element) and
//! its `var<uniform>`, which device.rs prepends to sc.wgsl. The tests below
//! check each: its size, that sc.wgsl reads it and has its entry point.

use std::fmt::Write;

/// A parameter block of sc.wgsl.
pub(super) trait ShaderParams: bytemuck::Pod {
    /// The struct's name in the shader.
    const WGSL: &'static str;
    /// Its `@binding` in `@group(0)` (a `var<uniform>`).
    const BINDING: u32;
    /// The name of the `var<uniform>` sc.wgsl reads it as.
    const VAR: &'static str;
    /// The `@compute` entry point that reads it.
    const ENTRY: &'static str;
    /// Its fields in order: name and Rust type (`u32`, `i32`, `[u32; 3]`).
    const FIELDS: &'static [(&'static str, &'static str)];

    /// The WGSL struct and its `var<uniform>` declaration, onto `out`.
    fn wgsl_declaration(out: &mut String) {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "struct {} {{", Self::WGSL);
        for &(name, ty) in Self::FIELDS {
            let array = ty
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.split_once(';'));
            match array {
                Some((elem, n)) => {
                    for k in 0..n.trim().parse::<usize>().unwrap_or(0) {
                        let _ = writeln!(out, "    {name}{k}: {},", elem.trim());
                    }
                }
                None => {
                    let _ = writeln!(out, "    {name}: {ty},");
                }
            }
        }
        let _ = writeln!(
            out,
            "}}\n@group(0) @binding({}) var<uniform> {}: {};",
            Self::BINDING,
            Self::VAR,
            Self::WGSL
        );
    }
}

/// Declares parameter blocks: for each, the `#[repr(C)]`
/// [`bytemuck::Pod`] struct (all fields `pub`) and its [`ShaderParams`]
/// impl (`wgsl`, `binding`, `var`, `entry`, the fields); and
/// [`wgsl_declarations`] of them all.
macro_rules! shader_params {
    ($(
        $(#[$meta:meta])*
        $name:ident: wgsl $wgsl:literal, binding $binding:literal, var $var:literal,
        entry $entry:literal {
            $($(#[$field_meta:meta])* $field:ident: $ty:ty,)*
        }
    )*) => {
        $(
            $(#[$meta])*
            #[repr(C)]
            #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
            pub(super) struct $name {
                $($(#[$field_meta])* pub $field: $ty,)*
            }

            impl ShaderParams for $name {
                const WGSL: &'static str = $wgsl;
                const BINDING: u32 = $binding;
                const VAR: &'static str = $var;
                const ENTRY: &'static str = $entry;
                const FIELDS: &'static [(&'static str, &'static str)] =
                    &[$((stringify!($field), stringify!($ty)),)*];
            }
        )*

        /// The WGSL declarations of every parameter block (structs and
        /// `var<uniform>`s), for the top of the shader.
        pub(super) fn wgsl_declarations() -> String {
            let mut s = String::from("// Generated from host/src/gpu/params.rs.\n");
            $(<$name as ShaderParams>::wgsl_declaration(&mut s);)*
            s
        }
    };
}

shader_params! {
    /// `bitwise`: an element-wise operation on batches of rows.
    BitwiseParams: wgsl "BitwiseParams", binding 0, var "PB", entry "bitwise" {
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
    PopcountParams: wgsl "PopcountParams", binding 6, var "PC", entry "popcount64" {
        /// `u64` words.
        words: u32,
        /// x extent of the dispatch, threads.
        xt: u32,
        /// Padding to 16 bytes.
        pad: [u32; 2],
    }

    /// `popcount_rows`: the popcount of every row (one workgroup per row).
    RowsParams: wgsl "RowsParams", binding 7, var "PR", entry "popcount_rows" {
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
    PackParams: wgsl "PackParams", binding 8, var "PP", entry "pack" {
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
    MacParams: wgsl "MacParams", binding 9, var "PM", entry "mac" {
        /// `u32` words per neuron's weights (`inputs * stream`).
        row: u32,
        /// `u32` words per stream (at least 1).
        stream: u32,
        /// `u32` words per sign row.
        sign_row: u32,
        /// Neurons.
        neurons: u32,
    }

    /// `lif`: a LIF population run for `steps` steps (its constants in
    /// [`LifConsts`]).
    LifShaderParams: wgsl "LifParams", binding 10, var "PL", entry "lif" {
        /// Neurons.
        n: u32,
        /// Steps.
        steps: u32,
        /// `u32` words per spike row.
        spike_row: u32,
        /// x extent of the dispatch, threads.
        xt: u32,
    }

    /// The LIF constants of docs/spec.md §6 that `lif` and `net_fire` step
    /// with (`lif_step` in sc.wgsl), raw fixed point ([`LifConsts::of`]).
    LifConsts: wgsl "LifConsts", binding 13, var "LC", entry "lif" {
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
        /// Padding to 16 bytes.
        pad: u32,
    }

    /// `net_sum`, `net_fire` and `net_prefix`: one layer of a whole
    /// network in the counting form (spec §7.1), a batch of samples at once.
    NetParams: wgsl "NetParams", binding 11, var "PN", entry "net_sum" {
        /// Neurons of the layer.
        neurons: u32,
        /// Inputs of the layer.
        inputs: u32,
        /// Stream length `L`.
        len: u32,
        /// x extent of the dispatch, threads.
        xt: u32,
        /// Samples.
        batch: u32,
        /// 1: layer 0 (reads prefix tables), 0: a layer `k >= 1`.
        first: u32,
        /// `log2 L` when `L` is a power of two, else `u32::MAX`.
        shift: u32,
        /// `u32` words of the previous layer's spikes per sample.
        in_words: u32,
        /// `u32` words of this layer's spikes per sample.
        out_words: u32,
        /// The layer's gain, raw fixed point.
        gain: i32,
        /// The format's smallest raw value.
        raw_min: i32,
        /// The format's largest raw value.
        raw_max: i32,
        /// x extent of `net_sum`'s dispatch, workgroups.
        gx: u32,
        /// Padding to 16 bytes.
        pad: [u32; 3],
    }

    /// `snn_layer`: one layer of the float SNN for one step.
    SnnShaderParams: wgsl "SnnParams", binding 12, var "PS", entry "snn_layer" {
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

impl LifConsts {
    /// The constants of `p` in format `F`.
    pub(super) fn of<F: sc_kernel::lif::LifFixed>(p: &sc_kernel::lif::LifParams<F>) -> Self {
        Self {
            q8: u32::from(F::FRAC_BITS == 8),
            v_rest: p.v_rest().raw(),
            v_reset: p.v_reset().raw(),
            threshold: p.threshold().raw(),
            alpha: p.alpha().raw(),
            resistance: p.resistance().raw(),
            refractory: u32::from(p.refractory()),
            pad: 0,
        }
    }
}

/// The other entry points that read [`NetParams`].
pub(super) const NET_PREFIX: &str = "net_prefix";
/// See [`NET_PREFIX`].
pub(super) const NET_FIRE: &str = "net_fire";

#[cfg(test)]
mod tests {
    use super::*;

    /// sc.wgsl as written, without the declarations prepended to it.
    const SC_WGSL: &str = include_str!("sc.wgsl");

    /// Bytes of the WGSL struct `name` of `shader` (every field a 4-byte
    /// scalar).
    fn wgsl_size(shader: &str, name: &str) -> usize {
        let start = shader
            .find(&format!("struct {name} {{"))
            .unwrap_or_else(|| panic!("no struct {name} in the shader"));
        let body = &shader[start..];
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

    fn check<P: ShaderParams>(shader: &str) {
        let size = std::mem::size_of::<P>();
        assert_eq!(size, wgsl_size(shader, P::WGSL), "size of {}", P::WGSL);
        assert_eq!(size % 16, 0, "{} is not padded to 16 bytes", P::WGSL);
        let var = format!("@group(0) @binding({}) var<uniform>", P::BINDING);
        let mut bound = shader.lines().filter(|l| l.starts_with(&var));
        let line = bound.next().unwrap_or_else(|| panic!("nothing at {var}"));
        assert!(bound.next().is_none(), "two blocks at {var}");
        assert!(
            line.trim_end()
                .ends_with(&format!(" {}: {};", P::VAR, P::WGSL)),
            "{var} is not {}, a {}: {line}",
            P::VAR,
            P::WGSL
        );
        assert!(
            SC_WGSL.contains(&format!("fn {}(", P::ENTRY)),
            "no entry point {}",
            P::ENTRY
        );
        assert!(
            SC_WGSL.contains(&format!("{}.", P::VAR)),
            "sc.wgsl does not read {}",
            P::VAR
        );
        assert!(
            !SC_WGSL.contains(&format!("struct {} ", P::WGSL)),
            "sc.wgsl declares {} again",
            P::WGSL
        );
    }

    #[test]
    fn gpu_params_match_the_shader() {
        let shader = super::super::device::shader_source();
        check::<BitwiseParams>(&shader);
        check::<PopcountParams>(&shader);
        check::<RowsParams>(&shader);
        check::<PackParams>(&shader);
        check::<MacParams>(&shader);
        check::<LifShaderParams>(&shader);
        check::<LifConsts>(&shader);
        check::<NetParams>(&shader);
        check::<SnnShaderParams>(&shader);
        for entry in [NET_PREFIX, NET_FIRE] {
            assert!(
                SC_WGSL.contains(&format!("fn {entry}(")),
                "no entry point {entry}"
            );
        }
    }
}
