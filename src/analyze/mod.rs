//! argv -> the simple commands that would run. (Placeholder until the shell analyser lands:
//! a plain argv is one command; a shell with a script is opaque.)

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub dynamic: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Argv,
    Script,
    InlineCode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    pub words: Vec<Word>,
    pub origin: Origin,
    pub via: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opaque {
    pub reason: String,
    pub snippet: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    pub commands: Vec<SimpleCommand>,
    pub opaque: Vec<Opaque>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapperSpec {
    pub program: String,
    pub value_options: Vec<String>,
    pub skip_positionals: usize,
}

pub struct Wrappers {
    _extra: Vec<WrapperSpec>,
}

impl Wrappers {
    pub fn builtin() -> Self {
        Wrappers { _extra: Vec::new() }
    }
    pub fn with_extra(extra: Vec<WrapperSpec>) -> Self {
        Wrappers { _extra: extra }
    }
}

pub fn analyze_argv(argv: &[String], _wrappers: &Wrappers) -> Analysis {
    let mut analysis = Analysis::default();
    let Some(program) = argv.first() else {
        return analysis;
    };
    let base = program.rsplit('/').next().unwrap_or(program);
    if matches!(base, "sh" | "bash" | "zsh" | "dash" | "ksh")
        && argv.iter().any(|a| a.starts_with('-') && a.contains('c'))
    {
        analysis.opaque.push(Opaque {
            reason: "shell script (not analysed yet)".into(),
            snippet: argv.join(" "),
        });
    }
    analysis.commands.push(SimpleCommand {
        words: argv
            .iter()
            .map(|a| Word {
                text: a.clone(),
                dynamic: false,
            })
            .collect(),
        origin: Origin::Argv,
        via: Vec::new(),
    });
    analysis
}

pub fn analyze_script(script: &str, _wrappers: &Wrappers) -> Analysis {
    Analysis {
        commands: Vec::new(),
        opaque: vec![Opaque {
            reason: "shell script (not analysed yet)".into(),
            snippet: script.chars().take(120).collect(),
        }],
    }
}
