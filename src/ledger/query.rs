//! Filters for `gate log` and `gate export`.

use std::time::SystemTime;

use super::RequestRecord;

#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// RFC 3339 bounds (inclusive since, exclusive until), compared as text: every time in the
    /// ledger is UTC with a `Z`, so text order is time order.
    pub since: Option<String>,
    pub until: Option<String>,
    pub status: Option<String>,
    pub decision: Option<String>,
    pub rule: Option<String>,
    pub agent: Option<String>,
    pub user: Option<String>,
    pub grep: Option<String>,
}

/// `2026-11-23T10:00:00Z`, `2026-11-23`, or an age such as `2h` / `7d` (that long ago).
pub fn parse_time(s: &str) -> Result<String, String> {
    if let Ok(d) = humantime::parse_duration(s) {
        let t = SystemTime::now()
            .checked_sub(d)
            .ok_or_else(|| format!("`{s}` reaches before the epoch"))?;
        return Ok(humantime::format_rfc3339_millis(t).to_string());
    }
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_string()
    };
    let t = humantime::parse_rfc3339_weak(&full).map_err(|_| {
        format!("`{s}` is neither a time (2026-11-23T10:00:00Z, 2026-11-23) nor an age (2h, 7d)")
    })?;
    Ok(humantime::format_rfc3339_millis(t).to_string())
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.status.is_none()
            && self.decision.is_none()
            && self.rule.is_none()
            && self.agent.is_none()
            && self.user.is_none()
            && self.grep.is_none()
    }

    /// Requests come in time order, so a scan can stop once it passes the time window.
    pub fn stop_scanning(&self, newest_first: bool, time: Option<&str>) -> bool {
        let Some(time) = time else { return false };
        if newest_first {
            self.since.as_deref().is_some_and(|since| time < since)
        } else {
            self.until.as_deref().is_some_and(|until| time >= until)
        }
    }

    pub fn accepts(&self, r: &RequestRecord) -> bool {
        if let Some(since) = &self.since
            && r.time.as_str() < since.as_str()
        {
            return false;
        }
        if let Some(until) = &self.until
            && r.time.as_str() >= until.as_str()
        {
            return false;
        }
        if let Some(s) = &self.status
            && r.status.as_str() != s
        {
            return false;
        }
        if let Some(d) = &self.decision
            && r.decision != *d
        {
            return false;
        }
        if let Some(rule) = &self.rule
            && !r
                .rules
                .iter()
                .any(|h| h.get("rule").and_then(|v| v.as_str()) == Some(rule.as_str()))
        {
            return false;
        }
        let field = |k: &str| r.requester.get(k).and_then(|v| v.as_str()).unwrap_or("");
        if let Some(a) = &self.agent
            && field("agent") != a
        {
            return false;
        }
        if let Some(u) = &self.user
            && field("user") != u
        {
            return false;
        }
        if let Some(g) = &self.grep {
            let text = r.command.join(" ");
            let hay = format!(
                "{text} {} {}",
                r.script.as_deref().unwrap_or(""),
                r.reason.as_deref().unwrap_or("")
            );
            if !hay.to_lowercase().contains(&g.to_lowercase()) {
                return false;
            }
        }
        true
    }
}
