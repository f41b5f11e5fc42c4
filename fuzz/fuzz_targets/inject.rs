//! The prompt-injection detector: any text → signal names, never a crash; the verdict does not
//! depend on ASCII case (words are lowercased, markers matched without case), and no
//! structural signal is lost when other lines surround the text (the signals are local). The
//! verdict itself may change with surrounding text: the statistical model scores windows of
//! words, and other words in the window move its score. The decoding stage (text hidden in
//! base64, hex, escapes, Morse, ROT13 …) runs on every input too and stays within its limits.
#![no_main]

use blastwall::inject;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Case: without the decoding stage (base64 and the like are not case-blind).
    let plain = inject::Policy {
        decode: false,
        ..inject::Policy::SHIPPED
    };
    let found = inject::assess_with(text, &plain).signals;
    let upper = inject::assess_with(&text.to_ascii_uppercase(), &plain).signals;
    assert_eq!(found, upper, "ASCII case changed the signals of {text:?}");
    // The decoding stage: never a crash, and within its limits (32 KiB per scanned part, at
    // most two parts).
    let _ = inject::signals(text);
    let decoded: usize = inject::decoded(text).iter().map(|d| d.1.len()).sum();
    assert!(decoded <= 2 * 32 * 1024, "{decoded} bytes decoded from {text:?}");
    let structural = inject::structural(text);
    let framed = inject::structural(&format!("Page header.\n{text}\nPage footer."));
    for s in &structural {
        assert!(
            framed.contains(s),
            "{s:?} lost when {text:?} is framed by other lines"
        );
    }
});
