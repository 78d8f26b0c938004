//! The SCIM 2.0 wire rules (RFC 7643/7644) this server supports, as pure functions: the
//! error document, filters, and a User's attributes from a POST/PUT body or PATCH
//! operations, in the shapes Okta and Entra ID send (ops in any letter case, path-less
//! replace, string booleans, `emails[type eq "work"].value`). Unknown attributes are ignored.
use serde_json::{json, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The most resources one list answers (advertised as `filter.maxResults`).
pub const MAX_RESULTS: i64 = 100;

/// A SCIM error: its HTTP status, `scimType` and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }
    pub fn not_found() -> Self {
        Self::new(404, None, "No such resource.")
    }
    pub fn body(&self) -> Value {
        let mut v = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            v["scimType"] = json!(t);
        }
        v
    }
}

impl From<crate::error::AppError> for ScimError {
    fn from(e: crate::error::AppError) -> Self {
        use crate::error::AppError;
        let scim_type = match &e {
            AppError::Validation { .. } => Some("invalidValue"),
            AppError::Conflict(_) => Some("uniqueness"),
            _ => None,
        };
        // SCIM answers a value it cannot take with 400 (RFC 7644 §3.12), not 422.
        let status = match &e {
            AppError::Validation { .. } => 400,
            _ => e.status().as_u16(),
        };
        Self::new(status, scim_type, e.to_string())
    }
}

impl From<sqlx::Error> for ScimError {
    fn from(e: sqlx::Error) -> Self {
        crate::error::AppError::from(e).into()
    }
}

/// An attribute a filter may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    Id,
    UserName,
    ExternalId,
    DisplayName,
    /// `emails.value` or `emails[type eq "work"].value` (one work address per person).
    Email,
}

/// `attr eq "value"`, joined by `and`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    pub attr: Attr,
    pub value: String,
}

/// Strip the core schema's URN from an attribute path (`urn:…:User:userName`).
fn bare(path: &str) -> &str {
    for schema in [USER_SCHEMA, GROUP_SCHEMA] {
        if path.len() > schema.len() + 1
            && path[..schema.len()].eq_ignore_ascii_case(schema)
            && path.as_bytes()[schema.len()] == b':'
        {
            return &path[schema.len() + 1..];
        }
    }
    path
}

/// An attribute path, lowercased, without the schema URN and with the spaces in a value
/// filter normalised: `emails[type eq "work"].value`.
fn normal(path: &str) -> String {
    let p = bare(path.trim()).to_ascii_lowercase();
    p.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn attr(path: &str) -> Option<Attr> {
    Some(match normal(path).as_str() {
        "id" => Attr::Id,
        "username" => Attr::UserName,
        "externalid" => Attr::ExternalId,
        "displayname" => Attr::DisplayName,
        "emails.value" | "emails[type eq \"work\"].value" | "emails[primary eq true].value" => {
            Attr::Email
        }
        _ => return None,
    })
}

/// Split a filter into words, keeping `"quoted strings"` (with `\"` escapes) and
/// `emails[ … ]` paths whole.
fn words(text: &str) -> Result<Vec<(String, bool)>, ScimError> {
    let bad = || ScimError::bad("invalidFilter", "The filter could not be read.");
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next().ok_or_else(bad)? {
                    '\\' => s.push(chars.next().ok_or_else(bad)?),
                    '"' => break,
                    c => s.push(c),
                }
            }
            out.push((s, true));
        } else {
            let mut s = String::new();
            let mut depth = 0;
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() && depth == 0 {
                    break;
                }
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    _ => {}
                }
                s.push(c);
                chars.next();
            }
            if depth != 0 {
                return Err(bad());
            }
            out.push((s, false));
        }
    }
    Ok(out)
}

/// Parse a filter: `attr eq "value"` terms joined by `and`, for the attributes above.
/// Anything else is refused as `invalidFilter`, naming what is supported.
pub fn filter(text: &str) -> Result<Vec<Cond>, ScimError> {
    if text.len() > 1000 {
        return Err(ScimError::bad("invalidFilter", "The filter is too long."));
    }
    let supported = "Supported: userName, externalId, id, displayName, emails.value or \
                     emails[type eq \"work\"].value with eq, joined by and.";
    let w = words(text)?;
    let mut conds = Vec::new();
    let mut i = 0;
    while i < w.len() {
        if i > 0 {
            if w[i].1 || !w[i].0.eq_ignore_ascii_case("and") {
                return Err(ScimError::bad(
                    "invalidFilter",
                    format!("Only “and” joins terms. {supported}"),
                ));
            }
            i += 1;
        }
        let (Some(path), Some(op), Some(value)) = (w.get(i), w.get(i + 1), w.get(i + 2)) else {
            return Err(ScimError::bad(
                "invalidFilter",
                format!("A term is attribute, operator, value. {supported}"),
            ));
        };
        if path.1 || op.1 || !op.0.eq_ignore_ascii_case("eq") {
            return Err(ScimError::bad(
                "invalidFilter",
                format!("Only the eq operator is supported. {supported}"),
            ));
        }
        let a = attr(&path.0).ok_or_else(|| {
            ScimError::bad(
                "invalidFilter",
                format!("“{}” cannot be filtered on. {supported}", path.0),
            )
        })?;
        conds.push(Cond {
            attr: a,
            value: value.0.clone(),
        });
        i += 3;
    }
    if conds.is_empty() {
        return Err(ScimError::bad("invalidFilter", "The filter is empty."));
    }
    Ok(conds)
}

/// A boolean as sent: `false`, or Entra's `"False"`.
pub fn boolean(v: &Value) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::bad(
            "invalidValue",
            "“active” must be true or false.",
        )),
    }
}

/// What a request changes in a User (None: left as it is; Some(None): cleared).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    pub user_name: Option<String>,
    pub external_id: Option<Option<String>>,
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub display_name: Option<Option<String>>,
    pub email: Option<String>,
    pub active: Option<bool>,
}

/// Names (given, family, display) are at most this long; identifiers and addresses 254.
pub const MAX_NAME_CHARS: usize = 100;

fn text(v: &Value, what: &str) -> Result<Option<String>, ScimError> {
    bounded(v, what, 254)
}

fn name_text(v: &Value, what: &str) -> Result<Option<String>, ScimError> {
    bounded(v, what, MAX_NAME_CHARS)
}

fn bounded(v: &Value, what: &str, max: usize) -> Result<Option<String>, ScimError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) if s.trim().chars().count() > max => Err(ScimError::bad(
            "invalidValue",
            format!("“{what}” is too long: at most {max} characters."),
        )),
        Value::String(s) => Ok(Some(s.trim().to_string())),
        _ => Err(ScimError::bad(
            "invalidValue",
            format!("“{what}” must be a string."),
        )),
    }
}

/// The work address of an `emails` array: the primary one, else the work one, else the first.
fn email_of(v: &Value) -> Result<Option<String>, ScimError> {
    let Value::Array(list) = v else {
        return Err(ScimError::bad("invalidValue", "“emails” must be a list."));
    };
    let pick = list
        .iter()
        .find(|e| e.get("primary").map(boolean) == Some(Ok(true)))
        .or_else(|| {
            list.iter()
                .find(|e| e.get("type").and_then(Value::as_str) == Some("work"))
        })
        .or_else(|| list.first());
    match pick.and_then(|e| e.get("value")) {
        Some(v) => text(v, "emails.value"),
        None => Ok(None),
    }
}

impl UserChange {
    /// Set one attribute (a PATCH path, or a key of a path-less value); `remove` clears it.
    /// Unknown attributes are ignored, as RFC 7644 lets a server do.
    fn set(&mut self, path: &str, v: &Value, remove: bool) -> Result<(), ScimError> {
        let none = Value::Null;
        let v = if remove { &none } else { v };
        match normal(path).as_str() {
            "active" if !remove => self.active = Some(boolean(v)?),
            "username" => {
                self.user_name =
                    Some(text(v, "userName")?.ok_or_else(|| {
                        ScimError::bad("invalidValue", "“userName” cannot be empty.")
                    })?)
            }
            "externalid" => self.external_id = Some(text(v, "externalId")?),
            "displayname" => self.display_name = Some(name_text(v, "displayName")?),
            "name.givenname" => self.given_name = Some(name_text(v, "name.givenName")?),
            "name.familyname" => self.family_name = Some(name_text(v, "name.familyName")?),
            "name" => {
                let get = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
                if remove || v.get("givenName").is_some() {
                    self.given_name = Some(name_text(&get("givenName"), "name.givenName")?);
                }
                if remove || v.get("familyName").is_some() {
                    self.family_name = Some(name_text(&get("familyName"), "name.familyName")?);
                }
            }
            "emails" if !remove => self.email = email_of(v)?,
            "emails[type eq \"work\"].value" | "emails.value" if !remove => {
                self.email = text(v, "emails.value")?
            }
            _ => {}
        }
        Ok(())
    }

    /// Every attribute of a User document (POST and PUT).
    pub fn from_document(body: &Value) -> Result<Self, ScimError> {
        let Value::Object(map) = body else {
            return Err(ScimError::bad(
                "invalidSyntax",
                "The body must be a User object.",
            ));
        };
        let mut c = Self::default();
        for (k, v) in map {
            c.set(k, v, false)?;
        }
        if c.user_name.is_none() {
            return Err(ScimError::bad("invalidValue", "“userName” is required."));
        }
        Ok(c)
    }

    /// The changes of a PATCH's `Operations`: `add`, `replace` or `remove` in any letter
    /// case, with a path, or path-less with an object of attributes.
    pub fn from_patch(body: &Value) -> Result<Self, ScimError> {
        let mut c = Self::default();
        for (op, path, value) in operations(body)? {
            match (op, path) {
                (Op::Remove, None) => {
                    return Err(ScimError::bad(
                        "noTarget",
                        "A remove operation needs a path.",
                    ))
                }
                (op, Some(p)) => c.set(&p, &value, op == Op::Remove)?,
                (_, None) => {
                    let Value::Object(map) = &value else {
                        return Err(ScimError::bad(
                            "invalidValue",
                            "An operation without a path needs an object value.",
                        ));
                    };
                    for (k, v) in map {
                        c.set(k, v, false)?;
                    }
                }
            }
        }
        Ok(c)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

/// A PATCH body's operations, at most 100.
pub fn operations(body: &Value) -> Result<Vec<(Op, Option<String>, Value)>, ScimError> {
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "A PATCH needs an “Operations” list."))?;
    if ops.len() > 100 {
        return Err(ScimError::bad(
            "tooMany",
            "At most 100 operations per PATCH.",
        ));
    }
    ops.iter()
        .map(|o| {
            let op = match o
                .get("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(s) if s == "add" => Op::Add,
                Some(s) if s == "replace" => Op::Replace,
                Some(s) if s == "remove" => Op::Remove,
                _ => {
                    return Err(ScimError::bad(
                        "invalidSyntax",
                        "Each operation's “op” is add, replace or remove.",
                    ))
                }
            };
            let path = o
                .get("path")
                .and_then(Value::as_str)
                .map(str::to_string)
                .filter(|p| !p.trim().is_empty());
            Ok((op, path, o.get("value").cloned().unwrap_or(Value::Null)))
        })
        .collect()
}

/// The member ids a group operation names: `members` with `[{"value": id}]`, or a path
/// `members[value eq "id"]`.
pub fn group_members(path: Option<&str>, value: &Value) -> Result<Option<Vec<String>>, ScimError> {
    let p = path.map(normal);
    match p.as_deref() {
        Some("members") | None => {
            let list = match (p.is_some(), value) {
                (true, v) => v.clone(),
                (false, Value::Object(m)) => match m.get("members") {
                    Some(v) => v.clone(),
                    None => return Ok(None),
                },
                (false, _) => return Ok(None),
            };
            let Value::Array(list) = list else {
                return Ok(Some(Vec::new()));
            };
            Ok(Some(
                list.iter()
                    .filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_string))
                    .collect(),
            ))
        }
        Some(p) => {
            let inner = p
                .strip_prefix("members[value eq \"")
                .and_then(|r| r.strip_suffix("\"]"));
            match inner {
                Some(id) => Ok(Some(vec![id.to_string()])),
                // Renames and other group attributes are not changeable here.
                None => Ok(None),
            }
        }
    }
}

/// `startIndex` and `count` as RFC 7644 §3.4.2.4 reads them: 1-based, at most `MAX_RESULTS`.
pub fn page(start_index: Option<i64>, count: Option<i64>) -> (i64, i64) {
    (
        start_index.unwrap_or(1).max(1),
        count.unwrap_or(MAX_RESULTS).clamp(0, MAX_RESULTS),
    )
}

/// A list answer.
pub fn list(total: i64, start: i64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// `ServiceProviderConfig`, honest about what is supported.
pub fn service_provider_config(docs: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": docs,
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM token made on the account's SCIM settings in Gatehouse.",
            "primary": true
        }],
        "meta": { "resourceType": "ServiceProviderConfig" }
    })
}

pub fn resource_types(base: &str) -> Value {
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User", "name": "User", "endpoint": "/Users",
        "description": "A member of the account", "schema": USER_SCHEMA,
        "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") }
    });
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group", "name": "Group", "endpoint": "/Groups",
        "description": "An account role: owner (read-only), super_admin, admin, member",
        "schema": GROUP_SCHEMA,
        "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group") }
    });
    list(2, 1, vec![user, group])
}

fn attribute(name: &str, kind: &str, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": required,
        "caseExact": false, "mutability": mutability, "returned": "default", "uniqueness": uniqueness,
    })
}

pub fn schemas() -> Value {
    let mut name = attribute("name", "complex", false, "readWrite", "none");
    name["subAttributes"] = json!([
        attribute("givenName", "string", false, "readWrite", "none"),
        attribute("familyName", "string", false, "readWrite", "none"),
        attribute("formatted", "string", false, "readOnly", "none"),
    ]);
    let mut emails = attribute("emails", "complex", false, "readWrite", "none");
    emails["multiValued"] = json!(true);
    emails["subAttributes"] = json!([
        attribute("value", "string", false, "readWrite", "none"),
        attribute("type", "string", false, "readWrite", "none"),
        attribute("primary", "boolean", false, "readWrite", "none"),
    ]);
    let mut groups = attribute("groups", "complex", false, "readOnly", "none");
    groups["multiValued"] = json!(true);
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "A member of the account",
        "attributes": [
            attribute("userName", "string", true, "readWrite", "server"),
            attribute("externalId", "string", false, "readWrite", "none"),
            attribute("displayName", "string", false, "readWrite", "none"),
            name, emails,
            attribute("active", "boolean", false, "readWrite", "none"),
            groups,
        ],
        "meta": { "resourceType": "Schema" }
    });
    let mut members = attribute("members", "complex", false, "readWrite", "none");
    members["multiValued"] = json!(true);
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA, "name": "Group", "description": "An account role",
        "attributes": [attribute("displayName", "string", true, "readOnly", "server"), members],
        "meta": { "resourceType": "Schema" }
    });
    list(2, 1, vec![user, group])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_okta_and_entra_send_are_read() {
        assert_eq!(
            filter(r#"userName eq "Ann@Acme.test""#).unwrap(),
            vec![Cond {
                attr: Attr::UserName,
                value: "Ann@Acme.test".into()
            }]
        );
        let f =
            filter(r#"emails[type eq "work"].value eq "a@b.c" and externalId EQ "x\"y""#).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].attr, Attr::Email);
        assert_eq!(
            f[1],
            Cond {
                attr: Attr::ExternalId,
                value: "x\"y".into()
            }
        );
        assert_eq!(
            filter("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"a\"").unwrap()[0].attr,
            Attr::UserName
        );
        assert_eq!(
            filter("displayName eq \"admin\"").unwrap()[0].attr,
            Attr::DisplayName
        );
    }

    #[test]
    fn unsupported_filters_are_invalid_filter_errors() {
        for f in [
            r#"userName co "a""#,
            r#"userName eq "a" or userName eq "b""#,
            r#"title eq "x""#,
            r#"userName eq"#,
            r#"userName eq "open"#,
            r#"emails[type eq "work".value eq "a""#,
            "",
        ] {
            let e = filter(f).unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some("invalidFilter")), "{f}");
        }
    }

    #[test]
    fn names_longer_than_the_store_keeps_are_refused_not_cut() {
        // 100 characters is the limit for names, 254 for identifiers (the database's).
        let at = |n: usize| "é".repeat(n);
        let doc = |k: &str, v: &str| json!({"userName": "a@acme.test", k: v});
        assert!(UserChange::from_document(&doc("displayName", &at(100))).is_ok());
        let e = UserChange::from_document(&doc("displayName", &at(101))).unwrap_err();
        assert_eq!((e.status, e.scim_type), (400, Some("invalidValue")));
        let e = UserChange::from_document(
            &json!({"userName": "a@acme.test", "name": {"givenName": at(101)}}),
        )
        .unwrap_err();
        assert_eq!(e.status, 400);
        let e = UserChange::from_patch(&json!({"Operations": [
            {"op": "replace", "path": "name.familyName", "value": at(180)}]}))
        .unwrap_err();
        assert_eq!(e.status, 400);
        assert!(UserChange::from_document(&doc("externalId", &at(254))).is_ok());
        assert!(UserChange::from_document(&doc("externalId", &at(255))).is_err());
    }

    #[test]
    fn patches_in_okta_and_entra_shapes() {
        // Okta's path-less deactivation.
        let c = UserChange::from_patch(&json!({"schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "value": {"active": false}}]}))
        .unwrap();
        assert_eq!(c.active, Some(false));
        // Entra: capitalised ops, string booleans, filtered email path, unknown attributes.
        let c = UserChange::from_patch(&json!({"Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@acme.test"},
            {"op": "Add", "path": "name.givenName", "value": "Bo"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "7"},
            {"op": "Remove", "path": "externalId"}
        ]}))
        .unwrap();
        assert_eq!(c.active, Some(false));
        assert_eq!(c.email.as_deref(), Some("new@acme.test"));
        assert_eq!(c.given_name, Some(Some("Bo".into())));
        assert_eq!(c.external_id, Some(None));
        // Entra with aadOptscim062020: a path-less replace with dotted and URN keys.
        let c = UserChange::from_patch(&json!({"Operations": [{"op": "replace", "value": {
            "displayName": "Bo B", "name.givenName": "Bo", "name.familyName": "B", "active": true,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Ops"}}]}))
        .unwrap();
        assert_eq!(
            (c.given_name, c.family_name, c.active),
            (Some(Some("Bo".into())), Some(Some("B".into())), Some(true))
        );
        for bad in [
            json!({"Operations": [{"op": "move", "path": "active", "value": true}]}),
            json!({"Operations": [{"op": "replace", "path": "active", "value": "maybe"}]}),
            json!({"Operations": [{"op": "remove"}]}),
            json!({"ops": []}),
        ] {
            assert_eq!(
                UserChange::from_patch(&bad).unwrap_err().status,
                400,
                "{bad}"
            );
        }
    }

    #[test]
    fn documents_need_a_user_name_and_pick_the_work_address() {
        let c = UserChange::from_document(&json!({"userName": "ann@acme.test", "password": "x",
            "emails": [{"value": "home@x.test", "type": "home"}, {"value": "ann@acme.test", "type": "work", "primary": "True"}],
            "name": {"givenName": "Ann", "familyName": "Lee"}, "active": true}))
        .unwrap();
        assert_eq!(c.email.as_deref(), Some("ann@acme.test"));
        assert_eq!(c.family_name, Some(Some("Lee".into())));
        assert_eq!(c.active, Some(true));
        assert_eq!(
            UserChange::from_document(&json!({"name": {"givenName": "A"}}))
                .unwrap_err()
                .scim_type,
            Some("invalidValue")
        );
    }

    #[test]
    fn group_member_ids_from_either_shape() {
        let id = "0e8f6f55-4d1b-4c8e-9e0e-3d6f0f6b8a11";
        assert_eq!(
            group_members(Some("members"), &json!([{"value": id}])).unwrap(),
            Some(vec![id.to_string()])
        );
        assert_eq!(
            group_members(Some(&format!("members[value eq \"{id}\"]")), &Value::Null).unwrap(),
            Some(vec![id.to_string()])
        );
        assert_eq!(
            group_members(Some("displayName"), &json!("x")).unwrap(),
            None
        );
        // Entra's default remove: path "members" with the ids in the value.
        assert_eq!(
            group_members(
                Some("members"),
                &json!([{"value": id}, {"$ref": null, "value": id}])
            )
            .unwrap(),
            Some(vec![id.to_string(), id.to_string()])
        );
        // Okta's rename before a push is no membership change.
        assert_eq!(
            group_members(None, &json!({"id": "admin", "displayName": "admin"})).unwrap(),
            None
        );
    }

    #[test]
    fn paging_is_one_based_and_capped() {
        assert_eq!(page(None, None), (1, MAX_RESULTS));
        assert_eq!(page(Some(0), Some(2)), (1, 2));
        assert_eq!(page(Some(5), Some(10_000)), (5, MAX_RESULTS));
        assert_eq!(page(Some(1), Some(-3)), (1, 0));
    }
}
