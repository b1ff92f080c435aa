//! The `minutes` binary: all work happens in the library; exit codes are
//! decided in one place, `minutes::main_entry`.

fn main() -> std::process::ExitCode {
    minutes::main_entry()
}
