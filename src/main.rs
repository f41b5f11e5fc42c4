//! The `blastwall` binary: a thin shell over the library. See `blastwall::run`.
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic message could quote the input it choked on; keep it out of stderr (which the
    // client may show the model) and let the catch-all in `hook` turn it into a deny.
    std::panic::set_hook(Box::new(|_| {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"blastwall: internal error (panic)\n",
        );
    }));
    let args: Vec<String> = std::env::args().skip(1).collect();
    blastwall::run::main(&args).into()
}
