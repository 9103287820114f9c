//! Assignments in text: `NAME=value`, `name = value`, `"name": "value"`, `name: value`, `name
//! := "value"`, where the name is a secret's.

use std::ops::Range;

use super::Spans;
use super::names::is_secret_name;

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']')
}

pub(super) fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// `k` moved back over the blanks just before `b[k]`.
fn blanks_before(b: &[u8], mut k: usize) -> usize {
    while k > 0 && is_blank(b[k - 1]) {
        k -= 1;
    }
    k
}

pub(super) fn scan_assignments(s: &str, out: &mut Spans) {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(n) = b[i..].iter().position(|&c| c == b'=' || c == b':') {
        let sep = i + n;
        i = sep + 1;
        if let Some(v) = assignment_value(b, sep) {
            // Do not read the masked value again: the result must not depend on what it held.
            i = i.max(v.end);
            out.push(v);
        }
    }
}

/// Where a key may stand before an unquoted `name:` (YAML, a header, an object literal): at the
/// start of a line (after indentation or a YAML `- `), or after `{ , ( [ = ' "`. In the middle
/// of prose ("fix token: refresh"), `:` is punctuation.
fn is_key_position(b: &[u8], start: usize) -> bool {
    let mut k = blanks_before(b, start);
    if k > 0 && b[k - 1] == b'-' && (k == 1 || b[k - 2].is_ascii_whitespace()) {
        k = blanks_before(b, k - 1);
    }
    k == 0
        || matches!(
            b[k - 1],
            b'\n' | b'{' | b',' | b'(' | b'[' | b'=' | b'"' | b'\''
        )
}

/// The value assigned at the separator `b[sep]` (`=` or `:`), if its name is a secret's.
fn assignment_value(b: &[u8], sep: usize) -> Option<Range<usize>> {
    let colon = b[sep] == b':';
    let mut v = sep + 1;
    match (colon, b.get(v)) {
        // `==`, `::`, `scheme://`
        (false, Some(b'=')) | (true, Some(b':' | b'/')) => return None,
        // Go's `:=`
        (true, Some(b'=')) => v += 1,
        _ => {}
    }
    let mut k = blanks_before(b, sep);
    let spaced = k < sep;
    let quote = match k.checked_sub(1).map(|j| b[j]) {
        Some(q @ (b'"' | b'\'')) => {
            k -= 1;
            Some(q)
        }
        _ => None,
    };
    let end = k;
    while k > 0 && is_name_byte(b[k - 1]) {
        k -= 1;
    }
    let start = k;
    if start == end {
        return None;
    }
    if let Some(q) = quote {
        if start == 0 || b[start - 1] != q {
            return None;
        }
    } else if start > 0 && matches!(b[start - 1], b'?' | b'&') {
        // A query or form field: `scan_query` reads those, knowing where a URL value ends.
        return None;
    } else if colon && start > 0 && b[start - 1] == b'/' {
        // `https://x-access-token:…@host` is a user name: `scan_userinfo` reads those.
        return None;
    }
    if colon && quote.is_none() {
        // `Header:value` holds together; `name: value` must stand where a key can.
        let tight = !spaced && b.get(v).is_some_and(|c| !c.is_ascii_whitespace());
        if !tight && !is_key_position(b, start) {
            return None;
        }
    }
    // The name is ASCII (name bytes only), so this cannot fail.
    let name = std::str::from_utf8(&b[start..end]).ok()?;
    if !is_secret_name(name) {
        return None;
    }
    if spaced || colon {
        while v < b.len() && is_blank(b[v]) {
            v += 1;
        }
    }
    // A quoted key or `key:` is JSON, YAML or an object literal, where `,` `}` `]` end a value.
    value_span(b, v, quote.is_some() || colon)
}

fn is_value_end(c: u8, structured: bool) -> bool {
    c.is_ascii_whitespace()
        || matches!(
            c,
            b'"' | b'\'' | b'&' | b';' | b'|' | b'<' | b'>' | b'(' | b')' | b'`'
        )
        || (structured && matches!(c, b',' | b'}' | b']'))
}

/// The value starting at `b[v]`: the inside of a quoted string (to the end of the line if it
/// is not closed), or a bare word.
fn value_span(b: &[u8], v: usize, structured: bool) -> Option<Range<usize>> {
    let first = *b.get(v)?;
    let r = if first == b'"' || first == b'\'' {
        let mut k = v + 1;
        while k < b.len() && b[k] != first && b[k] != b'\n' {
            if first == b'"' && b[k] == b'\\' {
                k += 1;
            }
            k += 1;
        }
        v + 1..k.min(b.len())
    } else {
        let mut k = v;
        while k < b.len() && !is_value_end(b[k], structured) {
            k += 1;
        }
        v..k
    };
    (!r.is_empty()).then_some(r)
}
