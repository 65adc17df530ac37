//! Shaping, measuring and wrapping text.
//!
//! Text is split into runs of one face (by glyph coverage) and one direction (UAX #9), and each
//! run is shaped by rustybuzz: kerning and standard ligatures in Latin text, joining forms in
//! Arabic, marks placed on their bases in Hebrew and Devanagari. Widths are the shaped advances,
//! so a line is as wide as it is drawn. Lines break at Unicode break opportunities (UAX #14, so
//! CJK breaks between characters) and words longer than a line are cut by character.
//! Right-to-left runs are laid out in visual order. Vertical mark offsets are not applied (PDF
//! text arrays move the pen horizontally only): a mark keeps the height its font draws it at.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use unicode_linebreak::{BreakOpportunity, linebreaks};

use crate::fonts::{FaceId, Fonts, MISSING, Style};

/// One glyph as the shaper placed it; advances and offsets in em (1.0 = the font size).
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub id: u16,
    pub advance: f32,
    pub x_offset: f32,
    /// How far above the baseline the shaper put it (a mark over or under its base; negative
    /// is below).
    pub y_offset: f32,
    /// What the glyph stands for when the text is copied or searched: its cluster's characters
    /// on the cluster's first glyph ("fi" on a ligature), none on the others.
    pub text: Option<String>,
}

/// A stretch of text drawn with one face in one direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub face: FaceId,
    /// The characters, in the order they are drawn (right-to-left text reversed).
    pub text: String,
    /// Width in points at the size it was made for.
    pub width: f32,
    /// The shaped glyphs, in the order they are drawn.
    pub glyphs: Rc<Vec<Glyph>>,
    /// How much to thicken the glyphs' outlines, in em: bold text in a script whose face has no
    /// bold weight (Arabic, Hebrew, CJK in their fallback faces) is drawn emboldened rather than
    /// losing its weight.
    pub embolden: f32,
}

/// One wrapped line, in visual order.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub runs: Vec<Run>,
    pub width: f32,
}

impl Line {
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }
}

/// The characters as they will be drawn, each with its face: control characters become spaces;
/// a character no face has becomes a visible box.
fn faced(fonts: &Fonts, text: &str, style: Style) -> Vec<(char, FaceId)> {
    text.chars()
        .map(|c| {
            let c = if c.is_control() { ' ' } else { c };
            match fonts.face_for(c, style) {
                Some(face) => (c, face),
                None => (
                    MISSING,
                    fonts
                        .face_for(MISSING, Style::Regular)
                        .unwrap_or(Fonts::primary(style)),
                ),
            }
        })
        .collect()
}

type Shaped = Rc<Vec<Glyph>>;

thread_local! {
    // Words come back again and again in a document (and between measuring and drawing):
    // each text is shaped once per face and direction. Bounded: cleared when it grows large.
    static SHAPED: RefCell<HashMap<(FaceId, bool), HashMap<String, Shaped>>> =
        RefCell::new(HashMap::new());
}

/// `text` in one face and one direction, shaped (cached).
fn shape(fonts: &Fonts, face: FaceId, rtl: bool, text: &str) -> Shaped {
    let hit = SHAPED.with(|cache| {
        cache
            .borrow()
            .get(&(face, rtl))
            .and_then(|texts| texts.get(text).cloned())
    });
    if let Some(hit) = hit {
        return hit;
    }
    let glyphs = Rc::new(shape_now(fonts, face, rtl, text));
    SHAPED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let texts = cache.entry((face, rtl)).or_default();
        if texts.len() > 50_000 {
            texts.clear();
        }
        texts.insert(text.to_owned(), glyphs.clone());
    });
    glyphs
}

thread_local! {
    // A shape plan (the face's features compiled for a direction and script) costs far more
    // than shaping a word with it: one per face, direction and script.
    static PLANS: RefCell<HashMap<(FaceId, bool, rustybuzz::Script), Rc<rustybuzz::ShapePlan>>> =
        RefCell::new(HashMap::new());
}

/// Features left off in Latin text: Inter's contextual alternates (arrows from "->", case
/// forms) change what a lead typed and cost most of the shaping time; kerning and the standard
/// ligatures stay on, as does everything the complex scripts need.
fn quiet_features(script: rustybuzz::Script) -> Vec<rustybuzz::Feature> {
    if script != rustybuzz::script::LATIN {
        return Vec::new();
    }
    [b"calt"]
        .iter()
        .map(|tag| rustybuzz::Feature::new(rustybuzz::ttf_parser::Tag::from_bytes(tag), 0, ..))
        .collect()
}

fn shape_now(fonts: &Fonts, face: FaceId, rtl: bool, text: &str) -> Vec<Glyph> {
    let Some((f, shaper)) = fonts.face(face).and_then(|f| Some((f, f.shaper()?))) else {
        return Vec::new();
    };
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    let direction = if rtl {
        rustybuzz::Direction::RightToLeft
    } else {
        rustybuzz::Direction::LeftToRight
    };
    buffer.set_direction(direction);
    buffer.guess_segment_properties();
    let script = buffer.script();
    let plan = PLANS.with(|plans| {
        plans
            .borrow_mut()
            .entry((face, rtl, script))
            .or_insert_with(|| {
                Rc::new(rustybuzz::ShapePlan::new(
                    shaper,
                    direction,
                    Some(script),
                    None,
                    &quiet_features(script),
                ))
            })
            .clone()
    });
    let shaped = rustybuzz::shape_with_plan(shaper, &plan, buffer);
    let em = f.units_per_em;
    let infos = shaped.glyph_infos();
    let positions = shaped.glyph_positions();
    // Each cluster's text runs from its start to the next cluster's start in the string.
    let mut starts: Vec<usize> = infos.iter().map(|g| g.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let end_of = |start: usize| {
        starts
            .iter()
            .find(|&&s| s > start)
            .copied()
            .unwrap_or(text.len())
    };
    let mut glyphs: Vec<Glyph> = infos
        .iter()
        .zip(positions)
        .map(|(info, pos)| Glyph {
            id: u16::try_from(info.glyph_id).unwrap_or(0),
            advance: pos.x_advance as f32 / em,
            x_offset: pos.x_offset as f32 / em,
            y_offset: pos.y_offset as f32 / em,
            text: None,
        })
        .collect();
    // What each glyph stands for: as many glyphs as characters (a base and its marks) each
    // take one, in order; otherwise (a ligature, a split vowel) the first takes them all.
    let mut at = 0;
    for cluster_infos in infos.chunk_by(|a, b| a.cluster == b.cluster) {
        let count = cluster_infos.len();
        let cluster = cluster_infos.first().map_or(0, |g| g.cluster as usize);
        let chars: Vec<char> = text
            .get(cluster..end_of(cluster))
            .unwrap_or_default()
            .chars()
            .collect();
        if let Some(cluster_glyphs) = glyphs.get_mut(at..at + count) {
            if chars.len() == count {
                // Right to left, the shaper gives a cluster's glyphs in drawing order too.
                if rtl {
                    cluster_glyphs.reverse();
                }
                for (glyph, c) in cluster_glyphs.iter_mut().zip(&chars) {
                    glyph.text = Some(c.to_string());
                }
                if rtl {
                    cluster_glyphs.reverse();
                }
            } else if let Some(first) = cluster_glyphs.first_mut() {
                first.text = Some(chars.iter().collect());
            }
        }
        at += count;
    }
    glyphs
}

/// Left-to-right text shaped word by word and space by space: the words were shaped (and
/// cached) when the line was measured, so drawing it shapes nothing again. Only a kerning pair
/// across a space is lost, which Latin fonts hardly have.
fn shape_by_words(fonts: &Fonts, face: FaceId, text: &str) -> Shaped {
    let mut tokens = text
        .char_indices()
        .filter(|&(i, c)| {
            i > 0
                && text[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|before| before.is_whitespace() != c.is_whitespace())
        })
        .map(|(i, _)| i)
        .peekable();
    if tokens.peek().is_none() {
        return shape(fonts, face, false, text);
    }
    let mut glyphs = Vec::new();
    let mut start = 0;
    for end in tokens.chain(std::iter::once(text.len())) {
        if let Some(token) = text.get(start..end) {
            glyphs.extend(shape(fonts, face, false, token).iter().cloned());
        }
        start = end;
    }
    Rc::new(glyphs)
}

/// Whether any character is written right to left (Hebrew, Arabic and their kin).
fn has_rtl(text: &str) -> bool {
    use unicode_bidi::BidiClass::{AL, AN, R};
    // Nothing below Hebrew (U+0590) is written right to left: most text never needs the
    // lookup in the bidi tables.
    text.chars()
        .any(|c| c >= '\u{0590}' && matches!(unicode_bidi::bidi_class(c), R | AL | AN))
}

/// The stretches of one direction, in visual order, each in logical order with its direction.
///
/// The documents are written left to right, so every line is a left-to-right paragraph: a
/// sentence that opens with an Arabic or Hebrew name keeps its order (the name reads right to
/// left inside it). The isolates that fence such names off are layout marks, not drawn.
fn directional(text: &str) -> Vec<(String, bool)> {
    if !has_rtl(text) {
        return vec![(text.to_owned(), false)];
    }
    let bidi = unicode_bidi::BidiInfo::new(text, Some(unicode_bidi::Level::ltr()));
    let mut out = Vec::new();
    for paragraph in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(paragraph, paragraph.range.clone());
        for run in runs {
            let rtl = levels.get(run.start).is_some_and(|l| l.is_rtl());
            if let Some(part) = text.get(run) {
                let part: String = part.chars().filter(|c| !is_isolate(*c)).collect();
                if !part.is_empty() {
                    out.push((part, rtl));
                }
            }
        }
    }
    out
}

/// The bidirectional isolates (LRI, RLI, FSI, PDI): they steer the order and have no glyph.
fn is_isolate(c: char) -> bool {
    matches!(c, '\u{2066}'..='\u{2069}')
}

/// One line of text, unwrapped, shaped, in visual order, at `size` points.
pub fn line(fonts: &Fonts, text: &str, style: Style, size: f32) -> Line {
    let mut runs = Vec::new();
    for (part, rtl) in directional(text) {
        // Runs of one face, in logical order.
        let mut pieces: Vec<(FaceId, String)> = Vec::new();
        for (c, face) in faced(fonts, &part, style) {
            match pieces.last_mut() {
                Some((f, s)) if *f == face => s.push(c),
                _ => pieces.push((face, c.to_string())),
            }
        }
        if rtl {
            pieces.reverse();
        }
        for (face, piece) in pieces {
            let glyphs = if rtl {
                shape(fonts, face, rtl, &piece)
            } else {
                shape_by_words(fonts, face, &piece)
            };
            let width = glyphs.iter().map(|g| g.advance).sum::<f32>() * size;
            let text = if rtl {
                piece.chars().rev().collect()
            } else {
                piece
            };
            // A fallback face has one weight: bold asked of it is drawn thicker.
            let embolden = match style {
                _ if face == Fonts::primary(style) => 0.0,
                Style::Bold => 0.035,
                Style::SemiBold => 0.02,
                Style::Regular | Style::Italic => 0.0,
            };
            runs.push(Run {
                face,
                text,
                width,
                glyphs,
                embolden,
            });
        }
    }
    let width = runs.iter().map(|r| r.width).sum();
    Line { runs, width }
}

/// Width of `text` in points, as shaped.
pub fn measure(fonts: &Fonts, text: &str, style: Style, size: f32) -> f32 {
    line(fonts, text, style, size).width
}

/// Wraps `text` into lines no wider than `width` points. Newlines in the text are kept.
pub fn wrap(fonts: &Fonts, text: &str, style: Style, size: f32, width: f32) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_width = 0.0f32;
    let mut start = 0;
    let advance = |s: &str| -> f32 { measure(fonts, s, style, size) };
    for (end, opportunity) in linebreaks(text) {
        let Some(segment) = text.get(start..end) else {
            break;
        };
        start = end;
        let mandatory = opportunity == BreakOpportunity::Mandatory;
        let body = segment.trim_end_matches([
            '\n', '\r', '\u{2028}', '\u{2029}', '\u{85}', '\u{b}', '\u{c}',
        ]);
        let visible = body.trim_end();
        let visible_width = advance(visible);
        if !current.is_empty() && current_width + visible_width > width {
            lines.push(line(fonts, current.trim_end(), style, size));
            current.clear();
            current_width = 0.0;
        }
        if visible_width > width {
            // A word wider than the line: hyphenated where the en-US patterns allow ("Observ-",
            // "ability"), each piece as long as fits; what no break fits is cut by characters.
            let hyphen = advance("-");
            let mut rest = visible;
            while advance(rest) > width {
                let fits = hyphenation_points(rest).into_iter().rev().find(|at| {
                    rest.get(..*at)
                        .is_some_and(|h| advance(h) + hyphen <= width)
                });
                let Some(at) = fits else { break };
                let (head, tail) = rest.split_at(at);
                lines.push(line(fonts, &format!("{head}-"), style, size));
                rest = tail;
            }
            let visible = rest;
            for c in visible.chars() {
                let w = advance(c.encode_utf8(&mut [0; 4]));
                if !current.is_empty() && current_width + w > width {
                    lines.push(line(fonts, &current, style, size));
                    current.clear();
                    current_width = 0.0;
                }
                current.push(c);
                current_width += w;
            }
            let rest = body.get(body.trim_end().len()..).unwrap_or_default();
            current.push_str(rest);
            current_width += advance(rest);
        } else {
            // The word measured already, and the spaces after it (shaped once, cached).
            current.push_str(body);
            current_width += visible_width + advance(&body[visible.len()..]);
        }
        if mandatory {
            lines.push(line(fonts, current.trim_end(), style, size));
            current.clear();
            current_width = 0.0;
        }
    }
    if !current.trim().is_empty() || lines.is_empty() {
        lines.push(line(fonts, current.trim_end(), style, size));
    }
    lines
}

/// Where a word may break with a hyphen (byte offsets), by the en-US Knuth-Liang patterns; none
/// for a word of other letters.
fn hyphenation_points(word: &str) -> Vec<usize> {
    use hyphenation::{Hyphenator, Language, Load, Standard};
    static EN_US: std::sync::OnceLock<Option<Standard>> = std::sync::OnceLock::new();
    EN_US
        .get_or_init(|| Standard::from_embedded(Language::EnglishUS).ok())
        .as_ref()
        .map(|d| d.hyphenate(word).breaks)
        .unwrap_or_default()
}

/// One line no wider than `max`, cut with an ellipsis when needed.
pub fn fit(fonts: &Fonts, text: &str, style: Style, size: f32, max: f32) -> Line {
    let whole = line(fonts, text, style, size);
    if whole.width <= max {
        return whole;
    }
    let mut cut: String = text.to_owned();
    while !cut.is_empty() {
        cut.pop();
        let shorter = line(fonts, &format!("{}…", cut.trim_end()), style, size);
        if shorter.width <= max {
            return shorter;
        }
    }
    line(fonts, "…", style, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> &'static Fonts {
        Fonts::get().unwrap()
    }

    #[test]
    fn measures_with_the_fonts_advances() {
        let narrow = measure(fonts(), "iiii", Style::Regular, 10.0);
        let wide = measure(fonts(), "MMMM", Style::Regular, 10.0);
        assert!(wide > narrow * 2.0, "{wide} vs {narrow}");
        assert!(
            measure(fonts(), "Bold", Style::Bold, 10.0)
                > measure(fonts(), "Bold", Style::Regular, 10.0)
        );
        assert_eq!(measure(fonts(), "", Style::Regular, 10.0), 0.0);
    }

    #[test]
    fn a_sentence_opening_with_an_arabic_name_keeps_its_left_to_right_order() {
        // "فريق الهوية waits on a decision": the name first on the left, the verb after it.
        for text in [
            "\u{2068}فريق الهوية\u{2069} waits on a decision",
            "فريق الهوية waits on a decision",
        ] {
            let line = line(fonts(), text, Style::Regular, 10.0);
            let runs: Vec<String> = line.runs.iter().map(|r| r.text.clone()).collect();
            assert!(
                runs.last()
                    .is_some_and(|r| r.ends_with("waits on a decision")),
                "{runs:?}"
            );
            assert!(
                runs.iter().all(|r| !r.chars().any(is_isolate)),
                "isolates are not drawn: {runs:?}"
            );
        }
    }

    #[test]
    fn wraps_at_spaces_within_the_width_and_keeps_every_word() {
        let text = "identity decisions stay abstract and block entitlement implementation across the program";
        let lines = wrap(fonts(), text, Style::Regular, 10.0, 120.0);
        assert!(lines.len() >= 3, "{lines:?}");
        for l in &lines {
            assert!(l.width <= 120.0 + 0.01, "{} is {} wide", l.text(), l.width);
        }
        let joined: Vec<String> = lines.iter().map(|l| l.text()).collect();
        assert_eq!(joined.join(" "), text);
    }

    #[test]
    fn bold_in_a_script_without_a_bold_face_is_emboldened() {
        let mixed = line(fonts(), "Budget فريق 日本", Style::Bold, 10.0);
        let latin = mixed
            .runs
            .iter()
            .find(|r| r.text.contains("Budget"))
            .unwrap();
        assert_eq!(latin.embolden, 0.0, "Inter has its own bold");
        for script in ["فريق", "日本"] {
            let run = mixed
                .runs
                .iter()
                .find(|r| r.text.contains(script.chars().next().unwrap()))
                .unwrap();
            assert!(run.embolden > 0.0, "{script} drawn bold: {mixed:?}");
        }
        let regular = line(fonts(), "日本", Style::Regular, 10.0);
        assert!(regular.runs.iter().all(|r| r.embolden == 0.0));
    }

    #[test]
    fn hyphenates_a_word_longer_than_the_line_where_english_allows() {
        let lines = wrap(fonts(), "Observability", Style::Regular, 10.0, 45.0);
        let texts: Vec<String> = lines.iter().map(Line::text).collect();
        assert!(texts.len() >= 2, "{texts:?}");
        assert!(texts[0].ends_with('-'), "{texts:?}");
        assert_eq!(texts.concat().replace('-', ""), "Observability");
        assert!(lines.iter().all(|l| l.width <= 45.01), "{texts:?}");
    }

    #[test]
    fn breaks_a_word_longer_than_the_line() {
        let word = "x".repeat(400);
        let lines = wrap(fonts(), &word, Style::Regular, 10.0, 100.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| l.width <= 100.01));
        assert_eq!(lines.iter().map(|l| l.text()).collect::<String>(), word);
    }

    #[test]
    fn breaks_cjk_between_characters_and_uses_the_cjk_face() {
        let text = "日本語のテキストは空白なしで長く続くことがあるので文字の間で改行します";
        let lines = wrap(fonts(), text, Style::Regular, 10.0, 80.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| l.width <= 80.01));
        let face = lines[0].runs[0].face;
        assert_eq!(fonts().face(face).unwrap().name, "DroidSansFallback");
    }

    #[test]
    fn keeps_newlines_and_shows_missing_characters_as_a_box() {
        let lines = wrap(fonts(), "first\nsecond", Style::Regular, 10.0, 500.0);
        assert_eq!(
            lines.iter().map(|l| l.text()).collect::<Vec<_>>(),
            ["first", "second"]
        );
        let emoji = line(fonts(), "ok \u{1F9EA}", Style::Regular, 10.0);
        assert_eq!(emoji.text(), format!("ok {MISSING}"));
    }

    #[test]
    fn right_to_left_text_is_drawn_in_visual_order() {
        let drawn = line(fonts(), "שלום", Style::Regular, 10.0).text();
        assert_eq!(drawn, "םולש");
    }

    /// The glyph the font's character map gives `c` alone (its isolated, unshaped form).
    fn plain(face: FaceId, c: char) -> u16 {
        fonts()
            .face(face)
            .unwrap()
            .metrics
            .glyph_index(c)
            .unwrap()
            .0
    }

    fn unkerned(face: FaceId, text: &str, size: f32) -> f32 {
        let f = fonts().face(face).unwrap();
        text.chars()
            .map(|c| {
                let g = f.metrics.glyph_index(c).unwrap();
                f32::from(f.metrics.glyph_hor_advance(g).unwrap()) / f.units_per_em * size
            })
            .sum()
    }

    #[test]
    fn kerning_pairs_sit_closer_than_their_advances() {
        let regular = Fonts::primary(Style::Regular);
        for pair in ["AV", "To", "Ty", "VA"] {
            let shaped = measure(fonts(), pair, Style::Regular, 100.0);
            let plain = unkerned(regular, pair, 100.0);
            assert!(
                shaped < plain - 1.0,
                "{pair}: shaped {shaped} is not closer than the advances {plain}"
            );
        }
        // No kerning pair, no change.
        let plain = unkerned(regular, "HH", 100.0);
        assert!((measure(fonts(), "HH", Style::Regular, 100.0) - plain).abs() < 0.01);
    }

    #[test]
    fn arabic_letters_take_their_joining_forms() {
        let word = "بيت";
        let line = line(fonts(), word, Style::Regular, 10.0);
        assert_eq!(line.runs.len(), 1);
        let run = &line.runs[0];
        assert_eq!(fonts().face(run.face).unwrap().name, "NotoSansArabic");
        let isolated: Vec<u16> = word.chars().map(|c| plain(run.face, c)).collect();
        let drawn: Vec<u16> = run.glyphs.iter().map(|g| g.id).collect();
        assert_eq!(drawn.len(), 3, "{drawn:?}");
        // Drawn right to left: the last letter first. Every letter is in a joined form.
        let mut logical = drawn.clone();
        logical.reverse();
        for (n, (joined, alone)) in logical.iter().zip(&isolated).enumerate() {
            assert_ne!(joined, alone, "letter {n} is in its isolated form");
        }
        // Copying the text gives the letters back, in the order they are read.
        let mut said: Vec<String> = run.glyphs.iter().filter_map(|g| g.text.clone()).collect();
        said.reverse();
        assert_eq!(said.concat(), word);
    }

    #[test]
    fn arabic_vowel_marks_are_placed_above_and_below_their_letters() {
        // Damma and fatha above, the shadda's fatha stacked on it, tanwin: the font moves each
        // up or down onto its letter, which the page must follow.
        let line = line(fonts(), "مُحَمَّدٌ", Style::Regular, 10.0);
        let marks: Vec<&Glyph> = line.runs[0]
            .glyphs
            .iter()
            .filter(|g| g.advance == 0.0)
            .collect();
        assert!(marks.len() >= 4, "{marks:?}");
        assert!(marks.iter().any(|m| m.y_offset != 0.0), "{marks:?}");
    }

    #[test]
    fn marks_sit_on_their_bases_in_hebrew_and_devanagari() {
        // Hebrew points: no advance of their own, moved onto their letter by the font's mark
        // positioning; copying gives the pointed word back.
        let word = "שָׁלוֹם";
        let line = line(fonts(), word, Style::Regular, 10.0);
        let run = &line.runs[0];
        assert_eq!(fonts().face(run.face).unwrap().name, "NotoSansHebrew");
        let marks: Vec<&Glyph> = run.glyphs.iter().filter(|g| g.advance == 0.0).collect();
        assert!(marks.len() >= 2, "{:?}", run.glyphs);
        assert!(marks.iter().any(|m| m.x_offset != 0.0), "{marks:?}");
        let mut said: Vec<String> = run.glyphs.iter().filter_map(|g| g.text.clone()).collect();
        said.reverse();
        let said: String = said.concat();
        let mut letters: Vec<char> = said.chars().collect();
        let mut expected: Vec<char> = word.chars().collect();
        letters.sort_unstable();
        expected.sort_unstable();
        assert_eq!(
            letters, expected,
            "every letter and point copies once: {said}"
        );
        // Devanagari: the vowel sign i is written after its consonant and drawn before it.
        let line = super::line(fonts(), "कि", Style::Regular, 10.0);
        let run = &line.runs[0];
        assert_eq!(fonts().face(run.face).unwrap().name, "NotoSansDevanagari");
        assert_eq!(run.glyphs.len(), 2, "{:?}", run.glyphs);
        assert_eq!(
            run.glyphs[1].id,
            plain(run.face, 'क'),
            "the consonant comes second"
        );
        assert_ne!(run.glyphs[0].id, plain(run.face, 'क'));
    }

    #[test]
    fn ligatures_are_drawn_where_the_font_has_them_and_copy_as_their_letters() {
        // DejaVu Sans (symbols, Greek, Cyrillic) has the standard f-ligatures; shaped in its
        // face, "fi" is one glyph that copies as two letters.
        let dejavu = (0..10)
            .map(FaceId)
            .find(|f| fonts().face(*f).is_some_and(|f| f.name == "DejaVuSans"))
            .unwrap();
        let glyphs = shape(fonts(), dejavu, false, "fi");
        assert_eq!(glyphs.len(), 1, "{glyphs:?}");
        assert_eq!(glyphs[0].text.as_deref(), Some("fi"));
        // In a document line Latin text is Inter's, shaped with its own features; what it
        // draws always copies back as the text.
        let l = line(fonts(), "office fluffy", Style::Regular, 10.0);
        let copied: String = l.runs[0]
            .glyphs
            .iter()
            .filter_map(|g| g.text.clone())
            .collect();
        assert_eq!(copied, "office fluffy");
    }
}
