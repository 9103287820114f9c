//! Secret detection and masking (SPEC §8): a password, token or key in a command never reaches
//! the ledger, Slack or a webhook. Pure: no I/O.
//!
//! Two readings find what to mask:
//! - a *word* reading of an argv (or of the words of a shell script), in order, so that an
//!   option such as `--token` masks the next element, and `-p` is a password only for the
//!   programs where it is one (`mysql -pSECRET`), never for `ssh -p 2222` or `ls -p`;
//! - a *text* reading of every element (and of free text): `NAME=value`, `"name": "value"` and
//!   `name: value` assignments, credentials and secret query parameters in URLs,
//!   `Authorization`/`Cookie` headers, well-known key formats (AWS, GitHub, Slack, Stripe, Google,
//!   JWT, private-key blocks, npm, OpenAI/Anthropic, …), and the policy's `[redact] patterns`.
//!
//! Only the secret itself is replaced by [`MASK`]; the option, the user name, the header name,
//! the key's well-known prefix stay, so that an approver still sees what the command does
//! (`mysql -u root -p***`, `Authorization: Bearer ***`, `https://user:***@host/path`, `ghp_***`).
//! Masking is idempotent: masking a masked argv changes nothing.
//!
//! Cost. This runs on every `gate -- cmd`, whose whole process must finish in a couple of
//! milliseconds, and almost every argv holds no secret. Compiling a regex costs far more than
//! reading a short argv: 50 to 150 µs for a small ASCII one, about half a millisecond for one
//! with case folding and Unicode classes. So nothing is compiled up front:
//! - the word reading, assignments, URLs, form data, `Authorization`/`Cookie` headers, `Bearer`
//!   tokens and private-key blocks are plain byte scans, no regex at all;
//! - each key-format regex sits behind a substring test (`ghp_`, `AKIA`, `xoxb-`, …) and in its
//!   own `LazyLock`, so it is compiled only the first time a string holds its prefix, that is
//!   when a key of that kind is almost surely there. A clean argv compiles none of them (a test
//!   holds everyday commands to that).
//!
//! `Redactor::new(&[])` allocates nothing, and a clean five-word argv costs a few microseconds.

mod assignments;
mod headers;
mod keys;
mod names;
mod options;
mod urls;
mod words;

use std::ops::Range;

use regex::Regex;

use assignments::scan_assignments;
use headers::{scan_bearer, scan_headers};
use keys::{scan_key_formats, scan_private_keys};
use urls::scan_urls;
use words::{scan_shell_words, scan_words};

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Finds and masks secrets in argvs and free text.
#[derive(Debug)]
pub struct Redactor {
    /// The policy's `[redact] patterns`.
    extra: Vec<Regex>,
}

/// Byte ranges of one string to replace by [`MASK`]; they may overlap.
type Spans = Vec<Range<usize>>;

impl Redactor {
    /// `extra` are the policy's `[redact] patterns` (regexes; the whole match, or capture group 1
    /// if present, is masked).
    pub fn new(extra: &[String]) -> Result<Self, regex::Error> {
        let extra = extra
            .iter()
            .map(|p| Regex::new(p))
            .collect::<Result<_, _>>()?;
        Ok(Self { extra })
    }

    /// Mask an argv (as a whole: an option like `--token` masks the NEXT element). Same length
    /// as input.
    pub fn argv(&self, argv: &[String]) -> Vec<String> {
        fixpoint(
            argv.to_vec(),
            |a| self.argv_pass(a),
            || vec![MASK.to_owned(); argv.len()],
        )
    }

    /// Mask free text (a shell script, a reason, a message).
    pub fn text(&self, s: &str) -> String {
        fixpoint(s.to_owned(), |t| self.text_pass(t), || MASK.to_owned())
    }

    /// true if `argv(...)` would change anything.
    #[cfg(test)]
    pub fn is_sensitive(&self, argv: &[String]) -> bool {
        self.argv_pass(argv).is_some()
    }

    /// One reading of `argv`: the masked argv, or `None` when nothing changes.
    fn argv_pass(&self, argv: &[String]) -> Option<Vec<String>> {
        let mut spans: Vec<Spans> = vec![Vec::new(); argv.len()];
        scan_words(argv, &mut |i, r| spans[i].push(r));
        for (arg, out) in argv.iter().zip(&mut spans) {
            // The element was read above as one word among its neighbours; one with blanks in
            // it may be a whole script (`sh -c '…'`) whose own words need reading.
            let script = arg.bytes().any(|b| b.is_ascii_whitespace());
            self.scan_text(arg, script, out);
        }
        if !self.extra.is_empty() {
            self.scan_extra_line(argv, &mut spans);
        }
        if spans.iter().all(Vec::is_empty) {
            return None;
        }
        let masked: Vec<String> = argv
            .iter()
            .zip(&mut spans)
            .map(|(arg, out)| apply(arg, out))
            .collect();
        (masked != argv).then_some(masked)
    }

    fn text_pass(&self, s: &str) -> Option<String> {
        let mut out = Vec::new();
        self.scan_text(s, true, &mut out);
        if out.is_empty() {
            return None;
        }
        let masked = apply(s, &mut out);
        (masked != s).then_some(masked)
    }

    fn scan_text(&self, s: &str, words: bool, out: &mut Spans) {
        if words {
            scan_shell_words(s, out);
        }
        scan_assignments(s, out);
        scan_urls(s, out);
        scan_headers(s, out);
        scan_bearer(s, out);
        scan_private_keys(s, out);
        scan_key_formats(s, out);
        for re in &self.extra {
            scan_extra(re, s, out);
        }
    }

    /// A user pattern may span several elements (`--vault-pass\s+(\S+)`): it is also matched
    /// against the command line (elements joined by one space, as `regex` rules see it), and
    /// what it covers is masked in each element it touches.
    fn scan_extra_line(&self, argv: &[String], spans: &mut [Spans]) {
        let line = argv.join(" ");
        let mut found = Vec::new();
        for re in &self.extra {
            scan_extra(re, &line, &mut found);
        }
        let mut start = 0;
        for (arg, out) in argv.iter().zip(spans) {
            let end = start + arg.len();
            for r in &found {
                let (lo, hi) = (r.start.max(start), r.end.min(end));
                if lo < hi {
                    out.push(lo - start..hi - start);
                }
            }
            start = end + 1;
        }
    }
}

/// How many readings may change a value before it is masked whole.
const MAX_PASSES: usize = 8;

/// Apply `pass` until it changes nothing. Masking a secret can change how the rest reads (a
/// quote or a `;` inside it is gone), so a second reading may find more; stopping only when a
/// reading finds nothing new is what makes masking idempotent. Almost always the first reading
/// changes nothing, or it masks and the second confirms. Should readings keep changing the value,
/// it is masked whole: failing closed, and still stable.
fn fixpoint<T>(mut value: T, pass: impl Fn(&T) -> Option<T>, whole: impl FnOnce() -> T) -> T {
    for _ in 0..MAX_PASSES {
        match pass(&value) {
            Some(next) => value = next,
            None => return value,
        }
    }
    whole()
}

/// Replace the spans of `s` by [`MASK`]; overlapping or touching spans become one mask.
fn apply(s: &str, spans: &mut Spans) -> String {
    if spans.is_empty() {
        return s.to_owned();
    }
    for r in spans.iter_mut() {
        // Widen to whole characters: a mask never splits one, and never leaks half of one.
        r.end = r.end.min(s.len());
        while !s.is_char_boundary(r.end) {
            r.end += 1;
        }
        r.start = r.start.min(r.end);
        while !s.is_char_boundary(r.start) {
            r.start -= 1;
        }
    }
    spans.sort_unstable_by_key(|r| r.start);
    let mut out = String::with_capacity(s.len());
    let mut done = 0;
    let mut cur: Option<Range<usize>> = None;
    for r in spans.iter().filter(|r| !r.is_empty()) {
        match &mut cur {
            Some(c) if r.start <= c.end => c.end = c.end.max(r.end),
            _ => {
                if let Some(c) = cur.replace(r.clone()) {
                    out.push_str(&s[done..c.start]);
                    out.push_str(MASK);
                    done = c.end;
                }
            }
        }
    }
    if let Some(c) = cur {
        out.push_str(&s[done..c.start]);
        out.push_str(MASK);
        done = c.end;
    }
    out.push_str(&s[done..]);
    out
}

/// What a policy pattern matches in `s`: capture group 1, or the whole match.
fn scan_extra(re: &Regex, s: &str, out: &mut Spans) {
    for caps in re.captures_iter(s) {
        if let Some(m) = caps.get(1).or_else(|| caps.get(0)) {
            out.push(m.range());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(super) fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    pub(super) fn redactor() -> Redactor {
        Redactor::new(&[]).unwrap()
    }

    /// (what, argv, masked argv)
    #[rustfmt::skip]
    const MASKED_ARGV: &[(&str, &[&str], &[&str])] = &[
        // Option values.
        ("--password=X", &["psql", "--password=hunter2"], &["psql", "--password=***"]),
        ("--password X", &["tool", "--password", "hunter2", "x"], &["tool", "--password", "***", "x"]),
        ("--passwd", &["tool", "--passwd", "hunter2"], &["tool", "--passwd", "***"]),
        ("--pass", &["tool", "--pass=hunter2"], &["tool", "--pass=***"]),
        ("--token", &["kubectl", "--token", "abc123", "get", "pods"], &["kubectl", "--token", "***", "get", "pods"]),
        ("--api-key", &["tool", "--api-key", "k1"], &["tool", "--api-key", "***"]),
        ("--apikey", &["tool", "--apikey=k1"], &["tool", "--apikey=***"]),
        ("--secret", &["tool", "--secret", "s1"], &["tool", "--secret", "***"]),
        ("--client-secret", &["az", "--client-secret", "s1"], &["az", "--client-secret", "***"]),
        ("--auth-token", &["tool", "--auth-token=t1"], &["tool", "--auth-token=***"]),
        ("--access-token", &["tool", "--access-token", "t1"], &["tool", "--access-token", "***"]),
        ("--private-key", &["tool", "--private-key", "0xdeadbeef"], &["tool", "--private-key", "***"]),
        ("--db-password", &["tool", "--db-password", "p"], &["tool", "--db-password", "***"]),
        ("--github-token", &["tool", "--github-token=t"], &["tool", "--github-token=***"]),
        ("--aws-secret-access-key", &["tool", "--aws-secret-access-key", "k"], &["tool", "--aws-secret-access-key", "***"]),
        ("-storepass (keytool)", &["keytool", "-list", "-storepass", "changeit"], &["keytool", "-list", "-storepass", "***"]),
        ("-token=X (Go flags)", &["tool", "-token=abc"], &["tool", "-token=***"]),
        // -p for the programs where it is a password.
        ("mysql -pSECRET", &["mysql", "-u", "root", "-phunter2", "db"], &["mysql", "-u", "root", "-p***", "db"]),
        ("mysql -p X", &["mysql", "-u", "root", "-p", "hunter2"], &["mysql", "-u", "root", "-p", "***"]),
        ("mariadb", &["mariadb", "-psecret"], &["mariadb", "-p***"]),
        ("mysqldump by path", &["/usr/bin/mysqldump", "-uroot", "-psecret", "db"], &["/usr/bin/mysqldump", "-uroot", "-p***", "db"]),
        ("mysqladmin", &["mysqladmin", "-psecret", "status"], &["mysqladmin", "-p***", "status"]),
        ("mysql --password X", &["mysql", "--password", "hunter2"], &["mysql", "--password", "***"]),
        ("mysql behind sudo", &["sudo", "-u", "deploy", "mysql", "-psecret"], &["sudo", "-u", "deploy", "mysql", "-p***"]),
        ("mysql in docker exec", &["docker", "exec", "-it", "db", "mysql", "-psecret"], &["docker", "exec", "-it", "db", "mysql", "-p***"]),
        ("mongosh -p", &["mongosh", "-u", "admin", "-p", "pw"], &["mongosh", "-u", "admin", "-p", "***"]),
        ("PGPASSWORD=", &["PGPASSWORD=s3cret", "psql", "-h", "db"], &["PGPASSWORD=***", "psql", "-h", "db"]),
        ("sshpass -p X", &["sshpass", "-p", "pw", "ssh", "-p", "2222", "host"], &["sshpass", "-p", "***", "ssh", "-p", "2222", "host"]),
        ("sshpass -pX", &["sshpass", "-ppw", "ssh", "host"], &["sshpass", "-p***", "ssh", "host"]),
        ("redis-cli -a", &["redis-cli", "-a", "pw", "ping"], &["redis-cli", "-a", "***", "ping"]),
        ("docker login -p", &["docker", "login", "-u", "me", "-p", "pw", "ghcr.io"], &["docker", "login", "-u", "me", "-p", "***", "ghcr.io"]),
        ("openssl -passin pass:", &["openssl", "rsa", "-in", "k.pem", "-passin", "pass:pw"], &["openssl", "rsa", "-in", "k.pem", "-passin", "pass:***"]),
        ("ssh-keygen -N", &["ssh-keygen", "-t", "ed25519", "-N", "phrase"], &["ssh-keygen", "-t", "ed25519", "-N", "***"]),
        ("7z -p", &["7z", "a", "-psecret", "x.7z", "dir"], &["7z", "a", "-p***", "x.7z", "dir"]),
        ("zip -P", &["zip", "-P", "pw", "x.zip", "f"], &["zip", "-P", "***", "x.zip", "f"]),
        ("oc login -p", &["oc", "login", "-u", "dev", "-p", "pw", "https://api:6443"], &["oc", "login", "-u", "dev", "-p", "***", "https://api:6443"]),
        // Headers.
        ("-H Authorization: Bearer", &["curl", "-H", "Authorization: Bearer abc", "https://x"], &["curl", "-H", "Authorization: Bearer ***", "https://x"]),
        ("--header=Authorization: Basic", &["curl", "--header=Authorization: Basic dXNlcjpwYXNz", "https://x"], &["curl", "--header=Authorization: Basic ***", "https://x"]),
        ("-H attached", &["curl", "-HAuthorization: token ghx", "https://x"], &["curl", "-HAuthorization: token ***", "https://x"]),
        ("Authorization without scheme", &["curl", "-H", "authorization:abc", "u"], &["curl", "-H", "authorization:***", "u"]),
        ("Proxy-Authorization", &["curl", "-H", "Proxy-Authorization: Basic Zm9v", "u"], &["curl", "-H", "Proxy-Authorization: Basic ***", "u"]),
        ("SigV4 Authorization", &["curl", "-H", "Authorization: AWS4-HMAC-SHA256 Credential=AK/x, Signature=ab12", "u"], &["curl", "-H", "Authorization: AWS4-HMAC-SHA256 ***", "u"]),
        ("X-Api-Key", &["curl", "-H", "X-Api-Key: abc", "u"], &["curl", "-H", "X-Api-Key: ***", "u"]),
        ("X-Api-Key tight", &["curl", "-H", "x-api-key:abc", "u"], &["curl", "-H", "x-api-key:***", "u"]),
        ("Cookie", &["curl", "-H", "Cookie: session=abc; theme=dark", "u"], &["curl", "-H", "Cookie: session=***; theme=***", "u"]),
        ("curl -b", &["curl", "-b", "sid=abc", "u"], &["curl", "-b", "sid=***", "u"]),
        // curl credentials and form data.
        ("curl -u user:pass", &["curl", "-u", "alice:pw", "https://x"], &["curl", "-u", "alice:***", "https://x"]),
        ("curl -uuser:pass", &["curl", "-ualice:pw", "https://x"], &["curl", "-ualice:***", "https://x"]),
        ("curl -sSu bundled", &["curl", "-sSu", "alice:pw", "https://x"], &["curl", "-sSu", "alice:***", "https://x"]),
        ("curl --user", &["curl", "--user", "alice:pw", "u"], &["curl", "--user", "alice:***", "u"]),
        ("curl -d password=", &["curl", "-d", "user=bob&password=hunter2&x=1", "u"], &["curl", "-d", "user=bob&password=***&x=1", "u"]),
        ("curl --data token=", &["curl", "--data", "token=abc", "u"], &["curl", "--data", "token=***", "u"]),
        ("curl -d key=", &["curl", "-d", "key=abc&q=1", "u"], &["curl", "-d", "key=***&q=1", "u"]),
        ("curl -d JSON", &["curl", "-d", r#"{"user":"bob","password":"hunter2"}"#, "u"], &["curl", "-d", r#"{"user":"bob","password":"***"}"#, "u"]),
        ("httpie -a", &["http", "-a", "bob:pw", "example.org"], &["http", "-a", "bob:***", "example.org"]),
        // URLs.
        ("user:pass@host", &["git", "clone", "https://user:tok3n@github.com/org/repo.git"], &["git", "clone", "https://user:***@github.com/org/repo.git"]),
        ("DSN", &["psql", "postgres://app:p%40ss@db:5432/app"], &["psql", "postgres://app:***@db:5432/app"]),
        ("empty user", &["redis-cli", "-u", "redis://:pw@host:6379"], &["redis-cli", "-u", "redis://:***@host:6379"]),
        ("?token=", &["curl", "https://x/cb?token=abc&state=1"], &["curl", "https://x/cb?token=***&state=1"]),
        ("?access_token=", &["curl", "https://x/?access_token=abc"], &["curl", "https://x/?access_token=***"]),
        ("&api_key=", &["curl", "https://x/?q=1&api_key=abc#top"], &["curl", "https://x/?q=1&api_key=***#top"]),
        ("?apikey=", &["curl", "https://x/?apikey=abc"], &["curl", "https://x/?apikey=***"]),
        ("?key=", &["curl", "https://maps/api?key=abc&q=x"], &["curl", "https://maps/api?key=***&q=x"]),
        ("?secret=", &["curl", "https://x/?secret=abc"], &["curl", "https://x/?secret=***"]),
        ("?password=", &["curl", "https://x/?password=abc"], &["curl", "https://x/?password=***"]),
        ("SAS sig", &["curl", "https://a.blob.core.windows.net/c/b?sv=2020&sig=abc%3D"], &["curl", "https://a.blob.core.windows.net/c/b?sv=2020&sig=***"]),
        ("&signature=", &["curl", "https://x/?a=1&signature=abc"], &["curl", "https://x/?a=1&signature=***"]),
        ("presigned S3", &["curl", "https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F2024&X-Amz-Signature=f00d"], &["curl", "https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***"]),
        // Assignments.
        ("*_TOKEN=", &["env", "GITHUB_TOKEN=abc", "gh"], &["env", "GITHUB_TOKEN=***", "gh"]),
        ("*_SECRET=", &["env", "CLIENT_SECRET=abc", "x"], &["env", "CLIENT_SECRET=***", "x"]),
        ("*_KEY=", &["env", "OPENAI_API_KEY=abc", "x"], &["env", "OPENAI_API_KEY=***", "x"]),
        ("*_ACCESS_KEY=", &["env", "MINIO_ACCESS_KEY=abc", "x"], &["env", "MINIO_ACCESS_KEY=***", "x"]),
        ("AWS_SECRET_ACCESS_KEY=", &["AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "aws", "s3", "ls"], &["AWS_SECRET_ACCESS_KEY=***", "aws", "s3", "ls"]),
        ("*PASSWORD*=", &["docker", "run", "-e", "MYSQL_ROOT_PASSWORD=pw", "mysql"], &["docker", "run", "-e", "MYSQL_ROOT_PASSWORD=***", "mysql"]),
        ("lower-case passwd", &["env", "db_passwd=pw a&b", "x"], &["env", "db_passwd=***", "x"]),
        ("MYSQL_PWD", &["env", "MYSQL_PWD=pw", "mysql"], &["env", "MYSQL_PWD=***", "mysql"]),
        ("--env=NAME=value", &["docker", "run", "--env=API_TOKEN=abc", "img"], &["docker", "run", "--env=API_TOKEN=***", "img"]),
        ("-D java property", &["java", "-Djavax.net.ssl.trustStorePassword=pw", "-jar", "x"], &["java", "-Djavax.net.ssl.trustStorePassword=***", "-jar", "x"]),
        ("helm --set", &["helm", "install", "x", "--set", "auth.rootPassword=pw"], &["helm", "install", "x", "--set", "auth.rootPassword=***"]),
        ("--from-literal", &["kubectl", "create", "secret", "generic", "s", "--from-literal=user=pw"], &["kubectl", "create", "secret", "generic", "s", "--from-literal=user=***"]),
        // Config keys given as words.
        ("aws configure set", &["aws", "configure", "set", "aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"], &["aws", "configure", "set", "aws_secret_access_key", "***"]),
        ("git config user.password", &["git", "config", "--global", "user.password", "pw"], &["git", "config", "--global", "user.password", "***"]),
        ("npm config set _authToken", &["npm", "config", "set", "//registry.npmjs.org/:_authToken", "t"], &["npm", "config", "set", "//registry.npmjs.org/:_authToken", "***"]),
        // Well-known formats.
        ("AWS access key id", &["echo", "AKIAIOSFODNN7EXAMPLE"], &["echo", "AKIA***"]),
        ("AWS STS key id", &["echo", "id=ASIAIOSFODNN7EXAMPLE"], &["echo", "id=ASIA***"]),
        ("ghp_", &["echo", "ghp_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "ghp_***"]),
        ("gho_", &["echo", "gho_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "gho_***"]),
        ("ghu_", &["echo", "ghu_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "ghu_***"]),
        ("ghs_", &["echo", "ghs_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "ghs_***"]),
        ("ghr_", &["echo", "ghr_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "ghr_***"]),
        ("github_pat_", &["echo", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"], &["echo", "github_pat_***"]),
        ("token as URL password", &["git", "push", "https://x-access-token:ghs_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r"], &["git", "push", "https://x-access-token:***@github.com/o/r"]),
        ("token in URL user", &["git", "push", "https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r"], &["git", "push", "https://ghp_***@github.com/o/r"]),
        ("glpat-", &["echo", "glpat-abcdefghij0123456789"], &["echo", "glpat-***"]),
        ("xoxb-", &["echo", "xoxb-1234-5678-abcdefgh"], &["echo", "xoxb-***"]),
        ("xoxp-", &["echo", "xoxp-1234-5678-abcdefgh"], &["echo", "xoxp-***"]),
        ("xoxa-", &["echo", "xoxa-2-1234-abcdefgh"], &["echo", "xoxa-***"]),
        ("xoxr-", &["echo", "xoxr-1234-abcdefghij"], &["echo", "xoxr-***"]),
        ("xoxs-", &["echo", "xoxs-1234-abcdefghij"], &["echo", "xoxs-***"]),
        ("xapp-", &["echo", "xapp-1-A0123-4567-abcdef"], &["echo", "xapp-***"]),
        ("Slack webhook", &["curl", "https://hooks.slack.com/services/T000/B000/XXXXabcd"], &["curl", "https://hooks.slack.com/services/***"]),
        ("sk_live_", &["echo", "sk_live_abcdefghij0123456789"], &["echo", "sk_live_***"]),
        ("rk_live_", &["echo", "rk_live_abcdefghij0123456789"], &["echo", "rk_live_***"]),
        ("sk_test_", &["echo", "sk_test_abcdefghij0123456789"], &["echo", "sk_test_***"]),
        ("pk_live_", &["echo", "pk_live_abcdefghij0123456789"], &["echo", "pk_live_***"]),
        ("whsec_", &["echo", "whsec_abcdefghij0123456789"], &["echo", "whsec_***"]),
        ("AIza", &["echo", "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234"], &["echo", "AIza***"]),
        ("ya29.", &["echo", "ya29.a0AfH6SMBabcdefghijklmnop"], &["echo", "ya29.***"]),
        ("JWT", &["echo", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"], &["echo", "***"]),
        ("npm_", &["echo", "npm_abcdefghijklmnopqrstuvwxyz0123456789"], &["echo", "npm_***"]),
        ("sk- (OpenAI)", &["echo", "sk-proj-Abcdefghij0123456789XYZabc"], &["echo", "sk-proj-***"]),
        ("sk-ant- (Anthropic)", &["echo", "sk-ant-api03-Abcdefghij0123456789_XYZ-abc"], &["echo", "sk-ant-api03-***"]),
        ("hvs.", &["vault", "login", "hvs.CAESIabcdefghij0123456789"], &["vault", "login", "hvs.***"]),
        ("Bearer", &["echo", "Bearer 0a1b2c3d4e5f"], &["echo", "Bearer ***"]),
        ("private key", &["echo", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----"], &["echo", "-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----"]),
        ("private key, no END", &["echo", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz"], &["echo", "-----BEGIN OPENSSH PRIVATE KEY-----\n***"]),
        ("PGP private key", &["echo", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOY\n-----END PGP PRIVATE KEY BLOCK-----"], &["echo", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n***\n-----END PGP PRIVATE KEY BLOCK-----"]),
        // Scripts inside an argv.
        ("sh -c mysql", &["sh", "-c", "mysql -u root -psecret db && echo ok"], &["sh", "-c", "mysql -u root -p*** db && echo ok"]),
        ("bash -c export", &["bash", "-c", "export API_TOKEN=abc; deploy"], &["bash", "-c", "export API_TOKEN=***; deploy"]),
        ("ssh remote command", &["ssh", "-p", "2222", "host", "mysql", "-psecret"], &["ssh", "-p", "2222", "host", "mysql", "-p***"]),
    ];

    /// (what, argv) that must come out unchanged.
    #[rustfmt::skip]
    const KEPT_ARGV: &[(&str, &[&str])] = &[
        ("--password-file", &["tool", "--password-file", "/run/secrets/db"]),
        ("--token-file", &["tool", "--token-file=/run/t"]),
        ("commit message", &["git", "commit", "-m", "fix token refresh"]),
        ("commit message with password", &["git", "commit", "-m", "password reset: use the new flow"]),
        ("ls -p", &["ls", "-p"]),
        ("ssh -p", &["ssh", "-p", "2222", "host"]),
        ("ssh -p attached", &["ssh", "-p2222", "host"]),
        ("ps -p", &["ps", "-p", "123"]),
        ("nc -p", &["nc", "-l", "-p", "1234"]),
        ("docker -p", &["docker", "run", "-p", "3306:3306", "mysql:8"]),
        ("docker --name mysql -p", &["docker", "run", "--name", "mysql", "-p", "3306:3306", "mysql:8"]),
        ("rsync -avp", &["rsync", "-avp", "src", "dst"]),
        ("mysql -p prompts", &["mysql", "-p", "-u", "root"]),
        ("mysql -P port", &["mysql", "-P", "3306", "-h", "db"]),
        ("KEY_PATH=", &["env", "KEY_PATH=/x", "cmd"]),
        ("PASSWORD_FILE=", &["env", "DB_PASSWORD_FILE=/run/secrets/db", "cmd"]),
        ("GIT_ASKPASS=", &["env", "GIT_ASKPASS=/usr/bin/true", "git", "fetch"]),
        ("KEY=", &["docker", "run", "-e", "KEY=value", "img"]),
        ("grep password", &["grep", "password", "file.txt"]),
        ("grep -r token", &["grep", "-rn", "token:", "src/"]),
        ("curl -u user only", &["curl", "-u", "alice", "https://x"]),
        ("docker --user uid:gid", &["docker", "run", "--user", "1000:1000", "img"]),
        ("plain URL", &["curl", "https://example.com/search?q=token&page=2"]),
        ("ssh URL", &["git", "clone", "ssh://git@github.com/o/r.git"]),
        ("scp-like", &["git", "clone", "git@github.com:o/r.git"]),
        ("kubectl", &["kubectl", "get", "pods", "-n", "prod", "--output=json"]),
        ("git log format", &["git", "log", "--format=%H %s"]),
        ("bearer prose", &["echo", "Bearer authentication"]),
        ("authorization prose", &["grep", "-i", "authorization:", "log"]),
        ("--ask-pass", &["ansible-playbook", "--ask-pass", "site.yml"]),
        ("--with-token", &["gh", "auth", "login", "--with-token"]),
        ("--no-password", &["psql", "--no-password", "-h", "db"]),
        ("--key (a file)", &["curl", "--key", "client.pem", "https://x"]),
        ("--client-key", &["kubectl", "--client-key", "k.pem", "get", "ns"]),
        ("sk- branch", &["git", "checkout", "desk-feature-branch-long-name"]),
        ("tokenizer", &["python", "train.py", "--tokenizer", "bert"]),
        ("openssl env:", &["openssl", "rsa", "-passin", "env:PW", "-in", "k.pem"]),
        ("7z -p prompts", &["7z", "a", "-p", "x.7z", "dir"]),
        ("oc without login", &["oc", "port-forward", "-p", "db-0", "5432"]),
        ("curl -b file", &["curl", "-b", "cookies.txt", "https://x"]),
        ("set prose", &["echo", "set", "password", "policy"]),
        ("empty", &[]),
    ];

    #[test]
    fn argv_masks() {
        let r = redactor();
        for (what, input, want) in MASKED_ARGV {
            assert_eq!(r.argv(&strings(input)), strings(want), "{what}");
            assert!(r.is_sensitive(&strings(input)), "{what}");
        }
    }

    #[test]
    fn argv_keeps() {
        let r = redactor();
        for (what, input) in KEPT_ARGV {
            assert_eq!(r.argv(&strings(input)), strings(input), "{what}");
            assert!(!r.is_sensitive(&strings(input)), "{what}");
        }
    }

    /// (what, text, masked text)
    #[rustfmt::skip]
    const TEXT: &[(&str, &str, &str)] = &[
        ("export", "export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345\ngh pr list", "export GITHUB_TOKEN=***\ngh pr list"),
        ("export quoted", "export DB_PASSWORD=\"a b c\"; run", "export DB_PASSWORD=\"***\"; run"),
        ("mysql quoted", "mysql -u root -p'se cret' db", "mysql -u root -p'***' db"),
        ("mysql in pipeline", "cat dump.sql | mysql -uroot -psecret db", "cat dump.sql | mysql -uroot -p*** db"),
        ("--token in script", "deploy --token \"abc def\" --env prod", "deploy --token \"***\" --env prod"),
        ("escaped value", r"deploy --password a\ b", r"deploy --password ***"),
        ("curl header", "curl -H 'Authorization: Bearer abc.def' https://x", "curl -H 'Authorization: Bearer ***' https://x"),
        ("curl -u in script", "curl -u bob:pw https://x && echo ok", "curl -u bob:*** https://x && echo ok"),
        ("sshpass in script", "sshpass -p 'pw' ssh -p 2222 host", "sshpass -p '***' ssh -p 2222 host"),
        ("JSON", r#"{"password": "hunter2", "user": "bob"}"#, r#"{"password": "***", "user": "bob"}"#),
        ("JSON escaped", r#"{"apiKey":"a\"b","n":1}"#, r#"{"apiKey":"***","n":1}"#),
        ("JSON header", r#"{"Authorization": "Bearer abc"}"#, r#"{"Authorization": "Bearer ***"}"#),
        ("YAML", "db:\n  user: app\n  password: hunter2\n", "db:\n  user: app\n  password: ***\n"),
        ("YAML list", "- client_secret: abc\n", "- client_secret: ***\n"),
        ("ini", "[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n", "[default]\naws_secret_access_key = ***\n"),
        ("Go", "token := \"abc\"", "token := \"***\""),
        ("URL", "pushed to https://bot:tok@git.example.com/r", "pushed to https://bot:***@git.example.com/r"),
        ("private key", "key:\n-----BEGIN EC PRIVATE KEY-----\nMHcC\nAQEE\n-----END EC PRIVATE KEY-----\nrest", "key:\n-----BEGIN EC PRIVATE KEY-----\n***\n-----END EC PRIVATE KEY-----\nrest"),
        ("reason with key", "use AKIAIOSFODNN7EXAMPLE for now", "use AKIA*** for now"),
        ("Set-Cookie", "Set-Cookie: sid=abc; Path=/\nok", "Set-Cookie: sid=***; Path=***\nok"),
        ("JSON cookie", r#"{"Cookie": "sid=abc"}"#, r#"{"Cookie": "sid=***"}"#),
        ("ssh-keygen -N ''", "ssh-keygen -t ed25519 -N 'pass phrase' -f k", "ssh-keygen -t ed25519 -N '***' -f k"),
    ];

    #[rustfmt::skip]
    const KEPT_TEXT: &[(&str, &str)] = &[
        ("prose", "rotate the token because it leaked"),
        ("prose with colon", "fix token: refresh before expiry"),
        ("apostrophe", "don't touch prod; password reset is tomorrow"),
        ("grep", "grep -rn 'password' src/ | wc -l"),
        ("comparison", "if [ \"$token\" == \"\" ]; then exit 1; fi"),
        ("ssh port", "ssh -p 2222 deploy@host uptime"),
        ("path", "KEY_PATH=/etc/ssl/k.pem ./run"),
        ("certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
        ("cookie prose", "grep -i \"cookie: \" access.log"),
        ("JSON non-secret", r#"{"user": "bob", "tokens": 3}"#),
    ];

    #[test]
    fn text_masks() {
        let r = redactor();
        for (what, input, want) in TEXT {
            assert_eq!(r.text(input), *want, "{what}");
        }
    }

    #[test]
    fn text_keeps() {
        let r = redactor();
        for (what, input) in KEPT_TEXT {
            assert_eq!(r.text(input), *input, "{what}");
        }
    }

    #[test]
    fn extra_patterns() {
        let r = Redactor::new(&[
            r"corp-[0-9a-f]{8}".to_owned(),
            r"--vault-pass\s+(\S+)".to_owned(),
            r"ticket=(T-\d+)".to_owned(),
        ])
        .unwrap();
        assert_eq!(
            r.argv(&strings(&["deploy", "--id", "corp-deadbeef"])),
            strings(&["deploy", "--id", "***"])
        );
        assert_eq!(
            r.argv(&strings(&[
                "ansible",
                "--vault-pass",
                "hunter2",
                "site.yml"
            ])),
            strings(&["ansible", "--vault-pass", "***", "site.yml"])
        );
        assert_eq!(r.text("see ticket=T-42 now"), "see ticket=*** now");
        assert_eq!(r.text("nothing here"), "nothing here");
        assert!(Redactor::new(&["(unclosed".to_owned()]).is_err());
    }

    #[test]
    fn masks_never_split_characters() {
        let r = redactor();
        assert_eq!(r.text("PASSWORD=héllo wörld"), "PASSWORD=*** wörld");
        assert_eq!(
            r.argv(&strings(&["--token", "ünïcödé"])),
            strings(&["--token", "***"])
        );
    }

    /// Words that make up plausible argvs and scripts, secrets and near misses alike.
    const FRAGMENTS: &[&str] = &[
        "mysql",
        "-p",
        "-psecret",
        "-u",
        "root",
        "curl",
        "-H",
        "-d",
        "-b",
        "sshpass",
        "ssh",
        "docker",
        "login",
        "--password",
        "--password=x",
        "--token",
        "--password-file",
        "-storepass",
        "Authorization: Bearer abc123def",
        "Authorization:",
        "Bearer",
        "Cookie: a=b; c=d",
        "https://u:p@h/x?token=abc&a=1",
        "://",
        "@",
        "?key=",
        "&sig=",
        "user:pw",
        "A_TOKEN=x y",
        "PASSWORD=",
        "=",
        ":",
        "\"password\": \"x\"",
        "password: x",
        "'",
        "\"",
        "\\",
        ";",
        "&",
        "|",
        "\n",
        " ",
        "$(",
        ")",
        "`",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_0123456789abcdefghijABCD",
        "eyJhbGciOi.eyJzdWIiOi.sig",
        "xoxb-1234567890",
        "sk-Abcdefghij0123456789XYZ",
        "set",
        "config",
        "user.password",
        "***",
        "é",
        "a=1&password=2",
        "bash",
        "-c",
    ];

    fn element() -> impl Strategy<Value = String> {
        prop_oneof![
            ".{0,24}",
            prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
            prop::collection::vec(
                (
                    prop::sample::select(FRAGMENTS),
                    prop::sample::select(&[" ", "", "=", "'", "\""][..])
                ),
                1..6,
            )
            .prop_map(|parts| parts.into_iter().flat_map(|(a, b)| [a, b]).collect()),
        ]
    }

    proptest! {
        #[test]
        fn argv_is_total_and_idempotent(argv in prop::collection::vec(element(), 0..8)) {
            let r = redactor();
            let once = r.argv(&argv);
            prop_assert_eq!(once.len(), argv.len());
            let twice = r.argv(&once);
            prop_assert_eq!(&twice, &once);
            prop_assert!(!r.is_sensitive(&once));
        }

        #[test]
        fn text_is_total_and_idempotent(parts in prop::collection::vec(element(), 0..6)) {
            let r = redactor();
            let text = parts.join(" ");
            let once = r.text(&text);
            prop_assert_eq!(r.text(&once), once);
        }
    }
}
