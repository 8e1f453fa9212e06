//! `promptsales-ads`: the ads subgraph as a standalone service.

fn main() -> std::process::ExitCode {
    promptsales_kit::service::main(promptsales_ads::NAME, promptsales_ads::run)
}
