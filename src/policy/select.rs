//! Profile selection: which profiles judge a call, from the [`Facts`] of its event.
//!
//! What belongs here: matching a profile's `when` and choosing the profiles. What does not:
//! judging under them (the engine).
use std::path::Path;

use super::model::{Policy, Profile, When};
use crate::wildcard;

/// What a profile selection looks at.
pub struct Facts<'a> {
    pub agent_type: Option<&'a str>,
    pub agent_id: Option<&'a str>,
    pub cwd: &'a Path,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl When {
    pub(super) fn is_empty(&self) -> bool {
        self.agent_type.is_none()
            && self.subagent.is_none()
            && self.cwd.is_none()
            && self.env.is_empty()
    }

    pub fn matches(&self, f: &Facts<'_>) -> bool {
        if let Some(types) = &self.agent_type {
            match f.agent_type {
                Some(t) if wildcard::any(types, t) => {}
                _ => return false,
            }
        }
        if let Some(sub) = self.subagent {
            if sub != f.agent_id.is_some_and(|a| !a.is_empty()) {
                return false;
            }
        }
        if let Some(set) = &self.cwd {
            if !set.is_match(f.cwd) {
                return false;
            }
        }
        self.env
            .iter()
            .all(|(k, pat)| (f.env)(k).is_some_and(|v| wildcard::matches(pat, &v)))
    }
}

impl Policy {
    /// The profiles that judge a call: every trusted profile whose `when` matches (the main
    /// profile when none does), plus every project profile that applies. The call is judged
    /// under each and the strictest answer wins, so adding a profile can never loosen anything.
    pub fn select(&self, facts: &Facts<'_>) -> Vec<&Profile> {
        let mut out: Vec<&Profile> = self
            .profiles
            .iter()
            .skip(1)
            .filter(|p| p.when.matches(facts))
            .collect();
        if out.is_empty() {
            out.extend(self.profiles.first());
        }
        let chosen: Vec<String> = out.iter().map(|p| p.name.clone()).collect();
        for p in &self.project_profiles {
            let applies = if p.when.is_empty() {
                chosen.contains(&p.name)
            } else {
                p.when.matches(facts)
            };
            if applies {
                out.push(p);
            }
        }
        out
    }

    pub fn main_profile(&self) -> Option<&Profile> {
        self.profiles.first()
    }
}
