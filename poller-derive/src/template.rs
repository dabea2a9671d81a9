//! Request templates: `/v1/jobs/{task_id}` with `{name}` placeholders.

/// What is wrong with a template.
#[derive(Debug, PartialEq, Eq)]
pub enum TemplateError {
    Unclosed,
    Empty,
    Unmatched,
    BadName(String),
}

impl TemplateError {
    pub fn message(&self, template: &str) -> String {
        match self {
            TemplateError::Unclosed => format!(
                "unclosed `{{` in the template {template:?}; placeholders look like `{{task_id}}` or `{{org_id}}`"
            ),
            TemplateError::Empty => format!(
                "empty placeholder `{{}}` in the template {template:?}; name it, e.g. `{{task_id}}` or `{{org_id}}`"
            ),
            TemplateError::Unmatched => format!(
                "unmatched `}}` in the template {template:?}; placeholders look like `{{task_id}}` or `{{org_id}}`"
            ),
            TemplateError::BadName(name) => format!(
                "`{{{name}}}` in the template {template:?} is not a placeholder: placeholder names are identifiers (ASCII letters, digits and `_`), e.g. `{{task_id}}` or `{{org_id}}`"
            ),
        }
    }
}

/// The placeholder names in `template`, in order (with repeats); a `{+name}` placeholder (one
/// that keeps `/` in a path) is returned as `+name`.
pub fn placeholders(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut names = Vec::new();
    let mut rest = template;
    loop {
        let open = rest.find('{');
        let close = rest.find('}');
        match (open, close) {
            (None, None) => return Ok(names),
            (_, Some(c)) if open.is_none_or(|o| c < o) => return Err(TemplateError::Unmatched),
            (Some(o), _) => {
                let after = &rest[o + 1..];
                let end = after.find('}').ok_or(TemplateError::Unclosed)?;
                let name = &after[..end];
                if name.is_empty() {
                    return Err(TemplateError::Empty);
                }
                if !is_ident(name.strip_prefix('+').unwrap_or(name)) {
                    return Err(TemplateError::BadName(name.to_owned()));
                }
                names.push(name.to_owned());
                rest = &after[end + 1..];
            }
            (None, Some(_)) => unreachable!(),
        }
    }
}

fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && name != "_" && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(
            placeholders("/task/{org_id}/{endpoint}/{task_id}").unwrap(),
            ["org_id", "endpoint", "task_id"]
        );
        assert_eq!(placeholders("/plain").unwrap(), Vec::<String>::new());
        assert_eq!(placeholders("/a/{task_id"), Err(TemplateError::Unclosed));
        assert_eq!(placeholders("/a/{}"), Err(TemplateError::Empty));
        assert_eq!(placeholders("/a/}x"), Err(TemplateError::Unmatched));
        assert_eq!(
            placeholders("/a/{task-id}"),
            Err(TemplateError::BadName("task-id".into()))
        );
        assert_eq!(
            placeholders("/a/{a{b}"),
            Err(TemplateError::BadName("a{b".into()))
        );
        assert_eq!(placeholders("/v1/{+task_id}").unwrap(), ["+task_id"]);
        assert!(placeholders("/a/{+}").is_err());
        assert!(placeholders("/a/{_}").is_err());
        assert!(placeholders("/a/{1x}").is_err());
    }
}
