//! Builds the Verilator model of `tb/sc_hw_top.v` and the C shim over it.
//! Without `verilator` on PATH the crate still builds, without the
//! `sc_verilator` cfg, and its tests say so.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=rtl");
    println!("cargo:rerun-if-changed=tb/sc_hw_top.v");
    println!("cargo:rerun-if-changed=tb/sc_lif_steps.v");
    println!("cargo:rerun-if-changed=csrc");
    println!("cargo:rerun-if-env-changed=VERILATOR");
    let verilator = std::env::var("VERILATOR").unwrap_or_else(|_| "verilator".into());
    let root = match Command::new(&verilator)
        .arg("--getenv")
        .arg("VERILATOR_ROOT")
        .output()
    {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => {
            println!(
                "cargo:warning=verilator not found: the RTL comparison tests will report that they cannot run \
                 (install it: apt-get install verilator)"
            );
            return;
        }
    };
    let base = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut rtl: Vec<PathBuf> = std::fs::read_dir(here.join("rtl"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "v"))
        .collect();
    rtl.sort();
    // Two models: the primitives' wrapper, and the network core alone (its
    // default parameters: the digits model's sizes, Q16.16).
    let models = [
        (
            "vl",
            "sc_hw_top",
            vec![here.join("tb/sc_hw_top.v"), here.join("tb/sc_lif_steps.v")],
        ),
        ("vl_net", "sc_net", vec![]),
    ];
    let inc = root.join("include");
    let mut b = cc::Build::new();
    // The network test clocks millions of cycles: optimise the model even
    // in debug builds.
    b.cpp(true)
        .std("c++17")
        .warnings(false)
        .opt_level(2)
        .debug(false)
        .include(&inc)
        .include(inc.join("vltstd"))
        .file(here.join("csrc/shim.cpp"))
        .file(here.join("csrc/net_shim.cpp"))
        .file(inc.join("verilated.cpp"))
        .file(inc.join("verilated_threads.cpp"));
    for (dir, top, extra) in &models {
        let out = base.join(dir);
        let _ = std::fs::remove_dir_all(&out);
        let status = Command::new(&verilator)
            .args(["--cc", "-O2", "--top-module", top, "--Mdir"])
            .arg(&out)
            .arg(format!("-I{}", here.join("rtl").display()))
            .args(extra)
            .args(&rtl)
            .status()
            .expect("running verilator");
        assert!(status.success(), "verilator failed on the RTL ({top})");
        b.include(&out);
        for e in std::fs::read_dir(&out).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "cpp") && is_model_source(&p, top) {
                b.file(p);
            }
        }
    }
    b.compile("sc_hw");
    println!("cargo:rustc-link-lib=pthread");
    println!("cargo:rustc-link-lib=atomic");
    println!("cargo:rustc-cfg=sc_verilator");
}

fn is_model_source(p: &Path, top: &str) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(&format!("V{top}")))
}
