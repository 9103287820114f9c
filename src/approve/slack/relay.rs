//! Clicks that reached the wrong gate process, on one host.
//!
//! Every waiting gate opens its own Socket Mode connection, and Slack hands each click to one
//! of the app's open connections: with five requests waiting, four clicks in five reach a
//! process whose request they are not for. That process records the click in the ledger as a
//! `slack_vote` event of the request its button names ([`Slack::relay`]), and the request's own
//! process picks it up there and counts it as if it had arrived on its own connection
//! ([`Slack::pick_up`]): the same `users.info` checks, the same coordinator, the same refusal
//! of the requester's own identities.
//!
//! Why a local process cannot forge one: `slack_vote` is a sealed kind (`ledger::seal`), so the
//! row carries a MAC under the ledger key, which only gate reads (in the protected install, only
//! its group); a row without a valid seal is refused and `gate verify` reports it. Why a real
//! click cannot be replayed onto another request: the counting side also requires that the
//! click came through the same Slack Web API (`api_base`), from the workspace it posted to,
//! on the card it posted (channel and message ts). One click delivered twice (Slack retries
//! what it thinks was not acknowledged) is recorded once and counted once: its `action_ts`, user
//! and verdict identify it.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};

use super::people::Tally;
use super::{APPROVE_ACTION, DENY_ACTION, Fail, Slack};
use crate::approve::Message;
use crate::ledger::{Event, Kind, Store, events};

/// One button click, as read from a `block_actions` payload.
#[derive(Debug, Clone)]
pub(super) struct Click {
    /// The request id the button carries.
    pub(super) request: String,
    pub(super) user: String,
    pub(super) team: String,
    pub(super) approve: bool,
    pub(super) action_ts: String,
    pub(super) channel: String,
    pub(super) message_ts: String,
}

impl Click {
    /// The gate button clicks of a payload (other actions are not gate's).
    pub(super) fn all(payload: &Value) -> Vec<Click> {
        if payload.get("type").and_then(Value::as_str) != Some("block_actions") {
            return Vec::new();
        }
        let s = |p: &str| payload.pointer(p).and_then(Value::as_str);
        let Some(user) = s("/user/id") else {
            return Vec::new();
        };
        let team = s("/team/id").or(s("/user/team_id")).unwrap_or("");
        let channel = s("/container/channel_id")
            .or(s("/channel/id"))
            .unwrap_or("");
        let message_ts = s("/container/message_ts")
            .or(s("/message/ts"))
            .unwrap_or("");
        let actions = payload.get("actions").and_then(Value::as_array);
        actions
            .into_iter()
            .flatten()
            .filter_map(|a| {
                let approve = match a.get("action_id").and_then(Value::as_str)? {
                    APPROVE_ACTION => true,
                    DENY_ACTION => false,
                    _ => return None,
                };
                Some(Click {
                    request: a.get("value").and_then(Value::as_str)?.to_string(),
                    user: user.to_string(),
                    team: team.to_string(),
                    approve,
                    action_ts: a
                        .get("action_ts")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    channel: channel.to_string(),
                    message_ts: message_ts.to_string(),
                })
            })
            .collect()
    }

    /// What tells this click from another: one click delivered twice has the same key.
    pub(super) fn key(&self) -> (String, String, bool) {
        (self.user.clone(), self.action_ts.clone(), self.approve)
    }
}

/// The card a request posted, which its clicks must be on.
#[derive(Debug, Clone)]
pub(super) struct Card {
    pub(super) channel: String,
    pub(super) ts: String,
}

/// What became of a click for another request.
pub(super) enum Relayed {
    /// Recorded for the request's own process to count.
    Recorded,
    /// Already recorded (Slack delivered it again).
    Again,
    /// No request with that id waits on Slack in this ledger.
    NotWaiting,
}

/// What the counting side has seen of the relayed clicks.
pub(super) struct Pickup {
    /// The last event of the request looked at.
    pub(super) seen: i64,
    /// Every click counted or refused so far, relayed or direct.
    pub(super) clicks: HashSet<(String, String, bool)>,
}

fn same_api(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

impl Slack {
    /// Record a click for another waiting request in the ledger, in the transaction that
    /// checks that the request waits on Slack and that the click is not already there.
    pub(super) fn relay(&self, click: &Click) -> Result<Relayed, String> {
        let mut writer = self.writer.borrow_mut();
        let Some(writer) = writer.as_mut() else {
            return Err("this gate process cannot write the ledger".into());
        };
        let mut what = Relayed::NotWaiting;
        let api_base = self.cfg.api_base.clone();
        let (_, appended) = writer
            .append_checked(&click.request, &mut |evs: &[Event]| {
                let waits = evs.iter().any(|e| {
                    e.kind == Kind::ApprovalRequested
                        && e.data
                            .get("open")
                            .and_then(Value::as_array)
                            .is_some_and(|open| open.iter().any(|c| c == "slack"))
                });
                if !waits || evs.iter().any(|e| e.kind == Kind::Verdict) {
                    what = Relayed::NotWaiting;
                    return Ok(Vec::new());
                }
                let again = evs.iter().any(|e| {
                    e.kind == Kind::SlackVote
                        && parse(&e.data).is_some_and(|(c, _)| c.key() == click.key())
                });
                if again {
                    what = Relayed::Again;
                    return Ok(Vec::new());
                }
                what = Relayed::Recorded;
                Ok(vec![(
                    Kind::SlackVote,
                    events::slack_vote(&events::SlackVoteData {
                        user: &click.user,
                        team: &click.team,
                        approve: click.approve,
                        action_ts: &click.action_ts,
                        api_base: &api_base,
                        channel: &click.channel,
                        message_ts: &click.message_ts,
                        relayed_by: std::process::id(),
                    }),
                )])
            })
            .map_err(|e| format!("cannot record the click in the ledger: {e}"))?;
        crate::pipeline::post_written(appended.and(writer.take_written()), None);
        Ok(what)
    }

    /// Why a click may not count for this request's card (`click.request` is checked by the
    /// caller): it came through another Slack, from another workspace, or on another message.
    pub(super) fn foreign(
        &self,
        tally: &Tally,
        card: &Card,
        api_base: &str,
        click: &Click,
    ) -> Option<String> {
        if !same_api(api_base, &self.cfg.api_base) {
            return Some(format!(
                "the click came through another Slack ({api_base}), not the one this request was posted to ({})",
                self.cfg.api_base
            ));
        }
        if click.team.is_empty() || click.team != tally.team {
            return Some(format!(
                "the click came from another Slack workspace ({}), not the one this request was posted to ({})",
                click.team, tally.team
            ));
        }
        if click.channel != card.channel || click.message_ts != card.ts {
            return Some(format!(
                "the click was on another Slack message ({} {}), not this request's card ({} {})",
                click.channel, click.message_ts, card.channel, card.ts
            ));
        }
        None
    }

    /// The `slack_vote` events of this request recorded since the last look, as messages for
    /// the coordinator (refusals included, so they are in the ledger).
    pub(super) fn pick_up(
        &self,
        ledger: &dyn Store,
        id: &str,
        card: &Card,
        tally: &mut Tally,
        pickup: &mut Pickup,
        patience: &dyn Fn(Duration) -> bool,
    ) -> Result<Vec<Message>, Fail> {
        let evs = match ledger.events_after(id, pickup.seen) {
            Ok(evs) => evs,
            // A busy ledger is read again at the next look.
            Err(e) => {
                crate::ui::debug(&format!("slack: cannot read relayed clicks: {e}"));
                return Ok(Vec::new());
            }
        };
        let mut out = Vec::new();
        for ev in evs {
            if ev.kind != Kind::SlackVote {
                pickup.seen = ev.seq;
                continue;
            }
            let claimed = ev.data.get("user").and_then(Value::as_str).unwrap_or("?");
            let refuse = |reason: String| Message::Refused {
                channel: "slack".into(),
                approver: format!("slack:{}", claimed.escape_debug()),
                approve: ev.data.get("verdict").and_then(Value::as_str) == Some("approve"),
                reason,
            };
            let sealed = match ledger.check_seal(&ev) {
                Ok(Ok(())) => Ok(()),
                Ok(Err(problem)) => Err(format!(
                    "this Slack vote was not written by gate ({problem}): it does not count, and `gate verify` reports it"
                )),
                // Looked at again at the next chance.
                Err(e) => {
                    crate::ui::debug(&format!("slack: cannot check a relayed click's seal: {e}"));
                    break;
                }
            };
            let parsed = parse(&ev.data);
            let verdict = match (sealed, parsed) {
                (Err(why), _) => Err(why),
                (Ok(()), None) => Err("an unreadable Slack vote".to_string()),
                (Ok(()), Some((click, api_base))) => {
                    match self.foreign(tally, card, &api_base, &click) {
                        Some(why) => Err(why),
                        None => Ok(click),
                    }
                }
            };
            match verdict {
                Err(why) => out.push(refuse(why)),
                Ok(click) => {
                    if pickup.clicks.insert(click.key()) {
                        match self.consider(tally, &click.user, click.approve, patience) {
                            Ok(Some(msg)) => out.push(msg),
                            Ok(None) => {}
                            // Looked up again at the next look.
                            Err(Fail::Transient(_)) => {
                                pickup.clicks.remove(&click.key());
                                break;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
            pickup.seen = ev.seq;
        }
        Ok(out)
    }

    /// Tell the clicker something through the interaction's `response_url` (best effort).
    pub(super) fn tell_clicker(&self, payload: &Value, text: &str) {
        if let Some(url) = payload.get("response_url").and_then(Value::as_str) {
            let _ = self
                .http
                .post(url)
                .json(&json!({
                    "response_type": "ephemeral",
                    "replace_original": false,
                    "text": text,
                }))
                .send();
        }
    }
}

/// A `slack_vote` event's click and the `api_base` it came through.
fn parse(data: &Value) -> Option<(Click, String)> {
    let s = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
    let approve = match s("verdict")?.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return None,
    };
    Some((
        Click {
            request: String::new(),
            user: s("user")?,
            team: s("team")?,
            approve,
            action_ts: s("action_ts")?,
            channel: s("channel")?,
            message_ts: s("message_ts")?,
        },
        s("api_base")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_are_read_from_block_actions_only_and_keyed_by_user_stamp_and_verdict() {
        let payload = json!({
            "type": "block_actions",
            "user": {"id": "UALICE", "team_id": "T9"},
            "team": {"id": "T1"},
            "container": {"type": "message", "message_ts": "1.2", "channel_id": "C1"},
            "channel": {"id": "CIGNORED"},
            "message": {"ts": "IGNORED"},
            "actions": [
                {"action_id": APPROVE_ACTION, "value": "req1", "action_ts": "9.1"},
                {"action_id": "something_else", "value": "req1", "action_ts": "9.2"},
                {"action_id": DENY_ACTION, "value": "req2", "action_ts": "9.3"},
                {"action_id": DENY_ACTION, "action_ts": "9.4"},
            ],
        });
        let clicks = Click::all(&payload);
        assert_eq!(clicks.len(), 2);
        let (a, b) = (&clicks[0], &clicks[1]);
        assert_eq!(
            (
                a.request.as_str(),
                a.user.as_str(),
                a.team.as_str(),
                a.approve
            ),
            ("req1", "UALICE", "T1", true)
        );
        // The container names the card; the payload's team, not the user's home team.
        assert_eq!((a.channel.as_str(), a.message_ts.as_str()), ("C1", "1.2"));
        assert_eq!((b.request.as_str(), b.approve), ("req2", false));
        assert_ne!(a.key(), b.key());
        assert_eq!(a.key(), a.clone().key());
        // Without a container, the channel and message name it.
        let mut bare = payload.clone();
        bare.as_object_mut().unwrap().remove("container");
        let c = &Click::all(&bare)[0];
        assert_eq!(
            (c.channel.as_str(), c.message_ts.as_str()),
            ("CIGNORED", "IGNORED")
        );
        // Anything but block_actions, or without a user, is no click.
        for other in [
            json!({"type": "view_submission", "user": {"id": "U1"}, "actions": payload["actions"]}),
            json!({"type": "block_actions", "actions": payload["actions"]}),
        ] {
            assert!(Click::all(&other).is_empty());
        }
    }

    #[test]
    fn an_api_base_matches_with_or_without_a_trailing_slash_only() {
        assert!(same_api("https://slack.com/api", "https://slack.com/api/"));
        assert!(!same_api("https://slack.com/api", "http://127.0.0.1:9/api"));
    }
}
