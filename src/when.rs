//! Times as a person reads them: the ledger's UTC stamps in local time (the `TZ` the process
//! runs with, as the C library reads it) or in UTC, ages (`5m ago`) and durations (`1.2s`).
//! Nothing here reads the clock: callers pass "now" (the ledger's, [`Store::now`]).
//!
//! [`Store::now`]: crate::ledger::Store::now

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Below this age a time is shown as an age (`3h ago`), from it on as a date and time.
pub const RECENT: Duration = Duration::from_secs(24 * 3600);

/// A stored time (`2026-11-23T10:00:00.123Z`).
pub fn parse(stamp: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(stamp).ok()
}

/// A moment broken down in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Seconds east of UTC.
    offset: i64,
}

unsafe extern "C" {
    /// POSIX: reads `TZ` for `localtime_r`, which need not do it itself.
    fn tzset();
}

fn civil(t: SystemTime, utc: bool) -> Civil {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    if !utc && let Some(c) = local(secs) {
        return c;
    }
    utc_civil(secs)
}

// `time_t` and `long` are 32 bits wide on some targets, 64 here.
#[allow(clippy::useless_conversion)]
fn local(secs: i64) -> Option<Civil> {
    static TZSET: std::sync::Once = std::sync::Once::new();
    // SAFETY: tzset only reads the environment, which gate never changes while it runs.
    TZSET.call_once(|| unsafe { tzset() });
    let time: nix::libc::time_t = secs.try_into().ok()?;
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid for the call.
    let mut tm: nix::libc::tm = unsafe { std::mem::zeroed() };
    let done = unsafe { nix::libc::localtime_r(&time, &mut tm) };
    if done.is_null() {
        return None;
    }
    Some(Civil {
        year: i64::from(tm.tm_year) + 1900,
        month: u32::try_from(tm.tm_mon + 1).ok()?,
        day: u32::try_from(tm.tm_mday).ok()?,
        hour: u32::try_from(tm.tm_hour).ok()?,
        minute: u32::try_from(tm.tm_min).ok()?,
        second: u32::try_from(tm.tm_sec).ok()?,
        offset: i64::from(tm.tm_gmtoff),
    })
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn utc_civil(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (rest / 3600) as u32,
        minute: (rest % 3600 / 60) as u32,
        second: (rest % 60) as u32,
        offset: 0,
    }
}

/// `2026-11-23 10:00:00`, local or UTC.
pub fn date_time(t: SystemTime, utc: bool) -> String {
    let c = civil(t, utc);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2026-11-23 10:00`, local or UTC.
pub fn date_minute(t: SystemTime, utc: bool) -> String {
    let c = civil(t, utc);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

/// The zone `t` is shown in: `UTC`, or the local offset (`+05:30`).
pub fn zone(t: SystemTime, utc: bool) -> String {
    if utc {
        return "UTC".into();
    }
    let offset = civil(t, false).offset;
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.abs();
    format!("{sign}{:02}:{:02}", offset / 3600, offset % 3600 / 60)
}

/// How long ago `t` was (`12s ago`, `5m ago`, `3h ago`) if that is less than [`RECENT`];
/// `None` for an older time or one after `now` (another machine's clock).
pub fn age(t: SystemTime, now: SystemTime) -> Option<String> {
    let ago = now
        .duration_since(t)
        .ok()
        .filter(|d| *d < RECENT)?
        .as_secs();
    Some(match ago {
        0..60 => format!("{ago}s ago"),
        60..3600 => format!("{}m ago", ago / 60),
        _ => format!("{}h ago", ago / 3600),
    })
}

/// A duration in a few characters: `0.4s`, `12s`, `5m03s`, `2h05m`, `3d04h`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..10 => format!("{}.{}s", s, d.subsec_millis() / 100),
        10..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// How long after a request's first event another one came: `+0.012s`, `+5m03.250s`,
/// `+2h05m03s`.
pub fn offset(d: Duration) -> String {
    let s = d.as_secs();
    let ms = d.subsec_millis();
    match s {
        0..60 => format!("+{s}.{ms:03}s"),
        60..3600 => format!("+{}m{:02}.{ms:03}s", s / 60, s % 60),
        _ => format!("+{}h{:02}m{:02}s", s / 3600, s % 3600 / 60, s % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(stamp: &str) -> SystemTime {
        parse(stamp).unwrap()
    }

    #[test]
    fn utc_dates_are_the_calendar_s() {
        for (stamp, shown) in [
            ("1970-01-01T00:00:00Z", "1970-01-01 00:00:00"),
            ("2000-02-29T23:59:59.999Z", "2000-02-29 23:59:59"),
            ("2026-11-23T10:00:00.123Z", "2026-11-23 10:00:00"),
            ("2100-03-01T01:02:03Z", "2100-03-01 01:02:03"),
        ] {
            assert_eq!(date_time(at(stamp), true), shown, "{stamp}");
        }
        assert_eq!(
            date_minute(at("2026-11-23T10:00:59Z"), true),
            "2026-11-23 10:00"
        );
        assert_eq!(zone(at("2026-11-23T10:00:59Z"), true), "UTC");
    }

    #[test]
    fn ages_are_recent_only() {
        let now = at("2026-11-23T10:00:00Z");
        let ago = |s: u64| age(now - Duration::from_secs(s), now);
        assert_eq!(ago(0).as_deref(), Some("0s ago"));
        assert_eq!(ago(12).as_deref(), Some("12s ago"));
        assert_eq!(ago(5 * 60 + 59).as_deref(), Some("5m ago"));
        assert_eq!(ago(3 * 3600 + 1).as_deref(), Some("3h ago"));
        assert_eq!(ago(24 * 3600), None);
        assert_eq!(age(now + Duration::from_secs(5), now), None);
    }

    #[test]
    fn durations_and_offsets_are_short() {
        let ms = Duration::from_millis;
        assert_eq!(duration(ms(0)), "0.0s");
        assert_eq!(duration(ms(1_234)), "1.2s");
        assert_eq!(duration(ms(12_900)), "12s");
        assert_eq!(duration(ms(303_000)), "5m03s");
        assert_eq!(duration(ms(7_500_000)), "2h05m");
        assert_eq!(duration(ms(273_600_000)), "3d04h");
        assert_eq!(offset(ms(12)), "+0.012s");
        assert_eq!(offset(ms(303_250)), "+5m03.250s");
        assert_eq!(offset(ms(7_503_000)), "+2h05m03s");
    }
}
