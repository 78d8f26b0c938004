//! Settings → API tokens: make one (shown once), see when each was last used, revoke.
use super::api::*;
use super::{ApiTokenView, NewApiToken, MAX_DAYS};
use crate::components::{last_error, Field, FormError, LoadError, Loading, Notice};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into())
}

/// A token just made, shown this once.
#[component]
fn NewToken(made: NewApiToken) -> impl IntoView {
    view! {
        <section class="card notice" role="status" aria-labelledby="new-token-title">
            <h2 id="new-token-title">{format!("Your new token “{}”", made.view.name)}</h2>
            <p>"Copy it now: it is shown only this once, and Gatehouse keeps only a fingerprint of it."</p>
            <label for="new-token">"Token"</label>
            <input id="new-token" class="token" readonly value=made.token.clone() aria-describedby="new-token-hint" />
            <p id="new-token-hint" class="hint">"Send it as " <code>"Authorization: Bearer gat_…"</code> "."</p>
        </section>
    }
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let error = last_error(create.value());
    let q = use_query_map();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let revealed = Resource::new(
        move || q.with(|q| q.get("made").is_some()),
        |made| async move {
            if made {
                reveal_token().await
            } else {
                Ok(None)
            }
        },
    );
    view! {
        <h1>"API tokens"</h1>
        <p>
            "A personal access token lets a script or the command-line client use the JSON API "
            "(" <code>"/api/v1"</code> ") as you. It can never do more than you may do, and a "
            <em>"read"</em> " token changes nothing. Reference: " <a href="/api/v1/docs">"the API document"</a> "."
        </p>
        <Notice key="revoked" text="The token was revoked: its next request is refused." />
        {move || create.value().get().and_then(Result::ok).map(|t| view! { <NewToken made=t /> })}
        // Made without JavaScript: the form's redirect brings `?made=1`, and the token is
        // shown from the short-lived cookie, once.
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                revealed.await.ok().flatten().map(|t| view! { <NewToken made=t /> })
            })}
        </Suspense>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match tokens.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"You have no API tokens yet. Make one below."</p>
                    }.into_any(),
                    Ok(list) => {
                        let revoking = q.with(|q| q.get("revoke").and_then(|s| Uuid::parse_str(&s).ok()))
                            .and_then(|id| list.iter().find(|t| t.id == id && t.revoked_at.is_none()).cloned());
                        view! {
                            {revoking.map(|t| view! {
                                <section class="card confirm" role="alertdialog" aria-labelledby="revoke-title">
                                    <h2 id="revoke-title">{format!("Revoke “{}”?", t.name)}</h2>
                                    <p>"Scripts using it are refused from their very next request. This cannot be undone."</p>
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="id" value=t.id.to_string() />
                                        <button type="submit" class="danger">{format!("Revoke “{}”", t.name)}</button>
                                        " " <a href="/settings/tokens">"Keep it"</a>
                                    </ActionForm>
                                </section>
                            })}
                            <table class="tokens">
                                <thead><tr>
                                    <th scope="col">"Name"</th><th scope="col">"Token"</th><th scope="col">"Scope"</th>
                                    <th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col">"Status"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t: ApiTokenView| {
                                        let live = t.active;
                                        let status = if t.revoked_at.is_some() { "revoked" } else if live { "active" } else { "expired" };
                                        view! {
                                            <tr>
                                                <td>{t.name.clone()}</td>
                                                <td><code>{t.hint.clone()}</code></td>
                                                <td>{match t.scope { crate::domain::policy::TokenScope::Read => "read", crate::domain::policy::TokenScope::ReadWrite => "read and write" }}</td>
                                                <td>{t.expires_at.format("%Y-%m-%d").to_string()}</td>
                                                <td>{when(t.last_used_at)}</td>
                                                <td>
                                                    {status}
                                                    {live.then(|| view! {
                                                        " " <a href=format!("?revoke={}", t.id)>{format!("Revoke “{}”…", t.name)}</a>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
        <section class="card" aria-labelledby="make-title">
            <h2 id="make-title">"Make a token"</h2>
            <ActionForm action=create>
                <FormError error=error />
                <Field label="Name" name="name" hint="What it is for, e.g. “offboarding script”." required=true error=error />
                <div class="field">
                    <label for="token-scope">"Scope"</label>
                    <select id="token-scope" name="scope">
                        <option value="read">"read: look only"</option>
                        <option value="read_write">"read and write: also change"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="token-days">"Expires after"</label>
                    <select id="token-days" name="days">
                        <option value="30">"30 days"</option>
                        <option value="90" selected=true>"90 days"</option>
                        <option value=MAX_DAYS.to_string()>"1 year"</option>
                    </select>
                    <p class="field-error" role="alert">{move || error.get().and_then(|e| e.field_message("days"))}</p>
                </div>
                <button type="submit" disabled=move || create.pending().get()>"Make token"</button>
            </ActionForm>
        </section>
    }
}
