//! The fixed-shape shell text a sandboxed Bash command is rewritten to.
//!
//! The client runs `eval '<command>'` in a shell that sourced the user's snapshot (functions,
//! aliases) and records that shell's `pwd -P` when the command exits 0. The wrapper keeps both:
//!
//! ```text
//! # blastwall sandbox (profile main): <the original command, control characters made visible>
//! BLASTWALL_SANDBOX_DEFS="$(declare -f; alias -p)" '/abs/blastwall' sandbox --ticket 0123…cdef; __bw_rc=$?; if [ -s '<state>/run/0123…cdef.cwd' ] && IFS= read -r __bw_d < …; then cd -- "$__bw_d"; fi; (exit $__bw_rc)
//! ```
//!
//! - the first line is an inert comment that shows the command to whoever is asked about the
//!   call; newlines, carriage returns and every other control or invisible character are
//!   escaped, so nothing can end the comment early;
//! - the only variable parts are the absolute path of blastwall (single-quoted) and the ticket
//!   id (hex): model text never reaches an argv or the shell's parser;
//! - the inner shell reports its final directory to the runner (a file of the run directory),
//!   which leaves it in the state directory for the outer shell to `cd` to; the outer shell
//!   then returns the inner exit code; a background call (`run_in_background`) has no
//!   hand-back. No `mktemp`, `cat`, `rm` or `$(< file)`: each would be another process on every call.

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

/// The whole wrapper for one ticket; `state` is blastwall's state directory, where the runner
/// leaves the final directory of a foreground call.
pub fn wrap(
    exe: &str,
    state: &std::path::Path,
    ticket_id: &str,
    profile: &str,
    command: &str,
    background: bool,
) -> String {
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
        let cwd = quote(&super::runner::cwd_file(state, ticket_id).to_string_lossy());
        format!(
            "{head}{run}; __bw_rc=$?; if [ -s {cwd} ] && IFS= read -r __bw_d < {cwd}; then cd -- \"$__bw_d\" 2>/dev/null; fi; (exit $__bw_rc)"
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
        let state = std::path::Path::new("/s t");
        let w = wrap(
            "/opt/it's/blastwall",
            state,
            "00ff",
            "main",
            "cd sub\nls",
            false,
        );
        let mut lines = w.lines();
        assert_eq!(
            lines.next().unwrap(),
            "# blastwall sandbox (profile main): cd sub\\nls"
        );
        let rest: Vec<&str> = lines.collect();
        assert_eq!(rest.len(), 1);
        assert!(rest[0].contains("'/opt/it'\\''s/blastwall' sandbox --ticket 00ff; __bw_rc=$?"));
        assert!(rest[0].contains("[ -s '/s t/run/00ff.cwd' ]"));
        assert!(rest[0].ends_with("(exit $__bw_rc)"));
        let bg = wrap("/b", state, "00ff", "main", "sleep 1", true);
        assert!(!bg.contains("cwd") && !bg.contains("cd --"));
    }

    /// The wrapper as real bash runs it: the exit code comes back and the directory the
    /// runner hands back is followed, with a stand-in for blastwall that writes it.
    #[test]
    fn wrapper_hands_back_cwd_and_exit_code() {
        let t = tempfile::tempdir().unwrap();
        let sub = t.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let state = t.path().join("state");
        std::fs::create_dir_all(state.join("run")).unwrap();
        let fake = t.path().join("fake");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/bash\necho {} > {}\nexit 3\n",
                sub.display(),
                crate::sandbox::runner::cwd_file(&state, "00").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let w = wrap(&fake.to_string_lossy(), &state, "00", "main", "x", false);
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
