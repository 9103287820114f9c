//! Link the `gate` binary as a non-PIE executable on Linux.
//!
//! gate starts once per command an agent runs, so start-up time matters. As a position-independent
//! executable it applies ~21,000 relocations (the shell grammar's pointer tables and others) and
//! faults in the pages they touch before `main`; linked without PIE those are resolved at link
//! time. Only the binary is affected (proc-macros and tests keep the defaults). A static build
//! (`-C target-feature=+crt-static`, as `install.sh` does) chooses its own relocation model.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let static_crt = features.split(',').any(|f| f == "crt-static");
    if os == "linux" && arch == "x86_64" && !static_crt {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
