//! The `ask` engine: the caller's campaigns, the plan, the operations, the answer.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use promptsales_kit::ai::{AiConfig, ChatModel, Embedder, OpenAiCompatibleClient};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::answer::Answer;
use super::config::PlannerChoice;
use super::execute::{ExecError, Slots, execute};
use super::kinds::KINDS;
use super::matcher::KindIndex;
use super::model;
use super::names::KnownCampaign;
use super::plan::{Decision, Understood, asks_for_a_change, choose, templated, understand};
use super::runner::Runner;
use crate::error::McpError;
use crate::graph::GraphClient;
use crate::identity::Caller;
use crate::server::Catalog;

/// Questions longer than this are refused before any work.
pub const MAX_QUESTION_CHARS: usize = 1_000;

/// Answers questions; one per adapter, shared by every session.
pub struct Asker {
    planner: PlannerChoice,
    embedder: Arc<dyn Embedder>,
    chat: Option<Arc<dyn ChatModel>>,
    index: OnceCell<KindIndex>,
}

impl std::fmt::Debug for Asker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Asker")
            .field("planner", &self.planner)
            .field("embedder", &self.embedder.model())
            .field("chat", &self.chat.as_ref().map(|c| c.model().to_string()))
            .finish()
    }
}

impl Asker {
    /// From the environment: `PROMPTSALES_ASK_PLANNER`, the kit's AI settings (the embedder
    /// of `PROMPTSALES_AI_EMBEDDER`, the chat model of `PROMPTSALES_AI_BASE_URL`).
    pub fn from_env() -> Result<Self, McpError> {
        let planner = PlannerChoice::from_env()?;
        let config = AiConfig::from_env().map_err(|e| McpError::Config(e.to_string()))?;
        let client = match config.openai.clone() {
            Some(openai) => Some(Arc::new(
                OpenAiCompatibleClient::new(openai).map_err(|e| McpError::Config(e.to_string()))?,
            )),
            None => None,
        };
        if planner == PlannerChoice::Model && client.is_none() {
            return Err(McpError::Config(
                "PROMPTSALES_ASK_PLANNER=model needs a chat model (PROMPTSALES_AI_BASE_URL)".into(),
            ));
        }
        let embedder = promptsales_kit::ai::embedder_from_config(&config, client.clone())
            .map_err(|e| McpError::Config(e.to_string()))?;
        let chat = client.map(|c| c as Arc<dyn ChatModel>);
        Ok(Self::new(planner, embedder, chat))
    }

    /// With a given planner, embedder and (optional) chat model.
    pub fn new(
        planner: PlannerChoice,
        embedder: Arc<dyn Embedder>,
        chat: Option<Arc<dyn ChatModel>>,
    ) -> Self {
        Self {
            planner,
            embedder,
            chat,
            index: OnceCell::new(),
        }
    }

    /// The embedder's model name.
    pub fn embedder_model(&self) -> &str {
        self.embedder.model()
    }

    async fn index(&self, catalog: &Catalog) -> Result<&KindIndex, String> {
        self.index
            .get_or_try_init(|| async {
                let descriptions: BTreeMap<String, String> = catalog
                    .operations
                    .iter()
                    .map(|op| (op.name.clone(), op.description.clone()))
                    .collect();
                KindIndex::build(self.embedder.clone(), &descriptions).await
            })
            .await
            .map_err(|e| e.to_string())
    }

    /// Answers `question` for `caller`, with `today` for relative periods.
    pub async fn ask(
        &self,
        graph: &GraphClient,
        catalog: &Catalog,
        limits: &promptsales_kit::document_guard::DocumentLimits,
        caller: &Caller,
        question: &str,
        today: NaiveDate,
    ) -> Answer {
        let mut runner = Runner::new(graph, caller, catalog);
        let question = question.trim();
        if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
            return cannot(
                format!("Ask one question of 1 to {MAX_QUESTION_CHARS} characters."),
                Understood::default(),
                &mut runner,
            );
        }
        // Campaign names come from the caller's own campaigns, read as the caller.
        let campaigns = own_campaigns(&mut runner).await;
        let understood = understand(question, today, &campaigns);
        // The transparent planner refuses a request for a change outright (the model path,
        // when chosen alone, has its own guard: whatever it writes must be a read).
        if self.planner != PlannerChoice::Model
            && let Some(verb) = asks_for_a_change(question)
        {
            return cannot(
                format!(
                    "It asks me to {verb} something, and ask only reads: it never changes \
                     anything (an agent does that with the adapter's write tools, under their \
                     supervision)."
                ),
                understood,
                &mut runner,
            );
        }
        let offline = match self.planner {
            PlannerChoice::Model => None,
            _ => Some(
                self.offline(&mut runner, question, today, &campaigns, understood.clone())
                    .await,
            ),
        };
        match (offline, &self.chat) {
            (Some(answer), _) if answer.answered => answer,
            (Some(answer), None) => answer,
            (Some(answer), Some(_)) if self.planner == PlannerChoice::Offline => answer,
            (offline, Some(chat)) => {
                let mut answer = self
                    .with_model(
                        chat.as_ref(),
                        &mut runner,
                        catalog,
                        limits,
                        question,
                        today,
                        understood,
                    )
                    .await;
                if !answer.answered
                    && let Some(offline) = offline
                {
                    // Both failed: the offline explanation (what it understood, what it answers) and why the model did not.
                    answer.text = format!("{} {}", offline.text, answer.text);
                }
                answer
            }
            (None, None) => cannot("No planner is available.".into(), understood, &mut runner),
        }
    }

    async fn offline(
        &self,
        runner: &mut Runner<'_>,
        question: &str,
        today: NaiveDate,
        campaigns: &[KnownCampaign],
        understood: Understood,
    ) -> Answer {
        let index = match self.index(runner_catalog(runner)).await {
            Ok(index) => index,
            Err(e) => {
                return cannot(
                    format!("The sentence embedder failed ({e})."),
                    understood,
                    runner,
                );
            }
        };
        let scores = match index.scores(&templated(question, &understood)).await {
            Ok(s) => s,
            Err(e) => {
                return cannot(
                    format!("The sentence embedder failed ({e})."),
                    understood,
                    runner,
                );
            }
        };
        match choose(&scores, &understood, index.floor()) {
            Decision::Answer { kind, .. } => {
                let slots = Slots {
                    understood: &understood,
                    today,
                    campaigns,
                };
                match execute(kind, runner, &slots).await {
                    Ok((text, figures)) => Answer {
                        answered: true,
                        text,
                        kind: Some(kind.id.to_string()),
                        planner: "offline".into(),
                        understood,
                        figures,
                        operations: std::mem::take(&mut runner.ran),
                    },
                    Err(ExecError::Cannot(why)) => cannot(
                        format!("I understood a question about {} but {why}.", kind.summary),
                        understood,
                        runner,
                    ),
                    Err(ExecError::Run(e)) => cannot(
                        format!(
                            "I understood a question about {} but the graph did not answer: {e}.",
                            kind.summary
                        ),
                        understood,
                        runner,
                    ),
                }
            }
            Decision::CannotAnswer { closest, lacking } => {
                let about = match (closest, lacking) {
                    (Some(kind), Some(lacking)) => format!(
                        "It looks like a question about {}, which needs {lacking}{}.",
                        kind.summary,
                        if lacking.contains("campaign") && !campaigns.is_empty() {
                            format!(
                                " (yours: {})",
                                campaigns
                                    .iter()
                                    .map(|c| c.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        } else {
                            String::new()
                        }
                    ),
                    _ => "It is not one of the questions I can answer.".into(),
                };
                cannot(about, understood, runner)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn with_model(
        &self,
        chat: &dyn ChatModel,
        runner: &mut Runner<'_>,
        catalog: &Catalog,
        limits: &promptsales_kit::document_guard::DocumentLimits,
        question: &str,
        today: NaiveDate,
        understood: Understood,
    ) -> Answer {
        let caller = runner.caller().clone();
        let written = model::write_operation(
            chat,
            &catalog.index,
            &caller,
            question,
            &today.to_string(),
            limits,
        )
        .await;
        let op = match written {
            Ok(op) => op,
            Err(e) => {
                let mut answer = cannot(
                    format!("The model path gave no answer: {e}."),
                    understood,
                    runner,
                );
                answer.planner = "model".into();
                return answer;
            }
        };
        let data = runner
            .send(
                &op.operation_name,
                op.document.clone(),
                op.variables.clone(),
            )
            .await;
        match data {
            Ok(data) => Answer {
                answered: true,
                text: format!(
                    "The model wrote {} (a read, checked against the schema and your roles); the figures are what the graph returned.",
                    op.operation_name
                ),
                kind: None,
                planner: "model".into(),
                understood,
                figures: data,
                operations: std::mem::take(&mut runner.ran),
            },
            Err(e) => {
                let mut answer = cannot(
                    format!("The model's operation failed: {e}."),
                    understood,
                    runner,
                );
                answer.planner = "model".into();
                answer
            }
        }
    }
}

fn runner_catalog<'a>(runner: &Runner<'a>) -> &'a Catalog {
    runner.catalog()
}

/// The caller's campaigns (names, dates) through `listCampaigns`, as the caller.
async fn own_campaigns(runner: &mut Runner<'_>) -> Vec<KnownCampaign> {
    let variables = json!({ "first": 100 })
        .as_object()
        .cloned()
        .unwrap_or_default();
    let Ok(data) = runner.run("listCampaigns", variables).await else {
        return Vec::new();
    };
    data.pointer("/campaigns/edges")
        .and_then(Value::as_array)
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| {
                    let node = e.get("node")?;
                    Some(KnownCampaign {
                        id: node.get("id")?.as_str()?.to_string(),
                        name: node.get("name")?.as_str()?.to_string(),
                        status: node
                            .get("status")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        start: node
                            .get("startDate")
                            .and_then(Value::as_str)
                            .and_then(|d| d.parse().ok()),
                        end: node
                            .get("endDate")
                            .and_then(Value::as_str)
                            .and_then(|d| d.parse().ok()),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An answer that says what was understood and which questions can be asked.
fn cannot(reason: String, understood: Understood, runner: &mut Runner<'_>) -> Answer {
    let can: Vec<String> = KINDS
        .iter()
        .map(|k| format!("- {} ({})", k.example, k.summary))
        .collect();
    Answer {
        answered: false,
        text: format!(
            "I cannot answer that. {reason} I understood: {}. Questions I can answer:\n{}",
            understood.describe(),
            can.join("\n")
        ),
        kind: None,
        planner: "offline".into(),
        understood,
        figures: Value::Null,
        operations: std::mem::take(&mut runner.ran),
    }
}
