//! The prompt-injection heuristics: any text → signal names, never a crash, and the answer
//! does not depend on what cannot change a match: ASCII case (the patterns are
//! case-insensitive) or text around it on lines of its own (the patterns match anywhere).
#![no_main]

use blastwall::inject;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let found = inject::signals(text);
    let upper = inject::signals(&text.to_ascii_uppercase());
    assert_eq!(found, upper, "ASCII case changed the signals of {text:?}");
    let framed = inject::signals(&format!("Page header.\n{text}\nPage footer."));
    for s in &found {
        assert!(
            framed.contains(s),
            "{s:?} lost when {text:?} is framed by other lines"
        );
    }
});
