//! The per-program option tables: which options of which programs take a secret value (`mysql
//! -pSECRET`, `curl -u user:pw`, `--token X`, keytool's `-storepass`), and what in that value is
//! the secret.

use super::Spans;
use super::names::is_secret_option;
use super::urls::{cookie_values, scan_form};

/// The program whose options are being read: some options are a password for one program only.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Prog {
    Other,
    /// mysql, mariadb and their tools: `-pSECRET`, `-p SECRET`.
    MySql,
    /// mongosh and the mongo tools: `-p SECRET`.
    Mongo,
    /// sshpass while its own options are read (`-p SECRET`); then the command it runs.
    SshPass,
    /// `-u user:password`, `-d` form data, `-b` cookies.
    Curl,
    /// HTTPie and xh: `-a user:password`.
    Httpie,
    /// redis-cli: `-a SECRET`.
    Redis,
    /// `-pass pass:SECRET`, `-passin`, `-passout`, `enc -k SECRET`.
    OpenSsl,
    /// ssh-keygen: `-N` new and `-P` old passphrase.
    SshKeygen,
    /// 7z: `-pSECRET` (attached only).
    SevenZip,
    /// zip, unzip: `-P SECRET`.
    Zip,
    /// docker, podman, helm, az, oc, …: `-p` is a password after their `login` subcommand only.
    LoginCli,
    LoginCmd,
}

pub(super) fn program(word: &str) -> Option<Prog> {
    let base = word.rsplit('/').next().unwrap_or(word);
    Some(match base {
        "mysql" | "mariadb" | "mysqldump" | "mysqladmin" | "mysqlimport" | "mysqlcheck"
        | "mysqlshow" | "mysqlpump" | "mysqlslap" | "mysqlbinlog" | "mariadb-dump"
        | "mariadb-admin" | "mariadb-import" | "mariadb-check" | "mariadb-show"
        | "mariadb-slap" | "mariadb-binlog" => Prog::MySql,
        "mongo" | "mongosh" | "mongodump" | "mongorestore" | "mongoexport" | "mongoimport"
        | "mongostat" | "mongotop" | "mongofiles" => Prog::Mongo,
        "sshpass" => Prog::SshPass,
        "curl" => Prog::Curl,
        "http" | "https" | "xh" | "xhs" => Prog::Httpie,
        "redis-cli" | "valkey-cli" | "keydb-cli" => Prog::Redis,
        "openssl" => Prog::OpenSsl,
        "ssh-keygen" => Prog::SshKeygen,
        "7z" | "7za" | "7zr" => Prog::SevenZip,
        "zip" | "unzip" => Prog::Zip,
        "docker" | "podman" | "nerdctl" | "buildah" | "skopeo" | "helm" | "oras" | "az" | "cf"
        | "oc" => Prog::LoginCli,
        _ => return None,
    })
}

/// What the value of an option is.
#[derive(Clone, Copy, Debug)]
pub(super) enum Value {
    /// A secret, unless the next word is clearly another option (`--token --verbose`).
    Secret,
    /// A secret, but the value is optional (`mysql -p -u root`): a word starting with `-` is
    /// the next option.
    OptionalSecret,
    /// `user:password` (`curl -u`): what follows the first colon.
    UserPass,
    /// `a=1&password=x` form data (`curl -d`): the values of secret fields.
    Form,
    /// `name=value; …` (`curl -b`): the values; a word without `=` is a cookie file.
    Cookie,
    /// openssl's `pass:SECRET`; `env:VAR`, `file:path`, `fd:N` and `stdin` only say where it is.
    OpenSslPass,
    /// `key=value` of a Kubernetes secret literal (`--from-literal`): the value.
    Literal,
    /// Not a secret, but not a program name either (`sshpass -f file`).
    Skip,
}

/// Push the secret parts of `v`, the value of an option; `attached` when it came in the same
/// word (`--token=x`, `-pSECRET`). false when `v` is not the option's value after all.
pub(super) fn value_spans(kind: Value, v: &str, attached: bool, out: &mut Spans) -> bool {
    match kind {
        Value::Secret if !attached && v.len() > 2 && v.starts_with("--") => return false,
        Value::OptionalSecret if !attached && v.len() > 1 && v.starts_with('-') => return false,
        Value::Secret | Value::OptionalSecret => out.push(0..v.len()),
        Value::UserPass => {
            if let Some(c) = v.find(':') {
                out.push(c + 1..v.len());
            }
        }
        Value::Form => scan_form(v, out),
        Value::Cookie => {
            if v.contains('=') {
                cookie_values(v, 0, out);
            }
        }
        Value::OpenSslPass => {
            if v.starts_with("pass:") {
                out.push(5..v.len());
            } else if !(["env:", "file:", "fd:"].iter().any(|p| v.starts_with(p)) || v == "stdin") {
                out.push(0..v.len());
            }
        }
        Value::Literal => {
            if let Some(eq) = v.find('=') {
                out.push(eq + 1..v.len());
            }
        }
        Value::Skip => {}
    }
    true
}

/// The value of `--name`, if it is one we mask or must look into.
pub(super) fn long_option(prog: Prog, name: &str) -> Option<Value> {
    if is_secret_option(name) {
        // mysql's and mongosh's `--password` prompt when no value is attached.
        return Some(match prog {
            Prog::MySql | Prog::Mongo => Value::OptionalSecret,
            _ => Value::Secret,
        });
    }
    Some(match (prog, name) {
        (_, "from-literal") => Value::Literal,
        (_, "auth") | (Prog::Curl, "user" | "proxy-user") => Value::UserPass,
        (
            Prog::Curl,
            "data" | "data-raw" | "data-binary" | "data-ascii" | "data-urlencode" | "form"
            | "form-string",
        ) => Value::Form,
        (Prog::Curl, "cookie") => Value::Cookie,
        _ => return None,
    })
}

/// Where the value of a short option is.
pub(super) enum Takes {
    /// In the next word.
    Next(Value),
    /// In this word, from this byte on.
    Here(Value, usize),
}

/// curl's short options that take a value (`-sSu user:pw` bundles flags before one of these).
const CURL_VALUE_OPTIONS: &[u8] = b"AbcCdDeEFHKmoPQrTtuUwxXyYz";

/// The value of a single-dash option `w` (`-p`, `-pSECRET`, `-sSu`, `-storepass`).
pub(super) fn short_option(prog: Prog, w: &str) -> Option<Takes> {
    let body = &w[1..];
    let at = |kind: Value, from: usize| {
        if w.len() > from {
            Takes::Here(kind, from)
        } else {
            Takes::Next(kind)
        }
    };
    let first = body.as_bytes()[0];
    let found = match (prog, first) {
        (Prog::MySql | Prog::Mongo, b'p') => Some(at(Value::OptionalSecret, 2)),
        (Prog::SshPass, b'p') => Some(at(Value::Secret, 2)),
        (Prog::SshPass, b'f' | b'd' | b'P') => Some(at(Value::Skip, 2)),
        (Prog::Redis, b'a') => Some(at(Value::Secret, 2)),
        // `7z -p` alone prompts: only an attached value is the password.
        (Prog::SevenZip, b'p') if w.len() > 2 => Some(Takes::Here(Value::Secret, 2)),
        (Prog::LoginCmd, b'p') | (Prog::Zip, b'P') => Some(at(Value::Secret, 2)),
        (Prog::SshKeygen, b'N' | b'P') => Some(at(Value::Secret, 2)),
        (Prog::Httpie, b'a') => Some(at(Value::UserPass, 2)),
        (Prog::OpenSsl, _) => match body {
            "pass" | "passin" | "passout" => Some(Takes::Next(Value::OpenSslPass)),
            "k" => Some(Takes::Next(Value::Secret)),
            _ => None,
        },
        (Prog::Curl, _) => body.bytes().enumerate().find_map(|(k, c)| {
            let kind = match c {
                b'u' | b'U' => Value::UserPass,
                b'd' | b'F' => Value::Form,
                b'b' => Value::Cookie,
                c if CURL_VALUE_OPTIONS.contains(&c) => Value::Skip,
                _ => return None,
            };
            Some(at(kind, k + 2))
        }),
        _ => None,
    };
    if found.is_some() {
        return found;
    }
    // A single-dash long option: keytool's `-storepass x`, Go's `-token=x`. Four letters at
    // least, so that a bundle of short flags is not read as a word.
    let (name, from) = match body.split_once('=') {
        Some((name, _)) => (name, Some(name.len() + 2)),
        None => (body, None),
    };
    if name.len() >= 4 && is_option_name(name) && is_secret_option(name) {
        return Some(match from {
            Some(from) => Takes::Here(Value::OptionalSecret, from),
            None => Takes::Next(Value::OptionalSecret),
        });
    }
    None
}

/// Option names are words: `--password mysql"…` in one element is no option.
pub(super) fn is_option_name(name: &str) -> bool {
    name.bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `--name` without `=value`: the next word is most likely its value, not a program.
pub(super) fn is_long_option_without_value(w: &str) -> bool {
    w.len() > 2 && w.starts_with("--") && !w.contains('=')
}
