//! Join settings on the team screen (SJ-1), the Embed tools screen (SJ-3), and the
//! in-app "join a team" search (SJ-2).
use super::api::*;
use crate::components::{last_error, Field, FormError, LoadError, Loading};
use crate::domain::policy::{self, TeamAction};
use crate::error::AppError;
use crate::integrations::view::{id_param, CopyField, IntegrationTabs};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

/// "Join as collaborator": on/off and the eligible domains. Admins edit; others read.
#[component]
pub fn JoinSettings(
    id: Uuid,
    admin: bool,
    public: bool,
    enabled: bool,
    domains: Vec<String>,
    action: ServerAction<SetJoinSettings>,
) -> impl IntoView {
    let error = last_error(action.value());
    let listed = domains.join("\n");
    let state = if enabled { "on" } else { "off" };
    view! {
        <section aria-labelledby="join-title" class="card">
            <h2 id="join-title">"Join as collaborator"</h2>
            <p class="hint">"People whose verified email is on an eligible domain can ask to join as collaborators, here or through the widget on your site; they get a mail to accept."</p>
            {if admin {
                view! {
                    <ActionForm action=action>
                        <FormError error=error />
                        <input type="hidden" name="id" value=id.to_string() />
                        <div class="check">
                            <input type="checkbox" id="join-enabled" name="enabled" value="on" checked=enabled disabled=!public && !enabled aria-describedby="join-enabled-hint" />
                            <label for="join-enabled">"Let people join as collaborators"</label>
                        </div>
                        <p class="hint" id="join-enabled-hint">{if public { "Only public integrations can offer this." } else { "Only public integrations can offer this; this one is private." }}</p>
                        <p class="field-error" role="alert">{move || error.get().and_then(|e| e.field_message("enabled"))}</p>
                        <div class="field">
                            <label for="join-domains">"Eligible email domains"</label>
                            <p class="hint" id="join-domains-hint">"One per line, such as partner.example.com. Only exact matches count (no subdomains)."</p>
                            <textarea id="join-domains" name="domains" rows="3" aria-describedby="join-domains-hint join-domains-error">{listed}</textarea>
                            <p class="field-error" id="join-domains-error" role="alert">{move || error.get().and_then(|e| e.field_message("domains"))}</p>
                        </div>
                        <button type="submit">"Save join settings"</button>
                        {move || matches!(action.value().get(), Some(Ok(()))).then(|| view! { <p class="notice" role="status">"Join settings saved."</p> })}
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <p>{format!("Joining is {state}.")}{(!domains.is_empty()).then(|| format!(" Eligible domains: {}.", domains.join(", ")))}</p>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn EmbedPage() -> impl IntoView {
    let id = id_param();
    let add = ServerAction::<AddEmbedOrigin>::new();
    let remove = ServerAction::<RemoveEmbedOrigin>::new();
    let page = Resource::new(
        move || (id(), add.version().get() + remove.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_embed(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let add_error = last_error(add.value());
    let remove_error = last_error(remove.value());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => p,
                };
                let admin = policy::team(Some(p.role), TeamAction::ManageJoinAndEmbed).is_ok();
                let iid = p.id;
                view! {
                    <p class="crumbs"><a href="/integrations">"Integrations"</a></p>
                    <h1>{format!("{} embed tools", p.name)}</h1>
                    <IntegrationTabs id=iid current="embed" />
                    <section aria-labelledby="snippet-title">
                        <h2 id="snippet-title">"The join widget"</h2>
                        <p>"Paste this into a page of your site to show a “join our integration team” form. It loads in a frame from Gatehouse and only on the origins listed below."</p>
                        {(!p.public || !p.join_enabled).then(|| view! {
                            <p class="notice warn" role="note">{if p.public { "Joining is off: the widget says the team is not taking collaborators. Switch it on under Team › Join as collaborator." } else { "The integration is private: the widget is not available until it is public and joining is on." }}</p>
                        })}
                        <CopyField label="Snippet".to_string() value=p.snippet.clone() />
                        <pre class="snippet"><code>{p.snippet.clone()}</code></pre>
                    </section>
                    <section aria-labelledby="origins-title">
                        <h2 id="origins-title">"Sites allowed to embed it"</h2>
                        <p class="hint">"The widget refuses to render inside any other site. Write the origin: scheme, host and port, such as https://partner.example.com."</p>
                        <FormError error=remove_error />
                        {if p.origins.is_empty() {
                            view! { <p class="empty">"No site is allowed yet, so the widget renders nowhere."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="origins">
                                    {p.origins.clone().into_iter().map(|o| view! {
                                        <li>
                                            <code>{o.clone()}</code>
                                            {admin.then(|| view! {
                                                <ActionForm action=remove attr:class="inline">
                                                    <input type="hidden" name="id" value=iid.to_string() />
                                                    <input type="hidden" name="origin" value=o.clone() />
                                                    <button type="submit" class="link-button">{format!("Remove {o}")}</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {admin.then(|| view! {
                            <ActionForm action=add attr:class="card narrow">
                                <FormError error=add_error />
                                <input type="hidden" name="id" value=iid.to_string() />
                                <Field label="Allowed origin" name="origin" hint="For example https://partner.example.com" required=true error=add_error />
                                <button type="submit">"Allow this origin"</button>
                            </ActionForm>
                        })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// Search the public integrations that take joins, and ask to join one (SJ-2).
#[component]
pub fn JoinTeamPage() -> impl IntoView {
    let q = use_query_map();
    let term = move || q.with(|q| q.get("q").unwrap_or_default());
    let results = Resource::new(term, search_joinable);
    let request = ServerAction::<RequestJoin>::new();
    let error = last_error(request.value());
    view! {
        <h1>"Join an integration team"</h1>
        <p>"Partners can join the team of a public integration as collaborators when their verified email is on one of its eligible domains."</p>
        <form method="get" class="inline-form" role="search">
            <label for="join-q">"Search integrations"</label>
            <input id="join-q" name="q" type="search" value=term />
            <button type="submit">"Search"</button>
        </form>
        <FormError error=error />
        {move || match request.value().get() {
            Some(Ok(o)) => Some(view! { <p class="notice" role="status">{o.message("your address")}</p> }),
            _ => None,
        }}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match results.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(r) if r.is_empty() => view! { <p class="empty">"No integration that takes new collaborators matches."</p> }.into_any(),
                    Ok(r) => view! {
                        <ul class="account-list">
                            {r.into_iter().map(|i| view! {
                                <li>
                                    <span><strong>{i.name.clone()}</strong>" "<span class="hint">{i.description.clone()}</span></span>
                                    {match i.role {
                                        Some(role) => view! { <span class="role">{format!("you are {}", role.as_str())}</span> }.into_any(),
                                        None => view! {
                                            <ActionForm action=request>
                                                <input type="hidden" name="integration_id" value=i.id.to_string() />
                                                <button type="submit" disabled=move || request.pending().get()>{format!("Ask to join {}", i.name)}</button>
                                            </ActionForm>
                                        }.into_any(),
                                    }}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
