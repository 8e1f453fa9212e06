//! The standalone content subgraph service (`promptsales-content`).

fn main() -> std::process::ExitCode {
    promptsales_kit::service::main(promptsales_content::NAME, promptsales_content::run)
}
