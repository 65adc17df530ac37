//! The Review Packet: what one review meeting needs in front of it.

use super::*;

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
