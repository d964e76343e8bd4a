//! Who may call each operation, and the answers every operation shares, written into the
//! OpenAPI document from one table rather than repeated in sixty annotations.
//!
//! Each operation names the extractor that authenticates it ([`Caller`], see `extract.rs`)
//! and how it reads its body ([`Body`]). From those the document gets the operation's
//! `security`, the `X-Organization-Id` header where the caller acts in an organization, and
//! the error statuses the extractors and body readers answer (401, 403, 404, 400, 413, 415,
//! 402, 429), each with the operation's own error body. A unit test keeps the table and the
//! routes in step: an operation missing from the table fails it.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ContentBuilder, Object, OpenApi, Ref, RefOr, Required, Response, ResponseBuilder, Type,
};

use super::API_PREFIX;
use super::extract::ORG_HEADER;

/// Security scheme names in `components.securitySchemes`.
pub const SESSION: &str = "session";
pub const SESSION_COOKIE: &str = "session_cookie";
pub const INFERENCE_KEY: &str = "inference_key";
pub const MANAGEMENT_KEY: &str = "management_key";
pub const STRIPE_SIGNATURE: &str = "stripe_signature";
/// The role a platform admin's session carries (OpenAPI 3.1 allows role names in the
/// requirement of non-OAuth schemes).
pub const ADMIN_ROLE: &str = "platform_admin";

/// The extractor that authenticates an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No credential.
    Public,
    /// `SessionUser`: a session (bearer JWT or cookie); an API key gets 403.
    Session,
    /// `OrgCaller`: a member's session or a management key, in an organization.
    Org,
    /// `PlatformAdmin`: a platform admin's session.
    Admin,
    /// `InferenceKey`: an inference key; a management key gets 403.
    Inference,
    /// `InferenceKey::authenticate` with Anthropic's `x-api-key` as well.
    InferenceOrXApiKey,
    /// `ApiKeyCaller`: an API key of either kind.
    AnyKey,
    /// `ApiKeyOrOrg`: an API key of either kind, or a member's session.
    AnyKeyOrOrg,
    /// Stripe's webhook: the `Stripe-Signature` header, verified over the raw body.
    StripeSigned,
}

/// How an operation reads its request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    None,
    /// `json::body`/`Json<T>`: `Content-Type` must be JSON (415), then 413 and 400.
    Json,
    /// Read as bytes and parsed as JSON whatever the content type: 413 and 400.
    Lenient,
}

use Body::{Json as J, Lenient as L, None as N};
use Caller::*;

/// (method, path, caller, body) of every operation. Paths without a leading `/api` are
/// under [`API_PREFIX`].
pub const OPERATIONS: &[(&str, &str, Caller, Body)] = &[
    ("get", "/health", Public, N),
    ("get", "/ready", Public, N),
    // Its optional bearer token is documented on the handler (`METRICS_TOKEN`).
    ("get", "/metrics", Public, N),
    ("get", "/openapi.json", Public, N),
    ("post", "/chat/completions", Inference, L),
    ("post", "/completions", Inference, L),
    ("post", "/embeddings", Inference, L),
    ("post", "/responses", Inference, L),
    ("post", "/messages", InferenceOrXApiKey, L),
    ("post", "/auth/signup", Public, J),
    ("post", "/auth/login", Public, J),
    ("post", "/auth/refresh", Public, L),
    ("post", "/auth/logout", Session, L),
    ("get", "/me", Session, N),
    ("get", "/organizations", Session, N),
    ("post", "/organizations", Session, J),
    ("get", "/organizations/{org_id}", Session, N),
    ("patch", "/organizations/{org_id}", Session, J),
    ("get", "/organizations/{org_id}/members", Session, N),
    (
        "patch",
        "/organizations/{org_id}/members/{user_id}",
        Session,
        J,
    ),
    (
        "delete",
        "/organizations/{org_id}/members/{user_id}",
        Session,
        N,
    ),
    ("get", "/organizations/{org_id}/invites", Session, N),
    ("post", "/organizations/{org_id}/invites", Session, J),
    (
        "delete",
        "/organizations/{org_id}/invites/{invite_id}",
        Session,
        N,
    ),
    ("get", "/organizations/{org_id}/routing", Session, N),
    ("put", "/organizations/{org_id}/routing", Session, J),
    ("get", "/organizations/{org_id}/budgets", Session, N),
    ("put", "/organizations/{org_id}/budgets", Session, J),
    ("get", "/keys", Org, N),
    ("post", "/keys", Org, J),
    ("get", "/keys/{hash}", Org, N),
    ("patch", "/keys/{hash}", Org, J),
    ("delete", "/keys/{hash}", Org, N),
    ("get", "/key", AnyKey, N),
    ("get", "/auth/key", AnyKey, N),
    ("get", "/management-keys", Org, N),
    ("post", "/management-keys", Org, J),
    ("patch", "/management-keys/{hash}", Org, J),
    ("delete", "/management-keys/{hash}", Org, N),
    ("get", "/byok", Org, N),
    ("post", "/byok", Org, J),
    ("get", "/byok/{id}", Org, N),
    ("patch", "/byok/{id}", Org, J),
    ("delete", "/byok/{id}", Org, N),
    ("get", "/credits", Org, N),
    ("get", "/credits/ledger", Org, N),
    ("post", "/credits/checkout", Org, J),
    ("get", "/credits/checkout/{session_id}", Org, N),
    ("get", "/credits/purchases", Org, N),
    ("get", "/credits/auto-topup", Org, N),
    ("put", "/credits/auto-topup", Org, J),
    ("get", "/alerts/settings", Org, N),
    ("put", "/alerts/settings", Org, J),
    ("post", "/alerts/webhook-secret", Org, N),
    ("post", "/alerts/test", Org, N),
    ("get", "/alerts", Org, N),
    ("post", "/stripe/webhook", StripeSigned, L),
    ("get", "/generation", AnyKeyOrOrg, N),
    ("get", "/generations", Org, N),
    ("get", "/generations/export", Org, N),
    ("get", "/organization/privacy", Org, N),
    ("put", "/organization/privacy", Org, J),
    ("get", "/generation/content", Org, N),
    ("delete", "/generation/content", Org, N),
    ("delete", "/generations/content", Org, N),
    ("get", "/activity", Org, N),
    ("get", "/analytics/meta", Org, N),
    ("post", "/analytics/query", Org, J),
    ("get", "/admin/analytics", Admin, N),
    ("get", "/models", Public, N),
    ("get", "/models/{author}/{slug}/endpoints", Public, N),
    ("get", "/providers", Public, N),
    ("get", "/admin/organizations", Admin, N),
    ("get", "/admin/organizations/{org_id}", Admin, N),
    ("get", "/admin/organizations/{org_id}/ledger", Admin, N),
    ("get", "/admin/users", Admin, N),
    ("post", "/admin/organizations/{org_id}/suspend", Admin, L),
    ("post", "/admin/organizations/{org_id}/reactivate", Admin, N),
    ("get", "/admin/audit", Admin, N),
    ("put", "/admin/organizations/{org_id}/budgets", Admin, J),
    ("post", "/admin/organizations/{org_id}/credits", Admin, J),
    ("get", "/admin/credits/reconcile", Admin, N),
    ("get", "/admin/organizations/{org_id}/rate-limits", Admin, N),
    ("put", "/admin/organizations/{org_id}/rate-limits", Admin, L),
    (
        "delete",
        "/admin/organizations/{org_id}/rate-limits",
        Admin,
        N,
    ),
    ("get", "/admin/catalog/overrides", Admin, N),
    ("put", "/admin/catalog/providers/{slug}", Admin, J),
    ("put", "/admin/catalog/models/{author}/{slug}", Admin, J),
    ("delete", "/admin/catalog/providers/{slug}", Admin, N),
    ("delete", "/admin/catalog/models/{author}/{slug}", Admin, N),
];

/// The full path of a table entry.
pub fn full_path(path: &str) -> String {
    if path == "/health" || path == "/ready" || path == "/metrics" {
        path.to_owned()
    } else {
        format!("{API_PREFIX}{path}")
    }
}

/// The table's entry for an operation of the document.
pub fn lookup(method: &str, path: &str) -> Option<(Caller, Body)> {
    OPERATIONS
        .iter()
        .find(|(m, p, _, _)| *m == method && full_path(p) == path)
        .map(|&(_, _, caller, body)| (caller, body))
}

impl Caller {
    /// Alternative credentials (any one suffices), as `(scheme, roles)`.
    fn security(self) -> Vec<(&'static str, &'static [&'static str])> {
        const NONE: &[&str] = &[];
        const ADMIN: &[&str] = &[ADMIN_ROLE];
        match self {
            Public => vec![],
            Session => vec![(SESSION, NONE), (SESSION_COOKIE, NONE)],
            Org => vec![
                (SESSION, NONE),
                (SESSION_COOKIE, NONE),
                (MANAGEMENT_KEY, NONE),
            ],
            Admin => vec![(SESSION, ADMIN), (SESSION_COOKIE, ADMIN)],
            Inference | InferenceOrXApiKey => vec![(INFERENCE_KEY, NONE)],
            AnyKey => vec![(INFERENCE_KEY, NONE), (MANAGEMENT_KEY, NONE)],
            AnyKeyOrOrg => vec![
                (INFERENCE_KEY, NONE),
                (MANAGEMENT_KEY, NONE),
                (SESSION, NONE),
                (SESSION_COOKIE, NONE),
            ],
            StripeSigned => vec![(STRIPE_SIGNATURE, NONE)],
        }
    }

    /// The statuses the extractor itself answers, with why.
    fn statuses(self) -> Vec<(&'static str, &'static str)> {
        const UNAUTHORIZED: (&str, &str) = (
            "401",
            "No credential, or one that is unknown, expired, revoked or disabled",
        );
        match self {
            Public => vec![],
            Session => vec![
                UNAUTHORIZED,
                (
                    "403",
                    "An API key was sent (this needs a session), the CSRF check failed, or the account is suspended",
                ),
            ],
            Org | AnyKeyOrOrg => vec![
                ("400", "`X-Organization-Id` is not a valid header value"),
                UNAUTHORIZED,
                (
                    "403",
                    "An inference key was sent, a management key named another organization, the CSRF check failed, or the role is not enough",
                ),
                (
                    "404",
                    "The organization does not exist or the caller is not a member",
                ),
            ],
            Admin => vec![
                UNAUTHORIZED,
                (
                    "403",
                    "Not a platform admin, an API key was sent, or the CSRF check failed",
                ),
            ],
            Inference | InferenceOrXApiKey => vec![
                UNAUTHORIZED,
                (
                    "403",
                    "A management key was sent (it cannot call models), or the organization is suspended",
                ),
                (
                    "402",
                    "Not enough credit, or a budget or key limit is spent",
                ),
                ("429", "A rate limit refused the request; see `Retry-After`"),
            ],
            AnyKey => vec![UNAUTHORIZED],
            StripeSigned => vec![
                (
                    "400",
                    "`Stripe-Signature` is missing, malformed, too old or does not match the body",
                ),
                ("503", "No webhook secret is configured"),
            ],
        }
    }

    fn acts_in_org(self) -> bool {
        matches!(self, Org | AnyKeyOrOrg)
    }
}

impl Body {
    fn statuses(self) -> Vec<(&'static str, &'static str)> {
        const INVALID: (&str, &str) = (
            "400",
            "Malformed JSON, or a field missing, of the wrong type or out of range",
        );
        const TOO_LARGE: (&str, &str) = ("413", "The body exceeds `MAX_BODY_BYTES`");
        match self {
            N => vec![],
            J => vec![
                INVALID,
                TOO_LARGE,
                ("415", "`Content-Type` is missing or not JSON"),
            ],
            L => vec![INVALID, TOO_LARGE],
        }
    }
}

/// Writes the table into the document: security schemes, each operation's `security`, the
/// organization header and the shared error statuses. Operations outside the table are left
/// as they are (the unit test below refuses them).
pub struct Access;

impl Modify for Access {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A session's access token (`token` from login, sign-up or refresh). A platform admin's session carries the `platform_admin` role.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            STRIPE_SIGNATURE,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Stripe-Signature",
                "Stripe's signature of the raw body with the webhook secret (`STRIPE_WEBHOOK_SECRET`): `t=<unix time>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">`, at most 5 minutes old.",
            ))),
        );
        components.add_security_scheme(
            SESSION_COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::cookies::ACCESS,
                "The browser's session cookie; requests that change state must also send `X-CSRF-Token` equal to the `sb_csrf` cookie.",
            ))),
        );
        components.add_security_scheme(
            INFERENCE_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sk-or-v1-...")
                    .description(Some("An inference API key (`POST /keys`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            MANAGEMENT_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sk-or-v1-...")
                    .description(Some(
                        "A management key (`POST /management-keys`): manages its organization's keys, never calls models",
                    ))
                    .build(),
            ),
        );
        let mut ids = std::collections::BTreeMap::<String, usize>::new();
        for item in openapi.paths.paths.values() {
            for operation in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                if let Some(id) = &operation.operation_id {
                    *ids.entry(id.clone()).or_default() += 1;
                }
            }
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                // Handlers in different modules share names (`list`, `create`): OpenAPI
                // wants ids unique, so a shared one becomes method and path.
                if operation
                    .operation_id
                    .as_ref()
                    .is_some_and(|id| ids.get(id).copied().unwrap_or(0) > 1)
                {
                    operation.operation_id = Some(operation_id(method, path));
                }
                if let Some((caller, body)) = lookup(method, path) {
                    apply(operation, path, caller, body);
                }
                describe_responses(operation);
            }
        }
    }
}

fn apply(operation: &mut Operation, path: &str, caller: Caller, body: Body) {
    let security = caller.security();
    if !security.is_empty() {
        operation.security = Some(
            security
                .into_iter()
                .map(|(scheme, roles)| SecurityRequirement::new(scheme, roles.iter().copied()))
                .collect(),
        );
    }
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    if caller.acts_in_org() {
        parameters.push(RefOr::T(org_header()));
    }
    let mut statuses = caller.statuses();
    statuses.extend(body.statuses());
    let has = |location: ParameterIn| {
        parameters
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == location))
    };
    if has(ParameterIn::Query) {
        statuses.push((
            "400",
            "A query parameter is unknown, malformed or out of range",
        ));
    }
    if path.contains('{') {
        statuses.push(("404", "Nothing by that id (or not visible to the caller)"));
    }
    if parameters.is_empty() {
        operation.parameters = None;
    }
    let template = error_template(operation);
    for (status, why) in statuses {
        let responses = &mut operation.responses.responses;
        match responses.get_mut(status) {
            Some(RefOr::T(existing)) => {
                if !existing.description.contains(why) {
                    existing.description = if existing.description.is_empty() {
                        why.to_owned()
                    } else {
                        format!("{}; or: {why}", existing.description)
                    };
                }
                if existing.content.is_empty() {
                    existing.content = template.content.clone();
                }
            }
            Some(RefOr::Ref(_)) => {}
            None => {
                let mut response: Response = ResponseBuilder::new().description(why).build();
                response.content = template.content.clone();
                responses.insert(status.to_owned(), RefOr::T(response));
            }
        }
    }
}

/// A response carrying the operation's error body: the content of a 4xx it already declares
/// (the ingress endpoints answer in their protocol's shape), else `ErrorBody`.
fn error_template(operation: &Operation) -> Response {
    let declared = operation
        .responses
        .responses
        .iter()
        .filter(|(status, _)| status.starts_with('4'))
        .find_map(|(_, response)| match response {
            RefOr::T(r) if !r.content.is_empty() => Some(r.clone()),
            _ => None,
        });
    declared.unwrap_or_else(|| {
        ResponseBuilder::new()
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    })
}

/// `get_keys_hash` for `GET /api/v1/keys/{hash}`.
fn operation_id(method: &str, path: &str) -> String {
    let path = path.strip_prefix(API_PREFIX).unwrap_or(path);
    let words: Vec<String> = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    format!("{method}_{}", words.join("_"))
}

/// OpenAPI requires a description on every response; annotations often give only a body.
fn describe_responses(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        if let RefOr::T(response) = response
            && response.description.is_empty()
        {
            response.description = status
                .parse::<u16>()
                .ok()
                .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Response")
                .to_owned();
        }
    }
}

fn org_header() -> Parameter {
    let mut schema = Object::with_type(Type::String);
    schema.min_length = Some(1);
    ParameterBuilder::new()
        .name(ORG_HEADER)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "The organization to act in (default: the caller's personal organization; a management key acts in its own)",
        ))
        .schema(Some(schema))
        .build()
}

#[cfg(test)]
mod tests {
    use super::{OPERATIONS, full_path, lookup};

    /// Every operation of the document has its caller in the table, and every entry of the
    /// table is an operation: a new route cannot go undocumented in `security`.
    #[test]
    fn the_table_covers_every_operation() {
        let doc = serde_json::to_value(crate::api::document()).expect("document serializes");
        let paths = doc["paths"].as_object().expect("paths");
        let mut documented = 0;
        for (path, item) in paths {
            for method in item.as_object().expect("path item").keys() {
                documented += 1;
                assert!(
                    lookup(method, path).is_some(),
                    "{method} {path}: not in openapi_access::OPERATIONS"
                );
            }
        }
        for (method, path, _, _) in OPERATIONS {
            let full = full_path(path);
            assert!(
                paths.get(&full).and_then(|i| i.get(*method)).is_some(),
                "{method} {full}: in the table but not a documented operation"
            );
        }
        assert_eq!(documented, OPERATIONS.len());
    }

    /// The ledger's `kind` filter is documented as a pattern of entry kind names: it must
    /// name every kind the parser knows.
    #[test]
    fn ledger_kind_pattern_names_every_kind() {
        let doc = serde_json::to_value(crate::api::document()).expect("document serializes");
        let params = doc["paths"]["/api/v1/credits/ledger"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        let kind = params
            .iter()
            .find(|p| p["name"] == "kind")
            .expect("kind parameter");
        let pattern = kind["schema"]["pattern"].as_str().expect("pattern");
        for k in crate::billing::ledger::EntryKind::ALL {
            assert!(
                pattern.contains(&format!("|{}|", k.as_str()))
                    || pattern.contains(&format!("({}|", k.as_str()))
                    || pattern.contains(&format!("|{})", k.as_str())),
                "{} missing from {pattern}",
                k.as_str()
            );
        }
    }
}
