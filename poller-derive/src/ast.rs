//! The borrowed intermediate form: the input struct with its attributes read.

use crate::attr::{self, ContainerAttrs, FieldAttrs};
use crate::case;
use crate::ctxt::Ctxt;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Type};

/// A struct with named fields.
pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: ContainerAttrs,
    pub fields: Vec<Field<'a>>,
}

/// One named field.
pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: FieldAttrs<'a>,
    /// The key the field has in JSON, after serde's `rename` and `rename_all`.
    pub json_name: String,
}

impl<'a> Input<'a> {
    /// Reads `node`; attribute errors go to `cx`, and a shape that cannot derive at all (an
    /// enum, a union, a tuple or unit struct) is an `Err` with the message to show.
    pub fn from_syn(cx: &Ctxt, node: &'a DeriveInput) -> Result<Self, syn::Error> {
        let attrs = attr::container(cx, &node.attrs);
        let fields = match &node.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => &named.named,
                Fields::Unnamed(_) | Fields::Unit => {
                    return Err(syn::Error::new_spanned(
                        &node.ident,
                        "#[derive(StatusResponse)] belongs on a struct with named fields (the response body's JSON keys), not a tuple or unit struct",
                    ));
                }
            },
            Data::Enum(data) => {
                return Err(syn::Error::new_spanned(
                    data.enum_token,
                    "#[derive(StatusResponse)] belongs on a struct with named fields, not an enum; to map an enum of status values, derive it on the response struct and give it a field of the enum type",
                ));
            }
            Data::Union(data) => {
                return Err(syn::Error::new_spanned(
                    data.union_token,
                    "#[derive(StatusResponse)] belongs on a struct with named fields, not a union",
                ));
            }
        };
        let rename_all = attrs.rename_all.as_ref().map(|lit| lit.value());
        let fields = fields
            .iter()
            .map(|field| {
                let ident = field.ident.as_ref().expect("named field");
                let attrs = attr::field(cx, &field.attrs);
                let plain = ident.to_string();
                let plain = plain.strip_prefix("r#").unwrap_or(&plain).to_owned();
                let json_name = match (&attrs.serde_rename, &rename_all) {
                    (Some(name), _) => name.clone(),
                    (None, Some(rule)) => case::apply_to_field(rule, &plain).unwrap_or(plain),
                    (None, None) => plain,
                };
                Field {
                    ident,
                    ty: &field.ty,
                    attrs,
                    json_name,
                }
            })
            .collect();
        Ok(Input {
            ident: &node.ident,
            generics: &node.generics,
            attrs,
            fields,
        })
    }
}

impl Input<'_> {
    /// The status field: the one marked `#[status(field)]`, else the one named `status`.
    pub fn status_field(&self) -> Option<&Field<'_>> {
        self.fields
            .iter()
            .find(|f| f.attrs.role(attr::Role::Status).is_some())
            .or_else(|| self.fields.iter().find(|f| f.ident == "status"))
    }

    /// The field with `role` (the first, when a mistake gave it to several).
    pub fn field_with(&self, role: attr::Role) -> Option<&Field<'_>> {
        if role == attr::Role::Status {
            return self.status_field();
        }
        self.fields.iter().find(|f| f.attrs.role(role).is_some())
    }

    /// `true` when `field` is the status field.
    pub fn is_status(&self, field: &Field<'_>) -> bool {
        self.status_field()
            .is_some_and(|s| std::ptr::eq(s.ident, field.ident))
    }

    /// The key `detail` uses for `field`: `detail = "name"`, else its JSON name.
    pub fn detail_name(field: &Field<'_>) -> Option<String> {
        let detail = field.attrs.detail.as_ref()?;
        Some(match &detail.name {
            Some(lit) => lit.value(),
            None => field.json_name.clone(),
        })
    }
}
