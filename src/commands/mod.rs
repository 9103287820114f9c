//! One module per subcommand.

pub mod approve;
pub mod check;
pub mod checkpoints;
pub mod doctor;
pub mod init;
pub mod log;
pub mod manual;
pub mod meta;
pub mod rules;
pub mod run;
pub mod shim;
pub mod show;
