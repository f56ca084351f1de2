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

/// `bitwise`: an element-wise operation on batches of rows.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct BitwiseParams {
    /// The operation (`BitOp as u32`: and 0, or 1, xor 2, xnor 3, not 4,
    /// mux 5).
    pub op: u32,
    /// Bits per row.
    pub row_len: u32,
    /// `u32` words per row (at least 1).
    pub stride: u32,
    /// `u32` words in all.
    pub words: u32,
    /// x extent of the dispatch, threads.
    pub xt: u32,
    /// Padding to 16 bytes.
    pub pad: [u32; 3],
}

impl ShaderParams for BitwiseParams {
    const WGSL: &'static str = "BitwiseParams";
    const BINDING: u32 = 0;
    const ENTRY: &'static str = "bitwise";
}

/// `popcount64`: the popcount of every `u64` word.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct PopcountParams {
    /// `u64` words.
    pub words: u32,
    /// x extent of the dispatch, threads.
    pub xt: u32,
    /// Padding to 16 bytes.
    pub pad: [u32; 2],
}

impl ShaderParams for PopcountParams {
    const WGSL: &'static str = "PopcountParams";
    const BINDING: u32 = 6;
    const ENTRY: &'static str = "popcount64";
}

/// `popcount_rows`: the popcount of every row (one workgroup per row).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct RowsParams {
    /// Rows.
    pub rows: u32,
    /// `u32` words per row.
    pub stride: u32,
    /// x extent of the dispatch, workgroups.
    pub gx: u32,
    /// Padding to 16 bytes.
    pub pad: u32,
}

impl ShaderParams for RowsParams {
    const WGSL: &'static str = "RowsParams";
    const BINDING: u32 = 7;
    const ENTRY: &'static str = "popcount_rows";
}

/// `pack`: 0/1 bytes into rows of words.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct PackParams {
    /// Bits (input bytes) per row.
    pub row_len: u32,
    /// `u32` words per output row (at least 1).
    pub stride: u32,
    /// `u32` words to write in all.
    pub words: u32,
    /// x extent of the dispatch, threads.
    pub xt: u32,
}

impl ShaderParams for PackParams {
    const WGSL: &'static str = "PackParams";
    const BINDING: u32 = 8;
    const ENTRY: &'static str = "pack";
}

/// `mac`: dense unsigned and signed MAC (one workgroup per neuron and
/// sample).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct MacParams {
    /// `u32` words per neuron's weights (`inputs * stream`).
    pub row: u32,
    /// `u32` words per stream (at least 1).
    pub stream: u32,
    /// `u32` words per sign row.
    pub sign_row: u32,
    /// Neurons.
    pub neurons: u32,
}

impl ShaderParams for MacParams {
    const WGSL: &'static str = "MacParams";
    const BINDING: u32 = 9;
    const ENTRY: &'static str = "mac";
}

/// `lif`: a LIF population run for `steps` steps.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct LifShaderParams {
    /// Neurons.
    pub n: u32,
    /// Steps.
    pub steps: u32,
    /// The fixed-point format: 0 Q16.16, 1 Q8.8.
    pub q8: u32,
    /// Resting membrane, raw fixed point.
    pub v_rest: i32,
    /// Reset membrane, raw fixed point.
    pub v_reset: i32,
    /// Firing threshold, raw fixed point.
    pub threshold: i32,
    /// Leak factor, raw fixed point.
    pub alpha: i32,
    /// Input resistance, raw fixed point.
    pub resistance: i32,
    /// Refractory period, steps.
    pub refractory: u32,
    /// `u32` words per spike row.
    pub spike_row: u32,
    /// x extent of the dispatch, threads.
    pub xt: u32,
    /// Padding to 16 bytes.
    pub pad: u32,
}

impl ShaderParams for LifShaderParams {
    const WGSL: &'static str = "LifParams";
    const BINDING: u32 = 10;
    const ENTRY: &'static str = "lif";
}

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
    }
}
