//! The programs a portfolio shows: all of them, or a list the person chose and saved.

use super::*;

#[test]
fn a_portfolio_shows_every_program_or_the_ones_chosen_and_a_bad_choice_changes_nothing() {
    let (_dir, path, sample) = with_sample();
    let mut store = Store::open(&path).unwrap();
    let second = Handbook::blank("Second program");
    let third = Handbook::blank("Third program");
    store.import(&second, "lead").unwrap();
    store.import(&third, "lead").unwrap();
    let all = vec![sample.program.id, second.program.id, third.program.id];
    assert_eq!(store.portfolio_choice().unwrap(), None);
    assert_eq!(store.portfolio_programs().unwrap(), all);

    // Chosen, in the order chosen; read back by a second handle on the file.
    let chosen = [third.program.id, sample.program.id];
    store.set_portfolio_choice(Some(&chosen)).unwrap();
    let again = Store::open(&path).unwrap();
    assert_eq!(again.portfolio_choice().unwrap(), Some(chosen.to_vec()));
    assert_eq!(again.portfolio_programs().unwrap(), chosen.to_vec());

    // Refused, and the choice stands: an empty list, a program named twice, an id that is not
    // a program here, an item that is not a program.
    let refused = [
        store.set_portfolio_choice(Some(&[])).unwrap_err(),
        store
            .set_portfolio_choice(Some(&[second.program.id, second.program.id]))
            .unwrap_err(),
        store.set_portfolio_choice(Some(&[Id::new()])).unwrap_err(),
        store
            .set_portfolio_choice(Some(&[sample.decisions[0].id]))
            .unwrap_err(),
    ];
    let said: Vec<String> = refused.iter().map(ToString::to_string).collect();
    assert!(said[0].contains("at least one program"), "{said:?}");
    assert!(said[1].contains("named twice"), "{said:?}");
    assert!(said[2].contains("no item with id"), "{said:?}");
    assert!(said[3].contains("not a program"), "{said:?}");
    assert_eq!(store.portfolio_programs().unwrap(), chosen.to_vec());

    // All again.
    store.set_portfolio_choice(None).unwrap();
    assert_eq!(store.portfolio_programs().unwrap(), all);
}
