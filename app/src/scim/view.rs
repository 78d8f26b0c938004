//! Account → SCIM settings: the base URL for the identity provider, its tokens (made and
//! shown once, revoked after a confirmation, last use shown), and the latest provisioning.
use super::api::*;
use super::{NewScimToken, ScimTokenView, MAX_DAYS};
use crate::components::{last_error, Field, FormError, LoadError, Loading, Notice};
use crate::integrations::view::CopyField;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into())
}

#[component]
fn NewToken(made: NewScimToken) -> impl IntoView {
    view! {
        <section class="card notice" role="status" aria-labelledby="new-scim-token-title">
            <h2 id="new-scim-token-title">{format!("Your new SCIM token “{}”", made.view.name)}</h2>
            <p>"Copy it into your identity provider now: it is shown only this once, and Gatehouse keeps only a fingerprint of it."</p>
            <label for="new-scim-token">"SCIM token"</label>
            <input id="new-scim-token" class="token" readonly value=made.token.clone() />
        </section>
    }
}

/// What each SCIM attribute becomes in Gatehouse.
const MAPPING: [(&str, &str); 6] = [
    (
        "userName",
        "the person's identity in this account (unique, any letter case)",
    ),
    (
        "emails[type eq \"work\"].value",
        "the address they sign in with when first provisioned (else userName)",
    ),
    ("name.givenName, name.familyName, displayName", "their name"),
    (
        "externalId",
        "your provider's id; a new POST with it brings a deprovisioned person back",
    ),
    (
        "active",
        "false runs the removal of the Members screen; true gives the membership back",
    ),
    (
        "groups super_admin, admin, member",
        "their role (the owner's group is read-only)",
    ),
];

#[component]
pub fn ScimPage() -> impl IntoView {
    let params = use_params_map();
    let q = use_query_map();
    let account_id = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    let create = ServerAction::<CreateScimToken>::new();
    let revoke = ServerAction::<RevokeScimToken>::new();
    let error = last_error(create.value());
    let revoke_error = last_error(revoke.value());
    let page = Resource::new(
        move || (account_id(), create.version().get(), revoke.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => get_scim_settings(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    let revealed = Resource::new(
        move || (account_id(), q.with(|q| q.get("made").is_some())),
        |(id, made)| async move {
            match (id, made) {
                (Some(id), true) => reveal_scim_token(id).await,
                _ => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let s = match page.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(s) => s,
                };
                let account = s.account_id;
                let revoking: Option<ScimTokenView> = q.with(|q| q.get("revoke").and_then(|v| Uuid::parse_str(&v).ok()))
                    .and_then(|id| s.tokens.iter().find(|t| t.id == id && t.active).cloned());
                let has_tokens = !s.tokens.is_empty();
                view! {
                    <nav aria-label="Breadcrumb"><a href=format!("/accounts/{account}/members")>{format!("{} · Members", s.account_name)}</a></nav>
                    <h1>"SCIM provisioning"</h1>
                    <p>
                        "Your identity provider (Okta, Microsoft Entra ID, or any SCIM 2.0 client) adds people to "
                        {s.account_name.clone()} ", gives them roles and removes them. Removing someone runs the same "
                        "transfer of their Zaps, folders and connections to the account owner as the Members screen does."
                    </p>
                    <Notice key="revoked" text="The SCIM token was revoked: its next request is refused." />
                    <p class="notice" role="note">
                        {if s.scim_enabled {
                            "SCIM provisioning is on: membership is managed by your identity provider."
                        } else {
                            "SCIM provisioning is off. Make a token, give it to your identity provider, then switch SCIM on on the Members page."
                        }}
                        " " <a href=format!("/accounts/{account}/members")>"Members"</a>
                    </p>
                    <section class="card" aria-labelledby="scim-connect-title">
                        <h2 id="scim-connect-title">"Connect your identity provider"</h2>
                        <CopyField label="SCIM base URL".to_string() value=s.base_url.clone() />
                        <p class="hint">"Authentication: HTTP header, " <code>"Authorization: Bearer gsc_…"</code> " with a token below."</p>
                        <table class="mapping">
                            <caption>"Attribute mapping"</caption>
                            <thead><tr><th scope="col">"SCIM attribute"</th><th scope="col">"In Gatehouse"</th></tr></thead>
                            <tbody>
                                {MAPPING.iter().map(|(a, b)| view! { <tr><td><code>{*a}</code></td><td>{*b}</td></tr> }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                    {move || create.value().get().and_then(Result::ok).map(|t| view! { <NewToken made=t /> })}
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            revealed.await.ok().flatten().map(|t| view! { <NewToken made=t /> })
                        })}
                    </Suspense>
                    <section class="card" aria-labelledby="scim-tokens-title">
                        <h2 id="scim-tokens-title">"SCIM tokens"</h2>
                        <FormError error=revoke_error />
                        {revoking.map(|t| view! {
                            <section class="card confirm" role="alertdialog" aria-labelledby="scim-revoke-title">
                                <h3 id="scim-revoke-title">{format!("Revoke “{}”?", t.name)}</h3>
                                <p>"Your identity provider is refused from its very next request, until you give it another token. This cannot be undone."</p>
                                <ActionForm action=revoke>
                                    <input type="hidden" name="account_id" value=account.to_string() />
                                    <input type="hidden" name="id" value=t.id.to_string() />
                                    <button type="submit" class="danger">{format!("Revoke “{}”", t.name)}</button>
                                    " " <a href=format!("/accounts/{account}/scim")>"Keep it"</a>
                                </ActionForm>
                            </section>
                        })}
                        {if has_tokens {
                            view! {
                                <table class="tokens">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Token"</th><th scope="col">"Made by"</th>
                                        <th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col">"Status"</th>
                                    </tr></thead>
                                    <tbody>
                                        {s.tokens.clone().into_iter().map(|t| {
                                            let status = if t.revoked_at.is_some() { "revoked" } else if t.active { "active" } else { "expired" };
                                            view! {
                                                <tr>
                                                    <td>{t.name.clone()}</td>
                                                    <td><code>{t.hint.clone()}</code></td>
                                                    <td>{t.created_by.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td>{t.expires_at.format("%Y-%m-%d").to_string()}</td>
                                                    <td>{when(t.last_used_at)}</td>
                                                    <td>
                                                        {status}
                                                        {t.active.then(|| view! {
                                                            " " <a href=format!("?revoke={}", t.id)>{format!("Revoke “{}”…", t.name)}</a>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        } else {
                            view! { <p class="empty">"No SCIM tokens yet. Make one below for your identity provider."</p> }.into_any()
                        }}
                        <h3>"Make a SCIM token"</h3>
                        <ActionForm action=create>
                            <input type="hidden" name="account_id" value=account.to_string() />
                            <FormError error=error />
                            <Field label="Name" name="name" hint="Which provider uses it, e.g. “Okta”." required=true error=error />
                            <div class="field">
                                <label for="scim-token-days">"Expires after"</label>
                                <select id="scim-token-days" name="days">
                                    <option value="90">"90 days"</option>
                                    <option value="180">"180 days"</option>
                                    <option value=MAX_DAYS.to_string() selected=true>"1 year"</option>
                                </select>
                            </div>
                            <button type="submit" disabled=move || create.pending().get()>"Make SCIM token"</button>
                        </ActionForm>
                    </section>
                    <section class="card" aria-labelledby="scim-events-title">
                        <h2 id="scim-events-title">"Latest provisioning"</h2>
                        {if s.events.is_empty() {
                            view! { <p class="empty">"Nothing yet: your identity provider has not called Gatehouse."</p> }.into_any()
                        } else {
                            view! {
                                <table>
                                    <thead><tr><th scope="col">"When"</th><th scope="col">"What"</th><th scope="col">"Whom"</th><th scope="col">"By"</th></tr></thead>
                                    <tbody>
                                        {s.events.iter().cloned().map(|e| view! {
                                            <tr>
                                                <td>{e.at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                                                <td>{e.action}</td>
                                                <td>{e.target.unwrap_or_else(|| "—".into())}</td>
                                                <td>{e.by.unwrap_or_else(|| "—".into())}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                        <p><a href=format!("/accounts/{account}/history")>"The account's full history"</a></p>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
