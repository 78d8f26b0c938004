//! Performance, History and Feedback screens (TM-2): read-only for collaborators, who may
//! also comment; admins change a request's status. And the form users send feedback with.
use super::api::*;
use super::{Performance, FEEDBACK_STATUSES};
use crate::components::{last_error, Field, FormError, LoadError, Loading, Notice};
use crate::domain::policy::{self, TeamAction};
use crate::error::AppError;
use crate::integrations::view::{id_param, IntegrationTabs};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Invitations accepted per week as an SVG bar chart; the same figures follow as a table.
fn week_chart(p: &Performance) -> impl IntoView {
    let (w, h, pad) = (600.0_f64, 180.0_f64, 24.0_f64);
    let max = p
        .accepted_by_week
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = p.accepted_by_week.len().max(1) as f64;
    let slot = (w - 2.0 * pad) / n;
    let total: i64 = p.accepted_by_week.iter().map(|(_, n)| n).sum();
    let label = format!(
        "Bar chart: {total} invitations accepted in the last {} weeks, at most {} in one week.",
        p.accepted_by_week.len(),
        max as i64
    );
    view! {
        <svg class="chart" viewBox=format!("0 0 {w} {h}") role="img" aria-label=label>
            <line x1=pad y1=h - pad x2=w - pad y2=h - pad class="axis" />
            {p.accepted_by_week.iter().enumerate().map(|(i, (week, count))| {
                let bh = (*count as f64 / max) * (h - 2.0 * pad);
                let x = pad + i as f64 * slot + slot * 0.15;
                view! {
                    <g>
                        <rect x=x y=h - pad - bh width=slot * 0.7 height=bh class="bar"><title>{format!("Week of {}: {count}", week.format("%b %d"))}</title></rect>
                        {(*count > 0).then(|| view! { <text x=x + slot * 0.35 y=h - pad - bh - 4.0 text-anchor="middle">{count.to_string()}</text> })}
                        {(i % 2 == 0).then(|| view! { <text x=x + slot * 0.35 y=h - 6.0 text-anchor="middle" class="tick">{week.format("%b %d").to_string()}</text> })}
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

#[component]
pub fn PerformancePage() -> impl IntoView {
    let id = id_param();
    let page = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_performance(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => p,
                };
                let iid = id().unwrap_or_default();
                let chart = week_chart(&p);
                let accepted: i64 = p.accepted_by_week.iter().map(|(_, n)| n).sum();
                view! {
                    <p class="crumbs"><a href="/integrations">"Integrations"</a></p>
                    <h1>{format!("{} performance", p.name)}</h1>
                    <IntegrationTabs id=iid current="performance" />
                    <p>
                        {format!("{} people have been given access.", p.people_with_access)}
                        {p.public.then_some(" The integration is public: every signed-in user may use it, so “people given access” counts only those invited or admitted by link.")}
                    </p>
                    <section aria-labelledby="perf-versions">
                        <h2 id="perf-versions">"By version"</h2>
                        {if p.versions.is_empty() { view! { <p class="empty">"No versions yet."</p> }.into_any() } else { view! {
                            <table>
                                <thead><tr><th scope="col">"Version"</th><th scope="col">"People given access"</th><th scope="col">"People with Zaps on it"</th><th scope="col">"Zaps on"</th><th scope="col">"Zaps off"</th></tr></thead>
                                <tbody>{p.versions.iter().map(|v| view! {
                                    <tr><td>{v.version.clone()}</td><td>{v.users}</td><td>{v.zap_owners}</td><td>{v.zaps_on}</td><td>{v.zaps_off}</td></tr>
                                }).collect_view()}</tbody>
                            </table>
                        }.into_any() }}
                    </section>
                    <section aria-labelledby="perf-weeks">
                        <h2 id="perf-weeks">"Invitations accepted per week"</h2>
                        {(accepted == 0).then(|| view! { <p class="empty">"No invitation was accepted in the last 12 weeks."</p> })}
                        {chart}
                        <details>
                            <summary>"The figures as a table"</summary>
                            <table>
                                <thead><tr><th scope="col">"Week of"</th><th scope="col">"Accepted"</th></tr></thead>
                                <tbody>{p.accepted_by_week.iter().map(|(w, n)| view! { <tr><td>{w.format("%Y-%m-%d").to_string()}</td><td>{*n}</td></tr> }).collect_view()}</tbody>
                            </table>
                        </details>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// The integration's history: the shared history screen, under the integration's tabs.
#[component]
pub fn HistoryPage() -> impl IntoView {
    view! { <crate::history::view::HistoryScreen kind="integration" /> }
}

#[component]
pub fn FeedbackPage() -> impl IntoView {
    let id = id_param();
    let q = use_query_map();
    let comment = ServerAction::<AddComment>::new();
    let status = ServerAction::<SetFeedbackStatus>::new();
    let filters = move || {
        q.with(|q| {
            (
                q.get("kind").unwrap_or_default(),
                q.get("status").unwrap_or_default(),
            )
        })
    };
    let page = Resource::new(
        move || {
            (
                id(),
                filters(),
                comment.version().get() + status.version().get(),
            )
        },
        |(id, (kind, status), _)| async move {
            match id {
                Some(id) => get_feedback(id, kind, status).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let error = Signal::derive(move || {
        last_error(comment.value())
            .get()
            .or_else(|| last_error(status.value()).get())
    });
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => p,
                };
                let iid = id().unwrap_or_default();
                let may_status = policy::team(Some(p.role), TeamAction::ChangeFeedbackStatus).is_ok();
                let (kind, st) = filters();
                view! {
                    <p class="crumbs"><a href="/integrations">"Integrations"</a></p>
                    <h1>{format!("{} feedback", p.name)}</h1>
                    <IntegrationTabs id=iid current="feedback" />
                    <p class="hint">"Feature requests and bug reports from people who use the integration. Everyone on the team may comment; admins set the status."</p>
                    <form method="get" class="filters" aria-label="Filter feedback">
                        <label for="fb-kind">"Kind"</label>
                        <select id="fb-kind" name="kind">
                            {[("", "All"), ("feature", "Feature requests"), ("bug", "Bug reports")].into_iter().map(|(v, l)| view! { <option value=v selected=v == kind>{l}</option> }).collect_view()}
                        </select>
                        <label for="fb-status">"Status"</label>
                        <select id="fb-status" name="status">
                            <option value="" selected=st.is_empty()>"Any"</option>
                            {FEEDBACK_STATUSES.into_iter().map(|v| view! { <option value=v selected=v == st>{v}</option> }).collect_view()}
                        </select>
                        <button type="submit">"Filter"</button>
                    </form>
                    <FormError error=error />
                    {if p.items.is_empty() { view! { <p class="empty">"No feedback matches yet."</p> }.into_any() } else { p.items.into_iter().map(|f| {
                        let heading = format!("{}: {}", if f.kind == "bug" { "Bug report" } else { "Feature request" }, f.title);
                        let fid = f.id.to_string();
                        let fid2 = fid.clone();
                        let title2 = f.title.clone();
                        let current = f.status.clone();
                        let body_id = format!("comment-{}", f.id);
                        view! {
                            <article class="card feedback" aria-label=heading.clone()>
                                <h2>{heading.clone()}</h2>
                                <p class="hint">{format!("{} · {} · status: ", f.author.clone().unwrap_or_else(|| "someone".into()), f.created_at.format("%Y-%m-%d"))}<strong>{f.status.clone()}</strong></p>
                                <p>{f.body.clone()}</p>
                                {(!f.comments.is_empty()).then(|| view! {
                                    <ul class="comments">{f.comments.iter().map(|c| view! {
                                        <li><strong>{c.author.clone().unwrap_or_else(|| "someone".into())}</strong>{format!(" · {}: ", c.at.format("%Y-%m-%d %H:%M"))}{c.body.clone()}</li>
                                    }).collect_view()}</ul>
                                })}
                                <ActionForm action=comment attr:class="comment-form">
                                    <input type="hidden" name="id" value=iid.to_string() />
                                    <input type="hidden" name="feedback_id" value=fid.clone() />
                                    <label for=body_id.clone()>{format!("Comment on “{}”", f.title)}</label>
                                    <textarea id=body_id name="body" rows="2" required></textarea>
                                    <button type="submit">"Add comment"<span class="visually-hidden">{format!(" on “{}”", f.title)}</span></button>
                                </ActionForm>
                                {may_status.then(move || {
                                    let sid = format!("status-{fid2}");
                                    view! {
                                        <ActionForm action=status attr:class="inline-form">
                                            <input type="hidden" name="id" value=iid.to_string() />
                                            <input type="hidden" name="feedback_id" value=fid2.clone() />
                                            <label for=sid.clone()>{format!("Status of “{title2}”")}</label>
                                            <select id=sid name="status">
                                                {FEEDBACK_STATUSES.into_iter().map(|v| view! { <option value=v selected=v == current>{v}</option> }).collect_view()}
                                            </select>
                                            <button type="submit">"Set status"<span class="visually-hidden">{format!(" of “{title2}”")}</span></button>
                                        </ActionForm>
                                    }
                                })}
                            </article>
                        }
                    }).collect_view().into_any() }}
                }.into_any()
            })}
        </Suspense>
    }
}

/// For people who use the integration: send a feature request or a bug report.
#[component]
pub fn NewFeedbackPage() -> impl IntoView {
    let id = id_param();
    let submit = ServerAction::<SubmitFeedback>::new();
    let error = last_error(submit.value());
    let target = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_feedback_target(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let name = match target.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(n) => n,
                };
                view! {
                    <section class="card narrow" aria-labelledby="fb-title">
                        <h1 id="fb-title">{format!("Feedback on {name}")}</h1>
                        <Notice key="sent" text="Thank you: the integration's team has your feedback." />
                        <ActionForm action=submit>
                            <FormError error=error />
                            <input type="hidden" name="id" value=id().map(|i| i.to_string()).unwrap_or_default() />
                            <fieldset>
                                <legend>"Kind"</legend>
                                <div class="check"><input type="radio" id="fb-feature" name="kind" value="feature" checked /><label for="fb-feature">"Feature request"</label></div>
                                <div class="check"><input type="radio" id="fb-bug" name="kind" value="bug" /><label for="fb-bug">"Bug report"</label></div>
                            </fieldset>
                            <Field label="Title" name="title" required=true error=error />
                            <div class="field">
                                <label for="fb-body">"Details"</label>
                                <textarea id="fb-body" name="body" rows="5"></textarea>
                            </div>
                            <button type="submit" disabled=move || submit.pending().get()>"Send feedback"</button>
                        </ActionForm>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
