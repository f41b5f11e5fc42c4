//! The prompt-injection detector: any text → signal names, never a crash; the verdict does not
//! depend on ASCII case (words are lowercased, markers matched without case), and no
//! structural signal is lost when other lines surround the text (the signals are local). The
//! verdict itself may change with surrounding text: the statistical model scores windows of
//! words, and other words in the window move its score.
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
    let structural = inject::structural(text);
    let framed = inject::structural(&format!("Page header.\n{text}\nPage footer."));
    for s in &structural {
        assert!(
            framed.contains(s),
            "{s:?} lost when {text:?} is framed by other lines"
        );
    }
});
