//! Writing a fixed file without ever losing its contents: only a regular file the user may write
//! is replaced, through `paths::write_atomic` (a temporary file in the same directory, flushed,
//! given the original's permissions, renamed over it). A kill or a full disk at any point leaves
//! either the old file or the new one, never a truncated mix; on any error the original is
//! untouched.

use std::path::Path;

/// Replaces the contents of `path` (a symbolic link's target, not the link) with `text`.
/// The error says why, with the operating system's message; the file is then unchanged.
pub fn write_fixed(path: &Path, text: &str) -> Result<(), String> {
    let target = std::fs::canonicalize(path).map_err(|e| format!("cannot find the file to fix: {e}"))?;
    let meta = std::fs::metadata(&target).map_err(|e| format!("cannot read the file's metadata: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file; fixes not written".to_string());
    }
    // A file without any write permission says "do not modify" even to a user who could.
    if meta.permissions().readonly() {
        return Err("the file is read-only; fixes not written".to_string());
    }
    // Renaming over a file needs only the directory to be writable: check the file itself is,
    // so that a read-only file stays read-only (opening for writing without truncating changes
    // nothing).
    if let Err(e) = std::fs::OpenOptions::new().write(true).open(&target) {
        let why = if e.kind() == std::io::ErrorKind::PermissionDenied {
            "the file is read-only".to_string()
        } else {
            format!("cannot open the file for writing: {e}")
        };
        return Err(format!("{why}; fixes not written"));
    }
    crate::paths::write_atomic(&target, text.as_bytes())
        .map_err(|e| format!("cannot write the fixed file: {e}; the file is unchanged"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_contents_and_keeps_permissions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.js");
        std::fs::write(&p, "old").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        }
        write_fixed(&p, "new text").expect("written");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "new text");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_a_symlink_to_its_target() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.js");
        let link = dir.path().join("link.js");
        std::fs::write(&real, "old").expect("write");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        write_fixed(&link, "new").expect("written");
        assert_eq!(std::fs::read_to_string(&real).expect("read"), "new");
        assert!(std::fs::symlink_metadata(&link).expect("meta").file_type().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_file_is_refused_and_unchanged() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("ro.js");
        std::fs::write(&p, "old").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        let err = write_fixed(&p, "new").expect_err("refused");
        assert!(err.contains("read-only"), "{err}");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "old");
    }
}
