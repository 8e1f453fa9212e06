//! `promptsales-sales`: the sales subgraph as a standalone service.

fn main() -> std::process::ExitCode {
    promptsales_kit::service::main_with(
        promptsales_sales::NAME,
        promptsales_sales::Settings::from_vars,
        promptsales_sales::run,
    )
}
