//! The secret detector: any bytes → findings that are sorted, disjoint, in bounds and on char
//! boundaries, and a redaction that removes exactly those ranges.
#![no_main]

use blastwall::secrets;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let d = secrets::builtin();
    let fb = d.find_bytes(data);
    let mut end = 0;
    for f in &fb {
        assert!(f.range.start >= end && f.range.start < f.range.end && f.range.end <= data.len());
        end = f.range.end;
    }
    let (red, found) = d.redact_bytes(data);
    assert_eq!(found, fb);
    if fb.is_empty() {
        assert_eq!(&red[..], data);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let found = d.find(text);
    let mut end = 0;
    for f in &found {
        assert!(f.range.start >= end && f.range.start < f.range.end && f.range.end <= text.len());
        assert!(text.is_char_boundary(f.range.start) && text.is_char_boundary(f.range.end));
        let line = 1 + text.as_bytes()[..f.range.start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        assert_eq!(f.line, line);
        end = f.range.end;
    }
    let (red, again) = d.redact(text);
    assert_eq!(again, found);
    // Every byte outside the findings survives, in order, and every finding became its marker.
    let mut rebuilt = String::new();
    let mut at = 0;
    for f in &found {
        rebuilt.push_str(&text[at..f.range.start]);
        rebuilt.push_str(&format!("[REDACTED:{}]", f.rule_id));
        at = f.range.end;
    }
    rebuilt.push_str(&text[at..]);
    assert_eq!(red, rebuilt);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        let mut v = blastwall::input::Json::from(v);
        let _ = v.redact(d);
        let _ = serde_json::to_string(v.as_value()).unwrap();
    }
    let mut out = Vec::new();
    let n = secrets::scrub(d, data, &mut out).unwrap();
    if n == 0 {
        assert_eq!(out, data);
    }
});
