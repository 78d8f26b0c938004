//! The Access tab (AX-1): every person who can reach an integration, an instance or an
//! account, by every road, with its dates (AX-2); revoking a road says first what it does.
//! Every action is a link or a form, so the tab works with JavaScript off.
use super::api::*;
use super::{PersonAccess, Road, RoadKind, RoadState};
use crate::components::{last_error, FormError, LoadError, Loading};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A form field's value for a date (what `datetime-local` shows, in UTC).
fn field(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A road in words, for the table.
pub fn road_words(r: &Road) -> String {
    let scope = r
        .version
        .as_ref()
        .map(|v| format!("version {v}"))
        .unwrap_or_else(|| "all versions".into());
    match r.kind {
        RoadKind::Team => format!("Team {}", r.role.as_deref().unwrap_or("member")),
        RoadKind::Invitation => format!("Email invitation: {scope}"),
        RoadKind::Link => format!(
            "Invite link: {scope} ({})",
            r.detail.as_deref().unwrap_or("a link")
        ),
        RoadKind::Public => format!("Used while public: {scope}"),
        RoadKind::Owner => "Owner".into(),
        RoadKind::Share => format!(
            "{} share{}",
            if r.role.as_deref() == Some("write") {
                "Write"
            } else {
                "Read"
            },
            r.detail
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        RoadKind::AccountRole => format!(
            "Account role: {}",
            r.role.as_deref().unwrap_or("member").replace('_', " ")
        ),
    }
}

fn state_words(r: &Road) -> String {
    match (r.state, r.then.as_deref()) {
        (RoadState::Active, _) => "In force".into(),
        (RoadState::Scheduled, _) => "Not started yet".into(),
        (RoadState::Ended, Some(then)) => format!("Ended (now {then})"),
        (RoadState::Ended, None) => "Ended".into(),
    }
}

fn dates_words(r: &Road) -> String {
    match (r.starts_at, r.ends_at) {
        (None, None) => "No end".into(),
        (Some(s), None) => format!("From {}", when(s)),
        (None, Some(e)) => format!(
            "Until {}{}",
            when(e),
            r.then
                .as_ref()
                .map(|t| format!(", then {t}"))
                .unwrap_or_default()
        ),
        (Some(s), Some(e)) => format!(
            "{} to {}{}",
            when(s),
            when(e),
            r.then
                .as_ref()
                .map(|t| format!(", then {t}"))
                .unwrap_or_default()
        ),
    }
}

fn revocable(object: &str, r: &Road) -> bool {
    match object {
        "integration" => matches!(
            r.kind,
            RoadKind::Team | RoadKind::Invitation | RoadKind::Link | RoadKind::Public
        ),
        "instance" => r.kind == RoadKind::Share,
        _ => false,
    }
}

fn datable(object: &str, r: &Road) -> bool {
    object != "account" && r.kind.datable()
}

/// The Access tab of an integration, an instance or an account.
#[component]
pub fn AccessTab(object: &'static str) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    let q = use_query_map();
    let search = move || q.with(|q| q.get("q").unwrap_or_default());
    let revoke = ServerAction::<RevokeRoad>::new();
    let dates = ServerAction::<SetRoadDates>::new();
    let page = Resource::new(
        move || {
            (
                id(),
                search(),
                revoke.version().get() + dates.version().get(),
            )
        },
        move |(id, q, _)| async move {
            match id {
                Some(id) => get_access(object.to_string(), id, q).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let road_param = move |key: &str| {
        let key = key.to_string();
        q.with(move |q| q.get(&key).and_then(|s| Uuid::parse_str(&s).ok()))
    };
    let preview = Resource::new(
        move || (id(), road_param("revoke")),
        move |(id, road)| async move {
            match (id, road) {
                (Some(id), Some(road)) => preview_revoke_road(object.to_string(), id, road)
                    .await
                    .map(Some),
                _ => Ok(None),
            }
        },
    );
    let revoke_error = last_error(revoke.value());
    let dates_error = last_error(dates.value());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => p,
                };
                let preview = preview.await;
                let oid = p.id;
                let base = format!("/{object}s/{oid}");
                let dating = road_param("dates");
                let (revoked, dated) = q.with(|q| (q.get("revoked").is_some(), q.get("dated").is_some()));
                let tabs = match object {
                    "integration" => view! { <crate::integrations::view::IntegrationTabs id=oid current="access" /> }.into_any(),
                    _ => view! { <p class="crumbs"><a href=base.clone()>{format!("Back to {}", p.name)}</a></p> }.into_any(),
                };
                let dating_road = dating.and_then(|d| p.people.iter().find_map(|person| {
                    person.roads.iter().find(|r| r.id == d && datable(object, r)).map(|r| (person.clone(), r.clone()))
                }));
                view! {
                    <h1>{format!("Who can reach {}", p.name)}</h1>
                    {tabs}
                    {revoked.then(|| view! { <p class="notice" role="status">"Road revoked."</p> })}
                    {dated.then(|| view! { <p class="notice" role="status">"Dates saved."</p> })}
                    {p.public.then(|| view! { <p class="notice">"This integration is public: every signed-in user may use every version, whatever is listed below."</p> })}
                    {match preview {
                        Ok(Some(r)) => {
                            let road = road_param("revoke").unwrap_or_default();
                            view! {
                                <section class="card confirm" role="alertdialog" aria-labelledby="revoke-road-title">
                                    <h2 id="revoke-road-title">{format!("Revoke {}'s {}?", r.name, r.road)}</h2>
                                    {if r.remaining.is_empty() {
                                        view! { <p>{format!("{} ({}) keeps no other road: this ends their access.", r.name, r.email)}</p> }.into_any()
                                    } else {
                                        view! { <div><p>{format!("{} keeps access through:", r.name)}</p><ul>{r.remaining.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}</ul></div> }.into_any()
                                    }}
                                    {if r.zaps_to_pause.is_empty() {
                                        view! { <p>"None of their Zaps will pause."</p> }.into_any()
                                    } else {
                                        view! { <div><p>"These Zaps of theirs will pause:"</p><ul>{r.zaps_to_pause.iter().map(|z| view! { <li>{z.clone()}</li> }).collect_view()}</ul></div> }.into_any()
                                    }}
                                    <ActionForm action=revoke>
                                        <FormError error=revoke_error />
                                        <input type="hidden" name="object" value=object />
                                        <input type="hidden" name="id" value=oid.to_string() />
                                        <input type="hidden" name="road" value=road.to_string() />
                                        <div class="field">
                                            <label for="road-reason">"Reason (optional, kept in the history)"</label>
                                            <input id="road-reason" name="reason" type="text" maxlength="500" />
                                        </div>
                                        <button type="submit" class="danger">"Revoke this road"</button>
                                        " " <a href="?">"Cancel"</a>
                                    </ActionForm>
                                </section>
                            }.into_any()
                        }
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        _ => ().into_any(),
                    }}
                    {dating_road.map(|(person, r)| view! {
                        <section class="card" aria-labelledby="dates-title">
                            <h2 id="dates-title">{format!("Dates of {}'s {}", person.name, road_words(&r).to_lowercase())}</h2>
                            <p class="hint">"Times are UTC. Before its start a road gives nothing; from its end it gives nothing, at once. An end in the past ends it now."</p>
                            <ActionForm action=dates>
                                <FormError error=dates_error />
                                <input type="hidden" name="object" value=object />
                                <input type="hidden" name="id" value=oid.to_string() />
                                <input type="hidden" name="road" value=r.id.to_string() />
                                <div class="field">
                                    <label for="road-starts">"Starts (UTC, empty: now)"</label>
                                    <input id="road-starts" name="starts_at" type="datetime-local" value=field(r.starts_at) />
                                </div>
                                <div class="field">
                                    <label for="road-ends">"Ends (UTC, empty: no end)"</label>
                                    <input id="road-ends" name="ends_at" type="datetime-local" value=field(r.ends_at) />
                                </div>
                                {(r.kind == RoadKind::Team && r.role.as_deref() == Some("admin")).then(|| view! {
                                    <div class="field">
                                        <label><input type="checkbox" name="then_collaborator" value="on" checked=r.then.is_some() />" At the end, stay on as collaborator (instead of leaving the team)"</label>
                                    </div>
                                })}
                                <button type="submit">"Save dates"</button>
                                " " <a href="?">"Cancel"</a>
                            </ActionForm>
                        </section>
                    })}
                    <form method="get" class="search" role="search">
                        <label for="access-q">"Find a person"</label>
                        <input id="access-q" name="q" type="search" value=search() maxlength="200" />
                        <button type="submit">"Search"</button>
                    </form>
                    {p.people.is_empty().then(|| view! { <p class="empty">{if search().is_empty() { "Nobody has a road here yet." } else { "Nobody with that name or address has a road here." }}</p> })}
                    {p.more.then(|| view! { <p class="hint">"The list stops here: search by name or address to find someone."</p> })}
                    {p.people.into_iter().map(|person| view! { <Person person object /> }).collect_view()}
                    <p class="hint"><a href="/access">"Pick a person and see everything of yours they can reach"</a></p>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Person(person: PersonAccess, object: &'static str) -> impl IntoView {
    let title = format!("{} ({})", person.name, person.email);
    let several = person
        .roads
        .iter()
        .filter(|r| r.state == RoadState::Active)
        .count()
        > 1;
    view! {
        <section class="card access-person" aria-label=title.clone()>
            <h2>{title.clone()}</h2>
            {several.then(|| view! { <p class="hint">"More than one road: revoking one leaves the others."</p> })}
            <table>
                <thead><tr><th scope="col">"Road"</th><th scope="col">"Given by"</th><th scope="col">"Since"</th><th scope="col">"Dates"</th><th scope="col">"State"</th><th scope="col">"Actions"</th></tr></thead>
                <tbody>
                    {person.roads.into_iter().map(|r| {
                        let words = road_words(&r);
                        view! {
                            <tr>
                                <td>{words.clone()}</td>
                                <td>{r.granted_by.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>{r.granted_at.format("%Y-%m-%d").to_string()}</td>
                                <td>{dates_words(&r)}</td>
                                <td>{state_words(&r)}</td>
                                <td>
                                    {datable(object, &r).then(|| view! { <a href=format!("?dates={}", r.id)>{format!("Dates of {}: {}…", person.name, words.to_lowercase())}</a> " " })}
                                    {revocable(object, &r).then(|| view! { <a href=format!("?revoke={}", r.id)>{format!("Revoke {}: {}…", person.name, words.to_lowercase())}</a> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
pub fn IntegrationAccessPage() -> impl IntoView {
    view! { <AccessTab object="integration" /> }
}

#[component]
pub fn InstanceAccessPage() -> impl IntoView {
    view! { <AccessTab object="instance" /> }
}

#[component]
pub fn AccountAccessPage() -> impl IntoView {
    view! { <AccessTab object="account" /> }
}

/// The reverse view: one person, and everything of the caller's they can reach.
#[component]
pub fn ReachPage() -> impl IntoView {
    let q = use_query_map();
    let email = move || q.with(|q| q.get("email").unwrap_or_default());
    let reach = Resource::new(email, |email| async move {
        if email.trim().is_empty() {
            Ok(None)
        } else {
            get_reach(email).await.map(Some)
        }
    });
    view! {
        <h1>"What a person can reach"</h1>
        <p class="hint">"Everything of yours (integrations you administer, instances you own, accounts you own or super-administer) that one person can reach, and by which road."</p>
        <form method="get" class="search" role="search">
            <label for="reach-email">"Their email address"</label>
            <input id="reach-email" name="email" type="email" value=email() required />
            <button type="submit">"Show"</button>
        </form>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match reach.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Ok(Some(r)) if r.items.is_empty() => view! { <p class="empty">{format!("{} reaches nothing of yours.", r.email)}</p> }.into_any(),
                    Ok(Some(r)) => view! {
                        <ul class="reach">
                            {r.items.into_iter().map(|item| {
                                let href = format!("/{}s/{}/access", item.object, item.id);
                                view! {
                                    <li>
                                        <a href=href>{format!("{} ({})", item.name, item.object)}</a>
                                        <ul>{item.roads.iter().map(|road| view! { <li>{format!("{} · {} · {}", road_words(road), dates_words(road), state_words(road))}</li> }).collect_view()}</ul>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
