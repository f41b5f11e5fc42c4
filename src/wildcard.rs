//! Tiny `*`/`?` wildcard matching for names that are not paths: tool names
//! (`mcp__github__*`), agent types, host names (`*.github.com`), environment values.
//!
//! Paths go through `globset` instead (separators matter there). This matcher is iterative
//! with one backtrack point, so it is linear-ish and cannot recurse.

/// `*` matches any run of characters (also empty), `?` exactly one; everything else literally.
pub fn matches(pattern: &str, text: &str) -> bool {
    // Called for every program of a command against every rule's names: no allocation for
    // the usual literal names and ASCII text (on ASCII, a byte is a character).
    if !pattern.contains(['*', '?']) {
        return pattern == text;
    }
    if pattern.is_ascii() && text.is_ascii() {
        return matches_units(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches_units(&p, &t, '*', '?')
}

fn matches_units<T: Copy + PartialEq>(p: &[T], t: &[T], any_run: T, any_one: T) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(&c) if c == any_run => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == any_one || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == any_run))
}

/// `true` when any pattern matches.
pub fn any(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| matches(p, text))
}

#[cfg(test)]
mod tests {
    use super::matches;

    macro_rules! wild {
        ($($name:ident: $pat:expr, $text:expr => $want:expr;)*) => {
            $(#[test] fn $name() { assert_eq!(matches($pat, $text), $want, "{} vs {}", $pat, $text); })*
        };
    }

    wild! {
        exact: "Bash", "Bash" => true;
        question_non_ascii: "a?c", "aéc" => true;
        question_one_char_not_byte: "a??c", "aéc" => false;
        star_non_ascii: "*é*", "xéy" => true;
        exact_not_prefix: "Bash", "BashOutput" => false;
        case_sensitive: "bash", "Bash" => false;
        mcp_server: "mcp__github__*", "mcp__github__create_issue" => true;
        mcp_other_server: "mcp__github__*", "mcp__gitlab__x" => false;
        any_mcp: "mcp__*", "mcp__x__y" => true;
        star_empty: "a*b", "ab" => true;
        middle: "mcp__*__*delete*", "mcp__fs__bulk_delete_files" => true;
        middle_no: "mcp__*__*delete*", "mcp__fs__read" => false;
        question: "T?sk", "Task" => true;
        host_wild: "*.github.com", "api.github.com" => true;
        host_wild_apex: "*.github.com", "github.com" => false;
        host_evil_suffix: "*.github.com", "api.github.com.evil.example" => false;
        empty_pattern: "", "" => true;
        star_only: "*", "" => true;
    }
}
