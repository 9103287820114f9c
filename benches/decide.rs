//! Decision throughput: the built-in default policy (every pack) plus 1,000 generated rules,
//! on typical agent commands. `cargo bench --bench decide`
//!
//! - `decide/argv`: the pure decision on an analysed argv (target: >= 100,000 decisions/s).
//! - `analyse+decide/script`: a shell line parsed with tree-sitter, then decided.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gate::analyze::{Wrappers, analyze_argv, analyze_script};
use gate::decide::{Decider, Facts};
use gate::policy::{DEFAULT_POLICY, parse_str};

const COMMANDS: &[&str] = &[
    "git status",
    "git diff --stat",
    "cargo test --workspace",
    "npm run build",
    "kubectl get pods -n web",
    "ls -la src",
    "rm -rf ./target/debug",
    "python3 -m pytest tests",
    "terraform plan -out plan.bin",
    "kubectl delete pod web-1 -n web",
];

const SCRIPTS: &[&str] = &[
    "cd /srv/app && cargo test 2>&1 | tail -5",
    "git add -A && git commit -m 'fix: handle empty input' && git push origin feature",
    "grep -rn TODO src | head -20",
    "for f in *.log; do gzip \"$f\"; done",
];

fn policy_text() -> String {
    let mut text = DEFAULT_POLICY.to_string();
    for i in 0..1000 {
        text.push_str(&format!(
            "\n[[rule]]\nid = \"gen-{i}\"\ncommand = \"tool{} sub{} *\"\nflags = [\"--force|-f\"]\ndecision = \"ask\"\n",
            i % 250,
            i % 7
        ));
    }
    text
}

fn bench(c: &mut Criterion) {
    let text = policy_text();
    let policy = parse_str("bench", &text).expect("bench policy parses");
    assert!(policy.rules.len() > 1000);
    let decider = Decider::new(&policy);
    let wrappers = Wrappers::builtin();
    let env = |_: &str| None;
    let resolve = |p: &str| Some(format!("/usr/bin/{p}"));
    let facts = Facts {
        env: &env,
        cwd: "/srv/app",
        user: "dev",
        agent: Some("claude-code"),
        ci: false,
        home: Some("/home/dev"),
        resolve: &resolve,
    };
    let analysed: Vec<_> = COMMANDS
        .iter()
        .map(|c| {
            analyze_argv(
                &c.split(' ').map(str::to_string).collect::<Vec<_>>(),
                &wrappers,
            )
        })
        .collect();

    let mut g = c.benchmark_group("decide");
    g.throughput(Throughput::Elements(analysed.len() as u64));
    g.bench_function("argv", |b| {
        b.iter(|| {
            for a in &analysed {
                std::hint::black_box(decider.decide(a, &facts));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("analyse+decide");
    g.throughput(Throughput::Elements(SCRIPTS.len() as u64));
    g.bench_function("script", |b| {
        b.iter(|| {
            for s in SCRIPTS {
                let a = analyze_script(s, &wrappers);
                std::hint::black_box(decider.decide(&a, &facts));
            }
        })
    });
    g.finish();

    c.bench_function("load/default-policy+1000-rules", |b| {
        b.iter(|| parse_str("bench", &text).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
