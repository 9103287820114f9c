//! The well-known key formats: private-key blocks (a byte scan) and token prefixes (AWS, GitHub,
//! GitLab, Slack, Stripe, Google, JWT, npm, OpenAI/Anthropic, Vault, PyPI, SendGrid), whose
//! secret part is masked and whose prefix stays (`ghp_***`).

use std::sync::LazyLock;

use regex::Regex;

use super::Spans;
use super::urls::trim_span;

/// Private-key blocks (PEM, OpenSSH, PGP): the body between the BEGIN and END lines, or to the
/// end when the END line is missing (a truncated key is still a secret).
pub(super) fn scan_private_keys(s: &str, out: &mut Spans) {
    let mut from = 0;
    while let Some(n) = s[from..].find("-----BEGIN") {
        let label = from + n + 10;
        from = label;
        let Some(len) = s[label..].find("-----") else {
            break;
        };
        let kind = &s[label..label + len];
        let kind = kind.strip_suffix(" BLOCK").unwrap_or(kind);
        let plain = kind
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' ');
        if !plain || !kind.ends_with("PRIVATE KEY") {
            continue;
        }
        let body = label + len + 5;
        let end = s[body..].find("-----END").map_or(s.len(), |n| body + n);
        out.push(trim_span(s, 0, body..end));
        from = end;
    }
}

// Token prefixes: regexes, each compiled only once a cheap test says it may match (see the
// `redact` module documentation). ASCII word boundaries: Unicode ones cost more to compile.

struct Pattern {
    /// A cheap test that must pass before the regex is compiled or run.
    pre: fn(&str) -> bool,
    /// The secret is the group named `s`, or the whole match.
    re: LazyLock<Regex>,
    /// A last look at the candidate secret.
    check: fn(&str) -> bool,
}

impl Pattern {
    fn scan(&self, s: &str, out: &mut Spans) {
        for caps in self.re.captures_iter(s) {
            let Some(m) = caps.name("s").or_else(|| caps.get(0)) else {
                continue;
            };
            let r = trim_span(s, 0, m.range());
            if !r.is_empty() && (self.check)(&s[r.clone()]) {
                out.push(r);
            }
        }
    }
}

fn rx(pattern: &str) -> Regex {
    // The builtin patterns are constants, all compiled by the tests: a failure is a bug here.
    Regex::new(pattern).expect("builtin redaction pattern")
}

fn any(_: &str) -> bool {
    true
}

fn has(s: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| s.contains(n))
}

/// `sk-…` keys are random mixed-case alphanumerics; a branch name like `sk-feature-…` is not.
fn mixed_alnum(t: &str) -> bool {
    t.bytes().any(|c| c.is_ascii_digit())
        && t.bytes().any(|c| c.is_ascii_uppercase())
        && t.bytes().any(|c| c.is_ascii_lowercase())
}

static PATTERNS: [Pattern; 14] = [
    // AWS access key ids.
    Pattern {
        pre: |s| has(s, &["AKIA", "ASIA"]),
        re: LazyLock::new(|| rx(r"(?-u:\b)(?:AKIA|ASIA)(?P<s>[A-Z0-9]{16})(?-u:\b)")),
        check: any,
    },
    // GitHub tokens.
    Pattern {
        pre: |s| has(s, &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]),
        re: LazyLock::new(|| rx(r"(?-u:\b)(?:gh[pousr]|github_pat)_(?P<s>[A-Za-z0-9_]{20,})")),
        check: any,
    },
    // GitLab personal access tokens.
    Pattern {
        pre: |s| s.contains("glpat-"),
        re: LazyLock::new(|| rx(r"(?-u:\b)glpat-(?P<s>[A-Za-z0-9_-]{20,})")),
        check: any,
    },
    // Slack tokens.
    Pattern {
        pre: |s| has(s, &["xox", "xapp-"]),
        re: LazyLock::new(|| rx(r"(?-u:\b)(?:xox[abposr]|xapp)-(?P<s>[A-Za-z0-9-]{10,})")),
        check: any,
    },
    // Slack incoming webhooks and workflow triggers.
    Pattern {
        pre: |s| s.contains("hooks.slack.com"),
        re: LazyLock::new(|| {
            rx(r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]+)")
        }),
        check: any,
    },
    // Stripe keys and webhook secrets.
    Pattern {
        pre: |s| has(s, &["_live_", "_test_", "whsec_"]),
        re: LazyLock::new(|| {
            rx(r"(?-u:\b)(?:(?:sk|rk|pk)_(?:live|test)|whsec)_(?P<s>[A-Za-z0-9]{10,})")
        }),
        check: any,
    },
    // Google API keys.
    Pattern {
        pre: |s| s.contains("AIza"),
        re: LazyLock::new(|| rx(r"(?-u:\b)AIza(?P<s>[0-9A-Za-z_-]{35,})")),
        check: any,
    },
    // Google OAuth access tokens.
    Pattern {
        pre: |s| s.contains("ya29."),
        re: LazyLock::new(|| rx(r"(?-u:\b)ya29\.(?P<s>[0-9A-Za-z_-]{20,})")),
        check: any,
    },
    // JWTs (and JWEs): the whole token.
    Pattern {
        pre: |s| s.contains("eyJ"),
        re: LazyLock::new(|| {
            rx(
                r"(?-u:\b)eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}",
            )
        }),
        check: any,
    },
    // npm tokens.
    Pattern {
        pre: |s| s.contains("npm_"),
        re: LazyLock::new(|| rx(r"(?-u:\b)npm_(?P<s>[A-Za-z0-9]{30,})")),
        check: any,
    },
    // OpenAI (`sk-`, `sk-proj-`) and Anthropic (`sk-ant-api03-`) keys.
    Pattern {
        pre: |s| s.contains("sk-"),
        re: LazyLock::new(|| {
            rx(r"(?-u:\b)sk-(?:ant-[a-z]+[0-9]*-|proj-|svcacct-|admin-)?(?P<s>[A-Za-z0-9_-]{20,})")
        }),
        check: mixed_alnum,
    },
    // HashiCorp Vault tokens.
    Pattern {
        pre: |s| has(s, &["hvs.", "hvb.", "hvr."]),
        re: LazyLock::new(|| rx(r"(?-u:\b)hv[sbr]\.(?P<s>[A-Za-z0-9_-]{20,})")),
        check: any,
    },
    // PyPI upload tokens.
    Pattern {
        pre: |s| s.contains("pypi-"),
        re: LazyLock::new(|| rx(r"(?-u:\b)pypi-(?P<s>[A-Za-z0-9_-]{50,})")),
        check: any,
    },
    // SendGrid keys.
    Pattern {
        pre: |s| s.contains("SG."),
        re: LazyLock::new(|| rx(r"(?-u:\b)SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}")),
        check: any,
    },
];

/// The well-known token formats in `s`, each regex run only when its prefilter passes.
pub(super) fn scan_key_formats(s: &str, out: &mut Spans) {
    for p in &PATTERNS {
        if (p.pre)(s) {
            p.scan(s, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::tests::{redactor, strings};

    #[test]
    fn builtin_patterns_compile() {
        for p in &PATTERNS {
            LazyLock::force(&p.re);
        }
    }

    /// The hot path: the commands gate wraps every day trip no regex prefilter, so no builtin
    /// regex is ever compiled for them.
    #[test]
    fn clean_commands_compile_no_regex() {
        let commands: &[&[&str]] = &[
            &["kubectl", "delete", "ns", "prod", "--dry-run=client"],
            &["git", "commit", "-m", "fix token refresh"],
            &["git", "push", "origin", "HEAD:refs/heads/main"],
            &[
                "terraform",
                "apply",
                "-auto-approve",
                "-var",
                "region=eu-west-1",
            ],
            &["docker", "run", "--rm", "-p", "8080:80", "nginx:1.27"],
            &[
                "curl",
                "-fsSL",
                "https://example.com/install.sh?version=2&os=linux",
            ],
            &["rm", "-rf", "/tmp/build"],
            &["sh", "-c", "cd /srv && ./deploy.sh --env prod | tee log"],
        ];
        for argv in commands {
            for arg in *argv {
                for p in &PATTERNS {
                    assert!(
                        !(p.pre)(arg),
                        "{arg:?} trips a prefilter for {}",
                        p.re.as_str()
                    );
                }
            }
            assert!(!redactor().is_sensitive(&strings(argv)), "{argv:?}");
        }
    }
}
