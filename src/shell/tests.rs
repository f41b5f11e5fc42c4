//! Table-driven tests for `analyze`: one line per case.
use super::*;

fn cx() -> Context<'static> {
    Context { cwd: Path::new("/work/proj"), home: Some(Path::new("/home/u")), read_scripts: true, limits: Limits::default() }
}

fn run(src: &str) -> Analysis {
    analyze(src, &cx())
}

/// `cmds!(name, src, [programs…])`: exactly these programs, in order, and no unknowns.
macro_rules! cmds {
    ($name:ident, $src:expr, [$($p:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let a = run($src);
            let want: Vec<&str> = vec![$($p),*];
            assert_eq!(a.programs(), want, "src: {:?}\nanalysis: {:#?}", $src, a);
            assert!(a.unknowns.is_empty(), "src: {:?}\nunexpected unknowns: {:#?}", $src, a.unknowns);
        }
    };
}

cmds!(simple, "ls -la", ["ls"]);
