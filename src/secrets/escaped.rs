//! Secrets inside JSON-escaped text: a tool's output is often a JSON document held as a string
//! (an MCP text block, `curl` of an API, a log line with an embedded payload), and the same
//! document can be nested again inside another string. There a private key's newlines are
//! `\n`, a `.netrc` entry's line breaks are `\n`, quotes are `\"`, slashes may be `\/` and any
//! byte may be `\u00xx`, so a rule written for the plain text does not match the escaped one.
//!
//! Rather than making every rule escape-tolerant, the detector also scans an *unescaped view* of
//! a text that contains JSON escapes ([`View`]): the escapes decoded, with a map from each
//! position of the view back to the text. A finding in the view is mapped back to a range of
//! the text that covers whole escape sequences, so replacing it with a marker leaves the
//! document valid JSON of the same shape (an escape is never cut in half). Up to
//! [`MAX_LEVELS`] levels are decoded, for JSON inside JSON inside the string.
//!
//! What belongs here: decoding and position mapping only; which rules run on the view is the
//! detector's business.

use std::ops::Range;

/// How many levels of escaping are undone (a JSON document in a string in a JSON document in
/// the string scanned is two).
pub(crate) const MAX_LEVELS: usize = 3;

/// Texts larger than this are not decoded: the direct scan still runs on them, and the cost of
/// a second scan and of the position map is bounded.
pub(crate) const MAX_VIEW_INPUT: usize = 4 << 20;

/// One decoded escape: `out_len` bytes of the view at `out` came from `in_len` bytes of the
/// text at `inp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Escape {
    out: usize,
    out_len: usize,
    inp: usize,
    in_len: usize,
    /// It stands for a delimiter (a quote or blank: `\"`, `\n`, `\t`, …), which a secret's
    /// range does not begin or end with.
    delimiter: bool,
}

/// A text with its JSON escapes decoded, and where each part of it came from.
#[derive(Debug)]
pub(crate) struct View {
    pub(crate) text: Vec<u8>,
    escapes: Vec<Escape>,
}

/// Whether `text` holds a JSON escape sequence (a backslash before one of `"\/bfnrtu`).
pub(crate) fn has_escapes(text: &[u8]) -> bool {
    let mut at = 0;
    while let Some(p) = text.get(at..).and_then(|rest| memchr::memchr(b'\\', rest)) {
        let i = at + p;
        if text.get(i + 1).is_some_and(|&b| is_escape_letter(b)) {
            return true;
        }
        at = i + 1;
    }
    false
}

fn is_escape_letter(b: u8) -> bool {
    matches!(
        b,
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' | b'u'
    )
}

fn hex4(text: &[u8], at: usize) -> Option<u32> {
    let digits = text.get(at..at + 4)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16)?;
    }
    Some(v)
}

impl View {
    /// The text with its JSON escapes decoded, or `None` when it has none. A backslash that
    /// does not start a valid escape (`\d`, a lone surrogate `\ud800`) is kept as it is.
    pub(crate) fn of(text: &[u8]) -> Option<View> {
        if text.len() > MAX_VIEW_INPUT || !has_escapes(text) {
            return None;
        }
        let mut out = Vec::with_capacity(text.len());
        let mut escapes = Vec::new();
        let mut at = 0;
        while at < text.len() {
            let Some(p) = text.get(at..).and_then(|rest| memchr::memchr(b'\\', rest)) else {
                out.extend_from_slice(text.get(at..).unwrap_or_default());
                break;
            };
            let i = at + p;
            out.extend_from_slice(text.get(at..i).unwrap_or_default());
            let (decoded, in_len) = match decode_one(text, i) {
                Some(d) => d,
                None => {
                    // Not an escape: the backslash stays.
                    out.push(b'\\');
                    at = i + 1;
                    continue;
                }
            };
            let mut buf = [0u8; 4];
            let bytes = decoded.encode_utf8(&mut buf).as_bytes();
            escapes.push(Escape {
                out: out.len(),
                out_len: bytes.len(),
                inp: i,
                in_len,
                delimiter: matches!(
                    decoded,
                    '"' | '\'' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' | ' '
                ),
            });
            out.extend_from_slice(bytes);
            at = i + in_len;
        }
        if escapes.is_empty() {
            return None;
        }
        Some(View { text: out, escapes })
    }

    /// The text's position of the view's position `p` taken as the start of a range: inside
    /// a decoded escape, the escape's start.
    fn start_in_text(&self, p: usize) -> usize {
        // The escapes that start at or before `p`.
        let n = self.escapes.partition_point(|e| e.out <= p);
        match n.checked_sub(1).and_then(|k| self.escapes.get(k)) {
            None => p,
            Some(e) if p < e.out + e.out_len => e.inp,
            Some(e) => e.inp + e.in_len + (p - e.out - e.out_len),
        }
    }

    /// The text's position of the view's position `p` taken as the end of a range: inside a
    /// decoded escape, the escape's end.
    fn end_in_text(&self, p: usize) -> usize {
        // The escapes that start before `p` (an escape starting at `p` is after the range).
        let n = self.escapes.partition_point(|e| e.out < p);
        match n.checked_sub(1).and_then(|k| self.escapes.get(k)) {
            None => p,
            Some(e) if p < e.out + e.out_len => e.inp + e.in_len,
            Some(e) => e.inp + e.in_len + (p - e.out - e.out_len),
        }
    }

    /// A range of the *text* (a finding in it) made to respect its escapes: an escape cut by
    /// either end is taken whole at the start and left out at the end, and escapes standing for
    /// delimiters at either end are left out (`password xAPJ…\n\"` ends before `\n`). Replacing
    /// the range then leaves every escape of the text whole. `None` when nothing is left.
    pub(crate) fn trim_text_range(&self, r: &Range<usize>) -> Option<Range<usize>> {
        let (mut start, mut end) = (r.start, r.end);
        // The escape that starts before `start` and runs past it.
        let k = self.escapes.partition_point(|e| e.inp < start);
        if let Some(e) = k.checked_sub(1).and_then(|k| self.escapes.get(k)) {
            if e.inp + e.in_len > start {
                start = e.inp;
            }
        }
        // Leading delimiters.
        let mut k = self.escapes.partition_point(|e| e.inp < start);
        while let Some(e) = self.escapes.get(k) {
            if e.inp != start || !e.delimiter || e.inp + e.in_len > end {
                break;
            }
            start = e.inp + e.in_len;
            k += 1;
        }
        // The escape cut by `end`, then trailing delimiters.
        let mut k = self.escapes.partition_point(|e| e.inp < end);
        while let Some(e) = k.checked_sub(1).and_then(|i| self.escapes.get(i)) {
            let e_end = e.inp + e.in_len;
            if e.inp < start || !(e_end > end || (e_end == end && e.delimiter)) {
                break;
            }
            end = e.inp;
            k -= 1;
        }
        (start < end).then_some(start..end)
    }

    /// A range of the view as the range of the text it came from, whole escapes included.
    pub(crate) fn to_text(&self, r: &Range<usize>) -> Range<usize> {
        let start = self.start_in_text(r.start);
        let end = self.end_in_text(r.end).max(start);
        start..end
    }
}

/// The character the escape at `i` (a backslash) stands for, and the escape's length.
fn decode_one(text: &[u8], i: usize) -> Option<(char, usize)> {
    let c = match text.get(i + 1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(text, i + 2)?;
            if (0xD800..0xDC00).contains(&hi) {
                // A surrogate pair: `\uD83D\uDE00`.
                if text.get(i + 6) != Some(&b'\\') || text.get(i + 7) != Some(&b'u') {
                    return None;
                }
                let lo = hex4(text, i + 8)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return None;
                }
                let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
                return Some((c, 12));
            }
            return Some((char::from_u32(hi)?, 6));
        }
        _ => return None,
    };
    Some((c, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_json_escapes_and_keeps_the_rest() {
        let cases: &[(&str, Option<&str>)] = &[
            ("plain text", None),
            (r"C:\dir\x", None),
            (r"C:\dir\file", Some("C:\\dir\u{c}ile")),
            (r#"{\"a\": \"b\"}"#, Some(r#"{"a": "b"}"#)),
            (r"line\nnext\r\n\ttab", Some("line\nnext\r\n\ttab")),
            (r"https:\/\/x.example\/p", Some("https://x.example/p")),
            (r"\u0041\u00e9\u20ac", Some("Aé€")),
            (r"\ud83d\ude00!", Some("😀!")),
            (r"lone \ud800 stays", None),
            (r"a\\nb", Some(r"a\nb")),
            (r"bad \u12 and \x and \n", Some("bad \\u12 and \\x and \n")),
            ("end\\", None),
        ];
        for (text, want) in cases {
            let got = View::of(text.as_bytes()).map(|v| String::from_utf8(v.text).unwrap());
            assert_eq!(got.as_deref(), *want, "{text}");
        }
    }

    #[test]
    fn ranges_map_back_over_whole_escapes() {
        // view: `k="v\nw"é!`  text: `k=\"v\\nw\"\u00e9!` (Rust raw string below)
        let text = r#"k=\"v\nw\"\u00e9!"#;
        let v = View::of(text.as_bytes()).unwrap();
        let view = std::str::from_utf8(&v.text).unwrap();
        assert_eq!(view, "k=\"v\nw\"é!");
        let cases: &[(&str, &str)] = &[
            // (substring of the view, the text it maps back to)
            ("v\nw", r"v\nw"),
            ("\"v", r#"\"v"#),
            ("w\"", r#"w\""#),
            ("é!", r"\u00e9!"),
            ("k=", "k="),
            ("!", "!"),
        ];
        for (sub, want) in cases {
            let s = view.find(sub).unwrap();
            let r = v.to_text(&(s..s + sub.len()));
            assert_eq!(&text[r], *want, "{sub:?}");
        }
        // A range ending inside a multi-byte decoded char covers the whole escape; one
        // starting inside it starts at the escape.
        let e = view.find('é').unwrap();
        assert_eq!(&text[v.to_text(&(0..e + 1))], r#"k=\"v\nw\"\u00e9"#);
        assert_eq!(&text[v.to_text(&(e + 1..view.len()))], r"\u00e9!");
    }

    #[test]
    fn text_ranges_keep_escapes_whole_and_drop_delimiters() {
        let text = r#"p=\"abc\n\"; q=x\u0041y"#;
        let v = View::of(text.as_bytes()).unwrap();
        let at = |sub: &str| text.find(sub).unwrap();
        let cases: &[(usize, usize, Option<&str>)] = &[
            // `abc\n\` (cuts the `\"` after it) -> `abc`.
            (at("abc"), at("abc") + 6, Some("abc")),
            // `\"abc\n\"` -> `abc`.
            (at("\\\"abc"), at("; q"), Some("abc")),
            // Starting inside `\u0041`: the whole escape.
            (at("0041"), text.len(), Some(r"\u0041y")),
            // Ending inside it: left out.
            (at("x\\u"), at("0041") + 2, Some("x")),
            // Only delimiters: nothing.
            (at("\\n"), at("\\n") + 2, None),
        ];
        for (s, e, want) in cases {
            let got = v.trim_text_range(&(*s..*e)).map(|r| &text[r]);
            assert_eq!(got, *want, "{:?}", &text[*s..*e]);
        }
    }
}
