//! What can be told about a field's type from its syntax alone.

use syn::{GenericArgument, PathArguments, Type};

/// A rough kind of type, from its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `String`, `str`, `Cow<str>`, `char`.
    Text,
    /// Integer and float primitives.
    Number,
    Bool,
    /// `Vec`, `VecDeque`, sets, arrays, slices.
    Sequence,
    /// `HashMap`, `BTreeMap`, `serde_json::Map`.
    Map,
    /// Tuples (but not `()`).
    Tuple,
    /// `serde_json::Value`: anything at run time.
    Json,
    /// `Option<T>`.
    Option(Box<Kind>),
    /// Anything else: a user type, a type alias, a generic parameter.
    Other,
}

impl Kind {
    /// The kind inside any `Option`s.
    pub fn unwrap_option(&self) -> &Kind {
        match self {
            Kind::Option(inner) => inner.unwrap_option(),
            other => other,
        }
    }

    /// How a message names this kind.
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Number => "a number",
            Kind::Bool => "a bool",
            Kind::Sequence => "a sequence",
            Kind::Map => "a map",
            Kind::Tuple => "a tuple",
            Kind::Json => "a serde_json::Value",
            Kind::Option(_) => "an Option",
            Kind::Other => "a type",
        }
    }
}

/// The last segment's single type argument, if it has exactly one (`Option<T>` → `T`).
pub fn single_arg<'a>(ty: &'a Type, names: &[&str]) -> Option<&'a Type> {
    let Type::Path(p) = strip(ty) else {
        return None;
    };
    if p.qself.is_some() {
        return None;
    }
    let seg = p.path.segments.last()?;
    if !names.iter().any(|n| seg.ident == n) {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let first = types.next()?;
    types.next().is_none().then_some(first)
}

/// `Option<T>` → `Some(T)`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    single_arg(ty, &["Option"])
}

fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => strip(&p.elem),
        Type::Group(g) => strip(&g.elem),
        other => other,
    }
}

/// Classifies `ty` by its syntax.
pub fn classify(ty: &Type) -> Kind {
    match strip(ty) {
        Type::Reference(r) => classify(&r.elem),
        Type::Array(_) | Type::Slice(_) => Kind::Sequence,
        Type::Tuple(t) if t.elems.is_empty() => Kind::Other,
        Type::Tuple(_) => Kind::Tuple,
        Type::Path(p) if p.qself.is_none() => {
            let Some(seg) = p.path.segments.last() else {
                return Kind::Other;
            };
            let name = seg.ident.to_string();
            match name.as_str() {
                "String" | "str" | "char" | "Cow" => Kind::Text,
                "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64"
                | "i128" | "isize" | "f32" | "f64" => Kind::Number,
                "bool" => Kind::Bool,
                "Vec" | "VecDeque" | "LinkedList" | "HashSet" | "BTreeSet" | "BinaryHeap" => {
                    Kind::Sequence
                }
                "HashMap" | "BTreeMap" | "IndexMap" => Kind::Map,
                "Map" if p.path.segments.len() > 1 => Kind::Map,
                "Value" => Kind::Json,
                "Option" => match single_arg(ty, &["Option"]) {
                    Some(inner) => Kind::Option(Box::new(classify(inner))),
                    None => Kind::Other,
                },
                "Box" | "Arc" | "Rc" => match single_arg(ty, &["Box", "Arc", "Rc"]) {
                    Some(inner) => classify(inner),
                    None => Kind::Other,
                },
                _ => Kind::Other,
            }
        }
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn kinds() {
        assert_eq!(classify(&parse_quote!(String)), Kind::Text);
        assert_eq!(classify(&parse_quote!(&'a str)), Kind::Text);
        assert_eq!(
            classify(&parse_quote!(Option<f64>)),
            Kind::Option(Box::new(Kind::Number))
        );
        assert_eq!(classify(&parse_quote!(Vec<u8>)), Kind::Sequence);
        assert_eq!(classify(&parse_quote!(serde_json::Value)), Kind::Json);
        assert_eq!(
            classify(&parse_quote!(serde_json::Map<String, Value>)),
            Kind::Map
        );
        assert_eq!(classify(&parse_quote!(Box<u32>)), Kind::Number);
        assert_eq!(classify(&parse_quote!(MyEnum)), Kind::Other);
        assert_eq!(classify(&parse_quote!(())), Kind::Other);
        assert_eq!(classify(&parse_quote!((u8, u8))), Kind::Tuple);
    }

    #[test]
    fn option() {
        let ty: Type = parse_quote!(std::option::Option<Vec<u8>>);
        assert!(option_inner(&ty).is_some());
        assert!(option_inner(&parse_quote!(Vec<u8>)).is_none());
    }
}
