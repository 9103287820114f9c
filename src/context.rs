//! Who is asking, from where: OS user, agent, host, cwd, CI job. Read once per process.

pub mod ancestry;

use serde::{Deserialize, Serialize};

pub use ancestry::AgentProcess;

/// Environment markers of known agents, checked in order (SPEC §3, §9).
const AGENT_MARKERS: &[(&str, &str)] = &[
    ("CLAUDECODE", "claude-code"),
    ("CLAUDE_CODE_ENTRYPOINT", "claude-code"),
    ("CODEX_SANDBOX", "codex"),
    ("CODEX_SANDBOX_NETWORK_DISABLED", "codex"),
    ("CODEX_HOME", "codex"),
    ("GEMINI_CLI", "gemini-cli"),
    ("CURSOR_AGENT", "cursor"),
    ("AIDER_MODEL", "aider"),
    ("OPENHANDS_RUNTIME", "openhands"),
    ("GOOSE_PROVIDER", "goose"),
];

/// The environment variables whose presence marks a process as running inside an agent.
pub fn agent_from_env(get: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(name) = get(crate::env_vars::GATE_AGENT).filter(|v| !v.is_empty()) {
        return Some(name);
    }
    AGENT_MARKERS
        .iter()
        .find(|(var, _)| get(var).is_some_and(|v| !v.is_empty() && v != "0"))
        .map(|(_, name)| name.to_string())
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Ci {
    pub provider: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub job_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub repository: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub git_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub actor: Option<String>,
}

/// Detect the CI provider and job from the environment.
pub fn ci_from_env(get: &dyn Fn(&str) -> Option<String>) -> Option<Ci> {
    let v = |k: &str| get(k).filter(|s| !s.is_empty());
    if v("GITHUB_ACTIONS").as_deref() == Some("true") {
        let job_url = match (
            v("GITHUB_SERVER_URL"),
            v("GITHUB_REPOSITORY"),
            v("GITHUB_RUN_ID"),
        ) {
            (Some(server), Some(repo), Some(run)) => {
                Some(format!("{server}/{repo}/actions/runs/{run}"))
            }
            _ => None,
        };
        return Some(Ci {
            provider: "github-actions".into(),
            job_url,
            repository: v("GITHUB_REPOSITORY"),
            git_ref: v("GITHUB_REF"),
            actor: v("GITHUB_ACTOR"),
        });
    }
    if v("GITLAB_CI").is_some() {
        return Some(Ci {
            provider: "gitlab-ci".into(),
            job_url: v("CI_JOB_URL"),
            repository: v("CI_PROJECT_PATH"),
            git_ref: v("CI_COMMIT_REF_NAME"),
            actor: v("GITLAB_USER_LOGIN"),
        });
    }
    if v("BUILDKITE").as_deref() == Some("true") {
        return Some(Ci {
            provider: "buildkite".into(),
            job_url: v("BUILDKITE_BUILD_URL"),
            repository: v("BUILDKITE_REPO"),
            git_ref: v("BUILDKITE_BRANCH"),
            actor: v("BUILDKITE_BUILD_CREATOR"),
        });
    }
    if v("JENKINS_URL").is_some() {
        return Some(Ci {
            provider: "jenkins".into(),
            job_url: v("BUILD_URL"),
            repository: v("GIT_URL"),
            git_ref: v("GIT_BRANCH"),
            actor: v("BUILD_USER_ID"),
        });
    }
    if v("CIRCLECI").as_deref() == Some("true") {
        return Some(Ci {
            provider: "circleci".into(),
            job_url: v("CIRCLE_BUILD_URL"),
            repository: v("CIRCLE_PROJECT_REPONAME"),
            git_ref: v("CIRCLE_BRANCH"),
            actor: v("CIRCLE_USERNAME"),
        });
    }
    if v("CI").is_some_and(|c| c == "true" || c == "1") {
        return Some(Ci {
            provider: "ci".into(),
            ..Ci::default()
        });
    }
    None
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Requester {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub agent: Option<String>,
    /// The known agent this gate process descends from, whatever its environment says: gate
    /// refuses approvals typed under it (`gate approve`, the terminal prompt).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub agent_process: Option<AgentProcess>,
    pub host: String,
    pub uid: u32,
}

/// Everything about the request's circumstances.
#[derive(Debug, Clone)]
pub struct Context {
    pub requester: Requester,
    pub cwd: String,
    pub home: Option<String>,
    pub ci: Option<Ci>,
}

/// The user name of `uid` from `/etc/passwd`. Most accounts are local, and reading the file
/// directly skips the NSS machinery (nscd probes, nsswitch.conf) that a lookup starts on every
/// run; accounts from a directory service (LDAP, SSSD) are not in the file and go through
/// `getpwuid` as before.
fn passwd_name(uid: u32) -> Option<String> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    let wanted = uid.to_string();
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        (fields.next()? == wanted && !name.is_empty() && !name.starts_with(['+', '-', '#']))
            .then(|| name.to_string())
    })
}

/// The real user's name (from the uid, never from `$USER`).
pub fn real_user() -> String {
    let uid = nix::unistd::getuid();
    passwd_name(uid.as_raw())
        .or_else(|| {
            nix::unistd::User::from_uid(uid)
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| uid.to_string())
}

impl Context {
    pub fn detect(agent_flag: Option<&str>) -> Self {
        let get = |k: &str| std::env::var(k).ok();
        let uid = nix::unistd::getuid();
        let user = passwd_name(uid.as_raw())
            .or_else(|| {
                nix::unistd::User::from_uid(uid)
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            })
            .or_else(|| get("USER"))
            .unwrap_or_else(|| uid.to_string());
        let host = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "localhost".into());
        // The process tree is read even when the name is known: removing the markers must not
        // change who asked, and the agent's pid is what `gate approve` checks.
        let agent_process = ancestry::find_agent();
        let agent = agent_flag
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .or_else(|| agent_from_env(&get))
            .or_else(|| agent_process.as_ref().map(|p| p.name.clone()));
        let cwd = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| get("PWD").unwrap_or_else(|| "?".into()));
        Context {
            requester: Requester {
                user,
                agent,
                agent_process,
                host,
                uid: uid.as_raw(),
            },
            cwd,
            home: crate::env_vars::home_dir().map(|h| h.display().to_string()),
            ci: ci_from_env(&get),
        }
    }

    pub fn in_ci(&self) -> bool {
        self.ci.is_some()
    }
}

/// Find `program` on PATH (for rules that pin an absolute path).
pub fn resolve_program(program: &str) -> Option<String> {
    find_on_path(program).map(|p| std::fs::canonicalize(&p).unwrap_or(p).display().to_string())
}

/// The first executable `name` in a directory of PATH, as PATH names it.
pub fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn agents_are_detected_from_their_markers() {
        assert_eq!(
            agent_from_env(&env(&[("CLAUDECODE", "1")])).as_deref(),
            Some("claude-code")
        );
        assert_eq!(
            agent_from_env(&env(&[("GEMINI_CLI", "1")])).as_deref(),
            Some("gemini-cli")
        );
        assert_eq!(
            agent_from_env(&env(&[("CODEX_SANDBOX", "seatbelt")])).as_deref(),
            Some("codex")
        );
        assert_eq!(
            agent_from_env(&env(&[("GATE_AGENT", "deploy-bot"), ("CLAUDECODE", "1")])).as_deref(),
            Some("deploy-bot")
        );
        assert_eq!(agent_from_env(&env(&[])), None);
    }

    #[test]
    fn ci_providers_are_detected() {
        let gh = ci_from_env(&env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/app"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_ACTOR", "alice"),
        ]))
        .unwrap();
        assert_eq!(gh.provider, "github-actions");
        assert_eq!(
            gh.job_url.as_deref(),
            Some("https://github.com/acme/app/actions/runs/42")
        );
        assert_eq!(gh.actor.as_deref(), Some("alice"));
        let gl = ci_from_env(&env(&[
            ("GITLAB_CI", "true"),
            ("CI_JOB_URL", "https://gitlab.example/j/1"),
        ]))
        .unwrap();
        assert_eq!(gl.provider, "gitlab-ci");
        assert_eq!(gl.job_url.as_deref(), Some("https://gitlab.example/j/1"));
        assert_eq!(
            ci_from_env(&env(&[("BUILDKITE", "true")]))
                .unwrap()
                .provider,
            "buildkite"
        );
        assert_eq!(
            ci_from_env(&env(&[("JENKINS_URL", "http://j")]))
                .unwrap()
                .provider,
            "jenkins"
        );
        assert_eq!(
            ci_from_env(&env(&[("CIRCLECI", "true")])).unwrap().provider,
            "circleci"
        );
        assert_eq!(ci_from_env(&env(&[("CI", "true")])).unwrap().provider, "ci");
        assert_eq!(ci_from_env(&env(&[("CI", "false")])), None);
    }
}
