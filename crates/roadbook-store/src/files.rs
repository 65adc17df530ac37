//! Files Roadbook writes beside the database: exports, issued documents.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file in the same folder, flushed to disk and
/// then renamed over `path`: a reader (or a crash) never sees half a file, and a failure leaves
/// an existing file as it was. The error names the folder or file and the system's reason.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let in_dir = |e: std::io::Error| explained(format!("cannot write in {}", dir.display()), e);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(in_dir)?;
    tmp.write_all(bytes).map_err(in_dir)?;
    tmp.as_file().sync_all().map_err(in_dir)?;
    tmp.persist(path)
        .map_err(|e| explained(format!("cannot write {}", path.display()), e.error))?;
    Ok(())
}

/// `what: reason`, with the system's reason alone: tempfile appends ` at path "…/.tmpXXXX"` (its
/// temporary file's name, which means nothing to the person reading) and keeps the original
/// error only inside its own type, so the suffix is cut from the text.
fn explained(what: String, e: std::io::Error) -> std::io::Error {
    let text = e.to_string();
    let reason = text
        .split_once(" at path ")
        .map_or(text.as_str(), |(r, _)| r);
    std::io::Error::new(e.kind(), format!("{what}: {reason}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readout.pdf");
        std::fs::write(&path, b"an older, longer document").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_folder_is_named_without_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = write_atomically(&missing.join("x.pdf"), b"pdf").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot write in {}: No such file or directory (os error 2)",
                missing.display()
            )
        );
    }

    #[test]
    fn a_failed_write_leaves_the_existing_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a folder: the rename fails after the temporary file was written.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"kept").unwrap();
        let err = write_atomically(&path, b"new").unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("cannot write {}: ", path.display())),
            "{err}"
        );
        assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"kept");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
