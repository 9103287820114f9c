//! `gate rules edit`, visudo's habit: the policy is edited as a copy beside it (mode 0600),
//! linted as `gate rules lint` lints the policy in force (the system policy, every pack, the
//! inline tests), and put in place with one rename only when it is valid and changed. Until
//! then the live policy is never touched, so a typo cannot make every `gate --` exit 78.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::env_vars;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::policy::{self, DEFAULT_POLICY, LoadOptions, Origin};
use crate::ui;

/// The mode of a policy file `gate rules edit` creates (as `gate init` does).
const NEW_MODE: u32 = 0o644;

pub fn edit(policy_override: Option<PathBuf>) -> Result<Exit> {
    let given = policy_override
        .or_else(policy::user_policy_path)
        .ok_or_else(|| {
            Error::Config(
                "cannot find the user policy path: set HOME or XDG_CONFIG_HOME, or give --policy FILE"
                    .into(),
            )
        })?;
    let live = Live::open(&given)?;
    let dir = live.dir().to_path_buf();
    fs::create_dir_all(&dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    let start = live
        .original
        .as_deref()
        .unwrap_or(DEFAULT_POLICY.as_bytes());
    let mut copy = Copy::create(&live.path, start)?;
    let interactive = std::io::stdin().is_terminal();
    let shown = live.path.display().to_string();
    loop {
        let failed = match attempt(&live, &copy) {
            Attempt::Unchanged => {
                println!("no changes: {shown} is unchanged");
                return Ok(Exit::Success);
            }
            Attempt::Valid(summary) => match live.install(&mut copy) {
                Ok(()) => {
                    println!("installed {shown}: {summary}");
                    return Ok(Exit::Success);
                }
                Err(Install::Raced) => {
                    copy.keep();
                    ui::error(&format!(
                        "{shown} changed while you were editing it: nothing installed; your version is kept in {}",
                        copy.path.display()
                    ));
                    return Ok(Exit::Failure);
                }
                Err(Install::Io(e)) => {
                    return Err(Error::Io(format!(
                        "cannot install {shown}: {e} (it is unchanged)"
                    )));
                }
            },
            Attempt::EditorFailed(why) => {
                ui::error(&format!("{why}: nothing installed, {shown} is unchanged"));
                Exit::Failure
            }
            Attempt::Invalid(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                ui::error(&format!(
                    "the edited policy does not lint ({} problem{}): nothing installed, {shown} is unchanged",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                ));
                Exit::Config
            }
        };
        if !(interactive && edit_again()) {
            return Ok(failed);
        }
    }
}

/// The policy file being edited, as it was when the edit began.
struct Live {
    /// The file itself (a symbolic link is followed: the file it names is replaced).
    path: PathBuf,
    /// Its bytes, `None` when it does not exist yet.
    original: Option<Vec<u8>>,
    /// Its permission bits and owner, which the new file keeps.
    mode: u32,
    owner: Option<(u32, u32)>,
}

enum Install {
    /// Someone else changed the file meanwhile.
    Raced,
    Io(std::io::Error),
}

impl Live {
    fn open(given: &Path) -> Result<Live> {
        let io = |e: std::io::Error| Error::Io(format!("cannot read {}: {e}", given.display()));
        let path = match fs::symlink_metadata(given) {
            Ok(m) if m.file_type().is_symlink() => fs::canonicalize(given).map_err(io)?,
            _ => given.to_path_buf(),
        };
        match fs::metadata(&path) {
            Ok(m) if !m.is_file() => Err(Error::Io(format!(
                "{} is not a regular file",
                path.display()
            ))),
            Ok(m) => Ok(Live {
                original: Some(fs::read(&path).map_err(io)?),
                mode: m.mode() & 0o7777,
                owner: Some((m.uid(), m.gid())),
                path,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Live {
                path,
                original: None,
                mode: NEW_MODE,
                owner: None,
            }),
            Err(e) => Err(io(e)),
        }
    }

    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        }
    }

    /// Give the copy the live file's mode (and owner), then rename it over the live file.
    fn install(&self, copy: &mut Copy) -> std::result::Result<(), Install> {
        let now = match fs::read(&self.path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Install::Io(e)),
        };
        if now != self.original {
            return Err(Install::Raced);
        }
        let file = File::open(&copy.path).map_err(Install::Io)?;
        file.set_permissions(fs::Permissions::from_mode(self.mode))
            .map_err(Install::Io)?;
        if let Some((uid, gid)) = self.owner {
            let meta = file.metadata().map_err(Install::Io)?;
            if (meta.uid(), meta.gid()) != (uid, gid) {
                std::os::unix::fs::fchown(&file, Some(uid), Some(gid)).map_err(Install::Io)?;
            }
        }
        file.sync_all().map_err(Install::Io)?;
        fs::rename(&copy.path, &self.path).map_err(Install::Io)?;
        copy.installed = true;
        // The rename itself made durable; a file system that cannot sync a directory still
        // has the new policy in place.
        if let Ok(dir) = File::open(self.dir()) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// The copy being edited, beside the live file; removed when dropped unless installed or
/// kept.
struct Copy {
    path: PathBuf,
    installed: bool,
}

impl Copy {
    fn create(live: &Path, text: &[u8]) -> Result<Copy> {
        let stem = live
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "policy".into());
        let dir = live.parent().unwrap_or(Path::new("."));
        let mut last = None;
        for _ in 0..8 {
            let mut random = [0u8; 6];
            crate::random::fill(&mut random)
                .map_err(|e| Error::Io(format!("cannot make a file name: {e}")))?;
            // `.toml` last, for the editor's syntax highlighting.
            let path = dir.join(format!(".{stem}.edit-{}.toml", hex::encode(random)));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut f) => {
                    let copy = Copy {
                        path,
                        installed: false,
                    };
                    f.write_all(text).map_err(|e| {
                        Error::Io(format!("cannot write {}: {e}", copy.path.display()))
                    })?;
                    return Ok(copy);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => {
                    return Err(Error::Io(format!(
                        "cannot create a copy to edit in {}: {e}",
                        dir.display()
                    )));
                }
            }
        }
        Err(Error::Io(format!(
            "cannot create a copy to edit in {}: {}",
            dir.display(),
            last.map(|e| e.to_string()).unwrap_or_default()
        )))
    }

    /// Leave the copy where it is (the person is told where).
    fn keep(&mut self) {
        self.installed = true;
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        if !self.installed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// What one round of editing came to.
enum Attempt {
    Unchanged,
    /// Lints clean: what lint says of it.
    Valid(String),
    EditorFailed(String),
    /// Every problem and failed inline test, `file:line:column: message`.
    Invalid(Vec<String>),
}

fn attempt(live: &Live, copy: &Copy) -> Attempt {
    if let Err(why) = run_editor(&copy.path) {
        return Attempt::EditorFailed(why);
    }
    let edited = match fs::read(&copy.path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Attempt::EditorFailed(format!(
                "cannot read the edited copy {}: {e}",
                copy.path.display()
            ));
        }
    };
    let unchanged = match &live.original {
        Some(original) => edited == *original,
        // Nothing there yet: the starter policy left as it was is no change to make.
        None => edited == DEFAULT_POLICY.as_bytes(),
    };
    if unchanged {
        return Attempt::Unchanged;
    }
    match lint(&copy.path, &live.path) {
        Ok(summary) => Attempt::Valid(summary),
        Err(problems) => Attempt::Invalid(problems),
    }
}

/// Lint the copy as the policy it would be: in place of the live file, with the system
/// policy, every pack and every inline test, as `gate rules lint` does. Positions in the copy
/// are shown as positions in the live file (the lines are the same).
fn lint(copy: &Path, live: &Path) -> std::result::Result<String, Vec<String>> {
    let copy_name = copy.display().to_string();
    let at = |o: &Origin| {
        if o.file == copy_name {
            format!("{}:{}:{}", live.display(), o.line, o.column)
        } else {
            o.to_string()
        }
    };
    let lines = |problems: policy::Problems| -> Vec<String> {
        problems
            .0
            .iter()
            .map(|p| format!("{}: {}", at(&p.origin), p.message))
            .collect()
    };
    let opts = LoadOptions {
        override_path: Some(copy.to_path_buf()),
        system_path: None,
        user_path: None,
        ..Default::default()
    };
    let (mut policy, warnings) = policy::load(&opts).map_err(lines)?;
    for w in warnings {
        ui::note(&format!("warning: {w}"));
    }
    policy.load_every_pack().map_err(lines)?;
    let lint = super::Lint::of(&policy);
    let mut problems: Vec<String> = lint
        .problems
        .iter()
        .map(|p| format!("{}: {}", at(&p.origin), p.message))
        .collect();
    problems.extend(
        lint.failures
            .iter()
            .map(|f| format!("{}: {}", at(&f.origin), f.message)),
    );
    if !problems.is_empty() {
        return Err(problems);
    }
    for d in &policy.disables {
        println!(
            "{}",
            super::disable_text(d).replace(&copy_name, &live.display().to_string())
        );
    }
    Ok(format!(
        "{} rules, {} inline tests passed",
        policy.rules.len(),
        lint.passed
    ))
}

/// `$VISUAL`, else `$EDITOR`, else `vi`, on `path`. The value may hold arguments
/// (`code --wait`): it is run by `/bin/sh` as git runs its editor, with the file as `"$@"`.
fn run_editor(path: &Path) -> std::result::Result<(), String> {
    let editor = env_vars::text(env_vars::VISUAL)
        .or_else(|| env_vars::text(env_vars::EDITOR))
        .unwrap_or_else(|| "vi".into());
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(&editor)
        .arg(path)
        .spawn()
        .map_err(|e| format!("cannot start the editor `{editor}`: {e}"))?;
    // While the editor has the terminal, Ctrl-C and Ctrl-\ are the editor's: they must not end
    // gate and leave the copy behind (as git does).
    let status = {
        let _held = Interrupts::ignored();
        child.wait()
    }
    .map_err(|e| format!("cannot wait for the editor `{editor}`: {e}"))?;
    if status.success() {
        return Ok(());
    }
    Err(match (status.code(), status.signal()) {
        (Some(code), _) => format!("the editor `{editor}` exited with status {code}"),
        (_, Some(sig)) => format!("the editor `{editor}` was killed by signal {sig}"),
        _ => format!("the editor `{editor}` failed"),
    })
}

/// SIGINT and SIGQUIT ignored until dropped.
struct Interrupts(Vec<(nix::sys::signal::Signal, nix::sys::signal::SigHandler)>);

impl Interrupts {
    fn ignored() -> Interrupts {
        use nix::sys::signal::{SigHandler, Signal, signal};
        let mut before = Vec::new();
        for sig in [Signal::SIGINT, Signal::SIGQUIT] {
            // SAFETY: ignoring a signal installs no handler code.
            if let Ok(old) = unsafe { signal(sig, SigHandler::SigIgn) } {
                before.push((sig, old));
            }
        }
        Interrupts(before)
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        for (sig, old) in self.0.drain(..) {
            // SAFETY: puts back the disposition that was there before.
            let _ = unsafe { nix::sys::signal::signal(sig, old) };
        }
    }
}

/// Ask on the terminal whether to edit again; anything but `e` and `q` asks again, end of
/// input quits.
fn edit_again() -> bool {
    let stdin = std::io::stdin();
    loop {
        eprint!("What now? (e)dit again, (q)uit without saving: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => {
                eprintln!();
                return false;
            }
            Ok(_) => {}
        }
        match line.trim() {
            "e" | "E" | "edit" => return true,
            "q" | "Q" | "quit" => return false,
            _ => {}
        }
    }
}
