//! Who may vote: each reacting or clicking user is looked up with `users.info`; deleted
//! accounts, bots, guests and users of other workspaces are refused (and reported), everyone
//! else votes as `slack:UXXXX` with their profile email as the alias `email:ADDRESS`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use super::api::Body;
use super::{Fail, Slack};
use crate::approve::{Message, Vote};

/// The user of a reaction, as far as approving goes.
pub(super) enum Person {
    Approver { id: String, email: Option<String> },
    Refused(String),
}

/// Who answered so far, and who they are.
pub(super) struct Tally {
    pub(super) team: String,
    pub(super) bot: String,
    pub(super) seen: HashSet<(String, bool)>,
    pub(super) people: HashMap<String, Person>,
}

impl Slack {
    pub(super) fn person(
        &self,
        user: &str,
        team: &str,
        patience: &dyn Fn(Duration) -> bool,
    ) -> Result<Person, Fail> {
        let v = match self.call(
            "users.info",
            &Body::Form(vec![("user", user.to_string())]),
            patience,
        ) {
            Ok(v) => v,
            Err(Fail::Fatal(m)) if m.contains("user_not_found") => {
                return Ok(Person::Refused(
                    "Slack does not know this user (another workspace?)".into(),
                ));
            }
            Err(e) => return Err(e),
        };
        let u = &v["user"];
        let flag = |k: &str| u.get(k).and_then(Value::as_bool).unwrap_or(false);
        if flag("deleted") {
            return Ok(Person::Refused("the Slack account is deactivated".into()));
        }
        if flag("is_bot") || user == "USLACKBOT" {
            return Ok(Person::Refused("bots cannot approve".into()));
        }
        if flag("is_restricted") || flag("is_ultra_restricted") {
            return Ok(Person::Refused("guest accounts cannot approve".into()));
        }
        if let Some(t) = u.get("team_id").and_then(Value::as_str)
            && !team.is_empty()
            && t != team
        {
            return Ok(Person::Refused(format!(
                "the user belongs to another Slack workspace ({t})"
            )));
        }
        let email = u
            .pointer("/profile/email")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
            .map(|e| e.to_ascii_lowercase());
        Ok(Person::Approver {
            id: user.to_string(),
            email,
        })
    }

    /// Turn one person's answer into a message for the coordinator (once per person and
    /// verdict). `Ok(None)`: already reported, or to be looked up again later.
    pub(super) fn consider(
        &self,
        tally: &mut Tally,
        user: &str,
        approve: bool,
        patience: &dyn Fn(Duration) -> bool,
    ) -> Result<Option<Message>, Fail> {
        if user == tally.bot || tally.seen.contains(&(user.to_string(), approve)) {
            return Ok(None);
        }
        if !tally.people.contains_key(user) {
            match self.person(user, &tally.team, patience) {
                Ok(p) => {
                    tally.people.insert(user.to_string(), p);
                }
                // Looked up again at the next chance.
                Err(Fail::Transient(_)) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        tally.seen.insert((user.to_string(), approve));
        Ok(Some(match &tally.people[user] {
            Person::Refused(reason) => Message::Refused {
                channel: "slack".into(),
                approver: format!("slack:{user}"),
                approve,
                reason: reason.clone(),
            },
            Person::Approver { id, email } => Message::Vote(Vote {
                channel: "slack".into(),
                approver: format!("slack:{id}"),
                aliases: email.iter().map(|e| format!("email:{e}")).collect(),
                is_requesting_agent: false,
                approve,
                comment: None,
            }),
        }))
    }
}
