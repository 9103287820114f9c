use std::process::ExitCode;

fn main() -> ExitCode {
    gate::run(std::env::args_os())
}
