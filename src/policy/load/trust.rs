//! File trust: the system policy counts only when root owns it and nobody else can write it or
//! its directory. It is opened once, and the checks and the read go through the descriptors.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::fcntl::{OFlag, open, openat};
use nix::sys::stat::Mode;

use super::Layer;

/// Who must own the system policy and its directory.
const ROOT: u32 = 0;

/// The directory is opened to look the file up in it and to fstat it: with `O_PATH`, which
/// (as the lookup by path did) needs no read permission on it; elsewhere, for reading.
#[cfg(any(target_os = "linux", target_os = "android"))]
const DIR_ACCESS: OFlag = OFlag::O_PATH;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const DIR_ACCESS: OFlag = OFlag::O_RDONLY;

/// The system policy counts only when root owns it and nobody else can write it (as sudo does
/// for sudoers), nor the directory it is in; otherwise anyone could loosen it.
pub(super) fn read_system_policy(path: &Path) -> Result<Option<Layer>, String> {
    read_trusted(path, ROOT)
}

/// [`read_system_policy`] with the owner to require (tests run as anyone).
///
/// The directory is opened, then the file within it (a symbolic link is followed, as it
/// always was; the link itself is in the directory checked): between the checks and the read
/// nothing is looked up by path again, so a file or directory swapped meanwhile is not read.
fn read_trusted(path: &Path, owner: u32) -> Result<Option<Layer>, String> {
    let cannot = |e: std::io::Error| {
        format!(
            "ignoring the system policy {}: cannot read it: {e}",
            path.display()
        )
    };
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(format!(
            "ignoring the system policy {}: it is not a regular file",
            path.display()
        ));
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let opened = |fd: nix::Result<std::os::fd::OwnedFd>| match fd {
        Ok(fd) => Ok(Some(File::from(fd))),
        Err(errno) => match std::io::Error::from(errno) {
            e if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            e => Err(cannot(e)),
        },
    };
    let dir_flags = DIR_ACCESS | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let Some(dir) = opened(open(parent, dir_flags, Mode::empty()))? else {
        return Ok(None);
    };
    // Not blocking on a FIFO: it is refused below, as anything but a regular file.
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOCTTY | OFlag::O_NONBLOCK;
    let Some(file) = opened(openat(&dir, name, flags, Mode::empty()))? else {
        return Ok(None);
    };
    let text = checked_text(path, parent, &dir, file, owner)?;
    Ok(Some(Layer {
        name: path.display().to_string(),
        text,
        system: true,
        fleet_version: None,
    }))
}

/// The text of the opened policy `file`, found in the opened directory `dir` (named `path` and
/// `dir_path` in messages), when both are owned by `owner` and not writable by group or
/// others, and the file is a regular file. Everything is read from the descriptors (fstat,
/// then read), so the text is that of the file checked, whatever the paths name by now.
fn checked_text(
    path: &Path,
    dir_path: &Path,
    dir: &File,
    mut file: File,
    owner: u32,
) -> Result<String, String> {
    let ignoring = |why: String| format!("ignoring the system policy {}: {why}", path.display());
    let (p, d) = (path.display(), dir_path.display());
    let meta = file
        .metadata()
        .map_err(|e| ignoring(format!("cannot read it: {e}")))?;
    if meta.uid() != owner {
        return Err(ignoring(format!(
            "it is not owned by root (chown root {p})"
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(ignoring(format!(
            "it is writable by group or others (chmod go-w {p})"
        )));
    }
    if !meta.file_type().is_file() {
        return Err(ignoring("it is not a regular file".into()));
    }
    let dir_meta = dir
        .metadata()
        .map_err(|e| ignoring(format!("cannot read its directory {d}: {e}")))?;
    if dir_meta.uid() != owner {
        return Err(ignoring(format!(
            "its directory {d} is not owned by root (chown root {d})"
        )));
    }
    if dir_meta.mode() & 0o022 != 0 {
        return Err(ignoring(format!(
            "its directory {d} is writable by group or others (chmod go-w {d})"
        )));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| ignoring(format!("cannot read it: {e}")))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn me() -> u32 {
        nix::unistd::getuid().as_raw()
    }

    fn write(path: &Path, text: &str, mode: u32) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn system_policy_must_be_root_owned_and_not_writable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        std::fs::write(&path, "[defaults]\ndecision = \"deny\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let got = read_system_policy(&path);
        assert!(
            got.is_err(),
            "a world-writable system policy must be ignored"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let got = read_system_policy(&path);
        if nix::unistd::getuid().is_root() {
            assert!(got.unwrap().is_some());
        } else {
            assert!(got.unwrap_err().contains("not owned by root"));
        }
    }

    /// An attacker who can swap the file between the check and the read (here: hard links
    /// of a checked file and of a file writable by others, renamed over the path in turn)
    /// must not get the unchecked file read.
    #[test]
    fn what_is_read_is_what_was_checked() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::time::{Duration, Instant};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        let good = dir.path().join("good.toml");
        let evil = dir.path().join("evil.toml");
        write(&good, "# checked\n", 0o644);
        write(&evil, "# not checked\n", 0o666);
        std::fs::hard_link(&good, &path).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, dir, path) = (stop.clone(), dir.path().to_path_buf(), path.clone());
            let (good, evil) = (good.clone(), evil.clone());
            std::thread::spawn(move || {
                let tmp = dir.join("swap.tmp");
                while !stop.load(Ordering::Relaxed) {
                    for file in [&evil, &good] {
                        let _ = std::fs::remove_file(&tmp);
                        std::fs::hard_link(file, &tmp).unwrap();
                        std::fs::rename(&tmp, &path).unwrap();
                    }
                }
            })
        };
        let (mut accepted, mut refused) = (0, 0);
        let deadline = Instant::now() + Duration::from_millis(1500);
        let mut wrong = None;
        while Instant::now() < deadline && wrong.is_none() {
            match read_trusted(&path, me()) {
                Ok(Some(layer)) if layer.text == "# checked\n" => accepted += 1,
                Ok(Some(layer)) => wrong = Some(layer.text),
                Ok(None) => {}
                Err(_) => refused += 1,
            }
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        assert_eq!(wrong, None, "read a file that was not the one checked");
        assert!(accepted > 0 && refused > 0, "{accepted} {refused}");
    }

    /// The text returned is the one of the descriptor checked, not of what the path names by
    /// the time it is read; and a descriptor that fails the check is refused even when the
    /// path names a good file by then.
    #[test]
    fn the_descriptor_checked_is_the_one_read() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("policy.toml");
        let other = tmp.path().join("other.toml");
        let dir = File::open(tmp.path()).unwrap();
        write(&path, "# opened\n", 0o644);
        let opened = File::open(&path).unwrap();
        write(&other, "# swapped in\n", 0o666);
        std::fs::rename(&other, &path).unwrap();
        let text = checked_text(&path, tmp.path(), &dir, opened, me()).unwrap();
        assert_eq!(text, "# opened\n");

        let opened = File::open(&path).unwrap();
        write(&other, "# good\n", 0o644);
        std::fs::rename(&other, &path).unwrap();
        let err = checked_text(&path, tmp.path(), &dir, opened, me()).unwrap_err();
        assert!(err.contains("writable by group or others"), "{err}");
    }

    #[test]
    fn the_directory_must_not_be_writable_by_others() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("policy.toml");
        write(&path, "# policy\n", 0o644);
        assert_eq!(
            read_trusted(&path, me()).unwrap().unwrap().text,
            "# policy\n"
        );
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = read_trusted(&path, me()).unwrap_err();
        let d = tmp.path().display();
        assert!(
            err.ends_with(&format!(
                "its directory {d} is writable by group or others (chmod go-w {d})"
            )),
            "{err}"
        );
        // Searchable, not readable (but by root): the policy in it is read as before (with
        // `O_PATH`; elsewhere the directory must be readable).
        if cfg!(any(target_os = "linux", target_os = "android")) {
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o100)).unwrap();
            let got = read_trusted(&path, me());
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            assert_eq!(got.unwrap().unwrap().text, "# policy\n");
        }
        if nix::unistd::getuid().is_root() {
            std::os::unix::fs::chown(tmp.path(), Some(65534), None).unwrap();
            let err = read_system_policy(&path).unwrap_err();
            assert!(
                err.ends_with(&format!(
                    "its directory {d} is not owned by root (chown root {d})"
                )),
                "{err}"
            );
        }
    }

    /// As before: a missing file is no system policy, a symbolic link is followed, and what
    /// is not a regular file is refused.
    #[test]
    fn missing_files_links_and_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("policy.toml");
        assert!(read_trusted(&path, me()).unwrap().is_none());
        let missing_dir = tmp.path().join("no/policy.toml");
        assert!(read_trusted(&missing_dir, me()).unwrap().is_none());
        write(&tmp.path().join("real.toml"), "# real\n", 0o644);
        std::os::unix::fs::symlink("real.toml", &path).unwrap();
        let layer = read_trusted(&path, me()).unwrap().unwrap();
        assert_eq!((layer.text.as_str(), layer.system), ("# real\n", true));
        let sub = tmp.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = read_trusted(&sub, me()).unwrap_err();
        assert!(err.ends_with("it is not a regular file"), "{err}");
    }
}
