//! One name for one file, however it was spelled on the command line (`dir`, `./dir`, `a/../dir`,
//! an absolute path, a symbolic link), and files replaced without a window where they are
//! half-written.

use std::path::{Component, Path, PathBuf};

/// `path` made absolute against the current directory, with `.` and `..` resolved by name (links
/// are not followed).
pub fn lexical_absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The file's real path (links resolved) when it exists, else [`lexical_absolute`].
pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| lexical_absolute(path))
}

/// `path` relative to `root` with `/` separators (both already canonical), or the whole path
/// with `/` separators when it is not under `root`.
pub fn key(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::RootDir => String::new(),
            other => other.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    let joined = parts.join("/");
    if rel.has_root() && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Replaces `path` with `bytes` atomically: written to a new file in the same directory, flushed,
/// given the old file's permissions, then renamed over it; readers see the old file or the new one,
/// never a part. A symbolic link is followed: its target is replaced, the link stays. The one way
/// txlint writes a file (`--fix`, `--output`, baselines).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let path = target.as_path();
    let old_permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| match &old_permissions {
            Some(p) => std::fs::set_permissions(&tmp, p.clone()),
            None => Ok(()),
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_path() {
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(lexical_absolute(Path::new("./a/../b/./c.js")), cwd.join("b/c.js"));
        assert_eq!(lexical_absolute(Path::new("/x/y/../z")), PathBuf::from("/x/z"));
        assert_eq!(key(Path::new("/p/src/a.js"), Path::new("/p")), "src/a.js");
        assert_eq!(key(Path::new("/q/a.js"), Path::new("/p")), "/q/a.js");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("b.json");
        std::fs::write(&p, "old").expect("write");
        write_atomic(&p, b"new").expect("replace");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "new");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
        assert!(write_atomic(&dir.path().join("no/such/dir/b.json"), b"x").is_err());
    }
}
