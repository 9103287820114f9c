//! Built-in rule packs (SPEC §4 `packs`), embedded in the binary. Each is an ordinary policy
//! file holding only `[[rule]]` tables, so `gate rules lint` checks it like any other.

/// Every pack, in the order the default policy enables them.
pub const NAMES: &[&str] = &[
    "filesystem",
    "git",
    "kubernetes",
    "helm",
    "terraform",
    "cloud",
    "databases",
    "containers",
    "system",
    "publishing",
    "secrets",
    "http",
];

pub fn source(name: &str) -> Option<&'static str> {
    Some(match name {
        "filesystem" => include_str!("packs/filesystem.toml"),
        "git" => include_str!("packs/git.toml"),
        "kubernetes" => include_str!("packs/kubernetes.toml"),
        "helm" => include_str!("packs/helm.toml"),
        "terraform" => include_str!("packs/terraform.toml"),
        "cloud" => include_str!("packs/cloud.toml"),
        "databases" => include_str!("packs/databases.toml"),
        "containers" => include_str!("packs/containers.toml"),
        "system" => include_str!("packs/system.toml"),
        "publishing" => include_str!("packs/publishing.toml"),
        "secrets" => include_str!("packs/secrets.toml"),
        "http" => include_str!("packs/http.toml"),
        _ => return None,
    })
}
