//! Script files a command runs (`bash x.sh`, `python3 x.py`, `./x` with a shebang).
//!
//! The analyser does no I/O: it only names the files ([`ScriptRef`] in
//! [`Analysis::scripts`]). A caller that may read files (`src/commands/script_files.rs`) reads
//! them and analyses their text with the functions here: a shell script with
//! [`super::analyze_script`], a Python file with [`analyze_python`] (the string-literal
//! analysis of `python3 -c`), and a file run by path with the interpreter its [`shebang`]
//! names.

use super::cx::{Cx, Frame, basename};
use super::wrappers::SH_FAMILY;
use super::{Analysis, Origin, Word, Wrappers, snippet};

/// How a script file is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptKind {
    /// By a shell (its base name: `bash`, `sh`, …): the file is a shell script.
    Shell(String),
    /// By Python: the file is Python code, whose string literals are checked.
    Python,
}

/// A script file a command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRef {
    pub kind: ScriptKind,
    /// The interpreter as written (`bash`, `/usr/bin/python3`).
    pub program: String,
    /// The file as written.
    pub path: Word,
    /// The index of `path` in the command's words: its position in the argv when `via` is
    /// empty and `origin` is [`Origin::Argv`].
    pub arg: usize,
    /// Wrappers peeled to reach the command, outermost first.
    pub via: Vec<String>,
    pub origin: Origin,
    /// The index in [`Analysis::commands`] the command would have (the commands found before
    /// it), for judging what ran before it.
    pub command: usize,
    /// The snippet of the opaque entry ("runs a script file") it stands for, for a shell: the
    /// entry is dropped when the file could be read and analysed.
    pub snippet: String,
}

impl Cx<'_> {
    /// Name the script file `words[arg]` that the command `words` runs.
    pub(crate) fn script_file(
        &mut self,
        kind: ScriptKind,
        words: &[Word],
        arg: usize,
        frame: &Frame,
        text: &str,
    ) {
        let Some(path) = words.get(arg) else {
            return;
        };
        let r = ScriptRef {
            kind,
            program: words[0].text.clone(),
            path: path.clone(),
            arg,
            via: frame.via.clone(),
            origin: frame.origin,
            command: self.out.commands.len(),
            snippet: snippet(text),
        };
        self.out.scripts.push(r);
    }
}

/// The commands the string literals of Python code hold (as for `python3 -c`): each literal
/// analysed as a shell script, a list of literals as an argv. Origin [`Origin::InlineCode`]:
/// they can only make a decision stricter. The code itself is not opaque: a Python file is a
/// program like any other, and its literals are what gate can see of what it runs.
pub fn analyze_python(code: &str, wrappers: &Wrappers) -> Analysis {
    let mut cx = Cx::new(wrappers);
    let frame = Frame::root(Origin::InlineCode);
    super::inline::literal_commands(&mut cx, code, &frame);
    cx.out
}

/// The `#!` line of a file, as the kernel reads it: the interpreter and at most one argument
/// (the rest of the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shebang {
    pub interpreter: String,
    pub arg: Option<String>,
}

impl Shebang {
    /// The argv the kernel runs for `path ARGS…`: `INTERPRETER [ARG] path ARGS…`.
    pub fn argv(&self, path: &str, args: &[String]) -> Vec<String> {
        let mut v = vec![self.interpreter.clone()];
        v.extend(self.arg.clone());
        v.push(path.to_string());
        v.extend(args.iter().cloned());
        v
    }

    /// The shell it names, directly (`#!/bin/sh`) or through `env` (`#!/usr/bin/env bash`,
    /// `#!/usr/bin/env -S bash -e`): its base name.
    pub fn shell(&self) -> Option<String> {
        let base = basename(&self.interpreter);
        let name = if base == "env" {
            let arg = self.arg.as_deref()?;
            let mut words = arg.split_whitespace();
            loop {
                let w = words.next()?;
                if w == "-S" || w.starts_with("--split-string") {
                    continue;
                }
                if w.starts_with('-') || w.contains('=') {
                    // Other `env` options (`-i`, `-u NAME`): read no further.
                    return None;
                }
                break basename(w).to_string();
            }
        } else {
            base.to_string()
        };
        SH_FAMILY.contains(&name.as_str()).then_some(name)
    }
}

/// The shebang of a file's first bytes, if it has one.
pub fn shebang(head: &[u8]) -> Option<Shebang> {
    let rest = head.strip_prefix(b"#!")?;
    let line = rest.split(|&b| b == b'\n').next().unwrap_or(rest);
    let line = std::str::from_utf8(line).ok()?;
    let line = line.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r');
    let (interpreter, arg) = match line.find([' ', '\t']) {
        Some(i) => {
            let arg = line[i..].trim_matches([' ', '\t']);
            (&line[..i], (!arg.is_empty()).then(|| arg.to_string()))
        }
        None => (line, None),
    };
    if interpreter.is_empty() {
        return None;
    }
    Some(Shebang {
        interpreter: interpreter.to_string(),
        arg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs_are_read_as_the_kernel_reads_them() {
        let s = shebang(b"#!/bin/bash -e\necho hi\n").unwrap();
        assert_eq!(s.interpreter, "/bin/bash");
        assert_eq!(s.arg.as_deref(), Some("-e"));
        assert_eq!(s.shell().as_deref(), Some("bash"));
        assert_eq!(
            shebang(b"#! /usr/bin/env bash\n")
                .unwrap()
                .shell()
                .as_deref(),
            Some("bash")
        );
        assert_eq!(
            shebang(b"#!/usr/bin/env -S sh -eu\n")
                .unwrap()
                .shell()
                .as_deref(),
            Some("sh")
        );
        assert_eq!(shebang(b"#!/usr/bin/python3\n").unwrap().shell(), None);
        assert_eq!(shebang(b"#!/usr/bin/env -i bash\n").unwrap().shell(), None);
        assert_eq!(shebang(b"#!/bin/fish\n").unwrap().shell(), None);
        assert_eq!(shebang(b"echo hi\n"), None);
        assert_eq!(shebang(b"#!\n"), None);
        assert_eq!(
            shebang(b"#!/bin/sh\n").unwrap().argv("./x", &["a".into()]),
            vec!["/bin/sh", "./x", "a"]
        );
    }

    #[test]
    fn script_files_are_named_not_read() {
        let w = Wrappers::builtin();
        let a = super::super::analyze_script("bash -e ./run.sh a; python3 -W x tool.py", &w);
        assert_eq!(a.scripts.len(), 2, "{a:?}");
        assert_eq!(a.scripts[0].kind, ScriptKind::Shell("bash".into()));
        assert_eq!(a.scripts[0].path.text, "./run.sh");
        assert_eq!(a.scripts[0].arg, 2);
        assert_eq!(a.scripts[1].kind, ScriptKind::Python);
        assert_eq!(a.scripts[1].path.text, "tool.py");
        // The shell's file stays opaque until someone reads it; the Python file never was.
        assert_eq!(a.opaque.len(), 1, "{a:?}");
        assert!(a.opaque[0].reason.contains("script file"));
    }

    #[test]
    fn python_string_literals_are_commands() {
        let a = analyze_python(
            "import os\nos.system('rm -rf /')\nsubprocess.run([\"kubectl\", \"delete\", \"ns\"])\n",
            &Wrappers::builtin(),
        );
        let cmds: Vec<String> = a
            .commands
            .iter()
            .map(|c| {
                c.words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert!(cmds.contains(&"rm -rf /".to_string()), "{cmds:?}");
        assert!(cmds.contains(&"kubectl delete ns".to_string()), "{cmds:?}");
        assert!(a.opaque.is_empty(), "{a:?}");
    }
}
