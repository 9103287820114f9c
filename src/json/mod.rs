//! Every JSON shape gate prints (`--json`, `gate export`), one type each. What is printed is
//! that type serialized, and its JSON Schema (`schemas/NAME.schema.json`, `gate schema NAME`)
//! is generated from the same type, so the two cannot drift.
//!
//! The rules every shape follows (README, "JSON output"):
//! - every object printed at the top (every jsonl line) starts with `"schema": "gate.NAME/N"`;
//!   `N` goes up when a field is renamed or removed, or changes its type or meaning, and not
//!   when a field is added (readers ignore fields they do not know);
//! - a field is always present: `null` when its value is unknown or does not apply, `[]` for
//!   an empty list (no `skip_serializing_if` here);
//! - an object that holds what the ledger stored lists the keys gate writes and is open
//!   (`additionalProperties: true`) for whatever else a ledger row holds.
//!
//! The types borrow nothing from the modules they describe: they are built from them, so an
//! internal rename cannot change what users read.

mod check;
mod error;
mod fleet;
mod policy;
mod report;
mod request;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

pub use check::{Check, Run};
pub use error::{ErrorReport, Problem};
pub use fleet::{
    FleetInit, FleetRelay, FleetSeal, FleetSealBroken, FleetSealHead, FleetSealSummary,
    FleetSealsReport, FleetSpool, FleetStatus, FleetStream, FleetStreamReport, FleetVerify,
    Migrated, PolicyPush, PolicyStatus, Shipped,
};
pub use policy::{
    Disabled, DisabledState, FailedTest, LintTests, Position, RuleTests, RuleWhen, RulesLint,
    RulesListEntry, RulesShow, Source,
};
pub use report::{Broken, CheckpointsPost, Doctor, DoctorCheck, DoctorStatus, Posted, Verify};
pub use request::{Pending, Request, Show};

/// A shape gate prints at the top level.
pub trait Shape: Serialize + JsonSchema {
    /// Its name and version, `gate.NAME/N` (the value of its `schema` field).
    const SCHEMA: &'static str;
}

/// The shape with its `schema` field first.
#[derive(Serialize)]
struct Tagged<'a, T> {
    schema: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

/// One line of JSON: `value` with its `schema` field.
pub fn line<T: Shape>(value: &T) -> String {
    serde_json::to_string(&Tagged {
        schema: T::SCHEMA,
        body: value,
    })
    // Only maps with string keys and plain data: serializing cannot fail.
    .expect("a JSON shape serializes")
}

/// Print `value` as one line on stdout.
pub fn print<T: Shape>(value: &T) {
    println!("{}", line(value));
}

/// Print `value` as one line on stderr (`gate --json -- CMD`: stdout is the command's).
pub fn eprint<T: Shape>(value: &T) {
    eprintln!("{}", line(value));
}

/// Where a command prints its JSON, and so its errors as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Print the error object for `e` where the command's JSON goes.
pub fn print_error(e: &crate::error::Error, to: Stream) {
    let report = ErrorReport::of(e);
    match to {
        Stream::Stdout => print(&report),
        Stream::Stderr => eprint(&report),
    }
}

/// `check` for `gate.check/1`, `rules.lint` for `gate.rules.lint/1`: the name `gate schema`
/// takes and the file name in `schemas/`.
pub fn short_name(schema: &str) -> &str {
    let name = schema.strip_prefix("gate.").unwrap_or(schema);
    name.split_once('/').map_or(name, |(n, _)| n)
}

/// The JSON Schema (draft 2020-12) of `T` as printed: the type's schema, with the `schema`
/// field it is printed with.
pub fn schema_of<T: Shape>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let mut root = generator.into_root_schema_for::<T>().to_value();
    let Some(obj) = root.as_object_mut() else {
        return root;
    };
    obj.insert("title".into(), T::SCHEMA.into());
    let tag = serde_json::json!({
        "description": "The shape and its version; the version goes up only when a field is renamed, removed or changes its type or meaning.",
        "type": "string",
        "const": T::SCHEMA,
    });
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        props.insert("schema".into(), tag);
    }
    if let Some(Value::Array(required)) = obj.get_mut("required") {
        required.insert(0, "schema".into());
    }
    root
}

/// Makes a shape's schema.
pub type MakeSchema = fn() -> Value;

/// Every shape: its `gate.NAME/N` and its schema.
pub fn all() -> Vec<(&'static str, MakeSchema)> {
    vec![
        (Check::SCHEMA, schema_of::<Check> as MakeSchema),
        (Run::SCHEMA, schema_of::<Run>),
        (Request::SCHEMA, schema_of::<Request>),
        (Show::SCHEMA, schema_of::<Show>),
        (Pending::SCHEMA, schema_of::<Pending>),
        (Verify::SCHEMA, schema_of::<Verify>),
        (Doctor::SCHEMA, schema_of::<Doctor>),
        (RulesLint::SCHEMA, schema_of::<RulesLint>),
        (RulesListEntry::SCHEMA, schema_of::<RulesListEntry>),
        (RulesShow::SCHEMA, schema_of::<RulesShow>),
        (CheckpointsPost::SCHEMA, schema_of::<CheckpointsPost>),
        (ErrorReport::SCHEMA, schema_of::<ErrorReport>),
        (FleetInit::SCHEMA, schema_of::<FleetInit>),
        (FleetStatus::SCHEMA, schema_of::<FleetStatus>),
        (FleetVerify::SCHEMA, schema_of::<FleetVerify>),
        (FleetSeal::SCHEMA, schema_of::<FleetSeal>),
        (Migrated::SCHEMA, schema_of::<Migrated>),
        (Shipped::SCHEMA, schema_of::<Shipped>),
        (PolicyPush::SCHEMA, schema_of::<PolicyPush>),
        (PolicyStatus::SCHEMA, schema_of::<PolicyStatus>),
    ]
}

/// The schema of the shape named `name` (`check`, `rules.lint`, …), as committed in
/// `schemas/NAME.schema.json`: pretty-printed, with a final newline.
pub fn schema_text(name: &str) -> Option<String> {
    all()
        .into_iter()
        .find(|(schema, _)| short_name(schema) == name)
        .map(|(_, make)| {
            let mut text = serde_json::to_string_pretty(&make()).expect("a schema serializes");
            text.push('\n');
            text
        })
}

/// The schema of a field that holds an object the ledger stored: the keys gate writes are
/// described where the field is; anything else a row holds comes through.
fn stored_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["object", "null"],
        "additionalProperties": true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_the_schema_files() {
        assert_eq!(short_name("gate.check/1"), "check");
        assert_eq!(short_name("gate.rules.lint/1"), "rules.lint");
        let names: Vec<&str> = all().iter().map(|(s, _)| short_name(s)).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }

    /// The convention: every property of every object is required (present, maybe null).
    #[test]
    fn every_field_is_always_present() {
        fn walk(v: &Value, at: &str) {
            match v {
                Value::Object(o) => {
                    if let Some(Value::Object(props)) = o.get("properties") {
                        let required: Vec<&str> = o
                            .get("required")
                            .and_then(Value::as_array)
                            .map(|r| r.iter().filter_map(Value::as_str).collect())
                            .unwrap_or_default();
                        for name in props.keys() {
                            assert!(required.contains(&name.as_str()), "{at}: {name} optional");
                        }
                    }
                    for (k, v) in o {
                        walk(v, &format!("{at}/{k}"));
                    }
                }
                Value::Array(a) => a.iter().for_each(|v| walk(v, at)),
                _ => {}
            }
        }
        for (schema, make) in all() {
            walk(&make(), schema);
        }
    }
}
