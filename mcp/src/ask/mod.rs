//! `ask`: questions in plain words answered from the graph, as the caller.
//!
//! Offline (the default), a transparent planner: the question's slots are read (a period
//! in several phrasings, the caller's own campaign names, channels, statuses), the local
//! sentence embedder picks the kind of question among those whose slots are filled, and
//! the kind's named operation of the catalogue runs on the router with the caller's token.
//! When no kind fits, the answer says what was understood and which questions it answers.
//!
//! One idea per file:
//! - [`words`]: tokens of a question;
//! - [`period`]: periods ("in December", "last week", "between 1 and 15 March", ...);
//! - [`vocabulary`]: channels, statuses, ranking measures;
//! - [`names`]: campaign names against the caller's own campaigns;
//! - [`kinds`]: the catalogue of question kinds and the operations they run;
//! - [`matcher`]: the embedder's similarity of a question with each kind;
//! - [`plan`]: slots and the choice of a kind (or why there is none);
//! - [`runner`]: catalogue operations run as the caller (reads only);
//! - [`execute`]: each kind's variables, figures and text;
//! - [`model`]: the model path (a chat model writes the operation; it is checked, reads only);
//! - [`config`]: `PROMPTSALES_ASK_PLANNER`;
//! - [`answer`]: what is answered;
//! - [`engine`]: all of it for one question;
//! - [`tool`]: the MCP tool;
//! - [`graphql`]: the same as GraphQL, at the adapter's `/graphql`.

pub mod answer;
pub mod config;
pub mod engine;
pub mod execute;
pub mod graphql;
pub mod kinds;
pub mod matcher;
pub mod model;
pub mod names;
pub mod period;
pub mod plan;
pub mod runner;
pub mod tool;
pub mod vocabulary;
pub mod words;

pub use answer::{Answer, RanOperation};
pub use engine::Asker;
