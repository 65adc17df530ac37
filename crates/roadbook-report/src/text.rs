//! Measuring and wrapping text with the fonts' real advances.
//!
//! printpdf gives glyph advances and nothing more, so the rest is here: splitting text into
//! runs of one face, line breaking at Unicode break opportunities (UAX #14, so CJK breaks
//! between characters), breaking words longer than a line, and putting right-to-left text in
//! visual order (UAX #9). Arabic letters are not joined (no shaper): they show in their
//! isolated forms, readable but plainer than a shaped line.

use unicode_linebreak::{BreakOpportunity, linebreaks};

use crate::fonts::{FaceId, Fonts, MISSING, Style};

/// A stretch of text drawn with one face.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub face: FaceId,
    pub text: String,
    /// Width in points at the size it was made for.
    pub width: f32,
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

/// The face and advance (in points) of each character as it will be drawn. Control characters
/// become spaces; a character no face has becomes a visible box.
fn glyphs(fonts: &Fonts, text: &str, style: Style, size: f32) -> Vec<(char, FaceId, f32)> {
    text.chars()
        .map(|c| {
            let c = if c.is_control() { ' ' } else { c };
            match fonts.face_for(c, style) {
                Some(face) => (c, face, fonts.advance(face, c) * size),
                None => {
                    let face = fonts
                        .face_for(MISSING, Style::Regular)
                        .unwrap_or(Fonts::primary(style));
                    (MISSING, face, fonts.advance(face, MISSING) * size)
                }
            }
        })
        .collect()
}

fn to_runs(glyphs: &[(char, FaceId, f32)]) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for &(c, face, width) in glyphs {
        match runs.last_mut() {
            Some(run) if run.face == face => {
                run.text.push(c);
                run.width += width;
            }
            _ => runs.push(Run {
                face,
                text: c.to_string(),
                width,
            }),
        }
    }
    runs
}

/// Width of `text` in points.
pub fn measure(fonts: &Fonts, text: &str, style: Style, size: f32) -> f32 {
    glyphs(fonts, text, style, size).iter().map(|g| g.2).sum()
}

/// One line of text, unwrapped, in visual order.
pub fn line(fonts: &Fonts, text: &str, style: Style, size: f32) -> Line {
    let visual = visual_order(text);
    let runs = to_runs(&glyphs(fonts, &visual, style, size));
    let width = runs.iter().map(|r| r.width).sum();
    Line { runs, width }
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
            // A word wider than the line: cut it by characters.
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
            let rest = &body[visible.len()..];
            current.push_str(rest);
            current_width += advance(rest);
        } else {
            current.push_str(body);
            current_width += advance(body);
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

/// Right-to-left text put in the order it is drawn, left to right.
fn visual_order(text: &str) -> String {
    let bidi = unicode_bidi::BidiInfo::new(text, None);
    if !bidi.has_rtl() {
        return text.to_owned();
    }
    bidi.paragraphs
        .iter()
        .map(|p| bidi.reorder_line(p, p.range.clone()).into_owned())
        .collect()
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
}
