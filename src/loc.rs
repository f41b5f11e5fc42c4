//! Where a policy item was written ([`Loc`]), and how a location is stored in the
//! compiled-policy cache.
//!
//! What belongs here: the location type and its compact serialisation (a per-section table of
//! file names, active while `policy::rules` writes or reads a rule section). What does not:
//! what a location is used for (findings in `crate::decision`, rules in `crate::policy`).
//! This module imports nothing from the crate, so both may use it without a cycle.
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

/// Where a rule was written: a policy file (or the embedded default) and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: u32,
}

/// In the compiled-policy cache: the file and the line; inside a rule section the file is a
/// number into the section's table of file names (`policy::rules`), which keeps 10,000 rules
/// from repeating their file's path 10,000 times.
impl serde::Serialize for Loc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match file_number(&self.file) {
            Some(n) => serde::Serialize::serialize(&(n, self.line), s),
            None => serde::Serialize::serialize(&(&*self.file, self.line), s),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Loc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Loc, D::Error> {
        if file_numbers_in_use() {
            let (n, line): (u32, u32) = serde::Deserialize::deserialize(d)?;
            let file =
                file_named(n).ok_or_else(|| serde::de::Error::custom("unknown file number"))?;
            Ok(Loc { file, line })
        } else {
            let (file, line): (String, u32) = serde::Deserialize::deserialize(d)?;
            Ok(Loc {
                file: Arc::from(file),
                line,
            })
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

thread_local! {
    /// While a rule section is written or read on this thread: the file names its rules'
    /// locations refer to by number (see `Loc`'s serde impls above).
    static FILES: RefCell<Option<Vec<Arc<str>>>> = const { RefCell::new(None) };
}

/// The number of `file` in the active table (added if new); `None` when no section is being
/// written or read.
fn file_number(file: &Arc<str>) -> Option<u32> {
    FILES.with(|cell| {
        let mut table = cell.try_borrow_mut().ok()?;
        let table = table.as_mut()?;
        let n = match table.iter().position(|f| f == file) {
            Some(n) => n,
            None => {
                table.push(file.clone());
                table.len() - 1
            }
        };
        u32::try_from(n).ok()
    })
}

/// Whether a rule section is being read or written on this thread.
fn file_numbers_in_use() -> bool {
    FILES.with(|cell| cell.try_borrow().is_ok_and(|t| t.is_some()))
}

/// The file of number `n` in the active table.
fn file_named(n: u32) -> Option<Arc<str>> {
    FILES.with(|cell| {
        let table = cell.try_borrow().ok()?;
        table.as_ref()?.get(usize::try_from(n).ok()?).cloned()
    })
}

/// Run `f` with `files` as the active table; returns the table as `f` left it. The table is
/// cleared even if `f` unwinds.
pub(crate) fn with_files<T>(files: Vec<Arc<str>>, f: impl FnOnce() -> T) -> (T, Vec<Arc<str>>) {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            FILES.with(|cell| {
                if let Ok(mut t) = cell.try_borrow_mut() {
                    t.take();
                }
            });
        }
    }
    FILES.with(|cell| {
        if let Ok(mut t) = cell.try_borrow_mut() {
            *t = Some(files);
        }
    });
    let clear = Clear;
    let out = f();
    let files = FILES.with(|cell| {
        cell.try_borrow_mut()
            .ok()
            .and_then(|mut t| t.take())
            .unwrap_or_default()
    });
    drop(clear);
    (out, files)
}
