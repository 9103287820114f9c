//! The secret-name heuristics: which variable, key, option and parameter names hold a secret
//! (`GITHUB_TOKEN`, `apiKey`, `--client-secret`, `?sig=`), and which only say where one is
//! (`KEY_PATH`, `--password-file`).

/// Words of a name: `_ - . [ ] / :` separate them, and so does camel case
/// (`trustStorePassword`, `APIKey`, `_authToken`).
fn name_words(name: &str) -> Vec<&str> {
    let b = name.as_bytes();
    let mut words = Vec::new();
    let mut start = 0;
    for i in 0..=b.len() {
        if i == b.len() || matches!(b[i], b'_' | b'-' | b'.' | b'[' | b']' | b'/' | b':') {
            if start < i {
                words.push(&name[start..i]);
            }
            start = i + 1;
        } else if i > start
            && b[i].is_ascii_uppercase()
            && (b[i - 1].is_ascii_lowercase()
                || b[i - 1].is_ascii_digit()
                || (b[i - 1].is_ascii_uppercase()
                    && b.get(i + 1).is_some_and(u8::is_ascii_lowercase)))
        {
            words.push(&name[start..i]);
            start = i;
        }
    }
    words
}

fn is_one_of(word: &str, set: &[&str]) -> bool {
    set.iter().any(|s| word.eq_ignore_ascii_case(s))
}

fn ends_with_ci(word: &str, suffix: &str) -> bool {
    word.len() >= suffix.len()
        && word.as_bytes()[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// The next ASCII-case-insensitive occurrence of `needle` in `b`, from `from` on.
pub(super) fn find_ci(b: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let last = b.len().checked_sub(needle.len())?;
    (from..=last).find(|&i| b[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    find_ci(hay.as_bytes(), needle.as_bytes(), 0).is_some()
}

/// The name of a variable, key or field whose value is a secret: `*_TOKEN`, `*_SECRET`,
/// `*_KEY`, `*PASSWORD*`, `*PASSWD*`, `*_PASS`, `*_PWD`, `*_AUTH`, in any case and spelling
/// (`GITHUB_TOKEN`, `apiKey`, `spring.datasource.password`). `KEY_PATH` and `PASSWORD_FILE`
/// name where a secret is, not the secret.
pub(super) fn is_secret_name(name: &str) -> bool {
    let words = name_words(name);
    let Some(&last) = words.last() else {
        return false;
    };
    if words
        .iter()
        .any(|w| contains_ci(w, "password") || contains_ci(w, "passwd"))
    {
        return !is_one_of(last, &["file", "path", "dir"]);
    }
    let multi = words.len() > 1;
    ends_with_ci(last, "token")
        || ends_with_ci(last, "secret")
        || is_one_of(
            last,
            &[
                "pass",
                "passphrase",
                "apikey",
                "secretkey",
                "privatekey",
                "accesskey",
            ],
        )
        || (multi && is_one_of(last, &["key", "pwd", "auth"]))
        || (multi && last.eq_ignore_ascii_case("base") && {
            // Rails' SECRET_KEY_BASE
            words[words.len() - 2].eq_ignore_ascii_case("key")
        })
}

/// An option (without its dashes) whose value is a secret: `password`, `token`, `api-key`,
/// `client-secret`, `private-key`, `db-password`, … but not `password-file`, `key` (curl's key
/// file), `ask-pass` or `with-token` (flags).
pub(super) fn is_secret_option(name: &str) -> bool {
    let words = name_words(name);
    let (Some(&first), Some(&last)) = (words.first(), words.last()) else {
        return false;
    };
    let flag_prefixes = [
        "no", "ask", "with", "prompt", "skip", "disable", "enable", "show", "generate", "random",
        "require", "use",
    ];
    if words.len() > 1 && is_one_of(first, &flag_prefixes) {
        return false;
    }
    let secret_last = [
        "password",
        "passwd",
        "pass",
        "passphrase",
        "apikey",
        "secretkey",
        "privatekey",
        "accesskey",
        // keytool
        "storepass",
        "keypass",
        "srcstorepass",
        "deststorepass",
        "srckeypass",
        "destkeypass",
    ];
    let key_kinds = [
        "api",
        "secret",
        "access",
        "private",
        "account",
        "auth",
        "master",
        "license",
        "encryption",
    ];
    is_one_of(last, &secret_last)
        || ends_with_ci(last, "token")
        || ends_with_ci(last, "secret")
        || (words.len() > 1
            && last.eq_ignore_ascii_case("key")
            && is_one_of(words[words.len() - 2], &key_kinds))
}

/// A URL query or form field whose value is a secret: any secret name, plus the short names
/// that URLs use (`key`, `sig`, `signature`, `X-Amz-Credential`, …).
pub(super) fn is_secret_param(name: &str) -> bool {
    if is_secret_name(name) || is_one_of(name, &["key", "auth"]) {
        return true;
    }
    name_words(name)
        .last()
        .is_some_and(|last| is_one_of(last, &["sig", "signature", "credential"]))
}

pub(super) fn is_identifier(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// A configuration key given as a word (`git config user.password X`, `aws configure set
/// aws_secret_access_key X`, `npm config set //registry.npmjs.org/:_authToken X`). It must look
/// like a key (dotted, snake or camel case, a path) so that prose ("set password policy") is not
/// read as one.
pub(super) fn is_secret_config_key(w: &str) -> bool {
    let structured = w.contains(['.', '_', '/', ':'])
        || w.as_bytes()
            .windows(2)
            .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase());
    let tail = w.rsplit(['.', '/', ':']).next().unwrap_or(w);
    structured && !w.contains('=') && is_secret_name(tail)
}
