//! The well-known key formats: private-key blocks (a byte scan) and the token formats in
//! [`FORMATS`] (AWS, GitHub, GitLab, Slack, Stripe, Google, JWT, npm, OpenAI/Anthropic, Vault,
//! PyPI, SendGrid, Hugging Face, DigitalOcean, Grafana, Shopify, Databricks, Linear, Doppler,
//! Postman, Pulumi, age), whose secret part is masked and whose prefix stays (`ghp_***`).

use std::sync::OnceLock;

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

// Token formats: one table of data, each row a format a vendor documents, with an example the
// tests mask. A row's regex is compiled only once one of its keywords occurs in the text (see
// the `redact` module documentation). ASCII word boundaries: Unicode ones cost more to compile.
//
// No crate keeps such a rule set as a library (the secret scanners on crates.io are
// applications with their tables inside), and gitleaks' rules are a file of another project
// we do not copy: so this table is gate's, kept as data, one example per row.

/// A last look at a candidate secret.
#[derive(Clone, Copy)]
enum Check {
    Any,
    /// Random keys mix digits, upper and lower case letters; `sk-feature-x` is a branch.
    MixedAlnum,
    /// Upper and lower case letters both (letters-only keys).
    MixedCase,
}

impl Check {
    fn passes(self, t: &str) -> bool {
        let digit = t.bytes().any(|c| c.is_ascii_digit());
        let upper = t.bytes().any(|c| c.is_ascii_uppercase());
        let lower = t.bytes().any(|c| c.is_ascii_lowercase());
        match self {
            Check::Any => true,
            Check::MixedAlnum => digit && upper && lower,
            Check::MixedCase => upper && lower,
        }
    }
}

/// One token format.
#[cfg_attr(not(test), allow(dead_code))] // `name` and `example` are for the tests
struct Format {
    name: &'static str,
    /// Text that every token of the format contains: the regex runs only when one is there.
    keywords: &'static [&'static str],
    /// The secret is the group named `s` (the prefix stays readable), or the whole match.
    pattern: &'static str,
    check: Check,
    /// A made-up token of the format, which the tests mask.
    example: &'static str,
}

#[rustfmt::skip]
static FORMATS: &[Format] = &[
    Format { name: "AWS access key id", keywords: &["AKIA", "ASIA"],
        pattern: r"(?-u:\b)(?:AKIA|ASIA)(?P<s>[A-Z0-9]{16})(?-u:\b)", check: Check::Any,
        example: "AKIAIOSFODNN7EXAMPLE" },
    Format { name: "GitHub token", keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        pattern: r"(?-u:\b)(?:gh[pousr]|github_pat)_(?P<s>[A-Za-z0-9_]{20,})", check: Check::Any,
        example: "ghp_16C7e42F292c6912E7710c838347Ae178B4a" },
    Format { name: "GitLab token", keywords: &["glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", "glimt-", "glft-", "glsoat-", "glagent-"],
        pattern: r"(?-u:\b)gl(?:pat|ptt|dt|rt|cbt|imt|ft|soat|agent)-(?P<s>[A-Za-z0-9_-]{20,})", check: Check::Any,
        example: "glpat-xq2Fh7Kd9LmN3pQr5sTu" },
    Format { name: "Slack token", keywords: &["xox", "xapp-"],
        pattern: r"(?-u:\b)(?:xox[abposr]|xapp)-(?P<s>[A-Za-z0-9-]{10,})", check: Check::Any,
        example: "xoxb-1234567890-abcdefghij" },
    Format { name: "Slack webhook", keywords: &["hooks.slack.com"],
        pattern: r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]+)", check: Check::Any,
        example: "https://hooks.slack.com/services/T000/B000/XXXXXXXX" },
    Format { name: "Stripe key", keywords: &["_live_", "_test_", "whsec_"],
        pattern: r"(?-u:\b)(?:(?:sk|rk|pk)_(?:live|test)|whsec)_(?P<s>[A-Za-z0-9]{10,})", check: Check::Any,
        example: "sk_live_4eC39HqLyjWDarjtT1zdp7dc" },
    Format { name: "Google API key", keywords: &["AIza"],
        pattern: r"(?-u:\b)AIza(?P<s>[0-9A-Za-z_-]{35,})", check: Check::Any,
        example: "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q" },
    Format { name: "Google OAuth access token", keywords: &["ya29."],
        pattern: r"(?-u:\b)ya29\.(?P<s>[0-9A-Za-z_-]{20,})", check: Check::Any,
        example: "ya29.a0AfH6SMBx1y2z3A4B5C6D7E8F9" },
    Format { name: "JWT", keywords: &["eyJ"],
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}", check: Check::Any,
        example: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl" },
    Format { name: "npm token", keywords: &["npm_"],
        pattern: r"(?-u:\b)npm_(?P<s>[A-Za-z0-9]{30,})", check: Check::Any,
        example: "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" },
    Format { name: "OpenAI or Anthropic key", keywords: &["sk-"],
        pattern: r"(?-u:\b)sk-(?:ant-[a-z]+[0-9]*-|proj-|svcacct-|admin-)?(?P<s>[A-Za-z0-9_-]{20,})", check: Check::MixedAlnum,
        example: "sk-proj-Ab3De5Gh7Jk9Mn1Pq3St5Vw7Yz" },
    Format { name: "HashiCorp Vault token", keywords: &["hvs.", "hvb.", "hvr."],
        pattern: r"(?-u:\b)hv[sbr]\.(?P<s>[A-Za-z0-9_-]{20,})", check: Check::Any,
        example: "hvs.CAESIJ1a2b3c4d5e6f7g8h9i0" },
    Format { name: "PyPI upload token", keywords: &["pypi-"],
        pattern: r"(?-u:\b)pypi-(?P<s>[A-Za-z0-9_-]{50,})", check: Check::Any,
        example: "pypi-AgEIcHlwaS5vcmcCJDUwZjRhYjQ5LTk3ZjctNDc3Ni1iNGI1LTNhYzhjZTc5" },
    Format { name: "SendGrid key", keywords: &["SG."],
        pattern: r"(?-u:\b)SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", check: Check::Any,
        example: "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" },
    Format { name: "Hugging Face token", keywords: &["hf_", "api_org_"],
        pattern: r"(?-u:\b)(?:hf|api_org)_(?P<s>[A-Za-z0-9]{30,})(?-u:\b)", check: Check::MixedCase,
        example: "hf_jKlMnOpQrStUvWxYzAbCdEfGhIjKlMnOpQ" },
    Format { name: "DigitalOcean token", keywords: &["dop_v1_", "doo_v1_", "dor_v1_"],
        pattern: r"(?-u:\b)do[por]_v1_(?P<s>[a-f0-9]{64})(?-u:\b)", check: Check::Any,
        example: "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
    Format { name: "Grafana service account token", keywords: &["glsa_"],
        pattern: r"(?-u:\b)glsa_(?P<s>[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})(?-u:\b)", check: Check::Any,
        example: "glsa_AbCdEfGhIjKlMnOpQrStUvWxYz012345_0a1b2c3d" },
    Format { name: "Grafana Cloud token", keywords: &["glc_"],
        pattern: r"(?-u:\b)glc_(?P<s>[A-Za-z0-9+/]{32,400}={0,2})", check: Check::Any,
        example: "glc_eyJvIjoiMTIzNDU2IiwibiI6InN0YWNrIiwiayI6ImFiYyJ9" },
    Format { name: "Shopify token", keywords: &["shpat_", "shpca_", "shppa_", "shpss_"],
        pattern: r"(?-u:\b)shp(?:at|ca|pa|ss)_(?P<s>[a-fA-F0-9]{32})(?-u:\b)", check: Check::Any,
        example: "shpat_0123456789abcdef0123456789abcdef" },
    Format { name: "Databricks token", keywords: &["dapi"],
        pattern: r"(?-u:\b)dapi(?P<s>[a-f0-9]{32})(?:-[0-9])?(?-u:\b)", check: Check::Any,
        example: "dapi0123456789abcdef0123456789abcdef" },
    Format { name: "Linear API key", keywords: &["lin_api_"],
        pattern: r"(?-u:\b)lin_api_(?P<s>[A-Za-z0-9]{40})(?-u:\b)", check: Check::Any,
        example: "lin_api_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCd" },
    Format { name: "Doppler token", keywords: &["dp.pt.", "dp.st.", "dp.sa.", "dp.ct."],
        pattern: r"(?-u:\b)dp\.(?:pt|st|sa|ct)\.(?P<s>[A-Za-z0-9]{40,44})(?-u:\b)", check: Check::Any,
        example: "dp.pt.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfG" },
    Format { name: "Postman API key", keywords: &["PMAK-"],
        pattern: r"(?-u:\b)PMAK-(?P<s>[a-f0-9]{24}-[a-f0-9]{34})(?-u:\b)", check: Check::Any,
        example: "PMAK-0123456789abcdef01234567-0123456789abcdef0123456789abcdef01" },
    Format { name: "Pulumi access token", keywords: &["pul-"],
        pattern: r"(?-u:\b)pul-(?P<s>[a-f0-9]{40})(?-u:\b)", check: Check::Any,
        example: "pul-0123456789abcdef0123456789abcdef01234567" },
    Format { name: "age secret key", keywords: &["AGE-SECRET-KEY-1"],
        pattern: r"(?-u:\b)AGE-SECRET-KEY-1(?P<s>[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})(?-u:\b)", check: Check::Any,
        example: "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ" },
];

/// Each format's regex, compiled on first need.
static COMPILED: [OnceLock<Regex>; FORMAT_COUNT] = [const { OnceLock::new() }; FORMAT_COUNT];
const FORMAT_COUNT: usize = 25;

fn regex(i: usize) -> &'static Regex {
    // The builtin patterns are constants, all compiled by the tests: a failure is a bug here.
    COMPILED[i].get_or_init(|| Regex::new(FORMATS[i].pattern).expect("builtin redaction pattern"))
}

fn may_match(f: &Format, s: &str) -> bool {
    f.keywords.iter().any(|k| s.contains(k))
}

/// The well-known token formats in `s`, each regex run only when one of its keywords is there.
pub(super) fn scan_key_formats(s: &str, out: &mut Spans) {
    for (i, f) in FORMATS.iter().enumerate() {
        if !may_match(f, s) {
            continue;
        }
        for caps in regex(i).captures_iter(s) {
            let Some(m) = caps.name("s").or_else(|| caps.get(0)) else {
                continue;
            };
            let r = trim_span(s, 0, m.range());
            if !r.is_empty() && f.check.passes(&s[r.clone()]) {
                out.push(r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::tests::{redactor, strings};

    #[test]
    fn builtin_patterns_compile() {
        assert_eq!(FORMATS.len(), FORMAT_COUNT);
        for i in 0..FORMATS.len() {
            regex(i);
        }
    }

    /// Every format's example is masked: in an argument of its own, after `=`, and inside a
    /// URL or a sentence; and what stays readable is the prefix, never the secret.
    #[test]
    fn every_format_masks_its_example() {
        for f in FORMATS {
            assert!(
                f.keywords.iter().any(|k| f.example.contains(k)),
                "{}: the example has none of the keywords",
                f.name
            );
            for arg in [
                f.example.to_string(),
                format!("TOKEN={}", f.example),
                format!("echo \"token {} here\"", f.example),
            ] {
                let masked = redactor().argv(&strings(&["tool", &arg]));
                assert!(
                    masked[1].contains("***"),
                    "{}: {arg:?} not masked: {masked:?}",
                    f.name
                );
                let secret_tail = &f.example[f.example.len() - 8..];
                assert!(
                    !masked[1].contains(secret_tail),
                    "{}: {arg:?} shows its secret: {masked:?}",
                    f.name
                );
            }
        }
    }

    /// Look-alikes that are not secrets stay as they are.
    #[test]
    fn look_alikes_are_not_masked() {
        for arg in [
            "hf_transfer",
            "hf_hub_download",
            "dapi_version",
            "pul-request",
            "glsa_notes.txt",
            "sk-feature-branch-name-here",
            "lin_api_docs",
            "shpat_readme",
        ] {
            let masked = redactor().argv(&strings(&["tool", arg]));
            assert_eq!(masked[1], arg, "{arg} was masked");
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
                for f in FORMATS {
                    assert!(
                        !may_match(f, arg),
                        "{arg:?} trips the keywords of {}",
                        f.name
                    );
                }
            }
            assert!(!redactor().is_sensitive(&strings(argv)), "{argv:?}");
        }
    }
}
