//! Figures drawn with `plotters`, as SVG and PNG (the PNG's text uses the
//! embedded DejaVu Sans, so no system fonts are needed): the digits
//! accuracy plot ([`crate::digits::Report`]) and spike rasters
//! ([`Raster`]).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::scnet::NetRun;

/// A figure that can be drawn on any plotters backend.
pub trait Figure {
    /// Size of the SVG in pixels; the PNG is twice as large.
    const SIZE: (u32, u32);

    /// Draw on `root` (white, the font registered), with every length
    /// scaled by `scale`.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        scale: f64,
    ) -> Result<(), String>;

    /// The figure as SVG.
    fn svg(&self) -> Result<String, String> {
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, Self::SIZE).into_drawing_area();
            prepare(&root)?;
            self.draw(&root, 1.0)?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(s)
    }

    /// The figure as PNG, at twice the SVG's scale.
    fn png(&self) -> Result<Vec<u8>, String> {
        let (w, h) = (Self::SIZE.0 * 2, Self::SIZE.1 * 2);
        let mut buf = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            prepare(&root)?;
            self.draw(&root, 2.0)?;
            root.present().map_err(|e| e.to_string())?;
        }
        let mut out = vec![];
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(|e| e.to_string())?;
        wr.write_image_data(&buf).map_err(|e| e.to_string())?;
        wr.finish().map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Write the figure to `path`: SVG for `.svg`, PNG for `.png`.
    fn save(&self, path: &Path) -> Result<(), String> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let bytes = match ext.as_deref() {
            Some("svg") => self.svg()?.into_bytes(),
            Some("png") => self.png()?,
            _ => return Err(format!("{}: .svg or .png is allowed", path.display())),
        };
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// A blank white page with the font registered.
fn prepare<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> Result<(), String> {
    register_font()?;
    root.fill(&WHITE).map_err(|e| e.to_string())
}

/// Register the embedded DejaVu Sans as "sans-serif" (once).
fn register_font() -> Result<(), String> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err("the embedded font (DejaVu Sans) could not be loaded".into())
    }
}

/// The spike raster of one sample: a dot per spike, time steps across,
/// every layer's neurons up the page (layer 0 at the bottom), layers
/// separated by lines.
pub struct Raster<'a> {
    /// The run, with its spikes recorded.
    pub run: &'a NetRun,
    /// Neurons per layer.
    pub widths: Vec<usize>,
    /// Title line.
    pub title: String,
}

impl Figure for Raster<'_> {
    const SIZE: (u32, u32) = (1000, 660);

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), String> {
        let steps = self.run.spikes.len();
        let total: usize = self.widths.iter().sum();
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let px = |v: f64| (v * s).round() as i32;
        let font = |size: f64| ("sans-serif", size * s).into_font();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(17.0))
            .margin(px(12.0))
            .x_label_area_size(px(40.0))
            .y_label_area_size(px(62.0))
            .build_cartesian_2d(
                -0.5..(steps.max(1) as f64 - 0.5),
                -0.5..(total.max(1) as f64 - 0.5),
            )
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_desc("time step")
            .y_desc("neuron (layers stacked, layer 0 at the bottom)")
            .label_style(font(12.0))
            .axis_desc_style(font(13.0))
            .draw()
            .map_err(e)?;
        let colors = [
            RGBColor(0, 114, 178),
            RGBColor(213, 94, 0),
            RGBColor(0, 158, 115),
            RGBColor(204, 121, 167),
        ];
        let size = if total > 400 { 1 } else { 2 };
        let mut base = 0usize;
        for (k, &w) in self.widths.iter().enumerate() {
            let c = colors[k % colors.len()];
            let dots = self.run.spikes.iter().enumerate().flat_map(|(t, step)| {
                step.get(k)
                    .into_iter()
                    .flat_map(move |l| l.iter().enumerate().filter(|(_, &z)| z))
                    .map(move |(j, _)| {
                        Circle::new((t as f64, (base + j) as f64), px(size as f64), c.filled())
                    })
            });
            chart
                .draw_series(dots)
                .map_err(e)?
                .label(format!("layer {k} ({w} neurons)"))
                .legend(move |(x, y)| Circle::new((x, y), 4, c.filled()));
            base += w;
            if k + 1 < self.widths.len() {
                let y = base as f64 - 0.5;
                chart
                    .draw_series(LineSeries::new(
                        [(-0.5, y), (steps as f64 - 0.5, y)],
                        BLACK.mix(0.3),
                    ))
                    .map_err(e)?;
            }
        }
        chart
            .configure_series_labels()
            .label_font(font(12.0))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(e)?;
        Ok(())
    }
}
