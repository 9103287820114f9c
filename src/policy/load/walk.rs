//! The TOML walker: one layer's document, walked by hand over `toml`'s spanned tree (rather than
//! deserialised with serde) so that one pass reports every unknown key, bad type and bad value
//! with its position instead of stopping at the first; what it says is gathered in a [`Raw`].
//! `[[rule]]` tables are read in `rules`.

use std::borrow::Cow;
use std::ops::Range;
use std::time::Duration;

use regex::Regex;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Raw, parse_duration};
use crate::analyze::WrapperSpec;
use crate::policy::pattern::Alternatives;
use crate::policy::{
    CHANNELS, Decision, Origin, Problem, SlackConfig, SlackMode, SyncMode, WebhookConfig,
};

type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<Cow<'i, str>>;

/// The walker over one layer's document.
pub(super) struct Cx<'a> {
    file: &'a str,
    /// Parsing the system policy.
    pub(super) system: bool,
    /// Parsing a signed fleet policy (a system layer too).
    pub(super) fleet_layer: bool,
    src: &'a str,
    /// Byte offsets of line starts, for turning spans into line:column.
    lines: Vec<usize>,
    pub(super) problems: &'a mut Vec<Problem>,
}

impl<'a> Cx<'a> {
    pub(super) fn new(file: &'a str, src: &'a str, problems: &'a mut Vec<Problem>) -> Self {
        let mut lines = vec![0];
        lines.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Cx {
            file,
            system: false,
            fleet_layer: false,
            src,
            lines,
            problems,
        }
    }

    pub(super) fn origin(&self, span: &Range<usize>) -> Origin {
        let offset = span.start.min(self.src.len());
        let line = self.lines.partition_point(|&start| start <= offset);
        let line_start = self.lines[line - 1];
        let column = self.src[line_start..offset].chars().count() + 1;
        Origin {
            file: self.file.to_string(),
            line,
            column,
        }
    }

    pub(super) fn err(&mut self, span: &Range<usize>, message: impl Into<String>) {
        let origin = self.origin(span);
        self.problems.push(Problem {
            origin,
            message: message.into(),
        });
    }

    pub(super) fn document(&mut self) -> Raw {
        let mut raw = Raw::default();
        let (root, errors) = DeTable::parse_recoverable(self.src);
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().replace('\n', " ");
            self.err(&span, format!("invalid TOML: {msg}"));
        }
        for (key, value) in root.get_ref().iter() {
            match key.get_ref().as_ref() {
                "defaults" => {
                    if let Some(table) = self.table(key, value) {
                        self.defaults(table, &mut raw);
                    }
                }
                "packs" => self.packs(value, &mut raw),
                "approvers" => {
                    if let Some(table) = self.table(key, value) {
                        for (k, v) in table.iter() {
                            if let Some(list) = self.str_list(k, v) {
                                let origin = self.origin(&k.span());
                                raw.approvers.insert(
                                    k.get_ref().to_string(),
                                    (list.into_iter().map(|(s, _)| s).collect(), origin),
                                );
                            }
                        }
                    }
                }
                "identity" => {
                    if let Some(table) = self.table(key, value) {
                        for (k, v) in table.iter() {
                            if let Some(s) = self.string(k, v) {
                                raw.identity.insert(k.get_ref().to_string(), s);
                            }
                        }
                    }
                }
                "rule" => {
                    if let Some(items) = self.array(key, value) {
                        for item in items {
                            if let Some(table) = self.table(key, item) {
                                self.rule(table, item.span(), &mut raw);
                            }
                        }
                    }
                }
                "wrapper" => {
                    if let Some(items) = self.array(key, value) {
                        for item in items {
                            if let Some(table) = self.table(key, item) {
                                if let Some(w) = self.wrapper(table, item.span()) {
                                    raw.wrappers.push(w);
                                }
                            }
                        }
                    }
                }
                "slack" => {
                    if let Some(table) = self.table(key, value) {
                        raw.slack = self.slack(table, value.span());
                    }
                }
                "webhook" => {
                    if let Some(table) = self.table(key, value) {
                        raw.webhook = self.webhook(table, value.span());
                    }
                }
                "redact" => {
                    if let Some(table) = self.table(key, value) {
                        for (k, v) in table.iter() {
                            match k.get_ref().as_ref() {
                                "patterns" => {
                                    for (p, span) in self.str_list(k, v).unwrap_or_default() {
                                        match Regex::new(&p) {
                                            Ok(_) => raw.redact.push(p),
                                            Err(e) => self.err(
                                                &span,
                                                format!("bad regex: {}", one_line(&e.to_string())),
                                            ),
                                        }
                                    }
                                }
                                _ => self.unknown(k, &["patterns"]),
                            }
                        }
                    }
                }
                "protect" => {
                    let Some(table) = self.table(key, value) else {
                        continue;
                    };
                    if !self.system || self.fleet_layer {
                        self.err(
                            &key.span(),
                            format!(
                                "only the system policy ({}) may narrow gate's own protections; {} cannot leave them out",
                                crate::policy::system_policy(),
                                if self.fleet_layer { "a fleet policy" } else { "a user policy" }
                            ),
                        );
                        continue;
                    }
                    for (k, v) in table.iter() {
                        match k.get_ref().as_ref() {
                            "except" => {
                                for (id, span) in self.str_list(k, v).unwrap_or_default() {
                                    if crate::protect::RULES.contains(&id.as_str()) {
                                        raw.protect_except.push(id);
                                    } else {
                                        self.err(
                                            &span,
                                            format!(
                                                "unknown protection `{id}` (expected one of: {})",
                                                crate::protect::RULES.join(", ")
                                            ),
                                        );
                                    }
                                }
                            }
                            _ => self.unknown(k, &["except"]),
                        }
                    }
                }
                "fleet" => {
                    if let Some(table) = self.table(key, value) {
                        (raw.fleet, raw.fleet_key) = self.fleet(key, table);
                    }
                }
                "ledger" => {
                    if let Some(table) = self.table(key, value) {
                        for (k, v) in table.iter() {
                            match k.get_ref().as_ref() {
                                "sync" => match self.string(k, v).as_deref() {
                                    Some("normal") => raw.sync = Some(SyncMode::Normal),
                                    Some("full") => raw.sync = Some(SyncMode::Full),
                                    Some(other) => self.err(
                                        &v.span(),
                                        format!(
                                            "unknown sync mode `{other}` (expected normal or full)"
                                        ),
                                    ),
                                    None => {}
                                },
                                _ => self.unknown(k, &["sync"]),
                            }
                        }
                    }
                }
                _ => self.unknown(
                    key,
                    &[
                        "defaults",
                        "packs",
                        "approvers",
                        "identity",
                        "rule",
                        "wrapper",
                        "slack",
                        "webhook",
                        "redact",
                        "ledger",
                        "protect",
                        "fleet",
                    ],
                ),
            }
        }
        raw
    }

    pub(super) fn unknown(&mut self, key: &Key<'_>, known: &[&str]) {
        self.err(
            &key.span(),
            format!(
                "unknown key `{}` (expected one of: {})",
                key.get_ref(),
                known.join(", ")
            ),
        );
    }

    pub(super) fn table<'v, 'i>(
        &mut self,
        key: &Key<'_>,
        value: &'v Value<'i>,
    ) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be a table, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn array<'v, 'i>(
        &mut self,
        key: &Key<'_>,
        value: &'v Value<'i>,
    ) -> Option<&'v [Value<'i>]> {
        match value.get_ref() {
            DeValue::Array(a) => Some(a),
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be an array, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn string(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be a string, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be true or false, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn integer(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<i64> {
        match value.get_ref() {
            DeValue::Integer(i) => {
                match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
                    Ok(n) => Some(n),
                    Err(_) => {
                        self.err(
                            &value.span(),
                            format!("`{}` is out of range", key.get_ref()),
                        );
                        None
                    }
                }
            }
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be an integer, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    /// A list of strings; a single string is accepted as a list of one.
    pub(super) fn str_list(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
    ) -> Option<Vec<(String, Range<usize>)>> {
        match value.get_ref() {
            DeValue::String(s) => Some(vec![(s.to_string(), value.span())]),
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(s) => out.push((s.to_string(), item.span())),
                        other => self.err(
                            &item.span(),
                            format!(
                                "`{}` must hold strings, not {}",
                                key.get_ref(),
                                other.type_str()
                            ),
                        ),
                    }
                }
                Some(out)
            }
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be a list of strings, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn decision(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Decision> {
        let s = self.string(key, value)?;
        let d = Decision::parse(&s);
        if d.is_none() {
            self.err(
                &value.span(),
                format!("unknown decision `{s}` (expected allow, ask or deny)"),
            );
        }
        d
    }

    pub(super) fn duration(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Duration> {
        let s = self.string(key, value)?;
        match parse_duration(&s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(
                    &value.span(),
                    format!(
                        "bad duration `{s}` for `{}`: {e} (e.g. 90s, 15m, 1h)",
                        key.get_ref()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn channels(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Vec<String>> {
        let list = self.str_list(key, value)?;
        let mut out = Vec::new();
        for (name, span) in list {
            if CHANNELS.contains(&name.as_str()) {
                out.push(name);
            } else {
                self.err(
                    &span,
                    format!(
                        "unknown channel `{name}` (expected one of: {})",
                        CHANNELS.join(", ")
                    ),
                );
            }
        }
        Some(out)
    }

    pub(super) fn alternatives(
        &mut self,
        span: &Range<usize>,
        source: &str,
    ) -> Option<Alternatives> {
        match Alternatives::new(source) {
            Ok(a) => Some(a),
            Err(e) => {
                self.err(span, format!("bad pattern: {e}"));
                None
            }
        }
    }

    /// `packs = ["git", …]` (the packs to enable), or the table `{ enable = [...], disable =
    /// ["pack.rule-id", …] }` (`enable` absent: every pack). Rule ids are checked when the
    /// layers are merged, where every rule is known.
    fn packs(&mut self, value: &Value<'_>, raw: &mut Raw) {
        raw.packs_given = true;
        let table = match value.get_ref() {
            DeValue::Table(t) => t,
            DeValue::String(_) | DeValue::Array(_) => {
                let key = Spanned::new(value.span(), Cow::Borrowed("packs"));
                let names = self.pack_names(&key, value);
                raw.packs.extend(names);
                return;
            }
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`packs` must be a list of pack names or a table {{ enable = [...], disable = [...] }}, not {}",
                        other.type_str()
                    ),
                );
                return;
            }
        };
        let mut enable = None;
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "enable" => enable = Some(self.pack_names(k, v)),
                "disable" => {
                    for (id, span) in self.str_list(k, v).unwrap_or_default() {
                        let origin = self.origin(&span);
                        raw.disable.push((id, origin));
                    }
                }
                _ => self.unknown(k, &["enable", "disable"]),
            }
        }
        let every = || vec![("all".to_string(), self.origin(&value.span()))];
        raw.packs.extend(enable.unwrap_or_else(every));
    }

    fn pack_names(&mut self, key: &Key<'_>, value: &Value<'_>) -> Vec<(String, Origin)> {
        self.str_list(key, value)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, span)| (name, self.origin(&span)))
            .collect()
    }

    fn defaults(&mut self, table: &DeTable<'_>, raw: &mut Raw) {
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "decision" => raw.decision = self.decision(k, v),
                "opaque" => raw.opaque = self.decision(k, v),
                "timeout" => raw.timeout = self.duration(k, v),
                "channels" => {
                    let origin = self.origin(&v.span());
                    raw.channels = self.channels(k, v).map(|c| (c, origin));
                }
                "require_reason" => raw.require_reason = self.boolean(k, v),
                "packs" => self.packs(v, raw),
                _ => self.unknown(
                    k,
                    &[
                        "decision",
                        "opaque",
                        "timeout",
                        "channels",
                        "require_reason",
                        "packs",
                    ],
                ),
            }
        }
    }

    fn wrapper(&mut self, table: &DeTable<'_>, span: Range<usize>) -> Option<WrapperSpec> {
        let mut program = None;
        let mut value_options = Vec::new();
        let mut skip_positionals = 0usize;
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "program" => program = self.string(k, v),
                "value_options" => {
                    value_options = self
                        .str_list(k, v)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                }
                "skip_positionals" => {
                    if let Some(n) = self.integer(k, v) {
                        if (0..=16).contains(&n) {
                            skip_positionals = n as usize;
                        } else {
                            self.err(&v.span(), "skip_positionals must be between 0 and 16");
                        }
                    }
                }
                _ => self.unknown(k, &["program", "value_options", "skip_positionals"]),
            }
        }
        match program {
            Some(p) if !p.is_empty() && !p.contains('/') => Some(WrapperSpec {
                program: p,
                value_options,
                skip_positionals,
            }),
            Some(p) => {
                self.err(
                    &span,
                    format!("wrapper program `{p}` must be a base name (no `/`)"),
                );
                None
            }
            None => {
                self.err(&span, "wrapper needs `program`");
                None
            }
        }
    }

    fn slack(&mut self, table: &DeTable<'_>, span: Range<usize>) -> Option<SlackConfig> {
        let mut channel = None;
        let mut cfg = SlackConfig {
            channel: String::new(),
            api_base: "https://slack.com/api".into(),
            token_env: crate::env_vars::GATE_SLACK_TOKEN.into(),
            mode: SlackMode::Poll,
            app_token_env: crate::env_vars::GATE_SLACK_APP_TOKEN.into(),
            poll_interval: Duration::from_secs(3),
        };
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "channel" => channel = self.string(k, v),
                "api_base" => {
                    if let Some(s) = self.string(k, v) {
                        if s.starts_with("https://") || s.starts_with("http://") {
                            cfg.api_base = s.trim_end_matches('/').to_string();
                        } else {
                            self.err(&v.span(), format!("api_base `{s}` must be an http(s) URL"));
                        }
                    }
                }
                "token_env" => cfg.token_env = self.string(k, v).unwrap_or(cfg.token_env),
                "app_token_env" => {
                    cfg.app_token_env = self.string(k, v).unwrap_or(cfg.app_token_env)
                }
                "mode" => match self.string(k, v).as_deref() {
                    Some("poll") => cfg.mode = SlackMode::Poll,
                    Some("socket") => cfg.mode = SlackMode::Socket,
                    Some(other) => self.err(
                        &v.span(),
                        format!("unknown slack mode `{other}` (expected poll or socket)"),
                    ),
                    None => {}
                },
                "poll_interval" => {
                    cfg.poll_interval = self.duration(k, v).unwrap_or(cfg.poll_interval)
                }
                _ => self.unknown(
                    k,
                    &[
                        "channel",
                        "api_base",
                        "token_env",
                        "mode",
                        "app_token_env",
                        "poll_interval",
                    ],
                ),
            }
        }
        match channel {
            Some(c) if !c.is_empty() => {
                cfg.channel = c;
                Some(cfg)
            }
            _ => {
                self.err(
                    &span,
                    "[slack] needs `channel` (a channel id like C0123456789, or #name)",
                );
                None
            }
        }
    }

    fn webhook(&mut self, table: &DeTable<'_>, span: Range<usize>) -> Option<WebhookConfig> {
        let mut url = None;
        let mut cfg = WebhookConfig {
            url: String::new(),
            secret_env: crate::env_vars::GATE_WEBHOOK_SECRET.into(),
            poll_interval: Duration::from_secs(2),
        };
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "url" => {
                    if let Some(s) = self.string(k, v) {
                        if s.starts_with("https://") || s.starts_with("http://") {
                            url = Some(s);
                        } else {
                            self.err(
                                &v.span(),
                                format!("webhook url `{s}` must be an http(s) URL"),
                            );
                        }
                    }
                }
                "secret_env" => cfg.secret_env = self.string(k, v).unwrap_or(cfg.secret_env),
                "poll_interval" => {
                    cfg.poll_interval = self.duration(k, v).unwrap_or(cfg.poll_interval)
                }
                _ => self.unknown(k, &["url", "secret_env", "poll_interval"]),
            }
        }
        match url {
            Some(u) => {
                cfg.url = u;
                Some(cfg)
            }
            None => {
                self.err(&span, "[webhook] needs `url`");
                None
            }
        }
    }
}

impl Cx<'_> {
    /// `[fleet] url` and `policy_key`: only the system policy says which fleet a machine
    /// belongs to and which key its fleet policies are signed with (a fleet policy cannot
    /// re-pin its own key), and the URI holds no secret (libpq's files and variables do).
    fn fleet(&mut self, key: &Key<'_>, table: &DeTable<'_>) -> (Option<String>, Option<String>) {
        if self.fleet_layer {
            self.err(
                &key.span(),
                format!(
                    "a fleet policy cannot say which fleet or signing key a host uses: only the host's own system policy ({}) does",
                    crate::policy::system_policy()
                ),
            );
            return (None, None);
        }
        if !self.system {
            self.err(
                &key.span(),
                format!(
                    "only the system policy ({}) may put this machine in a fleet; set GATE_FLEET for one command",
                    crate::policy::system_policy()
                ),
            );
            return (None, None);
        }
        let (mut url, mut policy_key) = (None, None);
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "url" => {
                    let Some(s) = self.string(k, v) else { continue };
                    match crate::fleet::config::check_policy_url(&s) {
                        Ok(()) => url = Some(s),
                        Err(problem) => self.err(&v.span(), problem),
                    }
                }
                "policy_key" => {
                    let Some(s) = self.string(k, v) else { continue };
                    match crate::policy::signed::PublicKey::parse(&s) {
                        Ok(_) => policy_key = Some(s),
                        Err(problem) => self.err(&v.span(), problem),
                    }
                }
                _ => self.unknown(k, &["url", "policy_key"]),
            }
        }
        if url.is_none() {
            self.err(&key.span(), "[fleet] needs `url` (postgres://ROLE@HOST/DB)");
        }
        (url, policy_key)
    }
}

pub(super) fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use crate::policy::load::parse_str;

    fn problems(text: &str) -> Vec<String> {
        match parse_str("p.toml", text) {
            Ok(_) => Vec::new(),
            Err(p) => {
                p.0.iter()
                    .map(|p| format!("{}: {}", p.origin, p.message))
                    .collect()
            }
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let text = "[defaults]\ndecision = \"maybe\"\nbogus = 1\n\n[[rule]]\nid = \"a\"\ncommand = \"rm [x\"\ndecision = \"deny\"\n\n[[rule]]\nid = \"b\"\nregex = \"(\"\ndecision = \"ask\"\napprovers = [\"nobody\"]\n";
        let p = problems(text);
        assert!(
            p.iter()
                .any(|l| l.starts_with("p.toml:2:12: unknown decision `maybe`")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|l| l.starts_with("p.toml:3:1: unknown key `bogus`")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|l| l.starts_with("p.toml:7:11: bad pattern")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|l| l.starts_with("p.toml:12:9: bad regex")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|l| l.starts_with("p.toml:14:14: unknown approver group `nobody`")),
            "{p:?}"
        );
    }
}
