//! Word-level helpers with no parser state: ANSI-C (`$'…'`) decoding, glob and brace-expansion
//! detection, command-word normalisation and lexical path normalisation.

use std::path::{Component, Path, PathBuf};

/// Decode the body of `$'…'` the way bash does (`\x72` → `r`, `\n`, octal, `\u`, `\cX`).
/// Returns `None` when the text holds a NUL (bash truncates there; treat as dynamic).
pub(crate) fn decode_ansi_c(body: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut it = body.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = it.next() else {
            out.push('\\');
            break;
        };
        let ch = match e {
            'a' => '\u{7}',
            'b' => '\u{8}',
            'e' | 'E' => '\u{1b}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            '\\' => '\\',
            '\'' => '\'',
            '"' => '"',
            '?' => '?',
            'c' => match it.next() {
                Some(x) => char::from(u8::try_from(x.to_ascii_uppercase()).ok()? & 0x1f),
                None => return None,
            },
            'x' | 'u' | 'U' => {
                let max = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v: u32 = 0;
                let mut n = 0;
                while n < max {
                    match it.peek().and_then(|d| d.to_digit(16)) {
                        Some(d) => {
                            v = v.saturating_mul(16).saturating_add(d);
                            it.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    out.push('\\');
                    e
                } else {
                    char::from_u32(v)?
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                let mut n = 1;
                while n < 3 {
                    match it.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            it.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                char::from_u32(v & 0xff)?
            }
            other => {
                out.push('\\');
                other
            }
        };
        if ch == '\0' {
            return None;
        }
        out.push(ch);
    }
    Some(out)
}

/// Whether unquoted text holds pathname-expansion characters: `*`, `?`, or a `[` with a `]`
/// after it (a lone `[` is the test command).
pub(crate) fn has_glob(unquoted: &str) -> bool {
    if unquoted.contains(['*', '?']) {
        return true;
    }
    match unquoted.find('[') {
        Some(i) => unquoted.get(i + 1..).is_some_and(|rest| rest.contains(']')),
        None => false,
    }
}

/// Whether a word (given with quoted characters masked out) undergoes brace expansion:
/// `{a,b}` or `{1..3}`. `{}` and `{x}` do not.
pub(crate) fn has_brace_expansion(masked: &str) -> bool {
    let mut opens: Vec<usize> = Vec::new();
    for (i, c) in masked.char_indices() {
        match c {
            '{' => opens.push(i),
            '}' => {
                if let Some(o) = opens.pop() {
                    let inner = masked.get(o + 1..i).unwrap_or_default();
                    if inner.contains(',') || inner.contains("..") {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// The program name bash would look up for a static command word: its basename when it is a
/// path (`/usr/bin/rm` → `rm`, `./x.sh` → `x.sh`).
pub(crate) fn program_name(word: &str) -> String {
    let trimmed = word.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((_, base)) if !base.is_empty() => base.to_owned(),
        _ if trimmed.is_empty() && !word.is_empty() => "/".to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// `base.join(p)` with `.` and `..` resolved lexically (no filesystem access: the path may not
/// exist yet, and symlinks are the judge's business).
pub(crate) fn normalize(base: &Path, p: &str) -> PathBuf {
    let joined = base.join(p);
    let mut out = PathBuf::new();
    for comp in joined.components() {
        match comp {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push("/");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_c() {
        assert_eq!(decode_ansi_c(r"\x72\x6d").as_deref(), Some("rm"));
        assert_eq!(decode_ansi_c(r"\162\155").as_deref(), Some("rm"));
        assert_eq!(decode_ansi_c(r"\u0072m").as_deref(), Some("rm"));
        assert_eq!(
            decode_ansi_c(r"a\nb\tc\\d\'e").as_deref(),
            Some("a\nb\tc\\d'e")
        );
        assert_eq!(decode_ansi_c(r"\cA").as_deref(), Some("\u{1}"));
        assert_eq!(decode_ansi_c(r"\q").as_deref(), Some("\\q"));
        assert_eq!(decode_ansi_c(r"x\0y"), None);
    }

    #[test]
    fn globs_and_braces() {
        assert!(has_glob("/bin/r?"));
        assert!(has_glob("*.txt"));
        assert!(has_glob("[ab]c"));
        assert!(!has_glob("["));
        assert!(!has_glob("x"));
        assert!(has_brace_expansion("{rm,-rf,/}"));
        assert!(has_brace_expansion("x{1..3}"));
        assert!(!has_brace_expansion("{}"));
        assert!(!has_brace_expansion("{x}"));
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(program_name("/usr/bin/rm"), "rm");
        assert_eq!(program_name("./x.sh"), "x.sh");
        assert_eq!(program_name("rm"), "rm");
        assert_eq!(
            normalize(Path::new("/a/b"), "../c/./d"),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(
            normalize(Path::new("/a"), "/etc/../../x"),
            PathBuf::from("/x")
        );
        assert_eq!(normalize(Path::new("/"), ".."), PathBuf::from("/"));
    }
}
