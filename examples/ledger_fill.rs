//! Fill a ledger with N requests through the real write path (policy, analysis, decision,
//! redaction, event builders, `Ledger::append`), in bulk transactions of 250 requests.
//!
//!   cargo run --release --example ledger_fill -- /tmp/big/ledger.db 1000000
//!
//! Then time `GATE_LEDGER=/tmp/big/ledger.db gate log -n 50` and `gate verify` (see
//! scripts/bench-ledger.sh).

use std::ffi::OsString;
use std::time::{Duration, Instant};

use gate::analyze::{Wrappers, analyze_argv};
use gate::context::Requester;
use gate::decide::{Decider, Facts};
use gate::ledger::{Kind, Ledger, NewEvent, events, keyed};
use gate::pipeline::decision_event;
use gate::policy::{DEFAULT_POLICY, SyncMode, parse_str};
use gate::redact::Redactor;

const COMMANDS: &[&str] = &[
    "cargo test --workspace",
    "git status",
    "git commit -m fix-the-build",
    "kubectl get pods -n web",
    "npm run build",
    "rm -rf ./target/debug",
    "terraform plan -out plan.bin",
    "curl -H 'Authorization: Bearer abcdef0123456789' https://api.example.com/v1/items",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(args.next().expect("usage: ledger_fill PATH COUNT"));
    let count: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .expect("usage: ledger_fill PATH COUNT");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let policy = parse_str("default", DEFAULT_POLICY).unwrap();
    let decider = Decider::new(&policy);
    let redactor = Redactor::new(&policy.redact).unwrap();
    let wrappers = Wrappers::builtin();
    let env = |_: &str| None;
    let resolve = |p: &str| Some(format!("/usr/bin/{p}"));
    let facts = Facts {
        env: &env,
        cwd: "/home/dev/project",
        user: "dev",
        agent: Some("claude-code"),
        ci: false,
        home: Some("/home/dev"),
        resolve: &resolve,
    };
    let requester = Requester {
        user: "dev".into(),
        agent: Some("claude-code".into()),
        agent_process: None,
        host: "build-host-01".into(),
        uid: 1000,
    };
    let mut ledger = Ledger::open(&path, SyncMode::Normal).unwrap();
    let key = vec![7u8; 32];
    let finished = events::finished(Some(0), None, Duration::from_millis(1234));
    let started = Instant::now();
    let mut batch_data = Vec::new();
    let mut done = 0;
    while done < count {
        batch_data.clear();
        let n = 250.min(count - done);
        for i in 0..n {
            let line = COMMANDS[(done + i) % COMMANDS.len()];
            let argv: Vec<String> = line.split(' ').map(str::to_string).collect();
            let os: Vec<OsString> = argv.iter().map(OsString::from).collect();
            let verdict = decider.decide(&analyze_argv(&argv, &wrappers), &facts);
            let masked = redactor.argv(&argv);
            let hmac = format!("hmac-sha256:{}", keyed::compute(&key, &os));
            let sources = policy.sources.clone();
            let request = events::request(&events::RequestData {
                requester: &requester,
                cwd: "/home/dev/project",
                command: &masked,
                script: None,
                reason: None,
                ci: None,
                argv_hmac: &hmac,
                policy_sources: &sources,
                policy_digest: &policy.digest,
                policy_version: None,
                protect_except: &[],
                packs_disabled: &[],
                extra: None,
            });
            let id = format!("{:010}", done + i);
            batch_data.push((id, request, decision_event(&verdict, &redactor)));
        }
        let mut batch = Vec::with_capacity(n * 4);
        for (id, request, decision) in &batch_data {
            batch.push(NewEvent::new(id, Kind::Request, request.clone()));
            batch.push(NewEvent::new(id, Kind::Decision, decision.clone()));
            batch.push(NewEvent::new(id, Kind::Started, events::started()));
            batch.push(NewEvent::new(id, Kind::Finished, finished.clone()));
        }
        ledger.append(&batch).unwrap();
        done += n;
        if done % 100_000 == 0 {
            eprintln!("{done} requests, {:.1}s", started.elapsed().as_secs_f64());
        }
    }
    let size = std::fs::metadata(&path).unwrap().len()
        + std::fs::metadata(path.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "{count} requests in {:.1}s; {} bytes on disk, {:.0} bytes per request",
        started.elapsed().as_secs_f64(),
        size,
        size as f64 / count as f64
    );
}
