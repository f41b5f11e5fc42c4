//! Pre-parse scan: a linear, non-recursive pass over shell source that measures nesting and
//! spots bash 5.3 function substitutions (`${ cmd; }`) before the real parser sees the text.
//!
//! Why it exists: brush-parser recurses once per nesting level and overflows the stack around
//! 1,200 nested `if` or a few thousand `{`; a stack overflow aborts the process, and Claude Code
//! then runs the call. It is also quadratic on nested `$(`. So depth is bounded here, in O(n),
//! first. The scan must never *under*-count real nesting (that is what an attacker would aim
//! for), so it tracks quotes, here-document bodies and reserved words the way bash does, and
//! over-counts where unsure (an over-count only costs a prompt).

use super::{Unknown, UnknownKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    /// `(`, `$(`, `<(`, `>(`: closed by `)`.
    Paren,
    /// `((` or `$((`: arithmetic, closed by `))`, where `<<` is a shift, not a here-document.
    /// If a single `)` closes it, it was two parentheses and one stays open.
    Arith,
    /// `{` as a reserved word: closed by `}` as a reserved word.
    Group,
    /// `${`: closed by the first `}`.
    Param,
    /// `if`/`case`/`while`/`until`/`for`/`select`: closed by `fi`/`esac`/`done`.
    Keyword,
    /// `"`.
    Dq,
    /// `` ` ``.
    Backtick,
    /// Body of an unquoted here-document: expansions count, quotes are literal.
    HereBody,
}

struct PendingHereDoc {
    delim: Vec<u8>,
    strip_tabs: bool,
    quoted: bool,
}

/// Check nesting depth and function substitutions. `Ok` is the deepest nesting seen; `Err` is
/// the `Unknown` to report.
pub(crate) fn scan(src: &str, max_nesting: usize) -> Result<usize, Unknown> {
    let mut s = Scanner {
        b: src.as_bytes(),
        i: 0,
        stack: Vec::new(),
        pending: Vec::new(),
        here: Vec::new(),
        cmd_start: true,
        deepest: 0,
        separators: 0,
        quoted_body_unended_inside: false,
    };
    s.run(max_nesting)?;
    Ok(s.deepest)
}

/// Most command separators (`;`, `&`, `|`, `&&`, `||`, newlines outside quotes and
/// here-document bodies) accepted before parsing. Parsing and judging cost about 10 µs per
/// command, so thousands of commands would miss the 50 ms answer; no agent writes that many
/// in one call outside a here-document or a quoted script, which are not counted.
pub(crate) const MAX_SEPARATORS: usize = 2_000;

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    stack: Vec<Frame>,
    pending: Vec<PendingHereDoc>,
    /// Delimiters of the here-document bodies being scanned (parallel to `HereBody` frames).
    here: Vec<(Vec<u8>, bool)>,
    /// At a position where a reserved word would be recognised.
    cmd_start: bool,
    /// Deepest stack seen.
    deepest: usize,
    /// Command separators seen outside quotes and here-document bodies.
    separators: usize,
    /// A quoted here-document body ran to the end of the text inside an open construct.
    quoted_body_unended_inside: bool,
}

fn is_meta(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

impl Scanner<'_> {
    fn at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i.saturating_add(k)).copied()
    }

    fn push(&mut self, f: Frame, max_nesting: usize) -> Result<(), Unknown> {
        self.stack.push(f);
        self.deepest = self.deepest.max(self.stack.len());
        if self.stack.len() > max_nesting {
            return Err(too_deep(max_nesting));
        }
        Ok(())
    }

    fn pop_if(&mut self, f: Frame) -> bool {
        if self.stack.last() == Some(&f) {
            self.stack.pop();
            true
        } else {
            false
        }
    }

    /// Inside `((…))`/`$((…))` (possibly within plain parentheses there): `<<` is a shift.
    fn in_arith(&self) -> bool {
        self.stack.iter().rev().find(|f| **f != Frame::Paren) == Some(&Frame::Arith)
    }

    fn word_start(&self) -> bool {
        self.i == 0
            || self
                .b
                .get(self.i.wrapping_sub(1))
                .is_none_or(|&c| is_meta(c) || c == b'`')
    }

    /// `${` followed by blank, newline or `|` is a bash 5.3 function substitution.
    fn check_funsub(&self) -> Result<(), Unknown> {
        if matches!(self.at(2), Some(b' ' | b'\t' | b'\n' | b'|')) {
            return Err(Unknown {
                kind: UnknownKind::FunctionSubstitution,
                detail: "`${ …; }` (bash 5.3 function substitution) runs commands that cannot be analysed".to_owned(),
                program: None,
            });
        }
        Ok(())
    }

    fn run(&mut self, max_nesting: usize) -> Result<(), Unknown> {
        while let Some(c) = self.at(0) {
            let top = self.stack.last().copied();
            match top {
                Some(Frame::Dq) => self.step_quoted(c, true, max_nesting)?,
                Some(Frame::HereBody) => self.step_quoted(c, false, max_nesting)?,
                _ => self.step_normal(c, max_nesting)?,
            }
        }
        // A here-document body that runs to the end of the text is accepted by bash only at
        // the top level; begun inside a substitution, a backtick or any other construct, the
        // body swallows what would have closed it, which bash refuses. brush instead reads
        // on and backtracks over the `$((` behind it for seconds (found by the `bash` fuzz
        // target: `` $(($((`<<'F'⏎9([$((r(([$((d …``).
        let open_construct = self.stack.iter().any(|f| *f != Frame::HereBody);
        let body_unended = self.quoted_body_unended_inside
            || self
                .stack
                .iter()
                .position(|f| *f == Frame::HereBody)
                .is_some_and(|at| at > 0);
        // Nor one whose body never starts (no newline after `<<WORD`) inside an open
        // construct: `x=$( ( ( x=<< =$( ( (b ) )` had brush allocate 1.8 GB in 5 s.
        let body_never_started = !self.pending.is_empty() && open_construct;
        if body_unended || body_never_started {
            return Err(Unknown {
                kind: UnknownKind::ParseError,
                detail: "a here-document inside an open substitution is never ended".to_owned(),
                program: None,
            });
        }
        // brush backtracks over every way to read `((` (arithmetic or two subshells), which
        // doubles its time per parenthesis left open: 31 of them took minutes (found by the
        // `bash` fuzz target). Text that ends inside them is a syntax error for bash and brush
        // alike, so say so now.
        let unclosed = self
            .stack
            .iter()
            .filter(|f| matches!(f, Frame::Paren | Frame::Arith))
            .count();
        if unclosed > MAX_UNCLOSED_PARENS {
            return Err(Unknown {
                kind: UnknownKind::ParseError,
                detail: format!("{unclosed} parentheses are never closed"),
                program: None,
            });
        }
        Ok(())
    }

    /// Inside `"…"` or an unquoted here-document body: only `$(`, `${`, backticks nest.
    fn step_quoted(&mut self, c: u8, dq: bool, max_nesting: usize) -> Result<(), Unknown> {
        match c {
            b'\\' => self.i = self.i.saturating_add(2),
            b'"' if dq => {
                self.stack.pop();
                self.i += 1;
            }
            b'`' => {
                self.push(Frame::Backtick, max_nesting)?;
                self.i += 1;
            }
            b'$' if matches!(self.at(1), Some(b'(' | b'{')) => self.open_expansion(max_nesting)?,
            b'\n' if !dq => {
                self.i += 1;
                self.end_of_body_line();
            }
            _ => self.i += 1,
        }
        Ok(())
    }

    /// At `$(`, `$((` or `${`: the same nesting in plain text, `"…"` and here-document bodies.
    fn open_expansion(&mut self, max_nesting: usize) -> Result<(), Unknown> {
        match (self.at(1), self.at(2)) {
            (Some(b'('), Some(b'(')) => {
                self.push(Frame::Arith, max_nesting)?;
                self.i += 3;
            }
            (Some(b'('), _) => {
                self.push(Frame::Paren, max_nesting)?;
                self.i += 2;
                self.cmd_start = true;
            }
            _ => {
                self.check_funsub()?;
                self.push(Frame::Param, max_nesting)?;
                self.i += 2;
            }
        }
        Ok(())
    }

    /// At the start of a line of a here-document body: if the line is the delimiter, the body
    /// ends here.
    fn end_of_body_line(&mut self) {
        let Some((delim, strip)) = self.here.last() else {
            return;
        };
        let mut j = self.i;
        if *strip {
            while self.b.get(j) == Some(&b'\t') {
                j += 1;
            }
        }
        let end = j.saturating_add(delim.len());
        if self.b.get(j..end) == Some(delim.as_slice())
            && matches!(self.b.get(end), None | Some(b'\n'))
        {
            self.i = end;
            self.here.pop();
            self.pop_if(Frame::HereBody);
            // The newline after the delimiter may start the next pending body.
            if self.at(0) == Some(b'\n') {
                self.i += 1;
                self.start_pending_bodies();
            }
        }
    }

    /// After a newline outside quotes: here-document bodies start. Quoted bodies are skipped;
    /// unquoted ones are scanned for expansions.
    fn start_pending_bodies(&mut self) {
        while !self.pending.is_empty() {
            let doc = self.pending.remove(0);
            if doc.quoted {
                self.skip_body(&doc.delim, doc.strip_tabs);
            } else {
                self.stack.push(Frame::HereBody);
                self.here.push((doc.delim, doc.strip_tabs));
                // An empty body ends at once.
                self.end_of_body_line();
                return;
            }
        }
    }

    fn skip_body(&mut self, delim: &[u8], strip: bool) {
        loop {
            let mut j = self.i;
            if strip {
                while self.b.get(j) == Some(&b'\t') {
                    j += 1;
                }
            }
            let end = j.saturating_add(delim.len());
            if self.b.get(j..end) == Some(delim) && matches!(self.b.get(end), None | Some(b'\n')) {
                self.i = end.saturating_add(1).min(self.b.len());
                return;
            }
            match self
                .b
                .get(self.i..)
                .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
            {
                Some(n) => self.i = self.i.saturating_add(n + 1),
                None => {
                    self.i = self.b.len();
                    self.quoted_body_unended_inside |= !self.stack.is_empty();
                    return;
                }
            }
        }
    }

    fn read_heredoc_delim(&mut self) -> Result<(), Unknown> {
        // At `<<`; `<<<` is a here-string and handled as ordinary text.
        self.i += 2;
        let strip_tabs = self.at(0) == Some(b'-');
        if strip_tabs {
            self.i += 1;
        }
        while matches!(self.at(0), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        let mut delim = Vec::new();
        let mut quoted = false;
        while let Some(c) = self.at(0) {
            match c {
                b'\'' | b'"' => {
                    quoted = true;
                    self.i += 1;
                    let mut closed = false;
                    while let Some(d) = self.at(0) {
                        self.i += 1;
                        if d == c {
                            closed = true;
                            break;
                        }
                        delim.push(d);
                    }
                    // As in a word: bash refuses the text, and brush backtracks for seconds
                    // over `$((` before it when the delimiter's quote never closes (found by
                    // the `bash` fuzz target: ``x='[$($(($(($((`<<'$(($(…'``).
                    if !closed {
                        return Err(Unknown {
                            kind: UnknownKind::ParseError,
                            detail: "a here-document delimiter's quote is never closed".to_owned(),
                            program: None,
                        });
                    }
                }
                b'\\' => {
                    quoted = true;
                    if let Some(d) = self.at(1) {
                        delim.push(d);
                    }
                    self.i = self.i.saturating_add(2);
                }
                c if is_meta(c) => break,
                c => {
                    delim.push(c);
                    self.i += 1;
                }
            }
        }
        // `<<` followed by `(`, `;`, a newline or nothing is a syntax error in bash; brush's
        // tokenizer instead loops on `$( ( << ( $( ( ) )` (and on `<< ""` there), allocating
        // gigabytes a second (found by the `bash` fuzz target), which could get the hook
        // killed. An empty delimiter, even quoted, is refused: nobody writes one.
        if delim.is_empty() {
            return Err(Unknown {
                kind: UnknownKind::ParseError,
                detail: "a here-document operator `<<` without a delimiter word".to_owned(),
                program: None,
            });
        }
        self.pending.push(PendingHereDoc {
            delim,
            strip_tabs,
            quoted,
        });
        Ok(())
    }

    fn step_normal(&mut self, c: u8, max_nesting: usize) -> Result<(), Unknown> {
        match c {
            b'\\' => {
                // Escaped backticks nest command substitutions inside backticks: `\``, `\\\``…
                let run = self
                    .b
                    .get(self.i..)
                    .map_or(0, |r| r.iter().take_while(|&&x| x == b'\\').count());
                if self.b.get(self.i.saturating_add(run)) == Some(&b'`') {
                    let levels = (usize::BITS - run.leading_zeros()) as usize;
                    if self.stack.len().saturating_add(levels) > max_nesting {
                        return Err(too_deep(max_nesting));
                    }
                }
                // Pairs are literal backslashes; an odd one escapes the next character.
                self.i = self
                    .i
                    .saturating_add(if run % 2 == 0 { run } else { run + 1 });
                self.cmd_start = false;
            }
            b'\'' => {
                self.i += 1;
                match self
                    .b
                    .get(self.i..)
                    .and_then(|r| r.iter().position(|&x| x == b'\''))
                {
                    Some(n) => self.i += n + 1,
                    None => {
                        // Bash refuses text that ends inside a single quote, and brush, which
                        // may read that quote differently inside `$((`, can backtrack for
                        // seconds over the parentheses behind it first (found by the `bash`
                        // fuzz target: `eval 'x=[$((9 g'\''((((((((((((((((…'`).
                        return Err(Unknown {
                            kind: UnknownKind::ParseError,
                            detail: "a single quote is never closed".to_owned(),
                            program: None,
                        });
                    }
                }
                self.cmd_start = false;
            }
            b'"' => {
                self.push(Frame::Dq, max_nesting)?;
                self.i += 1;
                self.cmd_start = false;
            }
            b'`' => {
                if !self.pop_if(Frame::Backtick) {
                    self.push(Frame::Backtick, max_nesting)?;
                    self.cmd_start = true;
                }
                self.i += 1;
            }
            b'$' if self.at(1) == Some(b'\'') => {
                self.i += 2;
                while let Some(d) = self.at(0) {
                    match d {
                        b'\\' => self.i = self.i.saturating_add(2),
                        b'\'' => {
                            self.i += 1;
                            break;
                        }
                        _ => self.i += 1,
                    }
                }
                self.cmd_start = false;
            }
            b'$' if matches!(self.at(1), Some(b'(' | b'{')) => self.open_expansion(max_nesting)?,
            b'(' if self.cmd_start && self.at(1) == Some(b'(') => {
                self.push(Frame::Arith, max_nesting)?;
                self.i += 2;
            }
            b'(' => {
                self.push(Frame::Paren, max_nesting)?;
                self.i += 1;
                self.cmd_start = true;
            }
            b')' => {
                match self.stack.last() {
                    Some(Frame::Paren) => {
                        self.stack.pop();
                    }
                    Some(Frame::Arith) if self.at(1) == Some(b')') => {
                        self.stack.pop();
                        self.i += 1;
                    }
                    Some(Frame::Arith) => {
                        // `((cmd) )` / `$((cmd) )`: nested parentheses after all.
                        self.stack.pop();
                        self.stack.push(Frame::Paren);
                    }
                    _ => {}
                }
                self.i += 1;
                self.cmd_start = true;
            }
            b'}' if self.stack.last() == Some(&Frame::Param) => {
                self.stack.pop();
                self.i += 1;
            }
            // `<<<` is a here-string: skip the whole operator, so its word is not read as the
            // delimiter of a here-document.
            b'<' if self.at(1) == Some(b'<') && self.at(2) == Some(b'<') => {
                self.i += 3;
                self.cmd_start = false;
            }
            b'<' if self.at(1) == Some(b'<') && !self.in_arith() => {
                self.read_heredoc_delim()?;
                self.cmd_start = false;
            }
            b'\n' => {
                self.count_separator()?;
                self.i += 1;
                self.cmd_start = true;
                self.start_pending_bodies();
            }
            b';' | b'&' | b'|' => {
                // `&&`, `||`, `;;` are one separator.
                if self.at(1) != Some(c) {
                    self.count_separator()?;
                }
                self.i += 1;
                self.cmd_start = true;
            }
            b'#' if self.word_start() => match self
                .b
                .get(self.i..)
                .and_then(|r| r.iter().position(|&x| x == b'\n'))
            {
                Some(n) => self.i += n,
                None => self.i = self.b.len(),
            },
            c if is_meta(c) => self.i += 1,
            _ => self.step_word(max_nesting)?,
        }
        Ok(())
    }

    fn count_separator(&mut self) -> Result<(), Unknown> {
        self.separators += 1;
        if self.separators > MAX_SEPARATORS {
            return Err(Unknown {
                kind: UnknownKind::TooManyCommands,
                detail: format!("more than {MAX_SEPARATORS} commands in one call; split the work or write a script and review it"),
                program: None,
            });
        }
        Ok(())
    }

    /// A run of ordinary characters. Reserved words only count at a command start and as a
    /// whole word.
    fn step_word(&mut self, max_nesting: usize) -> Result<(), Unknown> {
        let start = self.i;
        let at_word_start = self.word_start();
        while let Some(c) = self.at(0) {
            if is_meta(c) || matches!(c, b'\\' | b'\'' | b'"' | b'`' | b'$') {
                break;
            }
            // `}` ends a `${` even in the middle of a word.
            if c == b'}' && self.stack.last() == Some(&Frame::Param) {
                break;
            }
            self.i += 1;
        }
        if self.i == start {
            // A `$` not followed by `(`, `{` or `'`.
            self.i += 1;
            self.cmd_start = false;
            return Ok(());
        }
        let word = self.b.get(start..self.i).unwrap_or_default();
        let whole = at_word_start && self.at(0).is_none_or(is_meta);
        if !whole || !self.cmd_start {
            // `NAME=value` keeps the command position open.
            if !(at_word_start && is_assignment(word)) {
                self.cmd_start = false;
            }
            return Ok(());
        }
        match word {
            b"if" | b"while" | b"until" => self.push(Frame::Keyword, max_nesting)?,
            b"case" | b"for" | b"select" => {
                self.push(Frame::Keyword, max_nesting)?;
                self.cmd_start = false;
            }
            b"fi" | b"esac" | b"done" => {
                self.pop_if(Frame::Keyword);
            }
            b"{" => self.push(Frame::Group, max_nesting)?,
            b"}" => {
                self.pop_if(Frame::Group);
            }
            b"then" | b"do" | b"else" | b"elif" | b"!" | b"time" | b"in" | b"function"
            | b"coproc" => {}
            _ => {
                if !is_assignment(word) {
                    self.cmd_start = false;
                }
            }
        }
        Ok(())
    }
}

/// An upper bound on the nesting depth of `src` that no quoting trick can lower: every `(`,
/// `{`, backtick and `if`/`while`/`until`/`for`/`case`/`select` word counts, wherever it is and
/// whatever closes it. Used to size the parser's stack, as a second line of defence behind
/// [`scan`] (which is precise but relies on reading quotes and here-documents like bash does).
pub(crate) fn opener_bound(src: &str) -> usize {
    let b = src.as_bytes();
    let mut n = 0usize;
    let mut word_start = 0usize;
    for (i, &c) in b.iter().enumerate() {
        let word_char = c.is_ascii_alphanumeric() || c == b'_';
        if matches!(c, b'(' | b'{' | b'`') {
            n += 1;
        }
        if !word_char {
            let word = b.get(word_start..i).unwrap_or_default();
            if matches!(
                word,
                b"if" | b"while" | b"until" | b"for" | b"case" | b"select"
            ) {
                n += 1;
            }
            word_start = i + 1;
        }
    }
    let last = b.get(word_start..).unwrap_or_default();
    if matches!(
        last,
        b"if" | b"while" | b"until" | b"for" | b"case" | b"select"
    ) {
        n += 1;
    }
    n
}

fn is_assignment(word: &[u8]) -> bool {
    let name_len = word
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_')
        .count();
    name_len > 0
        && word.first().is_some_and(|c| !c.is_ascii_digit())
        && matches!(word.get(name_len), Some(b'=' | b'+' | b'['))
}

/// Parentheses left open at the end past which the text is refused before parsing (brush's
/// time doubles with each; 8 cost well under a millisecond).
const MAX_UNCLOSED_PARENS: usize = 8;

fn too_deep(max: usize) -> Unknown {
    Unknown {
        kind: UnknownKind::TooDeep,
        detail: format!("nesting deeper than {max} levels"),
        program: None,
    }
}

#[cfg(test)]
#[rustfmt::skip::macros(scan_ok, scan_err)]
mod tests {
    use super::*;

    fn depth(src: &str) -> Result<(), UnknownKind> {
        scan(src, 8).map(|_| ()).map_err(|u| u.kind)
    }

    #[test]
    fn command_floods_are_refused_before_parsing() {
        let many = |sep: &str| format!("{}true", format!("true{sep}").repeat(MAX_SEPARATORS + 1));
        for sep in [" && ", " || ", "; ", " | ", "\n", " & "] {
            assert_eq!(
                depth(&many(sep)),
                Err(UnknownKind::TooManyCommands),
                "{sep:?}"
            );
        }
        let fine = format!("{}true", "true && ".repeat(MAX_SEPARATORS - 1));
        assert_eq!(depth(&fine), Ok(()));
    }

    #[test]
    fn separators_in_quotes_and_here_documents_are_not_commands() {
        // Agents write files with big here-documents and run quoted scripts: not floods.
        let body = "line; with | separators && more\n".repeat(5 * MAX_SEPARATORS);
        assert_eq!(depth(&format!("cat > f.txt <<'EOF'\n{body}EOF\n")), Ok(()));
        assert_eq!(depth(&format!("cat > f.txt <<EOF\n{body}EOF\n")), Ok(()));
        let quoted = "a; b | c && d\n".repeat(MAX_SEPARATORS);
        assert_eq!(depth(&format!("python3 -c '{quoted}'")), Ok(()));
        assert_eq!(depth(&format!("python3 -c \"{quoted}\"")), Ok(()));
    }

    macro_rules! scan_ok {
        ($name:ident, $src:expr) => {
            #[test]
            fn $name() {
                assert_eq!(depth($src), Ok(()), "{:?}", $src);
            }
        };
    }
    macro_rules! scan_err {
        ($name:ident, $src:expr, $kind:ident) => {
            #[test]
            fn $name() {
                assert_eq!(depth($src), Err(UnknownKind::$kind), "{:?}", $src);
            }
        };
    }

    scan_ok!(flat_chain, &"echo a && ".repeat(1000));
    scan_ok!(balanced_parens_many, &"(a) ".repeat(1000));
    scan_ok!(quoted_parens_ignored, "echo '((((((((((((((((' \"{{{{{{{{{{{{\"");
    scan_ok!(case_patterns, "case x in a) echo;; b) echo;; c) echo;; d) echo;; e) echo;; f) echo;; g) echo;; h) echo;; i) echo;; esac");
    scan_ok!(brace_expansion_not_group, "echo {a,b} {c,d} x{1..3}y {} \\; {{{{{{{{{{");
    scan_ok!(quoted_heredoc_skipped, "cat <<'EOF'\n$( $( $( $( $( $( $( $( $( $(\nit's\nEOF\necho ok");
    scan_ok!(keywords_in_args_ignored, "echo if if if if if if if if if if if");
    scan_ok!(dollar_brace_param, "echo ${a} ${b:-x} ${#c} ${d//x/y}");
    scan_ok!(loops_closed, &"for x in a; do while true; do if x; then y; fi; done; done; ".repeat(50));
    scan_err!(deep_dollar_paren, &format!("{}rm{}", "$(".repeat(20), ")".repeat(20)), TooDeep);
    scan_err!(deep_subshell, &format!("{}rm{}", "( ".repeat(20), " )".repeat(20)), TooDeep);
    scan_err!(deep_if, &format!("{}rm{}", "if true; then ".repeat(20), "; fi".repeat(20)), TooDeep);
    scan_err!(deep_group, &format!("{}rm{}", "{ ".repeat(20), "; }".repeat(20)), TooDeep);
    // `}` as an argument does not close a group (bash would not either).
    scan_err!(group_closer_as_arg, &format!("{}rm{}", "{ echo }; ".repeat(20), "; }".repeat(20)), TooDeep);
    // A quote inside an unquoted heredoc body must not hide what follows.
    scan_err!(heredoc_apostrophe_does_not_hide, &format!( "cat <<EOF\nit's\nEOF\n{}rm{}", "$(".repeat(20), ")".repeat(20) ), TooDeep);
    scan_err!(heredoc_body_counts, &format!("cat <<EOF\n{}rm{}\nEOF\n", "$(".repeat(20), ")".repeat(20)), TooDeep);
    scan_err!(closing_parens_in_quotes_do_not_help, &format!("{}rm", "$( ')' ".repeat(20)), TooDeep);
    scan_err!(funsub_space, "echo ${ rm -rf /; }", FunctionSubstitution);
    scan_err!(funsub_pipe, "echo ${| rm -rf /; }", FunctionSubstitution);
    scan_err!(funsub_in_dq, "echo \"${ rm -rf /; }\"", FunctionSubstitution);
    scan_err!(funsub_newline, "echo ${\nrm -rf /\n}", FunctionSubstitution);
    scan_ok!(shift_is_not_a_heredoc, "echo $((1<<2)); (( x <<= 1 ))\necho \"it's\"");
    scan_err!(shift_does_not_hide_nesting, &format!("echo $((1<<2))\n{}rm{}", "if true; then ".repeat(20), "; fi".repeat(20)), TooDeep);
    // Text that bash refuses at its end (found by the `bash` fuzz target: brush backtracked
    // for seconds over what came before).
    scan_err!(single_quote_never_closed, "x=\"$((9 g'thub((((((((((((((((qr\"", ParseError);
    scan_err!(heredoc_delimiter_quote_never_closed, "x=\"$($(($((`<<'$(($(rr> n\"", ParseError);
    scan_err!(heredoc_delimiter_dquote_never_closed, "cat <<\"EOF\nhi\nEOF", ParseError);
    scan_err!(heredoc_never_ended_inside_substitution, "echo \"$(cat <<'F'\n9([$((r(([$((d\"", ParseError);
    scan_err!(heredoc_never_ended_inside_backtick, "x=`cat <<F\nhi\n`", ParseError);
    scan_err!(heredoc_body_never_started_inside_substitution, "x=$( ( ( x=<< =$( ( (b ) )", ParseError);
    scan_ok!(heredoc_body_never_started_at_top_level, "cat <<EOF");
    scan_ok!(heredoc_never_ended_at_top_level, "cat <<EOF\nhello\n$(date)\n");
    scan_ok!(heredoc_ended_inside_substitution, "git commit -m \"$(cat <<'EOF'\nfix: it's done\n\nbody\nEOF\n)\"");
    scan_ok!(apostrophe_in_comment_and_dq, "echo \"it's\" # don't\necho ok");
    scan_err!(arith_paren_form_counts, &format!("{}rm{}", "$((a) ".repeat(20), ")".repeat(20)), TooDeep);
    scan_ok!(funsub_in_single_quotes_is_data, "echo '${ rm -rf /; }'");

    #[test]
    fn opener_bound_ignores_quotes() {
        assert_eq!(opener_bound("echo ')' \"(\" {a} `x` if_not iffy if"), 5);
        assert_eq!(opener_bound("for x in a; do while b; do :; done; done"), 2);
        assert_eq!(opener_bound(""), 0);
    }

    #[test]
    fn deep_backticks_escaped() {
        // Level k of nested backticks is written with 2^(k-1)-1 backslashes before the backtick.
        let mut src = String::from("echo `a ");
        for k in 2..=10u32 {
            src.push_str(&"\\".repeat((1usize << (k - 1)) - 1));
            src.push_str("`x ");
        }
        assert_eq!(depth(&src), Err(UnknownKind::TooDeep));
    }
}
