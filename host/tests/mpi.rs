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
