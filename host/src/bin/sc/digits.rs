//! `sc digits`: the main job.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use sc_host::digits::{self, Digits, DigitsModel, MAX_EPOCHS};
use sc_host::plot::Figure;

/// Default training epochs.
const DEFAULT_EPOCHS: usize = 60;

#[derive(clap::Args)]
pub struct DigitsArgs {
    /// Data set (UCI optical digits CSV: 64 pixels in 0..=16, then the
    /// label, per line) [default: the built-in host/data/digits.csv].
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Model file to evaluate (format: docs/model.md) [default: the
    /// built-in models/digits.json]. With --train: where the trained model
    /// is written [default: OUT_DIR/digits-model.json].
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Train a new model on the data set's training images instead of
    /// loading one, write it, then evaluate it.
    #[arg(long)]
    train: bool,
    /// Training epochs, 1..=100000 (with --train) [default: 60].
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    /// Stream lengths to evaluate (comma-separated), each 1..=65536 bits
    /// per step.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "L,...",
        default_value = "32,64,128,256,512,1024"
    )]
    lengths: Vec<usize>,
    /// Directory of the outputs not given by their own flag (created if
    /// needed).
    #[arg(long, value_name = "DIR", default_value = "target/sc-digits")]
    out_dir: PathBuf,
    /// The accuracy plot: written as PATH with the extensions .svg and .png
    /// [default: OUT_DIR/digits-accuracy.svg and .png].
    #[arg(long, value_name = "PATH")]
    plot: Option<PathBuf>,
    /// The accuracy figures as CSV [default: OUT_DIR/digits-accuracy.csv].
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// The accuracy table as Markdown [default: OUT_DIR/digits-accuracy.md].
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// An output file, opened (created if needed, not yet truncated) before
/// the work, so that an unwritable path is an error in the first second;
/// written at the end. Dropped unwritten, a file it created is removed.
struct Output {
    path: PathBuf,
    file: Option<File>,
    created: bool,
}

impl Output {
    fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| {
                format!(
                    "cannot create directory {} for {}",
                    dir.display(),
                    path.display()
                )
            })?;
        }
        let existed = path.symlink_metadata().is_ok();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Some(file),
            created: !existed,
        })
    }

    fn write(mut self, bytes: &[u8]) -> Result<()> {
        let path = self.path.clone();
        let ctx = || format!("cannot write {}", path.display());
        let Some(mut f) = self.file.take() else {
            bail!("{}: written twice", path.display());
        };
        f.set_len(0).with_context(ctx)?;
        f.write_all(bytes).with_context(ctx)?;
        f.sync_all().with_context(ctx)?;
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.file.take().is_some() && self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The plot's SVG and PNG paths for `--plot PATH`.
fn plot_paths(p: &Path) -> Result<(PathBuf, PathBuf)> {
    match p.extension().and_then(|e| e.to_str()) {
        None | Some("svg") | Some("png") => Ok((p.with_extension("svg"), p.with_extension("png"))),
        Some(e) => bail!(
            "--plot {}: extension .{e}; give a path ending in .svg, .png or no extension (both an SVG and a PNG are written)",
            p.display()
        ),
    }
}

/// Run `sc digits`.
pub fn run(a: &DigitsArgs) -> Result<bool> {
    use indicatif::{ProgressBar, ProgressStyle};
    use sc_host::scnet::LifFormat;

    // Flags first.
    if a.epochs.is_some() && !a.train {
        bail!("--epochs: given without --train; it sets how long --train trains");
    }
    let epochs = a.epochs.unwrap_or(DEFAULT_EPOCHS);
    if !(1..=MAX_EPOCHS).contains(&epochs) {
        bail!("--epochs: {epochs}; allowed 1..={MAX_EPOCHS}");
    }
    let dims_default = {
        let c = digits::default_config();
        let mut d = c.sizes.clone();
        d[0] += 1;
        d
    };
    // Range and repeats now; the memory a loaded model needs after loading it.
    digits::check_lengths(&a.lengths, &dims_default)?;

    // Every output is opened before the work.
    let in_dir = |name: &str| a.out_dir.join(name);
    let (svg_path, png_path) = match &a.plot {
        Some(p) => plot_paths(p)?,
        None => (in_dir("digits-accuracy.svg"), in_dir("digits-accuracy.png")),
    };
    let csv_path = a
        .csv
        .clone()
        .unwrap_or_else(|| in_dir("digits-accuracy.csv"));
    let md_path = a
        .report
        .clone()
        .unwrap_or_else(|| in_dir("digits-accuracy.md"));
    let model_out_path = a.train.then(|| {
        a.model
            .clone()
            .unwrap_or_else(|| in_dir("digits-model.json"))
    });
    let mut all: Vec<(&str, &PathBuf)> = vec![
        ("--plot (SVG)", &svg_path),
        ("--plot (PNG)", &png_path),
        ("--csv", &csv_path),
        ("--report", &md_path),
    ];
    if let Some(p) = &model_out_path {
        all.push(("--model", p));
    }
    for (i, (fa, pa)) in all.iter().enumerate() {
        for (fb, pb) in &all[..i] {
            let (x, y) = (std::path::absolute(pa)?, std::path::absolute(pb)?);
            if x == y {
                bail!(
                    "{fb} and {fa} both name {}; give each output its own file",
                    pa.display()
                );
            }
        }
    }
    if all.iter().any(|(_, p)| p.starts_with(&a.out_dir)) {
        std::fs::create_dir_all(&a.out_dir).with_context(|| {
            format!("--out-dir: cannot create directory {}", a.out_dir.display())
        })?;
    }
    let svg_out = Output::open(&svg_path)?;
    let png_out = Output::open(&png_path)?;
    let csv_out = Output::open(&csv_path)?;
    let md_out = Output::open(&md_path)?;
    let model_out = model_out_path.as_deref().map(Output::open).transpose()?;

    // Inputs.
    let (data, data_name) = match &a.data {
        Some(p) => (Digits::load(p)?, p.display().to_string()),
        None => (Digits::shipped()?, digits::SHIPPED_DATA_NAME.to_string()),
    };
    let (train_idx, test_idx) = data.split();
    println!(
        "digits: {} images ({} train, {} test) from the {data_name}",
        data.images.len(),
        train_idx.len(),
        test_idx.len(),
    );
    let model = if a.train {
        digits::check_lengths(&a.lengths, &dims_default)?;
        let cfg = digits::default_config();
        println!(
            "training {:?} SNN, {} steps, {epochs} epochs (surrogate gradients, BPTT, Adam)",
            cfg.sizes, cfg.steps
        );
        let bar = ProgressBar::new(epochs as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} epoch {pos}/{len} {msg} [{elapsed_precise}, eta {eta}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let t0 = std::time::Instant::now();
        let snn = digits::train(&data, &train_idx, cfg, epochs, |_, loss| {
            bar.set_message(format!("loss {loss:.4}"));
            bar.inc(1);
        })?;
        bar.finish();
        println!("trained in {:.1} s", t0.elapsed().as_secs_f64());
        let (ws, xs) = digits::sources("sobol");
        let network = digits::quantise(&snn, LifFormat::Q16_16, 256, ws, xs)?;
        let m = DigitsModel {
            format: "sc-neuro-model".into(),
            version: 1,
            description: format!(
                "digits SNN {:?}, {} steps, trained {epochs} epochs by `sc digits --train`",
                snn.config.sizes, snn.config.steps
            ),
            steps: snn.config.steps,
            snn,
            network,
        };
        m.validate()
            .map_err(|e| anyhow::anyhow!("the trained model is invalid: {e}"))?;
        if let (Some(out), Some(p)) = (model_out, &model_out_path) {
            out.write(m.to_json().as_bytes())?;
            println!("wrote {}", p.display());
        }
        m
    } else {
        let (m, name) = match &a.model {
            Some(p) => (DigitsModel::load(p)?, p.display().to_string()),
            None => (
                DigitsModel::shipped()?,
                digits::SHIPPED_MODEL_NAME.to_string(),
            ),
        };
        digits::check_lengths(&a.lengths, &m.network.dims)?;
        println!("model: the {name}: {}", m.description);
        m
    };

    // The work.
    let bar = ProgressBar::new_spinner();
    let t0 = std::time::Instant::now();
    let report = digits::evaluate(&model, &data, &test_idx, &a.lengths, |what| {
        bar.set_message(format!("evaluating {what}"))
    })?;
    bar.finish_and_clear();
    println!(
        "\ntest accuracy ({} images, {} steps per image; evaluated in {:.1} s):\n",
        report.test_images,
        model.steps,
        t0.elapsed().as_secs_f64()
    );
    let md = report.markdown();
    print!("{md}");

    // The outputs.
    let plot_err = |path: &Path| {
        let path = path.display().to_string();
        move |what: String| digits::DigitsError::Plot {
            path: path.clone(),
            what,
        }
    };
    let svg = report.svg().map_err(plot_err(&svg_path))?;
    let png = report.png().map_err(plot_err(&png_path))?;
    svg_out.write(svg.as_bytes())?;
    png_out.write(&png)?;
    csv_out.write(report.csv().as_bytes())?;
    md_out.write(md.as_bytes())?;
    println!(
        "\nplot: {} and {}\nCSV: {}\ntable: {}",
        svg_path.display(),
        png_path.display(),
        csv_path.display(),
        md_path.display()
    );

    let n = report.test_images;
    let pct = |x: f64| 100.0 * x;
    if let Some(float) = report.get("float SNN", "-", 0) {
        println!(
            "\nfloat SNN: {:.1}% ({:.0}/{n})",
            pct(float),
            float * n as f64
        );
        let len = if report.lengths.contains(&256) {
            256
        } else {
            report.lengths.iter().copied().max().unwrap_or(256)
        };
        if let Some(sc) = report.get("SC + fixed-point LIF Q16.16", "sobol", len) {
            println!(
                "SC + fixed-point Q16.16 LIF, Sobol, L = {len}: {:.1}% ({:+.1} points vs float)",
                pct(sc),
                pct(sc - float)
            );
        }
    }
    Ok(true)
}
