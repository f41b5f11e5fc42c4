//! The one gate every text blastwall prints or logs passes through, so a secret value never
//! leaves the process: reasons, context, audit lines and error messages alike.
use std::borrow::Cow;

/// Redact secrets in a message (built-in detector rules: this runs where the policy may be
/// what failed to load).
pub fn text(s: &str) -> Cow<'_, str> {
    crate::secrets::builtin().redact(s).0
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_lose_their_secrets() {
        let token = "ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO";
        let msg = format!("cannot open {token}.txt");
        let out = super::text(&msg);
        assert!(!out.contains(token) && out.contains("[REDACTED:"), "{out}");
        assert_eq!(super::text("plain"), "plain");
    }
}
