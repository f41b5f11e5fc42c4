//! Bash command analysis: turns a `command` string into every command bash would run.
//! (Being written; see the module owner's commit.)
