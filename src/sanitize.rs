//! Remote strings (task ids, statuses, outputs, error bodies) may hold control characters; on
//! a terminal an escape sequence could move the cursor or rewrite the screen. They are shown
//! escaped (`\u{1b}`), as fd does with file names.

/// `text` with every control character escaped.
pub fn sanitize(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(sanitize("plain é🦀"), "plain é🦀");
        assert_eq!(sanitize("a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(sanitize(&sanitize("\x07")), "\\u{7}");
    }
}
