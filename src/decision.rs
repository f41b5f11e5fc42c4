//! What a judgement produces: a [`Decision`] and the [`Finding`]s that led to it.
//!
//! Every layer of the gate (tool allowlist, path scope, network, rules, Bash analysis) reports
//! findings; the verdict is the strictest of them, so the order in which rules are written or
//! checked can never change the outcome (deny > ask > allow).
use std::fmt;
use std::sync::Arc;

/// The three answers, ordered from weakest to strictest so `max` picks the verdict.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Decision {
    Allow,
    Ask,
    Deny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Ask => "ask",
            Decision::Deny => "deny",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Decision::Allow => "allowed",
            Decision::Ask => "needs approval",
            Decision::Deny => "denied",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use crate::loc::Loc;

/// One reason for a decision: which rule, where it lives, and what it saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub decision: Decision,
    pub rule: Arc<str>,
    pub loc: Option<Loc>,
    pub message: String,
}

impl Finding {
    pub fn new(
        decision: Decision,
        rule: &str,
        loc: Option<Loc>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            decision,
            rule: Arc::from(rule),
            loc,
            message: message.into(),
        }
    }

    /// The sentence shown to the model (deny) or the user (ask):
    /// "blastwall: denied by rule `id` (file:line): message".
    pub fn reason(&self) -> String {
        match &self.loc {
            Some(loc) => format!(
                "blastwall: {} by rule `{}` ({}): {}",
                self.decision.verb(),
                self.rule,
                loc,
                self.message
            ),
            None => format!(
                "blastwall: {} by rule `{}`: {}",
                self.decision.verb(),
                self.rule,
                self.message
            ),
        }
    }
}

/// The outcome of judging one call: the strictest finding decides.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub findings: Vec<Finding>,
}

impl Verdict {
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        self.findings.extend(findings);
    }

    /// Allow when nothing was found; otherwise the strictest finding's decision.
    pub fn decision(&self) -> Decision {
        self.findings
            .iter()
            .map(|f| f.decision)
            .max()
            .unwrap_or(Decision::Allow)
    }

    /// The finding that decided (the first of the strictest ones, so the reason is stable).
    pub fn deciding(&self) -> Option<&Finding> {
        let top = self.decision();
        self.findings
            .iter()
            .find(|f| f.decision == top && top != Decision::Allow)
    }

    /// The reason text: the deciding finding, plus a count of the other findings of that weight
    /// so the user knows fixing one rule may not be enough.
    pub fn reason(&self) -> Option<String> {
        let first = self.deciding()?;
        let top = first.decision;
        let mut text = first.reason();
        let others: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.decision == top && !std::ptr::eq(*f, first))
            .collect();
        if !others.is_empty() {
            let ids: Vec<String> = others
                .iter()
                .take(4)
                .map(|f| format!("`{}`", f.rule))
                .collect();
            text.push_str(&format!(" (also: {})", ids.join(", ")));
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(d: Decision, id: &str) -> Finding {
        Finding::new(d, id, None, "m")
    }

    #[test]
    fn strictest_wins_whatever_the_order() {
        let orders = [
            vec![
                f(Decision::Ask, "a"),
                f(Decision::Deny, "d"),
                f(Decision::Allow, "x"),
            ],
            vec![f(Decision::Deny, "d"), f(Decision::Ask, "a")],
            vec![
                f(Decision::Allow, "x"),
                f(Decision::Ask, "a"),
                f(Decision::Deny, "d"),
            ],
        ];
        for findings in orders {
            let v = Verdict { findings };
            assert_eq!(v.decision(), Decision::Deny);
            assert_eq!(v.deciding().unwrap().rule.as_ref(), "d");
        }
        assert_eq!(Verdict::default().decision(), Decision::Allow);
        assert!(Verdict::default().reason().is_none());
    }

    #[test]
    fn reason_names_rule_and_location() {
        let loc = Loc {
            file: Arc::from("~/.config/blastwall/policy.toml"),
            line: 14,
        };
        let finding = Finding::new(
            Decision::Deny,
            "secret-paths",
            Some(loc),
            "~/.ssh/id_rsa is a credential store",
        );
        assert_eq!(
            finding.reason(),
            "blastwall: denied by rule `secret-paths` (~/.config/blastwall/policy.toml:14): ~/.ssh/id_rsa is a credential store"
        );
    }

    #[test]
    fn reason_mentions_other_rules_of_same_weight() {
        let v = Verdict {
            findings: vec![f(Decision::Ask, "one"), f(Decision::Ask, "two")],
        };
        let r = v.reason().unwrap();
        assert!(r.contains("`one`") && r.contains("also: `two`"), "{r}");
    }
}
