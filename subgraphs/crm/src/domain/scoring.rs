//! Lead scoring: a logistic regression over each organization's own history.
//!
//! Training uses the organization's closed leads (won = 1, lost = 0). A
//! quarter of them, chosen by a hash of the lead id (stable across retrains),
//! is held out; the model is fitted on the rest with `linfa-logistic` (L2
//! regularised) over standardised features, and its AUC on the held-out
//! leads is what the `leadScoringModel` query reports. A lead's score is
//! 100 x the predicted probability of buying; its reasons are the features
//! with the largest contributions (weight x standardised value) to the
//! log-odds, so an agent sees *why* a lead ranks high.

use chrono::{DateTime, Utc};
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::lead::{LeadSource, LeadStage};

/// The features, in model order.
pub const FEATURES: [&str; 8] = [
    "interactions",
    "days_since_last_interaction",
    "mean_sentiment",
    "inbound_share",
    "ad_clicks",
    "from_ad",
    "channel_social",
    "channel_search",
];
/// Fewest won and fewest lost leads a model is trained on.
pub const MIN_PER_CLASS: usize = 10;
/// How many reasons a score explains.
pub const REASONS: usize = 3;

/// What the store knows about a lead that predicts a purchase.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadSignals {
    /// The lead.
    pub lead_id: Uuid,
    /// Its stage (won and lost are the labels).
    pub stage: LeadStage,
    /// Its source channel.
    pub source: LeadSource,
    /// Whether an ad brought it.
    pub from_ad: bool,
    /// Clicks and other engagement with the organization's ads.
    pub ad_clicks: i32,
    /// Number of interactions.
    pub interactions: i64,
    /// Inbound interactions (the customer reached out).
    pub inbound: i64,
    /// Mean sentiment of interactions that have one.
    pub mean_sentiment: Option<f64>,
    /// The last interaction.
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// When the lead was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (for closed leads: about when it closed).
    pub updated_at: DateTime<Utc>,
    /// The deal's estimated value (for the queue, not a feature).
    pub estimated_value: promptsales_kit::Decimal4,
    /// The last outbound contact (for the queue, not a feature).
    pub last_contacted_at: Option<DateTime<Utc>>,
}

/// The feature vector of a lead at `now` (closed leads are seen as of their closing).
pub fn features(s: &LeadSignals, now: DateTime<Utc>) -> [f64; FEATURES.len()] {
    let closed = matches!(s.stage, LeadStage::Won | LeadStage::Lost);
    let reference = if closed { s.updated_at } else { now };
    let last = s.last_interaction_at.unwrap_or(s.created_at);
    let days = ((reference - last).num_seconds().max(0) as f64 / 86_400.0).min(365.0);
    let social = matches!(
        s.source,
        LeadSource::Facebook
            | LeadSource::Instagram
            | LeadSource::Tiktok
            | LeadSource::Youtube
            | LeadSource::Linkedin
            | LeadSource::Influencer
    );
    [
        (s.interactions.max(0) as f64).ln_1p(),
        days,
        s.mean_sentiment.unwrap_or(0.0),
        if s.interactions > 0 {
            s.inbound as f64 / s.interactions as f64
        } else {
            0.0
        },
        (s.ad_clicks.max(0) as f64).ln_1p(),
        f64::from(u8::from(s.from_ad)),
        f64::from(u8::from(social)),
        f64::from(u8::from(s.source == LeadSource::Google)),
    ]
}

/// Whether a lead belongs to the held-out set (about one in four, stable per id).
pub fn is_held_out(lead_id: Uuid) -> bool {
    // FNV-1a over the id's bytes, then MurmurHash3's 64-bit finaliser, and the top two bits.
    // FNV-1a's low bits depend only on the low bits of each byte, so "hash mod 4" held out
    // a fixed, periodic 8% of the demo's sequential ids and none at all of the seeds'.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in lead_id.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    hash >> 62 == 0
}

/// One reason behind a score: a feature, its value and its push on the log-odds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReason {
    /// The feature's name (one of [`FEATURES`]).
    pub feature: String,
    /// The lead's raw value of it.
    pub value: f64,
    /// Its contribution to the log-odds of buying (positive raises the score).
    pub contribution: f64,
}

/// A trained model: standardisation, weights and its held-out quality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoringModel {
    /// Feature names, in order.
    pub features: Vec<String>,
    /// Training means of the features.
    pub means: Vec<f64>,
    /// Training standard deviations (1 where a feature is constant).
    pub stds: Vec<f64>,
    /// Weights over standardised features; positive raises the probability of buying.
    pub weights: Vec<f64>,
    /// Intercept of the log-odds.
    pub intercept: f64,
    /// Area under the ROC curve on the held-out leads (absent when it has no both-class pair).
    pub auc: Option<f64>,
    /// Leads trained on.
    pub train_leads: usize,
    /// Leads held out.
    pub test_leads: usize,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
}

/// Why a model could not be trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// Too few closed leads of a kind.
    #[error(
        "not enough closed leads to train: {won} won and {lost} lost, at least {MIN_PER_CLASS} of each are needed"
    )]
    NotEnoughData {
        /// Won leads available.
        won: usize,
        /// Lost leads available.
        lost: usize,
    },
    /// The learner failed.
    #[error("the learner failed: {0}")]
    Fit(String),
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The area under the ROC curve of `(score, label)` pairs (ties count half); `None` without both labels.
pub fn auc(scored: &[(f64, bool)]) -> Option<f64> {
    let positives: Vec<f64> = scored.iter().filter(|s| s.1).map(|s| s.0).collect();
    let negatives: Vec<f64> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    let mut wins = 0.0;
    for p in &positives {
        for n in &negatives {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    Some(wins / (positives.len() * negatives.len()) as f64)
}

/// Trains on the closed leads among `leads`, holding out a quarter to measure the AUC.
pub fn train(leads: &[LeadSignals], now: DateTime<Utc>) -> Result<ScoringModel, TrainError> {
    let labelled: Vec<(&LeadSignals, bool)> = leads
        .iter()
        .filter_map(|l| match l.stage {
            LeadStage::Won => Some((l, true)),
            LeadStage::Lost => Some((l, false)),
            _ => None,
        })
        .collect();
    let won = labelled.iter().filter(|l| l.1).count();
    let lost = labelled.len() - won;
    if won < MIN_PER_CLASS || lost < MIN_PER_CLASS {
        return Err(TrainError::NotEnoughData { won, lost });
    }
    let (test, train): (Vec<_>, Vec<_>) = labelled
        .into_iter()
        .partition(|(l, _)| is_held_out(l.lead_id));
    if !train.iter().any(|t| t.1) || !train.iter().any(|t| !t.1) {
        return Err(TrainError::NotEnoughData { won, lost });
    }
    let n = FEATURES.len();
    let raw: Vec<[f64; FEATURES.len()]> = train.iter().map(|(l, _)| features(l, now)).collect();
    let mut means = vec![0.0; n];
    let mut stds = vec![0.0; n];
    for row in &raw {
        for (j, v) in row.iter().enumerate() {
            means[j] += v / raw.len() as f64;
        }
    }
    for row in &raw {
        for (j, v) in row.iter().enumerate() {
            stds[j] += (v - means[j]).powi(2) / raw.len() as f64;
        }
    }
    for s in &mut stds {
        *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
    }
    let standardise = |row: &[f64; FEATURES.len()]| -> Vec<f64> {
        row.iter()
            .enumerate()
            .map(|(j, v)| (v - means[j]) / stds[j])
            .collect()
    };
    let x = Array2::from_shape_vec((raw.len(), n), raw.iter().flat_map(standardise).collect())
        .map_err(|e| TrainError::Fit(e.to_string()))?;
    let y: Array1<bool> = train.iter().map(|t| t.1).collect();
    let fitted = LogisticRegression::default()
        .alpha(0.1)
        .max_iterations(200)
        .fit(&Dataset::new(x, y))
        .map_err(|e| TrainError::Fit(e.to_string()))?;
    // linfa names the positive class by its own rule; orient the weights so that positive means "buys".
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let mut model = ScoringModel {
        features: FEATURES.iter().map(|f| f.to_string()).collect(),
        means: means.clone(),
        stds: stds.clone(),
        weights: fitted.params().iter().map(|w| w * sign).collect(),
        intercept: fitted.intercept() * sign,
        auc: None,
        train_leads: train.len(),
        test_leads: test.len(),
        trained_at: now,
    };
    let held_out: Vec<(f64, bool)> = test
        .iter()
        .map(|(l, label)| (model.predict(l, now).0, *label))
        .collect();
    model.auc = auc(&held_out);
    Ok(model)
}

/// The name of the platform prior in `Lead.scoredBy`.
pub const PRIOR_NAME: &str = "platform-prior-v1";

/// The platform prior: what scores a lead of an organization that has no trained model yet
/// (fewer than [`MIN_PER_CLASS`] won and lost leads). A transparent rule, not a fit: over the
/// raw features (no standardisation), the log-odds of buying are
///
/// ```text
/// -2.0 + 0.6 ln(1+interactions) - 0.05 days_since_last_interaction + 2.0 mean_sentiment
///      + 0.8 inbound_share + 0.4 ln(1+ad_clicks) + 0.3 from_ad - 0.2 channel_social
///      + 0.4 channel_search
/// ```
///
/// where a captured message's sentiment is its [`intent_signal`] (intent words such as
/// "buy", "price", "book", "comprar", "quiero" push up; "unsubscribe", "not interested"
/// push down). So "I want to buy before the Aneto trip" scores well above "nice photo".
pub fn platform_prior(now: DateTime<Utc>) -> ScoringModel {
    ScoringModel {
        features: FEATURES.iter().map(|f| f.to_string()).collect(),
        means: vec![0.0; FEATURES.len()],
        stds: vec![1.0; FEATURES.len()],
        weights: vec![0.6, -0.05, 2.0, 0.8, 0.4, 0.3, -0.2, 0.4],
        intercept: -2.0,
        auc: None,
        train_leads: 0,
        test_leads: 0,
        trained_at: now,
    }
}

/// What `Lead.scoredBy` says of an organization's trained model.
pub fn model_name(model: &ScoringModel) -> String {
    format!("organization-model@{}", model.trained_at.to_rfc3339())
}

/// Words that say a person means to buy (English, Spanish, French, Portuguese).
const INTENT_WORDS: [&str; 24] = [
    "buy",
    "purchase",
    "price",
    "quote",
    "book",
    "order",
    "want",
    "need",
    "before",
    "how much",
    "comprar",
    "compra",
    "precio",
    "reservar",
    "quiero",
    "necesito",
    "presupuesto",
    "cuanto",
    "cuánto",
    "acheter",
    "prix",
    "réserver",
    "quero",
    "preço",
];
/// Words that say they do not.
const NO_INTENT_WORDS: [&str; 6] = [
    "unsubscribe",
    "not interested",
    "stop",
    "spam",
    "no gracias",
    "no me interesa",
];

/// The intent a message shows, in -1..=1 (each intent word +0.34, each refusal -0.5);
/// `None` when it holds no such word (so it does not count as a sentiment at all).
pub fn intent_signal(text: &str) -> Option<f64> {
    let words: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let padded = format!(
        " {} ",
        words.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let count = |list: &[&str]| {
        list.iter()
            .filter(|w| padded.contains(&format!(" {w} ")))
            .count() as f64
    };
    let (yes, no) = (count(&INTENT_WORDS), count(&NO_INTENT_WORDS));
    if yes == 0.0 && no == 0.0 {
        return None;
    }
    Some((0.34 * yes - 0.5 * no).clamp(-1.0, 1.0))
}

impl ScoringModel {
    /// The probability that a lead buys, and the reasons with the largest pushes (strongest first).
    pub fn predict(&self, lead: &LeadSignals, now: DateTime<Utc>) -> (f64, Vec<ScoreReason>) {
        let raw = features(lead, now);
        let mut contributions: Vec<ScoreReason> = raw
            .iter()
            .enumerate()
            .map(|(j, v)| {
                let z = (v - self.means.get(j).copied().unwrap_or(0.0))
                    / self.stds.get(j).copied().unwrap_or(1.0);
                ScoreReason {
                    feature: self
                        .features
                        .get(j)
                        .cloned()
                        .unwrap_or_else(|| FEATURES[j].to_string()),
                    value: *v,
                    contribution: z * self.weights.get(j).copied().unwrap_or(0.0),
                }
            })
            .collect();
        let logit = self.intercept + contributions.iter().map(|c| c.contribution).sum::<f64>();
        contributions.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        contributions.truncate(REASONS);
        (logistic(logit), contributions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intent_words_move_the_signal_and_small_talk_says_nothing() {
        let buy = intent_signal("I want to buy before the Aneto trip").unwrap_or(0.0);
        assert!(buy > 0.9, "{buy}");
        assert_eq!(intent_signal("nice photo"), None);
        assert!(intent_signal("Please unsubscribe me").unwrap_or(0.0) < 0.0);
        assert!(intent_signal("¿Cuánto cuesta? Quiero reservar").unwrap_or(0.0) > 0.5);
    }

    #[test]
    fn auc_of_known_rankings() {
        assert_eq!(auc(&[(0.9, true), (0.1, false)]), Some(1.0));
        assert_eq!(auc(&[(0.1, true), (0.9, false)]), Some(0.0));
        assert_eq!(auc(&[(0.5, true), (0.5, false)]), Some(0.5));
        assert_eq!(auc(&[(0.5, true)]), None);
    }

    #[test]
    fn about_a_quarter_is_held_out() {
        let held = (0..4000).filter(|_| is_held_out(Uuid::now_v7())).count();
        assert!((800..1200).contains(&held), "{held}");
    }

    /// Ids made one after another (the demo's and the seeds': a millisecond and a counter
    /// apart) are held out about one in four, in every stretch, not in a fixed pattern.
    #[test]
    fn sequential_ids_are_held_out_well_mixed() {
        let demo = |n: u32| promptsales_kit::demo::demo_id(promptsales_kit::demo::kind::LEAD, n);
        let seeded = |i: u64| {
            let mut random = [0u8; 10];
            random[0] = 61;
            random[1..5].copy_from_slice(&42u32.to_be_bytes());
            random[5..10].copy_from_slice(&i.to_be_bytes()[3..8]);
            uuid::Builder::from_unix_timestamp_millis(
                1_735_689_600_000 + 21 * 10_000_000_000 + i,
                &random,
            )
            .into_uuid()
        };
        let ids: [Vec<Uuid>; 2] = [
            (1..=2_000).map(demo).collect(),
            (0..2_000).map(seeded).collect(),
        ];
        for ids in ids {
            for stretch in ids.chunks(200) {
                let held = stretch.iter().filter(|id| is_held_out(**id)).count();
                assert!((30..=70).contains(&held), "{held} of 200");
            }
            // No period: the held-out pattern of one stretch of 8 ids is not every stretch's.
            let patterns: std::collections::HashSet<Vec<bool>> = ids
                .chunks(8)
                .map(|c| c.iter().map(|id| is_held_out(*id)).collect())
                .collect();
            assert!(patterns.len() > 50, "{} patterns", patterns.len());
        }
    }

    #[test]
    fn too_few_closed_leads_is_said_so() {
        let err = train(&[], Utc::now()).unwrap_err();
        assert_eq!(err, TrainError::NotEnoughData { won: 0, lost: 0 });
    }
}
