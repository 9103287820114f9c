//! URLs and connection strings (`scheme://user:password@host`, secret query parameters), form
//! data and cookie values.

use std::ops::Range;

use super::Spans;
use super::names::is_secret_param;

pub(super) fn scan_urls(s: &str, out: &mut Spans) {
    if s.contains("://") {
        scan_userinfo(s, out);
    }
    if s.contains('=') && s.contains(['?', '&']) {
        scan_query(s, out);
    }
}

/// `scheme://user:password@host`: the password.
fn scan_userinfo(s: &str, out: &mut Spans) {
    let mut from = 0;
    while let Some(n) = s[from..].find("://") {
        let auth = from + n + 3;
        let len = s[auth..]
            .find(|c: char| c.is_whitespace() || "/?#'\"<>".contains(c))
            .unwrap_or(s.len() - auth);
        // The last `@` ends the user info (curl and browsers read it so).
        if let Some(at) = s[auth..auth + len].rfind('@') {
            if let Some(colon) = s[auth..auth + at].find(':') {
                out.push(auth + colon + 1..auth + at);
            }
        }
        from = auth;
    }
}

fn is_param_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']' | b'%')
}

/// `?name=value` and `&name=value` where `name` is a secret parameter: the value.
fn scan_query(s: &str, out: &mut Spans) {
    let b = s.as_bytes();
    for (p, _) in s.match_indices(['?', '&']) {
        let name_end = p + 1 + b[p + 1..].iter().take_while(|&&c| is_param_byte(c)).count();
        if name_end == p + 1
            || b.get(name_end) != Some(&b'=')
            || !is_secret_param(&s[p + 1..name_end])
        {
            continue;
        }
        let v = name_end + 1;
        let len = b[v..]
            .iter()
            .take_while(|&&c| !c.is_ascii_whitespace() && !matches!(c, b'&' | b'#' | b'\'' | b'"'))
            .count();
        out.push(v..v + len);
    }
}

/// `a=1&password=x` form data: the values of secret fields.
pub(super) fn scan_form(v: &str, out: &mut Spans) {
    let mut at = 0;
    for field in v.split('&') {
        if let Some((name, _)) = field.split_once('=') {
            if is_secret_param(name) {
                out.push(at + name.len() + 1..at + field.len());
            }
        }
        at += field.len() + 1;
    }
}

/// `name=value; name2=value2`: the values (a part without `=` is masked whole).
pub(super) fn cookie_values(v: &str, base: usize, out: &mut Spans) {
    let mut at = base;
    for part in v.split(';') {
        let r = match part.find('=') {
            Some(eq) => at + eq + 1..at + part.len(),
            None => at..at + part.len(),
        };
        out.push(trim_span(v, base, r));
        at += part.len() + 1;
    }
}

/// `r` (a range of the string of which `v` starts at `base`) without blanks at either end.
pub(super) fn trim_span(v: &str, base: usize, mut r: Range<usize>) -> Range<usize> {
    let b = v.as_bytes();
    while r.start < r.end && b[r.start - base].is_ascii_whitespace() {
        r.start += 1;
    }
    while r.end > r.start && b[r.end - 1 - base].is_ascii_whitespace() {
        r.end -= 1;
    }
    r
}
