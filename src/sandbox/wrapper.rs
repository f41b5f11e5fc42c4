//! The fixed-shape shell text a sandboxed Bash command is rewritten to.
//!
//! The client runs `eval '<command>'` in a shell that sourced the user's snapshot (functions,
//! aliases) and records that shell's `pwd -P` when the command exits 0. The wrapper keeps both:
//!
//! ```text
//! # blastwall sandbox (profile main): <the original command, control characters made visible>
//! __bw_cwd=$(mktemp) && { BLASTWALL_SANDBOX_DEFS="$(declare -f; alias -p)" '/abs/blastwall' sandbox --ticket 0123…cdef 9>"$__bw_cwd"; __bw_rc=$?; …; cd there; (exit $__bw_rc); }
//! ```
//!
//! - the first line is an inert comment that shows the command to whoever is asked about the
//!   call; newlines, carriage returns and every other control or invisible character are
//!   escaped, so nothing can end the comment early;
//! - the only variable parts are the absolute path of blastwall (single-quoted) and the ticket
//!   id (hex): model text never reaches an argv or the shell's parser;
//! - the inner shell reports its final directory on fd 9 and the outer shell `cd`s there, then
//!   returns the inner exit code; a background call (`run_in_background`) has no hand-back.

/// Commands longer than this are shown cut in the comment (the ticket holds all of it).
const SHOWN_CHARS: usize = 4000;

/// The command as one inert comment line.
pub fn comment_text(command: &str) -> String {
    let mut out = String::with_capacity(command.len().min(SHOWN_CHARS) + 16);
    for (n, c) in command.chars().enumerate() {
        if n >= SHOWN_CHARS {
            out.push_str(" …(cut; the full command is in the ticket)");
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            // Line and paragraph separators, bidi controls, zero-width characters: anything
            // that could make the shown text differ from what runs.
            '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `text` single-quoted for the shell.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The whole wrapper for one ticket.
pub fn wrap(exe: &str, ticket_id: &str, profile: &str, command: &str, background: bool) -> String {
    let head = format!(
        "# blastwall sandbox (profile {}): {}\n",
        comment_text(profile),
        // A secret literal is not repeated in the answer: the ticket holds the command.
        comment_text(&crate::redact::text(command))
    );
    let run = format!(
        "BLASTWALL_SANDBOX_DEFS=\"$(declare -f; alias -p)\" {} sandbox --ticket {}",
        quote(exe),
        ticket_id
    );
    if background {
        format!("{head}{run}")
    } else {
        format!(
            "{head}__bw_cwd=$(mktemp) && {{ {run} 9>\"$__bw_cwd\"; __bw_rc=$?; \
             if [ -s \"$__bw_cwd\" ]; then cd -- \"$(cat -- \"$__bw_cwd\")\" 2>/dev/null; fi; \
             rm -f -- \"$__bw_cwd\"; (exit $__bw_rc); }}"
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    #[test]
    fn the_comment_cannot_be_broken_out_of() {
        let table = [
            ("ls", "ls"),
            ("a\nrm -rf ~", "a\\nrm -rf ~"),
            ("a\rb", "a\\rb"),
            ("a\\nb", "a\\\\nb"),
            ("x\u{2028}y", "x\\u{2028}y"),
            ("x\u{202e}y", "x\\u{202e}y"),
            ("bell\u{7}", "bell\\x07"),
            ("tab\there", "tab\\there"),
        ];
        for (input, shown) in table {
            let c = comment_text(input);
            assert_eq!(c, shown);
            assert!(!c.contains('\n') && !c.contains('\r'));
        }
    }

    #[test]
    fn wrapper_shape() {
        let w = wrap("/opt/it's/blastwall", "00ff", "main", "cd sub\nls", false);
        let mut lines = w.lines();
        assert_eq!(
            lines.next().unwrap(),
            "# blastwall sandbox (profile main): cd sub\\nls"
        );
        let rest: Vec<&str> = lines.collect();
        assert_eq!(rest.len(), 1);
        assert!(rest[0].contains("'/opt/it'\\''s/blastwall' sandbox --ticket 00ff 9>\"$__bw_cwd\""));
        assert!(rest[0].ends_with("(exit $__bw_rc); }"));
        let bg = wrap("/b", "00ff", "main", "sleep 1", true);
        assert!(!bg.contains("9>") && !bg.contains("cd --"));
    }

    /// The wrapper as real bash runs it: the exit code comes back and a `cd` made inside is
    /// followed, with a stand-in for blastwall that writes a directory to fd 9.
    #[test]
    fn wrapper_hands_back_cwd_and_exit_code() {
        let t = tempfile::tempdir().unwrap();
        let sub = t.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let fake = t.path().join("fake");
        std::fs::write(
            &fake,
            format!("#!/bin/bash\necho {} >&9\nexit 3\n", sub.display()),
        )
        .unwrap();
        std::os::unix::fs::PermissionsExt::set_mode(
            &mut std::fs::metadata(&fake).unwrap().permissions(),
            0o755,
        );
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let w = wrap(&fake.to_string_lossy(), "00", "main", "x", false);
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "cd {} && eval {}; echo \"rc=$? pwd=$(pwd -P)\"",
                t.path().display(),
                quote(&w)
            ))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let sub = std::fs::canonicalize(&sub).unwrap();
        assert_eq!(text.trim(), format!("rc=3 pwd={}", sub.display()));
    }
}
