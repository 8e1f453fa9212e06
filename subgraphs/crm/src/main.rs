//! `promptsales-crm`: the crm subgraph as a standalone service.

fn main() -> std::process::ExitCode {
    promptsales_kit::service::main(promptsales_crm::NAME, promptsales_crm::run)
}
