//! The distributed simulator under `mpirun -np 1, 2 and 4` (feature `mpi`):
//! spike trains equal the vectors and the single-process run, and the
//! scatter/gather helpers keep every element for sizes that do not divide.
//! Needs `mpirun` (OpenMPI); root runs need the OMPI_ALLOW_RUN_AS_ROOT
//! variables, which these tests set.

use std::process::Command;

fn mpirun(np: usize, args: &[&str]) -> (bool, String) {
    let out = Command::new("mpirun")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .args(["-np", &np.to_string(), env!("CARGO_BIN_EXE_sc-mpi")])
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("mpirun must be installed (apt-get install openmpi-bin)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn network_vectors_are_bit_identical_on_1_2_and_4_ranks() {
    for np in [1, 2, 4] {
        let (ok, text) = mpirun(np, &["check", "tests/vectors/network.json"]);
        assert!(ok, "np={np}:\n{text}");
        assert_eq!(text.matches("PASS").count(), 4, "np={np}:\n{text}");
        assert!(!text.contains("FAIL"), "np={np}:\n{text}");
    }
}

#[test]
fn helpers_keep_remainders_on_1_2_and_4_ranks() {
    for np in [1, 2, 4] {
        let (ok, text) = mpirun(np, &["selftest"]);
        assert!(
            ok && text.contains("PASS scatter/gather/all_gather"),
            "np={np}:\n{text}"
        );
    }
}

#[test]
fn digits_predictions_match_the_single_process_run() {
    let (ok, text) = mpirun(3, &["digits", "--images", "12"]);
    assert!(ok && text.contains("12/12 runs equal"), "{text}");
}

#[test]
fn an_error_on_one_rank_ends_the_job_instead_of_deadlocking() {
    // Rank 0 checks a good file, rank 1 a file that does not exist (as when
    // a path is missing on one node): rank 1's error must be printed and
    // end the whole job (MPI_Abort), not leave rank 0 waiting forever.
    let bin = env!("CARGO_BIN_EXE_sc-mpi");
    let mut child = Command::new("mpirun")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .args(["-np", "1", bin, "check", "tests/vectors/network.json", ":"])
        .args([
            "-np",
            "1",
            bin,
            "check",
            "/nonexistent/missing-on-this-node.json",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mpirun must be installed (apt-get install openmpi-bin)");
    let t0 = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if t0.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the job did not end within 120 s: an error on one rank deadlocked it");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!status.success(), "{text}");
    assert!(
        text.contains("error (rank 1 of 2)") && text.contains("missing-on-this-node.json"),
        "{text}"
    );
}

#[test]
fn run_writes_the_same_results_as_sc_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = sc_host::digits::Digits::shipped().unwrap();
    let rows: Vec<String> = data.images[..9]
        .iter()
        .map(|img| img.iter().map(u8::to_string).collect::<Vec<_>>().join(","))
        .collect();
    let input = dir.path().join("x.csv");
    std::fs::write(&input, rows.join("\n") + "\n").unwrap();
    let (single, dist) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    let out = Command::new(env!("CARGO_BIN_EXE_sc"))
        .args(["run", "--pixel-max", "16", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&single)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (np, path) in [(2, "counting"), (3, "bitstream")] {
        let (ok, text) = mpirun(
            np,
            &[
                "run",
                "--pixel-max",
                "16",
                "--path",
                path,
                "--input",
                input.to_str().unwrap(),
                "--out",
                dist.to_str().unwrap(),
            ],
        );
        assert!(ok, "np={np}:\n{text}");
        assert_eq!(
            std::fs::read_to_string(&dist).unwrap(),
            std::fs::read_to_string(&single).unwrap(),
            "np={np} {path}"
        );
    }
}
