//! Task ids from the command line, stdin (`-`) and `--ids-file`, checked before anything is
//! sent.

use crate::error::CliError;
use std::collections::HashSet;
use std::io::BufRead;
use std::path::PathBuf;

/// The ids in order of first appearance, without repeats: the arguments, with `-` replaced by
/// the lines of `stdin`, then the lines of each file. Blank lines and lines starting with `#`
/// are skipped and lines are trimmed; an id that is empty, `.` or `..` or holds a control
/// character is refused (naming it and where it came from), and so is having no id at all.
pub fn collect(
    args: &[String],
    files: &[PathBuf],
    stdin: impl BufRead,
) -> Result<Vec<String>, CliError> {
    let mut ids: Vec<(String, String)> = Vec::new();
    let mut stdin = Some(stdin);
    for (n, arg) in args.iter().enumerate() {
        if arg == "-" {
            if let Some(input) = stdin.take() {
                read_lines(input, "stdin", &mut ids)?;
            }
        } else {
            ids.push((arg.clone(), format!("argument {}", n + 1)));
        }
    }
    for path in files {
        let file = std::fs::File::open(path).map_err(|source| CliError::Read {
            path: path.display().to_string(),
            source,
        })?;
        read_lines(
            std::io::BufReader::new(file),
            &path.display().to_string(),
            &mut ids,
        )?;
    }
    if ids.is_empty() {
        return Err(CliError::Usage(
            "no task ids: give them as arguments, `-` to read them from stdin, or --ids-file FILE"
                .into(),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for (id, origin) in ids {
        check(&id).map_err(|why| CliError::Usage(format!("task id {id:?} ({origin}) {why}")))?;
        if seen.insert(id.clone()) {
            out.push(id);
        }
    }
    Ok(out)
}

fn read_lines(
    input: impl BufRead,
    origin: &str,
    ids: &mut Vec<(String, String)>,
) -> Result<(), CliError> {
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|source| CliError::Read {
            path: origin.to_string(),
            source,
        })?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        ids.push((line.to_string(), format!("{origin} line {}", n + 1)));
    }
    Ok(())
}

/// Why `id` cannot be a task id, if it cannot.
pub fn check(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        Err("is empty")
    } else if id == "." || id == ".." {
        Err("is a path step, not an id: in a URL it would change the path")
    } else if id.chars().any(char::is_control) {
        Err("holds a control character")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stdin_lines_replace_the_dash_in_order_without_repeats() {
        let input = "# a comment\n\n  b  \nc\r\na\n";
        let ids = collect(&strings(&["a", "-", "d"]), &[], input.as_bytes()).unwrap();
        assert_eq!(ids, ["a", "b", "c", "d"]);
    }

    #[test]
    fn bad_ids_are_refused_naming_the_id_and_its_origin() {
        let err = collect(&strings(&["ok", ".."]), &[], &b""[..]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "task id \"..\" (argument 2) is a path step, not an id: in a URL it would change the path"
        );
        let err = collect(&strings(&["-"]), &[], &b"x\n.\n"[..]).unwrap_err();
        assert!(err.to_string().contains("\".\" (stdin line 2)"), "{err}");
        let err = collect(&strings(&[""]), &[], &b""[..]).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
        let err = collect(&strings(&["-"]), &[], &b"# only\n"[..]).unwrap_err();
        assert!(err.to_string().starts_with("no task ids"), "{err}");
    }
}
