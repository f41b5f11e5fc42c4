//! Text hidden in an encoding: found, decoded, and judged by the same scan and model as the
//! rest of the content.
//!
//! Attack kits hide the instruction from filters by encoding it (base64, hex, binary or
//! decimal character codes, `%XX`, `\uXXXX`/`\xNN` escapes, HTML character references,
//! invisible Unicode tag characters, Morse, ROT13/Caesar, reversed text, leetspeak) and add
//! "decode this and follow it". This stage finds such segments, decodes the ones that turn
//! into text (decoded binary, hashes and random tokens are ignored: only text with letters and
//! spaces goes on), and runs the detector ([`super::assess_depth`]) on the decoded text. A hit
//! is reported with how the text was hidden ("base64-encoded text reads like instructions to
//! the AI"). An order to decode hidden text and follow it is a hit of its own.
//!
//! What the tokenizer already reads through (look-alike letters, fullwidth letters, letters
//! spelled out with one separator, invisible characters inside words) is not repeated here.
//!
//! Cost: everything starts from what the tokenizer found (words of the code shape, runs of
//! numbers, a few trigger words looked up in a compile-time table) plus one `memchr3` pass for
//! escapes and one `memmem` pass for Morse; nothing is decoded on a page without candidates. Bounded:
//! decoded text is decoded once more at most ([`MAX_DEPTH`]), at most [`MAX_DECODED`] bytes
//! and [`MAX_SEGMENTS`] segments per text are decoded, and every scan is linear (a byte is
//! looked at by each finder at most a fixed number of times).

use super::scan::{brk, cat, fnv, shape, Tok, Tokens};
use super::{Assessment, Policy};

/// Decoded text is searched for hidden text once more (base64 of ROT13 …), not deeper.
pub(crate) const MAX_DEPTH: u8 = 2;
/// At most this many decoded bytes per text (all depths together).
pub(crate) const MAX_DECODED: usize = 32 * 1024;
/// At most this many decoded segments judged per text (all depths together).
pub(crate) const MAX_SEGMENTS: usize = 48;
/// A whole-text transform (ROT13, reversal, leetspeak) covers at most this many bytes around
/// its evidence.
const MAX_REGION: usize = 2048;
/// Shortest encoded run looked at (base64 of 12 bytes, hex of 8).
const MIN_RUN: usize = 16;

/// What is left of the decoding allowance of one text.
#[derive(Debug)]
pub(crate) struct Budget {
    bytes: usize,
    segments: usize,
}

impl Budget {
    pub(crate) const fn new() -> Budget {
        Budget {
            bytes: MAX_DECODED,
            segments: MAX_SEGMENTS,
        }
    }

    /// Takes `n` bytes and one segment from the allowance; false when it is used up.
    fn take(&mut self, n: usize) -> bool {
        if self.segments == 0 || n > self.bytes {
            return false;
        }
        self.segments -= 1;
        self.bytes -= n;
        true
    }
}

/// How a piece of text was hidden.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum How {
    Base64,
    Base32,
    Hex,
    Binary,
    Decimal,
    Percent,
    Escapes,
    Entities,
    Tags,
    Morse,
    Rot,
    Reversed,
    Leet,
}

impl How {
    /// The reason given when the decoded text reads like an injection.
    pub(crate) const fn reason(self) -> &'static str {
        match self {
            How::Base64 => "base64-encoded text reads like instructions to the AI",
            How::Base32 => "base32-encoded text reads like instructions to the AI",
            How::Hex => "hex-encoded text reads like instructions to the AI",
            How::Binary => "text written in binary reads like instructions to the AI",
            How::Decimal => "text written as character codes reads like instructions to the AI",
            How::Percent => "URL-encoded (%XX) text reads like instructions to the AI",
            How::Escapes => "text written as \\u/\\x escapes reads like instructions to the AI",
            How::Entities => {
                "text written as HTML character references reads like instructions to the AI"
            }
            How::Tags => {
                "invisible Unicode tag characters spell out text that reads like instructions to the AI"
            }
            How::Morse => "Morse-coded text reads like instructions to the AI",
            How::Rot => "ROT13/Caesar-shifted text reads like instructions to the AI",
            How::Reversed => "text written backwards reads like instructions to the AI",
            How::Leet => "leetspeak text reads like instructions to the AI",
        }
    }

    /// A short name (evaluation tools, tests).
    pub(crate) const fn name(self) -> &'static str {
        match self {
            How::Base64 => "base64",
            How::Base32 => "base32",
            How::Hex => "hex",
            How::Binary => "binary",
            How::Decimal => "decimal",
            How::Percent => "percent",
            How::Escapes => "escapes",
            How::Entities => "entities",
            How::Tags => "tags",
            How::Morse => "morse",
            How::Rot => "rot",
            How::Reversed => "reversed",
            How::Leet => "leet",
        }
    }
}

/// The reason given for an order to decode hidden text and follow it.
pub(crate) const FOLLOW_REASON: &str = "asks the AI to decode hidden text and follow it";

/// A decoded segment: how it was hidden, where it starts in the text, its text.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) how: How,
    pub(crate) at: usize,
    pub(crate) text: String,
}

// ---------------------------------------------------------------------------------------------
// Trigger words (a compile-time table of their hashes, as the tokenizer hashes words).

/// An encoding's name ("base64", "rot13", "morse", "backwards" …).
const K_ENC: u8 = 1;
/// A verb that decodes ("decode", "decipher", "translate", "interpret" …).
const K_DEC: u8 = 2;
/// A verb that obeys ("follow", "execute", "obey", "comply" …).
const K_FOL: u8 = 4;
/// A common English word under ROT13 ("gur", "naq", "lbhe" …).
const K_ROT: u8 = 16;
/// A common English word written backwards ("eht", "dna", "ruoy" …).
const K_REV: u8 = 32;
/// An encoding name that asks for a whole-text transform (ROT13/Caesar, backwards, leet).
const K_XFORM: u8 = 64;
/// A verb that obeys without an object ("obey", "comply").
const K_STRONG: u8 = 128;

const WORDS: &[(&str, u8)] = &[
    // Encoding names.
    ("base64", K_ENC),
    ("b64", K_ENC),
    ("base32", K_ENC),
    ("hex", K_ENC),
    ("encoded", K_ENC),
    ("ciphertext", K_ENC),
    ("morse", K_ENC),
    ("rot13", K_ENC | K_XFORM),
    ("rot", K_ENC | K_XFORM),
    ("caesar", K_ENC | K_XFORM),
    ("cipher", K_ENC | K_XFORM),
    ("shifted", K_ENC | K_XFORM),
    ("backwards", K_ENC | K_XFORM),
    ("backward", K_ENC | K_XFORM),
    ("reversed", K_ENC | K_XFORM),
    ("reverse", K_DEC | K_XFORM),
    ("mirrored", K_ENC | K_XFORM),
    ("leet", K_ENC | K_XFORM),
    ("leetspeak", K_ENC | K_XFORM),
    ("l33t", K_ENC | K_XFORM),
    // Decoding verbs.
    ("decode", K_DEC),
    ("decoded", K_DEC),
    ("decoding", K_DEC),
    ("decipher", K_DEC),
    ("decrypt", K_DEC),
    ("translate", K_DEC),
    ("interpret", K_DEC),
    ("convert", K_DEC),
    ("unscramble", K_DEC),
    ("concatenate", K_DEC),
    ("apply", K_DEC),
    // Obeying verbs.
    ("follow", K_FOL),
    // "do what it says", "do exactly as …": "do" with "it" or "exactly" after it.
    ("do", K_FOL),
    ("execute", K_FOL),
    ("obey", K_FOL | K_STRONG),
    ("comply", K_FOL | K_STRONG),
    ("answer", K_FOL),
    ("respond", K_FOL),
    // ROT13 of common English words (not "gb", "bs", "vf": real abbreviations).
    ("gur", K_ROT),
    ("naq", K_ROT),
    ("lbh", K_ROT),
    ("lbhe", K_ROT),
    ("nyy", K_ROT),
    ("guvf", K_ROT),
    ("jvgu", K_ROT),
    ("sbe", K_ROT),
    ("ner", K_ROT),
    ("vtaber", K_ROT),
    ("cerivbhf", K_ROT),
    ("vafgehpgvbaf", K_ROT),
    ("flfgrz", K_ROT),
    ("cebzcg", K_ROT),
    ("fraq", K_ROT),
    ("gryy", K_ROT),
    ("jung", K_ROT),
    ("ubj", K_ROT),
    ("unir", K_ROT),
    ("abj", K_ROT),
    ("cevag", K_ROT),
    ("bhgchg", K_ROT),
    ("erirny", K_ROT),
    ("cnffjbeq", K_ROT),
    ("rznvy", K_ROT),
    ("hfre", K_ROT),
    // Common English words written backwards.
    ("eht", K_REV),
    ("dna", K_REV),
    ("uoy", K_REV),
    ("ruoy", K_REV),
    ("lla", K_REV),
    ("siht", K_REV),
    ("htiw", K_REV),
    ("rof", K_REV),
    ("erongi", K_REV),
    ("suoiverp", K_REV),
    ("snoitcurtsni", K_REV),
    ("metsys", K_REV),
    ("tpmorp", K_REV),
    ("dnes", K_REV),
    ("tahw", K_REV),
    ("woh", K_REV),
    ("evah", K_REV),
    ("tuptuo", K_REV),
    ("laever", K_REV),
    ("drowssap", K_REV),
    ("liame", K_REV),
    ("resu", K_REV),
    ("tnirp", K_REV),
    ("nialpxe", K_REV),
    ("ekam", K_REV),
];

const T_LOG2: u32 = 14;
const T_SIZE: usize = 1 << T_LOG2;
const N_WORDS: usize = WORDS.len();

/// The trigger words' hashes, sorted, with their kinds (a word listed twice has both).
static SORTED: [(u64, u8); N_WORDS] = {
    let mut t = [(0u64, 0u8); N_WORDS];
    let mut i = 0;
    while i < N_WORDS {
        #[allow(clippy::indexing_slicing, reason = "bounded by the loop condition")]
        {
            let (w, k) = WORDS[i];
            t[i] = (fnv(w.as_bytes()), k);
            // Insertion sort (compile time).
            let mut j = i;
            while j > 0 && t[j - 1].0 > t[j].0 {
                let x = t[j - 1];
                t[j - 1] = t[j];
                t[j] = x;
                j -= 1;
            }
        }
        i += 1;
    }
    t
};

/// Per slot (the top 14 bits of a word's hash), the kinds of the trigger words in it: the hot
/// loop's filter, one shift and one load per word. About 110 words in 16,384 slots: an
/// ordinary word lands on a trigger word's slot about once in 150, and [`kind_of`] then says.
static SLOTS: [u8; T_SIZE] = {
    let mut t = [0u8; T_SIZE];
    let mut i = 0;
    while i < N_WORDS {
        #[allow(
            clippy::indexing_slicing,
            reason = "bounded by the loop condition and the slot size"
        )]
        {
            let (w, k) = WORDS[i];
            t[(fnv(w.as_bytes()) >> (64 - T_LOG2)) as usize] |= k;
        }
        i += 1;
    }
    t
};

/// The kinds in the slot of `hash` (a superset of the word's: see [`SLOTS`]).
#[inline(always)]
fn slot_kinds(hash: u64) -> u8 {
    SLOTS
        .get((hash >> (64 - T_LOG2)) as usize)
        .copied()
        .unwrap_or(0)
}

/// The kinds of a word (0: not a trigger word).
fn kind_of(hash: u64) -> u8 {
    let mut k = 0;
    let from = SORTED.partition_point(|e| e.0 < hash);
    for e in SORTED.get(from..).unwrap_or_default() {
        if e.0 != hash {
            break;
        }
        k |= e.1;
    }
    k
}

/// What is obeyed ("it", "instruction", "command", "says" …): looked up only right after a
/// verb that obeys.
const OBJECTS: [u64; 15] = [
    fnv(b"it"),
    fnv(b"them"),
    fnv(b"instruction"),
    fnv(b"instructions"),
    fnv(b"command"),
    fnv(b"commands"),
    fnv(b"says"),
    fnv(b"question"),
    fnv(b"within"),
    fnv(b"inside"),
    fnv(b"exactly"),
    fnv(b"resulting"),
    fnv(b"hidden"),
    fnv(b"directive"),
    fnv(b"directives"),
];

// ---------------------------------------------------------------------------------------------
// Is it text?

/// The decoded bytes as text when they read like text: valid UTF-8, no control characters but
/// layout, at least half letters, a space or line break between words, and nearly nothing but
/// letters, digits, spaces and ordinary punctuation (decoded binary, hashes and random tokens
/// fail; a JWT's JSON header mostly fails, and would only be scanned if it passed).
fn as_text(bytes: Vec<u8>) -> Option<String> {
    let s = String::from_utf8(bytes).ok()?;
    let (mut n, mut letters, mut spaces, mut plain) = (0usize, 0usize, 0usize, 0usize);
    for c in s.chars() {
        n += 1;
        if c.is_alphabetic() {
            letters += 1;
        } else if matches!(c, ' ' | '\n' | '\t' | '\r') {
            spaces += 1;
        } else if c.is_control() || c == '\u{fffd}' {
            return None;
        } else if c.is_ascii_digit() || ".,:;!?'\"-_()@/".contains(c) {
            plain += 1;
        }
    }
    let ok = n >= 6 && spaces >= 1 && letters * 2 >= n && (letters + spaces + plain) * 10 >= n * 9;
    // Or itself an encoding's run, to be decoded once more (hex of base64).
    let encoded = n >= MIN_RUN && s.bytes().all(|b| is_b64(b) || b == b'=');
    (ok || encoded).then_some(s)
}

// ---------------------------------------------------------------------------------------------
// Base64, base32, hex (runs of an encoding alphabet, started at a word of the code shape).

/// Base64 (standard and URL-safe) value of a byte; 0xff: not in the alphabet.
static B64: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 26 {
        #[allow(clippy::indexing_slicing, reason = "i < 26")]
        {
            t[b'A' as usize + i] = i as u8;
            t[b'a' as usize + i] = 26 + i as u8;
        }
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        #[allow(clippy::indexing_slicing, reason = "d < 10")]
        {
            t[b'0' as usize + d] = 52 + d as u8;
        }
        d += 1;
    }
    #[allow(clippy::indexing_slicing, reason = "a byte indexes 256 entries")]
    {
        t[b'+' as usize] = 62;
        t[b'-' as usize] = 62;
        t[b'/' as usize] = 63;
        t[b'_' as usize] = 63;
    }
    t
};

fn is_b64(b: u8) -> bool {
    B64.get(usize::from(b)).is_some_and(|&v| v != 0xff)
}

/// Decodes base64 digits (no padding, no layout) into bytes; `None` when a byte is not one.
fn base64(digits: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(digits.len() * 3 / 4 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in digits {
        let v = *B64.get(usize::from(c))?;
        if v == 0xff {
            return None;
        }
        acc = (acc << 6 | u32::from(v)) & 0xff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Decodes base32 (RFC 4648, either case) digits into bytes.
fn base32(digits: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(digits.len() * 5 / 8 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in digits {
        let v = match c.to_ascii_uppercase() {
            u @ b'A'..=b'Z' => u - b'A',
            d @ b'2'..=b'7' => d - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5 | u32::from(v)) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn hex(digits: &[u8]) -> Option<Vec<u8>> {
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|p| match p {
            [a, b] => Some(hex_val(*a)? << 4 | hex_val(*b)?),
            _ => None,
        })
        .collect()
}

/// The run of an encoding's alphabet around byte `at` (not before `floor`): base64 digits,
/// then `=` padding; a run that fills its line (40 bytes or more) continues on the next line
/// (wrapped base64, PEM). Returns the run's bounds and its digits without layout or padding.
fn alphabet_run(bytes: &[u8], at: usize, floor: usize) -> (usize, usize, Vec<u8>) {
    let mut start = at;
    while start > floor && bytes.get(start - 1).is_some_and(|&b| is_b64(b)) {
        start -= 1;
    }
    let mut digits = Vec::new();
    let mut i = start;
    let mut line = start;
    loop {
        while let Some(&b) = bytes.get(i).filter(|&&b| is_b64(b)) {
            if digits.len() < MAX_DECODED {
                digits.push(b);
            }
            i += 1;
        }
        let padded = bytes.get(i) == Some(&b'=');
        while bytes.get(i) == Some(&b'=') {
            i += 1;
        }
        if padded || i - line < 40 {
            break;
        }
        // A full line: does the run go on after the line break?
        let next = match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'\n'), _) => i + 1,
            (Some(b'\r'), Some(b'\n')) => i + 2,
            _ => break,
        };
        if !bytes.get(next).is_some_and(|&b| is_b64(b)) {
            break;
        }
        i = next;
        line = next;
    }
    (start, i, digits)
}

/// Decodes a run of an encoding alphabet: hex when it is all hex digits, base32 when it is all
/// base32 digits (upper case), else base64; the first decoding that gives text.
fn decode_run(digits: &[u8]) -> Option<(How, String)> {
    if digits.len() < MIN_RUN {
        return None;
    }
    if digits.iter().all(u8::is_ascii_hexdigit) {
        return hex(digits)
            .and_then(as_text)
            .map(|t| (How::Hex, t))
            .or_else(|| base64_text(digits));
    }
    if digits
        .iter()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b))
    {
        if let Some(t) = base32(digits).and_then(as_text) {
            return Some((How::Base32, t));
        }
    }
    base64_text(digits)
}

fn base64_text(digits: &[u8]) -> Option<(How, String)> {
    // A run whose length leaves 1 digit over has a stray byte at one end.
    let d = if digits.len() % 4 == 1 {
        digits.get(..digits.len() - 1).unwrap_or_default()
    } else {
        digits
    };
    base64(d).and_then(as_text).map(|t| (How::Base64, t))
}

// ---------------------------------------------------------------------------------------------
// Numbers: binary octets, decimal character codes, spaced hex bytes.

/// Groups of digits separated by one space, comma or colon (a comma may have a space after
/// it), starting at `at`: decoded when there are eight or more and all are binary octets,
/// decimal character codes (32–126, or layout) or two-digit hex bytes. Returns the end of the
/// groups looked at and the decoding.
fn number_groups(bytes: &[u8], at: usize) -> (usize, Option<(How, String)>) {
    let mut i = at;
    let (mut n, mut bin, mut dec, mut hx) = (0usize, true, true, true);
    let mut out_bin = Vec::new();
    let mut out_dec = Vec::new();
    let mut out_hex = Vec::new();
    loop {
        let g = i;
        while bytes.get(i).is_some_and(u8::is_ascii_hexdigit) && i - g < 9 {
            i += 1;
        }
        let group = bytes.get(g..i).unwrap_or_default();
        if group.is_empty() || bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            break;
        }
        n += 1;
        let all_dec = group.iter().all(u8::is_ascii_digit);
        bin = bin && group.len() == 8 && group.iter().all(|&b| b == b'0' || b == b'1');
        if bin {
            out_bin.push(group.iter().fold(0u8, |a, &b| a << 1 | (b - b'0')));
        }
        let v = if all_dec && group.len() <= 3 {
            group
                .iter()
                .fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'))
        } else {
            0
        };
        dec = dec && (32..=126).contains(&v) || dec && matches!(v, 9 | 10 | 13) && all_dec;
        if dec {
            out_dec.push(v as u8);
        }
        hx = hx && group.len() == 2;
        if hx {
            if let Some(b) = hex(group).and_then(|v| v.first().copied()) {
                out_hex.push(b);
            }
        }
        if !(bin || dec || hx) || n * 2 > MAX_DECODED {
            break;
        }
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b' ' | b':'), Some(n)) if n.is_ascii_hexdigit() => i += 1,
            (Some(b','), Some(b' ')) if bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit) => {
                i += 2;
            }
            (Some(b','), Some(n)) if n.is_ascii_hexdigit() => i += 1,
            _ => break,
        }
    }
    if n < 8 {
        return (i, None);
    }
    let found = if bin {
        as_text(out_bin).map(|t| (How::Binary, t))
    } else if dec {
        as_text(out_dec).map(|t| (How::Decimal, t))
    } else if hx {
        as_text(out_hex).map(|t| (How::Hex, t))
    } else {
        None
    };
    (i, found)
}

// ---------------------------------------------------------------------------------------------
// Escapes: %XX, \uXXXX, \xNN, &#NN; / &#xHH;

/// The escape at `i` (its length and what it stands for), if there is one.
enum Esc {
    Byte(u8),
    Char(char),
    /// A UTF-16 high surrogate (`\uD83D`), to be paired with the next escape.
    High(u16),
}

fn escape_at(bytes: &[u8], i: usize) -> Option<(How, usize, Esc)> {
    let hexn = |from: usize, n: usize| -> Option<u32> {
        let mut v = 0u32;
        for k in 0..n {
            v = v << 4 | u32::from(hex_val(*bytes.get(from + k)?)?);
        }
        Some(v)
    };
    match bytes.get(i)? {
        b'%' => Some((How::Percent, 3, Esc::Byte(hexn(i + 1, 2)? as u8))),
        b'\\' => match bytes.get(i + 1)? {
            b'u' => {
                let v = hexn(i + 2, 4)?;
                let e = if (0xd800..0xdc00).contains(&v) {
                    Esc::High(v as u16)
                } else {
                    Esc::Char(char::from_u32(v).unwrap_or('\u{fffd}'))
                };
                Some((How::Escapes, 6, e))
            }
            b'x' => Some((How::Escapes, 4, Esc::Byte(hexn(i + 2, 2)? as u8))),
            _ => None,
        },
        b'&' => {
            if bytes.get(i + 1) != Some(&b'#') {
                return None;
            }
            let (radix, from) = if matches!(bytes.get(i + 2), Some(b'x' | b'X')) {
                (16, i + 3)
            } else {
                (10, i + 2)
            };
            let mut j = from;
            let mut v = 0u32;
            while let Some(&b) = bytes.get(j) {
                let d = if radix == 16 {
                    hex_val(b)
                } else {
                    b.is_ascii_digit().then(|| b - b'0')
                };
                let Some(d) = d else { break };
                v = v.saturating_mul(radix).saturating_add(u32::from(d));
                j += 1;
                if j - from > 7 {
                    return None;
                }
            }
            if j == from || bytes.get(j) != Some(&b';') {
                return None;
            }
            let c = char::from_u32(v).unwrap_or('\u{fffd}');
            Some((How::Entities, j + 1 - i, Esc::Char(c)))
        }
        _ => None,
    }
}

/// A stretch of escapes of one kind starting at `at` (plain text between them up to 24
/// bytes): decoded when there are four or more and they are a quarter of its bytes or more
/// (percent-encoded words, `\u`-escaped letters; not an HTML page with some `&#39;`).
/// Returns the end of the stretch and the decoding.
fn escape_run(bytes: &[u8], at: usize) -> (usize, Option<(How, String)>) {
    let Some((how, _, _)) = escape_at(bytes, at) else {
        return (at + 1, None);
    };
    // The stretch starts at the word the first escape is in ("Ignore%20all").
    let mut start = at;
    while start > 0
        && at - start < 24
        && bytes.get(start - 1).is_some_and(u8::is_ascii_alphanumeric)
    {
        start -= 1;
    }
    let mut out: Vec<u8> = bytes.get(start..at).unwrap_or_default().to_vec();
    let (mut i, mut count, mut esc_bytes, mut end) = (at, 0usize, 0usize, at);
    let mut plain_since = 0usize;
    let mut high: Option<u16> = None;
    while i < bytes.len() && out.len() < MAX_DECODED {
        match escape_at(bytes, i) {
            Some((h, len, e)) if h == how => {
                match e {
                    Esc::Byte(b) => out.push(b),
                    Esc::Char(c) => {
                        let c = match (high.take(), u32::from(c)) {
                            (Some(hi), lo @ 0xdc00..=0xdfff) => char::from_u32(
                                0x10000 + ((u32::from(hi) - 0xd800) << 10) + (lo - 0xdc00),
                            )
                            .unwrap_or('\u{fffd}'),
                            _ => c,
                        };
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    Esc::High(h) => high = Some(h),
                }
                count += 1;
                esc_bytes += len;
                i += len;
                end = i;
                plain_since = 0;
            }
            _ => {
                let Some(&b) = bytes.get(i) else { break };
                plain_since += 1;
                if plain_since > 24 || b == b'\n' && how != How::Escapes {
                    break;
                }
                out.push(b);
                i += 1;
            }
        }
    }
    // Plain words right after the last escape belong to the text ("…%20now.").
    let mut tail = end;
    while bytes
        .get(tail)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.')
        && tail - end < 24
    {
        tail += 1;
    }
    out.truncate(out.len().saturating_sub(i - end));
    out.extend_from_slice(bytes.get(end..tail).unwrap_or_default());
    if count < 4 || esc_bytes * 4 < tail - start {
        return (end.max(at + 1), None);
    }
    let text = match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    (end, as_text(text.into_bytes()).map(|t| (how, t)))
}

// ---------------------------------------------------------------------------------------------
// Morse.

const MORSE: [(&[u8], u8); 36] = [
    (b".-", b'a'),
    (b"-...", b'b'),
    (b"-.-.", b'c'),
    (b"-..", b'd'),
    (b".", b'e'),
    (b"..-.", b'f'),
    (b"--.", b'g'),
    (b"....", b'h'),
    (b"..", b'i'),
    (b".---", b'j'),
    (b"-.-", b'k'),
    (b".-..", b'l'),
    (b"--", b'm'),
    (b"-.", b'n'),
    (b"---", b'o'),
    (b".--.", b'p'),
    (b"--.-", b'q'),
    (b".-.", b'r'),
    (b"...", b's'),
    (b"-", b't'),
    (b"..-", b'u'),
    (b"...-", b'v'),
    (b".--", b'w'),
    (b"-..-", b'x'),
    (b"-.--", b'y'),
    (b"--..", b'z'),
    (b"-----", b'0'),
    (b".----", b'1'),
    (b"..---", b'2'),
    (b"...--", b'3'),
    (b"....-", b'4'),
    (b".....", b'5'),
    (b"-....", b'6'),
    (b"--...", b'7'),
    (b"---..", b'8'),
    (b"----.", b'9'),
];

/// Morse code in `bytes[from..to]` (letters separated by spaces, words by ` / `, `|` or two
/// spaces): decoded when there are twelve letters or more.
fn morse(bytes: &[u8], from: usize, to: usize) -> Option<String> {
    let region = bytes.get(from..to)?;
    // Morse starts after a space or a line break (not at the full stop of a sentence).
    let first = (0..region.len()).find(|&i| {
        matches!(region.get(i), Some(b'.' | b'-'))
            && (from + i == 0
                || bytes
                    .get(from + i - 1)
                    .is_some_and(|b| !b.is_ascii_alphanumeric() && !matches!(b, b'.' | b'-')))
    })?;
    let mut out = Vec::new();
    let mut letters = 0usize;
    let mut gaps = 0usize;
    for piece in region.get(first..)?.split(|&b| b == b' ') {
        // Anything else (a line break, a quote) ends the Morse, after the letter before it.
        let (piece, last) = match piece.iter().position(|b| !b".-/|".contains(b)) {
            Some(k) => (piece.get(..k).unwrap_or_default(), true),
            None => (piece, false),
        };
        if last && piece.is_empty() {
            break;
        }
        match piece {
            [] => gaps += 1,
            b"/" | b"|" => {
                out.push(b' ');
                gaps = 0;
            }
            _ => {
                if gaps > 0 {
                    out.push(b' ');
                    gaps = 0;
                }
                let trimmed = piece.strip_suffix(b"/").unwrap_or(piece);
                let Some(&(_, l)) = MORSE.iter().find(|(code, _)| *code == trimmed) else {
                    break;
                };
                out.push(l);
                letters += 1;
                if trimmed.len() < piece.len() {
                    out.push(b' ');
                }
            }
        }
        if last {
            break;
        }
    }
    if letters < 12 {
        return None;
    }
    as_text(out)
}

// ---------------------------------------------------------------------------------------------
// Whole-text transforms: ROT13/Caesar, backwards, leetspeak.

fn shift_letters(s: &str, k: u8) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' => char::from(b'a' + (c as u8 - b'a' + k) % 26),
            'A'..='Z' => char::from(b'A' + (c as u8 - b'A' + k) % 26),
            _ => c,
        })
        .collect()
}

/// The Caesar shift that makes `s` look most like English (letter frequencies), if it is
/// not 0.
fn best_shift(s: &str) -> Option<u8> {
    // English letter frequencies, per mille.
    const FREQ: [u32; 26] = [
        82, 15, 28, 43, 127, 22, 20, 61, 70, 2, 8, 40, 24, 67, 75, 19, 1, 60, 63, 91, 28, 10, 24,
        2, 20, 1,
    ];
    let mut hist = [0u32; 26];
    for b in s.bytes() {
        if b.is_ascii_alphabetic() {
            if let Some(h) = hist.get_mut(usize::from(b.to_ascii_lowercase() - b'a')) {
                *h += 1;
            }
        }
    }
    let score = |k: usize| -> u32 {
        (0..26)
            .map(|i| {
                hist.get(i).copied().unwrap_or(0) * FREQ.get((i + k) % 26).copied().unwrap_or(0)
            })
            .sum()
    };
    let best = (0..26).max_by_key(|&k| score(k)).unwrap_or(0);
    (best != 0 && score(best) > score(0) + score(0) / 4).then_some(best as u8)
}

fn reversed(s: &str) -> String {
    s.chars().rev().collect()
}

/// Leetspeak digits and symbols inside words read as the letters they imitate.
fn unleet(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let in_word = |j: Option<usize>| {
            j.and_then(|j| b.get(j))
                .is_some_and(u8::is_ascii_alphanumeric)
        };
        let word = in_word(i.checked_sub(1)) || in_word(Some(i + 1));
        let m = match c {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            '8' => 'b',
            '9' => 'g',
            _ => c,
        };
        out.push(if word { m } else { c });
    }
    out
}

/// A word of the code shape that reads like leetspeak: letters beyond a–f, and digits that
/// stand for letters (`pr3v10u5`, `1n57ruc710n5`), short.
fn leet_word(bytes: &[u8], at: usize) -> bool {
    let w: &[u8] = {
        let mut e = at;
        while bytes.get(e).is_some_and(u8::is_ascii_alphanumeric) && e - at <= 16 {
            e += 1;
        }
        bytes.get(at..e).unwrap_or_default()
    };
    let letters = w.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = w.len() - letters;
    // Not an API version (`v1beta1`, `v2alpha3`), and digits inside the word, between letters
    // (`pr3v10u5`, not `TA40`, `ipv4`).
    let version = matches!(w, [b'v' | b'V', d, ..] if d.is_ascii_digit());
    let first = w.iter().position(u8::is_ascii_alphabetic);
    let last = w.iter().rposition(u8::is_ascii_alphabetic);
    let inside = match (first, last) {
        (Some(f), Some(l)) => w
            .get(f..l)
            .unwrap_or_default()
            .iter()
            .any(u8::is_ascii_digit),
        _ => false,
    };
    !version
        && inside
        && w.len() <= 16
        && letters >= 2
        && digits >= 2
        && w.iter()
            .any(|b| b.to_ascii_lowercase() > b'f' && b.is_ascii_alphabetic())
        && w.iter()
            .all(|b| b.is_ascii_alphabetic() || b"013457".contains(b))
}

/// The bytes of the text around `from..to`, widened to line starts and ends, at most
/// [`MAX_REGION`] bytes, on character boundaries.
fn region(text: &str, from: usize, to: usize) -> &str {
    let b = text.as_bytes();
    let mut s = from.min(b.len());
    while s > 0 && from - s < MAX_REGION / 4 && b.get(s - 1) != Some(&b'\n') {
        s -= 1;
    }
    let mut e = to.min(b.len());
    while e < b.len() && e - s < MAX_REGION && b.get(e) != Some(&b'\n') {
        e += 1;
    }
    while s < e && !text.is_char_boundary(s) {
        s += 1;
    }
    while e > s && !text.is_char_boundary(e) {
        e -= 1;
    }
    text.get(s..e).unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// Finding the segments.

/// What [`hidden`] learns from one pass over the words.
struct Evidence {
    /// Byte offsets of words of the code shape (base64, base32, hex, leetspeak candidates).
    code: Vec<usize>,
    /// Byte offsets of number words that start a run of five or more numbers.
    numbers: Vec<usize>,
    /// Word indexes with a trigger kind.
    words: Vec<(usize, u8)>,
    rot: usize,
    rev: usize,
    /// An encoding's name or a decoding verb was seen.
    named: bool,
}

/// The end of the word that starts at `at`.
fn word_end(bytes: &[u8], at: usize) -> usize {
    let mut e = at;
    while bytes
        .get(e)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        e += 1;
    }
    e
}

fn evidence(text: &str, toks: &[Tok]) -> Evidence {
    let _ = text;
    let mut ev = Evidence {
        code: Vec::new(),
        numbers: Vec::new(),
        words: Vec::new(),
        rot: 0,
        rev: 0,
        named: false,
    };
    // Number words: their indexes (runs of them are looked at afterwards).
    let mut nums: Vec<u32> = Vec::new();
    let mut note = |i: usize, t: &Tok| {
        if t.shape & (shape::CODE | shape::LONG) != 0 {
            ev.code.push(t.start as usize);
        }
        if t.shape == shape::NUM {
            nums.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        let k = kind_of(t.hash);
        if k != 0 {
            ev.words.push((i, k));
            ev.named |= k & (K_ENC | K_DEC) != 0;
            ev.rot += usize::from(k & K_ROT != 0);
            ev.rev += usize::from(k & K_REV != 0);
        }
    };
    // The hot loop of the stage (every word of every external text), four words at a time:
    // per word a shift and two loads (its slot's kinds, its shape). A word of the code shape or
    // in a trigger word's slot, or a four whose first and last words are numbers (binary
    // octets, character codes: a run of seven or more always holds four aligned ones; `note`
    // then takes them when all four are), go to `note`.
    let quads = toks.chunks_exact(4);
    let rest = quads.remainder();
    for (q, quad) in quads.enumerate() {
        if let [a, b, c, d] = quad {
            let any = slot_kinds(a.hash)
                | slot_kinds(b.hash)
                | slot_kinds(c.hash)
                | slot_kinds(d.hash)
                | (a.shape | b.shape | c.shape | d.shape) & (shape::CODE | shape::LONG)
                | a.shape & d.shape & shape::NUM;
            if any != 0 {
                let all_num = a.shape & b.shape & c.shape & d.shape & shape::NUM != 0;
                for (k, t) in quad.iter().enumerate() {
                    if slot_kinds(t.hash) | t.shape & (shape::CODE | shape::LONG) != 0 || all_num {
                        note(q * 4 + k, t);
                    }
                }
            }
        }
    }
    let done = toks.len() - rest.len();
    for (k, t) in rest.iter().enumerate() {
        note(done + k, t);
    }
    // Runs of numbers (from four in a row on, widened back over the numbers before them):
    // where binary octets and character codes may be.
    let mut n = 0;
    while let Some(&first) = nums.get(n) {
        let mut m = n + 1;
        while nums
            .get(m)
            .is_some_and(|&x| Some(x) == nums.get(m - 1).map(|p| p + 1))
        {
            m += 1;
        }
        if m - n >= 4 {
            let mut from = first as usize;
            while from > 0 && toks.get(from - 1).is_some_and(|t| t.shape == shape::NUM) {
                from -= 1;
            }
            let to = nums.get(m - 1).map_or(from, |&x| x as usize);
            for t in toks.get(from..=to).unwrap_or_default() {
                ev.numbers.push(t.start as usize);
            }
        }
        n = m;
    }
    ev
}

/// The hidden segments of `text` (decoded; not yet judged), within `budget`.
pub(crate) fn segments(text: &str, tokens: &Tokens, budget: &mut Budget) -> Vec<Segment> {
    let ev = evidence(text, &tokens.toks);
    segments_with(text, tokens, &ev, budget)
}

fn segments_with(text: &str, tokens: &Tokens, ev: &Evidence, budget: &mut Budget) -> Vec<Segment> {
    let bytes = text.as_bytes();
    let mut out: Vec<Segment> = Vec::new();
    let mut push = |out: &mut Vec<Segment>, how: How, at: usize, t: String| {
        if budget.take(t.len()) {
            out.push(Segment { how, at, text: t });
        }
    };
    // Base64, base32, hex runs.
    let mut done = 0usize;
    let mut leet = Vec::new();
    for &at in &ev.code {
        if at < done {
            continue;
        }
        let (s, e, digits) = alphabet_run(bytes, at, done);
        done = e.max(at + 1);
        if let Some((how, t)) = decode_run(&digits) {
            push(&mut out, how, s, t);
        } else if leet_word(bytes, at) {
            leet.push(at);
        }
    }
    // Binary octets, character codes, spaced hex bytes.
    let mut done = 0usize;
    for &at in &ev.numbers {
        if at < done {
            continue;
        }
        // Groups of hex digits before the first number word (`49 67 6E 6F 72 …`).
        let mut at = at;
        while at >= 2 && at - 2 >= done {
            let (Some(sep), Some(prev)) = (bytes.get(at - 1), bytes.get(at - 2)) else {
                break;
            };
            if !matches!(sep, b' ' | b',' | b':') || !prev.is_ascii_hexdigit() {
                break;
            }
            let mut g = at - 2;
            while g > done && at - 1 - g < 8 && bytes.get(g - 1).is_some_and(u8::is_ascii_hexdigit)
            {
                g -= 1;
            }
            if g > 0 && bytes.get(g - 1).is_some_and(u8::is_ascii_alphanumeric) {
                break;
            }
            at = g;
        }
        let (e, found) = number_groups(bytes, at);
        done = e;
        if let Some((how, t)) = found {
            push(&mut out, how, at, t);
        }
    }
    // Escapes.
    let mut done = 0usize;
    for at in memchr::memchr3_iter(b'%', b'\\', b'&', bytes) {
        if at < done {
            continue;
        }
        let (e, found) = escape_run(bytes, at);
        done = e;
        if let Some((how, t)) = found {
            push(&mut out, how, at, t);
        }
    }
    // Tag characters: invisible ASCII.
    if tokens.tags >= 4 {
        let mut cur = String::new();
        let mut first = None;
        for (i, c) in text.char_indices() {
            let v = u32::from(c);
            if (0xe0020..=0xe007e).contains(&v) {
                first.get_or_insert(i);
                cur.push(char::from((v - 0xe0000) as u8));
            } else if !cur.is_empty() && !super::scan::is_invisible(c) {
                cur.push('\n');
            }
        }
        if let Some(at) = first {
            // Kept as it is: whatever tag characters say is hidden on purpose.
            push(&mut out, How::Tags, at, cur.trim_end().to_string());
        }
    }
    // Morse: a run of dots, dashes, spaces and slashes around a `.-` (in nearly every
    // Morse message: a, j, l, p, r, w, 1, 2).
    // Only where an encoding is named or a decoding verb used ("interpret this morse", "decode
    // the following"), or in a text that is mostly not words: a page with dashes and dots is
    // common, Morse inside a page with no word about it is not.
    let mut done = 0usize;
    let sparse = bytes.len() >= 10 * tokens.toks.len() + 40;
    let morse_text = if ev.named || sparse { bytes } else { &[] };
    for at in memchr::memmem::find_iter(morse_text, b".-") {
        if at < done {
            continue;
        }
        let morse_byte = |b: &u8| matches!(b, b'.' | b'-' | b' ' | b'/' | b'|');
        let mut s = at;
        while s > 0 && bytes.get(s - 1).is_some_and(morse_byte) {
            s -= 1;
        }
        let mut e = at;
        while bytes.get(e).is_some_and(morse_byte) {
            e += 1;
        }
        done = e;
        if e - s >= 24 {
            if let Some(t) = morse(bytes, s, e) {
                push(&mut out, How::Morse, s, t);
            }
        }
    }
    // Whole-text transforms, where the words say so: ROT13 words, backwards words, an order to
    // read it backwards / in ROT13 / as leetspeak, leetspeak words.
    let toks = &tokens.toks;
    let span_of = |k: u8| -> Option<(usize, usize)> {
        let mut it = ev
            .words
            .iter()
            .filter(|w| w.1 & k != 0)
            .filter_map(|w| toks.get(w.0));
        let first = it.next()?.start as usize;
        let last = it.next_back().map_or(first, |t| t.start as usize);
        Some((first, last))
    };
    let mut xform = |out: &mut Vec<Segment>, how: How, from: usize, to: usize, rot13: bool| {
        let r = region(text, from, to);
        let t = match how {
            // ROT13 words found: shift 13 (the whole line: plain words around become noise).
            How::Rot if rot13 => Some(shift_letters(r, 13)),
            How::Rot => best_shift(r).map(|k| shift_letters(r, k)),
            How::Reversed => Some(reversed(r)),
            How::Leet => Some(unleet(r)),
            _ => None,
        };
        if let Some(t) = t {
            push(out, how, from, t);
        }
    };
    if ev.rot >= 3 {
        if let Some((a, b)) = span_of(K_ROT) {
            xform(&mut out, How::Rot, a, b, true);
        }
    }
    if ev.rev >= 3 {
        if let Some((a, b)) = span_of(K_REV) {
            xform(&mut out, How::Reversed, a, b, false);
        }
    }
    // Two leetspeak words close together (within 300 bytes): identifiers with digits in
    // documentation (`x86_64`, `a1b2c3d4`) are rarely that close and that leet-like.
    let close = leet
        .windows(2)
        .find(|w| matches!(w, [a, b] if b - a <= 300))
        .and_then(|w| w.first().copied());
    if let Some(a) = close {
        let b = leet
            .iter()
            .copied()
            .filter(|&x| x >= a && x - a <= 600)
            .max()
            .unwrap_or(a);
        {
            xform(&mut out, How::Leet, a, b, false);
        }
    }
    // An encoding named next to a verb that decodes or obeys: the text after it.
    for &(i, k) in &ev.words {
        if k & K_XFORM == 0 || ev.rot >= 3 && ev.rev >= 3 {
            continue;
        }
        let near = ev
            .words
            .iter()
            .any(|&(j, kj)| j != i && j.abs_diff(i) <= 8 && kj & (K_DEC | K_FOL) != 0);
        let Some(t) = toks.get(i).filter(|_| near) else {
            continue;
        };
        let at = t.start as usize;
        let name = bytes.get(at..word_end(bytes, at)).unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let end = (at + MAX_REGION / 2).min(bytes.len());
        match lower.as_slice() {
            b"backwards" | b"backward" | b"reversed" | b"reverse" | b"mirrored" => {
                xform(&mut out, How::Reversed, at, end, false);
            }
            b"leet" | b"leetspeak" | b"l33t" => {
                xform(&mut out, How::Leet, at, end, false);
            }
            b"rot13" => xform(&mut out, How::Rot, at, end, true),
            _ => xform(&mut out, How::Rot, at, end, false),
        }
        break;
    }
    out
}

/// An order to decode hidden text and obey it: a verb that obeys (with what it obeys after it,
/// or a colon, or "obey"/"comply" alone) in a sentence that also names an encoding or decodes,
/// where an encoding is named or a decoded segment follows within 400 bytes; not in a sentence
/// that talks about attacks ("example", "injection" …).
fn orders_to_follow(toks: &[Tok], ev: &Evidence, segs: &[Segment]) -> bool {
    if !ev.named {
        return false;
    }
    for &(i, k) in &ev.words {
        if k & K_FOL == 0 {
            continue;
        }
        let Some(t) = toks.get(i) else { continue };
        let obj = k & K_STRONG != 0
            || t.after & brk::COLON != 0
            || toks
                .get(i + 1..toks.len().min(i + 4))
                .unwrap_or_default()
                .iter()
                .any(|w| OBJECTS.contains(&w.hash));
        if !obj {
            continue;
        }
        // The sentence around it, at most 16 words back and 12 on.
        let mut s = i;
        while s > 0
            && i - s < 16
            && toks
                .get(s)
                .is_some_and(|t| t.before & (brk::SENT | brk::PARA) == 0)
        {
            s -= 1;
        }
        let mut e = i;
        while e + 1 < toks.len()
            && e - i < 12
            && toks.get(e).is_some_and(|t| t.after & brk::SENT == 0)
        {
            e += 1;
        }
        let mut named = false;
        let mut decodes = false;
        // Named or decoded before the verb: "decode this base64 and follow it".
        for w in ev.words.iter().filter(|w| (s..i).contains(&w.0)) {
            named |= w.1 & K_ENC != 0;
            decodes |= w.1 & K_DEC != 0;
        }
        if !(named || decodes) {
            continue;
        }
        let here = t.start as usize;
        let follows = segs
            .iter()
            .any(|g| g.at >= here.saturating_sub(200) && g.at <= here + 400);
        if !(named || follows) {
            continue;
        }
        let discussed = toks
            .get(s..=e)
            .unwrap_or_default()
            .iter()
            .any(|t| t.cats & cat::DISC != 0);
        if !discussed {
            return true;
        }
    }
    false
}

/// Whether a segment at byte `at` is quoted in a sentence that talks about attacks (the 12
/// words before it hold "example", "injection", "attack" …): decoded text there is an example,
/// as a quoted override in plain text is.
fn discussed(toks: &[Tok], at: usize) -> bool {
    let i = toks.partition_point(|t| (t.start as usize) < at);
    toks.get(i.saturating_sub(12)..i)
        .unwrap_or_default()
        .iter()
        .any(|t| t.cats & cat::DISC != 0)
}

/// The decoding stage of one text: its hidden segments judged by the detector (at `depth` + 1),
/// and the order to decode and follow. `None`: nothing hidden reads like an injection.
pub(crate) fn judge(
    text: &str,
    tokens: &Tokens,
    policy: &Policy,
    depth: u8,
    budget: &mut Budget,
) -> Option<Assessment> {
    let ev = evidence(text, &tokens.toks);
    let segs = segments_with(text, tokens, &ev, budget);
    let mut best: Option<Assessment> = None;
    for seg in &segs {
        if discussed(&tokens.toks, seg.at) {
            continue;
        }
        let inner = super::assess_depth(&seg.text, policy, depth + 1, budget);
        if inner.flagged && best.as_ref().is_none_or(|b| inner.score > b.score) {
            let mut signals = vec![seg.how.reason()];
            signals.extend(inner.signals.iter().filter(|s| !s.ends_with("to the AI")));
            best = Some(Assessment { signals, ..inner });
        }
    }
    if let Some(b) = best {
        return Some(b);
    }
    orders_to_follow(&tokens.toks, &ev, &segs).then(|| Assessment {
        score: 1.0,
        model_score: None,
        flagged: true,
        signals: vec![FOLLOW_REASON],
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests;
