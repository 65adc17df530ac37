//! Order within a list: a key that always has room between two neighbours.
//!
//! An item's place in its list is an [`OrderKey`], a short ASCII string; a list is ordered by
//! (key, item id), byte by byte, the same in SQLite, PostgreSQL (`COLLATE "C"`), Rust and
//! TypeScript. A move gives the moved item a key between its new neighbours' and changes no
//! other item, so two people reordering different items never touch the same field, and the
//! sync carries a move as one field change.
//!
//! The keys follow the scheme of fractional indexing (Figma's "Realtime editing of ordered
//! sequences", and David Greenspan's variable-length integer refinement): an integer part whose
//! first character says how many digits follow, then a fraction with no trailing zero. Appending
//! and prepending step the integer (keys stay 2-4 characters for thousands of items); inserting
//! between two neighbours extends the fraction, which never runs out.
//!
//! Written here rather than taken from a crate: `fractional_index` 2.0.2 overflows in
//! `new_between` once keys start with a zero byte (130 moves to the top, then one between two
//! of those items), which is exactly what a lead reordering a list does.

use std::cmp::Ordering;
use std::fmt;

/// Digits in ascending byte order, so string order is numeric order.
const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE: usize = DIGITS.len();
/// The key of the first item of an empty list: integer zero, no fraction.
const ZERO: &str = "a0";
/// The smallest integer part; no key may be it alone, so there is always room before any key.
const SMALLEST: &str = "A00000000000000000000000000";

/// A position in a list. Construct one with [`OrderKey::first`], [`OrderKey::between`] or by
/// parsing text ([`str::parse`]), which checks it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderKey(String);

/// Text that is not an order key (from a damaged database or a peer that sent garbage).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a list position (expected a key such as a0 or Zz1V)")]
pub struct BadOrderKey(pub String);

impl fmt::Debug for OrderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderKey({})", self.0)
    }
}

impl fmt::Display for OrderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for OrderKey {
    type Err = BadOrderKey;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadOrderKey(text.to_owned());
        let length = integer_length(text.bytes().next().ok_or_else(bad)?).ok_or_else(bad)?;
        if text.len() < length || text == SMALLEST {
            return Err(bad());
        }
        if !text.bytes().skip(1).all(|b| digit_value(b).is_some()) {
            return Err(bad());
        }
        if text.len() > length && text.ends_with('0') {
            return Err(bad());
        }
        Ok(OrderKey(text.to_owned()))
    }
}

impl serde::Serialize for OrderKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for OrderKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl OrderKey {
    /// The key of the first item of an empty list.
    pub fn first() -> OrderKey {
        OrderKey(ZERO.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key after every key given (`after(None)` is [`OrderKey::first`]).
    pub fn after(last: Option<&OrderKey>) -> OrderKey {
        match last {
            None => OrderKey::first(),
            Some(a) => {
                let (int, frac) = a.split();
                match increment_integer(int) {
                    Some(next) => OrderKey(next),
                    // The largest integer: grow the fraction instead (never reached in practice).
                    None => OrderKey(format!("{int}{}", midpoint(frac, None))),
                }
            }
        }
    }

    /// A key before `first`.
    pub fn before(first: &OrderKey) -> OrderKey {
        let (int, frac) = first.split();
        if int == SMALLEST {
            // The fraction is not empty (SMALLEST alone is not a key), so there is room below it.
            return OrderKey(format!("{int}{}", midpoint("", Some(frac))));
        }
        if !frac.is_empty() {
            return OrderKey(int.to_owned());
        }
        match decrement_integer(int) {
            Some(previous) => OrderKey(previous),
            None => OrderKey(format!("{int}{}", midpoint("", Some(frac)))),
        }
    }

    /// A key strictly between `a` and `b`, either of which may be open (the start or the end of
    /// the list). `None` when `a` is not before `b`: the caller's neighbours are out of order.
    pub fn between(a: Option<&OrderKey>, b: Option<&OrderKey>) -> Option<OrderKey> {
        match (a, b) {
            (None, None) => Some(OrderKey::first()),
            (Some(a), None) => Some(OrderKey::after(Some(a))),
            (None, Some(b)) => Some(OrderKey::before(b)),
            (Some(a), Some(b)) => {
                if a >= b {
                    return None;
                }
                let (ia, fa) = a.split();
                let (ib, fb) = b.split();
                if ia == ib {
                    return Some(OrderKey(format!("{ia}{}", midpoint(fa, Some(fb)))));
                }
                match increment_integer(ia) {
                    Some(next) if next.as_str() < b.as_str() => Some(OrderKey(next)),
                    _ => Some(OrderKey(format!("{ia}{}", midpoint(fa, None)))),
                }
            }
        }
    }

    /// `n` keys in order after `last`, for a list written at once (an import).
    pub fn sequence(last: Option<&OrderKey>, n: usize) -> Vec<OrderKey> {
        let mut out: Vec<OrderKey> = Vec::with_capacity(n);
        let mut previous = last.cloned();
        for _ in 0..n {
            let next = OrderKey::after(previous.as_ref());
            out.push(next.clone());
            previous = Some(next);
        }
        out
    }

    /// Splits into the integer part and the fraction. Only valid keys exist, so the head
    /// character always gives a length within the text.
    fn split(&self) -> (&str, &str) {
        let length = self
            .0
            .bytes()
            .next()
            .and_then(integer_length)
            .unwrap_or(self.0.len())
            .min(self.0.len());
        self.0.split_at(length)
    }
}

/// Orders two items of one list: by key, then by id, so equal keys (two people who moved items
/// into the same gap at once) still give one order on every replica.
pub fn list_order<I: Ord>(a: (&OrderKey, &I), b: (&OrderKey, &I)) -> Ordering {
    a.0.cmp(b.0).then_with(|| a.1.cmp(b.1))
}

fn digit_value(byte: u8) -> Option<usize> {
    DIGITS.iter().position(|&d| d == byte)
}

fn digit(value: usize) -> char {
    DIGITS.get(value).map_or('0', |&d| char::from(d))
}

/// How many characters the integer part has, from its head: `a`..`z` are 0..25 more digits
/// than one (positive integers), `Z`..`A` the same for negative ones.
fn integer_length(head: u8) -> Option<usize> {
    match head {
        b'a'..=b'z' => Some(usize::from(head - b'a') + 2),
        b'A'..=b'Z' => Some(usize::from(b'Z' - head) + 2),
        _ => None,
    }
}

fn increment_integer(int: &str) -> Option<String> {
    let mut bytes = int.as_bytes().to_vec();
    let (head, digits) = bytes.split_first_mut()?;
    let head = *head;
    let mut carry = true;
    for d in digits.iter_mut().rev() {
        let value = digit_value(*d)? + 1;
        if value == BASE {
            *d = b'0';
        } else {
            *d = *DIGITS.get(value)?;
            carry = false;
            break;
        }
    }
    let digits: String = digits.iter().map(|&b| char::from(b)).collect();
    if !carry {
        return Some(format!("{}{digits}", char::from(head)));
    }
    // Every digit rolled over: the integer needs one more digit (or one fewer, below zero).
    match head {
        b'Z' => Some(ZERO.to_owned()),
        b'z' => None,
        _ => {
            let head = head + 1;
            let mut digits = digits;
            if head > b'a' {
                digits.push('0');
            } else {
                digits.pop();
            }
            Some(format!("{}{digits}", char::from(head)))
        }
    }
}

fn decrement_integer(int: &str) -> Option<String> {
    let mut bytes = int.as_bytes().to_vec();
    let (head, digits) = bytes.split_first_mut()?;
    let head = *head;
    let mut borrow = true;
    for d in digits.iter_mut().rev() {
        let value = digit_value(*d)?;
        if value == 0 {
            *d = *DIGITS.get(BASE - 1)?;
        } else {
            *d = *DIGITS.get(value - 1)?;
            borrow = false;
            break;
        }
    }
    let digits: String = digits.iter().map(|&b| char::from(b)).collect();
    if !borrow {
        return Some(format!("{}{digits}", char::from(head)));
    }
    match head {
        b'a' => Some(format!("Z{}", digit(BASE - 1))),
        b'A' => None,
        _ => {
            let head = head - 1;
            let mut digits = digits;
            if head < b'Z' {
                digits.push(digit(BASE - 1));
            } else {
                digits.pop();
            }
            Some(format!("{}{digits}", char::from(head)))
        }
    }
}

/// A fraction strictly between `a` and `b` (`None`: 1), both without trailing zeros and `a < b`.
fn midpoint(a: &str, b: Option<&str>) -> String {
    let a_bytes = a.as_bytes();
    if let Some(b) = b {
        // Keep the common prefix (reading a missing digit of `a` as 0).
        let b_bytes = b.as_bytes();
        let common = b_bytes
            .iter()
            .enumerate()
            .take_while(|&(n, &byte)| a_bytes.get(n).copied().unwrap_or(b'0') == byte)
            .count();
        if common > 0 {
            let prefix = b.get(..common).unwrap_or_default();
            let rest_a = a.get(common.min(a.len())..).unwrap_or_default();
            let rest_b = b.get(common..).unwrap_or_default();
            return format!("{prefix}{}", midpoint(rest_a, Some(rest_b)));
        }
    }
    let digit_a = a_bytes.first().and_then(|&d| digit_value(d)).unwrap_or(0);
    let digit_b = b
        .and_then(|b| b.as_bytes().first())
        .and_then(|&d| digit_value(d))
        .unwrap_or(BASE);
    if digit_b.saturating_sub(digit_a) > 1 {
        return digit((digit_a + digit_b).div_ceil(2)).to_string();
    }
    // Adjacent digits: take b's first digit if b goes on (then it is strictly below b), else
    // a's first digit and a fraction above the rest of a.
    match b {
        Some(b) if b.len() > 1 => b.get(..1).unwrap_or_default().to_owned(),
        _ => format!(
            "{}{}",
            digit(digit_a),
            midpoint(a.get(1..).unwrap_or_default(), None)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(text: &str) -> OrderKey {
        text.parse().unwrap()
    }

    #[test]
    fn appending_and_prepending_keep_keys_short() {
        let keys = OrderKey::sequence(None, 5000);
        assert_eq!(keys[0].as_str(), "a0");
        assert_eq!(keys[1].as_str(), "a1");
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert!(
            keys.iter().all(|k| k.as_str().len() <= 4),
            "{:?}",
            keys.last()
        );
        let mut first = OrderKey::first();
        for _ in 0..5000 {
            let before = OrderKey::before(&first);
            assert!(before < first);
            first = before;
        }
        assert!(first.as_str().len() <= 4, "{first}");
    }

    #[test]
    fn hundreds_of_inserts_into_one_gap_always_find_room() {
        let (low, mut high) = (key("a0"), key("a1"));
        for _ in 0..500 {
            let middle = OrderKey::between(Some(&low), Some(&high)).unwrap();
            assert!(low < middle && middle < high, "{low} {middle} {high}");
            assert_eq!(middle.as_str().parse::<OrderKey>().unwrap(), middle);
            high = middle;
        }
    }

    #[test]
    fn between_refuses_neighbours_out_of_order_or_equal() {
        assert_eq!(OrderKey::between(Some(&key("a1")), Some(&key("a0"))), None);
        assert_eq!(OrderKey::between(Some(&key("a1")), Some(&key("a1"))), None);
    }

    #[test]
    fn text_that_is_not_a_key_is_refused() {
        for bad in ["", "a", "b1", "a10", "a0 ", "!0", "a0é", SMALLEST, "zz"] {
            assert!(bad.parse::<OrderKey>().is_err(), "{bad:?}");
        }
        for good in ["a0", "a1V", "Zz", "b10", "A000000000000000000000000001"] {
            assert_eq!(key(good).as_str(), good);
        }
    }

    proptest! {
        /// Any sequence of inserts at random places keeps a strictly increasing list of valid keys.
        #[test]
        fn random_inserts_keep_the_list_strictly_ordered(places in prop::collection::vec(any::<prop::sample::Index>(), 1..400)) {
            let mut list: Vec<OrderKey> = Vec::new();
            for place in places {
                let at = place.index(list.len() + 1);
                let before = at.checked_sub(1).and_then(|n| list.get(n));
                let next = OrderKey::between(before, list.get(at)).unwrap();
                prop_assert!(next.as_str().parse::<OrderKey>().is_ok(), "{}", next);
                list.insert(at, next);
                prop_assert!(list.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }
}
