//! Generated handbooks of any size, for property tests and benchmarks. Deterministic for a seed
//! so a failing case or a benchmark can be reproduced.

use crate::entities::*;
use crate::{Date, Handbook, Id, Program};

/// A small deterministic generator (SplitMix64): fixtures need repeatable variety, not
/// cryptographic quality, and the model crate stays free of IO and heavy dependencies.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

const WORDS: &[&str] = &[
    "confirm",
    "identity",
    "path",
    "claims",
    "Kanopy",
    "runtime",
    "boundary",
    "telemetry",
    "owner",
    "org",
    "source",
    "entitlement",
    "rollout",
    "readiness",
    "gate",
    "audit",
    "dashboard",
    "ingress",
    "callback",
    "environment",
    "décision",
    "Überprüfung",
    "naïve",
    "—",
    "“quoted”",
    "日本語",
    "عربى",
    "leadership",
    "sponsorship",
    "evidence",
];

struct Texts<'a> {
    rng: Rng,
    extra: &'a [String],
}

impl Texts<'_> {
    fn sentence(&mut self, words: usize) -> String {
        let mut out = Vec::with_capacity(words + 1);
        for _ in 0..words.max(1) {
            out.push(self.rng.pick(WORDS).copied().unwrap_or("item").to_owned());
        }
        // Mix in caller-supplied text (proptest's arbitrary strings) after a real word, so the
        // result is never blank and required fields stay valid.
        if !self.extra.is_empty()
            && self.rng.below(3) == 0
            && let Some(extra) = self.rng.pick(self.extra)
        {
            out.push(extra.clone());
        }
        out.join(" ")
    }

    fn date(&mut self) -> Option<Date> {
        if self.rng.below(2) == 0 {
            return None;
        }
        Date::from_ymd(
            2026 + self.rng.below(2) as i32,
            1 + self.rng.below(12) as u32,
            1 + self.rng.below(28) as u32,
        )
    }

    fn level(&mut self) -> Level {
        Level::ALL
            .get(self.rng.below(Level::ALL.len()))
            .copied()
            .unwrap_or(Level::Medium)
    }
}

/// A valid handbook of about `items` items.
pub fn generated(items: usize, seed: u64) -> Handbook {
    generated_with_texts(items, seed, &[])
}

/// Like [`generated`], with `extra` texts mixed into the prose fields.
pub fn generated_with_texts(items: usize, seed: u64, extra: &[String]) -> Handbook {
    let mut t = Texts {
        rng: Rng::new(seed),
        extra,
    };
    let mut handbook = Handbook::blank(format!("Generated program {seed}"));
    let program: &mut Program = &mut handbook.program;
    program.summary = t.sentence(12);
    program.objective = (0..3).map(|_| t.sentence(6)).collect();
    program.problem = t.sentence(40);
    program.proposal = (0..2)
        .map(|_| Section {
            title: t.sentence(2),
            text: t.sentence(20),
        })
        .collect();

    let statuses: Vec<Id> = handbook.statuses.iter().map(|s| s.id).collect();
    let status = |t: &mut Texts| {
        statuses
            .get(t.rng.below(statuses.len()))
            .copied()
            .unwrap_or_else(Id::new)
    };

    // A fixed skeleton first, so every later item has something to point at.
    let owners = 8.min(items / 10 + 1);
    for n in 0..owners {
        handbook.owners.push(Owner {
            id: Id::new(),
            name: format!("Owner {n} {}", t.sentence(2)),
            short_name: (n % 2 == 0).then(|| format!("Owner {n}")),
            kind: OwnerKind::ALL
                .get(n % 3)
                .copied()
                .unwrap_or(OwnerKind::Team),
            team_id: None,
        });
    }
    let owner_ids: Vec<Id> = handbook.owners.iter().map(|o| o.id).collect();
    let owner = |t: &mut Texts| owner_ids.get(t.rng.below(owner_ids.len())).copied();

    let workstreams = (items / 50).clamp(1, 40);
    for _ in 0..workstreams {
        handbook.workstreams.push(Workstream {
            id: Id::new(),
            area: t.sentence(3),
            current_state: t.sentence(8),
            owner_ids: owner(&mut t).into_iter().collect(),
            status_id: status(&mut t),
            risk_level: t.level(),
            main_blocker: t.sentence(6),
            summary: t.sentence(15),
        });
    }
    let phases = (items / 200).clamp(1, 8);
    for n in 0..phases {
        handbook.phases.push(Phase {
            id: Id::new(),
            view: if n % 2 == 0 {
                "Program plan".to_owned()
            } else {
                "Implementation phases".to_owned()
            },
            name: format!("Phase {n}: {}", t.sentence(3)),
            goal: t.sentence(12),
            status_id: Some(status(&mut t)),
            start: None,
            end: None,
        });
    }
    let review_count = (items / 500).clamp(1, 20);
    for _ in 0..review_count {
        handbook.reviews.push(Review {
            id: Id::new(),
            title: t.sentence(3),
            purpose: t.sentence(15),
            best_use: vec![t.sentence(4)],
            date: t.date(),
            attendees: vec![
                Attendee {
                    name: t.sentence(3),
                    group: AttendeeGroup::Core,
                    owner_id: owner(&mut t),
                },
                Attendee {
                    name: t.sentence(3),
                    group: AttendeeGroup::Specialist,
                    owner_id: None,
                },
            ],
            core_group_note: t.sentence(8),
            specialists_note: t.sentence(8),
            flow: vec![Section {
                title: t.sentence(3),
                text: t.sentence(12),
            }],
            decision_ids: Vec::new(),
            pre_reads: vec![t.sentence(2)],
            outputs: vec![ExpectedOutput {
                text: t.sentence(4),
                when: OutputTiming::SameDay,
            }],
            status_id: status(&mut t),
            held_on: None,
            outcome: String::new(),
        });
    }

    let ws_ids: Vec<Id> = handbook.workstreams.iter().map(|w| w.id).collect();
    let phase_ids: Vec<Id> = handbook.phases.iter().map(|p| p.id).collect();
    let review_ids: Vec<Id> = handbook.reviews.iter().map(|r| r.id).collect();
    let pick = |t: &mut Texts, ids: &[Id]| ids.get(t.rng.below(ids.len())).copied();

    let skeleton = handbook.item_count();
    for n in skeleton..items.max(skeleton) {
        match n % 20 {
            0..=5 => {
                let risk_ids = handbook
                    .risks
                    .last()
                    .map(|r| vec![r.id])
                    .unwrap_or_default();
                let status_id = status(&mut t);
                // A decision made says what was decided (the model's rule).
                let made = handbook
                    .statuses
                    .iter()
                    .any(|s| s.id == status_id && !s.open);
                handbook.decisions.push(Decision {
                    id: Id::new(),
                    title: t.sentence(5),
                    question: t.sentence(10),
                    needed_from: owner(&mut t).into_iter().collect(),
                    workstream_id: pick(&mut t, &ws_ids),
                    status_id,
                    due: t.date(),
                    options: (0..t.rng.below(3)).map(|_| t.sentence(8)).collect(),
                    outcome: if made { t.sentence(6) } else { String::new() },
                    rationale: String::new(),
                    decided_by: String::new(),
                    decided_on: None,
                    risk_ids,
                    superseded_by: None,
                });
            }
            6..=10 => {
                let scope = match t.rng.below(4) {
                    0 => RiskScope::Program,
                    1 => pick(&mut t, &phase_ids)
                        .map_or(RiskScope::Program, |phase_id| RiskScope::Phase { phase_id }),
                    2 => pick(&mut t, &review_ids).map_or(RiskScope::Program, |review_id| {
                        RiskScope::Review { review_id }
                    }),
                    _ => pick(&mut t, &ws_ids).map_or(RiskScope::Program, |workstream_id| {
                        RiskScope::Workstream { workstream_id }
                    }),
                };
                handbook.risks.push(Risk {
                    id: Id::new(),
                    statement: t.sentence(10),
                    scope,
                    severity: t.level(),
                    likelihood: t.level(),
                    owner_id: owner(&mut t),
                    status_id: status(&mut t),
                    mitigation: t.sentence(12),
                    source: t.sentence(3),
                });
            }
            11..=15 => {
                let decision_id = handbook.decisions.last().map(|d| d.id);
                handbook.actions.push(Action {
                    id: Id::new(),
                    text: t.sentence(8),
                    owner_id: owner(&mut t),
                    due: t.date(),
                    status_id: status(&mut t),
                    source: t.sentence(3),
                    decision_id,
                    review_id: pick(&mut t, &review_ids),
                    workstream_id: pick(&mut t, &ws_ids),
                });
            }
            16 => handbook.dependencies.push(Dependency {
                id: Id::new(),
                dependent: t.sentence(4),
                depends_on: t.sentence(4),
                why_it_matters: t.sentence(10),
                workstream_id: pick(&mut t, &ws_ids),
                source: t.sentence(3),
                other_item: None,
                needed_by: None,
                phase_id: None,
                owner_id: None,
            }),
            17 => {
                if let Some(phase_id) = pick(&mut t, &phase_ids) {
                    let met = t.rng.below(2) == 0;
                    handbook.exit_criteria.push(ExitCriterion {
                        id: Id::new(),
                        phase_id,
                        text: t.sentence(8),
                        met,
                        evidence: if met { t.sentence(6) } else { String::new() },
                    });
                }
            }
            18 => {
                if let Some(phase_id) = pick(&mut t, &phase_ids) {
                    handbook.work_items.push(WorkItem {
                        id: Id::new(),
                        phase_id,
                        text: t.sentence(6),
                        done: t.rng.below(2) == 0,
                    });
                }
            }
            _ => match t.rng.below(3) {
                0 => handbook.milestones.push(Milestone {
                    id: Id::new(),
                    name: t.sentence(2),
                    marks: t.sentence(10),
                    target: t.date(),
                    status_id: status(&mut t),
                    phase_id: pick(&mut t, &phase_ids),
                    owner_id: None,
                }),
                1 => handbook.readiness_dimensions.push(ReadinessDimension {
                    id: Id::new(),
                    name: t.sentence(2),
                    signal: t.sentence(8),
                    state: ReadinessState::ALL
                        .get(t.rng.below(3))
                        .copied()
                        .unwrap_or(ReadinessState::Partial),
                    owner_id: owner(&mut t),
                }),
                _ => {
                    let dimension_id = handbook.readiness_dimensions.last().map(|d| d.id);
                    handbook.readiness_checks.push(ReadinessCheck {
                        id: Id::new(),
                        dimension_id,
                        text: t.sentence(6),
                        owner_id: owner(&mut t),
                        done: false,
                        evidence: String::new(),
                    });
                }
            },
        }
    }
    // Reviews aim at the first few decisions, as a lead's next review would.
    let aims: Vec<Id> = handbook.decisions.iter().take(4).map(|d| d.id).collect();
    for review in &mut handbook.reviews {
        review.decision_ids = aims.clone();
    }
    handbook
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_handbooks_are_valid_and_about_the_asked_size() {
        for size in [0, 1, 10, 137, 2_000] {
            let handbook = generated(size, size as u64);
            handbook.validate().unwrap();
            let count = handbook.item_count();
            assert!(count + 2 >= size, "{size} asked, {count} made");
            assert!(count <= size.max(30) + 2, "{size} asked, {count} made");
        }
    }
}
