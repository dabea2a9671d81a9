//! serde's `rename_all` rules, applied to field names (so that `detail` keys are the names the
//! API uses), and the snake_case default for `HttpEndpoint::NAME`.

/// serde's field renaming rule for `rule`, or `None` for a rule serde does not know (serde
/// itself reports that).
pub fn apply_to_field(rule: &str, field: &str) -> Option<String> {
    Some(match rule {
        "lowercase" | "snake_case" => field.to_owned(),
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_ascii_uppercase(),
        "PascalCase" => pascal(field),
        "camelCase" => {
            let p = pascal(field);
            let mut chars = p.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => p,
            }
        }
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.to_ascii_uppercase().replace('_', "-"),
        _ => return None,
    })
}

fn pascal(field: &str) -> String {
    let mut out = String::new();
    let mut capitalize = true;
    for ch in field.chars() {
        if ch == '_' {
            capitalize = true;
        } else if capitalize {
            out.extend(ch.to_uppercase());
            capitalize = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// `NaradaStatus` → `narada_status`, `HTTPJob` → `http_job`.
pub fn snake_case(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::new();
    for (i, &ch) in chars.iter().enumerate() {
        if ch.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && chars[i - 1] != '_' && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(
            apply_to_field("camelCase", "completed_at").unwrap(),
            "completedAt"
        );
        assert_eq!(
            apply_to_field("PascalCase", "completed_at").unwrap(),
            "CompletedAt"
        );
        assert_eq!(
            apply_to_field("kebab-case", "total_cost").unwrap(),
            "total-cost"
        );
        assert_eq!(
            apply_to_field("SCREAMING-KEBAB-CASE", "total_cost").unwrap(),
            "TOTAL-COST"
        );
        assert_eq!(
            apply_to_field("SCREAMING_SNAKE_CASE", "a_b").unwrap(),
            "A_B"
        );
        assert_eq!(apply_to_field("lowercase", "a_b").unwrap(), "a_b");
        assert!(apply_to_field("Nope", "a").is_none());
    }

    #[test]
    fn snake() {
        assert_eq!(snake_case("NaradaStatus"), "narada_status");
        assert_eq!(snake_case("HTTPJob"), "http_job");
        assert_eq!(snake_case("Job2Status"), "job2_status");
        assert_eq!(snake_case("job"), "job");
    }
}
