//! `Authorization`/`Cookie` headers and `Bearer` tokens. Byte scans rather than regexes: they
//! fire on common commands (`curl -H "Authorization: …"`), and a regex with case folding and
//! Unicode classes costs about half a millisecond to compile.

use super::Spans;
use super::assignments::is_blank;
use super::names::find_ci;
use super::urls::cookie_values;

fn skip_space(b: &[u8], mut k: usize) -> usize {
    while k < b.len() && b[k].is_ascii_whitespace() {
        k += 1;
    }
    k
}

fn is_quote(c: u8) -> bool {
    c == b'"' || c == b'\''
}

/// After a header name ending at `k`: `: `, `=` (one of `seps`), or the JSON form `": "`.
/// Where its value starts.
fn header_value_start(b: &[u8], k: usize, seps: &[u8]) -> Option<usize> {
    let quoted = b.get(k).copied().is_some_and(is_quote);
    let k = skip_space(b, k + usize::from(quoted));
    if !b.get(k).is_some_and(|c| seps.contains(c)) {
        return None;
    }
    let k = skip_space(b, k + 1);
    if quoted {
        b.get(k).copied().filter(|&c| is_quote(c)).map(|_| k + 1)
    } else {
        Some(k)
    }
}

fn is_credential_byte(c: u8) -> bool {
    !c.is_ascii_whitespace() && !is_quote(c) && c != b','
}

fn count_while(b: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    b.get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| pred(c)).count())
}

/// `Authorization: Bearer x`, `Proxy-Authorization: Basic x`, `authorization=token x`,
/// `"Authorization": "…"`, an AWS SigV4 list: the credential after the scheme. `Cookie:` and
/// `Set-Cookie:`: each value, keeping the cookie names.
pub(super) fn scan_headers(s: &str, out: &mut Spans) {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(p) = find_ci(b, b"authorization", from) {
        from = p + 1;
        let Some(k) = header_value_start(b, p + 13, b":=") else {
            continue;
        };
        // A scheme is a word followed by blanks and more; alone, the word is the credential.
        let word = count_while(b, k, |c| {
            c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
        });
        let after = k + word + count_while(b, k + word, is_blank);
        let scheme = word > 0
            && b[k].is_ascii_alphabetic()
            && after > k + word
            && b.get(after).is_some_and(|&c| is_credential_byte(c));
        let start = if scheme { after } else { k };
        // The credential, with the rest of a comma-separated list (SigV4's `Credential=…,
        // SignedHeaders=…, Signature=…`).
        let mut end = start;
        loop {
            end += count_while(b, end, is_credential_byte);
            let next = end + 1 + count_while(b, end + 1, is_blank);
            if b.get(end) == Some(&b',') && b.get(next).is_some_and(|&c| is_credential_byte(c)) {
                end = next;
            } else {
                break;
            }
        }
        if end > start {
            out.push(start..end);
        }
    }
    from = 0;
    while let Some(p) = find_ci(b, b"cookie", from) {
        from = p + 1;
        let Some(k) = header_value_start(b, p + 6, b":") else {
            continue;
        };
        if b.get(k)
            .is_some_and(|&c| !c.is_ascii_whitespace() && !is_quote(c))
        {
            let len = count_while(b, k, |c| c != b'\r' && c != b'\n' && !is_quote(c));
            cookie_values(&s[k..k + len], k, out);
        }
    }
}

/// `Bearer <token>` anywhere, when the token looks random.
pub(super) fn scan_bearer(s: &str, out: &mut Spans) {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(p) = find_ci(b, b"bearer", from) {
        from = p + 1;
        let boundary = p == 0 || !(b[p - 1].is_ascii_alphanumeric() || b[p - 1] == b'_');
        let k = skip_space(b, p + 6);
        if !boundary || k == p + 6 {
            continue;
        }
        let len = count_while(b, k, |c| {
            c.is_ascii_alphanumeric() || b"._~+/=-".contains(&c)
        });
        if looks_random(&s[k..k + len]) {
            out.push(k..k + len);
        }
    }
}

/// A generic token after `Bearer` looks random: a digit, or mixed case when long. "Bearer
/// authentication" is prose.
fn looks_random(t: &str) -> bool {
    let digit = t.bytes().any(|c| c.is_ascii_digit());
    let upper = t.bytes().any(|c| c.is_ascii_uppercase());
    let lower = t.bytes().any(|c| c.is_ascii_lowercase());
    (t.len() >= 8 && digit) || (t.len() >= 16 && upper && lower)
}
