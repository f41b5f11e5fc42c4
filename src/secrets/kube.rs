//! Values of a Kubernetes `Secret` manifest (`kubectl get secret -o yaml|json`, a manifest
//! file): every entry under `data:` / `stringData:` is a secret whatever its key is called,
//! so the generic rule's credential names do not apply. The rule's regex finds a `data` block;
//! this module splits it into values and checks that the enclosing document is a `Secret`.

use std::ops::Range;

use super::validate::is_placeholder;

/// The YAML document (between `---` lines) or the whole text around `at`.
fn document(text: &[u8], at: usize) -> &[u8] {
    let before = text.get(..at).unwrap_or_default();
    let start = before
        .windows(4)
        .rposition(|w| w == b"\n---")
        .map_or(0, |i| i + 4);
    let after = text.get(at..).unwrap_or_default();
    let end = after
        .windows(4)
        .position(|w| w == b"\n---")
        .map_or(text.len(), |i| at + i);
    text.get(start..end).unwrap_or_default()
}

/// The document declares `kind: Secret` (YAML or JSON, quoted or not); `ExternalSecret`,
/// `SopsSecret`, `SealedSecret` and the like do not count.
pub(crate) fn in_secret_document(text: &[u8], at: usize) -> bool {
    let doc = document(text, at);
    doc.split(|&b| b == b'\n' || b == b',' || b == b'{')
        .any(|line| {
            let t: Vec<u8> = line
                .iter()
                .filter(|b| !matches!(b, b' ' | b'\t' | b'"' | b'\'' | b'\r' | b'}'))
                .map(u8::to_ascii_lowercase)
                .collect();
            t == b"kind:secret"
        })
}

/// Spans of the values in a `data:` block (`block` is the text after the `data:` key, in
/// `text` at `offset`). YAML: `key: value` lines indented under `data:`, block scalars (`|`,
/// `>`) included; JSON: `"key": "value"` pairs up to the closing brace.
pub(crate) fn values(text: &[u8], block: Range<usize>) -> Vec<Range<usize>> {
    let Some(b) = text.get(block.clone()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let json = b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{');
    if json {
        // "k": "v" pairs until the first '}'.
        let end = b.iter().position(|&c| c == b'}').unwrap_or(b.len());
        let body = b.get(..end).unwrap_or_default();
        let quotes: Vec<usize> = body
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == b'"')
            .map(|(i, _)| i)
            .collect();
        // Quote positions come in fours per pair: key open/close, value open/close.
        for q in quotes.chunks_exact(4) {
            if let [_, _, vo, vc] = q {
                push_value(text, block.start + vo + 1..block.start + vc, &mut out);
            }
        }
        return out;
    }
    let mut pos = block.start;
    let mut indent: Option<usize> = None;
    let mut scalar_indent: Option<usize> = None;
    for line in b.split_inclusive(|&c| c == b'\n') {
        let line_start = pos;
        pos += line.len();
        let content = line.trim_ascii_end();
        let lead = content
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        let rest = content.get(lead..).unwrap_or_default();
        if rest.is_empty() || rest.starts_with(b"#") {
            continue;
        }
        if let Some(si) = scalar_indent {
            if lead > si {
                push_value(
                    text,
                    line_start + lead..line_start + content.len(),
                    &mut out,
                );
                continue;
            }
            scalar_indent = None;
        }
        let ind = *indent.get_or_insert(lead);
        if lead < ind || lead == 0 {
            break; // the block is over
        }
        if lead > ind {
            continue;
        }
        let Some(colon) = rest.iter().position(|&c| c == b':') else {
            break;
        };
        let value = rest.get(colon + 1..).unwrap_or_default();
        let vlead = value
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        let v = value.get(vlead..).unwrap_or_default();
        if matches!(v.first(), Some(b'|' | b'>')) {
            scalar_indent = Some(lead);
            continue;
        }
        let vstart = line_start + lead + colon + 1 + vlead;
        let (s, e) = match v {
            [q @ (b'"' | b'\''), inner @ ..] => match inner.iter().position(|c| c == q) {
                Some(end) => (vstart + 1, vstart + 1 + end),
                None => continue,
            },
            _ => (vstart, vstart + v.len()),
        };
        push_value(text, s..e, &mut out);
    }
    out
}

fn push_value(text: &[u8], r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let Some(v) = text.get(r.clone()) else { return };
    // `YmFyCg==` ("bar\n") and shorter are not worth a finding; templates are not values.
    // Base64 of binary data has long `AAAA` runs, so filler is judged by variety instead.
    let mut seen = [false; 256];
    for &c in v {
        if let Some(s) = seen.get_mut(usize::from(c)) {
            *s = true;
        }
    }
    if v.len() < 10 || is_placeholder(v) || seen.iter().filter(|s| **s).count() < 5 {
        return;
    }
    out.push(r);
}
