//! How names go into a sentence, one way for the model's sentences and the documents'.

/// "a, b and c"; with the serial comma when a name holds "and" or a comma itself ("Identity and
/// SSO, Org-aware access, and Observability and analytics"), so the last one stands apart.
/// Each name is isolated for the bidirectional algorithm, so a right-to-left name never turns
/// the sentence around it.
pub fn list(items: &[&str]) -> String {
    let ambiguous = items
        .iter()
        .any(|i| i.contains(',') || i.split_whitespace().any(|w| w.eq_ignore_ascii_case("and")));
    let isolated: Vec<String> = items.iter().map(|i| isolate(i)).collect();
    match isolated.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] if ambiguous => format!("{}, and {last}", rest.join(", ")),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A name wrapped in Unicode first-strong isolates when it holds right-to-left letters: the
/// sentence keeps its own direction around it (and text without such letters stays as it is,
/// byte for byte).
pub fn isolate(name: &str) -> String {
    let rtl = name
        .chars()
        .any(|c| matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF));
    if rtl {
        format!("\u{2068}{name}\u{2069}")
    } else {
        name.to_owned()
    }
}

/// A phrase with its first letter in upper case ("a dependency broke" → "A dependency broke").
pub fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
