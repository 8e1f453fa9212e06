//! `promptsales-ads`: the ads subgraph as a standalone service.

fn main() -> std::process::ExitCode {
    promptsales_kit::service::main_with(
        promptsales_ads::NAME,
        promptsales_ads::Settings::from_vars,
        promptsales_ads::run,
    )
}
