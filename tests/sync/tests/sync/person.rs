//! A person with their own database and a token whose email the issuer vouches for (what joins
//! them to the org roster), running the real `roadbook` command line: what the portfolio and
//! the links between programs are tried with.

use std::path::{Path, PathBuf};

use roadbook_harness::Issuer;
use roadbook_sync_tests::{roadbook, token_with_email};
use serde_json::Value;

pub struct Person {
    pub db: PathBuf,
    pub token: String,
}

impl Person {
    pub fn new(dir: &Path, issuer: &Issuer, login: &str, name: &str, groups: &[&str]) -> Person {
        Person {
            db: dir.join(format!("{login}.db")),
            token: token_with_email(issuer, login, name, groups),
        }
    }

    pub fn ok(&self, args: &[&str]) -> String {
        roadbook(&self.db, &self.token, args).unwrap_or_else(|e| panic!("roadbook {args:?}: {e}"))
    }

    pub fn fails(&self, args: &[&str]) -> String {
        match roadbook(&self.db, &self.token, args) {
            Ok(out) => panic!("roadbook {args:?} should have failed: {out}"),
            Err(err) => err,
        }
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// The first id a list command prints.
    pub fn first(&self, args: &[&str]) -> String {
        self.ok(args).split_whitespace().next().unwrap().to_owned()
    }
}

/// The rows of the Markdown table under the heading that starts with `heading`.
pub fn rows_under(markdown: &str, heading: &str) -> Vec<String> {
    let Some(start) = markdown.find(&format!("## {heading}")) else {
        return Vec::new();
    };
    markdown[start..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(str::to_owned)
        .collect()
}
