//! Which PostgreSQL the fleet is, and how to log in to it, with libpq's conventions: a
//! `postgres://` URI (from `GATE_FLEET` or the system policy's `[fleet] url`), then a service
//! file entry (`service=`), then the `PG*` variables, then libpq's defaults; the password from
//! the URI, the service, `PGPASSWORD` or `.pgpass` (ignored unless 0600 or stricter, as libpq
//! does); TLS as `sslmode`, `sslcert`, `sslkey`, `sslrootcert` say.
//!
//! Nothing here connects: [`resolve`] only reads files and variables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::env_vars as ev;
use crate::error::{Error, Result};

/// The parameters gate understands, in a URI's query or a service file entry.
const KNOWN: &[&str] = &[
    "host",
    "port",
    "user",
    "password",
    "dbname",
    "sslmode",
    "sslcert",
    "sslkey",
    "sslrootcert",
    "service",
    "passfile",
    "connect_timeout",
    "application_name",
];

/// libpq's `sslmode`, as libpq defines each (`allow` is not offered: it tries plain text first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS when the server offers it; the certificate is checked only if a root certificate is
    /// there to check it with.
    Prefer,
    /// TLS or nothing; checked as `prefer` is.
    Require,
    /// TLS, and the server's certificate must chain to the root certificate.
    VerifyCa,
    /// As `verify-ca`, and the certificate must name the host.
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(Error::Config(format!(
                    "unknown sslmode `{other}` (expected disable, prefer, require, verify-ca or verify-full)"
                )));
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Tcp(String),
    /// A directory holding the server's Unix socket.
    Unix(PathBuf),
}

/// Everything needed to connect, resolved.
#[derive(Clone)]
pub struct Target {
    pub host: Host,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    pub password: Option<String>,
    pub sslmode: SslMode,
    pub sslcert: PathBuf,
    pub sslkey: PathBuf,
    /// A file of PEM certificates, or `system` for the bundled web roots.
    pub sslrootcert: String,
    pub connect_timeout: Duration,
    pub application_name: String,
    /// Where the URI came from (`GATE_FLEET` or the system policy), for messages.
    pub source: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl Target {
    /// The target as a URI without its password, for messages and `gate fleet status`.
    pub fn display(&self) -> String {
        let host = match &self.host {
            Host::Tcp(h) if h.contains(':') => format!("[{h}]"),
            Host::Tcp(h) => h.clone(),
            Host::Unix(dir) => percent_encode(&dir.display().to_string()),
        };
        format!(
            "postgres://{}@{host}:{}/{}",
            percent_encode(&self.user),
            self.port,
            percent_encode(&self.dbname)
        )
    }
}

/// Where the fleet's URI is: `GATE_FLEET`, else the system policy's `[fleet] url`. The
/// protected install reads only its system policy: a variable any user sets does not move
/// where its ledger goes.
pub fn configured() -> Result<Option<(String, String)>> {
    let from_env = ev::text(ev::GATE_FLEET);
    if crate::protected::active() {
        if from_env.is_some() {
            crate::ui::note(&format!(
                "warning: {} is ignored by the protected install; its system policy says which fleet it is in",
                ev::GATE_FLEET
            ));
        }
    } else if let Some(url) = from_env {
        return Ok(Some((url, ev::GATE_FLEET.to_string())));
    }
    // The fleet policy a host cached is no part of it (and a bad cache must not stop
    // `gate policy fetch` from connecting to replace it).
    let (policy, _) = crate::policy::load(&crate::policy::LoadOptions {
        without_fleet_policy: true,
        ..Default::default()
    })
    .map_err(crate::error::Error::Policy)?;
    Ok(policy
        .fleet
        .map(|url| (url, crate::policy::system_policy())))
}

/// Whether this process is in a fleet, from the policy it loaded: no file read, no
/// connection (the hot path asks this).
pub fn in_fleet(policy: &crate::policy::Policy) -> bool {
    policy.fleet.is_some() || (!crate::protected::active() && ev::text(ev::GATE_FLEET).is_some())
}

/// The fleet's target as the policy already loaded names it (`GATE_FLEET` first, outside the
/// protected install).
pub fn target_of(policy: &crate::policy::Policy) -> Result<Target> {
    let url = if crate::protected::active() {
        None
    } else {
        ev::text(ev::GATE_FLEET).map(|u| (u, ev::GATE_FLEET.to_string()))
    };
    match url.or_else(|| {
        policy
            .fleet
            .clone()
            .map(|u| (u, crate::policy::system_policy()))
    }) {
        Some((url, source)) => resolve(&url, &source, &Vars::from_env()),
        None => target(),
    }
}

/// Whether `gate pending`, `approve` and `deny` answer in a fleet: a person's own URI is set,
/// or this machine is in one.
pub fn answers_in_fleet() -> Result<bool> {
    Ok(ev::text(ev::GATE_FLEET_APPROVER).is_some() || configured()?.is_some())
}

/// The target a person answers with, as their own role: `GATE_FLEET_APPROVER` (their own
/// credentials: honoured by every install, since PostgreSQL authenticates the role), else the
/// fleet's URI without its user, so that libpq's defaults name the person (`PGUSER`, else the
/// OS user) and their own `.pgpass` or certificate logs them in.
pub fn approver_target() -> Result<Target> {
    if let Some(url) = ev::text(ev::GATE_FLEET_APPROVER) {
        return resolve(&url, ev::GATE_FLEET_APPROVER, &Vars::from_env());
    }
    let Some((url, source)) = configured()? else {
        return target();
    };
    let mut params = parse_uri(&url)?;
    params.remove("user");
    params.remove("password");
    let rebuilt = format!(
        "postgresql://?{}",
        params
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    );
    resolve(&rebuilt, &source, &Vars::from_env())
}

/// The fleet's target, or a configuration error saying how to name one.
pub fn target() -> Result<Target> {
    match configured()? {
        Some((url, source)) => resolve(&url, &source, &Vars::from_env()),
        None => Err(Error::Config(format!(
            "no fleet is configured: set {}=postgres://ROLE@HOST/DB or [fleet] url in {}",
            ev::GATE_FLEET,
            crate::policy::system_policy()
        ))),
    }
}

/// What the policy file may say: a PostgreSQL URI with no password in it (secrets never live
/// in the policy file).
pub fn check_policy_url(url: &str) -> std::result::Result<(), String> {
    let params = parse_uri(url).map_err(|e| e.to_string())?;
    if params.contains_key("password") {
        return Err(
            "the fleet URI holds a password: keep it in ~/.pgpass (mode 0600), a service file or PGPASSWORD, not in the policy"
                .into(),
        );
    }
    Ok(())
}

/// The environment as libpq reads it (a map, so tests need not change the process's).
#[derive(Default, Clone)]
pub struct Vars(pub BTreeMap<String, String>);

impl Vars {
    pub fn from_env() -> Self {
        let names = [
            ev::PGHOST,
            ev::PGPORT,
            ev::PGUSER,
            ev::PGDATABASE,
            ev::PGPASSWORD,
            ev::PGPASSFILE,
            ev::PGSERVICE,
            ev::PGSERVICEFILE,
            ev::PGSSLMODE,
            ev::PGSSLCERT,
            ev::PGSSLKEY,
            ev::PGSSLROOTCERT,
            ev::PGCONNECT_TIMEOUT,
            ev::PGAPPNAME,
            ev::HOME,
        ];
        Vars(
            names
                .iter()
                .filter_map(|n| ev::text(n).map(|v| (n.to_string(), v)))
                .collect(),
        )
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
    fn home(&self) -> Option<PathBuf> {
        self.get(ev::HOME).map(PathBuf::from)
    }
}

/// The URI, then the service entry it (or `PGSERVICE`) names, then the variables, then
/// libpq's defaults, each filling only what the ones before left unset.
pub fn resolve(url: &str, source: &str, vars: &Vars) -> Result<Target> {
    let mut params = parse_uri(url)?;
    let service = params
        .get("service")
        .cloned()
        .or_else(|| vars.get(ev::PGSERVICE).map(String::from));
    if let Some(name) = service {
        for (k, v) in service_entry(&name, vars)? {
            params.entry(k).or_insert(v);
        }
    }
    let pick = |key: &str, var: &str| -> Option<String> {
        params
            .get(key)
            .cloned()
            .or_else(|| vars.get(var).map(String::from))
    };
    let host = match pick("host", ev::PGHOST) {
        Some(h) if h.starts_with('/') => Host::Unix(PathBuf::from(h)),
        Some(h) if !h.is_empty() => Host::Tcp(h),
        _ => Host::Unix(default_socket_dir()),
    };
    let port = match pick("port", ev::PGPORT) {
        Some(p) => p
            .parse()
            .map_err(|_| Error::Config(format!("bad port `{p}` in the fleet URI ({source})")))?,
        None => 5432,
    };
    let user = match pick("user", ev::PGUSER) {
        Some(u) => u,
        None => os_user()?,
    };
    let dbname = pick("dbname", ev::PGDATABASE).unwrap_or_else(|| user.clone());
    let home_file = |name: &str| {
        vars.home()
            .map(|h| h.join(".postgresql").join(name))
            .unwrap_or_default()
    };
    let sslmode = match pick("sslmode", ev::PGSSLMODE) {
        Some(m) => SslMode::parse(&m)?,
        None => SslMode::Prefer,
    };
    let connect_timeout = match pick("connect_timeout", ev::PGCONNECT_TIMEOUT) {
        // libpq waits forever on 0 or nothing; gate does not wait forever for anything.
        Some(t) => match t.parse::<u64>() {
            Ok(0) => DEFAULT_CONNECT_TIMEOUT,
            Ok(n) => Duration::from_secs(n.max(2)),
            Err(_) => return Err(Error::Config(format!("bad connect_timeout `{t}`"))),
        },
        None => DEFAULT_CONNECT_TIMEOUT,
    };
    let mut target = Target {
        port,
        user,
        dbname,
        password: None,
        sslmode,
        sslcert: pick("sslcert", ev::PGSSLCERT)
            .map(PathBuf::from)
            .unwrap_or_else(|| home_file("postgresql.crt")),
        sslkey: pick("sslkey", ev::PGSSLKEY)
            .map(PathBuf::from)
            .unwrap_or_else(|| home_file("postgresql.key")),
        sslrootcert: pick("sslrootcert", ev::PGSSLROOTCERT)
            .unwrap_or_else(|| home_file("root.crt").display().to_string()),
        connect_timeout,
        application_name: pick("application_name", ev::PGAPPNAME).unwrap_or_else(|| "gate".into()),
        host,
        source: source.to_string(),
    };
    target.password = match pick("password", ev::PGPASSWORD) {
        Some(p) => Some(p),
        None => {
            let file = pick("passfile", ev::PGPASSFILE)
                .map(PathBuf::from)
                .or_else(|| vars.home().map(|h| h.join(".pgpass")));
            match file {
                Some(file) => pgpass(&file, &target)?,
                None => None,
            }
        }
    };
    Ok(target)
}

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn default_socket_dir() -> PathBuf {
    // Debian's and most packages' socket directory, else libpq's compiled-in default.
    let debian = Path::new("/var/run/postgresql");
    if debian.is_dir() {
        debian.to_path_buf()
    } else {
        PathBuf::from("/tmp")
    }
}

fn os_user() -> Result<String> {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .ok_or_else(|| {
            Error::Config(
                "the fleet URI names no user and this process's user has no name: add ROLE@ to the URI"
                    .into(),
            )
        })
}

/// `postgres[ql]://[user[:password]@][host][:port][/dbname][?k=v&…]`, percent-decoded.
pub fn parse_uri(url: &str) -> Result<BTreeMap<String, String>> {
    let bad = |why: &str| {
        Error::Config(format!(
            "bad fleet URI: {why} (expected postgres://ROLE@HOST[:PORT]/DB[?sslmode=…])"
        ))
    };
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or_else(|| bad("it must start with postgres://"))?;
    let mut params = BTreeMap::new();
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (rest, None),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        if !user.is_empty() {
            params.insert(
                "user".into(),
                percent_decode(user).ok_or_else(|| bad("bad %-escape"))?,
            );
        }
        if let Some(p) = password {
            params.insert(
                "password".into(),
                percent_decode(p).ok_or_else(|| bad("bad %-escape"))?,
            );
        }
    }
    if hostport.contains(',') {
        return Err(bad(
            "gate connects to one host; put several behind one name",
        ));
    }
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
        (h.to_string(), after.strip_prefix(':').map(String::from))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.to_string())),
            None => (hostport.to_string(), None),
        }
    };
    if !host.is_empty() {
        params.insert(
            "host".into(),
            percent_decode(&host).ok_or_else(|| bad("bad %-escape"))?,
        );
    }
    if let Some(p) = port.filter(|p| !p.is_empty()) {
        params.insert("port".into(), p);
    }
    if let Some(db) = path.filter(|p| !p.is_empty()) {
        params.insert(
            "dbname".into(),
            percent_decode(db).ok_or_else(|| bad("bad %-escape"))?,
        );
    }
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| bad("a query parameter has no value"))?;
        let k = percent_decode(k).ok_or_else(|| bad("bad %-escape"))?;
        if !KNOWN.contains(&k.as_str()) {
            return Err(Error::Config(format!(
                "bad fleet URI: unknown parameter `{k}` (gate knows: {})",
                KNOWN.join(", ")
            )));
        }
        params.insert(k, percent_decode(v).ok_or_else(|| bad("bad %-escape"))?);
    }
    Ok(params)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A `[name]` entry of the service file: `PGSERVICEFILE`, else `~/.pg_service.conf`.
fn service_entry(name: &str, vars: &Vars) -> Result<BTreeMap<String, String>> {
    let file = vars
        .get(ev::PGSERVICEFILE)
        .map(PathBuf::from)
        .or_else(|| vars.home().map(|h| h.join(".pg_service.conf")))
        .ok_or_else(|| {
            Error::Config(format!(
                "service `{name}`: no service file (set PGSERVICEFILE)"
            ))
        })?;
    let text = std::fs::read_to_string(&file).map_err(|e| {
        Error::Config(format!(
            "service `{name}`: cannot read {}: {e}",
            file.display()
        ))
    })?;
    let mut entry = None::<BTreeMap<String, String>>;
    let mut current = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = section == name;
            if current && entry.is_none() {
                entry = Some(BTreeMap::new());
            }
            continue;
        }
        if !current {
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| {
            Error::Config(format!("{}:{}: expected key=value", file.display(), n + 1))
        })?;
        let k = k.trim();
        if !KNOWN.contains(&k) || k == "service" {
            return Err(Error::Config(format!(
                "{}:{}: unknown service parameter `{k}`",
                file.display(),
                n + 1
            )));
        }
        entry
            .get_or_insert_with(BTreeMap::new)
            .entry(k.to_string())
            .or_insert_with(|| v.trim().to_string());
    }
    entry.ok_or_else(|| Error::Config(format!("service `{name}` is not in {}", file.display())))
}

/// The password `.pgpass` holds for this target. As libpq: a file others may read or write is
/// ignored with a warning; `*` matches anything; `\` escapes `:` and `\`; the first match wins.
fn pgpass(file: &Path, target: &Target) -> Result<Option<String>> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(file) else {
        return Ok(None);
    };
    if !meta.is_file() {
        crate::ui::note(&format!(
            "warning: password file {} is not a plain file; ignored",
            file.display()
        ));
        return Ok(None);
    }
    if meta.permissions().mode() & 0o077 != 0 {
        crate::ui::note(&format!(
            "warning: password file {} has group or world access (mode {:o}); it is ignored, as libpq does: chmod 0600 it",
            file.display(),
            meta.permissions().mode() & 0o777
        ));
        return Ok(None);
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", file.display())))?;
    let host = match &target.host {
        Host::Tcp(h) => h.clone(),
        Host::Unix(dir) if dir == &default_socket_dir() => "localhost".into(),
        Host::Unix(dir) => dir.display().to_string(),
    };
    let port = target.port.to_string();
    let want = [host.as_str(), port.as_str(), &target.dbname, &target.user];
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass(line);
        if fields.len() < 5 {
            continue;
        }
        if fields[..4]
            .iter()
            .zip(want)
            .all(|(have, want)| have == "*" || have == want)
        {
            return Ok(Some(fields[4].clone()));
        }
    }
    Ok(None)
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    fields.last_mut().expect("one field").push(n);
                }
            }
            // The password is the rest of the line, colons and all.
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_uri_is_read_as_libpq_reads_it() {
        let t = resolve(
            "postgres://build%407@db.example:6543/gate?sslmode=verify-full&connect_timeout=3",
            "test",
            &vars(&[]),
        )
        .unwrap();
        assert_eq!(t.host, Host::Tcp("db.example".into()));
        assert_eq!(
            (t.port, t.user.as_str(), t.dbname.as_str()),
            (6543, "build@7", "gate")
        );
        assert_eq!(t.sslmode, SslMode::VerifyFull);
        assert_eq!(t.connect_timeout, Duration::from_secs(3));
        assert_eq!(t.display(), "postgres://build%407@db.example:6543/gate");
        let t = resolve("postgres://%2Ftmp%2Fpg/db?user=me", "test", &vars(&[])).unwrap();
        assert_eq!(t.host, Host::Unix("/tmp/pg".into()));
        assert_eq!(t.user, "me");
        let t = resolve("postgres://[::1]:7/x", "t", &vars(&[("PGUSER", "u")])).unwrap();
        assert_eq!(
            (t.host, t.port, t.user.as_str()),
            (Host::Tcp("::1".into()), 7, "u")
        );
    }

    #[test]
    fn the_uri_wins_over_the_service_and_the_service_over_the_variables() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("services");
        std::fs::write(
            &file,
            "# fleet\n[other]\nport=1\n[gate]\nhost=svc.example\nport=5999\nuser=svcuser\nsslmode=require\n",
        )
        .unwrap();
        let v = vars(&[
            ("PGSERVICEFILE", file.to_str().unwrap()),
            ("PGPORT", "1111"),
            ("PGDATABASE", "fromenv"),
        ]);
        let t = resolve("postgres://me@/?service=gate", "t", &v).unwrap();
        assert_eq!(t.host, Host::Tcp("svc.example".into()));
        assert_eq!(
            (t.port, t.user.as_str(), t.dbname.as_str()),
            (5999, "me", "fromenv")
        );
        assert_eq!(t.sslmode, SslMode::Require);
        let err = resolve("postgres://me@/?service=nope", "t", &v).unwrap_err();
        assert!(
            err.to_string().contains("service `nope` is not in"),
            "{err}"
        );
    }

    #[test]
    fn unknown_parameters_and_modes_are_refused() {
        for (uri, want) in [
            ("mysql://x", "must start with postgres://"),
            (
                "postgres://h/db?sslmod=require",
                "unknown parameter `sslmod`",
            ),
            ("postgres://h/db?sslmode=allow", "unknown sslmode `allow`"),
            ("postgres://h:99999/db", "bad port"),
            ("postgres://a,b/db", "one host"),
        ] {
            let err = resolve(uri, "t", &vars(&[("PGUSER", "u")])).unwrap_err();
            assert!(err.to_string().contains(want), "{uri}: {err}");
        }
        assert!(
            check_policy_url("postgres://u:secret@h/db")
                .unwrap_err()
                .contains(".pgpass")
        );
        assert!(check_policy_url("postgres://u@h/db").is_ok());
    }

    #[test]
    fn the_password_comes_from_the_uri_then_pgpassword_then_a_private_pgpass() {
        let dir = tempfile::tempdir().unwrap();
        let pass = dir.path().join("pgpass");
        std::fs::write(
            &pass,
            "# comment\nother:*:*:*:no\ndb.example:5432:gate:build7:s3cr\\:et:x\n*:*:*:*:fallback\n",
        )
        .unwrap();
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
        let v = vars(&[("PGPASSFILE", pass.to_str().unwrap())]);
        let t = resolve("postgres://build7@db.example/gate", "t", &v).unwrap();
        assert_eq!(t.password.as_deref(), Some("s3cr:et:x"));
        let t = resolve("postgres://alice@db.example/gate", "t", &v).unwrap();
        assert_eq!(t.password.as_deref(), Some("fallback"));
        let mut v2 = v.clone();
        v2.0.insert("PGPASSWORD".into(), "env".into());
        let t = resolve("postgres://build7@db.example/gate", "t", &v2).unwrap();
        assert_eq!(t.password.as_deref(), Some("env"));
        let t = resolve("postgres://build7:uri@db.example/gate", "t", &v2).unwrap();
        assert_eq!(t.password.as_deref(), Some("uri"));
        // A file others can read is not used, as libpq does.
        for mode in [0o640, 0o604, 0o660] {
            std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(mode)).unwrap();
            let t = resolve("postgres://build7@db.example/gate", "t", &v).unwrap();
            assert_eq!(t.password, None, "mode {mode:o}");
        }
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o400)).unwrap();
        let t = resolve("postgres://build7@db.example/gate", "t", &v).unwrap();
        assert_eq!(t.password.as_deref(), Some("s3cr:et:x"));
    }

    #[test]
    fn tls_files_default_to_libpqs_places() {
        let t = resolve("postgres://u@h/db", "t", &vars(&[("HOME", "/home/u")])).unwrap();
        assert_eq!(t.sslmode, SslMode::Prefer);
        assert_eq!(
            t.sslcert,
            PathBuf::from("/home/u/.postgresql/postgresql.crt")
        );
        assert_eq!(
            t.sslkey,
            PathBuf::from("/home/u/.postgresql/postgresql.key")
        );
        assert_eq!(t.sslrootcert, "/home/u/.postgresql/root.crt");
        let t = resolve(
            "postgres://u@h/db",
            "t",
            &vars(&[
                ("PGSSLROOTCERT", "system"),
                ("PGSSLCERT", "/c"),
                ("PGSSLKEY", "/k"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (
                t.sslrootcert.as_str(),
                t.sslcert.to_str(),
                t.sslkey.to_str()
            ),
            ("system", Some("/c"), Some("/k"))
        );
    }
}
