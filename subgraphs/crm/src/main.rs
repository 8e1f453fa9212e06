//! `promptsales-crm`: the crm subgraph as a standalone service.

fn main() -> std::process::ExitCode {
    promptsales_kit::service::main_with(
        promptsales_crm::NAME,
        promptsales_crm::Settings::from_vars,
        promptsales_crm::run,
    )
}
