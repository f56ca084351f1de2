//! `sc digits`: the main job.

use std::path::PathBuf;

use anyhow::{bail, Result};

#[derive(clap::Args)]
pub struct DigitsArgs {
    /// The data set (UCI optical digits, CSV).
    #[arg(long, default_value = "host/data/digits.csv")]
    data: PathBuf,
    /// Model file: loaded if it exists, else trained and written.
    #[arg(long, default_value = "models/digits.json")]
    model: PathBuf,
    /// Train even if the model file exists (and overwrite it).
    #[arg(long)]
    train: bool,
    /// Training epochs.
    #[arg(long, default_value_t = 60)]
    epochs: usize,
    /// Stream lengths to evaluate (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "32,64,128,256,512,1024")]
    lengths: Vec<usize>,
    /// Where to write the accuracy plot (SVG).
    #[arg(long, default_value = "target/digits-accuracy.svg")]
    plot: PathBuf,
    /// Also write the table as Markdown here.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// Run `sc digits`.
pub fn run(a: &DigitsArgs) -> Result<bool> {
    use indicatif::{ProgressBar, ProgressStyle};
    use sc_host::digits::{self, Digits, DigitsModel};
    use sc_host::scnet::LifFormat;

    if a.lengths.is_empty() || a.lengths.contains(&0) {
        bail!("--lengths must be positive stream lengths, e.g. 64,256");
    }
    let data = Digits::load(&a.data)?;
    let (train_idx, test_idx) = data.split();
    println!(
        "digits: {} images ({} train, {} test) from {}",
        data.images.len(),
        train_idx.len(),
        test_idx.len(),
        a.data.display()
    );
    let model = if a.model.exists() && !a.train {
        let m = DigitsModel::load(&a.model)?;
        println!("loaded {} ({})", a.model.display(), m.description);
        m
    } else {
        let cfg = digits::default_config();
        println!(
            "training {:?} SNN, {} steps, {} epochs (surrogate gradients, BPTT, Adam)",
            cfg.sizes, cfg.steps, a.epochs
        );
        let bar = ProgressBar::new(a.epochs as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} epoch {pos}/{len} {msg} [{elapsed_precise}, eta {eta}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let t0 = std::time::Instant::now();
        let snn = digits::train(&data, &train_idx, cfg, a.epochs, |_, loss| {
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
                "digits SNN {:?}, {} steps, trained {} epochs by `sc digits --train`",
                snn.config.sizes, snn.config.steps, a.epochs
            ),
            steps: snn.config.steps,
            snn,
            network,
        };
        if let Some(dir) = a.model.parent() {
            std::fs::create_dir_all(dir)?;
        }
        m.save(&a.model)?;
        println!("wrote {}", a.model.display());
        m
    };
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
    print!("{}", report.markdown());
    if let Some(dir) = a.plot.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.plot, report.svg())?;
    println!("\nplot: {}", a.plot.display());
    if let Some(r) = &a.report {
        std::fs::write(r, report.markdown())?;
    }
    let float = report.get("float SNN", "-", 256).unwrap_or(0.0);
    let sc = report.get("SC + fixed-point LIF Q16.16", "sobol", 256);
    println!("float SNN: {:.1}% (target >= 95%)", 100.0 * float);
    if let Some(sc) = sc {
        println!(
            "SC + fixed-point Q16.16 LIF, Sobol, L = 256: {:.1}% ({:+.1} points vs float; target within 2)",
            100.0 * sc,
            100.0 * (sc - float)
        );
    }
    Ok(true)
}
