//! The standalone content subgraph service (`promptsales-content`).

fn main() -> std::process::ExitCode {
    promptsales_kit::service::main_with(
        promptsales_content::NAME,
        promptsales_content::Settings::from_vars,
        promptsales_content::run,
    )
}
