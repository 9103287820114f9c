//! File trust: the system policy counts only when root owns it and nobody else can write it.

use std::path::Path;

use super::Layer;

/// The system policy counts only when root owns it and nobody else can write it (as sudo does
/// for sudoers); otherwise anyone could loosen it.
pub(super) fn read_system_policy(path: &Path) -> Result<Option<Layer>, String> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "ignoring the system policy {}: cannot read it: {e}",
                path.display()
            ));
        }
    };
    if meta.uid() != 0 {
        return Err(format!(
            "ignoring the system policy {}: it is not owned by root (chown root {})",
            path.display(),
            path.display()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "ignoring the system policy {}: it is writable by group or others (chmod go-w {})",
            path.display(),
            path.display()
        ));
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(Layer {
            name: path.display().to_string(),
            text,
            system: true,
        })),
        Err(e) => Err(format!(
            "ignoring the system policy {}: cannot read it: {e}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

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
}
