//! The status dashboard, the decision register and the review packet.

use super::*;

pub fn dashboard(ctx: &Context) -> Vec<Block> {
    let mut out = vec![title("Status Dashboard", ctx, "")];
    dashboard_body(ctx, &mut out);
    out
}

pub(super) fn dashboard_body(ctx: &Context, out: &mut Vec<Block>) {
    let h = ctx.handbook;
    if !h.program.summary.is_empty() {
        out.push(Block::Lead(h.program.summary.clone()));
    }
    out.push(Block::Heading("Shared status vocabulary".to_owned()));
    out.push(Block::Chips(
        h.statuses.iter().map(|s| ctx.status(s.id)).collect(),
    ));
    out.push(Block::Table(Table {
        columns: vec![col("Status", 0.2), col("Meaning", 0.62), col("Kind", 0.18)],
        rows: h
            .statuses
            .iter()
            .map(|s| {
                vec![
                    ctx.status_chip(s.id),
                    Cell::Text(s.meaning.clone()),
                    Cell::Muted(if s.open { "open" } else { "closing" }.to_owned()),
                ]
            })
            .collect(),
    }));

    out.push(Block::Heading("Executive summary".to_owned()));
    out.push(Block::Paragraph(standing(ctx)));
    out.push(executive_summary(ctx));

    out.push(Block::Heading("Decisions needed".to_owned()));
    out.push(decisions_needed(ctx));

    out.push(Block::Heading("Workstream snapshot".to_owned()));
    for w in &h.workstreams {
        out.push(Block::Subheading(w.area.clone()));
        if !w.summary.is_empty() {
            out.push(Block::Paragraph(w.summary.clone()));
        }
        out.push(Block::Labeled {
            label: "Current owner".to_owned(),
            text: ctx.owners(&w.owner_ids),
        });
        out.push(Block::Labeled {
            label: "Status".to_owned(),
            text: h
                .status(w.status_id)
                .map_or(String::new(), |s| s.name.clone()),
        });
        if !w.main_blocker.is_empty() {
            out.push(Block::Labeled {
                label: "Main blocker".to_owned(),
                text: w.main_blocker.clone(),
            });
        }
    }

    out.push(Block::Heading("Top risks right now".to_owned()));
    out.push(risks_table(ctx, &ctx.top_risks(6)));
    out.push(Block::Subheading(
        "Open risks by severity and likelihood".to_owned(),
    ));
    out.push(heat_map(ctx));

    out.push(Block::Heading("Delivery signal".to_owned()));
    let group = |pred: &dyn Fn(&roadbook_model::Workstream) -> bool| -> Vec<String> {
        h.workstreams
            .iter()
            .filter(|w| pred(w))
            .map(|w| w.area.clone())
            .collect()
    };
    let named = |w: &roadbook_model::Workstream, names: &[&str]| {
        h.status(w.status_id)
            .is_some_and(|s| names.iter().any(|n| s.name.eq_ignore_ascii_case(n)))
    };
    let slowing = group(&|w| {
        w.risk_level == Level::High && ctx.is_open(w.status_id) && !named(w, &["Blocked"])
    });
    let follow = group(&|w| {
        w.risk_level != Level::High
            && named(
                w,
                &[
                    "Drafted",
                    "Needs validation",
                    "Needs decision",
                    "In discovery",
                ],
            )
    });
    let upstream = group(&|w| named(w, &["Blocked"]));
    for (title, items, colour) in [
        (
            "Most likely to slow meaningful internal rollout if unresolved",
            slowing,
            RED,
        ),
        (
            "A plausible direction that still needs follow-through and validation",
            follow,
            AMBER,
        ),
        (
            "Not independent deliverables: they depend on upstream operational choices",
            upstream,
            GREY,
        ),
    ] {
        if !items.is_empty() {
            out.push(Block::Callout {
                title: title.to_owned(),
                items,
                colour,
            });
        }
    }

    out.push(Block::Heading("Readiness signal".to_owned()));
    out.push(Block::Table(Table {
        columns: vec![
            col("Readiness dimension", 0.3),
            col("Current signal", 0.52),
            col("State", 0.18),
        ],
        rows: h
            .readiness_dimensions
            .iter()
            .map(|d| {
                vec![
                    Cell::Strong(d.name.clone()),
                    Cell::Text(d.signal.clone()),
                    Cell::Chip(Chip {
                        label: readiness_word(d.state).to_owned(),
                        colour: readiness_colour(d.state),
                    }),
                ]
            })
            .collect(),
    }));
    readiness(ctx, out, false);

    out.push(Block::Heading("Immediate next actions".to_owned()));
    out.push(actions(ctx));

    if !h.program.references.is_empty() {
        out.push(Block::Heading("Related references".to_owned()));
        // In the handbook each reference that names one of its pages leads there.
        out.push(Block::Links(h.program.references.clone()));
    }
}

pub fn register(ctx: &Context, status: Option<Id>) -> Vec<Block> {
    let h = ctx.handbook;
    let filter = status
        .and_then(|s| h.status(s))
        .map(|s| format!("Status: {}", s.name))
        .unwrap_or_default();
    let mut out = vec![title("Decision Register", ctx, &filter)];
    let decisions: Vec<&Decision> = h
        .decisions
        .iter()
        .filter(|d| status.is_none_or(|s| d.status_id == s))
        .collect();
    let counts: Vec<Chip> = h
        .statuses
        .iter()
        .filter_map(|s| {
            let n = decisions.iter().filter(|d| d.status_id == s.id).count();
            (n > 0).then(|| Chip {
                label: format!("{}: {n}", s.name),
                colour: Rgb::hex(&s.colour),
            })
        })
        .collect();
    out.push(Block::Paragraph(format!(
        "{} {}{}.",
        decisions.len(),
        if decisions.len() == 1 {
            "decision"
        } else {
            "decisions"
        },
        if filter.is_empty() {
            String::new()
        } else {
            format!(" with {}", filter.to_lowercase())
        }
    )));
    if !counts.is_empty() {
        out.push(Block::Chips(counts));
    }
    out.push(Block::Heading("Decisions".to_owned()));
    let rows = decisions
        .iter()
        .enumerate()
        .map(|(n, d)| {
            let mut outcome = d.outcome.clone();
            if !d.rationale.is_empty() {
                outcome.push_str(&format!("\nWhy: {}", d.rationale));
            }
            if !d.decided_by.is_empty() || d.decided_on.is_some() {
                let on = d
                    .decided_on
                    .map(|d| format!(" on {}", on_day(d)))
                    .unwrap_or_default();
                outcome.push_str(&format!(
                    "\nDecided by {}{on}",
                    if d.decided_by.is_empty() {
                        "—"
                    } else {
                        &d.decided_by
                    }
                ));
            }
            vec![
                Cell::Muted(format!("{}", n + 1)),
                Cell::Titled {
                    title: d.title.clone(),
                    detail: d.question.clone(),
                },
                Cell::Text(ctx.owners(&d.needed_from)),
                Cell::Text(ctx.workstream(d.workstream_id)),
                ctx.status_chip(d.status_id),
                ctx.due(d.due, d.status_id),
                if outcome.trim().is_empty() {
                    Cell::Unset("open".to_owned())
                } else {
                    Cell::Text(outcome.trim().to_owned())
                },
            ]
        })
        .collect();
    out.push(Block::Table(Table {
        columns: vec![
            col("#", 0.05),
            col("Decision", 0.25),
            col("Needed from", 0.14),
            col("Workstream", 0.12),
            col("Status", 0.13),
            // A whole date on one line, its mark (overdue, this week) below it.
            col("Due", 0.15),
            col("Outcome", 0.16),
        ],
        rows,
    }));
    out
}

pub fn packet(ctx: &Context, review: &Review) -> Vec<Block> {
    let h = ctx.handbook;
    let when = review.date.map_or("Date to be set".to_owned(), |d| {
        format!("Meeting on {}", on_day(d))
    });
    let mut out = vec![
        Block::Title {
            title: "Review Packet".to_owned(),
            subtitle: format!("{} — {}", review.title, h.program.name),
            meta: format!(
                "Pre-read and meeting guide · {when} · {}",
                as_of_and_author(ctx)
            ),
        },
        Block::Heading("Purpose and best use".to_owned()),
    ];
    if !review.purpose.is_empty() {
        out.push(Block::Paragraph(review.purpose.clone()));
    }
    if !review.best_use.is_empty() {
        out.push(Block::Subheading("Best use".to_owned()));
        out.push(Block::Bullets(review.best_use.clone()));
    }
    if !review.pre_reads.is_empty() {
        out.push(Block::Subheading("Pre-reads".to_owned()));
        out.push(Block::Bullets(review.pre_reads.clone()));
    }

    out.push(Block::Heading("Attendees".to_owned()));
    for (group, heading, note) in [
        (
            AttendeeGroup::Core,
            "Core decision group",
            &review.core_group_note,
        ),
        (
            AttendeeGroup::Specialist,
            "Specialist stakeholders",
            &review.specialists_note,
        ),
    ] {
        let people: Vec<String> = review
            .attendees
            .iter()
            .filter(|a| a.group == group)
            .map(|a| match a.owner_id.and_then(|o| h.owner(o)) {
                Some(owner) => format!("{} ({})", a.name, owner.display_name()),
                None => a.name.clone(),
            })
            .collect();
        if people.is_empty() {
            continue;
        }
        out.push(Block::Subheading(heading.to_owned()));
        if !note.is_empty() {
            out.push(Block::Paragraph(note.clone()));
        }
        out.push(Block::Bullets(people));
    }

    if !review.flow.is_empty() {
        out.push(Block::Heading("Meeting flow".to_owned()));
        out.push(Block::Steps(
            review
                .flow
                .iter()
                .map(|s| (s.title.clone(), s.text.clone()))
                .collect(),
        ));
    }

    // The decisions to aim for, in owner order so the conversation stays concrete.
    let owner_rank = |d: &Decision| {
        d.needed_from
            .first()
            .and_then(|o| h.owners.iter().position(|x| x.id == *o))
            .unwrap_or(usize::MAX)
    };
    let mut aims: Vec<&Decision> = review
        .decision_ids
        .iter()
        .filter_map(|id| h.decisions.iter().find(|d| d.id == *id))
        .collect();
    aims.sort_by_key(|d| owner_rank(d));
    out.push(Block::Heading("Decisions to aim for".to_owned()));
    if aims.is_empty() {
        out.push(Block::Paragraph(
            "No decisions are set for this review yet.".to_owned(),
        ));
    } else {
        out.push(decisions_table(ctx, &aims));
        for d in &aims {
            out.push(Block::Subheading(d.title.clone()));
            if !d.question.is_empty() {
                out.push(Block::Labeled {
                    label: "Question".to_owned(),
                    text: d.question.clone(),
                });
            }
            out.push(Block::Labeled {
                label: "Needed from".to_owned(),
                text: ctx.owners(&d.needed_from),
            });
            out.push(Block::Labeled {
                label: "Workstream".to_owned(),
                text: ctx.workstream(d.workstream_id),
            });
            if !d.options.is_empty() {
                out.push(Block::Labeled {
                    label: if d.options.len() == 1 {
                        "Option"
                    } else {
                        "Options"
                    }
                    .to_owned(),
                    text: entries(&d.options),
                });
            }
            let deps: Vec<String> = h
                .dependencies
                .iter()
                .filter(|dep| dep.workstream_id.is_some() && dep.workstream_id == d.workstream_id)
                .map(|dep| {
                    // "X, waiting on Y" reads for one team or many: free text carries no number
                    // for a verb to agree with.
                    if dep.why_it_matters.is_empty() {
                        format!("{}, waiting on {}", dep.dependent, dep.depends_on)
                    } else {
                        format!(
                            "{}, waiting on {}: {}",
                            dep.dependent, dep.depends_on, dep.why_it_matters
                        )
                    }
                })
                .collect();
            if !deps.is_empty() {
                out.push(Block::Labeled {
                    label: "Dependencies".to_owned(),
                    text: entries(&deps),
                });
            }
            let risks: Vec<String> = d
                .risk_ids
                .iter()
                .filter_map(|id| h.risks.iter().find(|r| r.id == *id))
                .map(|r| format!("{} ({} severity)", r.statement, r.severity))
                .collect();
            if !risks.is_empty() {
                out.push(Block::Labeled {
                    label: "Linked risks".to_owned(),
                    text: entries(&risks),
                });
            }
        }
    }

    let failures: Vec<String> = h
        .risks
        .iter()
        .filter(|r| {
            r.scope
                == RiskScope::Review {
                    review_id: review.id,
                }
        })
        .map(risk_line)
        .collect();
    if !failures.is_empty() {
        out.push(Block::Heading("What makes this meeting fail".to_owned()));
        out.push(Block::Callout {
            title: "Watch for these, and what prevents them".to_owned(),
            items: failures,
            colour: RED,
        });
    }

    out.push(Block::Heading("Expected outputs".to_owned()));
    for (when, heading) in [
        (OutputTiming::SameDay, "Same day"),
        (OutputTiming::NextCycle, "After the next working cycle"),
    ] {
        let items: Vec<String> = review
            .outputs
            .iter()
            .filter(|o| o.when == when)
            .map(|o| o.text.clone())
            .collect();
        if !items.is_empty() {
            out.push(Block::Subheading(heading.to_owned()));
            out.push(Block::Bullets(items));
        }
    }
    if review.held_on.is_some() || !review.outcome.is_empty() {
        out.push(Block::Heading("Outcome".to_owned()));
        if let Some(on) = review.held_on {
            out.push(Block::Labeled {
                label: "Held on".to_owned(),
                text: on_day(on),
            });
        }
        if !review.outcome.is_empty() {
            out.push(Block::Paragraph(review.outcome.clone()));
        }
    }

    // Where the program stands in one sentence, and where the whole status is: the packet
    // points at the dashboard rather than printing it again (in the handbook, a link to it).
    out.push(Block::Heading("Where the program stands".to_owned()));
    out.push(Block::Paragraph(standing(ctx)));
    out.push(Block::Links(vec![format!(
        "Status Dashboard as of {}: every workstream, risk, readiness dimension, milestone and action",
        date(ctx.as_of)
    )]));
    out
}

// --- the handbook's other pages ------------------------------------------------------------
