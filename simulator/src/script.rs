//! A task's timeline: a sequence of stages, each holding for a while; the last holds forever.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A timeline of stages for one simulated task (or, for Runware, one generation).
///
/// Each stage holds for a duration of the simulator's clock (tokio time, so
/// `tokio::time::pause` and `advance` drive it); the last stage holds forever. Time is counted
/// from the moment the task is added to the simulator.
///
/// `S` is a per-API stage type: [`NaradaStage`](crate::NaradaStage),
/// [`RunwareStage`](crate::RunwareStage), [`DariStage`](crate::DariStage) or
/// [`VesslStage`](crate::VesslStage). Each has shortcuts such as
/// [`Script::narada_success_after`].
///
/// ```
/// use std::time::Duration;
/// use poller_sim::{NaradaStage, Script};
///
/// let script = Script::new(NaradaStage::Pending)
///     .then_after(Duration::from_secs(5), NaradaStage::input_required("Log in please"))
///     .then_after(Duration::from_secs(3), NaradaStage::success(serde_json::json!({"ok": true})));
/// assert_eq!(script.len(), 3);
/// assert_eq!(script.stage_at(Duration::from_secs(4)).index, 0);
/// assert_eq!(script.stage_at(Duration::from_secs(5)).index, 1);
/// assert_eq!(script.stage_at(Duration::from_secs(60)).index, 2);
/// ```
///
/// # JSON form (control API)
///
/// A script is a JSON array of stages. Each stage is the stage's own JSON object plus an
/// optional `"for"`: how long it holds, as a humantime string (`"5s"`, `"1m 30s"`, `"250ms"`) or
/// a number of seconds. Every stage but the last needs `"for"`; the last one's is ignored.
///
/// ```
/// use poller_sim::{NaradaStage, Script};
/// let script: Script<NaradaStage> = serde_json::from_str(
///     r#"[{"status": "pending", "for": "5s"},
///         {"status": "success", "response": {"text": "done"}}]"#,
/// ).unwrap();
/// assert_eq!(script.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Script<S> {
    /// (start offset, stage), sorted by start, starting at zero.
    stages: Vec<(Duration, S)>,
}

/// Where a script stands at a moment: which stage, since when, until when.
#[derive(Debug, PartialEq)]
pub struct StageAt<'a, S> {
    /// Index of the stage (0-based).
    pub index: usize,
    /// The stage.
    pub stage: &'a S,
    /// When the stage began, counted from the start of the script.
    pub started: Duration,
    /// When the stage ends, or `None` for the last stage, which holds forever.
    pub ends: Option<Duration>,
}

impl<S> Script<S> {
    /// A script that starts in `first` (and stays there until more stages are added).
    pub fn new(first: S) -> Self {
        Script {
            stages: vec![(Duration::ZERO, first)],
        }
    }

    /// Holds the current last stage for `hold`, then moves to `next`.
    #[must_use]
    pub fn then_after(mut self, hold: Duration, next: S) -> Self {
        let start = self.total_before_last() + hold;
        self.stages.push((start, next));
        self
    }

    /// How many stages the script has.
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// Always `false`: a script has at least one stage.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// The stages with the offset at which each begins.
    pub fn stages(&self) -> impl Iterator<Item = (Duration, &S)> {
        self.stages.iter().map(|(d, s)| (*d, s))
    }

    /// When the last stage (which holds forever) begins.
    pub fn total_before_last(&self) -> Duration {
        self.stages.last().map(|(d, _)| *d).unwrap_or_default()
    }

    /// The stage in force `elapsed` after the script started.
    pub fn stage_at(&self, elapsed: Duration) -> StageAt<'_, S> {
        let index = self
            .stages
            .partition_point(|(start, _)| *start <= elapsed)
            .saturating_sub(1);
        let (started, stage) = &self.stages[index];
        StageAt {
            index,
            stage,
            started: *started,
            ends: self.stages.get(index + 1).map(|(d, _)| *d),
        }
    }
}

/// A stage's hold time in JSON: seconds or a humantime string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Hold {
    Secs(f64),
    Text(String),
}

impl Hold {
    fn to_duration(&self) -> Result<Duration, String> {
        match self {
            Hold::Secs(s) => Duration::try_from_secs_f64(*s).map_err(|e| e.to_string()),
            Hold::Text(t) => humantime::parse_duration(t).map_err(|e| format!("{t:?}: {e}")),
        }
    }
}

#[derive(Deserialize)]
struct StageSpec<S> {
    #[serde(flatten)]
    stage: S,
    #[serde(default, rename = "for")]
    hold: Option<Hold>,
}

impl<'de, S: Deserialize<'de>> Deserialize<'de> for Script<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let specs: Vec<StageSpec<S>> = Vec::deserialize(deserializer)?;
        let mut specs = specs.into_iter().enumerate();
        let Some((_, first)) = specs.next() else {
            return Err(D::Error::custom("a script needs at least one stage"));
        };
        let mut hold = first.hold;
        let mut script = Script::new(first.stage);
        for (i, spec) in specs {
            let Some(h) = hold else {
                return Err(D::Error::custom(format!(
                    "stage {} needs \"for\": only the last stage may hold forever",
                    i - 1
                )));
            };
            script = script.then_after(h.to_duration().map_err(D::Error::custom)?, spec.stage);
            hold = spec.hold;
        }
        Ok(script)
    }
}

/// Serde for a `Duration` as a humantime string (`"3s"`); also reads a number of seconds.
pub(crate) mod dur {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        super::Hold::deserialize(d)?
            .to_duration()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_boundaries() {
        let s = Script::new('a')
            .then_after(Duration::from_secs(2), 'b')
            .then_after(Duration::from_secs(3), 'c');
        let at = |secs: f64| *s.stage_at(Duration::from_secs_f64(secs)).stage;
        assert_eq!(at(0.0), 'a');
        assert_eq!(at(1.999), 'a');
        assert_eq!(at(2.0), 'b');
        assert_eq!(at(4.9), 'b');
        assert_eq!(at(5.0), 'c');
        assert_eq!(at(1e6), 'c');
        let b = s.stage_at(Duration::from_secs(3));
        assert_eq!(b.started, Duration::from_secs(2));
        assert_eq!(b.ends, Some(Duration::from_secs(5)));
        assert_eq!(s.stage_at(Duration::from_secs(9)).ends, None);
    }

    #[test]
    fn zero_hold_skips_stage() {
        let s = Script::new(1).then_after(Duration::ZERO, 2);
        assert_eq!(*s.stage_at(Duration::ZERO).stage, 2);
    }
}
