//! What a person may do on a program: the same four words on the laptop, on the wire and on
//! the server.

use serde::{Deserialize, Serialize};

/// What a person may do on a program, from the groups their sign-in carries (or a grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the program: pulls and listens.
    Viewer,
    /// Also changes it: pushes.
    Editor,
    /// Also publishes programs and resolves conflicts.
    Lead,
    /// Everything, on every program.
    Admin,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Lead => "lead",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "viewer" => Ok(Role::Viewer),
            "editor" => Ok(Role::Editor),
            "lead" => Ok(Role::Lead),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "'{other}' is not a role: use viewer, editor, lead or admin"
            )),
        }
    }
}
