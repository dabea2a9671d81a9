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
            .find(|f| {
                f.attrs.role(attr::Role::Status).is_some()
                    || f.attrs.role(attr::Role::HttpStatus).is_some()
            })
            .or_else(|| self.fields.iter().find(|f| f.ident == "status"))
    }

    /// The field with `role` and how it was given (the first, when a mistake gave it to
    /// several).
    pub fn role(&self, role: attr::Role) -> Option<(&Field<'_>, &attr::RoleAttr)> {
        self.roles(role).next()
    }

    /// Every field with `role`, in field order.
    pub fn roles(
        &self,
        role: attr::Role,
    ) -> impl Iterator<Item = (&Field<'_>, &attr::RoleAttr)> + '_ {
        self.fields
            .iter()
            .filter_map(move |f| f.attrs.role_attr(role).map(|r| (f, r)))
    }

    /// The output type: the output field's (inside an `Option`), `serde_json::Value` for an
    /// output read at a path or from a JSON string or fetched by a result step, `()` without
    /// an output.
    pub fn output_type(&self, krate: &syn::Path) -> Type {
        match self.role(attr::Role::Output) {
            Some((_, r)) if r.path.is_some() || r.json_string => {
                syn::parse_quote!(#krate::__private::serde_json::Value)
            }
            Some((f, _)) => crate::types::option_inner(f.ty).unwrap_or(f.ty).clone(),
            // The result step's body is the output.
            None if self.role(attr::Role::ResultUrl).is_some()
                || self
                    .attrs
                    .request
                    .as_ref()
                    .is_some_and(|r| r.result.is_some()) =>
            {
                syn::parse_quote!(#krate::__private::serde_json::Value)
            }
            None => syn::parse_quote!(()),
        }
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
