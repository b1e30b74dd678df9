//! The OpenAPI document, built from the `#[api]` declarations.

use crate::http::answer::{ErrorCode, error_response};
use crate::http::router::UriRouter;
use salvo::oapi::security::{Http, HttpAuthScheme, SecurityScheme};
use salvo::oapi::{
    Components, OpenApi, Operation, Parameter, ParameterIn, PathItem, PathItemType, RefOr, Required,
    SecurityRequirement, ToSchema, schema::Schema,
};

/// Name of the bearer security scheme in the document.
pub const BEARER_SCHEME: &str = "bearer";

/// Each property of `T` becomes a query parameter.
pub(crate) fn add_query_parameters<T: ToSchema>(components: &mut Components, operation: &mut Operation) {
    let schema = T::to_schema(components);
    let object = match &schema {
        RefOr::Type(Schema::Object(object)) => Some((**object).clone()),
        RefOr::Ref(reference) => {
            let name = reference.ref_location.rsplit('/').next().unwrap_or_default();
            match components.schemas.get(name) {
                Some(RefOr::Type(Schema::Object(object))) => Some((**object).clone()),
                _ => None,
            }
        }
        _ => None,
    };
    let Some(object) = object else { return };
    for (name, property) in object.properties {
        let required = if object.required.contains(&name) { Required::True } else { Required::False };
        operation
            .parameters
            .insert(Parameter::new(name).location(ParameterIn::Query).required(required).schema(property));
    }
}

/// The document of a service's routes: docs, parameters, bodies, the
/// envelope around each answer, and a bearer scheme on protected routes.
pub fn document<K: crate::kind::Kind>(router: &UriRouter<K>) -> OpenApi {
    use_legal_component_names();
    let service = router.service();
    let mut components = Components::new();
    // Relative: the document is served by the service it describes, behind
    // whatever host and proxy an operator put in front.
    let mut doc = OpenApi::new(service.name, service.version)
        .add_server(salvo::oapi::Server::new("/").description(format!("{} itself", service.name)));
    for endpoint in router.endpoints() {
        let decl = endpoint.decl;
        let mut operation = endpoint.operation(&mut components);
        let mut lines = endpoint.doc.lines();
        if let Some(summary) = lines.next().filter(|s| !s.is_empty()) {
            operation.summary = Some(summary.to_owned());
        }
        let rest = lines.collect::<Vec<_>>().join("\n");
        if !rest.trim().is_empty() {
            operation.description = Some(rest.trim().to_owned());
        }
        operation.tags = vec![decl.handler.to_owned()];
        operation.operation_id =
            Some(format!("{}_{}", decl.handler, decl.verb.as_str().to_ascii_lowercase()));
        if !decl.public {
            operation.securities = Some(vec![SecurityRequirement::new(BEARER_SCHEME, Vec::<String>::new())]);
            operation.responses.insert("401", error_response(ErrorCode::Unauthorized));
            // 403: a disabled account, or one without the route's permission.
            operation.responses.insert("403", error_response(ErrorCode::Forbidden));
        }
        // A write can take a unique key that is taken, or be refused to
        // keep an invariant (the last admin).
        if matches!(
            decl.verb,
            crate::Verb::Post | crate::Verb::Put | crate::Verb::Patch | crate::Verb::Delete
        ) {
            operation.responses.insert("409", error_response(ErrorCode::Conflict));
        }
        // Who may call it: `public`, `signed-in` or the permission's name.
        operation.extensions.insert("x-keel-permission".to_owned(), decl.access().to_string().into());
        let item_type = match decl.verb {
            // Documented as the GET that opens it (OpenAPI has no sockets).
            crate::Verb::Get | crate::Verb::Ws => PathItemType::Get,
            crate::Verb::Post => PathItemType::Post,
            crate::Verb::Put => PathItemType::Put,
            crate::Verb::Patch => PathItemType::Patch,
            crate::Verb::Delete => PathItemType::Delete,
        };
        doc = doc.add_path(decl.url(service.version), PathItem::new(item_type, operation));
    }
    components.schemas.insert(
        crate::http::answer::ENVELOPE_COMPONENT.to_owned(),
        RefOr::from(Schema::from(crate::http::answer::envelope_component())),
    );
    doc.components(components)
        .add_security_scheme(BEARER_SCHEME, SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
}

/// Component names as `TestView`, `Page_Item`: salvo-oapi's default names
/// keep module paths and `<>`, and OpenAPI allows only `[A-Za-z0-9._-]`.
/// Names are cached on first use, so the namer is set before any schema.
fn use_legal_component_names() {
    static NAMER: std::sync::Once = std::sync::Once::new();
    NAMER.call_once(|| {
        salvo::oapi::naming::set_namer(
            salvo::oapi::naming::FlexNamer::new().short_mode(true).generic_delimiter("_", ""),
        );
    });
}
