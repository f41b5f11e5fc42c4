//! Secret detection and redaction. (Being written; see the module owner's commit.)
