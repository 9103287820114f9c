//! Whether the test runner itself runs under a known agent (say, `cargo test` started by
//! Claude Code). gate then rightly takes every gate process a test starts for that agent's, so
//! a test that needs a person with no agent above them cannot run here; it says so on stderr
//! (past the test harness's capture) and passes. CI has no agent above it and runs them all.

use std::io::Write;
use std::sync::OnceLock;

/// A known agent above the test runner.
pub struct RunnerAgent {
    /// As gate names it (`claude-code`).
    pub name: String,
    /// `agent claude-code (process 4242, claude)`.
    pub description: String,
}

/// The agent above this test process as the gate under test sees it: one `gate -- true` in an
/// [`Env`](super::Env) of its own, and the requester it recorded.
pub fn agent_above_runner() -> Option<&'static RunnerAgent> {
    static FOUND: OnceLock<Option<RunnerAgent>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let env = super::Env::new();
            let ran = env.gate().args(["--", "true"]).run();
            assert!(ran.status.success(), "gate -- true failed");
            let rec = env.gate().args(["log", "-n", "1", "--json"]).run().json();
            let p = &rec["requester"]["agent_process"];
            p.is_object().then(|| {
                let name = p["name"].as_str().unwrap_or("?").to_string();
                RunnerAgent {
                    description: format!(
                        "agent {name} (process {}, {})",
                        p["pid"],
                        p["program"].as_str().unwrap_or("?")
                    ),
                    name,
                }
            })
        })
        .as_ref()
}

/// True (after saying so) when `test` cannot run here because the runner is under an agent.
pub fn skip_under_agent(test: &str) -> bool {
    let Some(agent) = agent_above_runner() else {
        return false;
    };
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: the test runner itself runs under {}, so gate takes every process this test starts for that agent's and refuses their approvals; this test needs a person with no agent above them (run the suite outside the agent, as CI does)",
        agent.description
    );
    true
}
