//! `gate completions`, `gate man` (the page itself is `manual.rs`) and `gate schema`.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionShell};
use crate::error::{Error, Result};
use crate::exit::Exit;

pub fn completions(shell: CompletionShell) -> Result<Exit> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Elvish => Shell::Elvish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "gate", &mut std::io::stdout());
    Ok(Exit::Success)
}

pub fn man() -> Result<Exit> {
    use std::io::Write;
    let page = super::manual::page().map_err(|e| Error::Io(e.to_string()))?;
    std::io::stdout()
        .write_all(&page)
        .map_err(|e| Error::Io(e.to_string()))?;
    Ok(Exit::Success)
}

/// `gate schema NAME`: the JSON Schema of a shape, as committed in `schemas/NAME.schema.json`;
/// `gate schema`: the names.
pub fn schema(name: Option<&str>) -> Result<Exit> {
    let Some(name) = name else {
        for (schema, _) in crate::json::all() {
            println!("{}", crate::json::short_name(schema));
        }
        return Ok(Exit::Success);
    };
    match crate::json::schema_text(name) {
        Some(text) => {
            print!("{text}");
            Ok(Exit::Success)
        }
        None => Err(Error::Usage(format!(
            "no JSON shape `{}` (`gate schema` lists them)",
            crate::ui::printable(name)
        ))),
    }
}
