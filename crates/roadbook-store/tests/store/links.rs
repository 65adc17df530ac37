//! Dependencies between programs in one database: naming an item of another program is checked
//! when it is named, links are judged from both programs, and what the server said stands in
//! for a program that is not here.

use super::*;
use roadbook_model::{Direction, Link, LinkReason, LinkState};

#[test]
fn a_dependency_names_an_item_of_another_program_here_and_is_judged_from_both() {
    let (_dir, path, sample) = with_sample();
    let mut store = Store::open(&path).unwrap();
    let field = Handbook::blank("Field Enablement");
    store.import(&field, "lead").unwrap();
    let milestone = sample.milestones[0].clone();
    let mut dated = milestone.clone();
    dated.target = Some("2027-01-20".parse().unwrap());
    update(&mut store, sample.program.id, &dated, "lead").unwrap();
    let dependency = |item: Id, program: Id| {
        json!({
            "id": Id::new(),
            "dependent": "Field launch",
            "depends_on": "Identity sign-in",
            "other_item": {"program_id": program, "item_id": item},
            "needed_by": "2027-01-15",
        })
    };
    // Refused, and nothing written: an item of the same program, one not here, a risk.
    let before = store.load(field.program.id).unwrap().dependencies.len();
    for (body, says) in [
        (
            dependency(field.program.id, field.program.id),
            "an item of this program",
        ),
        (
            dependency(Id::new(), sample.program.id),
            "not in a program you can see",
        ),
        (
            dependency(sample.risks[0].id, sample.program.id),
            "names a risk",
        ),
    ] {
        let err = store
            .create_value(field.program.id, Kind::Dependency, body, "lead")
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "{err}");
    }
    assert_eq!(
        store.load(field.program.id).unwrap().dependencies.len(),
        before
    );

    store
        .create_value(
            field.program.id,
            Kind::Dependency,
            dependency(milestone.id, sample.program.id),
            "lead",
        )
        .unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let needs = store.links(field.program.id, today).unwrap();
    let needed = store.links(sample.program.id, today).unwrap();
    assert_eq!(needs.len(), 1);
    assert_eq!(needed.len(), 1);
    assert_eq!(
        (needs[0].direction, needs[0].reason),
        (Direction::Needs, LinkReason::LateDate)
    );
    assert_eq!(
        (needed[0].direction, needed[0].item),
        (Direction::NeededBy, milestone.id)
    );

    // Moved back: holds on both sides.
    let mut back = dated.clone();
    back.target = Some("2027-01-10".parse().unwrap());
    update(&mut store, sample.program.id, &back, "lead").unwrap();
    assert_eq!(
        store.links(field.program.id, today).unwrap()[0].state,
        LinkState::Holding
    );
    assert_eq!(
        store.links(sample.program.id, today).unwrap()[0].state,
        LinkState::Holding
    );

    // What the server said stands in for a link whose other end is not here, and a link only
    // the server knows of (another program's, on an item here) is shown with this item's name.
    let told = Link {
        dependency: Id::new(),
        direction: Direction::NeededBy,
        item: sample.decisions[0].id,
        item_kind: Kind::Decision,
        label: String::new(),
        other_program: Id::new(),
        other_program_name: None,
        other_label: None,
        other_kind: None,
        date: None,
        needed_by: None,
        state: LinkState::Broken,
        reason: LinkReason::NotDoneInTime,
        depends_on: None,
    };
    store
        .set_server_links(sample.program.id, std::slice::from_ref(&told))
        .unwrap();
    let links = Store::open(&path)
        .unwrap()
        .links(sample.program.id, today)
        .unwrap();
    assert_eq!(links.len(), 2);
    let heard = links
        .iter()
        .find(|l| l.dependency == told.dependency)
        .unwrap();
    assert_eq!(heard.label, sample.decisions[0].title);
    assert_eq!(heard.state, LinkState::Broken);
    // Replaced whole at the next word.
    store.set_server_links(sample.program.id, &[]).unwrap();
    assert_eq!(store.links(sample.program.id, today).unwrap().len(), 1);

    // An import is checked as an edit is: a dependency naming an item of its own program (as
    // if of another) is refused, and nothing is imported.
    let mut imported = Handbook::blank("Imported");
    let milestone_here = roadbook_model::Milestone {
        id: Id::new(),
        name: "Here".into(),
        marks: String::new(),
        target: None,
        status_id: imported.statuses[0].id,
        phase_id: None,
        owner_id: None,
    };
    imported.milestones.push(milestone_here.clone());
    imported.dependencies.push(roadbook_model::Dependency {
        id: Id::new(),
        dependent: "x".into(),
        depends_on: "y".into(),
        why_it_matters: String::new(),
        workstream_id: None,
        source: String::new(),
        other_item: Some(roadbook_model::OtherItem {
            program_id: sample.program.id,
            item_id: milestone_here.id,
        }),
        needed_by: None,
        phase_id: None,
        owner_id: None,
    });
    let err = store.import(&imported, "lead").unwrap_err().to_string();
    assert!(err.contains("belongs to program"), "{err}");
    assert!(
        store
            .programs()
            .unwrap()
            .iter()
            .all(|p| p.name != "Imported")
    );
}
