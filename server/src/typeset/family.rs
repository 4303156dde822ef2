//! The serif family official documents are set in. Nghị định 30/2020 asks for Times New
//! Roman; what ships with ecabinet's hosts is Liberation Serif 2, metric-compatible with it
//! (same widths, so lines break where Word would break them) and covering Vietnamese. A
//! configured folder may hold Times New Roman itself, Liberation Serif or Tinos; without any,
//! the DejaVu Serif built into the binary is used (other widths, same letters).

use std::path::Path;
use std::sync::Arc;

/// Where Debian's `fonts-liberation2` puts Liberation Serif 2.
pub const LIBERATION2_DIR: &str = "/usr/share/fonts/truetype/liberation2";

/// File names of the four styles of the families looked for, in order of preference.
const FAMILIES: &[(&str, [&str; 4])] = &[
    (
        "Times New Roman",
        ["times.ttf", "timesbd.ttf", "timesi.ttf", "timesbi.ttf"],
    ),
    (
        "Liberation Serif",
        [
            "LiberationSerif-Regular.ttf",
            "LiberationSerif-Bold.ttf",
            "LiberationSerif-Italic.ttf",
            "LiberationSerif-BoldItalic.ttf",
        ],
    ),
    (
        "Tinos",
        [
            "Tinos-Regular.ttf",
            "Tinos-Bold.ttf",
            "Tinos-Italic.ttf",
            "Tinos-BoldItalic.ttf",
        ],
    ),
];

/// Letters a face must have to set Vietnamese (the older Liberation 1.07 lacks them).
const VIETNAMESE_PROBE: &str = "ẠảẤầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđĐơưƠƯ";

/// The four styles of one family, as bytes (cheap to clone).
#[derive(Clone)]
pub struct Fonts {
    pub regular: Arc<[u8]>,
    pub bold: Arc<[u8]>,
    pub italic: Arc<[u8]>,
    pub bold_italic: Arc<[u8]>,
    /// The family's name, e.g. "Liberation Serif".
    pub name: String,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("name", &self.name).finish()
    }
}

impl Fonts {
    /// The family in `dir` if it holds one that sets Vietnamese, else Liberation Serif 2 where
    /// Debian installs it, else DejaVu Serif; logs which.
    pub fn load(dir: Option<&Path>) -> Self {
        if let Some(dir) = dir {
            match Self::from_dir(dir) {
                Some(fonts) => {
                    tracing::info!(family = %fonts.name, dir = %dir.display(), "record fonts");
                    return fonts;
                }
                None => tracing::warn!(
                    dir = %dir.display(),
                    "no Times New Roman, Liberation Serif or Tinos covering Vietnamese there"
                ),
            }
        }
        if let Some(fonts) = Self::from_dir(Path::new(LIBERATION2_DIR)) {
            tracing::info!(family = %fonts.name, dir = LIBERATION2_DIR, "record fonts");
            return fonts;
        }
        tracing::warn!(
            "record fonts: DejaVu Serif (built in); install fonts-liberation2 for Times New Roman metrics"
        );
        Self::dejavu()
    }

    /// DejaVu Serif, built into the binary.
    pub fn dejavu() -> Self {
        Self {
            regular: Arc::from(dejavu::serif::regular()),
            bold: Arc::from(dejavu::serif::bold()),
            italic: Arc::from(dejavu::serif::italic()),
            bold_italic: Arc::from(dejavu::serif::bold_italic()),
            name: "DejaVu Serif".to_owned(),
        }
    }

    /// The first family of `FAMILIES` whose four files are in `dir` and set Vietnamese.
    pub fn from_dir(dir: &Path) -> Option<Self> {
        FAMILIES.iter().find_map(|(name, files)| {
            let mut faces = Vec::with_capacity(4);
            for file in files {
                let bytes = std::fs::read(dir.join(file)).ok()?;
                if !sets_vietnamese(&bytes) {
                    return None;
                }
                faces.push(Arc::<[u8]>::from(bytes));
            }
            let [regular, bold, italic, bold_italic]: [Arc<[u8]>; 4] = faces.try_into().ok()?;
            Some(Self {
                regular,
                bold,
                italic,
                bold_italic,
                name: (*name).to_owned(),
            })
        })
    }
}

fn sets_vietnamese(bytes: &[u8]) -> bool {
    ttf_parser::Face::parse(bytes, 0).is_ok_and(|face| {
        VIETNAMESE_PROBE
            .chars()
            .all(|c| face.glyph_index(c).is_some_and(|g| g.0 != 0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dejavu_sets_vietnamese() {
        let fonts = Fonts::dejavu();
        for face in [
            &fonts.regular,
            &fonts.bold,
            &fonts.italic,
            &fonts.bold_italic,
        ] {
            assert!(sets_vietnamese(face));
        }
    }

    #[test]
    fn a_folder_without_fonts_gives_none_and_load_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Fonts::from_dir(dir.path()).is_none());
        // A file with the right name that is not a font does not count either.
        std::fs::write(dir.path().join("times.ttf"), b"not a font").unwrap();
        assert!(Fonts::from_dir(dir.path()).is_none());
        let fonts = Fonts::load(Some(dir.path()));
        assert!(
            fonts.name == "Liberation Serif" || fonts.name == "DejaVu Serif",
            "{}",
            fonts.name
        );
    }

    #[test]
    fn a_family_lacking_vietnamese_is_refused() {
        // Liberation 1.07 (Debian's fonts-liberation) has no Vietnamese letters.
        let old = Path::new("/usr/share/fonts/truetype/liberation");
        if old.join("LiberationSerif-Regular.ttf").exists() {
            assert!(Fonts::from_dir(old).is_none());
        }
        let dir = tempfile::tempdir().unwrap();
        for name in FAMILIES[2].1 {
            std::fs::write(dir.path().join(name), dejavu::serif::regular()).unwrap();
        }
        // DejaVu Serif does set Vietnamese: found under Tinos's names.
        assert_eq!(Fonts::from_dir(dir.path()).unwrap().name, "Tinos");
    }
}
