//! Checks that run on a regex candidate before it becomes a finding: entropy, placeholders,
//! code references, documented example values. They are what keeps `${DB_PASS}`, `xxxx`,
//! `settings.SECRET_KEY`, `AKIAIOSFODNN7EXAMPLE` and English words out of the results.

use super::rules::Check;

/// Shannon entropy of `s` in bits per byte (0 for an empty slice).
pub fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
    }
    #[allow(clippy::cast_precision_loss)] // lengths far below 2^52
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// A run of one repeated byte: `xxxx`, `****`, `aaaaaa`. Filler, not key material. `x`, `X`,
/// `*`, `#`, `.` count from 4, other letters and symbols from 6 (a random 40-character base62
/// key holds a run of 6 with odds around one in 10^8). Digits do not count: numeric parts of
/// tokens are ids (`xoxa-2-511111111-…`), and an all-zero filler fails the entropy gate.
pub(crate) fn has_filler_run(s: &[u8]) -> bool {
    let mut prev = None;
    let mut run = 0usize;
    for &b in s {
        if Some(b) == prev {
            run += 1;
        } else {
            prev = Some(b);
            run = 1;
        }
        let limit = match b {
            b'x' | b'X' | b'*' | b'#' | b'.' => 4,
            b'0'..=b'9' => usize::MAX,
            _ => 6,
        };
        if run >= limit {
            return true;
        }
    }
    false
}

/// A run of six letters each one above the last (`abcdef`, `UVWXYZ`): the mark of a
/// hand-typed example such as `AIzaSyabcdefghijklmnopqrstuvwxyz1234567`. Only short formats
/// are checked: in a long token a run is as likely to be luck as typing, and a miss costs
/// more than a redacted fake. Digit runs do not count (ids are often sequential).
pub(crate) fn has_counting_run(s: &[u8]) -> bool {
    if s.len() >= 50 {
        return false;
    }
    let mut run = 1usize;
    for w in s.windows(2) {
        if let [a, b] = w {
            if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() && b.wrapping_sub(*a) == 1 {
                run += 1;
                if run >= 6 {
                    return true;
                }
                continue;
            }
        }
        run = 1;
    }
    false
}

/// `len` digits each one above the last (`12345678`).
fn has_digit_count_run(s: &[u8], len: usize) -> bool {
    let mut run = 1usize;
    for w in s.windows(2) {
        if let [a, b] = w {
            if a.is_ascii_digit() && b.is_ascii_digit() && b.wrapping_sub(*a) == 1 {
                run += 1;
                if run >= len {
                    return true;
                }
                continue;
            }
        }
        run = 1;
    }
    false
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Template and variable syntax, and the words people put where a secret goes.
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    if let [first, rest @ ..] = v {
        if symbol_led_placeholder(*first, rest) {
            return true;
        }
    }
    const MARKERS: &[&[u8]] = &[
        b"${",
        b"{{",
        b"}}",
        b"$(",
        b"%(",
        b"<%",
        b"%>",
        b"...",
        b"\xe2\x80\xa6",
    ];
    if MARKERS.iter().any(|m| v.windows(m.len()).any(|w| w == *m)) {
        return true;
    }
    const WORDS: &[&[u8]] = &[
        b"example",
        b"placeholder",
        b"your",
        b"changeme",
        b"change_me",
        b"change-me",
        b"dummy",
        b"redacted",
        b"sample",
        b"replace",
        b"insert",
        b"xxxx",
        b"foobar",
        b"fake",
        b"notasecret",
        b"not_a_secret",
        b"not-a-secret",
    ];
    WORDS.iter().any(|w| contains_ci(v, w))
}

/// A value that starts with a symbol is a reference or a template only when the rest says so:
/// `${VAR}`, `$NAME`, `%APPDATA%`, `%(name)s`, `{value}`, `<your-token>`, `[secret]`,
/// `#{interp}`, a YAML alias, anchor or tag (`*db_pass`, `&default`, `!Ref`), a Ruby symbol or
/// an annotation (`:password`, `@Value`): a word after the symbol. Generated passwords start
/// with symbols too (`!7V5q…`, `@cKy9…`, `#Tz4…`, `*NVc…`): those stay secrets.
fn symbol_led_placeholder(first: u8, rest: &[u8]) -> bool {
    let identifier = rest
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && rest
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b':'));
    // `!fN1FiwEPoFud1SbKF6` holds word-like pieces by chance: generated, not a name.
    let word = identifier && is_wordy_identifier(rest) && !looks_generated(rest);
    match first {
        b'$' => {
            let mut with = vec![first];
            with.extend_from_slice(rest);
            matches!(rest.first(), Some(b'{' | b'(')) || has_variable(&with) || word
        }
        b'%' => matches!(rest.first(), Some(b'(')) || rest.ends_with(b"%") || word,
        b'{' => rest.contains(&b'}'),
        b'<' => rest.contains(&b'>'),
        b'[' => rest.contains(&b']'),
        b'#' => rest.first() == Some(&b'{') || word,
        b'*' | b'@' | b'&' | b'!' | b':' => rest.is_empty() || word,
        _ => false,
    }
}

/// Well-known non-passwords in URLs, `curl -u`, headers.
fn is_dummy_word(v: &[u8]) -> bool {
    const DUMMY: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"pass",
        b"pwd",
        b"secret",
        b"token",
        b"apikey",
        b"api_key",
        b"changeme",
        b"user",
        b"username",
        b"test",
        b"guest",
        b"admin",
        b"root",
        b"postgres",
        b"mysql",
        b"redis",
        b"example",
        b"foo",
        b"bar",
        b"demo",
        b"null",
        b"none",
        b"nil",
        b"undefined",
        b"true",
        b"false",
        b"anonymous",
        b"xyz",
        b"xyzzy",
        b"abc",
        b"hunter2",
        b"x-oauth-basic",
        b"x-access-token",
    ];
    DUMMY.iter().any(|d| v.eq_ignore_ascii_case(d))
}

fn strip_quotes(v: &[u8]) -> &[u8] {
    let mut v = v;
    while let [b'"' | b'\'', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b'"' | b'\''] = v {
        v = rest;
    }
    v
}

/// `{value}` written literally (API docs that wrap ids in braces); `{{x}}` and `${x}` stay
/// templates.
fn strip_braces(v: &[u8]) -> &[u8] {
    match v {
        [b'{', inner @ .., b'}'] if !inner.contains(&b'{') && !inner.contains(&b'}') => inner,
        _ => v,
    }
}

/// What a candidate is checked against, beyond the regex.
pub(crate) struct Candidate<'a> {
    /// The whole scanned text.
    pub(crate) text: &'a [u8],
    /// Where the regex match starts (for the generic rule: the credential word).
    pub(crate) match_start: usize,
    /// The secret span.
    pub(crate) secret: std::ops::Range<usize>,
}

impl Candidate<'_> {
    fn secret(&self) -> &[u8] {
        self.text.get(self.secret.clone()).unwrap_or_default()
    }
}

/// Runs the rule's check. Entropy has been checked by the caller.
pub(crate) fn check(check: Check, c: &Candidate<'_>, body: &[u8]) -> bool {
    let s = c.secret();
    match check {
        Check::Custom | Check::KubeData => true,
        Check::Format => !has_filler_run(body),
        Check::PrivateKey => key_body_ok(s),
        Check::Strict => !has_filler_run(body) && !has_counting_run(body),
        Check::Mixed => {
            // Two digits, or (8% of random base62 draws have fewer) a value no identifier
            // would be: not made of word-like pieces and nearly as varied as a random draw, or
            // with letter case drawn at random.
            let digits = body.iter().filter(|b| b.is_ascii_digit()).count();
            !has_filler_run(body)
                && !has_counting_run(body)
                && body.iter().any(u8::is_ascii_uppercase)
                && body.iter().any(u8::is_ascii_lowercase)
                && (digits >= 2
                    || (word_share(body) < 0.5 && shannon_entropy(body) >= 4.0)
                    || looks_generated(body))
        }
        Check::AwsKeyId => {
            !has_filler_run(body)
                && !has_counting_run(body)
                && !s.ends_with(b"EXAMPLE")
                && !s.ends_with(b"EXAMPLEKEY")
        }
        Check::Generic => generic_ok(c, s),
        Check::Password => {
            s.len() >= 6 && !is_placeholder(s) && !has_filler_run(s) && !is_dummy_word(s)
        }
        Check::UrlPassword => url_password_ok(c, s),
        Check::CurlUser => curl_user_ok(s),
        Check::AuthHeader => auth_header_ok(s),
    }
}

/// Key material has long runs (OpenSSH keys hold `AAAAAA` for zero bytes), so filler is told
/// apart by variety instead: a real base64 body uses well over ten distinct lowercase letters
/// and digits, which the BEGIN/END lines never contain; `xxxx…` or `...` bodies do not.
fn key_body_ok(s: &[u8]) -> bool {
    let mut seen = [false; 36];
    for &b in s {
        let i = match b {
            b'a'..=b'z' => usize::from(b - b'a'),
            b'0'..=b'9' => 26 + usize::from(b - b'0'),
            _ => continue,
        };
        if let Some(x) = seen.get_mut(i) {
            *x = true;
        }
    }
    seen.iter().filter(|&&x| x).count() >= 10
}

/// Name prefixes that turn a credential word into something public or structural:
/// `csrf_token`, `next_page_token`, `public_key`, `cancellation_token`, …
const NAME_STOP: &[&[u8]] = &[
    b"csrf",
    b"xsrf",
    b"page",
    b"next",
    b"continuation",
    b"cancel",
    b"cancellation",
    b"sync",
    b"public",
    b"publishable",
    b"pub",
    b"max",
    b"min",
    b"num",
    b"no",
    b"sort",
    b"cache",
    b"primary",
    b"foreign",
    b"partition",
    b"idempotency",
    b"cursor",
    b"lexer",
    b"parser",
    b"reset",
    b"forgot",
    b"show",
    b"hide",
    b"confirm",
    b"verify",
];

fn name_prefix(text: &[u8], word_start: usize) -> &[u8] {
    let mut i = word_start;
    let floor = word_start.saturating_sub(64);
    while i > floor {
        match text.get(i - 1) {
            Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') => i -= 1,
            _ => break,
        }
    }
    text.get(i..word_start).unwrap_or_default()
}

fn looks_like_code_reference(v: &[u8]) -> bool {
    // `settings.SECRET_KEY`, `var.db_password`, `self.token`, `process.env.TOKEN`, `Foo::BAR`.
    let ident = |p: &[u8]| {
        p.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    let dotted = v.contains(&b'.') && v.split(|b| *b == b'.').all(ident);
    let pathed = v.windows(2).any(|w| w == b"::");
    (dotted || pathed) && !looks_generated(v)
}

/// Share of a value's letters that sit in word-like pieces: split at `_`, `-`, `.`, digits and
/// lower→upper case changes, a piece of three or more letters with a vowel counts as a word.
/// `SslImportMasterKeyFn`, `_bindgen_ty_7`, `X509RequestInheritOptions` score high (type and
/// variable names); generated tokens like `Xk92hf8Q2mz` score low.
pub(crate) fn word_share(v: &[u8]) -> f64 {
    let mut letters = 0usize;
    let mut in_words = 0usize;
    let mut piece_len = 0usize;
    let mut piece_vowel = false;
    let mut prev_lower = false;
    let close = |len: usize, vowel: bool, in_words: &mut usize| {
        if len >= 3 && vowel {
            *in_words += len;
        }
    };
    for &b in v {
        if b.is_ascii_alphabetic() {
            letters += 1;
            if b.is_ascii_uppercase() && prev_lower {
                close(piece_len, piece_vowel, &mut in_words);
                piece_len = 0;
                piece_vowel = false;
            }
            piece_len += 1;
            piece_vowel |= matches!(
                b.to_ascii_lowercase(),
                b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
            );
            prev_lower = b.is_ascii_lowercase();
        } else {
            close(piece_len, piece_vowel, &mut in_words);
            piece_len = 0;
            piece_vowel = false;
            prev_lower = false;
        }
    }
    close(piece_len, piece_vowel, &mut in_words);
    if letters == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let share = in_words as f64 / letters as f64;
    share
}

/// An identifier made of words (`MI_UserCredentials_0`, `SpFormatCredentialsFn`): a name in
/// code or a type, not a value.
fn is_wordy_identifier(v: &[u8]) -> bool {
    // Also `scram-sha-256`, `kadmin/server`, vim's `s:netrw_passwd`: names, not values.
    let ident = v
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'/'));
    ident && word_share(v) >= 0.6
}

/// A random token that happens to hold word-like pieces (`ikwxs8hijCWjXCN0qkiULVLOD6…`):
/// 16 bytes or more, digits in at least two places, both cases, and nearly as many distinct
/// bytes as a random draw would give. Identifiers repeat their letters (`X509RequestOptions`).
fn looks_generated(v: &[u8]) -> bool {
    let digit_runs = v
        .split(|b| !b.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .count();
    #[allow(clippy::cast_precision_loss)]
    let ideal = (v.len().min(62) as f64).log2();
    let mixed = v.iter().any(u8::is_ascii_uppercase) && v.iter().any(u8::is_ascii_lowercase);
    let spread = shannon_entropy(v) >= 0.85 * ideal;
    (v.len() >= 16 && digit_runs >= 2 && mixed && spread)
        || (v.len() >= 10 && shannon_entropy(v) >= 0.8 * ideal && random_case_shape(v))
}

/// Letter case drawn at random rather than written by words: 30% or more of the letters
/// upper case (and 15% or more lower case), lower-case runs short (random: 2 on average;
/// the words of an identifier: 4 or more) and the case changing often. Digits and symbols are
/// skipped. `HDhjhyYyHIlz6zfSYpCUKXWuVgdaZ` is random; `getUserAccountSettingsV2` (a quarter
/// upper case, long lower runs) and `HTTPServerURLHandler` (long lower runs) are names.
fn random_case_shape(v: &[u8]) -> bool {
    let (mut upper, mut lower, mut changes, mut lower_runs) = (0usize, 0usize, 0usize, 0usize);
    let mut prev: Option<bool> = None; // the previous letter was lower case
    for &b in v.iter().filter(|b| b.is_ascii_alphabetic()) {
        let is_lower = b.is_ascii_lowercase();
        if is_lower {
            lower += 1;
            if prev != Some(true) {
                lower_runs += 1;
            }
        } else {
            upper += 1;
        }
        if prev.is_some_and(|p| p != is_lower) {
            changes += 1;
        }
        prev = Some(is_lower);
    }
    let letters = upper + lower;
    // Integer forms of: upper share ≥ 0.3, lower share ≥ 0.15, mean lower run ≤ 3.5.
    letters >= 8
        && changes >= 3
        && 10 * upper >= 3 * letters
        && 20 * lower >= 3 * letters
        && 2 * lower <= 7 * lower_runs
}

/// `$NAME`, `$name`, `${…}`, `$(…)` anywhere in the value: a shell, Perl or PHP variable.
/// A `$` before mixed-case letters (`…xC$utE`) is taken as part of a random password.
fn has_variable(v: &[u8]) -> bool {
    v.iter().enumerate().any(|(i, &b)| {
        if b != b'$' {
            return false;
        }
        let rest = v.get(i + 1..).unwrap_or_default();
        if matches!(rest.first(), Some(b'{' | b'(')) {
            return true;
        }
        let name: Vec<u8> = rest
            .iter()
            .copied()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
            .collect();
        let starts_alpha = name
            .first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_');
        let one_case =
            !name.iter().any(u8::is_ascii_lowercase) || !name.iter().any(u8::is_ascii_uppercase);
        starts_alpha && name.len() >= 3 && one_case
    })
}

fn generic_ok(c: &Candidate<'_>, v: &[u8]) -> bool {
    // `name:value` with no blank is a coordinate or a pair (`io.jsonwebtoken:jjwt-0.11`,
    // `user:pass`), not an assignment; YAML needs the blank, JSON quotes its values.
    if c.secret.start > 0 && c.text.get(c.secret.start - 1) == Some(&b':') {
        return false;
    }
    let prefix = name_prefix(c.text, c.match_start);
    let last_part = prefix
        .rsplit(|b| matches!(b, b'_' | b'-' | b'.'))
        .find(|p| !p.is_empty());
    let lower_prefix = prefix.to_ascii_lowercase();
    let stop_name = last_part.is_some_and(|p| NAME_STOP.iter().any(|s| p.eq_ignore_ascii_case(s)))
        || NAME_STOP
            .iter()
            .any(|s| s.len() >= 4 && lower_prefix.ends_with(s));
    if stop_name {
        return false;
    }
    let word = c.text.get(c.match_start..).unwrap_or_default();
    if word
        .get(..3)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"key"))
    {
        let qualifier = lower_prefix
            .strip_suffix(b"_")
            .or_else(|| lower_prefix.strip_suffix(b"-"))
            .unwrap_or(&lower_prefix);
        if !KEY_QUALIFIERS.iter().any(|q| qualifier.ends_with(q)) {
            return false;
        }
    }
    if is_placeholder(v) || has_filler_run(v) || has_counting_run(v) || is_dummy_word(v) {
        return false;
    }
    if has_variable(v) {
        return false;
    }
    // The quoted-pair form (`"API_TOKEN", "value"`) also matches lists of words
    // (`"md5", "password", "scram-sha-256"`): there the value must mix letters and digits.
    let before_quote = c
        .text
        .get(..c.secret.start.saturating_sub(1))
        .unwrap_or_default()
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\\'));
    let pair = before_quote == Some(&b',');
    if pair && !(v.iter().any(u8::is_ascii_digit) && v.iter().any(u8::is_ascii_alphabetic)) {
        return false;
    }
    if has_digit_count_run(v, 8) {
        return false; // `12345678…`: typed, not generated
    }
    // Paths: `/etc/x`, `./x`, `~/x`, `~user` (user names are lower case). A `~` before other
    // symbols or capitals starts a password; a `/` before base64 (`/KVS8…Oqy=`, generated or
    // padded) starts a key.
    let home_ref = v.strip_prefix(b"~").is_some_and(|rest| {
        rest.first() == Some(&b'/')
            || rest.iter().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'-' | b'.' | b'/')
            })
    });
    let rooted_path = v.first() == Some(&b'/') && !v.ends_with(b"=") && !looks_generated(v);
    if v.windows(3).any(|w| w == b"://") || rooted_path || home_ref || v.starts_with(b"./") {
        return false;
    }
    if looks_like_code_reference(v) {
        return false;
    }
    // A word-made identifier is a name or a type (`token: SpFormatCredentialsFn`), except a
    // quoted or `=`-assigned password with a digit: `DB_PASSWORD=Summer2024` is a password.
    let password_word = word
        .get(..4)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"pass"))
        || word
            .get(..3)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"pwd"));
    let before = c.secret.start.checked_sub(1).and_then(|i| c.text.get(i));
    let quoted = matches!(before, Some(b'"' | b'\'' | b'`'));
    let op_before = c
        .text
        .get(..c.secret.start)
        .unwrap_or_default()
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t' | b'"' | b'\'' | b'`' | b'\\'));
    let assigned = op_before == Some(&b'=');
    let exempt = password_word && !pair && v.iter().any(u8::is_ascii_digit) && (quoted || assigned);
    if !exempt && is_wordy_identifier(v) && !looks_generated(v) {
        return false;
    }
    // Entropy gate: 3 bits per byte, 2.7 for hex (16 symbols; a random 16-digit hex value
    // falls below 3 about one time in ten).
    let hex = v.iter().all(u8::is_ascii_hexdigit);
    if shannon_entropy(v) < if hex { 2.7 } else { 3.0 } {
        return false;
    }
    let has_digit = v.iter().any(u8::is_ascii_digit);
    let has_alpha = v.iter().any(u8::is_ascii_alphabetic);
    if !has_alpha {
        return false; // numbers, versions, dates
    }
    let identifier_like = v
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !has_digit && identifier_like {
        // Words and identifiers: `tokenValue`, `SECRET_NAME`, `authorization`. A random
        // letter-only token needs length and entropy to pass.
        let mixed = v.iter().any(u8::is_ascii_lowercase) && v.iter().any(u8::is_ascii_uppercase);
        let long_random = v.len() >= 20 && mixed && shannon_entropy(v) >= 3.8;
        if !(long_random || looks_generated(v)) {
            return false;
        }
    }
    // `SOME_CONSTANT_2`, `API_KEY_V2`: constant names, not values.
    if v.iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        && v.contains(&b'_')
    {
        return false;
    }
    // File names: `key.pem`, `secrets.json`.
    const EXT: &[&[u8]] = &[
        b".pem",
        b".key",
        b".txt",
        b".json",
        b".yaml",
        b".yml",
        b".p12",
        b".pfx",
        b".crt",
        b".env",
        b".jks",
        b".keystore",
        b".toml",
        b".cfg",
        b".conf",
        b".ini",
        b".gpg",
        b".asc",
    ];
    let lower = v.to_ascii_lowercase();
    if EXT.iter().any(|e| lower.ends_with(e)) {
        return false;
    }
    true
}

/// Credential qualifiers that make `key` a credential name: `api_key`, `secretKey`, ….
const KEY_QUALIFIERS: &[&[u8]] = &[
    b"api",
    b"secret",
    b"access",
    b"private",
    b"client",
    b"master",
    b"encryption",
    b"signing",
    b"app",
    b"account",
    b"storage",
    b"consumer",
    b"license",
    b"subscription",
];

fn url_password_ok(c: &Candidate<'_>, pass: &[u8]) -> bool {
    // A scheme must precede "://": a letter, then 1 to 20 of [A-Za-z0-9+.-].
    let scheme = {
        let mut i = c.match_start;
        while i > 0
            && c.text
                .get(i - 1)
                .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
            && c.match_start - i < 21
        {
            i -= 1;
        }
        c.text.get(i..c.match_start).unwrap_or_default()
    };
    if scheme.len() < 2 || scheme.len() > 21 || !scheme.first().is_some_and(u8::is_ascii_alphabetic)
    {
        return false;
    }
    if pass.len() > 128 || c.secret.start.saturating_sub(c.match_start) > 3 + 64 + 1 {
        return false; // not a userinfo field: too long
    }
    // Documentation hosts (RFC 2606 / 6761): `https://abc:xyz@example.com/` is an example.
    let host = c
        .text
        .get(c.secret.end + 1..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        .map(u8::to_ascii_lowercase)
        .collect::<Vec<u8>>();
    let doc_host = [b"example.com".as_slice(), b"example.org", b"example.net"]
        .iter()
        .any(|h| host == *h || host.ends_with(&[b".".as_slice(), h].concat()))
        || [b".example".as_slice(), b".test", b".invalid"]
            .iter()
            .any(|s| host.ends_with(s));
    // A generated password is a secret even there: samples of a documented format (and
    // configs copied from them) use documentation hosts with real-looking values.
    if doc_host && !looks_generated(pass) {
        return false;
    }
    // The user is between "://" and the ':' before the password.
    let before = c
        .text
        .get(c.match_start..c.secret.start)
        .unwrap_or_default();
    let user = before
        .windows(3)
        .rposition(|w| w == b"://")
        .and_then(|i| before.get(i + 3..before.len().saturating_sub(1)))
        .unwrap_or_default();
    if pass.is_empty() || is_placeholder(pass) || is_dummy_word(pass) || pass == user {
        return false;
    }
    if pass.iter().all(u8::is_ascii_digit) && pass.len() <= 5 {
        return false; // `host:8080@…` is a port, not a password
    }
    if has_filler_run(pass) || pass.len() < 3 {
        return false;
    }
    user.is_empty() || !is_placeholder(user)
}

fn curl_user_ok(s: &[u8]) -> bool {
    // `-u <user:password>`, `-u [user:pass]`: the whole pair is a placeholder.
    if is_placeholder(s) {
        return false;
    }
    let Some(colon) = s.iter().position(|b| *b == b':') else {
        return false;
    };
    let user = strip_braces(strip_quotes(s.get(..colon).unwrap_or_default()));
    let pass = strip_braces(strip_quotes(s.get(colon + 1..).unwrap_or_default()));
    let secret = if pass.is_empty() { user } else { pass };
    if secret.len() < 6 || is_placeholder(secret) || is_dummy_word(secret) {
        return false;
    }
    if pass.is_empty() && is_wordy_identifier(user) {
        return false; // `-u Authorization:` is not a key passed as the user
    }
    if is_placeholder(user) && !user.is_empty() {
        return false;
    }
    !has_filler_run(secret) && shannon_entropy(secret) >= 2.5
}

fn auth_header_ok(v: &[u8]) -> bool {
    if v.len() < 8 || is_placeholder(v) || has_filler_run(v) || is_dummy_word(v) {
        return false;
    }
    if (is_wordy_identifier(v) && !looks_generated(v))
        || looks_like_code_reference(v)
        || v.iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
    {
        return false; // `Authorization: WINBIO_PRESENCE_0,` is a struct field
    }
    let lower_only = v
        .iter()
        .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'-' | b'.'));
    !lower_only && shannon_entropy(v) >= 2.5
}
