//! The history screen, shared by integrations and accounts (X-2, HI-1 … HI-4): filters by
//! person, change and dates; older pages by cursor; exports; the chain check; undo links.
//! Everything is a link or a GET form, so it all works without JavaScript.
use super::api::{get_history, verify_history};
use super::{ChainCheck, HistoryFilter, HistoryPage};
use crate::components::{LoadError, Loading, Notice};
use crate::error::AppError;
use crate::integrations::view::{id_param, IntegrationTabs};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq)]
struct Asked {
    filter: HistoryFilter,
    from: String,
    to: String,
    cursor: String,
    verify: bool,
    checkpoint: String,
}

fn chain_result(check: &ChainCheck) -> impl IntoView {
    if check.ok {
        view! {
            <p class="notice" role="status">
                {format!("The history is intact: all {} entries match their hashes.", check.entries)}
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="error" role="alert">
                <strong>"The history was tampered with. "</strong>
                {check.problem.clone().unwrap_or_default()}
            </p>
        }
        .into_any()
    }
}

/// The history of an integration (`kind = "integration"`) or an account (`"account"`).
#[component]
pub fn HistoryScreen(kind: &'static str) -> impl IntoView {
    let id = id_param();
    let q = use_query_map();
    let asked = move || {
        q.with(|q| {
            let get = |k: &str| q.get(k).unwrap_or_default();
            Asked {
                filter: HistoryFilter {
                    action: get("action"),
                    q: get("q"),
                    person: get("person"),
                    from: None,
                    to: None,
                },
                from: get("from"),
                to: get("to"),
                cursor: get("cursor"),
                verify: get("verify") == "1",
                checkpoint: get("checkpoint"),
            }
        })
    };
    let page = Resource::new(
        move || (id(), asked()),
        move |(id, a)| async move {
            let Some(id) = id else {
                return Err(AppError::NotFound);
            };
            let page = get_history(
                kind.to_string(),
                id,
                a.filter.action,
                a.filter.q,
                a.filter.person,
                a.from,
                a.to,
                a.cursor,
            )
            .await?;
            let check = if a.verify {
                Some(verify_history(kind.to_string(), id, a.checkpoint).await)
            } else {
                None
            };
            Ok::<(HistoryPage, Option<Result<ChainCheck, AppError>>), AppError>((page, check))
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let (p, check) = match page.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => p,
                };
                let oid = id().unwrap_or_default();
                let a = asked();
                let base = match kind {
                    "integration" => format!("/integrations/{oid}/history"),
                    _ => format!("/accounts/{oid}/history"),
                };
                let mut filter = a.filter.clone();
                filter.from = chrono::NaiveDate::parse_from_str(&a.from, "%Y-%m-%d").ok();
                filter.to = chrono::NaiveDate::parse_from_str(&a.to, "%Y-%m-%d").ok();
                let query = filter.query();
                let sep = if query.is_empty() { "" } else { "?" };
                let older = p.next.clone().map(|n| format!("{base}?{}{}cursor={}", query, if query.is_empty() { "" } else { "&" }, super::urlencode(&n)));
                view! {
                    {header(kind, oid, &p.name)}
                    <Notice key="undone" text="The removal was undone. The member is back, with what could be given back; both mails are on their way." />
                    <form method="get" action=base.clone() class="filters" role="search" aria-label="Filter the history">
                        <label for="history-person">"Person"</label>
                        <input id="history-person" name="person" type="search" value=a.filter.person.clone() placeholder="name or address" />
                        <label for="history-action">"Change"</label>
                        <select id="history-action" name="action">
                            <option value="" selected=a.filter.action.is_empty()>"All changes"</option>
                            {p.actions.iter().map(|x| view! { <option value=x.clone() selected=*x == a.filter.action>{x.clone()}</option> }).collect_view()}
                        </select>
                        <label for="history-from">"From"</label>
                        <input id="history-from" name="from" type="date" value=a.from.clone() />
                        <label for="history-to">"To"</label>
                        <input id="history-to" name="to" type="date" value=a.to.clone() />
                        <label for="history-q">"Containing"</label>
                        <input id="history-q" name="q" type="search" value=a.filter.q.clone() />
                        <button type="submit">"Filter"</button>
                    </form>
                    <p class="row-actions">
                        "Export what matches: "
                        <a href=format!("{base}/export.csv{sep}{query}") download="">"CSV"</a>
                        " · "
                        <a href=format!("{base}/export.jsonl{sep}{query}") download="">"JSON lines"</a>
                    </p>
                    {if p.entries.is_empty() { view! { <p class="empty">"No changes match."</p> }.into_any() } else { view! {
                        <table class="history">
                            <thead><tr>
                                <th scope="col">"#"</th><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Change"</th>
                                <th scope="col">"Concerning"</th><th scope="col">"Details"</th><th scope="col">"Reason"</th>
                            </tr></thead>
                            <tbody>{p.entries.iter().map(|e| {
                                let undo = e.undo.map(|t| format!("/accounts/{oid}/removals/{t}/undo"));
                                view! {
                                    <tr>
                                        <td>{e.seq}</td>
                                        <td>{e.at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                        <td>{e.actor.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td>{e.action.clone()}</td>
                                        <td>{e.target.clone().unwrap_or_default()}</td>
                                        <td>
                                            {(!e.before.is_empty()).then(|| view! { <span class="before">"Was: " {e.before.clone()}</span><br /> })}
                                            {e.details.clone()}
                                            {undo.map(|href| view! { <br /><a href=href>"Undo this removal"<span class="visually-hidden">{format!(" of {} on {}", e.target.clone().unwrap_or_default(), e.at.format("%Y-%m-%d %H:%M:%S"))}</span>"…"</a> })}
                                        </td>
                                        <td>{e.reason.clone().unwrap_or_default()}</td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any() }}
                    {older.map(|href| view! { <p><a href=href rel="next">"Older entries"</a></p> })}
                    <section aria-labelledby="chain-title" class="chain">
                        <h2 id="chain-title">"Tamper evidence"</h2>
                        <p class="hint">
                            "Each entry is chained to the one before by its SHA-256 hash, so a changed, removed or reordered entry shows. "
                            "Keep the latest checkpoint somewhere outside Gatehouse: checking against it also shows removed newest entries."
                        </p>
                        {p.checkpoint.clone().map(|c| view! {
                            <p>"Latest checkpoint: " <code class="checkpoint">{c.to_string()}</code></p>
                        })}
                        {match check {
                            Some(Ok(c)) => Some(chain_result(&c).into_any()),
                            Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any()),
                            None => None,
                        }}
                        {p.may_verify.then(|| view! {
                            <form method="get" action=base.clone() class="inline-form" aria-label="Verify the history">
                                <input type="hidden" name="verify" value="1" />
                                <label for="chain-checkpoint">"Kept checkpoint (optional)"</label>
                                <input id="chain-checkpoint" name="checkpoint" type="text" value=a.checkpoint.clone() placeholder="12:9f86d0…" spellcheck="false" />
                                <button type="submit">"Verify the history"</button>
                            </form>
                        })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

fn header(kind: &'static str, id: Uuid, name: &str) -> impl IntoView {
    match kind {
        "integration" => view! {
            <p class="crumbs"><a href="/integrations">"Integrations"</a></p>
            <h1>{format!("{name} history")}</h1>
            <IntegrationTabs id=id current="history" />
        }
        .into_any(),
        _ => view! {
            <p class="crumbs"><a href="/accounts">"Accounts"</a> " / " <a href=format!("/accounts/{id}/members")>{name.to_string()}</a></p>
            <h1>{format!("{name} history")}</h1>
        }
        .into_any(),
    }
}

/// The account's history: members, roles, removals (and their undo), SCIM.
#[component]
pub fn AccountHistoryPage() -> impl IntoView {
    view! { <HistoryScreen kind="account" /> }
}
