//! Policy text -> `parse_str` must never panic; a policy that parses must also build a
//! `Decider` and decide a fixed command without panicking.
#![no_main]

use gate::analyze::{Wrappers, analyze_script};
use gate::decide::{Decider, Facts};
use gate::policy::{Decision, parse_str};
use libfuzzer_sys::fuzz_target;

/// Several simple commands, a wrapper, a path program and an expansion, so most matchers run.
const SCRIPT: &str = "sudo kubectl --context prod delete ns web && /usr/bin/rm -rf \"$HOME/tmp\" | git push --force origin main";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(policy) = parse_str("fuzz.toml", &text) else {
        return;
    };
    // The same wrapper table `gate` itself builds from a policy.
    let wrappers = Wrappers::with_extra(policy.wrappers.clone());
    let analysis = analyze_script(SCRIPT, &wrappers);
    let env = |k: &str| (k == "KUBECONFIG").then(|| "/home/alice/.kube/prod-config".to_string());
    let resolve = |p: &str| Some(format!("/usr/bin/{p}"));
    let facts = Facts {
        env: &env,
        cwd: "/srv/app",
        user: "alice",
        agent: Some("claude-code"),
        ci: false,
        home: Some("/home/alice"),
        resolve: &resolve,
    };
    let decider = Decider::new(&policy);
    let verdict = decider.decide(&analysis, &facts);
    if verdict.decision == Decision::Ask {
        let _ = decider.ask_terms(&verdict);
    }
});
