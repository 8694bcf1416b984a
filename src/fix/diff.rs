//! `--diff`: what `--fix` would write, as a unified diff (`--- a/path`, `+++ b/path`, so `git apply`
//! and `patch -p1` take it), computed by `fix_file` like the real fix and written nowhere.

use crate::source::SourceFile;

/// The unified diff from `file`'s text to `fixed`, with three lines of context; empty when equal.
pub fn unified(file: &SourceFile, fixed: &str) -> String {
    let path = crate::report::display_path(&file.path);
    similar::TextDiff::from_lines(file.text.as_str(), fixed)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_with_its_context_under_git_style_headers() {
        let f = SourceFile::new("src/a.js", "one\ntwo\nthree\n".to_string());
        assert_eq!(
            unified(&f, "one\nawait two\nthree\n"),
            "--- a/src/a.js\n+++ b/src/a.js\n@@ -1,3 +1,3 @@\n one\n-two\n+await two\n three\n"
        );
        assert_eq!(unified(&f, "one\ntwo\nthree\n"), "");
    }
}
