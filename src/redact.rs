//! Placeholder until the redaction module lands: masks `--password=`-style values only.

pub const MASK: &str = "***";

#[derive(Debug)]
pub struct Redactor;

impl Redactor {
    pub fn new(_extra: &[String]) -> Result<Self, regex::Error> {
        Ok(Redactor)
    }
    pub fn argv(&self, argv: &[String]) -> Vec<String> {
        argv.iter()
            .map(|a| match a.split_once('=') {
                Some((k, _)) if k.to_ascii_lowercase().contains("password") => {
                    format!("{k}={MASK}")
                }
                _ => a.clone(),
            })
            .collect()
    }
    pub fn text(&self, s: &str) -> String {
        s.to_string()
    }
}
