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
    println!("cargo:rerun-if-changed=csrc/shim.cpp");
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
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("vl");
    let _ = std::fs::remove_dir_all(&out);
    let mut rtl: Vec<PathBuf> = std::fs::read_dir(here.join("rtl"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "v"))
        .collect();
    rtl.sort();
    let status = Command::new(&verilator)
        .args(["--cc", "-O2", "--top-module", "sc_hw_top", "--Mdir"])
        .arg(&out)
        .arg(format!("-I{}", here.join("rtl").display()))
        .arg(here.join("tb/sc_hw_top.v"))
        .arg(here.join("tb/sc_lif_steps.v"))
        .args(&rtl)
        .status()
        .expect("running verilator");
    assert!(status.success(), "verilator failed on the RTL");
    let inc = root.join("include");
    let mut b = cc::Build::new();
    b.cpp(true)
        .std("c++17")
        .warnings(false)
        .include(&out)
        .include(&inc)
        .include(inc.join("vltstd"))
        .file(here.join("csrc/shim.cpp"))
        .file(inc.join("verilated.cpp"))
        .file(inc.join("verilated_threads.cpp"));
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|e| e == "cpp") && is_model_source(&p) {
            b.file(p);
        }
    }
    b.compile("sc_hw");
    println!("cargo:rustc-link-lib=pthread");
    println!("cargo:rustc-link-lib=atomic");
    println!("cargo:rustc-cfg=sc_verilator");
}

fn is_model_source(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("Vsc_hw_top"))
}
