//! How often one person may ask for what costs the server most or leaves a permanent trace:
//! a join (the whole program, and an audit event), a shared document (an audit event and a
//! stored PDF's data), usage counts. Counted per subject in fixed windows, in this process:
//! a person spread over several processes gets a little more, never unbounded.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Spend {
    Join,
    Document,
    Usage,
    /// A refused break-glass attempt: audited, so bounded, or anyone signed in could fill the
    /// trail with them.
    BreakGlassRefusal,
}

impl Spend {
    /// The most in one window, and the window.
    fn allowance(self) -> (u32, Duration) {
        let hour = Duration::from_secs(3600);
        match self {
            Spend::Join => (120, hour),
            Spend::Document => (600, hour),
            Spend::Usage => (120, hour),
            Spend::BreakGlassRefusal => (20, hour),
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            Spend::Join => "joins",
            Spend::Document => "shared documents",
            Spend::Usage => "usage reports",
            Spend::BreakGlassRefusal => "refused break-glass attempts",
        }
    }
}

#[derive(Debug, Default)]
pub struct Budget {
    used: std::sync::Mutex<HashMap<(String, Spend), (Instant, u32)>>,
}

impl Budget {
    /// Counts one `spend` for `subject`, or says how long until the next is allowed.
    pub fn take(&self, subject: &str, spend: Spend) -> Result<(), Duration> {
        let (most, window) = spend.allowance();
        let now = Instant::now();
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if used.len() > 100_000 {
            used.retain(|_, (since, _)| now.duration_since(*since) < window);
        }
        let entry = used.entry((subject.to_owned(), spend)).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= most {
            return Err(window.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_person_gets_their_allowance_and_then_a_wait_and_others_are_not_held_up() {
        let budget = Budget::default();
        for _ in 0..120 {
            budget.take("eve", Spend::Join).unwrap();
        }
        let wait = budget.take("eve", Spend::Join).unwrap_err();
        assert!(wait > Duration::from_secs(3500), "{wait:?}");
        budget.take("sam", Spend::Join).unwrap();
        budget.take("eve", Spend::Document).unwrap();
    }
}
