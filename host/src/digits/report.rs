//! The accuracy report: the Markdown table, the CSV and the plot (SVG and
//! PNG, drawn with `plotters`; the PNG's text uses the embedded DejaVu Sans
//! font, so no system fonts are needed).

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;

use crate::plot::Figure;

/// One row of the accuracy report: one model variant with one generator.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Model variant.
    pub model: String,
    /// Stream generator ("lfsr", "sobol"; "-" for float models).
    pub generator: String,
    /// True for float models, whose accuracy does not depend on the
    /// stream length: `correct` then has one value.
    pub length_independent: bool,
    /// Test images classified correctly, per stream length (the order of
    /// [`Report::lengths`]), or one value if `length_independent`.
    pub correct: Vec<usize>,
}

impl Row {
    /// Correct test images at the `k`-th evaluated length.
    pub fn correct_at(&self, k: usize) -> Option<usize> {
        if self.length_independent {
            self.correct.first().copied()
        } else {
            self.correct.get(k).copied()
        }
    }

    /// The row's name with its generator (`"SC + float LIF (f64), Sobol"`).
    pub fn label(&self) -> String {
        match self.generator.as_str() {
            "lfsr" => format!("{}, LFSR", self.model),
            "sobol" => format!("{}, Sobol", self.model),
            _ => self.model.clone(),
        }
    }
}

/// The accuracy table of the main job.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Stream lengths evaluated.
    pub lengths: Vec<usize>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Test images (`n` of every accuracy).
    pub test_images: usize,
    /// Time steps per image.
    pub steps: usize,
}

/// The 95% Wilson score interval `(low, high)` of `correct` successes in
/// `n` trials, as fractions (`(0, 1)` for `n = 0`).
pub fn wilson(correct: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n = n as f64;
    let p = correct as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

impl Report {
    /// Accuracy (fraction) of the row whose model starts with `model` and
    /// whose generator is `generator`, at stream length `len`: a float
    /// row's single value whatever `len`; an SC row's value only if `len`
    /// was evaluated, else `None`.
    pub fn get(&self, model: &str, generator: &str, len: usize) -> Option<f64> {
        let r = self
            .rows
            .iter()
            .find(|r| r.model.starts_with(model) && r.generator == generator)?;
        let c = if r.length_independent {
            r.correct_at(0)?
        } else {
            r.correct_at(self.lengths.iter().position(|&l| l == len)?)?
        };
        Some(c as f64 / self.test_images.max(1) as f64)
    }

    /// Markdown table (accuracy in percent, one decimal).
    pub fn markdown(&self) -> String {
        let mut s = String::from("| model | generator |");
        for l in &self.lengths {
            s += &format!(" L={l} |");
        }
        s += "\n|---|---|";
        s += &"---|".repeat(self.lengths.len());
        s += "\n";
        let n = self.test_images.max(1) as f64;
        for r in &self.rows {
            s += &format!("| {} | {} |", r.model, r.generator);
            for k in 0..self.lengths.len() {
                match r.correct_at(k) {
                    Some(c) => s += &format!(" {:.1}% |", 100.0 * c as f64 / n),
                    None => s += " - |",
                }
            }
            s += "\n";
        }
        s
    }

    /// CSV, one line per row and evaluated length (float rows, which do
    /// not depend on the length, repeat their figure at each length):
    /// `model,generator,length,correct,n,accuracy,wilson_low,wilson_high`,
    /// accuracies as fractions.
    pub fn csv(&self) -> String {
        fn field(s: &str) -> String {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        }
        let mut s =
            String::from("model,generator,length,correct,n,accuracy,wilson_low,wilson_high\n");
        let n = self.test_images;
        for r in &self.rows {
            for (k, &len) in self.lengths.iter().enumerate() {
                let Some(c) = r.correct_at(k) else { continue };
                let (lo, hi) = wilson(c, n);
                s += &format!(
                    "{},{},{len},{c},{n},{:.6},{:.6},{:.6}\n",
                    field(&r.model),
                    field(&r.generator),
                    c as f64 / n.max(1) as f64,
                    lo,
                    hi
                );
            }
        }
        s
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let px = |v: f64| (v * s).round() as i32;
        let font = |size: f64| ("sans-serif", size * s).into_font();
        let (_, h) = root.dim_in_pixel();
        let rows = self.rows.len();
        let legend_cols = 2usize;
        let legend_rows = rows.div_ceil(legend_cols);
        let legend_h = px(14.0 + 22.0 * legend_rows as f64);
        let (top, legend) = root.split_vertically(h as i32 - legend_h);

        let n = self.test_images;
        let log2 = |l: usize| (l as f64).log2();
        let (xmin, xmax) = self
            .lengths
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &l| {
                (a.min(log2(l)), b.max(log2(l)))
            });
        let (xmin, xmax) = if xmin.is_finite() {
            (xmin, xmax)
        } else {
            (0.0, 1.0)
        };
        let mut ylo = 100.0f64;
        for r in &self.rows {
            for k in 0..self.lengths.len() {
                if let Some(c) = r.correct_at(k) {
                    ylo = ylo.min(100.0 * wilson(c, n).0);
                }
            }
        }
        // Whole points below the lowest interval; ticks every point up to a
        // 12-point range, else every 5.
        let ylo = (ylo - 0.5).floor().max(0.0);
        let ylo = if 100.0 - ylo > 12.0 {
            (ylo / 5.0).floor() * 5.0
        } else {
            ylo
        };
        let ystep = if 100.0 - ylo > 12.0 { 5.0 } else { 1.0 };
        let mut chart = ChartBuilder::on(&top)
            .caption(
                format!(
                    "Digits: test accuracy vs SC stream length ({n} test images, {} steps per image)",
                    self.steps
                ),
                font(17.0),
            )
            .margin(px(12.0))
            .x_label_area_size(px(48.0))
            .y_label_area_size(px(62.0))
            .build_cartesian_2d((xmin - 0.45)..(xmax + 0.45), ylo..100.5)
            .map_err(e)?;
        let span = (xmax - xmin).round() as usize + 1;
        chart
            .configure_mesh()
            .x_labels(span.clamp(2, 17))
            .y_labels(((100.0 - ylo) / ystep) as usize + 1)
            .x_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-6 && *v >= 0.0 && *v < 63.0 {
                    format!("{}", 1u64 << v.round() as u32)
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("stream length L (bits per step, log scale)")
            .y_desc("test accuracy (%)")
            .label_style(font(14.0))
            .axis_desc_style(font(15.0))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()
            .map_err(e)?;

        let offset_step = 0.045;
        for (i, r) in self.rows.iter().enumerate() {
            let st = series_style(r, i);
            let dx = (i as f64 - (rows as f64 - 1.0) / 2.0) * offset_step;
            let mut pts: Vec<(f64, usize)> = (0..self.lengths.len())
                .filter_map(|k| r.correct_at(k).map(|c| (log2(self.lengths[k]) + dx, c)))
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let line: Vec<(f64, f64)> = pts
                .iter()
                .map(|&(x, c)| (x, 100.0 * c as f64 / n.max(1) as f64))
                .collect();
            let lstyle = ShapeStyle::from(&st.color).stroke_width(px(1.6) as u32);
            match st.dash {
                None => {
                    chart
                        .draw_series(LineSeries::new(line.clone(), lstyle))
                        .map_err(e)?;
                }
                Some((on, off)) => {
                    chart
                        .draw_series(DashedLineSeries::new(line.clone(), px(on), px(off), lstyle))
                        .map_err(e)?;
                }
            }
            chart
                .draw_series(pts.iter().map(|&(x, c)| {
                    let (lo, hi) = wilson(c, n);
                    ErrorBar::new_vertical(
                        x,
                        100.0 * lo,
                        100.0 * c as f64 / n.max(1) as f64,
                        100.0 * hi,
                        ShapeStyle::from(&st.color).stroke_width(px(1.0) as u32),
                        px(6.0) as u32,
                    )
                }))
                .map_err(e)?;
            for &(x, y) in &line {
                let p = chart.backend_coord(&(x, y));
                draw_marker(&top, st.marker, st.color, p, s).map_err(e)?;
            }
        }

        // The legend, below the plot.
        let (lw, _) = legend.dim_in_pixel();
        let col_w = (lw as i32 - px(40.0)) / legend_cols as i32;
        for (i, r) in self.rows.iter().enumerate() {
            let st = series_style(r, i);
            let (row, col) = (i / legend_cols, i % legend_cols);
            let x0 = px(40.0) + col as i32 * col_w;
            let y = px(10.0 + 22.0 * row as f64);
            let lstyle = ShapeStyle::from(&st.color).stroke_width(px(1.6) as u32);
            let x1 = x0 + px(40.0);
            match st.dash {
                None => legend
                    .draw(&PathElement::new(vec![(x0, y), (x1, y)], lstyle))
                    .map_err(e)?,
                Some((on, off)) => {
                    let mut a = x0;
                    while a < x1 {
                        let b = (a + px(on)).min(x1);
                        legend
                            .draw(&PathElement::new(vec![(a, y), (b, y)], lstyle))
                            .map_err(e)?;
                        a = b + px(off);
                    }
                }
            }
            draw_marker(&legend, st.marker, st.color, ((x0 + x1) / 2, y), s).map_err(e)?;
            legend
                .draw(&Text::new(
                    r.label(),
                    (x1 + px(8.0), y - px(7.5)),
                    font(13.5),
                ))
                .map_err(e)?;
        }
        legend
            .draw(&Text::new(
                format!("error bars: 95% Wilson score intervals (n = {n}); series are offset slightly along x to keep them apart"),
                (px(40.0), px(10.0 + 22.0 * legend_rows as f64) - px(7.0)),
                font(12.0).color(&BLACK.mix(0.7)),
            ))
            .map_err(e)?;
        Ok(())
    }
}

/// The plot: SVG at 1000 x 660, PNG at twice that ([`Figure`]).
impl Figure for Report {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        scale: f64,
    ) -> Result<(), String> {
        self.draw_on(root, scale)
    }
    const SIZE: (u32, u32) = (1000, 660);
}

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Plus,
    TriangleDown,
    TriangleUp,
    Diamond,
    Square,
    Cross,
    DiamondFilled,
}

struct SeriesStyle {
    color: RGBColor,
    marker: Marker,
    /// Dash and gap lengths (unscaled pixels); `None` for a solid line.
    dash: Option<(f64, f64)>,
}

/// Colours (Okabe-Ito, colour-blind safe), markers and dashes: float rows
/// dotted, LFSR rows dashed, Sobol rows solid.
fn series_style(r: &Row, i: usize) -> SeriesStyle {
    let dash = match r.generator.as_str() {
        "sobol" => None,
        "lfsr" => Some((7.0, 4.0)),
        _ => Some((2.0, 3.0)),
    };
    let table = [
        (RGBColor(0, 0, 0), Marker::Circle),
        (RGBColor(110, 110, 110), Marker::Plus),
        (RGBColor(86, 180, 233), Marker::TriangleDown),
        (RGBColor(0, 114, 178), Marker::TriangleUp),
        (RGBColor(230, 159, 0), Marker::Diamond),
        (RGBColor(213, 94, 0), Marker::Square),
        (RGBColor(0, 158, 115), Marker::Cross),
        (RGBColor(204, 121, 167), Marker::DiamondFilled),
    ];
    let (color, marker) = table[i % table.len()];
    SeriesStyle {
        color,
        marker,
        dash,
    }
}

fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Marker,
    color: RGBColor,
    (x, y): (i32, i32),
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let r = (4.5 * s).round() as i32;
    let fill = ShapeStyle::from(&color).filled();
    let stroke = ShapeStyle::from(&color).stroke_width((1.6 * s).round() as u32);
    let white = ShapeStyle::from(&WHITE).filled();
    let poly = |pts: &[(i32, i32)]| pts.iter().map(|&(a, b)| (x + a, y + b)).collect::<Vec<_>>();
    let closed = |pts: &[(i32, i32)]| {
        let mut v = poly(pts);
        v.push(v[0]);
        v
    };
    match m {
        Marker::Circle => area.draw(&Circle::new((x, y), r, fill)),
        Marker::Plus => {
            area.draw(&PathElement::new(poly(&[(-r, 0), (r, 0)]), stroke))?;
            area.draw(&PathElement::new(poly(&[(0, -r), (0, r)]), stroke))
        }
        Marker::Cross => {
            area.draw(&PathElement::new(poly(&[(-r, -r), (r, r)]), stroke))?;
            area.draw(&PathElement::new(poly(&[(-r, r), (r, -r)]), stroke))
        }
        Marker::TriangleUp => area.draw(&Polygon::new(
            poly(&[(0, -r - 1), (r + 1, r), (-r - 1, r)]),
            fill,
        )),
        Marker::TriangleDown => {
            let t = [(0, r + 1), (r + 1, -r), (-r - 1, -r)];
            area.draw(&Polygon::new(poly(&t), white))?;
            area.draw(&PathElement::new(closed(&t), stroke))
        }
        Marker::Diamond => {
            let d = [(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)];
            area.draw(&Polygon::new(poly(&d), white))?;
            area.draw(&PathElement::new(closed(&d), stroke))
        }
        Marker::DiamondFilled => area.draw(&Polygon::new(
            poly(&[(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)]),
            fill,
        )),
        Marker::Square => {
            let q = r - 1;
            area.draw(&Rectangle::new([(x - q, y - q), (x + q, y + q)], fill))
        }
    }
}
