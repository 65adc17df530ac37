//! The embedded fonts and which one draws each character.
//!
//! Inter draws everything it can; characters it lacks fall back, by glyph coverage, to Noto
//! Sans Arabic, Hebrew and Devanagari, DejaVu Sans (symbols, Greek, Cyrillic), Droid Sans
//! Fallback (Chinese, Japanese) and Nanum Barun Gothic (Korean). A character no face has is
//! drawn as a visible box, never dropped.

use std::sync::OnceLock;

use printpdf::ParsedFont;

use crate::ReportError;

/// The weight and slant of a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    Regular,
    Italic,
    SemiBold,
    Bold,
}

/// One embedded face. The index is stable: it names the face in the PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaceId(pub(crate) usize);

struct FaceData {
    name: &'static str,
    bytes: &'static [u8],
}

const FACES: [FaceData; 11] = [
    FaceData {
        name: "InterRegular",
        bytes: include_bytes!("../fonts/Inter-Regular.otf"),
    },
    FaceData {
        name: "InterItalic",
        bytes: include_bytes!("../fonts/Inter-Italic.otf"),
    },
    FaceData {
        name: "InterSemiBold",
        bytes: include_bytes!("../fonts/Inter-SemiBold.otf"),
    },
    FaceData {
        name: "InterBold",
        bytes: include_bytes!("../fonts/Inter-Bold.otf"),
    },
    FaceData {
        name: "NotoSansArabic",
        bytes: include_bytes!("../fonts/NotoSansArabic-Regular.ttf"),
    },
    FaceData {
        name: "NotoSansHebrew",
        bytes: include_bytes!("../fonts/NotoSansHebrew-Regular.ttf"),
    },
    FaceData {
        name: "DejaVuSans",
        bytes: include_bytes!("../fonts/DejaVuSans.ttf"),
    },
    FaceData {
        name: "DroidSansFallback",
        bytes: include_bytes!("../fonts/DroidSansFallbackFull.ttf"),
    },
    FaceData {
        name: "NanumBarunGothic",
        bytes: include_bytes!("../fonts/NanumBarunGothic.ttf"),
    },
    FaceData {
        name: "NotoSansDevanagari",
        bytes: include_bytes!("../fonts/NotoSansDevanagari-Regular.ttf"),
    },
    // Monochrome emoji and pictographs (Unicode 9), last: only for what no other face has.
    FaceData {
        name: "Symbola",
        bytes: include_bytes!("../fonts/Symbola.ttf"),
    },
];

/// Fallback faces, in the order they are tried.
const FALLBACKS: [usize; 7] = [4, 5, 9, 6, 7, 8, 10];

/// Faces whose shaping reorders and fuses letters (Devanagari draws a vowel sign before its
/// consonant): a glyph-by-glyph copy text cannot say what they draw, so their runs carry their
/// text whole.
const REORDERING: [&str; 1] = ["NotoSansDevanagari"];

/// Drawn for a character no face has: a white square, which DejaVu Sans has.
pub const MISSING: char = '\u{25A1}';

pub(crate) struct Face {
    pub name: &'static str,
    pub metrics: ttf_parser::Face<'static>,
    pub units_per_em: f32,
    bytes: &'static [u8],
    /// The same face for the shaper (kerning, ligatures, joining forms, mark placement), made on
    /// first use: reading a face's layout tables costs milliseconds a document without its
    /// script should not pay.
    shaper: OnceLock<Option<rustybuzz::Face<'static>>>,
    /// Which of the first 256 characters the face has, read from its cmap once: almost every
    /// character of a lead's text is one of them, and a cmap search per character per line was
    /// a tenth of a long document's time.
    latin: OnceLock<[u64; 4]>,
}

impl Face {
    fn has(&self, c: char) -> bool {
        let code = c as u32;
        if code < 256 {
            let bits = self.latin.get_or_init(|| {
                let mut bits = [0u64; 4];
                for code in 0..256u32 {
                    let found =
                        char::from_u32(code).is_some_and(|c| self.metrics.glyph_index(c).is_some());
                    if found && let Some(word) = bits.get_mut((code / 64) as usize) {
                        *word |= 1 << (code % 64);
                    }
                }
                bits
            });
            return bits
                .get((code / 64) as usize)
                .is_some_and(|word| word & (1 << (code % 64)) != 0);
        }
        self.metrics.glyph_index(c).is_some()
    }

    pub fn shaper(&self) -> Option<&rustybuzz::Face<'static>> {
        self.shaper
            .get_or_init(|| rustybuzz::Face::from_slice(self.bytes, 0))
            .as_ref()
    }
}

/// The faces, parsed once per process. ttf-parser reads tables lazily, so this costs
/// microseconds; printpdf's heavier parse happens only for faces a document uses.
pub(crate) struct Fonts {
    faces: Vec<Face>,
}

static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
static PARSED: [OnceLock<Option<ParsedFont>>; FACES.len()] =
    [const { OnceLock::new() }; FACES.len()];

impl Face {
    /// Whether a run in this face copies as its whole text rather than glyph by glyph.
    pub fn copies_whole(&self) -> bool {
        REORDERING.contains(&self.name)
    }
}

impl Fonts {
    pub fn get() -> Result<&'static Fonts, ReportError> {
        FONTS
            .get_or_init(|| {
                let mut faces = Vec::with_capacity(FACES.len());
                for data in &FACES {
                    let metrics = ttf_parser::Face::parse(data.bytes, 0)
                        .map_err(|e| format!("font {} cannot be read: {e}", data.name))?;
                    let units_per_em = f32::from(metrics.units_per_em());
                    faces.push(Face {
                        name: data.name,
                        metrics,
                        units_per_em,
                        bytes: data.bytes,
                        shaper: OnceLock::new(),
                        latin: OnceLock::new(),
                    });
                }
                Ok(Fonts { faces })
            })
            .as_ref()
            .map_err(|e| ReportError::Font(e.clone()))
    }

    pub fn face(&self, id: FaceId) -> Option<&Face> {
        self.faces.get(id.0)
    }

    pub fn primary(style: Style) -> FaceId {
        FaceId(match style {
            Style::Regular => 0,
            Style::Italic => 1,
            Style::SemiBold => 2,
            Style::Bold => 3,
        })
    }

    /// The face that draws `c` in `style`, or `None` when no face has it.
    pub fn face_for(&self, c: char, style: Style) -> Option<FaceId> {
        let primary = Self::primary(style);
        if self.has(primary, c) {
            return Some(primary);
        }
        FALLBACKS
            .iter()
            .map(|&i| FaceId(i))
            .find(|&f| self.has(f, c))
    }

    fn has(&self, face: FaceId, c: char) -> bool {
        self.face(face).is_some_and(|f| f.has(c))
    }

    /// Parses for embedding, ahead of need, the faces nearly every document embeds (the primary
    /// regular, semibold and bold): a second thread does it while the first lays out the pages.
    /// A face that does not parse is said when it is embedded.
    pub fn parse_common(&self) {
        for style in [Style::Regular, Style::SemiBold, Style::Bold] {
            let _ = self.parsed(Self::primary(style));
        }
    }

    /// printpdf's parse of a face, made once per process on first use.
    pub fn parsed(&self, face: FaceId) -> Result<&'static ParsedFont, ReportError> {
        let data = FACES
            .get(face.0)
            .ok_or_else(|| ReportError::Font(format!("no face {}", face.0)))?;
        let slot = PARSED
            .get(face.0)
            .ok_or_else(|| ReportError::Font(format!("no face {}", face.0)))?;
        slot.get_or_init(|| ParsedFont::from_bytes(data.bytes, 0, &mut Vec::new()))
            .as_ref()
            .ok_or_else(|| ReportError::Font(format!("font {} cannot be embedded", data.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_face_parses_and_covers_its_script() {
        let fonts = Fonts::get().unwrap();
        assert_eq!(
            fonts.face_for('a', Style::Bold),
            Some(Fonts::primary(Style::Bold))
        );
        assert_eq!(
            fonts.face_for('é', Style::Regular),
            Some(Fonts::primary(Style::Regular))
        );
        let name = |c| {
            fonts
                .face(fonts.face_for(c, Style::Regular).unwrap())
                .unwrap()
                .name
        };
        assert_eq!(name('日'), "DroidSansFallback");
        assert_eq!(name('한'), "NanumBarunGothic");
        assert_eq!(name('ب'), "NotoSansArabic");
        assert_eq!(name('ש'), "NotoSansHebrew");
        assert!(
            fonts.face_for(MISSING, Style::Regular).is_some(),
            "the box for missing characters is drawable"
        );
        // Emoji a lead types into a title: each drawn, in monochrome, none as an empty box.
        for emoji in ['😀', '🚀', '✅', '📊', '🔥', '👍', '🎯', '📌', '🤝'] {
            assert!(
                fonts.face_for(emoji, Style::Regular).is_some(),
                "{emoji} has a face"
            );
        }
        assert_eq!(name('🚀'), "Symbola");
        assert_eq!(
            fonts.face_for('\u{1F9EA}', Style::Regular),
            None,
            "an emoji newer than any face (Unicode 11)"
        );
    }
}
