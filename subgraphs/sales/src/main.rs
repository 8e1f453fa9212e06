//! `promptsales-sales`: the sales subgraph as a standalone service.

fn main() -> std::process::ExitCode {
    promptsales_kit::service::main(promptsales_sales::NAME, promptsales_sales::run)
}
