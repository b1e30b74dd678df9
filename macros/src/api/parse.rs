use crate::attr::AttrArgs;
use crate::ctxt::Ctxt;
use keel_naming::{ApiPath, check_api_path, check_permission_name, check_version};
use proc_macro2::{Span, TokenStream};
use syn::{FnArg, Ident, ImplItem, Item, ItemFn, ItemImpl, LitStr, Pat, ReturnType, Signature, Type};

const MACRO: &str = "api";
const KEYS: &[&str] = &["path", "version", "public", "method", "permission"];
/// The per-method override inside a class view: `#[permission("account.read")]`.
const PERMISSION_ATTR: &str = "permission";

/// The verbs that become routes on a class-style view(post
/// creates or validates, get reads, put updates; patch and delete complete
/// the set).
pub(crate) const VERBS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
/// HTTP methods that are not routes in keel: named so a method called
/// `head` gets a clear error instead of silently serving nothing.
const OTHER_METHODS: [&str; 4] = ["head", "options", "trace", "connect"];

pub(crate) struct ApiDef {
    pub(crate) handler: Ident,
    pub(crate) item: HandlerItem,
    pub(crate) path: LitStr,
    pub(crate) version: Option<LitStr>,
    pub(crate) public: bool,
    /// What every route of the handler needs, unless a method overrides it.
    pub(crate) permission: Option<LitStr>,
    pub(crate) routes: Vec<RouteFn>,
}

pub(crate) enum HandlerItem {
    Impl(ItemImpl),
    Fn(ItemFn),
}

pub(crate) struct RouteFn {
    pub(crate) verb: &'static str,
    pub(crate) fn_ident: Ident,
    pub(crate) args: Vec<RouteArg>,
    pub(crate) output: Type,
    pub(crate) doc: String,
    /// `#[permission("…")]` on this method.
    pub(crate) permission: Option<LitStr>,
}

pub(crate) struct RouteArg {
    pub(crate) name: Ident,
    pub(crate) ty: Type,
}

impl ApiDef {
    pub(crate) fn parse(ctxt: &mut Ctxt, args: TokenStream, item: TokenStream) -> Option<ApiDef> {
        // A missing key has no token of its own: blame the whole attribute.
        let args_span = Span::call_site();
        let attr = AttrArgs::parse(ctxt, MACRO, args, KEYS);
        let path = attr.string(ctxt, "path");
        let path = AttrArgs::require(ctxt, path, args_span, MACRO, "path", "\"/test\"");
        let api_path = path.as_ref().and_then(|lit| match check_api_path(&lit.value()) {
            Ok(p) => Some(p),
            Err(msg) => {
                ctxt.error_spanned_by(lit, msg);
                None
            }
        });
        let version = attr.string(ctxt, "version");
        if let Some(lit) = &version
            && let Err(msg) = check_version(&lit.value())
        {
            ctxt.error_spanned_by(lit, msg);
        }
        let public = attr.flag(ctxt, "public").is_some();
        let method = attr.string(ctxt, "method");
        let permission = attr.string(ctxt, "permission");
        if let Some(lit) = &permission {
            check_permission(ctxt, lit, public);
        }

        let item = match syn::parse2::<Item>(item) {
            Ok(item) => item,
            Err(err) => {
                ctxt.syn_error(err);
                return None;
            }
        };
        let (handler, item, routes) = match item {
            Item::Impl(mut item_impl) => {
                if let Some(method) = &method {
                    ctxt.error_spanned_by(
                        method,
                        "`method` is for a free `async fn`; on an impl block the method names are the verbs: write `async fn get(..)`, `async fn post(..)`, …",
                    );
                }
                let handler = impl_self_ident(ctxt, &item_impl)?;
                let routes = class_view_routes(ctxt, &mut item_impl, api_path.as_ref(), public);
                (handler, HandlerItem::Impl(item_impl), routes)
            }
            Item::Fn(mut item_fn) => {
                if let Some(attr) = item_fn.attrs.iter().find(|a| a.path().is_ident(PERMISSION_ATTR)) {
                    ctxt.error_spanned_by(
                        attr,
                        "#[permission(…)] overrides one method of a class view; on a free fn write it in #[api]: `#[api(method = \"put\", path = \"…\", permission = \"account.write\")]`",
                    );
                }
                // Stripped either way: left in place it is an unknown attribute.
                item_fn.attrs.retain(|a| !a.path().is_ident(PERMISSION_ATTR));
                let verb = match &method {
                    None => {
                        ctxt.error_spanned_by(
                            &item_fn.sig.ident,
                            "#[api] on a free fn needs `method`, e.g. `#[api(method = \"post\", path = \"/login\")]`; or put the handler in an impl block with methods named after verbs",
                        );
                        None
                    }
                    Some(lit) => match VERBS.iter().find(|v| **v == lit.value()) {
                        Some(verb) => Some(*verb),
                        None => {
                            ctxt.error_spanned_by(
                                lit,
                                format!(
                                    "method `{}` is not a route verb: use one of get, post, put, patch, delete (lower-case)",
                                    lit.value()
                                ),
                            );
                            None
                        }
                    },
                };
                let handler = item_fn.sig.ident.clone();
                let route = verb.and_then(|verb| {
                    route_fn(ctxt, verb, &item_fn.sig, &item_fn.attrs, api_path.as_ref(), false, None)
                });
                (handler, HandlerItem::Fn(item_fn), route.into_iter().collect())
            }
            other => {
                ctxt.error_spanned_by(
                    &other,
                    "#[api] goes on an `impl Handler { async fn get(..) … }` block or on an `async fn` with `method = \"…\"`",
                );
                return None;
            }
        };
        Some(ApiDef { handler, item, path: path?, version, public, permission, routes })
    }
}

fn impl_self_ident(ctxt: &mut Ctxt, item: &ItemImpl) -> Option<Ident> {
    if let Some((_, trait_path, _)) = &item.trait_ {
        ctxt.error_spanned_by(
            trait_path,
            "#[api] goes on an inherent impl (`impl AccountHandler { … }`), not a trait impl",
        );
        return None;
    }
    if !item.generics.params.is_empty() {
        ctxt.error_spanned_by(
            &item.generics,
            "#[api] handlers cannot be generic: a route serves one concrete type",
        );
        return None;
    }
    match &*item.self_ty {
        Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.clone())
        }
        other => {
            ctxt.error_spanned_by(
                other,
                "#[api] needs a plain handler name here, e.g. `impl AccountHandler`",
            );
            None
        }
    }
}

/// A permission name follows the rule, and a `public` route needs none.
fn check_permission(ctxt: &mut Ctxt, lit: &LitStr, public: bool) {
    if let Err(msg) = check_permission_name(&lit.value()) {
        ctxt.error_spanned_by(lit, msg);
    } else if public {
        ctxt.error_spanned_by(
            lit,
            format!(
                "a `public` route needs no sign-in, so it cannot need permission `{}`: drop `public` or the permission",
                lit.value()
            ),
        );
    }
}

/// Reads and strips `#[permission("…")]` from a class view's method (an
/// attribute macro has no inert helpers: left in place it would not compile).
fn take_permission(ctxt: &mut Ctxt, attrs: &mut Vec<syn::Attribute>, public: bool) -> Option<LitStr> {
    let mut found = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in std::mem::take(attrs) {
        if !attr.path().is_ident(PERMISSION_ATTR) {
            kept.push(attr);
            continue;
        }
        match attr.parse_args::<LitStr>() {
            Ok(_) if found.is_some() => {
                ctxt.error_spanned_by(&attr, "one #[permission(…)] per method");
            }
            Ok(lit) => {
                check_permission(ctxt, &lit, public);
                found = Some(lit);
            }
            Err(_) => ctxt.error_spanned_by(
                &attr,
                "#[permission] takes one permission name: `#[permission(\"account.read\")]`",
            ),
        }
    }
    *attrs = kept;
    found
}

fn class_view_routes(
    ctxt: &mut Ctxt,
    item: &mut ItemImpl,
    path: Option<&ApiPath>,
    public: bool,
) -> Vec<RouteFn> {
    let mut routes = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else { continue };
        let name = method.sig.ident.to_string();
        let permission = take_permission(ctxt, &mut method.attrs, public);
        if let Some(verb) = VERBS.iter().find(|v| **v == name) {
            if let Some(route) = route_fn(ctxt, verb, &method.sig, &method.attrs, path, true, permission) {
                routes.push(route);
            }
        } else if OTHER_METHODS.contains(&name.as_str())
            || VERBS.iter().any(|v| v.eq_ignore_ascii_case(&name))
        {
            ctxt.error_spanned_by(
                &method.sig.ident,
                format!(
                    "`{name}` does not become a route: on a class-style view only `get`, `post`, `put`, `patch` and `delete` (lower-case) are routes; rename it, or move it out of the #[api] impl"
                ),
            );
        }
    }
    if routes.is_empty() && !ctxt.has_errors() {
        ctxt.error_spanned_by(
            &item.self_ty,
            "this #[api] impl declares no route: name at least one method `get`, `post`, `put`, `patch` or `delete`",
        );
    }
    routes
}

fn route_fn(
    ctxt: &mut Ctxt,
    verb: &'static str,
    sig: &Signature,
    attrs: &[syn::Attribute],
    path: Option<&ApiPath>,
    in_impl: bool,
    permission: Option<LitStr>,
) -> Option<RouteFn> {
    let mut ok = true;
    if sig.asyncness.is_none() {
        ctxt.error_spanned_by(sig.fn_token, format!("a route must be async: write `async fn {}`", sig.ident));
        ok = false;
    }
    if !sig.generics.params.is_empty() {
        ctxt.error_spanned_by(&sig.generics, "a route cannot be generic");
        ok = false;
    }
    let mut args = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                let fix =
                    if in_impl { "; handlers are stateless, take the context as `ctx: Ctx`" } else { "" };
                ctxt.error_spanned_by(receiver, format!("a route takes no `self`{fix}"));
                ok = false;
            }
            FnArg::Typed(pat_type) => {
                let Some(name) = arg_name(&pat_type.pat) else {
                    ctxt.error_spanned_by(
                        &pat_type.pat,
                        "name each route argument with an identifier (`body: Json<NewAccount>`) or destructure one (`Json(body): Json<NewAccount>`); path parameters are matched by that name",
                    );
                    ok = false;
                    continue;
                };
                if is_path_param(&pat_type.ty)
                    && let Some(path) = path
                {
                    let wanted = name.to_string();
                    let wanted = wanted.trim_start_matches('_');
                    if !path.params().any(|p| p == wanted) {
                        let params: Vec<String> = path.params().map(|p| format!("`{p}`")).collect();
                        let hint = if params.is_empty() {
                            "the path has no parameters; add `{".to_owned() + wanted + "}` to it"
                        } else {
                            format!("name the argument after one of: {}", params.join(", "))
                        };
                        ctxt.error_spanned_by(
                            &name,
                            format!("`{wanted}` is not a parameter of this route's path; {hint}"),
                        );
                        ok = false;
                    }
                }
                args.push(RouteArg { name, ty: (*pat_type.ty).clone() });
            }
        }
    }
    let output = match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => {
            ctxt.error_spanned_by(
                &sig.ident,
                "a route returns an answer: add `-> ApiResult<T>` and end with `Ok(answer_json(..))`",
            );
            return None;
        }
    };
    ok.then(|| RouteFn { verb, fn_ident: sig.ident.clone(), args, output, doc: doc_text(attrs), permission })
}

/// The name an argument is known by: `body` in `body: Json<T>` and in the
/// destructuring `Json(body): Json<T>` (one field, an identifier).
fn arg_name(pat: &Pat) -> Option<Ident> {
    match pat {
        Pat::Ident(pat_ident) => Some(pat_ident.ident.clone()),
        Pat::TupleStruct(tuple) if tuple.elems.len() == 1 => match tuple.elems.first() {
            Some(Pat::Ident(inner)) => Some(inner.ident.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// `PathParam<T>` (any path ending in that name): its argument name must be
/// a `{param}` of the route.
fn is_path_param(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "PathParam"))
}

/// The `///` lines of an item, joined; kept for the OpenAPI document.
pub(crate) fn doc_text(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if attr.path().is_ident("doc")
            && let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &nv.value
        {
            lines.push(s.value().trim().to_owned());
        }
    }
    lines.join("\n").trim().to_owned()
}
